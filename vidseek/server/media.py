"""Frames for the page: a small JPEG from a moment of a video, kept in the library once made (the cache is
bounded: past CACHE_BYTES the oldest thumbnails are dropped)."""

from __future__ import annotations

import io
import math
import os
import threading
from pathlib import Path

from PIL import Image

from vidseek import video as media
from vidseek.errors import BadRequest, NotFound

THUMB_SIDE = 240
MAX_READ_SIDE = 1280  # a small part's thumbnail is read from at most a frame this size
CACHE_BYTES = 64 * 1024 * 1024  # thumbnails kept per library
_sizes: dict[Path, int] = {}  # cache folder -> bytes in it as this process last counted
_sizes_lock = threading.Lock()


Box = tuple[float, float, float, float]  # a part of the frame, as fractions: x0, y0, x1, y1


def thumbnail(path: str, fingerprint: str, seconds: float, cache: Path, duration: float | None = None,
              limit: int | None = None, box: Box | None = None) -> bytes:
    """The frame at `seconds` (to a tenth; at or past the end: the last picture), as JPEG bytes, from the
    cache when made before; with `box`, only that part of it (a picture inside the picture that evidence
    names: vidseek.vision.regions), read at the size that makes the part THUMB_SIDE wide. Raises NotFound
    when the file holds no picture there."""
    if not math.isfinite(seconds):
        raise NotFound(f"no picture at {seconds} s")
    if duration is not None:
        seconds = min(seconds, duration)
    tenth = max(0, round(seconds * 10))
    part = "" if box is None else "-" + "_".join(f"{v:.3f}" for v in box)
    target = cache / fingerprint / f"{tenth:08d}{part}.jpg"
    if target.exists():
        return target.read_bytes()
    at = tenth / 10
    side = THUMB_SIDE if box is None else min(MAX_READ_SIDE, round(THUMB_SIDE / max(box[2] - box[0], box[3] - box[1])))
    frame = media.frames_at(path, [at], max_side=side)[0]
    if frame is None:
        raise NotFound(f"no picture at {at:.1f} s")
    picture = Image.fromarray(frame.image)
    if box is not None:
        w, h = picture.size
        picture = picture.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))
        picture.thumbnail((THUMB_SIDE, THUMB_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    data = buffer.getvalue()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_bytes(data)
        os.replace(partial, target)  # a request for the same frame meanwhile never reads half a file
    except OSError:  # a read-only or full library: the picture is still shown, just not kept
        return data
    _account(cache, len(data), CACHE_BYTES if limit is None else limit)
    return data


def thumbnail_url(video: str, start: float, end: float, box: Box | None = None) -> str:
    """The page's URL of a span's thumbnail: its middle frame, or only the part `box` of it."""
    part = f"&box={','.join(f'{v:.3f}' for v in box)}" if box else ""
    return f"/api/videos/{video}/thumbnail?t={(start + end) / 2:.1f}{part}"


def region_box(meta: object) -> Box | None:
    """The part of the frame evidence is about (the picture sources' meta['region']['box']), if it names one."""
    region = meta.get("region") if isinstance(meta, dict) else None
    box = region.get("box") if isinstance(region, dict) else None
    if isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box):
        return float(box[0]), float(box[1]), float(box[2]), float(box[3])
    return None


def parse_box(text: str) -> Box:
    """'x0,y0,x1,y1' (fractions of the frame, x0 < x1, y0 < y1) as a Box. Raises BadRequest otherwise."""
    try:
        x0, y0, x1, y1 = (float(v) for v in text.split(","))
    except ValueError:
        raise BadRequest(f"box: {text!r} is not four numbers x0,y0,x1,y1") from None
    if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
        raise BadRequest(f"box: {text!r} is not a part of the frame (fractions, x0 < x1 and y0 < y1)")
    return x0, y0, x1, y1


def _account(cache: Path, added: int, limit: int) -> None:
    with _sizes_lock:
        if cache not in _sizes:
            _sizes[cache] = sum(f.stat().st_size for f in cache.rglob("*.jpg"))
        else:
            _sizes[cache] += added
        if _sizes[cache] > limit:
            _sizes[cache] = prune(cache, limit * 3 // 4)


def prune(cache: Path, keep: int) -> int:
    """Delete the oldest thumbnails until at most `keep` bytes are left; the bytes left."""
    files = []
    for f in cache.rglob("*.jpg"):
        try:
            st = f.stat()
        except OSError:
            continue
        files.append((st.st_mtime, st.st_size, f))
    files.sort()
    total = sum(size for _, size, _ in files)
    for _, size, f in files:
        if total <= keep:
            break
        f.unlink(missing_ok=True)
        total -= size
    return total
