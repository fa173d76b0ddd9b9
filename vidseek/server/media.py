"""Frames for the page: a small JPEG from a moment of a video, kept in the library once made."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

from PIL import Image

from vidseek import video as media

THUMB_SIDE = 240


def thumbnail(path: str, fingerprint: str, seconds: float, cache: Path) -> bytes:
    """The frame at `seconds` (to a tenth), as JPEG bytes, from the cache when made before."""
    tenth = max(0, round(seconds * 10))
    target = cache / fingerprint / f"{tenth:08d}.jpg"
    if target.exists():
        return target.read_bytes()
    at = tenth / 10
    with media.FrameReader(path, fps=1.0, max_side=THUMB_SIDE) as reader:
        frames = reader.read(at, at + 1.0) or reader.read(max(0.0, at - 1.0), at + 0.01)
    if not frames:
        raise media.VideoError(f"no picture at {at:.1f} s")
    buffer = io.BytesIO()
    Image.fromarray(frames[0].image).save(buffer, format="JPEG", quality=80)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, target)  # a request for the same frame meanwhile never reads half a file
    return buffer.getvalue()
