"""Index time over plain decode time of the same video, with the time per extractor.

    python benchmarks/index_speed.py                 # builds a 10-minute 720p video from real footage
    python benchmarks/index_speed.py --video F.mp4   # or times a file you have

The built video loops the Big Buck Bunny trailer (examples/get_trailer.sh) under spoken narration
(espeak-ng, one sentence every 6 s) and an on-screen caption every 30 s, so every source has work.
Plain decode = the same frames at the same rate and the same 16 kHz audio, with no model run. The per-stage
list gives every source's share of the index; the picture sources' (tags + objects) is printed apart.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidseek import Library, synth, video  # noqa: E402
from vidseek.pipeline.index import CHUNK_S, IndexOptions  # noqa: E402

SENTENCES = [
    "The committee will meet again on Thursday afternoon.",
    "Please remember to bring the quarterly report.",
    "The bridge on the north road is closed for repairs.",
    "Our guest today has travelled from Lisbon.",
    "The results were better than anyone expected.",
    "Turn left at the second traffic light.",
    "The recipe needs two cups of flour and one egg.",
    "Tickets for the concert sold out in an hour.",
]


def build_video(minutes: float, path: Path, size: tuple[int, int], fps: int) -> Path:
    trailer = ROOT / "examples" / "media" / "trailer_bbb.mp4"
    if not trailer.exists():
        subprocess.run(["bash", str(ROOT / "examples" / "get_trailer.sh")], check=True)
    with video.FrameReader(trailer, fps=fps, max_side=max(size)) as reader:
        loop = [f.image for f in reader.read(0, video.probe(trailer).duration)]

    def footage(t: float, width: int, height: int) -> np.ndarray:
        return loop[int(t * fps) % len(loop)]

    duration = minutes * 60
    script = synth.Script(
        duration=duration, size=size, fps=fps, scenes=[synth.Scene(0.0, draw=footage)],
        captions=[synth.Caption(t + 10, t + 15, f"CHAPTER {i + 1}: PART {i * 7 % 13}", size=40, xy=(60, 40))
                  for i, t in enumerate(np.arange(0, duration - 15, 30))],
        speech=[synth.Speech(float(t), SENTENCES[i % len(SENTENCES)])
                for i, t in enumerate(np.arange(1, duration - 5, 6))],
        noise=0.01,
    )
    return synth.write_video(script, path)


def plain_decode(path: Path, options: IndexOptions) -> float:
    """Seconds to decode the frames and audio indexing reads, with nothing else."""
    v = video.probe(path)
    start = time.perf_counter()
    with video.FrameReader(path, fps=options.fps, max_side=options.max_side) as reader:
        t = 0.0
        while t < v.duration:
            reader.read(t, min(t + options.chunk_seconds, v.duration))
            if v.has_audio:
                video.load_audio(path, max(0.0, t - 5), min(v.duration, t + options.chunk_seconds + 5))
            t += options.chunk_seconds
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, help="time this file instead of building one")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("GLOG_minloglevel", "2")

    with tempfile.TemporaryDirectory() as tmp:
        path = args.video or build_video(args.minutes, Path(tmp) / "bench.mp4", (1280, 720), 12)
        v = video.probe(path)
        options = IndexOptions(chunk_seconds=CHUNK_S)
        decode_s = plain_decode(path, options)
        from vidseek.extractors import ExtractorSettings

        library = Library(Path(tmp) / "lib")
        report = library.index(path, settings=ExtractorSettings(device=args.device), options=options)
        total = report.seconds["total"]
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, device={args.device}")
        print(f"video: {path.name if args.video else 'built'} {v.duration / 60:.1f} min, {v.width}x{v.height} "
              f"@ {v.fps:.0f} fps")
        print(f"plain decode (same frames + audio): {decode_s:.1f} s")
        print(f"index (every installed source):     {total:.1f} s")
        print(f"ratio index / decode:               {total / decode_s:.1f}x")
        print(f"index / video duration:             {total / v.duration:.3f} "
              f"(1 h of video -> {total / v.duration * 60:.1f} min)")
        print("time per stage:")
        for stage, seconds in sorted(report.seconds.items(), key=lambda kv: -kv[1]):
            if stage != "total":
                print(f"  {stage:8s} {seconds:7.1f} s  {seconds / total:6.1%}")
        pictures = [stage for stage in ("tags", "objects") if stage in report.seconds]
        if pictures:
            cost = sum(report.seconds[stage] for stage in pictures)
            print(f"picture sources ({' + '.join(pictures)}): {cost:.1f} s = {cost / total:.1%} of the index "
                  f"(target ≤ 10%)")
        print("evidence:", ", ".join(f"{n} {s}" for s, n in sorted(report.counts.items())))
        print("skipped:", "; ".join(f"{s}: {why}" for s, why in report.skipped.items()) or "none")


if __name__ == "__main__":
    main()
