"""What the picture models see on real photos: ImageNet tags and COCO objects, per photo, with ms per image.

    python benchmarks/vision_photos.py            # photos from installed packages + Big Buck Bunny frames
    python benchmarks/vision_photos.py --sweep    # also the threshold tables the defaults were chosen from
    python benchmarks/vision_photos.py --calibrate  # the tag gate's calibration table (positives, negatives)
    python benchmarks/vision_photos.py --boxes      # the second look at COCO boxes: its thresholds, what it drops

Photos: scikit-image's data photos, Debian darknet's samples (/usr/share/darknet/data, `apt-get install
darknet`) and the two that ultralytics ships; a photo whose package is missing is skipped and said.
Cartoon: frames of the Big Buck Bunny trailer (examples/get_trailer.sh), where no person should be found.

Calibration of the tags (`--calibrate`): positives are the photos above; negatives are pictures where no
tag is right: the trailer's cartoon frames (every 0.5 s) and slides drawn with vidseek.synth (flat or
split backgrounds, lines of text). For each energy gate × softmax threshold: photo recall, tag precision on
the photos, and the share of negative pictures given any tag. Rule: among the pairs that tag at most
NEGATIVE_BUDGET of the negatives, the best F1 of tag precision and photo recall on the photos (as the
threshold alone was chosen before), then the fewest negatives tagged, then the lowest gate.

Ground truth is what a person sees in each photo, written down once: `tags` are the words for what is
visible (a tag is right when its label or one of its WordNet general names is one of them), `objects` the
COCO classes visible with how many (COCO's names: 'motorcycle', 'dining table'), `also` COCO classes
present but too small or cut off to require (naming them is not counted wrong). Scoring:
- tags: precision = right tags / tags given; recall = photos with a right tag / photos whose truth ImageNet
  can name (the others, galaxies or cells, only count for precision: any tag there is wrong).
- objects: recall = (photo, class) pairs found / pairs visible; wrong = classes named that are not there.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidseek import video  # noqa: E402
from vidseek.vision import boxes, coco, tags  # noqa: E402

DARKNET = Path("/usr/share/darknet/data")
TRAILER = ROOT / "examples" / "media" / "trailer_bbb.mp4"
CARTOON_EVERY_S = 2.0
CALIBRATION_CARTOON_EVERY_S = 0.5
NEGATIVE_BUDGET = 0.02  # at most this share of the negative pictures may get a tag
ENERGY_GATES = tuple(round(float(e), 2) for e in np.arange(7.5, 11.01, 0.1))
THRESHOLDS = tuple(round(float(t), 2) for t in np.arange(0.05, 0.61, 0.05))


@dataclass(frozen=True)
class Photo:
    """A real photo and what is in it."""

    name: str
    source: str  # the package it comes from
    load: Callable[[], np.ndarray] = field(repr=False)
    tags: frozenset[str]  # words for what is visible
    objects: dict[str, int]  # COCO classes visible, with how many
    also: frozenset[str] = frozenset()  # COCO classes present but too small or cut off to require


def _rgb(image: np.ndarray) -> np.ndarray:
    image = image[0] if isinstance(image, tuple) else image
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return _rgb(getattr(skimage.data, name)())

    return load


def _file(path: Callable[[], Path]) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from PIL import Image

        with Image.open(path()) as im:
            return np.asarray(im.convert("RGB"))

    return load


def ultralytics_asset(name: str) -> Path:
    """A photo ultralytics ships (bus.jpg, zidane.jpg), found without importing ultralytics."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("ultralytics is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / name


def _darknet(name: str) -> Callable[[], np.ndarray]:
    return _file(lambda: DARKNET / name)


def _ultra(name: str) -> Callable[[], np.ndarray]:
    return _file(lambda: ultralytics_asset(name))


def _w(*words: str) -> frozenset[str]:
    return frozenset(words)


