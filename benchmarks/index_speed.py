"""Index time over plain decode time of the same video, with the time per extractor.

    python benchmarks/index_speed.py                 # builds a 10-minute 720p video from real footage
    python benchmarks/index_speed.py --minutes 60    # 10 built minutes copied end to end to make an hour
    python benchmarks/index_speed.py --minutes 180 --cheap   # 3 h at 640x360, 6 fps, no captions
    python benchmarks/index_speed.py --video F.mp4   # or times a file you have

The built video loops the Big Buck Bunny trailer (examples/get_trailer.sh) under spoken narration
(espeak-ng, one sentence every 6 s) and an on-screen caption every 30 s, so every source has work.
Plain decode = the same frames at the same rate and the same 16 kHz audio, with no model run. The per-stage
list gives every source's share of the index; the picture sources' (tags + objects) is printed apart.

Longer videos repeat the built 10 minutes by copying the encoded packets (no re-encode, so a 3-hour file takes
seconds to make); the cache is keyed by content and chunk, so a repeat is indexed like new footage. Printed
besides the totals: the seconds and resident memory after each slice of the video (time linear and memory
flat in video length are what they show), and the stages' summed seconds over the wall time (above 1.0:
the sound lane ran beside the pictures).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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


def build_video(minutes: float, path: Path, size: tuple[int, int], fps: int, captions: bool = True) -> Path:
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
                  for i, t in enumerate(np.arange(0, duration - 15, 30))] if captions else [],
        speech=[synth.Speech(float(t), SENTENCES[i % len(SENTENCES)])
                for i, t in enumerate(np.arange(1, duration - 5, 6))],
        noise=0.01,
    )
    return synth.write_video(script, path)


def repeat_video(part: Path, times: int, path: Path) -> Path:
    """`part` end to end `times` times, packets copied with shifted timestamps (PyAV; no ffmpeg program)."""
    import av

    with av.open(str(part)) as first:  # where the part ends, in seconds: the later copies start there
        ends = [float((p.pts + (p.duration or 0)) * p.time_base) for p in first.demux() if p.pts is not None]
    length = max(ends)
    with av.open(str(path), "w") as out:
        streams: dict = {}
        last: dict[int, int] = {}  # a copy's first audio packets (encoder priming) overlap the previous end
        for n in range(times):
            with av.open(str(part)) as src:
                if not streams:
                    streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
                for packet in src.demux():
                    if packet.dts is None:
                        continue
                    shift = round(n * length / packet.time_base)
                    packet.pts = (packet.pts if packet.pts is not None else packet.dts) + shift
                    packet.dts += shift
                    index = packet.stream.index
                    if packet.dts <= last.get(index, -(1 << 62)):
                        continue
                    last[index] = packet.dts
                    packet.stream = streams[index]
                    out.mux(packet)
    return path


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    parser.add_argument("--cheap", action="store_true", help="640x360 at 6 fps and no captions (cheap to index)")
    parser.add_argument("--slices", type=int, default=6, help="report time and memory after each of N slices")
    parser.add_argument("--no-overlap", action="store_true", help="run sound and pictures one after the other")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ.setdefault("GLOG_minloglevel", "2")

    with tempfile.TemporaryDirectory() as tmp:
        size, fps = ((640, 360), 6) if args.cheap else ((1280, 720), 12)
        path = args.video
        if path is None:
            base = min(args.minutes, 10.0)
            path = build_video(base, Path(tmp) / "part.mp4", size, fps, captions=not args.cheap)
            if args.minutes > base:
                path = repeat_video(path, int(round(args.minutes / base)), Path(tmp) / "bench.mp4")
        v = video.probe(path)
        options = IndexOptions(chunk_seconds=CHUNK_S, overlap=not args.no_overlap)
        decode_s = plain_decode(path, options)
        from vidseek.extractors import ExtractorSettings

        total_chunks = max(1, int(np.ceil(v.duration / CHUNK_S)))
        marks = sorted({max(1, round(total_chunks * (k + 1) / args.slices)) for k in range(args.slices)})
        seen: list[tuple[int, float, float]] = []
        began = time.perf_counter()

        def progress(stage: str, done: int, total: int) -> None:
            if total == total_chunks and done in marks and all(d != done for d, _, _ in seen):
                seen.append((done, time.perf_counter() - began, rss_mb()))

        library = Library(Path(tmp) / "lib")
        report = library.index(path, settings=ExtractorSettings(device=args.device), options=options,
                               progress=progress)
        total = report.seconds["total"]
        staged = sum(s for k, s in report.seconds.items() if k != "total")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, device={args.device},"
              f" load average before the run {os.getloadavg()[0]:.1f}")
        print(f"video: {path.name if args.video else 'built'} {v.duration / 60:.1f} min, {v.width}x{v.height} "
              f"@ {v.fps:.0f} fps")
        print(f"plain decode (same frames + audio): {decode_s:.1f} s")
        print(f"index (every installed source):     {total:.1f} s")
        print(f"ratio index / decode:               {total / decode_s:.1f}x")
        print(f"index / video duration:             {total / v.duration:.3f} "
              f"(1 h of video -> {total / v.duration * 60:.1f} min)")
        print(f"stages summed / wall time:          {staged / total:.2f} "
              f"({'sound beside pictures' if not args.no_overlap else 'one after the other'})")
        print(f"peak resident memory:               {peak_rss_mb():.0f} MB")
        print("time per stage (summed over both lanes):")
        for stage, seconds in sorted(report.seconds.items(), key=lambda kv: -kv[1]):
            if stage != "total":
                print(f"  {stage:8s} {seconds:7.1f} s  {seconds / total:6.1%}")
        print("slices (video minutes done: seconds so far, seconds per video minute in the slice, memory now):")
        last_t, last_chunk = 0.0, 0
        for done, at, rss in seen:
            minutes = (done - last_chunk) * CHUNK_S / 60
            print(f"  {done * CHUNK_S / 60:6.0f} min: {at:7.1f} s  {(at - last_t) / max(minutes, 1e-9):5.1f} s/min"
                  f"  {rss:6.0f} MB")
            last_t, last_chunk = at, done
        pictures = [stage for stage in ("tags", "objects") if stage in report.seconds]
        if pictures:
            cost = sum(report.seconds[stage] for stage in pictures)
            print(f"picture sources ({' + '.join(pictures)}): {cost:.1f} s = {cost / total:.1%} of the index "
                  f"(target ≤ 10%)")
        print("evidence:", ", ".join(f"{n} {s}" for s, n in sorted(report.counts.items())))
        print("skipped:", "; ".join(f"{s}: {why}" for s, why in report.skipped.items()) or "none")


if __name__ == "__main__":
    main()
