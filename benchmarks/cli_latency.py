"""How long the real `vidseek` commands take, each run as a new process, against a library holding an hour of video.

    python benchmarks/cli_latency.py [--runs 5] [--library DIR]
        [--commands help,search,ask-no-llm,ask-llm,ask-llm-choice]

Commands timed (wall clock from process start to exit, median of --runs after one untimed warm-up run, so
the files are in the OS cache and the packaged GGUF is joined): `vidseek --help`, `vidseek search`,
`vidseek ask --no-llm`, and `vidseek ask` with the default LLM (docs/models.md) as an open question and with
four `--choices` (targets 15 s and 12 s, issue 28), each `python -m vidseek`
with this tree first on PYTHONPATH, as the `vidseek` script runs it.

The library: a built 1-hour video (64x48, 1 fps, no sound) with a sidecar .srt of 900 cues, one every 4 s,
the density of continuous speech, indexed with the subtitle source only (nothing else has input). So the
evidence count, and what search, retrieval and the prompt handle, is that of an hour of talk; indexing
cost is not measured here (benchmarks/index_speed.py does that).

Where the time goes is measured, not guessed: `-X importtime` totals by top-level package for each command,
and one process doing `ask`'s steps in order with a clock around each (import, store open, embedder load,
retrieval, LLM import, model load, prompt and generation as llama.cpp itself times them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOUR = 3600.0
CUE_EVERY = 4.0  # seconds: ~900 cues in the hour, continuous speech
QUESTION = "When does the ferry to the island leave?"
QUERY = "ferry to the island"
OPTIONS = ["at noon", "at half past four", "at nine in the morning", "at midnight"]  # the multiple-choice form
NEEDLES = {  # said once each, somewhere in the hour
    1234.0: "The ferry to the island leaves at half past four from pier seven.",
    2410.0: "The harbour master, Ada Brooks, signs every departure.",
}
SUBJECTS = ("the committee", "our team", "the council", "the new manager", "the engineers", "the visitors",
            "the school board", "my colleague", "the delivery crew", "the lab")
VERBS = ("will review", "has finished", "wants to discuss", "is planning", "should check", "could postpone",
         "already approved", "needs to budget for", "is worried about", "presented")
OBJECTS = ("the quarterly report", "the bridge repairs", "the winter schedule", "the training plan",
           "the museum exhibit", "the parking changes", "the software update", "the kitchen renovation",
           "the garden project", "the concert tickets", "the safety audit", "the station timetable")
TAILS = ("before Friday.", "next month.", "this afternoon.", "after lunch.", "with the whole group.",
         "once the numbers are in.", "if the weather holds.", "as we agreed last week.")

DRIVER = r"""
import json, sys, time
library, question, with_llm, options = sys.argv[1], sys.argv[2], sys.argv[3] == "llm", json.loads(sys.argv[4])
marks, t = [], time.perf_counter()
def mark(name):
    global t
    now = time.perf_counter()
    marks.append([name, now - t])
    t = now
import vidseek.cli  # every command's start-up
mark("import vidseek.cli")
from vidseek.library import Library, LLMSettings
lib = Library(library)
lib.store.list_videos()
mark("open the store (chromadb)")
lib.embedder.encode(["warm up"])
mark("load the query embedder (MiniLM weights in numpy) and embed a text")
lib.search(question, 12)
mark("retrieve: embed the query, dense + BM25 (index loaded), neighbours")
out = {"marks": marks}
if with_llm:
    from vidseek.pipeline import llm as backend
    reasoner = lib.reasoner(LLMSettings())
    mark("import the LLM backend (langchain-core, xllamacpp) and find the GGUF")
    if reasoner.llm is None:
        out["unavailable"] = reasoner.unavailable
    else:
        reasoner.llm._load()
        mark("load the LLM (GGUF into llama.cpp)")
        timings = []
        real = backend._raise_if_error
        def spy(reply):
            timings.append(reply.get("timings") or {})
            real(reply)
        backend._raise_if_error = spy
        answer = lib.ask(question, llm=LLMSettings())
        mark("ask: retrieve, prompt and generate")
        out.update(llama=timings, answer=answer.text, mode=answer.mode, model=str(reasoner.llm.model_path),
                   timings=answer.timings)
        timings = out["choice_llama"] = []
        choice = lib.ask(question, options, llm=LLMSettings())
        mark("ask --choices: retrieve, prompt and score the options (prompt prefix cached from the open question)")
        out.update(choice=choice.text)
else:
    answer = lib.ask(question, llm=LLMSettings(enabled=False))
    mark("ask: retrieve and answer extractively")
    out.update(answer=answer.text, mode=answer.mode, timings=answer.timings)
print("\n" + json.dumps(out))
"""


def script_lines(seed: int = 0) -> list[tuple[float, float, str]]:
    """The hour's cues: one every CUE_EVERY seconds, plain meeting talk, with the needles in their places."""
    rng = random.Random(seed)
    cues = []
    t = 1.0
    while t < HOUR - CUE_EVERY:
        needle = next((text for at, text in NEEDLES.items() if t <= at < t + CUE_EVERY), None)
        text = needle or (f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                          f"{rng.choice(TAILS)}")
        cues.append((t, t + CUE_EVERY - 0.8, text))
        t += CUE_EVERY
    return cues


