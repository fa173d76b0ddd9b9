"""An ONNX graph on onnxruntime whose CPU threads follow the calling lane's budget.

onnxruntime fixes a session's threads when the session is made. The picture lane has one thread while
speech runs beside it and every thread once speech is done (vidseek/pipeline/lanes.py), so a session made
on the first chunk would keep one thread for the rest of the video. Here each call runs on a session for
the thread count the lane has now, made the first time that count is seen (about 0.1 s, at most one per
count).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

log = logging.getLogger(__name__)


def has_cuda() -> bool:
    """Whether the installed onnxruntime can run on a CUDA GPU (the PyPI `onnxruntime` wheel cannot)."""
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


class OnnxModel:
    """`run(outputs, feeds)` as onnxruntime's, on the CPU with the lane's threads, or on CUDA where asked for
    and the installed onnxruntime has it."""

    def __init__(self, graph: bytes, device: str = "cpu", name: str = "model"):
        self._graph, self._name = graph, name
        self._cuda = device.startswith("cuda") and has_cuda()
        if device.startswith("cuda") and not self._cuda:  # the wheel vidseek installs is the CPU one
            log.info("this onnxruntime has no CUDA provider; the %s runs on the CPU", name)
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int):
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.log_severity_level = 3  # onnxruntime's own warnings are about its internals
                providers = ["CUDAExecutionProvider"] * self._cuda + ["CPUExecutionProvider"]
                self._sessions[threads] = ort.InferenceSession(self._graph, options, providers=providers)
            return self._sessions[threads]

    @property
    def threads_seen(self) -> tuple[int, ...]:
        """The thread counts a session was made for so far."""
        return tuple(sorted(self._sessions))

    def run(self, outputs: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        from vidseek.pipeline.lanes import cpu_threads

        return self._session(0 if self._cuda else cpu_threads()).run(outputs, feeds)
