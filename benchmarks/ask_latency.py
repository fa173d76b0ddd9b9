"""Question latency with 1 indexed video and with 1,000, retrieval and answer timed apart.

    python benchmarks/ask_latency.py [--videos 1000] [--rows 60]

The first library holds one real video (the needle video the tests use, indexed with the default models).
The second adds 999 videos of synthetic evidence (`--rows` items each, sentences built from a seeded word
list, embedded with the default model). The same questions are asked of both, extractively and with the
packaged LLM; each figure is the median of the questions.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import needle_script  # noqa: E402
from vidseek import synth  # noqa: E402
from vidseek.library import Library, LLMSettings  # noqa: E402
from vidseek.pipeline.index import IndexOptions  # noqa: E402
from vidseek.types import Evidence, Video  # noqa: E402

QUESTIONS = [
    ("What code is written on the screen?", ["TOUCAN 1234", "PELICAN 4821", "HERON 7777", "EAGLE 3003"]),
    ("When is the meeting moved to?", ["Monday morning", "Thursday afternoon", "Friday evening", "Sunday noon"]),
    ("At what time does a person appear?", ["00:00:04", "00:00:15", "00:00:24", "00:00:28"]),
    ("What code is written on the screen?", None),
    ("What day is the meeting?", None),
]
WORDS = ("river market teacher window garden bridge engine orange silver winter doctor camera station "
         "letter planet museum kitchen harbour forest ticket mirror valley castle rocket island pencil").split()
SOURCES = ["speech", "ocr", "objects", "caption"]


def synthetic_videos(library: Library, count: int, rows: int, seed: int = 0) -> float:
    """Add `count` videos of made-up evidence; returns seconds spent writing them."""
    rng = random.Random(seed)
    pool = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))) + f" {rng.randint(0, 9999)}"
            for _ in range(4000)]
    vectors = library.embedder.encode(pool)
    started = time.perf_counter()
    for v in range(count):
        fp = f"{v:032x}"
        video = Video(f"/synthetic/video-{v:04d}.mp4", fp, 3600.0, 25.0, 1280, 720, True, True)
        picks = [rng.randrange(len(pool)) for _ in range(rows)]
        items = [Evidence(fp, float(i * 30), float(i * 30 + 5), rng.choice(SOURCES), pool[p])
                 for i, p in enumerate(picks)]
        library.store.replace_video(video, items, vectors[np.array(picks)])
    return time.perf_counter() - started


def timed(library: Library, llm: LLMSettings) -> tuple[float, float, float]:
    """Median retrieval, answer and total seconds over QUESTIONS."""
    retrieve, answer, total = [], [], []
    for question, choices in QUESTIONS:
        result = library.ask(question, choices, llm=llm)
        retrieve.append(result.timings["retrieve"])
        answer.append(result.timings["answer"])
        total.append(result.timings["total"])
    return statistics.median(retrieve), statistics.median(answer), statistics.median(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=60, help="evidence items per synthetic video")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("GLOG_minloglevel", "2")
    with tempfile.TemporaryDirectory() as tmp:
        movie = synth.write_video(needle_script(), Path(tmp) / "needles.mp4")
        library = Library(Path(tmp) / "lib", device="cpu")
        library.index(movie, options=IndexOptions(chunk_seconds=10))
        modes = {"extractive": LLMSettings(enabled=False), "llm (SmolLM2-135M)": LLMSettings()}
        for llm in modes.values():  # load models and build the keyword index before timing
            library.ask("warm up", llm=llm)
        one = {name: timed(library, llm) for name, llm in modes.items()}

        write_s = synthetic_videos(library, args.videos - 1, args.rows)
        tick = time.perf_counter()
        library.keyword.refresh(library.store)
        rebuild_s = time.perf_counter() - tick
        many = {name: timed(library, llm) for name, llm in modes.items()}

        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, cpu")
        print(f"library sizes: 1 video ({library.store.count() - (args.videos - 1) * args.rows} items) and "
              f"{args.videos} videos ({library.store.count()} items)")
        print(f"writing {args.videos - 1} synthetic videos: {write_s:.1f} s; keyword index rebuild once after: "
              f"{rebuild_s:.1f} s")
        print(f"{'mode':20s} {'videos':>6s} {'retrieve':>9s} {'answer':>8s} {'total':>8s}")
        for name in modes:
            for size, figures in ((1, one[name]), (args.videos, many[name])):
                print(f"{name:20s} {size:6d} {figures[0]:8.3f}s {figures[1]:7.3f}s {figures[2]:7.3f}s")
            print(f"{name:20s} ratio total {args.videos} / 1: {many[name][2] / one[name][2]:.2f}x "
                  f"(retrieval {many[name][0] / one[name][0]:.2f}x)")


if __name__ == "__main__":
    main()
