"""Batch throughput with 1 and 2 local workers on the same files, and the ratio, measured in one run.

    python -m benchmarks.batch_scaling                       # 6 built videos of about 1 minute
    python -m benchmarks.batch_scaling --videos 8 --minutes 2 --workers 1 2 4

Each run indexes the same files into a fresh library with every installed source, worker start-up
(model loading) included, as `vidseek batch` does. The videos loop real footage (the Big Buck Bunny
trailer) under narration and captions (see index_speed.py); their lengths differ slightly so each is a
different file. How the same job runs on a Ray cluster: docs/scale.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import warnings
from pathlib import Path

from benchmarks.index_speed import build_video
from vidseek.extractors import ExtractorSettings
from vidseek.pipeline.batch import Batch, BatchSettings
from vidseek.pipeline.pools import LocalPool


def run(files: list[Path], library: Path, workers: int, device: str) -> tuple[float, float]:
    """(wall seconds, hours of video indexed) for one batch with this many workers."""
    settings = BatchSettings(str(library), extractors=ExtractorSettings(device=device))
    started = time.perf_counter()
    report = Batch(settings).run(files, lambda n: LocalPool(settings, workers))
    seconds = time.perf_counter() - started
    failed = report.failed
    if failed:
        raise SystemExit(f"{len(failed)} file(s) failed: {failed[0].error}")
    return seconds, sum(r.duration for r in report.results) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=6)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("GLOG_minloglevel", "2")

    with tempfile.TemporaryDirectory() as tmp:
        files = [build_video(args.minutes + i * 0.05, Path(tmp) / f"video-{i}.mp4", (640, 360), 12)
                 for i in range(args.videos)]
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"device={args.device}")
        print(f"batch: {len(files)} videos, {args.minutes:.2f}–{args.minutes + (len(files) - 1) * 0.05:.2f} min "
              f"each, 640x360, every installed source")
        rates: dict[int, float] = {}
        for workers in args.workers:
            seconds, hours = run(files, Path(tmp) / f"lib-{workers}", workers, args.device)
            rates[workers] = len(files) / seconds * 3600
            print(f"{workers} worker(s): {seconds:7.1f} s  {rates[workers]:7.1f} videos/h  "
                  f"{hours / seconds * 3600:6.2f} h of video per hour")
        base = args.workers[0]
        for workers in args.workers[1:]:
            print(f"ratio {workers} workers / {base}: {rates[workers] / rates[base]:.2f}x")


if __name__ == "__main__":
    main()
