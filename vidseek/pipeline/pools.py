"""Where a batch's per-video jobs run: local worker processes, or Ray actors on one machine or a cluster.

Both pools hold one Worker per process (models loaded once, then reused for every file it is handed),
yield a VideoResult per file as they finish, and pass the workers' progress events to `on_event` from a
background thread. A worker process that dies (out of memory, a crashing decoder) fails the file it was on
after one retry; the rest of the batch goes on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vidseek.errors import BackendFailure, BadRequest
from vidseek.pipeline.batch import BatchSettings, VideoResult, Worker, WorkerEvent

GIB = 1024**3
WORKER_MEMORY = 3 * GIB  # torch + Whisper + easyocr + mediapipe with room for decoded frames
DIED = "the worker process died while indexing it (out of memory or a crash in a decoder)"
EventSink = Callable[[WorkerEvent], None]


def available_memory() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def default_workers() -> int:
    """As many workers as cores, but no more than free memory holds (each keeps its own models)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    memory = available_memory()
    by_memory = max(1, memory // WORKER_MEMORY) if memory else cores
    return max(1, min(cores, by_memory))


class _Drain:
    """Moves events from a queue to the sink until stopped."""

    def __init__(self, get: Callable[[float], Any], sink: EventSink | None):
        self.get, self.sink = get, sink
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                event = self.get(0.2)
            except Exception:  # queue.Empty / ray's Empty / a closed queue: look again
                continue
            if self.sink is not None:
                self.sink(event)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2)


# --- local processes ------------------------------------------------------------------------------------------
_worker: Worker | None = None


def _watch_parent(parent: int) -> None:
    """A worker whose batch process was killed stops too, instead of running on as an orphan."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _start_local_worker(settings: BatchSettings, events: Any, threads: int) -> None:
    global _worker
    import torch

    from vidseek.quiet import quiet_libraries, to_log_file

    to_log_file(Path(settings.library) / "logs" / f"worker-{os.getpid()}.log")
    quiet_libraries()
    torch.set_num_threads(threads)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    _worker = Worker(settings, events.put)


def _run_local(path: str) -> VideoResult:
    assert _worker is not None
    return _worker.run(path)


class LocalPool:
    """Worker processes on this machine (spawned: forking a process that holds torch threads is unsafe)."""

    backend = "local"

    def __init__(self, settings: BatchSettings, workers: int | None = None, on_event: EventSink | None = None):
        import multiprocessing

        self.settings = settings
        self.workers = workers or default_workers()
        self.context = multiprocessing.get_context("spawn")
        self.events = self.context.Queue()
        self.started: set[str] = set()
        self.on_event = on_event
        self.drain = _Drain(lambda timeout: self.events.get(timeout=timeout), self._event)

    def _event(self, event: WorkerEvent) -> None:
        if event.kind == "start":
            self.started.add(event.path)
        if self.on_event:
            self.on_event(event)

    def _executor(self) -> Any:
        from concurrent.futures import ProcessPoolExecutor

        cores = os.cpu_count() or 1
        return ProcessPoolExecutor(self.workers, mp_context=self.context, initializer=_start_local_worker,
                                   initargs=(self.settings, self.events, max(1, cores // self.workers)))

    def results(self, paths: list[str]) -> Iterator[VideoResult]:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        tries: dict[str, int] = {}
        pending = list(paths)
        while pending:
            executor = self._executor()
            futures = {executor.submit(_run_local, p): p for p in pending}
            pending = []
            try:
                for future in as_completed(futures):
                    path = futures[future]
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        # every queued file fails with the pool; only those a worker had begun count a try
                        tries[path] = tries.get(path, 0) + (path in self.started)
                        if tries[path] >= 2:
                            yield VideoResult(path, "failed", error=DIED)
                        else:
                            self.started.discard(path)
                            pending.append(path)
            finally:
                executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self.drain.stop()


# --- Ray ------------------------------------------------------------------------------------------------------
class RayWorker:
    """The Ray actor: one Worker per actor process, its events sent to the driver through a Ray queue."""

    def __init__(self, settings: BatchSettings, events: Any):
        from vidseek.quiet import quiet_libraries

        quiet_libraries()  # Ray keeps the actor's output in its own log files
        self.worker = Worker(settings, lambda event: events.put(event))
        import ray

        # host:pid alone cannot tell two nodes on one host apart (or say which node of a cluster did a file)
        self.worker.name += f" node {ray.get_runtime_context().get_node_id()[:12]}"

    def run(self, path: str) -> VideoResult:
        return self.worker.run(path)


class RayPool:
    """The same per-video job as Ray actor tasks: `ray.init()` locally, or on the cluster at `address`."""

    backend = "ray"

    def __init__(self, settings: BatchSettings, workers: int | None = None, address: str | None = None,
                 cpus: float = 1.0, gpus: float = 0.0, on_event: EventSink | None = None, files: int | None = None):
        try:
            import ray
            from ray.util.queue import Queue
        except ImportError as exc:
            raise BadRequest("--ray needs Ray: pip install 'vidseek[ray]'") from exc
        self.ray = ray
        self.owns_ray = not ray.is_initialized()
        if self.owns_ray:
            try:
                ray.init(address=None if address in {None, "local"} else address, include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
            except Exception as exc:  # a wrong address, a cluster of another Ray version, …
                raise BackendFailure(f"cannot start or reach Ray at {address or 'a local instance'}: {exc}") from exc
        free_cpus = ray.cluster_resources().get("CPU", 1)
        self.workers = workers or max(1, min(int(free_cpus // max(cpus, 0.01)), files or 1 << 30))
        self.settings = settings
        self.actor_class = ray.remote(num_cpus=cpus, num_gpus=gpus)(RayWorker)
        self.events = Queue()
        self.drain = _Drain(lambda timeout: self.events.get(timeout=timeout), on_event)
        self.actors: list[Any] = []
        for _ in range(self.workers):
            self._actor()

    def _actor(self) -> Any:
        actor = self.actor_class.remote(self.settings, self.events)
        self.actors.append(actor)
        return actor

    def results(self, paths: list[str]) -> Iterator[VideoResult]:
        ray = self.ray
        queue = list(reversed(paths))
        tries: dict[str, int] = {}
        idle = list(self.actors)
        running: dict[Any, tuple[Any, str]] = {}
        while queue or running:
            while idle and queue:
                actor, path = idle.pop(), queue.pop()
                running[actor.run.remote(path)] = (actor, path)
            done, _ = ray.wait(list(running), num_returns=1)
            actor, path = running.pop(done[0])
            try:
                yield ray.get(done[0])
                idle.append(actor)
            except ray.exceptions.RayActorError:
                tries[path] = tries.get(path, 0) + 1
                if tries[path] >= 2:
                    yield VideoResult(path, "failed", error=DIED)
                else:
                    queue.append(path)
                idle.append(self._actor())  # replace the dead actor
            except ray.exceptions.RayError as exc:
                yield VideoResult(path, "failed", error=f"Ray: {exc}")
                idle.append(actor)

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        self.drain.stop()
        if self.owns_ray:
            self.ray.shutdown()
