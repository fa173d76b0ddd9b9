"""Index jobs the API starts: run one at a time in a background thread (they share the models), with
progress a client can poll."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from vidseek.errors import VidseekError
from vidseek.library import Library
from vidseek.pipeline.index import Indexer

MAX_WAITING = 8  # jobs queued or running at once; more is refused (429) rather than queued without end
KEEP_FINISHED = 50  # finished jobs the list remembers; older ones are forgotten


class TooManyJobs(VidseekError):
    """The queue is full: the client should try again when a job has finished."""

    status = 429


@dataclass
class Job:
    id: str
    path: str
    sources: tuple[str, ...] | None = None
    state: str = "queued"
    stages: dict[str, tuple[int, int]] = field(default_factory=dict)
    video: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def fraction(self) -> float:
        if self.state == "done":
            return 1.0
        done = sum(d for d, _ in self.stages.values())
        total = sum(t for _, t in self.stages.values())
        return done / total if total else 0.0


class IndexJobs:
    def __init__(self, library: Library, after: Callable[[], None] | None = None):
        self.library = library
        self.jobs: dict[str, Job] = {}
        self.indexers: dict[tuple[str, ...] | None, Indexer] = {}  # models stay loaded between jobs
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="vidseek-index")
        self.lock = threading.Lock()  # guards the job list
        self.after = after

    def start(self, path: Path, sources: list[str] | None) -> Job:
        """A job indexing the file; the one already waiting or running for it when there is one (the same
        file posted thirty times is indexed once). Raises BadRequest (unknown source), TooManyJobs."""
        key = tuple(sources) if sources else None
        with self.lock:
            if key not in self.indexers:
                self.indexers[key] = self.library.indexer(sources)  # BadRequest for an unknown source
            for job in self.jobs.values():
                if job.path == str(path) and job.sources == key and job.state in {"queued", "running"}:
                    return job
            waiting = sum(j.state in {"queued", "running"} for j in self.jobs.values())
            if waiting >= MAX_WAITING:
                raise TooManyJobs(f"{waiting} index jobs are waiting already; post again when one has finished")
            job = Job(uuid.uuid4().hex[:12], str(path), sources=key)
            self.jobs[job.id] = job
            self._forget_old()
        self.pool.submit(self._run, job, self.indexers[key])
        return job

    def _forget_old(self) -> None:
        finished = [i for i, j in self.jobs.items() if j.state in {"done", "failed"}]
        for job_id in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self.jobs[job_id]

    def _run(self, job: Job, indexer: Indexer) -> None:
        job.state = "running"

        def progress(stage: str, done: int, total: int) -> None:
            job.stages[stage] = (done, total)

        try:
            report = self.library.add(job.path, indexer, progress)
            job.video, job.counts = report.video.fingerprint, report.counts
            job.skipped, job.notices = report.skipped, report.notices
            job.state = "done"
            if self.after:
                self.after()
        except VidseekError as exc:
            job.state, job.error = "failed", str(exc)
        except Exception as exc:  # the job fails; the server goes on
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
