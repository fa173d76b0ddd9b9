"""Batch indexing: a folder of generated videos (one corrupt) through the local pool, a kill, and Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vidseek import synth
from vidseek.library import Library
from vidseek.pipeline.batch import Batch, BatchSettings, Worker
from vidseek.pipeline.cache import EvidenceCache
from vidseek.pipeline.manifest import collect, read_manifest
from vidseek.pipeline.pools import LocalPool

SOURCES = ["speech", "ocr"]
CLIPS = {  # file -> (on-screen text, spoken sentence)
    "gala.mp4": ("CITY GALA", "The guest of honor tonight is Margaret Hale."),
    "river.mp4": ("RIVER FESTIVAL", "Boats leave the pier at nine in the morning."),
    "trail.mp4": ("MOUNTAIN TRAIL", "Bring water and a warm jacket for the climb."),
}
VIDSEEK = [sys.executable, "-m", "vidseek"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Three short videos with text and speech, and a file that only looks like one."""
    root = tmp_path_factory.mktemp("season")
    for name, (text, spoken) in CLIPS.items():
        script = synth.Script(duration=6.0, size=(320, 180), captions=[synth.Caption(0.5, 5.5, text, size=28)],
                              speech=[synth.Speech(0.8, spoken)])
        synth.write_video(script, root / name)
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4000))
    return root


def _counts(library: Path) -> dict[str, int]:
    """Evidence per video name, from the library's cache and (checked equal) from its store."""
    lib = Library(library)
    cached = {Path(r.video.path).name: len(lib.cache.evidence(r.video.fingerprint)) for r in lib.videos()}
    stored = {Path(v.path).name: v.evidence for v in lib.stored_videos()}
    assert cached == stored
    ids = [i for i, _ in lib.store.get()]
    assert len(ids) == len(set(ids)) == sum(stored.values())
    return stored


def _batch(library: Path, folder: Path, *extra: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*VIDSEEK, "batch", str(folder), "-L", str(library), "--sources", ",".join(SOURCES),
                           "--device", "cpu", *extra], capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, folder) -> tuple[Path, subprocess.CompletedProcess]:
    """The folder batch-indexed in one uninterrupted run with two local workers."""
    library = tmp_path_factory.mktemp("reference-lib")
    return library, _batch(library, folder, "--workers", "2")


def test_batch_indexes_the_good_files_and_reports_the_corrupt_one(reference, folder) -> None:
    library, run = reference
    assert run.returncode == 1, run.stderr  # one file failed
    report = json.loads((library / "batch-report.json").read_text())
    status = {Path(v["path"]).name: v for v in report["videos"]}
    assert {n: v["status"] for n, v in status.items()} == {
        "broken.mp4": "failed", "gala.mp4": "indexed", "river.mp4": "indexed", "trail.mp4": "indexed"}
    assert "broken.mp4" in status["broken.mp4"]["path"] and status["broken.mp4"]["error"]
    assert report["counts"] == {"failed": 1, "indexed": 3} and report["workers"] == 2
    assert "broken.mp4" in run.stdout and "failed" in run.stdout  # the summary table
    counts = _counts(library)
    assert set(counts) == set(CLIPS) and all(n >= 2 for n in counts.values())  # text and speech in each


def test_a_worker_loads_its_models_once_for_all_its_videos(tmp_path, folder) -> None:
    settings = BatchSettings(str(tmp_path / "lib"), sources=SOURCES)
    settings.extractors.device = "cpu"
    worker = Worker(settings)
    first = worker.run(str(folder / "gala.mp4"))
    speech, ocr = worker.indexer.extractors
    loaded = (speech._backend, dict(ocr._engines))  # the OCR engines this video needed, by name
    assert speech._backend is not None and ocr._engines
    second = worker.run(str(folder / "river.mp4"))
    # the same objects: nothing loaded again (an engine the second video needs first may join)
    assert speech._backend is loaded[0]
    assert all(ocr._engines[name] is engine for name, engine in loaded[1].items())
    assert (first.status, second.status) == ("indexed", "indexed") and first.worker == second.worker


def test_rerun_skips_finished_videos(reference, folder) -> None:
    library, _ = reference
    before = _counts(library)
    again = _batch(library, folder, "--workers", "1")
    report = json.loads((library / "batch-report.json").read_text())
    assert sorted(v["status"] for v in report["videos"]) == ["done before"] * 3 + ["failed"]
    assert report["workers"] == 0, again.stderr  # no worker was started for nothing
    assert _counts(library) == before


