"""Pictures inside the picture (vidseek/vision/regions.py): insets, screens and framed pictures found on
real photos composed as a news inset or a monitor, none on full-frame photos or the cartoon trailer."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmarks.vision_photos import cartoon_frames, photo
from vidseek.vision import regions

SIZE = (640, 360)


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image).convert("RGB").resize((width, height)))


def _inset(background: np.ndarray, picture: np.ndarray, box: tuple[int, int, int, int], border: int = 3,
           colour: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    x, y, w, h = box
    frame = background.copy()
    frame[y - border : y + h + border, x - border : x + w + border] = colour
    frame[y : y + h, x : x + w] = _fit(picture, w, h)
    return frame


def _near(found: regions.Region, box: tuple[int, int, int, int], slack: float = 0.02) -> bool:
    x, y, w, h = box
    truth = (x / SIZE[0], y / SIZE[1], (x + w) / SIZE[0], (y + h) / SIZE[1])
    return all(abs(a - b) <= slack for a, b in zip(found.box, truth))


def test_a_corner_inset_is_found_where_it_is_and_said_in_words() -> None:
    street = _fit(photo("astronaut"), *SIZE)
    box = (480, 250, 141, 94)
    [found] = regions.find(_inset(street, photo("coffee"), box))
    assert _near(found, box), found
    assert found.where == "lower right" and found.phrase == "in the lower right"


def test_a_monitor_is_one_region_its_bezel_and_screen_together() -> None:
    wall = np.full((SIZE[1], SIZE[0], 3), (150, 120, 90), np.uint8)
    box = (60, 120, 230, 172)
    found = regions.find(_inset(wall, photo("chelsea"), box, border=12, colour=(22, 22, 26)))
    assert len(found) == 1 and _near(found[0], (48, 108, 254, 196)), found  # the bezel's outline
    assert found[0].phrase == "on the left"


def test_no_region_on_a_full_frame_photo() -> None:
    for name in ("astronaut", "chelsea", "coffee", "motorcycle"):
        assert regions.find(_fit(photo(name), *SIZE)) == [], name


def test_no_region_on_the_cartoon_trailer() -> None:
    try:
        frames = cartoon_frames()
    except Exception as exc:  # the trailer comes from PyPI (examples/get_trailer.sh)
        pytest.skip(f"no Big Buck Bunny trailer: {exc}")
    assert [t for t, image in frames if regions.find(image)] == []


def test_an_inset_held_over_moving_footage_is_looked_at_once_and_again_when_it_changes() -> None:
    box = (16, 16, 141, 106)
    one, two = _fit(photo("astronaut"), *SIZE), _fit(photo("rocket"), *SIZE)
    frames = [_inset(one, photo("coffee"), box), _inset(two, photo("coffee"), box), _inset(two, photo("chelsea"), box)]
    crops, looks = regions.looks(frames)
    assert len(crops) == 2
    assert [[look.crop for look in mine] for mine in looks] == [[0], [0], [1]]
    assert [look.region.where for mine in looks for look in mine] == ["upper left"] * 3


def test_a_segment_keeps_one_region_a_place_with_every_crop_it_took() -> None:
    left, right = regions.Region((0.02, 0.6, 0.25, 0.95)), regions.Region((0.7, 0.05, 0.97, 0.3))
    found = [[regions.Look(left, 0)], [regions.Look(left, 1), regions.Look(right, 2)]]
    assert regions.of_segment([0, 1], found) == [(left, [0, 1]), (right, [2])]
    assert regions.meta(right) == {"box": [0.7, 0.05, 0.97, 0.3], "where": "upper right"}
