"""Indexing: decode a video once, chunk by chunk, run every extractor that has not run yet, keep the output.

Chunks have fixed times (CHUNK_S apart), so a rerun after a crash or a settings change knows exactly which
(extractor, chunk) outputs exist and does only the missing ones.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from vidseek import video as media
from vidseek.errors import BadRequest, SourceUnavailable, UnreadableInput
from vidseek.extractors.base import AUDIO, FRAMES, Chunk, Extractor, cache_key
from vidseek.pipeline.cache import EvidenceCache, VideoRecord
from vidseek.pipeline.lanes import SoundLane
from vidseek.pipeline.scenes import ChunkCuts, cuts_key
from vidseek.types import Video, format_time

log = logging.getLogger(__name__)

CHUNK_S = 60.0
CUT_OFF_S = 3.0  # pictures ending this long before the stated duration: the file was cut short
Progress = Callable[[str, int, int], None]  # (stage, chunks done, chunks in all)


@dataclass
class IndexOptions:
    """How frames are sampled and cut into segments; part of the cache key of frame extractors."""

    fps: float = 1.0
    max_side: int = media.MAX_SIDE
    chunk_seconds: float = CHUNK_S
    max_window: float = media.MAX_WINDOW_S
    cut_threshold: float = media.CUT_THRESHOLD
    # sound (audio + speech) on a thread of its own beside the pictures (lanes.py); not part of any output
    overlap: bool = True

    def __post_init__(self) -> None:
        if not (self.fps > 0 and self.chunk_seconds > 0 and self.max_side > 0 and self.max_window > 0):
            raise BadRequest("fps, chunk seconds, max side and window must be positive")

    def sampling(self) -> dict[str, Any]:
        return {"fps": self.fps, "max_side": self.max_side, "chunk": self.chunk_seconds,
                "window": self.max_window, "cut": self.cut_threshold}


@dataclass
class IndexReport:
    """What one index run did: counts, what it skipped and why, where the time went."""

    video: Video
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    model_calls: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    chunks_run: int = 0
    new_entry: bool = False  # the library had no finished entry for this path before (its twin's may be)
    # per source, the seconds of its first chunk in this process: its model loads then (once per process, not
    # per second of video), so the rates leave it out (pipeline/rates.py) and count the video it read apart
    warmup: dict[str, float] = field(default_factory=dict)
    warmup_video: dict[str, float] = field(default_factory=dict)
    sidecars_changed: bool = False  # a file beside the path was added, removed or edited since the last run


@dataclass
class Workload:
    """What indexing a file would do now: per source that applies, the seconds of video it still has to read
    (0 where the cache has all its chunks). What an estimate is made from."""

    video: Video
    sources: dict[str, float] = field(default_factory=dict)


class Indexer:
    """Runs a fixed set of extractors over videos into one library; models stay loaded between videos."""

    def __init__(
        self,
        cache: EvidenceCache,
        extractors: Sequence[Extractor],
        options: IndexOptions | None = None,
        requested: set[str] | None = None,
    ):
        self.cache = cache
        self.extractors = list(extractors)
        self.options = options or IndexOptions()
        self.requested = requested  # sources the user named; None: every source that applies
        self.warm: set[str] = set()  # sources that have run a chunk in this process (their model is loaded)
        # told when another process is indexing the same video: this one waits for it, then finds its work
        self.on_wait: Callable[[Video], None] | None = None

    def _applicable(self, video: Video, report: IndexReport) -> list[Extractor]:
        chosen = []
        # a source that is present on this video (subtitles) makes the ones it supersedes (speech) skip,
        # unless the user named them
        superseded = {s: x.source for x in self.extractors if x.supersedes and x.available(video)
                      for s in x.supersedes if not (self.requested and s in self.requested)}
        pictures, sound = media.decodable(video.path) if any(x.needs for x in self.extractors) else (True, True)
        broken = {FRAMES: "the pictures cannot be decoded (the file is damaged or cut off near its start)",
                  AUDIO: "the sound cannot be decoded (the file is damaged or cut off near its start)"}
        for ext in self.extractors:
            unreadable = [broken[n] for n, ok, present in ((FRAMES, pictures, video.has_video),
                                                           (AUDIO, sound, video.has_audio))
                          if n in ext.needs and present and not ok]
            if unreadable:
                report.skipped[ext.source] = unreadable[0]
                continue
            if ext.source in superseded:
                by = superseded[ext.source]
                report.skipped[ext.source] = f"{by} evidence present (add {ext.source} to --sources to run it anyway)"
                continue
            try:
                ext.check(video)
            except SourceUnavailable as exc:
                report.skipped[ext.source] = str(exc)
                continue
            chosen.append(ext)
        return chosen

    def sidecar_stamps(self, video: Video) -> dict[str, str]:
        """Per source that reads files beside the path (needs no pictures or sound), a stamp of those files now,
        kept in the record: the files found there, or none."""
        return {x.source: x.sidecar_stamp(video) for x in self.extractors if not x.needs}

    def sidecars_changed(self, video: Video, record: VideoRecord | None) -> bool:
        """Whether a file beside the path was added, removed or edited since the record was made: then the
        entry is out of date, though every cache key still matches (its sidecar sources must run again)."""
        kept = record.sidecars if record is not None else {}
        return any(kept.get(source, "") != stamp for source, stamp in self.sidecar_stamps(video).items())

    def workload(self, path: str | Path) -> Workload:
        """The work `index(path)` would do now, read from the cache without running a model. Raises what
        index raises for a file that cannot be read."""
        video = self.cache.entry_for(media.probe(path))
        extractors = self._applicable(video, IndexReport(video=video))
        record = self.cache.record(video.fingerprint)
        sampling, step = self.options.sampling(), self.options.chunk_seconds
        chunks = max(1, math.ceil(video.duration / step - 1e-9))
        work = Workload(video)
        changed = self.sidecars_changed(video, record)
        for ext in extractors:
            key = cache_key(ext, sampling if ext.needs else {})
            if not ext.needs:  # a sidecar is read again on every run, but costs nothing once indexed
                done = (record is not None and record.complete and record.sources.get(ext.source) == key
                        and not changed)
                work.sources[ext.source] = 0.0 if done else video.duration
                continue
            work.sources[ext.source] = sum(min((i + 1) * step, video.duration) - i * step for i in range(chunks)
                                           if not self.cache.has(video.content_id, key, _part(i)))
        return work

    def index(self, path: str | Path, progress: Progress | None = None,
              after_chunk: Callable[[int], None] | None = None) -> IndexReport:
        """Index one file. Raises UnreadableInput, before writing anything, when nothing in it can be indexed."""
        started = time.perf_counter()
        video = media.probe(path)
        # locked by content: entries of the same bytes share its evidence, and one process makes it
        with self.cache.lock(video.fingerprint, lambda: self.on_wait(video) if self.on_wait else None):
            return self._index(path, self.cache.entry_for(video), started, progress, after_chunk)

    def _index(self, path: str | Path, video: Video, started: float, progress: Progress | None,
               after_chunk: Callable[[int], None] | None) -> IndexReport:
        report = IndexReport(video=video)
        extractors = self._applicable(video, report)
        if not extractors:
            reasons = "; ".join(f"{s}: {why}" for s, why in report.skipped.items())
            raise UnreadableInput(f"nothing to index in '{path}' ({reasons})")
        sampling = self.options.sampling()
        keys = {ext.source: cache_key(ext, sampling if ext.needs else {}) for ext in extractors}
        previous = self.cache.record(video.fingerprint)
        report.new_entry = previous is None or not previous.complete
        report.sidecars_changed = self.sidecars_changed(video, previous)
        sources = {**(previous.sources if previous else {}), **keys}  # sources not run now keep their output
        skipped = {s: why for s, why in report.skipped.items() if s not in sources}
        # extractors that need no pictures or sound read files beside this path: their output is this entry's
        owned = sorted({s for s in (previous.owned if previous else []) if s not in keys}
                       | {x.source for x in extractors if not x.needs})
        # the shot cuts come with the pictures: kept whenever a picture source decodes them (pipeline/scenes.py)
        cuts = cuts_key(sampling) if any(FRAMES in x.needs for x in extractors) else ""
        record = VideoRecord(video=video, sources=sources, skipped=skipped, owned=owned,
                             cuts=cuts or (previous.cuts if previous else ""), sidecars=self.sidecar_stamps(video))
        self.cache.save_record(record)
        calls_before = {ext.source: ext.model_calls for ext in extractors}

        for ext in (x for x in extractors if not x.needs):
            tick = time.perf_counter()
            if progress:
                progress(ext.source, 0, 1)
            found = list(ext.run(video, Chunk(0, 0.0, video.duration)))
            self.cache.put(video.fingerprint, keys[ext.source], "all", found)
            if progress:
                progress(ext.source, 1, 1)
            report.notices.extend(ext.notices())
            report.seconds[ext.source] += time.perf_counter() - tick

        chunked = [x for x in extractors if x.needs]
        if chunked:  # evidence drawn from the bytes: kept under the content, shared by its entries
            self._run_chunks(replace(video, fingerprint=video.content_id, content=""), chunked, keys, report,
                             progress, after_chunk, cuts)

        for ext in extractors:
            report.model_calls[ext.source] = ext.model_calls - calls_before[ext.source]
        # a rerun from cache decodes nothing, so it cannot see problems again: keep what the first run saw
        record.notices = report.notices if report.chunks_run or not previous else previous.notices
        report.notices = record.notices
        record.complete = True
        self.cache.save_record(record)
        for item in self.cache.evidence(video.fingerprint):
            report.counts[item.source] = report.counts.get(item.source, 0) + 1
        report.seconds["total"] = time.perf_counter() - started
        return report

    def _run_chunks(self, video: Video, extractors: list[Extractor], keys: dict[str, str],
                    report: IndexReport, progress: Progress | None,
                    after_chunk: Callable[[int], None] | None, cuts: str = "") -> None:
        opts = self.options
        total = max(1, math.ceil(video.duration / opts.chunk_seconds - 1e-9))
        report.chunks = total
        bounds = [(i * opts.chunk_seconds, min((i + 1) * opts.chunk_seconds, video.duration)) for i in range(total)]

        def missing(exts: list[Extractor], i: int) -> list[Extractor]:
            return [x for x in exts if not self.cache.has(video.fingerprint, keys[x.source], _part(i))]

        threads = _torch_threads() if opts.overlap else 1
        sound = [x for x in extractors if x.needs == {AUDIO}] if threads >= 2 else []
        inline = [x for x in extractors if x not in sound]
        if not inline:  # nothing to overlap with
            sound, inline = [], extractors
        lane = SoundLane(threads // 2) if sound else None
        sound_pending = [missing(sound, i) for i in range(total)]
        try:
            if lane:
                _set_torch_threads(threads - threads // 2)
                for i, pending in enumerate(sound_pending):
                    if pending:
                        lane.submit(i, partial(self._run_sound, video, i, bounds[i], pending, keys, report))
            with media.FrameReader(video.path, fps=opts.fps, max_side=opts.max_side) as reader:
                for i in range(total):
                    start, end = bounds[i]
                    pending = missing(inline, i)
                    # a library indexed before cut lists were kept gets them now: its pictures are decoded again
                    uncut = bool(cuts) and not self.cache.has(video.fingerprint, cuts, _part(i))
                    if pending or sound_pending[i] or uncut:
                        report.chunks_run += 1
                    if pending or uncut:
                        chunk = self._load_chunk(video, reader, i, start, end, pending, report, pictures=uncut)
                        # each source's step is told as soon as it is done, not when the whole chunk is: a
                        # chunk holds minutes of model work on a small machine (finer than a source's chunk
                        # is not cheap: the models read a chunk's frames as one batch)
                        told = (lambda ext, n=i + 1: progress(ext.source, n, total)) if progress else None
                        self._run_extractors(video, chunk, pending, keys, report, told)
                        if uncut:
                            self.cache.put_cuts(video.fingerprint, cuts, _part(i),
                                                ChunkCuts.of(start, end, chunk.cuts, chunk.frames, opts.cut_threshold))
                    if lane:
                        lane.wait(i)
                        if lane.idle:  # the sound lane is done: the pictures get every thread
                            _set_torch_threads(threads)
                    for ext in extractors:
                        if progress:
                            progress(ext.source, i + 1, total)
                    if after_chunk:
                        after_chunk(i)
                    if reader.broken_at is not None:
                        report.notices.append(
                            f"the video stream is broken near {format_time(reader.broken_at)}: indexed up to there"
                        )
                        break
        finally:
            if lane:
                lane.close()
                _set_torch_threads(threads)
        if reader.damaged:
            spans = ", ".join(f"{format_time(a)}–{format_time(b)}" for a, b in _merged(reader.damaged))
            report.notices.append(f"the video stream is damaged at {spans}: indexed around it")
        wanted_frames = any(FRAMES in x.needs for x in extractors)
        ends = reader.last_time
        if wanted_frames and reader.broken_at is None and ends is not None and ends < video.duration - CUT_OFF_S:
            report.notices.append(f"the pictures end at {format_time(ends)} of {format_time(video.duration)} "
                                  "(the file looks cut off): indexed up to there")

    def _run_extractors(self, video: Video, chunk: Chunk, pending: list[Extractor], keys: dict[str, str],
                        report: IndexReport, done: Callable[[Extractor], None] | None = None) -> None:
        for ext in pending:
            tick = time.perf_counter()
            found = list(ext.run(video, chunk))
            self.cache.put(video.fingerprint, keys[ext.source], _part(chunk.index), found)
            if ext.source in self.warm:
                report.seconds[ext.source] += time.perf_counter() - tick
            else:  # its model loaded in this run: timed apart
                self.warm.add(ext.source)
                report.warmup[ext.source] = time.perf_counter() - tick
                report.warmup_video[ext.source] = chunk.end - chunk.start
            if done:
                done(ext)

    def _run_sound(self, video: Video, index: int, span: tuple[float, float], pending: list[Extractor],
                   keys: dict[str, str], report: IndexReport) -> None:
        """One chunk of the sound lane: its audio decoded and heard, beside the picture work."""
        chunk = self._load_chunk(video, None, index, span[0], span[1], pending, report)
        self._run_extractors(video, chunk, pending, keys, report)

    def _load_chunk(self, video: Video, reader: media.FrameReader | None, index: int, start: float, end: float,
                    pending: list[Extractor], report: IndexReport, pictures: bool = False) -> Chunk:
        opts = self.options
        chunk = Chunk(index, start, end)
        if reader is not None and (pictures or any(FRAMES in x.needs for x in pending)):
            tick = time.perf_counter()
            frames = reader.read(start, end)
            chunk.cuts = tuple(t for t in media.scene_cuts(frames, opts.cut_threshold) if start < t < end)
            chunk.segments = media.segment(video.fingerprint, frames, start, end, opts.max_window, cuts=chunk.cuts)
            report.seconds["decode"] += time.perf_counter() - tick
        listening = [x for x in pending if AUDIO in x.needs]
        if listening:
            tick = time.perf_counter()
            margin = max(x.audio_margin for x in listening)
            chunk.audio_start = max(0.0, start - margin)
            chunk.audio = media.load_audio(video.path, chunk.audio_start, min(video.duration, end + margin))
            report.seconds["audio"] += time.perf_counter() - tick
        return chunk


def _part(index: int) -> str:
    """The cache's name for one chunk's output."""
    return f"chunk-{index:05d}"


def _torch_threads() -> int:
    import torch

    return max(1, torch.get_num_threads())


def _set_torch_threads(threads: int) -> None:
    """Torch's thread count for models run on this thread (set per calling thread)."""
    import torch

    torch.set_num_threads(max(1, threads))


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping damaged stretches as one."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
