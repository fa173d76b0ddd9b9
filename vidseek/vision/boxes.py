"""A second look at each COCO box: the ImageNet classifier, shown the box alone, says what is in it.

YOLOv3-tiny calls cartoon characters people and the Big Buck Bunny trailer's chinchilla a horse; shown
only the box, EfficientNet-Lite0 sees animals there (langur, patas, king penguin on the bunny; vizsla,
redbone, basenji on the chinchilla). The two models' classes are WordNet noun synsets (COCO names through
WordNet's noun index, most frequent sense; ImageNet classes by wnid), so their verdicts compare in one
vocabulary, and a box is dropped when the classifier contradicts it:
- a box of a living thing that is no animal (COCO's `person`) when more than half of the classifier's
  probability lies on animals, unless the detector found an animal overlapping the box (a rider, a dog
  beside its owner);
- a box of an animal ImageNet can name when more than half lies under one other COCO animal class (not
  one found beside it).
benchmarks/vision_photos.py --boxes checks both on the photos (right boxes) and cartoon frames (wrong
ones); docs/models.md has the table. A box the classifier is sure of (the tags' own energy gate and
threshold) also carries its tags, so the cup of a coffee photo is written "cup (espresso: coffee…)".
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidseek.vision import tags as imagenet
from vidseek.vision.coco import Detection

# The classifier's majority verdict, not a tuned value: a box is contradicted when more than half of the
# classifier's probability says something else. Checked, not fitted, on benchmarks/vision_photos.py --boxes
# (docs/models.md): at 416² no right box of the photo set is dropped (right people reach 0.27 animal mass,
# a right animal's strongest rival 0.26) and the cartoon's bunny and chinchilla boxes reach 0.55-0.77.
PERSON_ANIMAL_MASS = 0.5
RIVAL_MASS = 0.5
MARGIN = 0.1  # of the box's width and height added on each side: the classifier wants some context
MIN_SIDE = 16  # pixels; a smaller box is kept as the detector gave it, unreviewed
ANIMAL = 15388  # WordNet 3.0 n00015388 'animal, animate being, beast, brute, creature, fauna'
ORGANISM = 4475  # n00004475 'organism, being': people are organisms, not animals
@dataclass(frozen=True)
class Judgement:
    """What the classifier's probabilities on one box say of the detector's label."""

    kept: bool
    animal_mass: float = 0.0  # probability on animals
    own_mass: float = 0.0  # on the ImageNet classes under the detected COCO class
    rival: str = ""  # the COCO animal class (not found beside the box) holding the most probability
    rival_mass: float = 0.0
    explained: bool = False  # an animal the detector found overlapping the box explains its animal mass


@dataclass(frozen=True)
class Reviewed:
    """A detection after the second look: kept or not, and the classifier's confident tags for its box."""

    detection: Detection
    judgement: Judgement
    tags: tuple[imagenet.Tag, ...] = ()

    @property
    def kept(self) -> bool:
        return self.judgement.kept


@functools.lru_cache(maxsize=1024)
def _ancestors_of(synset: int) -> frozenset[int]:
    """A synset and every hypernym above it."""
    wordnet = imagenet.wordnet()
    found, frontier = {synset}, [synset]
    while frontier:
        frontier = [h for s in frontier for h in wordnet.synset(s)[1] if h not in found]
        found.update(frontier)
    return frozenset(found)


@functools.lru_cache(maxsize=1)
def _imagenet_ancestors() -> tuple[frozenset[int], ...]:
    """For each ImageNet class, its synset and every hypernym above it."""
    return tuple(_ancestors_of(int(w[1:])) for w in imagenet.imagenet_wnids())


@functools.lru_cache(maxsize=256)
def coco_synset(label: str) -> int | None:
    """The WordNet synset of a COCO class name (its most frequent noun sense), or None if WordNet lacks it."""
    senses = imagenet.noun_senses().get(label.replace(" ", "_").lower())
    return senses[0] if senses else None


@functools.lru_cache(maxsize=256)
def _under(synset: int) -> np.ndarray:
    """Which ImageNet classes lie under a synset (boolean, 1000)."""
    return np.array([synset in up for up in _imagenet_ancestors()])