def build_library(folder: Path) -> tuple[Path, Path, int]:
    """folder/hour.mp4 with hour.srt beside it, indexed (subtitles only) into folder/lib; reused when there."""
    from vidseek import synth
    from vidseek.library import Library

    folder.mkdir(parents=True, exist_ok=True)
    video, lib = folder / "hour.mp4", folder / "lib"
    if not video.exists():
        print(f"building a 1-hour video in {folder} …", flush=True)
        synth.write_video(synth.Script(duration=HOUR, size=(64, 48), fps=1, audio=False), video)
    synth.write_srt(script_lines(), folder / "hour.srt")
    library = Library(lib, device="cpu")
    started = time.perf_counter()
    report = library.index(video, sources=["subtitle"])
    if report.chunks_run:  # nothing new to index when the library was reused
        print(f"indexed the subtitles in {time.perf_counter() - started:.1f} s", flush=True)
    return video, lib, sum(report.counts.values())


def command_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDSEEK_LIBRARY")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run(args: list[str], timeout: float = 900, extra: list[str] | None = None,
        env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *(extra or []), "-m", "vidseek", *args], capture_output=True, text=True,
                          env={**command_env(), **(env or {})}, timeout=timeout)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"vidseek {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, done


def import_totals(args: list[str]) -> tuple[float, list[tuple[str, float]], set[str]]:
    """Seconds spent importing (sum of -X importtime's self times), the top packages, and which of the heavy
    libraries were imported at all."""
    # VIDSEEK_DEBUG keeps file descriptor 2, where -X importtime writes (commands otherwise silence it)
    _, done = run(args, extra=["-X", "importtime"], env={"VIDSEEK_DEBUG": "1"})
    per: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:"):].split("|"))
        per[name.split(".")[0]] += int(self_us) / 1e6
    heavy = {p for p in ("torch", "transformers", "sentence_transformers", "langchain_core", "chromadb",
                         "xllamacpp") if p in per}
    return sum(per.values()), per.most_common(6), heavy


def phases(library: Path, with_llm: bool) -> dict:
    done = subprocess.run([sys.executable, "-c", DRIVER, str(library), QUESTION, "llm" if with_llm else "none",
                           json.dumps(OPTIONS)],
                          capture_output=True, text=True, env=command_env(), timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"phase driver failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--library", type=Path, help="build (or reuse) the video and library here")
    parser.add_argument("--commands", default="help,search,ask-no-llm,ask-llm,ask-llm-choice",
                        help="which to time, comma-separated (default: all five)")
    args = parser.parse_args()
    wanted = set(args.commands.split(","))

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.library or Path(tmp)
        video, lib, items = build_library(folder)
        commands = [(name, argv, target) for key, name, argv, target in (
            ("help", "vidseek --help", ["--help"], 1.0),
            ("search", "vidseek search", ["search", QUERY, "-L", str(lib)], 3.0),
            ("ask-no-llm", "vidseek ask --no-llm", ["ask", str(video), QUESTION, "--no-llm", "-L", str(lib)], 5.0),
            ("ask-llm", "vidseek ask (default LLM)", ["ask", str(video), QUESTION, "-L", str(lib)], 15.0),
            ("ask-llm-choice", "vidseek ask --choices (LLM)",
             ["ask", str(video), QUESTION, "--choices", *OPTIONS, "-L", str(lib)], 12.0),
        ) if key in wanted]
        load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores; load average before: {' '.join(load_before)}")
        print(f"library: 1 video of {HOUR / 3600:.0f} h, {items} evidence items (subtitle cues, one every "
              f"{CUE_EVERY:.0f} s: the evidence count of an hour of speech)")
        print(f"each command: median of {args.runs} new processes after 1 warm-up\n")
        rows = []
        for name, argv, target in commands:
            run(argv)  # warm-up: file cache, joined GGUF
            times = [run(argv)[0] for _ in range(args.runs)]
            median = statistics.median(times)
            rows.append((name, median, min(times), max(times), target))
            verdict = "PASS" if median <= target else "FAIL"
            print(f"{name:27s} median {median:6.2f} s  (min {min(times):.2f}, max {max(times):.2f})  "
                  f"target ≤{target:.0f} s  {verdict}", flush=True)
        print("\nimports per command (-X importtime, one run each):")
        for name, argv, _ in commands:
            total, top, heavy = import_totals(argv)
            listed = ", ".join(f"{p} {s:.2f}" for p, s in top)
            print(f"  {name:27s} {total:5.2f} s importing; top: {listed}")
            print(f"  {'':27s} heavy libraries imported: {', '.join(sorted(heavy)) or 'none'}")
        for with_llm in [flag for key, flag in (("ask-no-llm", False), ("ask-llm", True)) if key in wanted]:
            found = phases(lib, with_llm)
            print(f"\nsteps of ask {'with the default LLM' if with_llm else '--no-llm'} in one process:")
            for step, seconds in found["marks"]:
                print(f"  {seconds:6.2f} s  {step}")
            if found.get("unavailable"):
                print(f"  (no LLM: {found['unavailable']})")
            for t in found.get("llama", []) + [None] + found.get("choice_llama", []):
                if t is None and found.get("choice_llama"):
                    print("  then the same question with four options (each option order or check a call):")
                if t:
                    print(f"  llama.cpp: prompt {t.get('prompt_n')} tokens in {t.get('prompt_ms', 0) / 1000:.2f} s "
                          f"({t.get('prompt_per_second', 0):.0f} tok/s), generated {t.get('predicted_n')} tokens in "
                          f"{t.get('predicted_ms', 0) / 1000:.2f} s ({t.get('predicted_per_second', 0):.1f} tok/s)")
            if found.get("model"):
                print(f"  model: {Path(found['model']).name}")
            print(f"  answer ({found.get('mode')}): {found.get('answer', '')[:160]!r}")
            if found.get("choice"):
                print(f"  with options: {found['choice'][:160]!r}")
        load_after = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        print(f"\nload average after: {' '.join(load_after)}")


if __name__ == "__main__":
    main()
