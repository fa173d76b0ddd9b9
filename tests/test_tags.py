"""The picture sources end to end: a generated video with real photos (scikit-image's cat, Debian darknet's
dog) indexed through the CLI with the default tags and objects sources, then searched and asked in words
people use ("which animal", "when is a dog shown")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.vision_photos import CALIBRATION_CARTOON_EVERY_S, cartoon_frames, photo
from tests.helpers import cli
from vidseek import synth
from vidseek.library import Library, LLMSettings

CAT = (10.0, 20.0)
DOG = (30.0, 40.0)
COFFEE = (50.0, 60.0)
CARTOON = (70.0, 80.0)  # Big Buck Bunny's bunny, which the bare COCO detector calls a person


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Library]:
    folder = tmp_path_factory.mktemp("pictures")
    bunny = dict(cartoon_frames(CALIBRATION_CARTOON_EVERY_S))[46.5]
    clip = synth.write_video(
        synth.Script(duration=90, size=(640, 360), fps=5, audio=False,
                     scenes=[synth.Scene(t, colour) for t, colour in
                             ((0.0, (20, 40, 90)), (CAT[0], (90, 90, 90)), (CAT[1], (30, 110, 60)),
                              (DOG[0], (80, 80, 80)), (DOG[1], (60, 30, 90)), (COFFEE[0], (70, 70, 70)),
                              (COFFEE[1], (40, 90, 40)), (CARTOON[0], (50, 50, 50)), (CARTOON[1], (90, 40, 40)))],
                     photos=[synth.Photo(*CAT, photo("chelsea"), box=(160, 0, 320, 360)),
                             synth.Photo(*DOG, photo("dog"), box=(120, 0, 400, 360)),
                             synth.Photo(*COFFEE, photo("coffee"), box=(400, 20, 220, 165)),  # an inset
                             synth.Photo(*CARTOON, bunny)]),
        folder / "pets.mp4")
    [indexed] = cli(["index", clip, "--sources", "tags,objects", "--device", "cpu", "-L", folder / "lib"])
    assert indexed["code"] == 0, indexed["stderr"]
    return clip, Library(folder / "lib", device="cpu")


def test_the_cat_is_tagged_with_its_general_names_in_its_segments(pictures) -> None:
    clip, lib = pictures
    tags = lib.evidence(clip, {"tags"})
    cats = [e for e in tags if " cat" in f" {e.text}"]
    assert cats and all(CAT[0] <= e.start and e.end <= CAT[1] for e in cats), [e.line() for e in tags]
    assert all("animal" in e.text for e in cats)  # the general name people ask with
    assert all(0 < e.confidence <= 1 and e.meta["tags"] for e in tags)


def test_the_dog_is_counted_as_an_object_in_its_segments(pictures) -> None:
    clip, lib = pictures
    dogs = [e for e in lib.evidence(clip, {"objects"}) if "dog" in e.text]
    assert dogs and all(DOG[0] <= e.start and e.end <= DOG[1] for e in dogs)


def test_the_cup_in_an_inset_is_found_as_coffee(pictures) -> None:
    """The whole-frame tagger sees a grey frame with a small picture; the cup's box, looked at again, is espresso."""
    clip, lib = pictures
    objects = lib.evidence(clip, {"objects"})
    coffee = [e for e in objects if "coffee" in e.text]
    assert coffee and all(COFFEE[0] <= e.start and e.end <= COFFEE[1] for e in coffee), [e.line() for e in objects]
    assert all("cup (espresso" in e.text and e.meta["tags"]["cup"][0] == "espresso" for e in coffee), coffee
    assert lib.ask("What is in the cup shown on screen?", ["soup", "coffee", "milk", "tea"], clip,
                   llm=LLMSettings(enabled=False)).choice == "B"


def test_the_inset_is_looked_at_alone_and_said_with_its_place_and_box(pictures) -> None:
    """The coffee inset is found as a picture inside the picture: its own evidence says where it is and how
    sure the model is, and carries its box for the page's thumbnail."""
    clip, lib = pictures
    inside = [e for e in lib.evidence(clip, {"objects", "tags"}) if "region" in e.meta]
    assert inside and all(COFFEE[0] <= e.start and e.end <= COFFEE[1] for e in inside), [e.line() for e in inside]
    assert any(e.text.startswith("in the upper right: ") and "coffee" in e.text for e in inside), inside
    x0, y0, x1, y1 = inside[0].meta["region"]["box"]
    assert abs(x0 - 400 / 640) < 0.02 and abs(y0 - 20 / 360) < 0.02 and abs(x1 - 620 / 640) < 0.02
    assert abs(y1 - 185 / 360) < 0.02 and inside[0].meta["region"]["where"] == "upper right"


def test_no_person_on_the_cartoon_bunny(pictures) -> None:
    clip, lib = pictures
    on_cartoon = [e for e in lib.evidence(clip, {"objects", "tags"}) if e.start < CARTOON[1] and e.end > CARTOON[0]]
    assert not any("person" in e.text for e in on_cartoon), [e.line() for e in on_cartoon]


def test_which_animal_and_when_is_answered_from_the_picture_sources(pictures) -> None:
    clip, lib = pictures
    hits = lib.search("which animal appears", k=4, video=clip)
    assert any(h.evidence.source == "tags" and CAT[0] <= h.evidence.start < CAT[1] for h in hits)
    answer = lib.ask("When is a dog shown?", ["00:00:05", "00:00:15", "00:00:35", "00:00:45"], clip,
                     llm=LLMSettings(enabled=False))
    assert answer.choice == "C", (answer.text, answer.notes)


def test_picture_models_look_once_at_a_picture_that_does_not_change() -> None:
    """One look a segment (two on a long one), and none again while the picture stays the same."""
    from vidseek.extractors.base import picture_looks
    from vidseek.types import Frame, Segment

    still, other = photo("chelsea")[:300, :400], photo("coffee")[:300, :400]

    def seg(start: float, end: float, image) -> Segment:
        return Segment("f", start, end, [Frame(t, image) for t in np.arange(start, end, 1.0)])

    segments = [seg(0, 3, still), seg(3, 6, still), seg(6, 14, other), seg(14, 15, still), Segment("f", 15, 16)]
    images, looks = picture_looks(segments)
    assert len(images) == 3  # the cat, the coffee (its long segment's two looks are one picture), the cat again
    assert looks == [[0], [0], [1], [2], []]


def test_a_short_shot_just_after_a_look_is_not_looked_at() -> None:
    """Fast cutting: shots under LOOK_GAP_S that start within it of the last look get none; longer ones all."""
    from vidseek.extractors.base import LOOK_GAP_S, picture_looks
    from vidseek.types import Frame, Segment

    a, b, c = photo("chelsea")[:300, :400], photo("coffee")[:300, :400], photo("rocket")[:300, :400]

    def seg(start: float, end: float, image) -> Segment:
        return Segment("f", start, end, [Frame(t, image) for t in np.arange(start, end, 0.25)])

    assert LOOK_GAP_S == 2.0
    segments = [seg(0, 1, a), seg(1, 2, b), seg(2, 3, c), seg(3, 5.5, b), seg(5.5, 6.5, a)]
    images, looks = picture_looks(segments)
    # 0-1 looked at (0.5 s); 1-2 starts 0.5 s after: skipped; 2-3 starts 1.5 s after: skipped; 3-5.5 is long
    # enough to be seen (4.25 s); 5.5-6.5 starts 1.25 s after that look: skipped
    assert looks == [[0], [], [], [1], []] and len(images) == 2