SK, DN, UL = "scikit-image", "Debian darknet", "ultralytics"
PHOTOS = [
    Photo("astronaut", SK, _skimage("astronaut"), _w("person", "flag", "space shuttle", "helmet", "suit"),
          {"person": 1}),
    Photo("chelsea", SK, _skimage("chelsea"), _w("cat"), {"cat": 1}),
    Photo("coffee", SK, _skimage("coffee"), _w("coffee", "cup", "saucer", "spoon", "table"),
          {"cup": 1, "spoon": 1}, _w("dining table", "bowl")),
    Photo("rocket", SK, _skimage("rocket"), _w("rocket", "missile"), {}),
    Photo("motorcycle", SK, _skimage("stereo_motorcycle"), _w("motorcycle"), {"motorcycle": 1}, _w("bicycle")),
    Photo("cameraman", SK, _skimage("camera"), _w("person", "camera", "tripod", "coat"), {"person": 1}),
    Photo("clock", SK, _skimage("clock"), _w("clock"), {"clock": 1}),
    Photo("coins", SK, _skimage("coins"), _w("coin"), {}),
    Photo("hubble", SK, _skimage("hubble_deep_field"), _w("galaxy", "star"), {}),
    Photo("cells", SK, _skimage("immunohistochemistry"), _w("cell", "tissue"), {}),
    Photo("moon", SK, _skimage("moon"), _w("moon"), {}),
    Photo("dog", DN, _darknet("dog.jpg"), _w("dog", "bicycle", "truck", "car"), {"dog": 1, "bicycle": 1, "truck": 1},
          _w("car", "potted plant")),
    Photo("eagle", DN, _darknet("eagle.jpg"), _w("eagle", "bird"), {"bird": 1}),
    Photo("giraffe", DN, _darknet("giraffe.jpg"), _w("giraffe", "zebra"), {"giraffe": 1, "zebra": 1}),
    Photo("horses", DN, _darknet("horses.jpg"), _w("horse"), {"horse": 5}),
    Photo("kite", DN, _darknet("kite.jpg"), _w("person", "shore", "beach", "sea"), {"person": 3, "kite": 3}),
    Photo("person", DN, _darknet("person.jpg"), _w("person", "dog", "horse"), {"person": 1, "horse": 1, "dog": 1}),
    Photo("scream", DN, _darknet("scream.jpg"), _w("painting", "person", "bridge"), {}, _w("person")),
    Photo("bus", UL, _ultra("bus.jpg"), _w("bus", "person", "building"), {"bus": 1, "person": 4}),
    Photo("zidane", UL, _ultra("zidane.jpg"), _w("person", "suit", "tie", "necktie"), {"person": 2, "tie": 1}),
]


def photo(name: str) -> np.ndarray:
    """One photo of the set by name (RGB uint8); FileNotFoundError/ImportError when its package is missing."""
    return next(p for p in PHOTOS if p.name == name).load()


def available() -> list[tuple[Photo, np.ndarray]]:
    found = []
    for p in PHOTOS:
        try:
            found.append((p, p.load()))
        except (OSError, ImportError) as exc:
            print(f"skipped {p.name} ({p.source}): {exc}", file=sys.stderr)
    return found


def trailer() -> Path:
    if not TRAILER.exists():
        subprocess.run(["bash", str(ROOT / "examples" / "get_trailer.sh")], check=True)
    return TRAILER


@functools.lru_cache(maxsize=1)
def cartoon_frames(every_s: float = CARTOON_EVERY_S) -> tuple[tuple[float, np.ndarray], ...]:
    """Big Buck Bunny trailer frames, one every `every_s` seconds, past the opening title card."""
    path = trailer()
    with video.FrameReader(path, fps=1 / every_s, max_side=640) as reader:
        frames = reader.read(0.0, video.probe(path).duration)
    return tuple((f.time, f.image) for f in frames)


SLIDE_TEXTS = ["Quarterly results", "ROOM 42", "Thank you", "Agenda\n1. Budget\n2. Hiring", "Chapter 3",
               "GATE 17", "Questions?", "www.example.org", "Q3 revenue up 12%", "Safety first",
               "PLATFORM 9", "Coming up next"]


