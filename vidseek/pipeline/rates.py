"""How fast this machine indexes, learned from its own runs: what `index` and `batch` say a job will take
before they start it.

A rate is seconds of work per second of video, per source (and for decoding and embedding), measured on
this machine: after every index run that did model work, the library's rates.json moves halfway towards what
was just measured. Rates are kept in "machine seconds" (wall seconds times the share of the cores the run
had), so a batch worker with half the cores and `vidseek index` with all of them teach the same numbers, and
a batch's estimate is its files' work over the whole machine. Before the first run the defaults are
deliberately slow (a 2-core machine without a GPU, twice the times in benchmarks/RESULTS.md): an estimate
that is too long surprises nobody.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vidseek.pipeline.cache import write_atomic

if TYPE_CHECKING:
    from vidseek.pipeline.index import IndexReport, Workload

log = logging.getLogger(__name__)

# seconds of work per second of video on 2 CPU cores (RESULTS.md: all sources at ~0.25x real time)
DEFAULT_RATES = {"wall": 1.0, "decode": 0.05, "speech": 0.3, "ocr": 0.25, "objects": 0.1, "tags": 0.05, "caption": 2.0,
                 "subtitle": 0.001, "embed": 0.02}
UNKNOWN_SOURCE = 0.5  # a plugin's source never measured here
FIXED_SECONDS = 20.0  # opening the file and loading the models (a command loads them anew), per file
LEARN = 0.5  # how far a run of LEARN_FULL seconds of video or more moves a rate towards what it measured
LEARN_FULL = 600.0  # shorter runs move it less: a 5 s clip is mostly model loading, not the rate


@dataclass
class Estimate:
    """What a job is expected to take, and from what."""

    seconds: float
    video_seconds: float  # seconds of video still to read (0: everything is cached)
    sources: list[str] = field(default_factory=list)
    measured: bool = False  # rates measured on this machine (else the conservative defaults)
    stages: dict[str, float] = field(default_factory=dict)  # expected seconds per progress stage

    def line(self, what: str) -> str:
        """`estimate: talk.mp4 (00:04:04; speech, ocr): about 00:02:10 at the rates measured on this machine`."""
        from vidseek.types import format_time

        if not self.video_seconds:
            return f"estimate: {what}: everything is indexed already, a few seconds"
        basis = "rates measured on this machine" if self.measured else "default rates (none measured here yet)"
        return (f"estimate: {what} ({format_time(self.video_seconds)} to read; {', '.join(self.sources)}): "
                f"about {format_time(max(1.0, self.seconds))} at {basis}")


@dataclass
class Rates:
    """Seconds of work per second of video, per source, as measured here (or the defaults)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def of(self, source: str) -> float:
        return self.seconds.get(source, DEFAULT_RATES.get(source, UNKNOWN_SOURCE))

    @property
    def measured(self) -> bool:
        return bool(self.seconds)

    def estimate(self, work: Workload, share: float = 1.0, fixed: float = FIXED_SECONDS) -> Estimate:
        """The wall time for `work` on `share` of this machine's cores (a batch worker has less than 1);
        `fixed`: the seconds of loading models on top (a batch's workers load them once, not per file)."""
        left = {s: v for s, v in work.sources.items() if v > 0}
        if not left:
            return Estimate(0.0, 0.0, sorted(work.sources), self.measured)
        stages = {s: self.of(s) * v for s, v in left.items()}
        stages["embed"] = self.of("embed") * work.video.duration
        parts = sum(stages.values()) + self.of("decode") * max(left.values())
        seconds = (self.of("wall") * parts + fixed) / max(share, 1e-3)
        return Estimate(seconds, max(left.values()), list(left), self.measured, stages)

    def learn(self, report: IndexReport, share: float = 1.0) -> None:
        """Move the rates towards what an index run measured (a run served from the cache teaches nothing).
        "wall" is how the run's wall time compares with the sum of its parts (under 1 where sound and
        pictures overlap).
        Each source's first chunk in a process (report.warmup: its model loading, which FIXED_SECONDS counts
        once per file) is left out, with the video it read: counted per second of video, a load made a short
        video's rates several times too slow."""
        if not report.chunks or not report.chunks_run:
            return
        read = report.video.duration * report.chunks_run / report.chunks  # seconds of video the models read
        if read <= 0:
            return
        measured: dict[str, float] = {}
        spent: dict[str, float] = {}  # seconds of steady work, per rate
        for key, seconds in report.seconds.items():
            if key == "total":
                continue
            name = "decode" if key == "audio" else key
            steady = read - report.warmup_video.get(key, 0.0)  # the video it read with its model loaded
            if steady <= 0:
                continue  # all of its work was its first chunk: it says nothing about the rate
            measured[name] = measured.get(name, 0.0) + seconds * share / steady
            spent[name] = spent.get(name, 0.0) + seconds
        parts = sum(spent.values())
        if parts > 0 and report.seconds.get("total"):  # the wall time of the same steady work
            measured["wall"] = max(0.0, report.seconds["total"] - sum(report.warmup.values())) / parts
        for name, rate in measured.items():
            self._move(name, rate, read)

    def _move(self, name: str, rate: float, read: float) -> None:
        old = self.of(name)  # from the default the first time: one short run says little
        self.seconds[name] = old + LEARN * min(1.0, read / LEARN_FULL) * (rate - old)

    def learn_embedding(self, seconds: float, duration: float, share: float = 1.0) -> None:
        if duration > 0 and seconds > 0:
            self._move("embed", seconds * share / duration, duration)


def core_share() -> float:
    """The share of the cores this process's models use: 1 for `vidseek index`, 1/workers in a batch worker
    (torch is told its thread count there; without torch loaded, nothing says otherwise)."""
    import os
    import sys

    torch = sys.modules.get("torch")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(1.0, torch.get_num_threads() / cores) if torch is not None else 1.0


def load(path: Path) -> Rates:
    """The rates kept at `path`; the defaults when there are none or they cannot be read (an estimate is never
    worth failing a command for)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seconds = {str(k): float(v) for k, v in data.get("seconds", {}).items()
                   if isinstance(v, (int, float)) and math.isfinite(v) and v >= 0}
        return Rates(seconds)
    except FileNotFoundError:
        return Rates()
    except (OSError, ValueError, AttributeError) as exc:
        log.debug("rates at %s unreadable (%s): defaults", path, exc)
        return Rates()


def save(path: Path, rates: Rates) -> None:
    """Kept whole or not at all; a library that cannot be written keeps its old rates, quietly."""
    try:
        write_atomic(path, {"seconds": {k: round(v, 5) for k, v in sorted(rates.seconds.items())}})
    except Exception as exc:  # an estimate is never worth failing an index run for
        log.debug("rates not saved at %s: %s", path, exc)
