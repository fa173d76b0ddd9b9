"""The records every part of vidseek passes around: videos, segments, evidence."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# A registered source's name ("speech", "ocr", … or a plugin's): an open set, so a plain str here; the names
# that exist are vidseek.extractors.source_names(), and the server's schema is built from them.
Source = str
# The sources of rows a model wrote from the evidence (vidseek summary's chapters and synopsis,
# pipeline/chapters.py): not evidence themselves, so searches leave them out unless asked, and label them.
DERIVED_SOURCES = frozenset({"chapter", "synopsis"})
MODEL_WRITTEN = "model-written"


def format_time(seconds: float) -> str:
    """Seconds as HH:MM:SS for people; records keep floats."""
    total = max(0, int(seconds)) if math.isfinite(seconds) else 0
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def short_time(seconds: float) -> str:
    """Seconds as a player shows them: "0:25", "12:05", "1:02:05". What answers name a moment with, and what
    compact prompts use: every digit is a prompt token, "00:01:05-00:01:11" costs 12 where "1:05-1:11" costs 6."""
    total = max(0, int(seconds)) if math.isfinite(seconds) else 0
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True)
class Video:
    """A probed media file: what it holds and the fingerprint that names it in the library."""

    path: str
    fingerprint: str
    duration: float
    fps: float
    width: int
    height: int
    has_video: bool
    has_audio: bool
    subtitle_streams: int = 0
    # the fingerprint of the bytes when `fingerprint` names a library entry of its own: a second file with
    # the same bytes elsewhere is its own entry (its own sidecar subtitles), sharing evidence drawn from the
    # content. Empty: the entry is named by its content.
    content: str = ""

    @property
    def content_id(self) -> str:
        return self.content or self.fingerprint

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Video:
        return cls(**data)


@dataclass
class Frame:
    """One decoded picture (RGB, HxWx3 uint8) at a time in the video."""

    time: float
    image: np.ndarray


@dataclass
class Segment:
    """A stretch of one shot (or a capped window of it) with the frames sampled from it."""

    fingerprint: str
    start: float
    end: float
    frames: list[Frame] = field(default_factory=list)

    def middle_frames(self, count: int = 1) -> list[Frame]:
        """The `count` frames nearest the middle: a caption or a detector looks at these."""
        if not self.frames:
            return []
        mid = (self.start + self.end) / 2
        ranked = sorted(self.frames, key=lambda f: abs(f.time - mid))[:count]
        return sorted(ranked, key=lambda f: f.time)


@dataclass(frozen=True)
class Evidence:
    """Anything an extractor says about a moment of a video: the unit that is stored and retrieved."""

    fingerprint: str
    start: float
    end: float
    source: Source
    text: str
    confidence: float = 1.0
    extractor: str = ""
    extractor_version: str = ""
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(**data)

    @property
    def derived(self) -> bool:
        """Written by a model from other evidence (a chapter, the synopsis), not drawn from the video."""
        return bool(self.meta.get("derived")) or self.source in DERIVED_SOURCES

    def source_label(self) -> str:
        """The source as people and models are shown it: model-written text says so."""
        return f"{self.source} ({MODEL_WRITTEN})" if self.derived else self.source

    def span(self) -> str:
        return f"{format_time(self.start)}–{format_time(self.end)}"

    def line(self) -> str:
        """The one-line form `vidseek evidence` and `search` print."""
        return f"{self.span()} [{self.source_label()}] {self.text}"


@dataclass(frozen=True)
class Citation:
    """A span an answer rests on; always one of the evidence spans that were retrieved."""

    fingerprint: str
    start: float
    end: float
    source: Source
    path: str = ""

    def label(self) -> str:
        source = f"{self.source} ({MODEL_WRITTEN})" if self.source in DERIVED_SOURCES else self.source
        return f"[{format_time(self.start)}–{format_time(self.end)} {source}]"


@dataclass
class Answer:
    """What `ask` returns: the answer, the option chosen, the spans that back it, and how it was reached."""

    question: str
    text: str
    choice: str | None = None  # the option letter, for multiple choice
    citations: list[Citation] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    mode: str = "extractive"  # or "llm"
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # how it was reached: the LLM's letter, the extractive
    # lead and margin, a rule that fired — what the measurements in benchmarks/ are computed from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
