"""Pictures inside the picture: the rectangles of a frame that hold a picture of their own (a news inset, a
screen or a framed picture in the shot), so the picture models can look at them at a size they see.

A full-frame look shrinks a corner inset to a few dozen pixels of the classifier's 224² and the detector's
416² input, where neither names it. An inset, a screen and a framed picture share one thing the rest of a
shot lacks: four straight borders at right angles, the inside a picture of its own. They are found
cheaply on edges (OpenCV's Canny, the outer contours simplified to four corners, ~2 ms a 640-pixel frame):
a region is a quadrilateral that fills its bounding box (a screen seen a little from the side still does),
covers MIN_AREA to MAX_AREA of the frame, is not a thin strip, and is not the frame's own border. Nested
finds of one picture (a monitor's bezel and its screen) keep the outer one.

Cost stays bounded: at most MAX_REGIONS a frame, and `looks` gives a region to the models only when it
appeared or changed (its crop differs from the last one looked at in that place, the picture test of
extractors.base), so a news inset held over a minute of footage is looked at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Chosen on benchmarks/vision_variants.py's insets and screens (22-38% of the frame's width: 3-12% of its
# area) and the Big Buck Bunny trailer's frames (where a found rectangle is a false look, paid in time).
MIN_AREA = 0.02  # smaller: too few pixels for either model (a 640x360 frame's 2% is ~68x68)
MAX_AREA = 0.6  # larger: the full-frame look already sees it
MIN_BORDER = 0.9  # of each side of the box that edges must run along: four straight borders
MIN_SIDE_RATIO = 0.25  # the shorter side over the longer: no thin strips (tickers, letterbox bars)
MAX_REGIONS = 2
LINE = 0.08  # of the frame's side: the shortest straight run of edge taken for a line
GAP = 9  # pixels: a gap this short in a border is closed
WIDTH = 640  # frames are looked over at most this wide (a 3-pixel border blurs away at 320)


@dataclass(frozen=True)
class Region:
    """A picture inside the frame: its box as fractions of the frame (x0, y0, x1, y1)."""

    box: tuple[float, float, float, float]

    @property
    def where(self) -> str:
        """Its place in the frame: 'lower right', 'upper left', 'top', 'left', 'centre'."""
        x0, y0, x1, y1 = self.box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        row = "upper" if cy < 0.4 else "lower" if cy > 0.6 else ""
        col = "left" if cx < 0.4 else "right" if cx > 0.6 else ""
        if row and col:
            return f"{row} {col}"
        return col or {"upper": "top", "lower": "bottom"}.get(row, "centre")

    @property
    def phrase(self) -> str:
        """Its place as evidence says it: 'in the lower right', 'on the left', 'at the top', 'in the centre'."""
        where = self.where
        if where in {"left", "right"}:
            return f"on the {where}"
        return f"at the {where}" if where in {"top", "bottom"} else f"in the {where}"

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return (x1 - x0) * (y1 - y0)

    def crop(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        x0, y0, x1, y1 = self.box
        return image[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)]

    def contains(self, other: Region) -> bool:
        x0, y0, x1, y1 = self.box
        a0, b0, a1, b1 = other.box
        return x0 - 0.01 <= a0 and y0 - 0.01 <= b0 and a1 <= x1 + 0.01 and b1 <= y1 + 0.01


def find(image: np.ndarray) -> list[Region]:
    """The pictures inside an RGB frame, largest first (at most MAX_REGIONS)."""
    import cv2

    h, w = image.shape[:2]
    small = image[..., :3] if w <= WIDTH else cv2.resize(image[..., :3], (WIDTH, max(1, round(h * WIDTH / w))),
                                                          interpolation=cv2.INTER_AREA)
    edges = cv2.Canny(cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY), 60, 160)
    # a border a pixel off the edge a contour ran along still counts: the sides are checked within a pixel
    thick = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    near = thick > 0
    sh, sw = edges.shape
    # Candidates: the boxes around the edges' contours, and around those of the edges' long straight runs
    # alone (a border broken at a corner, or run into the edges of the picture inside, hides its box among
    # the first; the second keep only lines, and borders are lines)
    lines = _lines(thick, (1, round(sw * LINE))) | _lines(thick, (round(sh * LINE), 1))
    found: list[Region] = []
    seen: set[tuple[int, int, int, int]] = set()
    boxes = [cv2.boundingRect(c) for c in cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]]
    on_lines = [cv2.boundingRect(c) for c in cv2.findContours(lines, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]]
    boxes += [(x + 1, y + 1, w - 2, h - 2) for x, y, w, h in on_lines]  # lines were thickened a pixel each side
    for box in boxes:
        if box in seen:
            continue
        seen.add(box)
        x, y, bw, bh = box
        if not MIN_AREA <= bw * bh / (sw * sh) <= MAX_AREA or min(bw, bh) < MIN_SIDE_RATIO * max(bw, bh):
            continue
        if x <= 1 and y <= 1 and x + bw >= sw - 1 and y + bh >= sh - 1:
            continue  # the frame itself
        x1, y1 = x + bw - 1, y + bh - 1
        sides = (near[y, x : x1 + 1], near[y1, x : x1 + 1], near[y : y1 + 1, x], near[y : y1 + 1, x1])
        if all(side.mean() >= MIN_BORDER for side in sides):
            found.append(Region((x / sw, y / sh, (x + bw) / sw, (y + bh) / sh)))
    return _outermost(found)[:MAX_REGIONS]


def _lines(edges: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The straight runs of edge at least `shape` long (rows, columns), small gaps in them closed first."""
    import cv2

    gap = (1, GAP) if shape[0] == 1 else (GAP, 1)
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones(gap, np.uint8))
    return cv2.morphologyEx(closed, cv2.MORPH_OPEN, np.ones(shape, np.uint8))


