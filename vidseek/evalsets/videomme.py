"""Video-MME (Fu et al., 2024): 900 videos, 2,700 four-option questions, short / medium / long.

The file is the dataset card's parquet (`videomme/test-00000-of-00001.parquet` on lmms-lab/Video-MME), one
row per question with the fields `video_id` ("001"), `duration` (short | medium | long), `domain`,
`sub_category`, `url`, `videoID` (the YouTube id: the video is `videoID.mp4`, the subtitles `videoID.srt`),
`question_id` ("001-1"), `task_type` ("OCR Problems", …), `question`, `options` (["A. …", "B. …", …]) and
`answer` ("C"). The same records as a JSON list are read too, and so is the official result template (a
list of videos, each with its `questions`). The submission is that template with each question's
`response`, which the authors' `eval_your_results.py` scores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek.evalsets.base import (
    BenchFile,
    Benchmark,
    BenchQuestion,
    FormatError,
    check_options,
    letter,
    read_json,
    text_field,
    unique,
)
from vidseek.pipeline.answer import LETTERS

_PREFIX = re.compile(r"^\s*([A-Z])\s*[.)．:]\s*")
DURATIONS = ("short", "medium", "long")


@dataclass
class VideoMMERow:
    """One row of the parquet, as published."""

    video_id: str
    duration: str
    domain: str
    sub_category: str
    videoID: str  # noqa: N815 -- the dataset's own field name
    question_id: str
    task_type: str
    question: str
    options: list[str]  # as written: "A. …"
    answer: str

    def question_record(self) -> BenchQuestion:
        return BenchQuestion(
            video=self.videoID, qid=self.question_id, question=self.question,
            options=[_PREFIX.sub("", o, count=1) for o in self.options], answer=self.answer,
            groups={"duration": (self.duration,), "task_type": (self.task_type,), "domain": (self.domain,)},
            record=self)


def _rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(where, record) for each question, from the parquet or the JSON forms."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise FormatError("reading Video-MME's parquet needs pyarrow: pip install pyarrow") from None
        try:
            records = pq.read_table(path).to_pylist()
        except OSError as exc:
            raise FormatError(f"cannot read '{path}' as parquet: {exc}") from exc
        return [(f"'{path}' row {n}", r) for n, r in enumerate(records, 1)]
    data = read_json(path)
    if not isinstance(data, list):
        raise FormatError(f"'{path}': expected a list of question records (or of videos with 'questions')")
    out = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise FormatError(f"'{path}' record {n}: expected an object")
        if isinstance(item.get("questions"), list):  # the result template: a video, its questions inside
            for m, q in enumerate(item["questions"], 1):
                if not isinstance(q, dict):
                    raise FormatError(f"'{path}' video {n} question {m}: expected an object")
                out.append((f"'{path}' video {n} question {m}", {**item, **q}))
        else:
            out.append((f"'{path}' record {n}", item))
    return out


def row(record: dict[str, Any], where: str) -> VideoMMERow:
    options = record.get("options")
    if hasattr(options, "tolist"):  # a numpy array, when pandas wrote the file
        options = options.tolist()
    options = check_options(options, where)
    for n, option in enumerate(options):
        prefix = _PREFIX.match(option)
        if prefix and prefix.group(1) != LETTERS[n]:
            raise FormatError(f"{where}: option {n + 1} is labelled {prefix.group(1)!r}, expected {LETTERS[n]!r}")
    duration = text_field(record, "duration", where).lower()
    if duration not in DURATIONS:
        raise FormatError(f"{where}: 'duration' {duration!r} is not one of {', '.join(DURATIONS)}")
    return VideoMMERow(
        video_id=text_field(record, "video_id", where), duration=duration,
        domain=text_field(record, "domain", where, required=False) or "other",
        sub_category=text_field(record, "sub_category", where, required=False),
        videoID=text_field(record, "videoID", where), question_id=text_field(record, "question_id", where),
        task_type=text_field(record, "task_type", where), question=text_field(record, "question", where),
        options=options, answer=letter(text_field(record, "answer", where), options, where))


def read(path: Path) -> BenchFile:
    questions = [row(record, where).question_record() for where, record in _rows(path)]
    return BenchFile(unique(questions, f"'{path}'"))


def submission(questions: Sequence[BenchQuestion], chosen: dict[str, str | None]) -> str:
    """The authors' result template: one entry per video, each question with our `response` (a letter, or ""
    when none was read); a video we could not watch is marked `"missing": true` (their `skip_missing`)."""
    videos: dict[str, dict[str, Any]] = {}
    for q in questions:
        r: VideoMMERow = q.record
        video = videos.setdefault(r.video_id, {"video_id": r.video_id, "duration": r.duration, "domain": r.domain,
                                               "sub_category": r.sub_category, "videoID": r.videoID,
                                               "missing": True, "questions": []})
        asked = q.qid in chosen
        video["missing"] = video["missing"] and not asked
        video["questions"].append({"question_id": r.question_id, "task_type": r.task_type, "question": r.question,
                                   "options": r.options, "answer": r.answer,
                                   "response": (chosen.get(q.qid) or "") if asked else ""})
    return json.dumps(list(videos.values()), indent=1, ensure_ascii=False)


BENCHMARK = Benchmark(
    name="videomme", title="Video-MME", files="videomme/test-00000-of-00001.parquet (or the same records as JSON)",
    read=read, axes=("duration", "task_type", "domain"), submission=submission, submission_suffix=".json")