def slides() -> list[np.ndarray]:
    """Drawn pictures nothing in ImageNet is: text on flat, dark, light or split backgrounds (vidseek.synth)."""
    from vidseek import synth

    rng = np.random.default_rng(14)
    out = []
    for i, text in enumerate(SLIDE_TEXTS):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        split = tuple(int(c) for c in rng.integers(0, 256, 3))

        def draw(t: float, width: int, height: int, a=colour, b=split, cut=i % 3) -> np.ndarray:
            canvas = np.empty((height, width, 3), np.uint8)
            canvas[:] = a
            if cut:
                canvas[:, width * cut // 3 :] = b  # a two-tone slide: a side panel
            return canvas

        script = synth.Script(duration=1, size=(640, 360), audio=False, scenes=[synth.Scene(0.0, draw=draw)],
                              captions=[synth.Caption(0, 1, line, size=28 + 8 * (i % 4), xy=(40, 40 + 60 * k))
                                        for k, line in enumerate(text.split("\n"))])
        out.append(synth.render_frame(script, 0.5))
    return out


def tag_right(tag: tags.Tag, truth: frozenset[str]) -> bool:
    """Right when the label or any general name (to the root: this judges the label, not the cut) is in truth."""
    return bool({w.lower() for w in (tag.label, *tags.wordnet().general_names(int(tag.wnid[1:]), 0))} & truth)


@functools.lru_cache(maxsize=1)
def imagenet_vocabulary() -> frozenset[str]:
    """Every word some ImageNet class is called by, up to the root: truth outside it no tag can match."""
    net = tags.wordnet()
    return frozenset(w.lower() for wnid in tags.imagenet_wnids() for w in net.general_names(int(wnid[1:]), 0))


def score_tags(photos: list[tuple[Photo, np.ndarray]], probs: np.ndarray, threshold: float, top_k: int,
               energies: np.ndarray | None = None, min_energy: float = 0.0) -> tuple[float, float, int]:
    """Tag precision, photo recall and tags given, with the given gate."""
    tagger = tags.ImageNetTagger(threshold=threshold, top_k=top_k, min_energy=min_energy)
    energies = np.full(len(probs), np.inf) if energies is None else energies
    given = right = hit = nameable = 0
    for (p, _), row, energy in zip(photos, probs, energies):
        found = tagger.tags_from(row, float(energy))
        ok = [t for t in found if tag_right(t, p.tags)]
        given, right = given + len(found), right + len(ok)
        if p.tags & imagenet_vocabulary():
            nameable += 1
            hit += bool(ok)
    return (right / given if given else 1.0), (hit / nameable if nameable else 0.0), given


@dataclass(frozen=True)
class GateScore:
    min_energy: float
    threshold: float
    precision: float
    recall: float
    given: int
    negatives_tagged: float  # share of the negative pictures with any tag

    @property
    def f1(self) -> float:
        both = self.precision + self.recall
        return 2 * self.precision * self.recall / both if both else 0.0


def calibration_grid(photos: list[tuple[Photo, np.ndarray]], positive: tuple[np.ndarray, np.ndarray],
                     negative: tuple[np.ndarray, np.ndarray], top_k: int = tags.TOP_K) -> list[GateScore]:
    """Every (energy gate, threshold) pair scored on the photos (positives) and the negative pictures.

    positive and negative are (softmax rows, energies), as ImageNetTagger.scores gives them."""
    grid = []
    neg_p, neg_e = negative
    best_p = neg_p.max(axis=1)
    for gate in ENERGY_GATES:
        for threshold in THRESHOLDS:
            precision, recall, given = score_tags(photos, positive[0], threshold, top_k, positive[1], gate)
            tagged = float(((neg_e >= gate) & (best_p >= threshold)).mean()) if len(neg_e) else 0.0
            grid.append(GateScore(gate, threshold, precision, recall, given, tagged))
    return grid


def choose(grid: list[GateScore], budget: float = NEGATIVE_BUDGET) -> GateScore:
    """The stated rule: within the negative budget, the best F1 on the photos, then the fewest negatives
    tagged, then the lowest gate and threshold (the least strict of equals)."""
    allowed = [g for g in grid if g.negatives_tagged <= budget + 1e-9]
    return max(allowed, key=lambda g: (round(g.f1, 6), -g.negatives_tagged, -g.min_energy, -g.threshold))


def calibration_pictures() -> tuple[list[tuple[Photo, np.ndarray]], list[np.ndarray], list[str]]:
    """The photos (positives), and the negatives with a name each ('cartoon 27.0s', 'slide 3')."""
    photos = available()
    cartoon = cartoon_frames(CALIBRATION_CARTOON_EVERY_S)
    negatives = [im for _, im in cartoon] + slides()
    names = [f"cartoon {t:.1f}s" for t, _ in cartoon] + [f"slide {i}" for i in range(len(SLIDE_TEXTS))]
    return photos, negatives, names


def print_calibration(device: str = "cpu") -> GateScore:
    photos, negatives, names = calibration_pictures()
    tagger = tags.ImageNetTagger(device=device)
    positive = tagger.scores([im for _, im in photos])
    negative = tagger.scores(negatives)
    grid = calibration_grid(photos, positive, negative)
    chosen = choose(grid)
    print(f"\n## tag gate calibration: {len(photos)} photos (positives), {len(negatives)} negatives "
          f"({len(negatives) - len(SLIDE_TEXTS)} cartoon frames every {CALIBRATION_CARTOON_EVERY_S} s, "
          f"{len(SLIDE_TEXTS)} slides); rule: best F1 on the photos with ≤ {NEGATIVE_BUDGET:.0%} of negatives tagged")
    print("| energy gate | best threshold | photo recall | precision (tags) | F1 | negatives tagged |")
    print("| --- | --- | --- | --- | --- | --- |")
    near = [g for g in ENERGY_GATES if abs(g - chosen.min_energy) < 0.25]
    shown = sorted({*ENERGY_GATES[::5], *near, ENERGY_GATES[0]})
    for gate in shown:
        rows = [g for g in grid if g.min_energy == gate]
        ok = [g for g in rows if g.negatives_tagged <= NEGATIVE_BUDGET + 1e-9]
        row = choose(rows) if ok else min(rows, key=lambda g: g.negatives_tagged)
        mark = " ← chosen" if row == chosen else ""
        print(f"| {gate:.1f} | {row.threshold:.2f} | {row.recall:.2f} | {row.precision:.2f} ({row.given}) | "
              f"{row.f1:.2f} | "
              f"{row.negatives_tagged:.1%}{'' if ok else ' (over budget at every threshold)'}{mark} |")
    no_gate = [g for g in grid if g.min_energy == ENERGY_GATES[0]]
    ok = [g for g in no_gate if g.negatives_tagged <= NEGATIVE_BUDGET + 1e-9]
    if ok:
        best = choose(no_gate)
        print(f"softmax threshold alone (gate {ENERGY_GATES[0]}, below every picture): within the budget the best is "
              f"threshold {best.threshold:.2f}, photo recall {best.recall:.2f}")
    default = next(g for g in grid if g.min_energy == ENERGY_GATES[0] and abs(g.threshold - 0.20) < 1e-6)
    print(f"the old default (threshold 0.20, no gate): photo recall {default.recall:.2f}, precision "
          f"{default.precision:.2f}, negatives tagged {default.negatives_tagged:.0%}")
    print(f"chosen: energy ≥ {chosen.min_energy:.1f}, softmax ≥ {chosen.threshold:.2f}; in use: "
          f"{tags.MIN_ENERGY:.1f}, {tags.THRESHOLD:.2f}")
    print(f"at energy ≥ {chosen.min_energy:.1f}, by threshold: " + " · ".join(
        f"{g.threshold:.2f}: {g.recall:.2f}/{g.precision:.2f}/{g.f1:.2f}/{g.negatives_tagged:.1%}"
        for g in grid if g.min_energy == chosen.min_energy) + "  (recall/precision/F1/negatives tagged)")
    probs, energies = negative
    top = int(np.argmax(energies))
    print(f"highest energy on a negative: {energies[top]:.2f} ({names[top]}, "
          f"{tags.imagenet_names()[int(probs[top].argmax())]} {probs[top].max():.2f}); on the photos: " +
          ", ".join(f"{p.name} {e:.2f}" for (p, _), e in zip(photos, positive[1])))
    tagged = [(n, float(e), tags.imagenet_names()[int(p.argmax())], float(p.max())) for n, p, e in
              zip(names, probs, energies) if e >= chosen.min_energy and p.max() >= chosen.threshold]
    print("negatives still tagged: " + (", ".join(f"{n} ({label} {p:.2f}, energy {e:.2f})"
                                                 for n, e, label, p in tagged) or "none"))
    return chosen


OBJECT_CONFIDENCES = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)