def _outermost(found: list[Region]) -> list[Region]:
    """One region per picture: of nested finds (a monitor's bezel and its screen, a frame and a line across
    the photo inside it) the outer one; the largest first."""
    kept: list[Region] = []
    for region in sorted(found, key=lambda r: -r.area):
        if not any(k.contains(region) for k in kept):
            kept.append(region)
    return kept


@dataclass(frozen=True)
class Look:
    """A region of one looked-at frame and the crop (index into `looks`' crops) whose result it takes."""

    region: Region
    crop: int


SAME_SHARE = 0.02  # extractors.base's picture test: under this share of a grey thumbnail's pixels moved
_PIXEL_CHANGE = 32  # by more than this many levels


def _thumbnail(image: np.ndarray) -> np.ndarray:
    """A grey 64x48 sample of the crop's inside: its outer 8% (a border, the box a pixel off) left out."""
    h, w = image.shape[:2]
    rows = np.linspace(0.08 * h, 0.92 * (h - 1), 48).astype(int)
    cols = np.linspace(0.08 * w, 0.92 * (w - 1), 64).astype(int)
    return image[rows][:, cols].mean(axis=2)


def _same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    return float((np.abs(_thumbnail(a) - _thumbnail(b)) > _PIXEL_CHANGE).mean()) <= SAME_SHARE


def looks(images: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[list[Look]]]:
    """The crops the picture models run on, and for each frame its regions with the crop each one takes.

    A region whose crop shows the same picture as the last crop looked at in about the same place (an
    inset held across shots) takes that crop's result instead of a new look."""
    crops: list[np.ndarray] = []
    last: list[tuple[Region, np.ndarray, int]] = []  # (region, its crop, index) of the latest looks
    out: list[list[Look]] = []
    for image in images:
        mine = []
        for region in find(image):
            crop = region.crop(image)
            before = next((at for r, c, at in last if _near(r, region) and _same_picture(c, r.crop(image))), None)
            if before is None:
                crops.append(crop)
                before = len(crops) - 1
                last = [item for item in last if not _near(item[0], region)] + [(region, crop, before)]
            mine.append(Look(region, before))
        out.append(mine)
    return crops, out


def _near(a: Region, b: Region) -> bool:
    return max(abs(p - q) for p, q in zip(a.box, b.box)) < 0.03


def of_segment(mine: Sequence[int], found: Sequence[Sequence[Look]]) -> list[tuple[Region, list[int]]]:
    """A segment's regions over its looks (indices into `found`, as extractors.base.picture_looks gives
    them): one per place in the frame ('lower right'), the first box seen there, with every crop it took."""
    places: dict[str, tuple[Region, list[int]]] = {}
    for at in mine:
        for look in found[at]:
            region, crops = places.setdefault(look.region.where, (look.region, []))
            if look.crop not in crops:
                crops.append(look.crop)
    return list(places.values())


def meta(region: Region) -> dict:
    """How a region travels in Evidence.meta: its box (fractions x0, y0, x1, y1) and its place in words."""
    return {"box": [round(v, 4) for v in region.box], "where": region.where}


def config() -> dict:
    """What changes the regions found, for the picture sources' cache keys."""
    return {"min_area": MIN_AREA, "max_area": MAX_AREA, "min_border": MIN_BORDER, "side_ratio": MIN_SIDE_RATIO,
            "max": MAX_REGIONS, "width": WIDTH, "same": SAME_SHARE}
