"""Two `vidseek index` processes on one library at once: different videos both land whole (searchable, not
just counted); the same video is done once, the second process waiting for the first."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.library_dump import dump, index_command, run_index
from vidseek import synth
from vidseek.library import Library

SOURCES = ("--sources", "ocr", "--chunk-seconds", "4")


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clips")
    words = [["ANCHOR", "BEACON", "CANYON"], ["DELTA", "EMBER", "FALCON"]]
    paths = []
    for n, group in enumerate(words):
        script = synth.Script(duration=12.0, size=(320, 180), fps=5, audio=False,
                              scenes=[synth.Scene(0.0, (30, 40, 90))],
                              captions=[synth.Caption(4.0 * i, 4.0 * i + 3.0, w, size=36) for i, w in enumerate(group)])
        paths.append(synth.write_video(script, folder / f"clip{n}.mp4"))
    return paths


def _together(*commands: list[str]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    outs = [p.communicate(timeout=600) for p in procs]
    return [subprocess.CompletedProcess(c, p.returncode, o, e) for c, p, (o, e) in zip(commands, procs, outs)]


def test_two_indexers_on_different_videos_both_land_whole(clips, tmp_path, embedder) -> None:
    library = tmp_path / "shared"
    results = _together(*(index_command(c, library, *SOURCES) for c in clips))
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    alone = tmp_path / "alone"
    for clip in clips:
        assert run_index(clip, alone, *SOURCES).returncode == 0
    assert dump(library) == dump(alone)
    lib = Library(library, embedder=embedder)
    for word in ["ANCHOR", "BEACON", "CANYON", "DELTA", "EMBER", "FALCON"]:  # each vector made it to the index
        hits = lib.store.dense(embedder.encode([word])[0], 1)
        assert hits and hits[0][1].text == word


def test_two_indexers_on_the_same_video_do_it_once(clips, tmp_path) -> None:
    library = tmp_path / "lib"
    results = _together(*(index_command(clips[0], library, *SOURCES) for _ in range(2)))
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    waited = [r for r in results if "waiting: another vidseek process is indexing" in r.stderr]
    from_cache = [r for r in results if "(3/3 chunks from cache)" in r.stdout]
    assert len(waited) == 1 and len(from_cache) == 1, [(r.stdout, r.stderr) for r in results]
    single = tmp_path / "single"
    assert run_index(clips[0], single, *SOURCES).returncode == 0
    assert dump(library) == dump(single)
