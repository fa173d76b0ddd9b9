"""Write one of our own question files in a benchmark's published format, to run it through that reader.

    python -m benchmarks.as_benchmark QUESTIONS.json --to videomme|nextqa --out DIR

Leaves DIR/videos/ID.mp4 (a link to the question file's video) and DIR/videomme.json or DIR/val.csv, then:

    vidseek eval --benchmark videomme DIR/videomme.json --videos DIR/videos

Only multiple-choice questions go across (these formats have no open questions). Video-MME's duration is
the nearest of its buckets (short < 2 min, medium 4–15 min, long 30–60 min); NExT-QA's type is taken from
our task (retrieval → DO, timing → TC, ordering → TN, counting → DC, anything else → CW) and it has at most
five options.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from vidseek.evaluate import load_questions
from vidseek.pipeline.answer import LETTERS
from vidseek.video import probe

NEXTQA_TYPES = {"retrieval": "DO", "timing": "TC", "ordering": "TN", "counting": "DC"}


def bucket(seconds: float) -> str:
    return "short" if seconds < 180 else "medium" if seconds < 1350 else "long"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--to", choices=["videomme", "nextqa"], required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--id", default="4010069381", help="the video's id in the benchmark file")
    args = parser.parse_args()
    qset = load_questions(args.questions)
    chosen = [q for q in qset.questions if q.options and (args.to != "nextqa" or len(q.options) <= 5)]
    (args.out / "videos").mkdir(parents=True, exist_ok=True)
    link = args.out / "videos" / f"{args.id}{qset.video.suffix}"
    if not link.exists():
        link.symlink_to(qset.video.resolve())
    if args.to == "videomme":
        duration = bucket(probe(str(qset.video)).duration)
        records = [{"video_id": "001", "duration": duration, "domain": "Life Record", "sub_category": "Daily Life",
                    "videoID": args.id, "question_id": f"001-{n}", "task_type": q.task, "question": q.question,
                    "options": [f"{LETTERS[i]}. {o}" for i, o in enumerate(q.options)], "answer": q.answer}
                   for n, q in enumerate(chosen, 1)]
        target = args.out / "videomme.json"
        target.write_text(json.dumps(records, indent=1))
    else:
        target = args.out / "val.csv"
        with target.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["video", "frame_count", "width", "height", "question", "answer", "qid", "type",
                             "a0", "a1", "a2", "a3", "a4"])
            for n, q in enumerate(chosen):
                options = q.options + [""] * (5 - len(q.options))
                writer.writerow([args.id, 0, 0, 0, q.question, LETTERS.index(q.answer), n,
                                 NEXTQA_TYPES.get(q.task, "CW"), *options])
    print(f"{target}: {len(chosen)} of {len(qset.questions)} questions; videos in {args.out / 'videos'}")


if __name__ == "__main__":
    main()