@functools.lru_cache(maxsize=1)
def _coco_animals(names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The COCO classes that are animals ImageNet can name, each with its ImageNet classes."""
    found = {}
    for name in names:
        if is_animal(name) and _under(coco_synset(name)).any():
            found[name] = _under(coco_synset(name))
    return found


def crop(image: np.ndarray, box: tuple[float, float, float, float], margin: float = MARGIN) -> np.ndarray:
    """The box (fractions of the frame) and `margin` of its size around it, clipped to the frame."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    dx, dy = margin * (x1 - x0), margin * (y1 - y0)
    left, right = int(max(0.0, x0 - dx) * w), int(min(1.0, x1 + dx) * w)
    top, bottom = int(max(0.0, y0 - dy) * h), int(min(1.0, y1 + dy) * h)
    return image[top:bottom, left:right]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def verdict(detection: Detection, probabilities: np.ndarray, neighbours: Sequence[Detection],
            coco_names: Sequence[str]) -> Judgement:
    """Whether the classifier's probabilities on a box contradict the detector's label. An animal the
    detector also found overlapping the box explains the classifier seeing it there (a rider on a horse, a
    dog beside its owner) and contradicts nothing."""
    seen_beside = {n.label for n in neighbours if n is not detection and _overlap(n.box, detection.box)}
    animal_mass = round(float(probabilities[_under(ANIMAL)].sum()), 4)
    if not is_living(detection.label):
        return Judgement(True, animal_mass)  # a thing, not a living one: nothing here to contradict
    if not is_animal(detection.label):  # a person
        explained = any(is_animal(n) for n in seen_beside)
        return Judgement(explained or animal_mass < PERSON_ANIMAL_MASS, animal_mass, explained=explained)
    animals = _coco_animals(tuple(coco_names))
    if detection.label not in animals:
        return Judgement(True, animal_mass)  # an animal ImageNet has no class for (giraffe): no rival to name
    own = round(float(probabilities[animals[detection.label]].sum()), 4)
    rivals = {name: float(probabilities[under].sum()) for name, under in animals.items()
              if name != detection.label and name not in seen_beside}
    rival, mass = max(rivals.items(), key=lambda kv: kv[1], default=("", 0.0))
    return Judgement(not (mass >= RIVAL_MASS and mass > own), animal_mass, own, rival, round(mass, 4))


def is_living(label: str) -> bool:
    """Whether WordNet files the COCO class under organisms (people and animals): the boxes verdict judges."""
    synset = coco_synset(label)
    return synset is not None and ORGANISM in _ancestors_of(synset)


def is_animal(label: str) -> bool:
    synset = coco_synset(label)
    return synset is not None and ANIMAL in _ancestors_of(synset)


def box_tagger(device: str = "auto") -> imagenet.ImageNetTagger:
    """The classifier as the second look uses it: the whole box squashed to its input, not its centre square
    (a person's box is tall; on the photo set the squashed boxes kept right people and cartoon ones further
    apart in animal mass than centre crops did)."""
    return imagenet.ImageNetTagger(device, resize="squash")


def review(frames: Sequence[np.ndarray], detections: Sequence[Sequence[Detection]],
           tagger: imagenet.ImageNetTagger, coco_names: Sequence[str]) -> list[list[Reviewed]]:
    """Each frame's detections after the classifier (box_tagger) has looked at their boxes, one batch for all."""
    pieces, where = [], []
    for f, (frame, found) in enumerate(zip(frames, detections)):
        for d, detection in enumerate(found):
            piece = crop(frame, detection.box)
            if min(piece.shape[:2]) >= MIN_SIDE:
                pieces.append(piece)
                where.append((f, d))
    out = [[Reviewed(d, Judgement(True)) for d in found] for found in detections]
    if not pieces:
        return out
    probabilities, energies = tagger.scores(pieces)
    for (f, d), row, energy in zip(where, probabilities, energies):
        detection = detections[f][d]
        judgement = verdict(detection, row, detections[f], coco_names)
        found = tuple(tagger.tags_from(row, float(energy))) if judgement.kept else ()
        out[f][d] = Reviewed(detection, judgement, found)
    return out
