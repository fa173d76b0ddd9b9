"""A library folder in a bad state: read-only, its search store damaged or deleted, a record damaged, a path
that is a file. Each is one line saying what is wrong, and `vidseek rebuild` makes the store again from the
evidence cache."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.helpers import cli, one_line, subtitled_library


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedder) -> tuple[Path, Path]:
    video, library = subtitled_library(tmp_path_factory.mktemp("damage"), embedder)
    return video, library.path


def _copy(built, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built[1], tmp_path / "lib"))


def _make_read_only(folder: Path, writable: bool = False) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_a_read_only_library_can_be_listed_searched_and_asked(built, tmp_path) -> None:
    video, _ = built
    library = _copy(built, tmp_path)
    _make_read_only(library)
    try:
        ls, search, ask, index = cli(["ls", "-L", library], ["search", "harbor master", "-L", library],
                                     ["ask", "all", "Who is the harbor master?", "--no-llm", "-L", library],
                                     ["index", video, "--sources", "subtitle", "-L", library],
                                     read_only_root=True)
    finally:
        _make_read_only(library, writable=True)
    for result in (ls, search, ask):
        assert result["code"] == 0 and result["crash"] is None, result
    assert "harbor.mp4" in ls["stdout"]
    assert "Ada Brooks" in search["stdout"] and "Ada Brooks" in ask["stdout"]
    assert index["code"] == 2 and "read-only" in one_line(index)


def test_a_damaged_store_is_one_line_and_rebuild_makes_it_again(built, tmp_path) -> None:
    library = _copy(built, tmp_path)
    database = library / "chroma" / "chroma.sqlite3"
    data = bytearray(database.read_bytes())
    data[:4096] = b"\xff" * 4096  # the header page gone: SQLite no longer knows the file
    database.write_bytes(bytes(data))
    ls, search, ask, rebuilt, after = cli(
        ["ls", "-L", library], ["search", "harbor", "-L", library], ["ask", "all", "Who?", "--no-llm", "-L", library],
        ["rebuild", "-L", library], ["search", "harbor master", "-L", library])
    for result in (ls, search, ask):
        assert result["code"] == 2
        assert one_line(result).startswith(f"vidseek: the search store {library / 'chroma'} is damaged (")
        assert one_line(result).endswith("rebuild it from the evidence cache with `vidseek rebuild`")
    assert rebuilt["code"] == 0 and "rebuilt" in rebuilt["stdout"] and "1 video(s)" in rebuilt["stdout"], rebuilt
    assert after["code"] == 0 and "Ada Brooks" in after["stdout"]


def test_a_deleted_store_is_listed_as_not_searchable_until_rebuilt(built, tmp_path) -> None:
    library = _copy(built, tmp_path)
    shutil.rmtree(library / "chroma")
    ls, rebuilt, again = cli(["ls", "-L", library], ["rebuild", "-L", library], ["ls", "-L", library])
    assert ls["code"] == 0
    assert "harbor.mp4  (not in the search store: index it again, or run vidseek rebuild)" in ls["stdout"]
    assert rebuilt["code"] == 0
    rows = again["stdout"].strip().splitlines()
    assert len(rows) == 2 and rows[1].endswith("harbor.mp4") and rows[1].split()[2] == "2"  # two cues, stored


def test_damaged_record_and_evidence_files_are_named(built, tmp_path) -> None:
    video, _ = built
    library = _copy(built, tmp_path)
    [record] = (library / "videos").glob("*.json")
    [chunk] = (library / "evidence").rglob("all.json")
    chunk.write_text('[{"fingerprint": "x", "start"')  # cut short by a crash of the disk
    evidence, ask = cli(["evidence", video, "-L", library], ["ask", video, "Who?", "--no-llm", "-L", library])
    assert evidence["code"] == 2 and one_line(evidence).startswith(f"vidseek: the evidence file {chunk} is damaged")
    assert ask["code"] == 0 and "Ada Brooks" in ask["stdout"]  # questions read the search store, not the cache
    record.write_bytes(b"\x00\x17garbage")
    ls, evidence, rebuilt = cli(["ls", "-L", library], ["evidence", video, "-L", library], ["rebuild", "-L", library])
    assert f"vidseek: the record {record} is damaged" in ls["stderr"] and ls["crash"] is None
    assert evidence["code"] == 2 and one_line(evidence).startswith(f"vidseek: the record {record} is damaged")
    assert rebuilt["code"] == 1 and f"the record {record} is damaged" in rebuilt["stderr"]


def test_a_library_path_that_is_a_file_is_one_line(built, tmp_path) -> None:
    video, _ = built
    not_a_folder = tmp_path / "library.txt"
    not_a_folder.write_text("oops")
    results = cli(["ls"], ["index", video, "--sources", "subtitle"], ["ask", "all", "Who?", "--no-llm"],
                  env={"VIDSEEK_LIBRARY": str(not_a_folder)})
    for result in results:
        assert result["code"] == 2
        assert one_line(result) == f"vidseek: the library '{not_a_folder}' is not a folder (check --library and " \
                                   "$VIDSEEK_LIBRARY)"
    assert sqlite3  # the damage above is to SQLite's own file format
