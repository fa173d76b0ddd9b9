"""On-screen text engines side by side, in one run: rapidocr (PP-OCRv4 mobile) and easyocr (CRAFT + english_g2).

    python -m benchmarks.ocr_compare                    # pictures, the trailer and a 10-minute NIAH haystack
    python -m benchmarks.ocr_compare --niah-minutes 0   # pictures and the trailer only

Pictures: OpenCV's sample text images (Debian's opencv-doc, when installed, or --opencv-data DIR), title cards
of the Big Buck Bunny trailer (examples/get_trailer.sh) and synth captions over its footage. For each picture
and engine: the share of its true words read (word recall) and the milliseconds of the model steps the ocr
extractor takes: the look for text (every probe; CRAFT on a 320 px copy, PP-OCRv4 at 640 px), the second
detection before a read (easyocr only: CRAFT on the region around the text, at the 640 px scale) and the
recognition of the lines found.

Then each engine runs the ocr extractor as `vidseek index` does (1 fps, 1280 px at most, change-triggered)
over the whole trailer and over a NIAH haystack (benchmarks/niah/generate.py, drawn without its narration):
wall time, model calls, and for NIAH whether each on-screen needle's text is in the evidence over its span.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidseek import synth, video  # noqa: E402
from vidseek.extractors.base import Chunk, merge_adjacent  # noqa: E402
from vidseek.extractors.ocr import ENGINES, OcrExtractor  # noqa: E402
from vidseek.text import normalise_text  # noqa: E402

TRAILER = ROOT / "examples" / "media" / "trailer_bbb.mp4"
OPENCV_DATA = [Path("/usr/share/doc/opencv-doc/examples/data")]
SZELISKI = (  # imageTextN.png and imageTextR.png (the same page, straight and rotated)
    "technical details are too complex to cover in the book itself. In teaching our courses, we have found it "
    "useful for the students to attempt a number of small implementation projects, which often build on one "
    "another, in order to get them used to working with real-world images and the challenges that these "
    "present. The students are then asked to choose an individual topic for each of their small-group, final "
    "projects. (Sometimes these projects even turn into conference papers!) The exercises at the end of each "
    "chapter contain numerous suggestions for smaller mid-term projects, as well as more open-ended problems "
    "whose solutions are still active research topics. Wherever possible, I encourage students to try their "
    "algorithms on their own personal photographs, since this better motivates them, often leads to creative "
    "variants on the problems, and better acquaints them with the variety and complexity of real-world imagery. "
    "In formulating and solving computer vision problems, I have often found it useful to draw inspiration "
    "from three high-level approaches:"
)
OPENCV_IMAGES = {"imageTextN.png": SZELISKI, "imageTextR.png": SZELISKI,
                 "licenseplate_motion.jpg": ""}  # a plate blurred past reading: only what is (wrongly) read
TITLE_CARDS = {  # second of the trailer (sampled at 1 fps) -> its text
    5: "The Blender Foundation and Peach Project presents",
    7: "The Blender Foundation and Peach Project presents Big Buck BUNNY",
    12: "An unlucky bird",
    19: "A (slightly overweight) bunny",
    34: "And three rodent pests",
    49: "Revenge is coming...",
    54: "Made with MoviePy",
}
TEXTLESS = [25, 27, 29, 38, 42, 45]  # seconds of the trailer with no text: the captions' footage
CAPTIONS = [  # (text, font size, top-left) over trailer footage at 1280x720, as synth draws them
    ("LOWER THIRD 77", 36, (40, 600)),
    ("EXIT 12", 26, (60, 60)),
    ("ROOM 42", 40, (900, 80)),
    ("THE SECRET WORD IS PELICAN 4821", 40, (200, 330)),
    ("Quarterly results: revenue up 12% on last year", 30, (120, 640)),
    ("Platform 9 - departures to Lisbon at 14:05", 22, (700, 30)),
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def recall(truth: str, read: str) -> float:
    want, got = Counter(words(truth)), Counter(words(read))
    return sum(min(n, got[w]) for w, n in want.items()) / max(1, sum(want.values()))


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, (time.perf_counter() - t0) * 1000


def picture_row(x: OcrExtractor, image: np.ndarray) -> dict:
    """One picture through one engine as the extractor takes it: the look for text, then a read of what it
    found (a second detection on the region with easyocr, then the recognition)."""
    before = dict(x.timings)
    boxes = x.text_boxes(image)
    lines = x.read(image, boxes) if boxes else []
    ms = {step: (x.timings[step] - before[step]) * 1000 for step in before}
    return {"text": " | ".join(text for text, _ in lines), **ms}


def pictures(args) -> list[tuple[str, str, np.ndarray]]:
    from PIL import Image

    out = []
    data = next((d for d in [*([args.opencv_data] if args.opencv_data else []), *OPENCV_DATA]
                 if (d / "imageTextN.png").exists()), None)
    if data is None:
        print("OpenCV sample text images not found (apt-get install opencv-doc, or --opencv-data DIR): skipped")
    else:
        for name, truth in OPENCV_IMAGES.items():
            out.append((f"opencv {name}", truth, np.asarray(Image.open(data / name).convert("RGB"))))
    with video.FrameReader(TRAILER, fps=1, max_side=video.MAX_SIDE) as reader:
        trailer = [f.image for f in reader.read(0, video.probe(TRAILER).duration)]
    for second, truth in TITLE_CARDS.items():
        out.append((f"trailer {second} s", truth, trailer[second]))
    for i, (text, size, xy) in enumerate(CAPTIONS):
        footage = trailer[TEXTLESS[i % len(TEXTLESS)]]
        script = synth.Script(duration=1, size=(1280, 720), audio=False,
                              scenes=[synth.Scene(0.0, draw=lambda t, w, h, f=footage: f)],
                              captions=[synth.Caption(0.0, 1.0, text, size=size, xy=xy)])
        out.append((f"caption {size}px", text, synth.render_frame(script, 0.0)))
    return out


def chunks_of(path: Path, seconds: float = 60.0) -> list[Chunk]:
    v = video.probe(path)
    with video.FrameReader(path, fps=1, max_side=video.MAX_SIDE) as reader:
        frames = reader.read(0, v.duration)
    out = []
    for i, start in enumerate(np.arange(0, v.duration, seconds)):
        end = min(v.duration, start + seconds)
        part = [f for f in frames if start <= f.time < end]
        out.append(Chunk(i, float(start), float(end), segments=video.segment(v.fingerprint, part, start, end)))
    return out


def run_video(x: OcrExtractor, path: Path, chunks: list[Chunk]):
    v = video.probe(path)
    calls, before = x.model_calls, dict(x.timings)
    t0 = time.perf_counter()
    found = [e for c in chunks for e in x.run(v, c)]
    steps = " / ".join(f"{x.timings[k] - before[k]:.1f}" for k in before)
    return merge_adjacent(found, x.merge_gap), time.perf_counter() - t0, x.model_calls - calls, steps


def niah_video(minutes: float, seed: int, out: Path, given: Path | None = None):
    """The haystack (drawn into out, or a given one built from the same minutes and seed) and its
    on-screen needles."""
    from benchmarks.niah import generate

    p = generate.plan(minutes, seed)
    needles = [n for n in p.needles if n.kind == "ocr"]
    if given is not None:
        return given, needles
    script = replace(generate.script(p, generate.footage_frames()), audio=False, speech=[])
    return synth.write_video(script, out / "haystack.mp4"), needles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--opencv-data", type=Path, help="folder with imageTextN.png etc. (opencv's samples/data)")
    parser.add_argument("--niah-minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--niah-video", type=Path, help="a haystack built before with the same --niah-minutes and "
                                                         "--seed (python -m benchmarks.niah.generate)")
    parser.add_argument("--skip-pictures", action="store_true")
    parser.add_argument("--engines", default=",".join(ENGINES))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not TRAILER.exists():
        subprocess.run(["bash", str(ROOT / "examples" / "get_trailer.sh")], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} "
          f"(1-min average at start); commit {commit}")
    engines = {name: OcrExtractor(device="cpu", engine=name) for name in args.engines.split(",")}
    warm = synth.render_frame(synth.Script(duration=1, audio=False, captions=[synth.Caption(0, 1, "WARM UP 1")]), 0)
    for x in engines.values():  # load the models and run each step once, outside the timings
        picture_row(x, warm)

    print("\n| picture | engine | word recall | look ms | detect ms | recognise ms | read |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    totals = {n: Counter() for n in engines}
    for label, truth, image in [] if args.skip_pictures else pictures(args):
        for name, x in engines.items():  # engines alternate picture by picture: a busy moment hits both
            row = picture_row(x, image)
            score = f"{recall(truth, row['text']):.2f}" if truth else "—"
            if truth:
                totals[name].update(words=len(words(truth)), right=recall(truth, row["text"]) * len(words(truth)))
            totals[name].update(pictures=1, look=row["look"], detect=row["detect"], recognise=row["recognise"])
            shown = row["text"] if len(row["text"]) < 70 else row["text"][:67] + "..."
            print(f"| {label} | {name} | {score} | {row['look']:.0f} | {row['detect']:.0f} | "
                  f"{row['recognise']:.0f} | {shown.replace('|', '/')} |", flush=True)
    for name, t in totals.items() if not args.skip_pictures else []:
        n = t["pictures"]
        print(f"| all {n} | {name} | {t['right'] / max(1, t['words']):.3f} | {t['look'] / n:.0f} (mean) | "
              f"{t['detect'] / n:.0f} (mean) | {t['recognise'] / n:.0f} (mean) | |")

    videos = [("trailer (55 s, 1280x720)", TRAILER, [])]
    tmp = tempfile.TemporaryDirectory()
    if args.niah_minutes > 0:
        path, needles = niah_video(args.niah_minutes, args.seed, Path(tmp.name), args.niah_video)
        videos.append((f"NIAH {args.niah_minutes:g} min seed {args.seed} (640x360)", path, needles))
    print("\n| video | engine | ocr wall s | look / detect / recognise s | model calls | evidence lines | "
          "on-screen needles found |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, path, needles in videos:
        chunks = chunks_of(path)
        for name, x in engines.items():
            found, seconds, calls, steps = run_video(x, path, chunks)
            hits = [n for n in needles
                    if any(normalise_text(n.text) in normalise_text(e.text) and e.start < n.end and e.end > n.start
                           for e in found)]
            score = f"{len(hits)}/{len(needles)}" if needles else "—"
            print(f"| {label} | {name} | {seconds:.1f} | {steps} | {calls} | {len(found)} | {score} |", flush=True)
            for n in needles:
                if n not in hits:
                    near = [e.text for e in found if e.start < n.end + 2 and e.end > n.start - 2]
                    print(f"|   missed {n.text!r} at {n.start:.1f}-{n.end:.1f} s | {name} | read there: {near} |")
            if not needles:
                print(f"|   | {name} | lines: {' / '.join(sorted({e.text for e in found}))[:300]} |")
    print(f"\nload {os.getloadavg()[0]:.1f} (1-min average at the end)")


if __name__ == "__main__":
    main()
