"""Progress for people and logs: the estimate before a job, plain progress lines where stderr is not a
terminal, bars where it is, and a Python API that prints nothing."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from tests.helpers import CUES
from vidseek import synth
from vidseek.extractors.base import FRAMES, Extractor
from vidseek.pipeline import rates as speed
from vidseek.pipeline.cache import EvidenceCache
from vidseek.pipeline.index import Indexer, IndexOptions, IndexReport, Workload
from vidseek.progress_view import PLAIN_EVERY, StageProgress
from vidseek.types import Video

REPO = Path(__file__).resolve().parents[1]


def _clip(folder: Path, seconds: float = 4.0, subtitles: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = synth.Script(duration=seconds, size=(320, 180), audio=False,
                          captions=[synth.Caption(0.5, seconds - 0.5, "HARBOR OFFICE", size=28)])
    movie = synth.write_video(script, folder / "harbor.mp4")
    if subtitles:
        synth.write_srt(CUES, folder / "harbor.srt")
    return movie


def test_index_in_a_pipe_prints_an_estimate_then_plain_progress_lines(tmp_path) -> None:
    movie = _clip(tmp_path)
    run = subprocess.run([sys.executable, "-m", "vidseek", "index", str(movie), "--sources", "subtitle",
                          "-L", str(tmp_path / "lib")], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0].startswith("estimate: harbor.mp4 (00:00:04 to read; subtitle): about ")
    assert lines[0].endswith("at default rates (none measured here yet)")
    progress = [line for line in lines[1:] if line.startswith("index harbor.mp4: ")]
    assert progress and all("% (" in line and " so far" in line for line in progress)
    assert any("(subtitle " in line for line in progress) and progress[-1].startswith("index harbor.mp4: 100% (embed")
    assert "\x1b" not in run.stderr and "\r" not in run.stderr  # no control codes in a log
    assert run.stdout.startswith(f"indexed {movie} (00:00:04): 2 subtitle")


def test_the_python_api_prints_nothing_and_learns_the_rates(tmp_path) -> None:
    """Model libraries' load-time bars and warnings stay out of a program's output; the run teaches the
    library how fast this machine reads pictures, and the next estimate says so."""
    movie = _clip(tmp_path, subtitles=False)
    code = ("import sys; from vidseek.library import Library\n"
            f"lib = Library({str(tmp_path / 'lib')!r}, device='cpu')\n"
            f"report = lib.index({str(movie)!r}, sources=['ocr'])\n"
            "assert report.counts == {'ocr': 1}, report.counts\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (run.stdout, run.stderr) == ("", "")
    learned = json.loads((tmp_path / "lib" / "rates.json").read_text())["seconds"]
    # a one-chunk clip's OCR time is its model loading: not a rate per second of video; decoding is
    assert "ocr" not in learned and learned["decode"] > 0 and learned["embed"] > 0
    from vidseek.library import Library

    lib = Library(tmp_path / "lib")
    again = lib.estimate(movie, lib.indexer(["ocr"]))
    assert again.measured and again.video_seconds == 0  # all in the cache now
    assert again.line("harbor.mp4") == "estimate: harbor.mp4: everything is indexed already, a few seconds"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_lines_come_at_each_tenth_or_every_few_seconds_with_the_time_left() -> None:
    clock = _Clock()
    piped = Console(file=io.StringIO(), width=80)
    with StageProgress(piped, "index talk.mp4", {"speech": 30.0, "ocr": 10.0}, expected=40.0, clock=clock) as p:
        p("ocr", 0, 4)
        for chunk in range(1, 5):  # ocr is a quarter of the work: 6.25 % a chunk
            clock.now += 2.5
            p("ocr", chunk, 4)
        clock.now += PLAIN_EVERY  # a long chunk: a line even without a tenth more done
        p("speech", 1, 4)
    lines = piped.file.getvalue().splitlines()
    assert lines[0] == "index talk.mp4: 0% (ocr 0/4), 00:00:00 so far, about 00:00:40 left"
    assert lines[1] == "index talk.mp4: 12% (ocr 2/4), 00:00:05 so far, about 00:00:35 left"  # the pace: 5 s per 1/8
    assert lines[2].startswith("index talk.mp4: 25% (ocr 4/4)")
    assert lines[3] == "index talk.mp4: 44% (speech 1/4), 00:00:20 so far, about 00:00:25 left"
    assert len(lines) == 4


def test_rates_learn_from_long_runs_and_weigh_short_ones_little() -> None:
    video = Video("x.mp4", "f" * 32, 1200.0, 25.0, 320, 180, True, True)
    report = IndexReport(video=video, chunks=20, chunks_run=20)
    report.seconds.update({"ocr": 600.0, "decode": 60.0, "total": 660.0})
    rates = speed.Rates()
    rates.learn(report)
    assert rates.of("ocr") == speed.DEFAULT_RATES["ocr"] + speed.LEARN * (0.5 - speed.DEFAULT_RATES["ocr"])
    short = IndexReport(video=Video("y.mp4", "e" * 32, 6.0, 25.0, 320, 180, True, False), chunks=1, chunks_run=1)
    short.seconds.update({"ocr": 30.0, "total": 30.0})  # mostly loading the model
    before = rates.of("ocr")
    rates.learn(short)
    assert before < rates.of("ocr") < before * 1.1
    work = rates.estimate(Workload(video, {"ocr": 1200.0, "subtitle": 0.0}))
    assert work.sources == ["ocr"] and work.measured and work.seconds > rates.of("ocr") * 1200
    assert rates.estimate(Workload(video, {"ocr": 1200.0}), share=0.5).seconds == 2 * work.seconds


class _SlowToLoad(Extractor):
    """A picture source whose first chunk in a process loads its model (0.6 s), then 0.02 s a chunk."""

    name = "slow_to_load"
    source = "slow_to_load"
    needs = frozenset({FRAMES})

    def __init__(self) -> None:
        self.loaded = False

    def config(self) -> dict:
        return {}

    def run(self, video, chunk) -> list:
        time.sleep(0.02 if self.loaded else 0.6)
        self.loaded = True
        return []


def test_a_models_loading_is_not_learned_as_a_rate_per_second_of_video(tmp_path) -> None:
    """Issue 30: after measured runs the estimate came out 2.5-4x too long, since each source's model loading
    (once per process, and counted again as FIXED_SECONDS) was learned per second of video. The first chunk
    (the load) is left out: 2 steady chunks of 0.02 s over 4 s of video give about 0.005 s a second, not
    (0.6 + 0.04) / 6."""
    video = synth.write_video(synth.Script(duration=6.0, size=(64, 48), fps=5, audio=False), tmp_path / "a.mp4")
    indexer = Indexer(EvidenceCache(tmp_path / "lib"), [_SlowToLoad()], IndexOptions(chunk_seconds=2.0))
    report = indexer.index(video)
    rates = speed.Rates()
    old = rates.of("slow_to_load")
    rates.learn(report)
    read = report.video.duration
    measured = old + (rates.of("slow_to_load") - old) / (speed.LEARN * min(1.0, read / speed.LEARN_FULL))
    assert report.chunks_run == 3
    assert 0.0 < measured < 0.03, measured  # the load counted per second of video would give about 0.1
