"""The one interface every evidence source implements, and the pieces they share."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np

from vidseek.errors import SourceUnavailable
from vidseek.text import normalise_text
from vidseek.types import Evidence, Segment, Video

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
    cuts: tuple[float, ...] = ()  # times where a new shot starts among its frames (the segments' borders)

    @property
    def frames(self) -> list:
        return [f for s in self.segments for f in s.frames]


class Options:
    """Base of every extractor's options: a small frozen dataclass, checked once when it is made.

    Fields declared with `option(...)` become command-line flags of `vidseek index` and `vidseek batch` (the
    flag is the field name with dashes); fields declared plainly are settable from Python only."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise BadRequest for values the extractor cannot use (checked when the options are made)."""


@dataclass(frozen=True)
class NoOptions(Options):
    """For an extractor with nothing to choose."""


def option(default: Any, help: str, flag: str | None = None) -> Any:
    """A dataclass field that is also a CLI flag (`--field-name`, or `flag`), with its help text."""
    return field(default=default, metadata={"help": help, "flag": flag})


class Extractor(ABC):
    """Turns a chunk of a video into Evidence: the base of every evidence source, built-in or plugin.

    A source declares what it is (name, source, version, what it reads), its options, and only the hooks
    it needs; the defaults here say "no such need". Models load on first use, so a cache hit loads none.
    Register the class with `vidseek.extractors.register_extractor` (or the `vidseek.extractors` entry point
    group); the CLI, the cache and the page pick it up from there.
    """

    name: ClassVar[str]  # the registry key and the name in --sources
    version: ClassVar[str] = "1"  # bump when the output changes for the same input: it is in the cache key
    source: ClassVar[str]  # what its evidence is labelled with (usually the same as name)
    needs: ClassVar[frozenset[str]] = frozenset()  # FRAMES and/or AUDIO; empty: reads the file itself, once
    options_type: ClassVar[type[Options]] = NoOptions
    label: ClassVar[str] = ""  # how the page labels its evidence (default: the source in capitals)
    colour: ClassVar[str] = "#7f8c8d"  # the page's colour for its badge and timeline row
    supersedes: ClassVar[frozenset[str]] = frozenset()  # sources skipped when this one is available on a video
    audio_margin: ClassVar[float] = 0.0  # seconds of audio read beyond each chunk edge
    merge_gap: ClassVar[float | None] = None  # join equal-text evidence across chunks when this close (s)

    model_calls: int = 0  # how many times a model ran: a cache hit leaves this at 0

    @classmethod
    def from_options(cls, options: Options, device: str) -> Extractor:
        """The extractor configured by its options (the registry makes every extractor this way)."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(options)}, device=device)  # type: ignore[call-arg]

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Everything that changes the output; it is part of the cache key (keep it JSON-stable)."""

    def check(self, video: Video) -> None:
        """Raise SourceUnavailable (or ModelUnavailable), with a message for the user, when it cannot run.
        By default: when the video lacks a stream this source reads."""
        if FRAMES in self.needs and not video.has_video:
            raise SourceUnavailable("no video stream")
        if AUDIO in self.needs and not video.has_audio:
            raise SourceUnavailable("no audio stream")

    def available(self, video: Video) -> bool:
        """Whether this source has something on the video that makes `supersedes` apply (subtitles present)."""
        return False

    @classmethod
    def finish(cls, items: list[Evidence]) -> list[Evidence]:
        """A whole-video pass over this source's evidence as it is read from the library, every chunk's
        together: for what one chunk cannot decide alone (speech: which voice is S1). It must be cheap and
        run no model, since it runs on every read. By default: the evidence as stored."""
        return items

    def sidecar_stamp(self, video: Video) -> str:
        """A stamp of the files beside the video this source reads (names, sizes, times), for a source that
        needs no pictures or sound: a changed stamp means its output is out of date. By default: none."""
        return ""

    def notices(self) -> list[str]:
        """Problems met by the last run that the user should hear about (an unreadable subtitle file)."""
        return []

    @abstractmethod
    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]: ...


def cache_key(extractor: Extractor, sampling: dict[str, Any]) -> str:
    """Directory name for an extractor's output: name, version and a hash of every setting."""
    blob = json.dumps({"config": extractor.config(), "sampling": sampling}, sort_keys=True, default=str)
    return f"{extractor.name}-v{extractor.version}-{hashlib.sha1(blob.encode()).hexdigest()[:12]}"


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


# What the picture models (tags, objects) look at. One frame a segment, the middle one (or as many as
# asked), and one more for segments of LONG_SEGMENT_S or more (the picture may change inside them); a frame
# whose picture is the same as the last one looked at in the chunk (under SAME_PICTURE_SHARE of a 160x90
# grey thumbnail's pixels moved by more than 32 levels: the ocr source's test, looser as these models do not
# read small print) is not looked at again: it gets that frame's result. A shot shorter than LOOK_GAP_S that
# starts within LOOK_GAP_S of the last look is not looked at (no picture evidence): fast cutting (the Big
# Buck Bunny trailer's median shot is 1.0 s) would otherwise cost a look a second, and a picture shown for
# under 2 s is what the ocr source's probe every 2 s also lets go. Every shot of LOOK_GAP_S or more is seen.
LONG_SEGMENT_S = 6.0
LOOK_GAP_S = 2.0
SAME_PICTURE_SHARE = 0.02
_PIXEL_CHANGE = 32


def _picture_thumbnail(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return image[np.linspace(0, h - 1, 90).astype(int)][:, np.linspace(0, w - 1, 160).astype(int)].mean(axis=2)


def picture_looks(segments: Sequence[Segment], per_segment: int = 1, long_segment: float = LONG_SEGMENT_S,
                  same_share: float = SAME_PICTURE_SHARE, gap: float = LOOK_GAP_S,
                  ) -> tuple[list[np.ndarray], list[list[int]]]:
    """The frames a picture model runs on, and for each segment the indices (into them) of its looks.

    A segment whose looks all repeat the last picture shares its indices; one with no frames, or a short
    one soon after the last look, gets none."""
    images: list[np.ndarray] = []
    looks: list[list[int]] = []
    last: np.ndarray | None = None
    last_at = -np.inf
    for seg in segments:
        mine: list[int] = []
        if seg.end - seg.start < gap and seg.start - last_at < gap:
            looks.append(mine)
            continue
        for frame in seg.middle_frames(per_segment + (seg.end - seg.start >= long_segment)):
            thumb = _picture_thumbnail(frame.image)
            if last is None or float((np.abs(thumb - last) > _PIXEL_CHANGE).mean()) > same_share:
                images.append(frame.image)
                last, last_at = thumb, frame.time
            if len(images) - 1 not in mine:
                mine.append(len(images) - 1)
        looks.append(mine)
    return images, looks
