"""Batch indexing: many files into one library, by a pool of workers that each load the models once.

The driver (the `vidseek batch` process) plans the batch — which files are new, which were finished by an
earlier run, which cannot be read — hands the rest to a worker pool (local processes or Ray actors, see
pools.py), and puts each finished video into the store. Workers only write the evidence cache, whose files
are written whole, so a batch killed at any moment resumes with no duplicate and no missing evidence.
With a chromadb server as the store, workers publish their own videos (a server takes many writers; the
embedded store is one process's).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from vidseek import extractors as ex
from vidseek.errors import VidseekError
from vidseek.pipeline import rates as speed
from vidseek.pipeline.cache import VideoRecord, write_atomic
from vidseek.pipeline.index import Indexer, IndexOptions
from vidseek.pipeline.rates import Estimate
from vidseek.types import Video
from vidseek.video import probe

Status = Literal["indexed", "unchanged", "done before", "duplicate", "failed"]
OK_STATUSES = ("indexed", "unchanged", "done before", "duplicate")


@dataclass
class BatchSettings:
    """Everything a worker needs to build its own Library and Indexer (picklable: it crosses processes)."""

    library: str
    store: str | None = None
    sources: list[str] | None = None
    extractors: ex.ExtractorSettings = field(default_factory=ex.ExtractorSettings)
    options: IndexOptions = field(default_factory=IndexOptions)

    @property
    def workers_publish(self) -> bool:
        """A shared server takes writes from every worker; an embedded store only from the driver."""
        from vidseek.store.base import store_kind

        return bool(self.store) and store_kind(str(self.store)).shared


@dataclass
class VideoResult:
    """What happened to one file of a batch; a row of the summary table and of the JSON report."""

    path: str
    status: Status = "failed"
    fingerprint: str = ""
    duration: float = 0.0
    evidence: int = 0
    seconds: float = 0.0
    error: str = ""
    worker: str = ""
    skipped: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    published: bool = False
    model_calls: dict[str, int] = field(default_factory=dict)  # per source: 0 where the cache had the work

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES


@dataclass
class WorkerEvent:
    """A worker's news for the progress display: it started a file, got through chunks, or finished."""

    worker: str
    kind: Literal["start", "progress", "done"]
    path: str
    done: int = 0
    total: int = 0
    stage: str = ""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Indexes one file after another with models loaded once; never raises for a bad file."""

    def __init__(self, settings: BatchSettings, emit: Callable[[WorkerEvent], None] | None = None):
        from vidseek.library import Library

        self.settings = settings
        self.library = Library(settings.library, settings.store, device=settings.extractors.device)
        self.indexer = self.library.indexer(settings.sources, settings.extractors, settings.options)
        self.emit = emit or (lambda event: None)
        self.name = worker_name()

    def run(self, path: str) -> VideoResult:
        started = time.perf_counter()
        result = VideoResult(path=path, worker=self.name)
        self.emit(WorkerEvent(self.name, "start", path))

        def progress(stage: str, done: int, total: int) -> None:
            self.emit(WorkerEvent(self.name, "progress", path, done, total, stage))

        try:
            report = self.library.add(path, self.indexer, progress, publish=self.settings.workers_publish)
            result.fingerprint, result.duration = report.video.fingerprint, report.video.duration
            result.evidence = sum(report.counts.values())
            result.skipped, result.notices = report.skipped, report.notices
            result.model_calls = report.model_calls
            worked = (report.chunks_run or any(report.model_calls.values()) or report.new_entry
                      or report.sidecars_changed)
            result.status = "indexed" if worked else "unchanged"
            result.published = self.settings.workers_publish
        except VidseekError as exc:
            result.status, result.error = "failed", str(exc)
        except Exception as exc:  # one bad file must not end the batch; the report keeps what went wrong
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
        result.seconds = time.perf_counter() - started
        self.emit(WorkerEvent(self.name, "done", path))
        return result


@dataclass
class Planned:
    """A file the driver has looked at: to index (with its duration for the ETA), or already decided."""

    path: str
    duration: float = 0.0
    fingerprint: str = ""
    result: VideoResult | None = None  # set when no worker needs to see the file
    note: str = ""  # told with the file's result (a twin of another file's content)


def finished(record: VideoRecord | None, indexer: Indexer, video: Video | None = None) -> bool:
    """True when an earlier run indexed the video completely with the extractors and settings asked now, and
    (given the entry `video`, at its path) no subtitle file beside it was added, removed or edited since: as
    `vidseek index` does, such a video is indexed again (only its sidecar sources run; the rest is cached)."""
    if record is None or not record.complete:
        return False
    if video is not None and indexer.sidecars_changed(video, record):
        return False
    sampling = indexer.options.sampling()
    for ext in indexer.extractors:
        key = ex.cache_key(ext, sampling if ext.needs else {})
        if record.sources.get(ext.source) != key and ext.source not in record.skipped:
            return False
    return True


@dataclass
class BatchReport:
    """The whole batch: one result per file, in the order the files were given."""

    results: list[VideoResult]
    backend: str
    workers: int
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    @property
    def failed(self) -> list[VideoResult]:
        return [r for r in self.results if not r.ok]

    def to_dict(self) -> dict[str, Any]:
        hours = sum(r.duration for r in self.results if r.ok) / 3600
        return {"backend": self.backend, "workers": self.workers, "seconds": round(self.seconds, 3),
                "counts": self.counts(), "hours_of_video": round(hours, 4),
                "videos": [asdict(r) for r in self.results]}

    def save(self, path: str | os.PathLike[str]) -> None:
        write_atomic(Path(path), self.to_dict())


def load_report(path: str | os.PathLike[str]) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


class Batch:
    """Plans a batch, runs the pending files on a pool, publishes and reports as results come in."""

    def __init__(self, settings: BatchSettings, embedder: Any = None):
        from vidseek.library import Library

        self.settings = settings
        self.library = Library(settings.library, settings.store, embedder, device=settings.extractors.device)
        # extractors are built but load no model here: the driver only needs their cache keys
        self.indexer = self.library.indexer(settings.sources, settings.extractors, settings.options)

    def plan(self, paths: Sequence[str | os.PathLike[str]]) -> list[Planned]:
        """Look at every file once: unreadable ones fail here, finished and repeated ones need no worker."""
        stored = {v.fingerprint: v.evidence for v in self.library.stored_videos()}
        first_path: dict[str, str] = {}  # the file given first for each path (spelled another way) …
        first_content: dict[str, str] = {}  # … and for each content
        entries: set[str] = set()
        planned = []
        for raw in paths:
            path = str(raw)
            item = Planned(path)
            try:
                video = probe(path)  # the same one-line reasons as `vidseek index` gives
                if video.path in first_path:  # one file named twice: one entry
                    item.result = VideoResult(path, "duplicate", video.fingerprint,
                                              error=f"same file as {first_path[video.path]}")
                else:
                    # another path with the same bytes is an entry of its own, as `vidseek index` makes it:
                    # it shares the evidence drawn from the content (its models run once, under the cache's
                    # lock) and keeps its own sidecars (its .srt)
                    named = self.library.cache.entry_for(video)  # the library entry of this path
                    entry = named.fingerprint
                    first_path[video.path] = path
                    item.duration = video.duration
                    twin = first_content.setdefault(video.fingerprint, path)
                    if twin != path:
                        item.note = f"same content as {twin}: its evidence from the pictures and sound is shared"
                    # two new twins both look like the content's first entry now: the second is named when indexed
                    item.fingerprint = "" if entry in entries else entry
                    entries.add(entry)
                    record = self.library.cache.record(entry)
                    if item.fingerprint and entry in stored and finished(record, self.indexer, named):
                        item.result = VideoResult(path, "done before", entry, video.duration,
                                                  evidence=stored[entry], published=True)
            except VidseekError as exc:
                item.result = VideoResult(path, "failed", error=str(exc))
            except OSError as exc:
                item.result = VideoResult(path, "failed", error=f"cannot read '{path}': {exc.strerror or exc}")
            planned.append(item)
        return planned

    def estimate(self, planned: list[Planned]) -> Estimate:
        """The files still to index, over this machine's cores, at the rates measured here (pipeline/rates.py):
        each content's work once (a twin adds only its sidecars)."""
        rates = speed.load(self.library.cache.layout.rates)
        total = Estimate(0.0, 0.0, [], rates.measured)
        for item in planned:
            if item.result is not None or item.note:
                continue
            try:
                one = rates.estimate(self.indexer.workload(item.path), fixed=0.0)  # models load once, below
            except (VidseekError, OSError):  # the worker reports it
                continue
            total.seconds += one.seconds
            total.video_seconds += one.video_seconds
            total.sources = sorted(set(total.sources) | set(one.sources))
        if total.video_seconds:
            total.seconds += speed.FIXED_SECONDS  # the workers load their models at once, once
        return total

    def publish(self, result: VideoResult) -> VideoResult:
        """Put a worker's video into the store (the driver is the embedded store's only writer)."""
        if result.ok and not result.published and result.fingerprint:
            try:
                self.library.publish(result.fingerprint)
                result.published = True
            except Exception as exc:  # the evidence stays cached: the next run publishes it
                result.status, result.error = "failed", f"indexed, but the store refused it: {exc}"
        return result

    def run(self, paths: Sequence[str | os.PathLike[str]], pool_factory: Callable[[int], Any],
            report_path: str | os.PathLike[str] | None = None,
            on_result: Callable[[VideoResult], None] | None = None,
            planned: list[Planned] | None = None) -> BatchReport:
        """Index every file; the report is rewritten after each one, so a killed batch leaves its record.
        `pool_factory(n)` makes the pool (LocalPool, RayPool) for n files, only when some need a worker."""
        started = time.perf_counter()
        planned = planned if planned is not None else self.plan(paths)
        by_path = {p.path: p for p in planned}
        results: dict[str, VideoResult] = {p.path: p.result for p in planned if p.result is not None}
        pending = [p.path for p in planned if p.result is None]
        report = BatchReport([], backend="none", workers=0)

        def record(result: VideoResult) -> None:
            results[result.path] = result
            report.results = [results[p.path] for p in planned if p.path in results]
            report.seconds = time.perf_counter() - started
            if report_path:
                report.save(report_path)
            if on_result:
                on_result(result)

        for path in results:
            if on_result:
                on_result(results[path])
        if pending:
            pool = pool_factory(len(pending))  # told how many files, so it starts no idle workers
            report.backend, report.workers = pool.backend, pool.workers
            try:
                for result in pool.results(pending):
                    if not result.duration:
                        result.duration = by_path[result.path].duration
                    if by_path[result.path].note and result.ok:
                        result.notices.insert(0, by_path[result.path].note)
                    record(self.publish(result))
            finally:
                pool.close()
        report.results = [results[p.path] for p in planned if p.path in results]
        report.seconds = time.perf_counter() - started
        if report_path:
            report.save(report_path)
        return report
