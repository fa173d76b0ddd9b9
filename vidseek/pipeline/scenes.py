"""A video's scenes: the shots the indexer cuts the pictures into, kept at index time, read back as a list a
person looks at (`vidseek scenes`, the page's strip) with the first words said and shown in each.

The indexer already finds shot cuts (a colour histogram jump between sampled frames, vidseek/video.py) to cut
segments for the picture models; it keeps each chunk's cuts beside the evidence, so the list costs nothing
to read later and needs no file. A chunk's border is not a cut: shots run on across it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from vidseek.types import Evidence, Frame
from vidseek.video import CUT_THRESHOLD, colour_histogram, picture_change

CUTS_VERSION = 1  # bump when the cut rule changes: old cut lists are then made again
SAID = frozenset({"speech", "subtitle"})  # what people say
SHOWN = frozenset({"ocr"})  # text on the screen


@dataclass(frozen=True)
class ChunkCuts:
    """The shot cuts found in one indexed chunk [start, end): what the library keeps per chunk. The colours of
    its first and last pictures come along, so a cut right at a chunk's border (its first frame is compared
    with nothing while the chunk is cut) is found when the list is read."""

    start: float
    end: float
    cuts: tuple[float, ...] = ()
    first: tuple[float, ...] = ()  # colour histogram of its first sampled picture (empty: it had none)
    last: tuple[float, ...] = ()
    threshold: float = CUT_THRESHOLD

    @classmethod
    def of(cls, start: float, end: float, cuts: Sequence[float], frames: Sequence[Frame],
           threshold: float = CUT_THRESHOLD) -> ChunkCuts:
        def colours(frame: Frame) -> tuple[float, ...]:
            return tuple(round(float(v), 5) for v in colour_histogram(frame.image))

        return cls(start, end, tuple(cuts), colours(frames[0]) if frames else (),
                   colours(frames[-1]) if frames else (), threshold)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "cuts": list(self.cuts), "first": list(self.first),
                "last": list(self.last), "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChunkCuts:
        return cls(float(data["start"]), float(data["end"]), tuple(float(t) for t in data["cuts"]),
                   tuple(map(float, data["first"])), tuple(map(float, data["last"])), float(data["threshold"]))


@dataclass(frozen=True)
class Scene:
    """One shot (or a run of short ones, when a list was capped): its span and the first words in it."""

    index: int  # 1, 2, … in time order
    start: float
    end: float
    said: str = ""  # the first speech or subtitle line heard in it
    shown: str = ""  # the first on-screen text seen in it

    @property
    def middle(self) -> float:
        """Where its picture is taken from (a thumbnail, a contact sheet's tile)."""
        return (self.start + self.end) / 2

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "thumbnail_at": round(self.middle, 1)}


def cuts_key(sampling: dict[str, Any]) -> str:
    """The folder a cut list is kept in: the sampling that found it (fps, size, threshold, chunk) named by hash.
    '@' keeps it apart from every extractor's folder (their names are identifiers)."""
    blob = json.dumps(sampling, sort_keys=True, default=str)
    return f"@cuts-v{CUTS_VERSION}-{hashlib.sha1(blob.encode()).hexdigest()[:12]}"


def shots(chunks: Iterable[ChunkCuts]) -> list[tuple[float, float]]:
    """The shot spans, in order, from every chunk's cuts (chunks joined where they meet)."""
    ordered = sorted(chunks, key=lambda c: c.start)
    if not ordered:
        return []
    bounds = [ordered[0].start]
    for before, chunk in zip([None, *ordered], ordered):
        if before is not None and before.last and chunk.first and chunk.start > bounds[-1] \
                and picture_change(before.last, chunk.first) > chunk.threshold:
            bounds.append(chunk.start)  # the new chunk's first picture starts a shot
        bounds.extend(t for t in chunk.cuts if bounds[-1] < t < chunk.end)
    end = ordered[-1].end
    return [(a, b) for a, b in zip(bounds, [*bounds[1:], end]) if b > a]


def merged(spans: Sequence[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    """At most `limit` spans: the shortest joined to its shorter neighbour until few enough. A long film's
    two thousand shots become a list a page can show, and the long scenes stay whole."""
    starts = np.array([a for a, _ in spans], dtype=np.float64)
    ends = np.array([b for _, b in spans], dtype=np.float64)
    while len(starts) > max(1, limit):
        lengths = ends - starts
        i = int(np.argmin(lengths))  # the first of the shortest
        if i == 0 or (i < len(starts) - 1 and lengths[i + 1] < lengths[i - 1]):
            keep, drop = i, i + 1  # joined to the next one
        else:
            keep, drop = i - 1, i
        ends[keep] = ends[drop]
        starts, ends = np.delete(starts, drop), np.delete(ends, drop)
    return [(float(a), float(b)) for a, b in zip(starts, ends)]


def _first(evidence: Sequence[Evidence], sources: frozenset[str], start: float, end: float) -> str:
    """The first line of these sources in [start, end): one that begins inside it, else one running into it."""
    during = [e for e in evidence if e.source in sources and e.start < end and e.end > start]
    inside = [e for e in during if e.start >= start]
    chosen = (inside or during)[:1]
    return chosen[0].text if chosen else ""


def scenes(spans: Sequence[tuple[float, float]], evidence: Sequence[Evidence]) -> list[Scene]:
    """The scenes of these spans, each with the first words said and shown in it (evidence in time order)."""
    ordered = sorted(evidence, key=lambda e: (e.start, e.end))
    return [Scene(n, a, b, _first(ordered, SAID, a, b), _first(ordered, SHOWN, a, b))
            for n, (a, b) in enumerate(spans, start=1)]
