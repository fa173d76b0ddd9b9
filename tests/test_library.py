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


def test_rebuild_with_the_records_deleted_refuses_and_keeps_the_store(built, tmp_path) -> None:
    """videos/ gone, evidence/ whole: a rebuild from the records would empty the store; it refuses in one line."""
    library = _copy(built, tmp_path)
    shutil.rmtree(library / "videos")
    rebuilt, search = cli(["rebuild", "-L", library], ["search", "harbor master", "-L", library])
    assert rebuilt["code"] == 2 and rebuilt["stdout"] == ""
    line = one_line(rebuilt)
    assert line.startswith(f"vidseek: 1 video(s) have evidence but no record in {library / 'videos'} (")
    assert str(built[0]) in line and "the search store was left as it is" in line
    assert search["code"] == 0 and "Ada Brooks" in search["stdout"]  # the store still answers


def test_a_rebuild_that_cannot_write_its_new_store_leaves_the_old_one(built, tmp_path, embedder, monkeypatch) -> None:
    """The new store is built beside the old one and swapped in only when complete: a full disk stops the
    rebuild with one line, and the old store still answers (it used to be deleted first)."""
    from vidseek.errors import LibraryError
    from vidseek.library import Library
    from vidseek.store import chroma

    library = _copy(built, tmp_path)
    monkeypatch.setattr(chroma, "_free_bytes", lambda folder: 0)
    with pytest.raises(LibraryError, match="the disk is full writing the search store .*chroma.rebuild: ") as caught:
        Library(library, embedder=embedder).rebuild()
    assert f"the search store {library / 'chroma'} was left as it was" in str(caught.value)
    monkeypatch.undo()
    assert not (library / "chroma.rebuild").exists()
    hits = Library(library, embedder=embedder).search("Who is the harbor master?", k=2)
    assert hits and hits[0].evidence.text == "The harbor master is Ada Brooks."
    report = Library(library, embedder=embedder).rebuild()  # with room, the swap puts the new store in place
    assert report.videos == [str(built[0])] and not (library / "chroma.rebuild").exists()
    again = Library(library, embedder=embedder)
    assert [v.evidence for v in again.stored_videos()] == [2] and again.search("harbor master", k=1)


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


def _mount_tmpfs(folder: Path, size: str) -> bool:
    import os
    import subprocess

    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def _full_disk_case(folder: Path) -> Path:
    from vidseek import synth

    video = synth.write_video(synth.Script(duration=60, size=(64, 48), fps=2, audio=False), folder / "long.mp4")
    synth.write_srt([(i * 0.025, i * 0.025 + 0.02, f"cue {i} about the harbor and the lighthouse keeper")
                     for i in range(2000)], folder / "long.srt")  # ~0.5 MB of evidence, ~10 MB in the store
    return video


def _intact(library: Path) -> None:
    from vidseek.pipeline.cache import EvidenceCache

    assert not list(library.rglob(".tmp-*")), "a half-written file was left"
    EvidenceCache(library).records()  # every record reads


def test_a_full_disk_is_one_line_and_the_library_finishes_on_rerun(tmp_path, monkeypatch) -> None:
    import subprocess

    video = _full_disk_case(tmp_path)
    disk = tmp_path / "disk"
    index = ["index", video, "--sources", "subtitle", "-L", disk / "lib"]
    if _mount_tmpfs(disk, "256k"):  # a real small disk
        try:
            too_small = cli(index)[0]  # the evidence cache does not fit
            assert too_small["code"] == 2 and one_line(too_small).startswith("vidseek: the disk is full writing ")
            _intact(disk / "lib")
            subprocess.run(["mount", "-o", "remount,size=2m", str(disk)], check=True)
            store_full, listed = cli(index, ["ls", "-L", disk / "lib"], timeout=120)  # the cache fits, the store not
            assert store_full["code"] == 2
            assert one_line(store_full) == (f"vidseek: the disk is full writing the search store {disk / 'lib'}"
                                            "/chroma: free some space and run again (what was finished is kept)")
            assert "(not in the search store: index it again" in listed["stdout"]
            _intact(disk / "lib")
            subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
            again, listed = cli(index, ["ls", "-L", disk / "lib"])
            assert again["code"] == 0 and "2000 subtitle" in again["stdout"], again
            assert listed["stdout"].splitlines()[1].split()[2] == "2000"
        finally:
            subprocess.run(["umount", "-l", str(disk)], check=False)
        return
    # not root, or no mount here: the same ENOSPC, injected where the library writes its files
    import errno

    from typer.testing import CliRunner

    from vidseek.cli import app
    from vidseek.pipeline import cache

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache.json, "dump", full)
    runner = CliRunner()
    failed = runner.invoke(app, list(map(str, index)))
    assert failed.exit_code == 2  # the estimate line first, then the error
    assert failed.stderr.strip().splitlines()[-1].startswith("vidseek: the disk is full writing ")
    monkeypatch.undo()
    _intact(disk / "lib")
    again = runner.invoke(app, list(map(str, index)))
    assert again.exit_code == 0 and "2000 subtitle" in again.stdout