def print_object_calibration(device: str = "cpu") -> float:
    """The COCO confidence by the same rule as the tags: best F1 of (photo, class) pairs on the photos among
    the confidences that name something on at most NEGATIVE_BUDGET of the negative pictures."""
    photos, negatives, names = calibration_pictures()
    detector = coco.CocoDetector(device=device, confidence=min(OBJECT_CONFIDENCES))
    on_photos = detector.detect([im for _, im in photos])
    on_negatives = detector.detect(negatives)
    print(f"\n## COCO confidence calibration: the same {len(photos)} photos and {len(negatives)} negatives")
    print("| confidence | found / visible | wrong classes | F1 | negatives with a detection | what |")
    print("| --- | --- | --- | --- | --- | --- |")
    rows = []
    for c in OBJECT_CONFIDENCES:
        keep = [[d for d in ds if d.score >= c] for ds in on_photos]
        f, w, x = score_objects([(p, d) for (p, _), d in zip(photos, keep)])
        f1 = 2 * f / (2 * f + x + (w - f))
        neg = [coco.counts([d for d in ds if d.score >= c]) for ds in on_negatives]
        share = sum(1 for n in neg if n) / len(neg)
        what = sum((n for n in neg), Counter())
        rows.append((c, f1, share))
        print(f"| {c:.2f} | {f}/{w} | {x} | {f1:.2f} | {share:.1%} | {coco.describe(what) or '—'} |")
    allowed = [r for r in rows if r[2] <= NEGATIVE_BUDGET + 1e-9] or [min(rows, key=lambda r: r[2])]
    chosen = max(allowed, key=lambda r: (round(r[1], 6), -r[2], -r[0]))[0]
    print(f"the tags' rule would pick confidence {chosen:.2f}; in use: {coco.CONFIDENCE:.2f} "
          "(not changed: docs/models.md)")
    return chosen