def test_killed_batch_finishes_on_rerun_without_duplicates(reference, folder, tmp_path) -> None:
    library = tmp_path / "lib"
    proc = subprocess.Popen([*VIDSEEK, "batch", str(folder), "-L", str(library), "--sources", ",".join(SOURCES),
                             "--device", "cpu", "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    cache = EvidenceCache(library)
    deadline = time.time() + 300
    while time.time() < deadline and not any(r.complete for r in cache.records()):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = sum(r.complete for r in cache.records())
    assert 1 <= finished < len(CLIPS), "the kill should land mid-batch"
    _batch(library, folder, "--workers", "1")
    assert _counts(library) == _counts(reference[0])


def test_a_question_names_the_video_that_answers_it(reference) -> None:
    library, _ = reference
    run = subprocess.run([*VIDSEEK, "ask", str(library), "In which video does the guest of honor get named?",
                          "--no-llm", "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert Path(answer["citations"][0]["path"]).name == "gala.mp4"
    narrowed = subprocess.run([*VIDSEEK, "ask", str(library), "Who is the guest of honor?", "--no-llm", "--json",
                               "--video", str(Path(answer["citations"][0]["path"]).parent / "river.mp4")],
                              capture_output=True, text=True, timeout=300)
    assert narrowed.returncode == 0, narrowed.stderr
    assert {Path(c["path"]).name for c in json.loads(narrowed.stdout)["citations"]} <= {"river.mp4"}


def test_ls_shows_videos_lengths_sources_and_sizes(reference) -> None:
    library, _ = reference
    run = subprocess.run([*VIDSEEK, "ls", "-L", str(library)], capture_output=True, text=True, timeout=120)
    lines = run.stdout.splitlines()
    assert lines[0].split()[:3] == ["video", "length", "items"]
    gala = next(line for line in lines if line.endswith("gala.mp4"))
    assert "00:00:06" in gala and "ocr,speech" in gala and "KB" in gala


def test_manifest_lists_and_folders(tmp_path, folder) -> None:
    (tmp_path / "list.txt").write_text(f"# season one\n{folder / 'gala.mp4'}\n\nriver.mp4\n")
    assert read_manifest(tmp_path / "list.txt") == [folder / "gala.mp4", tmp_path / "river.mp4"]
    (tmp_path / "list.csv").write_text(f"title,path\nGala,{folder / 'gala.mp4'}\nTrail,{folder / 'trail.mp4'}\n")
    assert read_manifest(tmp_path / "list.csv") == [folder / "gala.mp4", folder / "trail.mp4"]
    assert [p.name for p in collect([folder])] == ["broken.mp4", "gala.mp4", "river.mp4", "trail.mp4"]
    assert [p.name for p in collect([folder], glob="r*.mp4")] == ["river.mp4"]
    assert len(collect([folder, folder / "gala.mp4"])) == 4  # each file once
    with pytest.raises(ValueError, match="does not exist"):
        read_manifest(tmp_path / "missing.txt")


def test_unreadable_and_repeated_files_are_reported_not_fatal(tmp_path, folder) -> None:
    twin = tmp_path / "gala-copy.mp4"
    twin.write_bytes((folder / "gala.mp4").read_bytes())
    job = Batch(BatchSettings(str(tmp_path / "lib"), sources=SOURCES))
    again = folder / "." / "gala.mp4"  # the same file, spelled another way
    planned = job.plan([folder / "gala.mp4", twin, again, tmp_path / "missing.mp4", folder])
    verdicts = [(p.result.status, p.result.error) if p.result else ("to do", "") for p in planned]
    assert verdicts[0] == verdicts[1] == ("to do", "")  # the same bytes at another path: an entry of its own
    assert planned[1].note.startswith(f"same content as {folder / 'gala.mp4'}: its evidence")
    assert verdicts[2] == ("duplicate", f"same file as {folder / 'gala.mp4'}")
    assert verdicts[3] == ("failed", f"cannot read '{tmp_path / 'missing.mp4'}': no such file")
    assert verdicts[4] == ("failed", f"cannot read '{folder}': it is a folder (vidseek batch indexes folders)")


def test_a_copy_with_its_own_subtitles_is_its_own_entry_sharing_the_content_work(tmp_path) -> None:
    """Two paths of the same bytes, one with reyes.srt beside it: as `vidseek index` does, each is an entry, the
    second reads its own subtitles, and the models that read the pictures run once for both."""
    films = tmp_path / "films"
    films.mkdir()
    script = synth.Script(duration=4.0, size=(320, 180), audio=False,
                          captions=[synth.Caption(0.5, 3.5, "DASHWOOD MANOR", size=28)])
    synth.write_video(script, films / "dashwood.mp4")
    (films / "reyes.mp4").write_bytes((films / "dashwood.mp4").read_bytes())
    synth.write_srt([(0.5, 2.0, "Mr Reyes keeps the keys.")], films / "reyes.srt")
    settings = BatchSettings(str(tmp_path / "lib"), sources=["ocr", "subtitle"])
    settings.extractors.device = "cpu"
    report = Batch(settings).run(collect([films]), lambda n: LocalPool(settings, 1))
    dashwood, reyes = report.results
    assert [(r.status, Path(r.path).name) for r in report.results] == [("indexed", "dashwood.mp4"),
                                                                       ("indexed", "reyes.mp4")]
    assert "subtitle" not in reyes.skipped and reyes.notices[0].startswith("same content as")
    assert dashwood.model_calls["ocr"] > 0 and reyes.model_calls["ocr"] == 0  # read from the shared cache
    lib = Library(tmp_path / "lib")
    assert {v.path for v in lib.stored_videos()} == {str(films / "dashwood.mp4"), str(films / "reyes.mp4")}
    assert sorted((e.source, e.text) for e in lib.evidence(films / "reyes.mp4")) == [
        ("ocr", "DASHWOOD MANOR"), ("subtitle", "Mr Reyes keeps the keys.")]
    assert [e.source for e in lib.evidence(films / "dashwood.mp4")] == ["ocr"]


def test_a_subtitle_file_added_or_edited_after_a_batch_makes_the_rerun_read_it(tmp_path) -> None:
    """As `vidseek index` does: a video whose .srt appeared (or changed) since the last batch is not "done
    before"; it is indexed again, from the cache for its pictures, and its subtitles reach the evidence."""
    films = tmp_path / "films"
    films.mkdir()
    script = synth.Script(duration=4.0, size=(320, 180), audio=False,
                          captions=[synth.Caption(0.5, 3.5, "DASHWOOD MANOR", size=28)])
    synth.write_video(script, films / "dashwood.mp4")
    settings = BatchSettings(str(tmp_path / "lib"), sources=["ocr", "subtitle"])
    settings.extractors.device = "cpu"

    def run() -> tuple[str, dict[str, int], list[tuple[str, str]]]:
        (result,) = Batch(settings).run(collect([films]), lambda n: LocalPool(settings, 1)).results
        evidence = sorted((e.source, e.text) for e in Library(tmp_path / "lib").evidence(films / "dashwood.mp4"))
        return result.status, result.model_calls, evidence

    assert run()[0] == "indexed"
    assert run()[0] == "done before"  # nothing changed
    synth.write_srt([(0.5, 2.0, "Mr Reyes keeps the keys.")], films / "dashwood.srt")
    status, calls, evidence = run()
    assert status == "indexed" and calls["ocr"] == 0  # the pictures' work came from the cache
    assert evidence == [("ocr", "DASHWOOD MANOR"), ("subtitle", "Mr Reyes keeps the keys.")]
    assert run()[0] == "done before"
    synth.write_srt([(0.5, 2.0, "Mrs Reyes keeps the keys now.")], films / "dashwood.srt")
    os.utime(films / "dashwood.srt", ns=(time.time_ns(), time.time_ns() + 10**9))  # a later time, surely
    assert run()[2] == [("ocr", "DASHWOOD MANOR"), ("subtitle", "Mrs Reyes keeps the keys now.")]


def test_ray_gives_the_same_evidence_as_the_local_pool(reference, folder, tmp_path) -> None:
    ray = pytest.importorskip("ray", reason="the [ray] extra is part of the dev install")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        from vidseek.pipeline.pools import RayPool

        settings = BatchSettings(str(tmp_path / "lib"), sources=SOURCES)
        settings.extractors.device = "cpu"
        events = []
        report = Batch(settings).run(collect([folder]), lambda n: RayPool(settings, 2, on_event=events.append))
    finally:
        ray.shutdown()
    assert report.backend == "ray" and report.counts() == {"failed": 1, "indexed": 3}
    assert {e.kind for e in events} >= {"start", "progress", "done"}
    assert _counts(tmp_path / "lib") == _counts(reference[0])


def test_local_pool_runs_in_process_api(tmp_path, folder) -> None:
    settings = BatchSettings(str(tmp_path / "lib"), sources=["ocr"])
    settings.extractors.device = "cpu"
    report = Batch(settings).run([folder / "gala.mp4"], lambda n: LocalPool(settings, 1))
    assert [(r.status, r.published) for r in report.results] == [("indexed", True)]
    assert [e.text for e in Library(tmp_path / "lib").evidence(folder / "gala.mp4")] == ["CITY GALA"]


def test_workers_write_to_a_shared_chroma_server(reference, folder, tmp_path, chroma_server) -> None:
    settings = BatchSettings(str(tmp_path / "lib"), store=chroma_server, sources=SOURCES)
    settings.extractors.device = "cpu"
    report = Batch(settings).run(collect([folder]), lambda n: LocalPool(settings, 2))
    assert report.counts() == {"failed": 1, "indexed": 3}
    assert all(r.published for r in report.results if r.ok)  # by the workers: a server takes many writers
    teammate = Library(tmp_path / "teammate", store=chroma_server)  # another machine's empty library folder
    stored = {Path(v.path).name: v.evidence for v in teammate.stored_videos()}
    assert stored == _counts(reference[0])


def test_the_summary_table_keeps_each_row_on_one_line_in_a_pipe() -> None:
    """Piped or logged, the table is as wide as its widest row: long paths and notes are not wrapped at 80
    columns into pieces a grep would miss."""
    import io

    from rich.console import Console

    from vidseek.batch_view import print_table, summary_table
    from vidseek.pipeline.batch import BatchReport, VideoResult

    long = "/films/the-collected-works/season-one/dashwood-and-the-house-of-many-secrets.mp4"
    note = "same content as /films/dashwood.mp4: its evidence from the pictures and sound is shared"
    report = BatchReport([VideoResult(long, "indexed", duration=244, evidence=120, seconds=281.5, notices=[note]),
                          VideoResult("/films/b.mp4", "failed", error="cannot read '/films/b.mp4': no such file")],
                         backend="local", workers=1, seconds=300)
    piped = Console(file=io.StringIO(), width=80)
    print_table(piped, summary_table(report))
    lines = piped.file.getvalue().splitlines()
    assert any("dashwood-and-the-house-of-many-secrets.mp4" in line and note in line for line in lines)
    assert "\x1b" not in piped.file.getvalue()


def test_the_overall_progress_never_steps_back_and_an_all_done_batch_says_so(monkeypatch) -> None:
    """A worker's partial seconds leave when its file ends, before the file's result counts them: the shown
    share must not drop then (a newcomer saw 0.03/0.03 h, then 0.01/0.03 h). With every file done before,
    the line says so instead of "0% (0/3 videos, 0.00/0.00 h of video)"."""
    import io
    import re

    from rich.console import Console

    from vidseek import batch_view
    from vidseek.batch_view import BatchProgress
    from vidseek.pipeline.batch import Planned, VideoResult, WorkerEvent

    monkeypatch.setattr(batch_view, "PLAIN_EVERY", 0.0)  # a plain line at every change
    out = io.StringIO()
    planned = [Planned("/v/a.mp4", 60.0), Planned("/v/b.mp4", 60.0)]
    with BatchProgress(Console(file=out, force_terminal=False), planned) as bar:
        for path in ("/v/a.mp4", "/v/b.mp4"):
            bar.event(WorkerEvent("w1", "start", path))
            bar.event(WorkerEvent("w1", "progress", path, 9, 10, "ocr"))
            bar.event(WorkerEvent("w1", "done", path))
            bar.result(VideoResult(path, "indexed", duration=60.0))
    shares = [float(m) for m in re.findall(r"batch: (\d+)%", out.getvalue())]
    assert shares == sorted(shares) and shares[-1] == 100, out.getvalue()

    out = io.StringIO()
    done = [Planned(f"/v/{n}.mp4", 60.0, result=VideoResult(f"/v/{n}.mp4", "done before")) for n in "xyz"]
    with BatchProgress(Console(file=out, force_terminal=False), done):
        pass
    assert "nothing to do: 3 videos done before" in out.getvalue() and "batch: 0%" not in out.getvalue()
