"""Two lanes of indexing work: sound (audio decode, speech) on one thread, pictures (frame decode, OCR,
objects, tags) on the calling thread, so two cores are both busy.

Why threads and not processes: the models release the GIL while they compute (ctranslate2 for Whisper,
torch, onnxruntime and OpenCV for the pictures), a thread shares the loaded models and the cache with no
copy, and the work is split by chunk so each (extractor, chunk) output is written as before: a crash keeps
what was done, a rerun does only the rest.

Each lane gets half the threads while both run (`thread_budget`): two models with one thread each keep two
cores busier than one model with two threads after the other (a thread pool scales under 2x on 2 cores).
The picture lane takes all threads back once the sound lane is done (torch's thread count is set per
calling thread, so the picture lane sets its own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

_budget = threading.local()


def cpu_threads() -> int:
    """Threads a model loaded on this thread should use: the lane's budget, else torch's setting (all cores,
    or a batch worker's share of them)."""
    given = getattr(_budget, "threads", None)
    if given:
        return int(given)
    import torch

    return max(1, torch.get_num_threads())


@contextmanager
def thread_budget(threads: int) -> Iterator[None]:
    """Models loaded on this thread inside the block use `threads` threads (Whisper reads it at load)."""
    before = getattr(_budget, "threads", None)
    _budget.threads = max(1, threads)
    try:
        yield
    finally:
        _budget.threads = before


class SoundLane:
    """Runs one job per chunk, in order, on its own thread, ahead of the picture work on the caller's thread.

    `wait(i)` returns when chunk i's job is done (re-raising its error), so progress and after-chunk hooks
    still see whole chunks. `close()` cancels jobs not started and waits for the running one."""

    def __init__(self, threads: int):
        self._threads = threads
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vidseek-sound")
        self._jobs: dict[int, Future[None]] = {}

    def submit(self, index: int, job: Callable[[], None]) -> None:
        self._jobs[index] = self._pool.submit(self._run, job)

    def _run(self, job: Callable[[], None]) -> None:
        with thread_budget(self._threads):
            job()

    @property
    def idle(self) -> bool:
        """Every job submitted so far has finished (the picture lane may take all threads back)."""
        return all(job.done() for job in self._jobs.values())

    def wait(self, index: int) -> None:
        job = self._jobs.pop(index, None)
        if job is not None:
            job.result()

    def close(self) -> None:
        for job in self._jobs.values():
            job.cancel()
        self._jobs.clear()
        self._pool.shutdown(wait=True)
