"""Small files in each benchmark's published format, written from one list of questions about generated clips.

The same questions go into a native question file per clip, so a test can check that `vidseek eval
--benchmark` grades each question as `vidseek eval` does. Video ids are digits, which every format takes
(NExT-QA's are numbers); "9999" names a video that is not in the folder.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from vidseek import synth
from vidseek.pipeline.answer import LETTERS

CLIPS = {"1001": "FERRY 42", "1002": "ROSES 17", "1003": "APPLES 9"}  # video id -> text on screen
MISSING = "9999"


@dataclass
class Q:
    video: str
    n: int  # the question's number within its video
    question: str
    options: list[str]
    answer: str  # letter
    on_screen: bool  # answered by the text on screen (the extractive reasoner should get it)

    @property
    def index(self) -> int:
        return LETTERS.index(self.answer)


def questions() -> list[Q]:
    out = []
    for i, (video, text) in enumerate([*CLIPS.items(), (MISSING, "GATE 5")]):
        word, number = text.split()
        options = [text, f"{word} {int(number) + 11}", f"HARBOR {number}", f"TRAIN {int(number) + 3}"]
        shift = i % len(options)  # the right option in a different place in each video
        options = options[shift:] + options[:shift]
        out.append(Q(video, 0, "Which sign is shown on the screen?", options, LETTERS[options.index(text)], True))
        out.append(Q(video, 1, "What is the weather like in the video?", ["sunny", "rainy", "snowy"],
                     "BCA"[i % 3], False))
    return out


def make_clips(folder: Path) -> Path:
    """One 4 s clip per video id with its text on screen the whole time (no sound: OCR is the source)."""
    folder.mkdir(parents=True, exist_ok=True)
    for video, text in CLIPS.items():
        script = synth.Script(duration=4.0, size=(320, 180), fps=5, audio=False,
                              captions=[synth.Caption(0.0, 4.0, text, size=32)])
        synth.write_video(script, folder / f"{video}.mp4")
    return folder


def write_native(folder: Path, videos: Path, qs: list[Q]) -> list[Path]:
    """A native question file per clip that exists (docs/eval.md), qid = VIDEO_N."""
    out = []
    for video in CLIPS:
        path = folder / f"native-{video}.json"
        path.write_text(json.dumps({"video": str(videos / f"{video}.mp4"), "questions": [
            {"qid": f"{q.video}_{q.n}", "task": "sign" if q.on_screen else "weather", "question": q.question,
             "options": q.options, "answer": q.answer} for q in qs if q.video == video]}))
        out.append(path)
    return out


def videomme_records(qs: list[Q]) -> list[dict]:
    ids = {v: f"{n:03d}" for n, v in enumerate(dict.fromkeys(q.video for q in qs), 1)}
    return [{"video_id": ids[q.video], "duration": "short", "domain": "Life Record", "sub_category": "Travel",
             "url": f"https://www.youtube.com/watch?v={q.video}", "videoID": q.video,
             "question_id": f"{ids[q.video]}-{q.n + 1}", "task_type": "OCR Problems" if q.on_screen
             else "Attribute Perception", "question": q.question,
             "options": [f"{LETTERS[i]}. {o}" for i, o in enumerate(q.options)], "answer": q.answer} for q in qs]


def write_videomme(path: Path, qs: list[Q]) -> Path:
    records = videomme_records(qs)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(records), path)
    else:
        path.write_text(json.dumps(records))
    return path


def write_lvbench(path: Path, qs: list[Q]) -> Path:
    lines = []
    for video in dict.fromkeys(q.video for q in qs):
        qa = [{"uid": f"{video}{q.n}", "question": q.question + "".join(
                   f"\n({LETTERS[i]}) {o}" for i, o in enumerate(q.options)), "answer": q.answer,
               "question_type": ["key information retrieval"] if q.on_screen else ["entity recognition", "reasoning"],
               "time_reference": "00:00-00:04"} for q in qs if q.video == video]
        lines.append(json.dumps({"key": video, "type": "documentary", "video_info": {"duration_minutes": 0.07},
                                 "qa": qa}))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_mlvu(folder: Path, qs: list[Q]) -> Path:
    """Two task files (the sign questions as findNeedle, the weather ones as plotQA) and a generation task."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, kind, on_screen in (("1_plotQA.json", "plotQA", False), ("2_needle.json", "findNeedle", True)):
        (folder / name).write_text(json.dumps([
            {"video": f"{q.video}.mp4", "duration": 4, "question": q.question, "candidates": q.options,
             "answer": q.options[q.index], "question_type": kind} for q in qs if q.on_screen == on_screen]))
    (folder / "9_summary.json").write_text(json.dumps([
        {"video": "1001.mp4", "duration": 4, "question": "Summarize the video.", "answer": "A ferry sign.",
         "question_type": "summary"}]))
    return folder


def write_egoschema(folder: Path, qs: list[Q], answered: int = 2) -> Path:
    """questions.json with one question per clip, as in EgoSchema (the sign question, the weather one, in turn),
    and the answers of the first `answered` in subset_answers.json."""
    folder.mkdir(parents=True, exist_ok=True)
    videos = list(dict.fromkeys(q.video for q in qs))
    signs = [q for q in qs if q.on_screen == (videos.index(q.video) % 2 == 0)]
    (folder / "questions.json").write_text(json.dumps([
        {"q_uid": q.video, "google_drive_id": "x", "question": q.question,
         **{f"option {i}": o for i, o in enumerate(q.options)}} for q in signs]))
    (folder / "subset_answers.json").write_text(json.dumps({q.video: q.index for q in signs[:answered]}))
    return folder / "questions.json"


def write_nextqa(path: Path, qs: list[Q]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["video", "frame_count", "width", "height", "question", "answer", "qid", "type",
                         "a0", "a1", "a2", "a3", "a4"])
        for q in qs:
            options = q.options + [""] * (5 - len(q.options))  # NExT-QA has five; empty cells are none
            writer.writerow([q.video, 20, 320, 180, q.question, q.index, q.n, "DO" if q.on_screen else "CW",
                             *options])
    return path