def print_box_calibration(device: str = "cpu") -> tuple[float, float]:
    """The second look (vidseek.vision.boxes) on every box of a living thing the detector finds on the photos
    (right when the photo shows that class) and on the trailer's cartoon frames (wrong, except birds: the
    trailer has cartoon birds, so those are shown and not counted)."""
    photos = available()
    cartoon = [im for _, im in cartoon_frames(CALIBRATION_CARTOON_EVERY_S)]
    detector, tagger = coco.CocoDetector(device=device), boxes.box_tagger(device)
    names = coco.class_names()
    rows = []  # (set, picture, reviewed, right)
    for kind, pictures, truth in (("photo", [im for _, im in photos], [p for p, _ in photos]),
                                  ("cartoon", cartoon, [None] * len(cartoon))):
        found = detector.detect(pictures)
        for i, reviewed in enumerate(boxes.review(pictures, found, tagger, names)):
            p = truth[i]
            for r in reviewed:
                label = r.detection.label
                right = bool(p and (label in p.objects or label in p.also))
                rows.append((kind, p.name if p else f"{i * CALIBRATION_CARTOON_EVERY_S:.1f}s", r, right))
    living = [row for row in rows if boxes.is_living(row[2].detection.label)]
    print(f"\n## second look at COCO boxes (confidence {detector.confidence}, input {coco.INPUT_SIZE}²): "
          f"{len(photos)} photos, {len(cartoon)} cartoon frames")
    print("| set | picture | box | confidence | animal mass | own | strongest rival not beside it | kept | right |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, name, r, right in living:
        j = r.judgement
        rival = f"{j.rival} {j.rival_mass:.2f}" if j.rival else "—"
        print(f"| {kind} | {name} | {r.detection.label} | {r.detection.score:.2f} | {j.animal_mass:.2f} | "
              f"{j.own_mass:.2f} | {rival} | {'yes' if r.kept else '**dropped**'} | {'✓' if right else ''} |")
    right_people = [r.judgement.animal_mass for _, _, r, ok in living
                    if ok and not boxes.is_animal(r.detection.label) and not r.judgement.explained]
    right_rivals = [r.judgement.rival_mass for _, _, r, ok in living if ok and r.judgement.rival]
    person, rival = max(right_people, default=0.0), max(right_rivals, default=0.0)
    print(f"in use: person dropped at animal mass ≥ {boxes.PERSON_ANIMAL_MASS:.2f}, an animal at a rival's "
          f"≥ {boxes.RIVAL_MASS:.2f}; the highest on a right box: {person:.2f} (a person with no animal beside "
          f"it), {rival:.2f} (a rival)")
    judged = [row for row in living if row[0] == "photo" or row[2].detection.label != "bird"]
    for kind in ("photo", "cartoon"):
        mine = [r for k, _, r, _ in judged if k == kind]
        dropped = [r for r in mine if not r.kept]
        print(f"{kind} boxes of living things (cartoon birds apart): {len(mine)}, dropped {len(dropped)}"
              + (f" ({', '.join(r.detection.label for r in dropped)})" if dropped else ""))
    tagged = [(k, name, r) for k, name, r, _ in rows if r.tags]
    print("boxes that carry tags: " + (", ".join(
        f"{k} {name} {r.detection.label} → {', '.join(f'{t.label} {t.score:.2f}' for t in r.tags)}"
        for k, name, r in tagged) or "none"))
    return person, rival


def score_objects(photos: list[tuple[Photo, list[coco.Detection]]]) -> tuple[int, int, int]:
    found = wanted = wrong = 0
    for p, dets in photos:
        seen = coco.counts(dets)
        wanted += len(p.objects)
        found += sum(1 for c in p.objects if seen[c])
        wrong += sum(1 for c in seen if c not in p.objects and c not in p.also)
    return found, wanted, wrong


def timed(fn: Callable, frames: list[np.ndarray]) -> tuple[object, float]:
    fn(frames[:1])  # load and warm up
    start = time.perf_counter()
    out = fn(frames)
    return out, (time.perf_counter() - start) * 1000 / len(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sweep", action="store_true", help="print the threshold tables")
    parser.add_argument("--no-cartoon", action="store_true")
    parser.add_argument("--calibrate", action="store_true", help="print the tag gate's calibration table only")
    parser.add_argument("--boxes", action="store_true", help="print the second look's calibration table only")
    args = parser.parse_args()
    import torch

    if args.boxes:
        print_box_calibration(args.device)
        return

    if args.calibrate:
        print_calibration(args.device)
        print_object_calibration(args.device)
        return

    photos = available()
    images = [im for _, im in photos]
    tagger = tags.ImageNetTagger(device=args.device)
    detector = coco.CocoDetector(device=args.device)
    found_tags, tag_ms = timed(tagger.classify, images)
    found_objs, obj_ms = timed(detector.detect, images)
    print(f"# {len(photos)} photos; torch threads {torch.get_num_threads()}, device {args.device}")
    print(f"ImageNet tags (EfficientNet-Lite0, energy ≥ {tagger.min_energy}, threshold {tagger.threshold}, "
          f"top {tagger.top_k}): "
          f"{tag_ms:.0f} ms per image (batched)")
    print(f"COCO objects (YOLOv3-tiny, confidence {detector.confidence}): {obj_ms:.0f} ms per image (batched)\n")
    print("| photo | source | tags (right ✓) | objects | objects visible | verdict |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (p, _), ts, ds in zip(photos, found_tags, found_objs):
        tag_text = ", ".join(f"{t.label} {t.score:.2f}{' ✓' if tag_right(t, p.tags) else ''}" for t in ts) or "—"
        seen = coco.counts(ds)
        missed = [c for c in p.objects if not seen[c]]
        wrong = [c for c in seen if c not in p.objects and c not in p.also]
        verdict = "; ".join(filter(None, [f"missed {', '.join(missed)}" if missed else "",
                                          f"wrong {', '.join(wrong)}" if wrong else ""])) or "ok"
        truth = coco.describe(Counter(p.objects)) or "—"
        print(f"| {p.name} | {p.source} | {tag_text} | {coco.describe(seen) or '—'} | {truth} | {verdict} |")
    probs, energies = tagger.scores(images)
    precision, recall, given = score_tags(photos, probs, tagger.threshold, tagger.top_k, energies, tagger.min_energy)
    found, wanted, wrong = score_objects([(p, d) for (p, _), d in zip(photos, found_objs)])
    print(f"\ntags: precision {precision:.2f} ({given} given), photo recall {recall:.2f}")
    print(f"objects: found {found}/{wanted} visible (photo, class) pairs, {wrong} wrong classes named")

    if args.sweep:
        print("\n## tag threshold sweep, no energy gate (top_k × threshold: precision / recall / F1)")
        for top_k in (1, 3, 5):
            cells = []
            for t in np.arange(0.05, 0.61, 0.05):
                pr, rc, _ = score_tags(photos, probs, float(t), top_k)
                f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
                cells.append(f"{t:.2f}: {pr:.2f}/{rc:.2f}/{f1:.2f}")
            print(f"top {top_k}: " + " · ".join(cells))
        squash = tags.ImageNetTagger(device=args.device, resize="squash").probabilities(images)
        pr, rc, _ = score_tags(photos, squash, tagger.threshold, tagger.top_k)
        print(f"whole frame squashed to 224² instead of the centre crop: precision {pr:.2f}, recall {rc:.2f}")
        print("\n## object confidence sweep (found/visible, wrong, F1; person on cartoon frames)")
        pictures = [] if args.no_cartoon else [im for _, im in cartoon_frames()]
        for c in (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
            sweep = coco.CocoDetector(device=args.device, confidence=c)
            f, w, x = score_objects([(p, d) for (p, _), d in zip(photos, sweep.detect(images))])
            f1 = 2 * f / (2 * f + x + (w - f))
            people = sum(1 for d in sweep.detect(pictures) if coco.counts(d)["person"]) if pictures else "-"
            print(f"{c:.2f}: {f}/{w}, {x} wrong, F1 {f1:.2f}; person on {people} cartoon frames")

    if not args.no_cartoon:
        frames = cartoon_frames()
        times, pictures = [t for t, _ in frames], [im for _, im in frames]
        objs = detector.detect(pictures)
        cartoon_tags = tagger.classify(pictures)
        people = [t for t, ds in zip(times, objs) if coco.counts(ds)["person"]]
        print(f"\n## Big Buck Bunny trailer: {len(frames)} frames, one every {CARTOON_EVERY_S:.0f} s")
        print(f"YOLOv3-tiny says person on {len(people)} frames: {', '.join(f'{t:.0f}s' for t in people) or 'none'}")
        try:
            from vidseek.extractors.objects import _MediapipePeople

            posed = [t for t, c in zip(times, _MediapipePeople(0.5).detect(pictures)) if c["person"]]
            print(f"the mediapipe face/pose default says person on {len(posed)} frames: "
                  f"{', '.join(f'{t:.0f}s' for t in posed) or 'none'}")
        except Exception as exc:  # mediapipe is optional here: only a comparison
            print(f"(mediapipe comparison skipped: {exc})")
        for t, ds, ts in zip(times, objs, cartoon_tags):
            print(f"  {t:5.1f}s  objects: {coco.describe(coco.counts(ds)) or '—':30s} tags: "
                  f"{', '.join(f'{x.label} {x.score:.2f}' for x in ts) or '—'}")


if __name__ == "__main__":
    main()
