"""Photos found at the right time when shown full frame, as a picture-in-picture inset, or on a framed screen.

    python benchmarks/vision_variants.py                  # all three variants, seed 0
    python benchmarks/vision_variants.py --variant pip --keep out/   # one, keeping its video and library

Each variant is its own two-minute video (640x360, 2 fps, the NIAH haystacks' format) of the Big Buck
Bunny trailer's footage (examples/get_trailer.sh) with six real photos, one every 20 s, each shown for 6 s:
- `full`: the photo cut in full frame (squashed to 16:9, as the NIAH sets and synth.Photo show photos);
- `pip`: a news inset: the photo at 22% of the frame's width, its own aspect, a 3-pixel white border, in a
  corner (chosen by the seed) over the footage, which goes on moving behind it;
- `screen`: a screen or framed picture inside the shot, at 30-38% of the width away from the corners: on
  the footage a monitor (dark bezel, the photo dimmed and softened as a camera sees a screen), on a brick
  wall (scikit-image's brick texture, slowly panning) a picture in a wooden frame; alternating.
The photos (chosen before any scoring, from the packages benchmarks/vision_photos.py already reads): the
cat (scikit-image), the coffee (scikit-image), the motorcycle (scikit-image), the bus (ultralytics),
the dog and the horses (Debian darknet). A photo is *found* when an item of the picture sources (`tags`,
`objects`) overlaps its 6 s and names it in its word (a whole word, plural allowed; 'motorbike' for the
motorcycle too). Only the picture sources are indexed, into a fresh library each run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import vision_photos  # noqa: E402
from vidseek import synth, video  # noqa: E402

SIZE = (640, 360)
FPS = 2
SLOT_S = 20.0
NEEDLE_AT_S = 8.0  # into its slot
NEEDLE_S = 6.0
VARIANTS = ("full", "pip", "screen")
PICTURE_SOURCES = ["tags", "objects"]
# Smaller than the NIAH sets' 240-pixel insets (37% of the width), which the picture sources found whole
# frames at before this benchmark: a corner inset of a news picture or a screen in a room is this size.
PIP_WIDTH = 0.22
SCREEN_WIDTH = (0.30, 0.38)


@dataclass(frozen=True)
class Needle:
    photo: str  # the name in vision_photos.PHOTOS
    words: tuple[str, ...]  # what an item must say to count as finding it


NEEDLES = (Needle("chelsea", ("cat",)), Needle("coffee", ("coffee",)),
           Needle("motorcycle", ("motorcycle", "motorbike")),
           Needle("bus", ("bus",)), Needle("dog", ("dog",)), Needle("horses", ("horse",)))


@dataclass(frozen=True)
class Placed:
    """A needle in one video: when, and where its picture is drawn (x, y, w, h; None: full frame)."""

    needle: Needle
    start: float
    end: float
    box: tuple[int, int, int, int] | None
    style: str  # full | inset | monitor | framed


def footage() -> list[np.ndarray]:
    path = vision_photos.trailer()
    with video.FrameReader(path, fps=FPS, max_side=max(SIZE)) as reader:
        frames = reader.read(0, video.probe(path).duration)
    return [np.ascontiguousarray(f.image[: SIZE[1], : SIZE[0]]) for f in frames]


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).convert("RGB").resize((width, height), Image.Resampling.BILINEAR))


def _wall() -> np.ndarray:
    """A brick wall, warm-tinted, twice the frame's size so it can pan."""
    import skimage.data

    brick = skimage.data.brick().astype(np.float32) / 255
    tile = np.tile(brick, (2, 3))[: SIZE[1] * 2, : SIZE[0] * 2]
    tint = np.array([0.78, 0.45, 0.33], np.float32)
    return np.clip((0.35 + 0.9 * tile[..., None]) * tint * 255, 0, 255).astype(np.uint8)


def layout(variant: str, seed: int) -> list[Placed]:
    """Where and when each photo is shown in a variant's video."""
    rng = np.random.default_rng(seed)
    placed = []
    for i, needle in enumerate(NEEDLES):
        start = i * SLOT_S + NEEDLE_AT_S
        image = vision_photos.photo(needle.photo)
        aspect = image.shape[1] / image.shape[0]
        if variant == "full":
            box, style = None, "full"
        elif variant == "pip":
            w = round(SIZE[0] * PIP_WIDTH)
            h = round(w / aspect)
            right, bottom = rng.integers(0, 2, 2)
            x = SIZE[0] - w - 16 if right else 16
            y = SIZE[1] - h - 16 if bottom else 16
            box, style = (int(x), int(y), w, h), "inset"
        else:
            w = round(SIZE[0] * rng.uniform(*SCREEN_WIDTH))
            h = min(round(w / aspect), SIZE[1] - 80)
            w = round(h * aspect)
            x = int(rng.integers(60, SIZE[0] - w - 60 + 1))
            y = int(rng.integers(40, SIZE[1] - h - 40 + 1))
            box, style = (x, y, w, h), "monitor" if i % 2 == 0 else "framed"
        placed.append(Placed(needle, start, start + NEEDLE_S, box, style))
    return placed


