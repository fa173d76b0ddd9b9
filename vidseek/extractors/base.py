"""The one interface every evidence source implements, and the pieces they share."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vidseek.types import Evidence, Segment, Source, Video

FRAMES = "frames"
AUDIO = "audio"


@dataclass
class Chunk:
    """A stretch of a video handed to the extractors: its segments (with frames) and/or its audio.

    Extractors that need nothing (subtitles) get one chunk spanning the whole file.
    """

    index: int
    start: float
    end: float
    segments: list[Segment] = field(default_factory=list)
    audio: np.ndarray | None = None
    audio_start: float = 0.0

    @property
    def frames(self) -> list:
        return [f for s in self.segments for f in s.frames]


@runtime_checkable
class Extractor(Protocol):
    """Turns a chunk of a video into Evidence. Models load on first use, so a cache hit loads none."""

    name: str
    version: str
    source: Source
    needs: frozenset[str]  # FRAMES and/or AUDIO; empty: reads the file itself, once per run
    model_calls: int  # how many times a model ran: a cache hit leaves this at 0

    def config(self) -> dict[str, Any]:
        """Everything that changes the output; it is part of the cache key."""
        ...

    def check(self, video: Video) -> None:
        """Raise ModelUnavailable or VideoError (with a message for the user) when it cannot run."""
        ...

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]: ...


def cache_key(extractor: Extractor, sampling: dict[str, Any]) -> str:
    """Directory name for an extractor's output: name, version and a hash of every setting."""
    blob = json.dumps({"config": extractor.config(), "sampling": sampling}, sort_keys=True, default=str)
    return f"{extractor.name}-v{extractor.version}-{hashlib.sha1(blob.encode()).hexdigest()[:12]}"


def normalise_text(text: str) -> str:
    """Text as compared across frames: upper case letters and digits, single spaces."""
    return re.sub(r"[^0-9A-Z]+", " ", text.upper()).strip()


def merge_adjacent(items: Sequence[Evidence], max_gap: float) -> list[Evidence]:
    """Join evidence of the same source and text whose spans touch (across chunk borders, say)."""
    merged: list[Evidence] = []
    open_runs: dict[tuple[str, str], int] = {}
    for ev in sorted(items, key=lambda e: (e.start, e.end)):
        key = (ev.source, normalise_text(ev.text))
        at = open_runs.get(key)
        if at is not None and ev.start - merged[at].end <= max_gap:
            prev = merged[at]
            merged[at] = replace(prev, end=max(prev.end, ev.end), confidence=max(prev.confidence, ev.confidence))
            continue
        open_runs[key] = len(merged)
        merged.append(ev)
    return sorted(merged, key=lambda e: (e.start, e.end))


def keep_by_midpoint(start: float, end: float, lo: float, hi: float) -> bool:
    """Whether a span belongs to the chunk [lo, hi): overlapping windows keep each span once."""
    return lo <= (start + end) / 2 < hi
