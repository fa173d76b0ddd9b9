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
from vidseek.errors import NotFound

THUMB_SIDE = 240
CACHE_BYTES = 64 * 1024 * 1024  # thumbnails kept per library
_sizes: dict[Path, int] = {}  # cache folder -> bytes in it as this process last counted
_sizes_lock = threading.Lock()


def thumbnail(path: str, fingerprint: str, seconds: float, cache: Path, duration: float | None = None,
              limit: int | None = None) -> bytes:
    """The frame at `seconds` (to a tenth; at or past the end: the last picture), as JPEG bytes, from the
    cache when made before. Raises NotFound when the file holds no picture there."""
    if not math.isfinite(seconds):
        raise NotFound(f"no picture at {seconds} s")
    if duration is not None:
        seconds = min(seconds, duration)
    tenth = max(0, round(seconds * 10))
    target = cache / fingerprint / f"{tenth:08d}.jpg"
    if target.exists():
        return target.read_bytes()
    at = tenth / 10
    frame = media.frames_at(path, [at], max_side=THUMB_SIDE)[0]
    if frame is None:
        raise NotFound(f"no picture at {at:.1f} s")
    buffer = io.BytesIO()
    Image.fromarray(frame.image).save(buffer, format="JPEG", quality=80)
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