def script(variant: str, seed: int, frames: list[np.ndarray]) -> tuple[synth.Script, list[Placed]]:
    placed = layout(variant, seed)
    pictures = {p.needle.photo: vision_photos.photo(p.needle.photo) for p in placed}
    wall = _wall()
    offsets = np.random.default_rng(seed + 1).uniform(0, len(frames) / FPS, len(placed) + 1)

    def draw(t: float, width: int, height: int) -> np.ndarray:
        slot = int(t // SLOT_S)
        index = int((offsets[min(slot, len(offsets) - 1)] + t - slot * SLOT_S) * FPS) % len(frames)
        canvas = frames[index].copy()
        for p in placed:
            if not p.start <= t < p.end:
                continue
            picture = pictures[p.needle.photo]
            if p.box is None:
                return _fit(picture, width, height)
            x, y, w, h = p.box
            if p.style == "inset":
                canvas[y - 3 : y + h + 3, x - 3 : x + w + 3] = 255
                canvas[y : y + h, x : x + w] = _fit(picture, w, h)
            elif p.style == "monitor":
                canvas[y - 12 : y + h + 12, x - 12 : x + w + 12] = (22, 22, 26)
                canvas[y + h + 12 : y + h + 40, x + w // 2 - 10 : x + w // 2 + 10] = (40, 40, 44)  # the stand
                shown = _fit(picture, w, h).astype(np.float32)
                shown = 0.82 * shown + 18  # a screen as a camera sees it: less contrast, a little glow
                soft = (shown + np.roll(shown, 1, 0) + np.roll(shown, 1, 1) + np.roll(shown, (1, 1), (0, 1))) / 4
                canvas[y : y + h, x : x + w] = np.clip(soft, 0, 255).astype(np.uint8)
            else:  # framed: the slot's footage gives way to a wall with the picture hung on it
                pan = int((t - p.start) / NEEDLE_S * 40)
                canvas = wall[pan : pan + height, pan : pan + width].copy()
                canvas[y - 14 : y + h + 14, x - 14 : x + w + 14] = (92, 58, 30)
                canvas[y - 4 : y + h + 4, x - 4 : x + w + 4] = (235, 230, 215)  # the mount
                canvas[y : y + h, x : x + w] = _fit(picture, w, h)
        return canvas

    duration = len(placed) * SLOT_S
    return synth.Script(duration=duration, size=SIZE, fps=FPS, scenes=[synth.Scene(0.0, draw=draw)],
                        audio=False), placed


def names(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(w)}s?\b", text.lower()) for w in words)


def run(variant: str, seed: int, frames: list[np.ndarray], keep: Path | None) -> dict:
    from vidseek import Library

    with tempfile.TemporaryDirectory() as tmp:
        where = keep / variant if keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        made, placed = script(variant, seed, frames)
        movie = synth.write_video(made, where / f"{variant}.mp4")
        library = Library(where / "library")
        began = time.perf_counter()
        library.index(movie, sources=PICTURE_SOURCES)
        seconds = time.perf_counter() - began
        evidence = library.evidence(movie, set(PICTURE_SOURCES))
        rows = []
        for p in placed:
            near = [e for e in evidence if e.start < p.end and e.end > p.start]
            hits = [e for e in near if names(e.text, p.needle.words)]
            rows.append({"photo": p.needle.photo, "at": p.start, "style": p.style, "box": p.box, "found": bool(hits),
                         "by": [f"{e.source}: {e.text[:90]}" for e in hits][:2],
                         "seen": [f"{e.source}: {e.text[:90]}" for e in near][:3]})
        outside = [e for e in evidence if not any(e.start < p.end and e.end > p.start for p in placed)]
        return {"variant": variant, "found": sum(r["found"] for r in rows), "of": len(rows),
                "index_s": round(seconds, 1), "rows": rows, "items": len(evidence), "items_on_footage": len(outside)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=VARIANTS, action="append")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep each variant's video and library here")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    frames = footage()
    results = [run(v, args.seed, frames, args.keep) for v in args.variant or VARIANTS]
    for r in results:
        print(f"\n## {r['variant']}: {r['found']}/{r['of']} found at the right time (index {r['index_s']} s; "
              f"{r['items']} picture items, {r['items_on_footage']} on the footage between the photos)")
        for row in r["rows"]:
            said = "; ".join(row["by"] or row["seen"]) or "nothing"
            print(f"  {'✓' if row['found'] else '✗'} {row['photo']:10s} {row['at']:5.1f} s {row['style']:7s} {said}")
    print("\n| variant | found |\n| --- | --- |")
    for r in results:
        print(f"| {r['variant']} | {r['found']}/{r['of']} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
