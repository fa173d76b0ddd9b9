"""A real two-node Ray cluster on this machine and a chromadb server: `vidseek batch --ray ADDRESS --store URL`
indexes generated clips on both nodes, the library equals a local run's, and `vidseek eval --benchmark`
answers from the shared store. Bounded (every command has a timeout) and cleaned up (every process the
cluster started is gone afterwards)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from tests import benchmark_files as bf
from vidseek.library import Library

ray = pytest.importorskip("ray", reason="the [ray] extra is part of the dev install")
VIDSEEK = [sys.executable, "-m", "vidseek"]
# the nodes take Ray's own choice of address: a client resolves 127.0.0.1 to this host's address, which a node
# bound to loopback does not listen on. Either way every byte stays on this machine.
NODE = {"num_cpus": 1, "object_store_memory": 80 * 2**20}


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def cluster():
    """A head node and a second node, one CPU each (so two one-CPU workers must land one on each), in a temp
    folder of their own; every process they started is checked gone after shutdown."""
    from ray.cluster_utils import Cluster

    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths must fit in 107 bytes
    before = {p.pid for p in psutil.Process().children(recursive=True)}  # earlier tests' processes are not ours
    made = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False, "temp_dir": temp,
                                                         "resources": {"head": 1}})
    try:
        made.add_node(**NODE, resources={"second": 1})
        made.wait_for_nodes(timeout=60)
        nodes = [n.node_id for n in made.list_all_nodes()]
        yield made.address, nodes
    finally:
        started = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
        made.shutdown()
        gone, alive = psutil.wait_procs(started, timeout=30)
        for process in alive:  # only ours: children of this test process
            process.kill()
        alive = [p for p in alive if _running(p)]  # a zombie has exited; only its parent can reap it
        shutil.rmtree(temp, ignore_errors=True)
        assert not alive, f"left running after shutdown: {[p.pid for p in alive]}"


def _evidence(library: Path, store: str | None = None) -> dict[str, list[tuple]]:
    """Each clip's evidence from the library's cache, checked equal in count to what its store holds."""
    lib = Library(library, store)
    cached = {Path(r.video.path).name: sorted((e.start, e.end, e.source, e.text)
                                              for e in lib.cache.evidence(r.video.fingerprint))
              for r in lib.videos()}
    stored = {Path(v.path).name: v.evidence for v in lib.stored_videos()}
    assert stored == {name: len(items) for name, items in cached.items()}
    return cached


def _run(*args: object, timeout: int = 240) -> subprocess.CompletedProcess:
    done = subprocess.run([*VIDSEEK, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_a_two_node_ray_cluster_indexes_into_a_shared_store_and_eval_answers_from_it(
        tmp_path, cluster, chroma_server) -> None:
    address, nodes = cluster
    assert len(set(nodes)) == 2
    videos = bf.make_clips(tmp_path / "videos")
    started = time.monotonic()
    _run("batch", videos, "--ray", address, "--store", chroma_server, "-L", tmp_path / "lib", "--sources", "ocr",
         "--device", "cpu", "--workers", "2", "--cpus-per-worker", "1")
    report = json.loads((tmp_path / "lib" / "batch-report.json").read_text())
    assert report["backend"] == "ray" and report["counts"] == {"indexed": 3}
    assert all(v["published"] for v in report["videos"])  # each worker wrote its videos to the server
    # every node did work: each result names the Ray node its actor ran on
    assert {v["worker"].rsplit(" node ", 1)[1] for v in report["videos"]} == {n[:12] for n in nodes}

    _run("batch", videos, "-L", tmp_path / "local", "--sources", "ocr", "--device", "cpu", "--workers", "1")
    local = _evidence(tmp_path / "local")
    assert set(local) == {f"{v}.mp4" for v in bf.CLIPS} and all(local.values())
    assert _evidence(tmp_path / "lib", chroma_server) == local

    questions = bf.write_nextqa(tmp_path / "val.csv", bf.questions())
    _run("eval", "--benchmark", "nextqa", questions, "--videos", videos, "-L", tmp_path / "lib", "--store",
         chroma_server, "--ray", address, "--sources", "ocr", "--device", "cpu", "--no-llm", "--out",
         tmp_path / "report.json")
    scored = json.loads((tmp_path / "report.json").read_text())
    assert scored["index"]["indexed_now"] == 0 and scored["index"]["videos"] == 3  # the cluster's work, reused
    assert scored["answered"] == 6 and scored["missing_videos"] == [bf.MISSING]
    assert all(r["right"] for r in scored["results"] if "sign" in r["question"])
    assert time.monotonic() - started < 240
