"""The indexer's two lanes: sound work runs on its own thread beside the picture work, with the same output,
the same resume after a crash, and the sound lane's errors reaching the caller."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest

from vidseek.extractors import AUDIO, FRAMES, Chunk, Extractor
from vidseek.pipeline import index as index_module
from vidseek.pipeline.cache import EvidenceCache
from vidseek.pipeline.index import Indexer, IndexOptions
from vidseek.pipeline.lanes import cpu_threads, thread_budget
from vidseek.types import Evidence, Video

WORK_S = 0.25  # per chunk and lane: long enough that running side by side shows in the wall time


class _Timed(Extractor):
    """Sleeps per chunk (as a model releasing the GIL would compute) and notes when and on which thread."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, str]] = []
        self.fail_at: int | None = None

    def config(self) -> dict[str, Any]:
        return {}

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        if chunk.index == self.fail_at:
            raise RuntimeError(f"{self.name} failed on chunk {chunk.index}")
        began = time.perf_counter()
        time.sleep(WORK_S)
        self.spans.append((began, time.perf_counter(), threading.current_thread().name))
        self.model_calls += 1
        # what this extractor needs of the chunk, so either lane gives the same text
        got = f"{len(chunk.audio)} samples" if AUDIO in self.needs else f"{len(chunk.segments)} segments"
        return [Evidence(video.fingerprint, chunk.start, chunk.end, self.source, f"{self.name}: {got}",
                         extractor=self.name, extractor_version=self.version)]


class _Ears(_Timed):
    name = source = "ears"
    needs = frozenset({AUDIO})


class _Eyes(_Timed):
    name = source = "eyes"
    needs = frozenset({FRAMES})


@pytest.fixture
def two_threads(monkeypatch) -> None:
    """The lanes split torch's threads; give this machine's indexer two whatever its core count."""
    monkeypatch.setattr(index_module, "_torch_threads", lambda: 2)
    monkeypatch.setattr(index_module, "_set_torch_threads", lambda n: None)


def _run(tmp_path, video, overlap: bool, name: str) -> tuple[list[dict], float, _Ears, _Eyes]:
    ears, eyes = _Ears(), _Eyes()
    cache = EvidenceCache(tmp_path / name)
    began = time.perf_counter()
    report = Indexer(cache, [ears, eyes], IndexOptions(chunk_seconds=2.0, overlap=overlap)).index(video)
    took = time.perf_counter() - began
    return [e.to_dict() for e in cache.evidence(report.video.fingerprint)], took, ears, eyes


def test_sound_runs_beside_the_pictures_with_the_same_output(needle_video, two_threads, tmp_path) -> None:
    together, overlapped_s, ears, eyes = _run(tmp_path, needle_video, True, "overlap")
    alone, sequential_s, *_ = _run(tmp_path, needle_video, False, "sequential")
    assert together == alone
    assert {thread for *_, thread in ears.spans} == {"vidseek-sound_0"}
    assert {thread for *_, thread in eyes.spans} == {threading.current_thread().name}
    # the lanes were busy at the same time, and the wall time shows it
    assert any(a < d and c < b for a, b, _ in ears.spans for c, d, _ in eyes.spans)
    assert overlapped_s < 0.8 * sequential_s, (overlapped_s, sequential_s)
    chunks = len(eyes.spans)
    assert chunks >= 2 and len(ears.spans) == chunks


def test_the_sound_lanes_error_reaches_the_caller_and_a_rerun_does_only_the_rest(needle_video, two_threads,
                                                                                  tmp_path) -> None:
    cache = EvidenceCache(tmp_path / "lib")
    ears, eyes = _Ears(), _Eyes()
    ears.fail_at = 1
    options = IndexOptions(chunk_seconds=2.0)
    with pytest.raises(RuntimeError, match="ears failed on chunk 1"):
        Indexer(cache, [ears, eyes], options).index(needle_video)
    done_before = ears.model_calls + eyes.model_calls
    ears2, eyes2 = _Ears(), _Eyes()
    report = Indexer(cache, [ears2, eyes2], options).index(needle_video)
    assert ears2.model_calls + eyes2.model_calls == 2 * report.chunks - done_before
    assert ears2.model_calls >= 1
    found = cache.evidence(report.video.fingerprint)
    assert sorted(e.source for e in found) == ["ears"] * report.chunks + ["eyes"] * report.chunks


def test_one_thread_runs_everything_in_line(needle_video, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(index_module, "_torch_threads", lambda: 1)
    _, _, ears, _ = _run(tmp_path, needle_video, True, "one")
    assert {thread for *_, thread in ears.spans} == {threading.current_thread().name}


def test_a_lanes_thread_budget_is_what_a_model_loaded_there_reads() -> None:
    seen: list[int] = []

    def load() -> None:
        with thread_budget(1):
            seen.append(cpu_threads())

    worker = threading.Thread(target=load)
    worker.start()
    worker.join()
    assert seen == [1]
    assert cpu_threads() >= 1  # outside a lane: torch's own count


def test_an_onnx_model_runs_with_the_threads_the_lane_has_at_each_call() -> None:
    """onnxruntime fixes a session's threads when it is made: the picture lane's models must not keep the one
    thread they had while speech ran beside them (vision.runtime)."""
    from onnx import TensorProto, helper

    from vidseek.vision.runtime import OnnxModel

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = OnnxModel(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    x = {"x": np.array([-1.0, 2.0], dtype=np.float32)}
    with thread_budget(1):
        assert model.run(["y"], x)[0].tolist() == [0.0, 2.0]
    with thread_budget(2):
        model.run(["y"], x)
    with thread_budget(1):
        model.run(["y"], x)
    assert model.threads_seen == (1, 2)
