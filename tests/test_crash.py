"""kill -9 at many points of `vidseek index`, then run it again: the library equals an uninterrupted run's,
exactly. And a library being written answers questions from another process meanwhile."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import WORD
from tests.library_dump import dump, index_command, run_index
from vidseek.library import Library, LLMSettings
from vidseek.pipeline.cache import EvidenceCache

SOURCES = ("--sources", "speech,ocr", "--chunk-seconds", "10")  # the 30 s needle video in three chunks


def _reached(library: Path, moment: str) -> bool:
    """Has the indexer got this far? Read from what it has written so far."""
    cache = EvidenceCache(library)
    records = cache.records() if (library / "videos").is_dir() else []
    chunks = list((library / "evidence").rglob("chunk-*.json")) if (library / "evidence").is_dir() else []
    return {
        "record": bool(records),
        "chunk 1": len(chunks) >= 1,
        "chunk 3": len(chunks) >= 3,
        "chunks 4": len(chunks) >= 4,
        "complete": any(r.complete for r in records),
    }[moment]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, needle_video) -> dict:
    library = tmp_path_factory.mktemp("uninterrupted")
    result = run_index(needle_video, library, *SOURCES)
    assert result.returncode == 0, result.stderr
    return dump(library)


@pytest.mark.slow
def test_killed_at_any_point_a_rerun_gives_exactly_the_uninterrupted_library(reference, needle_video, tmp_path):
    rng = random.Random(7)
    # (moment reached, then a random delay): before any output, between and inside chunks, while publishing
    kills = [("record", rng.uniform(0, 0.2)), ("chunk 1", rng.uniform(0, 0.3)), ("chunk 3", rng.uniform(0, 0.5)),
             ("chunks 4", rng.uniform(0, 0.3)), ("complete", rng.uniform(0, 0.6)), ("complete", 1.5)]
    landed = []
    for n, (moment, delay) in enumerate(kills):
        library = tmp_path / f"lib-{n}"
        proc = subprocess.Popen(index_command(needle_video, library, *SOURCES), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        while not _reached(library, moment) and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        finished_first = proc.poll() is not None
        with contextlib.suppress(ProcessLookupError):  # a run that finished was reaped by poll(): no group is left
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        landed.append(f"{moment}+{delay:.2f}s{' (had finished)' if finished_first else ''}")
        again = run_index(needle_video, library, *SOURCES)
        assert again.returncode == 0, (landed[-1], again.stderr)
        assert dump(library) == reference, f"after a kill at {landed[-1]}"
        shutil.rmtree(library)
    assert sum("had finished" not in k for k in landed) >= 5, landed  # the kills really interrupted it


def test_a_library_being_written_answers_from_another_process(needle_video, embedder, tmp_path):
    library = tmp_path / "lib"
    first = tmp_path / "first.mp4"
    shutil.copy(needle_video, first)
    assert run_index(first, library, "--sources", "ocr").returncode == 0
    second = tmp_path / "second.mp4"
    second.write_bytes(first.read_bytes() + b"\0" * 16)  # other bytes, the same pictures: a second video
    reader = Library(library, embedder=embedder)
    writer = subprocess.Popen(index_command(second, library, "--sources", "ocr,speech", "--chunk-seconds", "10"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    answers = []
    while writer.poll() is None:
        answer = reader.ask("What code is written on the screen?", llm=LLMSettings(enabled=False))
        answers.append(answer)
        time.sleep(0.2)
    assert writer.returncode == 0, writer.stderr.read()
    assert len(answers) >= 3 and all(WORD in a.text for a in answers)
    # once the writer is done, the reader sees the new video without being reopened
    assert {Path(v.path).name for v in reader.stored_videos()} == {"first.mp4", "second.mp4"}
    hits = reader.search("meeting moves to Thursday", k=3)
    assert any("thursday" in h.evidence.text.lower() for h in hits)
