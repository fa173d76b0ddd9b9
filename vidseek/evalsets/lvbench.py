"""LVBench (Wang et al., 2024): 103 videos of about an hour, 1,549 four-option questions, six capabilities.

The file is `video_info.meta.jsonl` (THUDM/LVBench): one video per line, `{"key": YouTube id (the video is
key.mp4), "type": "documentary" | …, "video_info": {…}, "qa": [{"uid", "question", "answer", "question_type":
[capabilities], "time_reference": "00:15-00:19"}]}`. The options are written into the question
("…?\\n(A) 1636\\n(B) 1366\\n…"). Capabilities: entity recognition, event understanding, key information
retrieval, temporal grounding, reasoning, summarization; a question can test several, and counts in each.
There is no submission format (the answers are public); the report holds every prediction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek.evalsets.base import BenchFile, Benchmark, BenchQuestion, FormatError, clock, letter, text_field, unique
from vidseek.pipeline.answer import LETTERS

_OPTION = re.compile(r"\s*\(([A-J])\)\s*")


@dataclass
class LVBenchRow:
    """One question of a video's `qa` list, with the video's own fields."""

    key: str
    video_type: str
    uid: str
    question: str  # as written, options included
    answer: str
    question_type: list[str]
    time_reference: str

    def question_record(self, where: str) -> BenchQuestion:
        stem, options = split_options(self.question, where)
        return BenchQuestion(
            video=self.key, qid=self.uid, question=stem, options=options, answer=letter(self.answer, options, where),
            groups={"capability": tuple(self.question_type) or ("other",), "video_type": (self.video_type,)},
            evidence=spans(self.time_reference), record=self)


def split_options(text: str, where: str) -> tuple[str, list[str]]:
    """'Which year?\\n(A) 1636\\n(B) 1366' → ('Which year?', ['1636', '1366'])."""
    first = text.find("(A)")
    if first < 0:
        raise FormatError(f"{where}: 'question' holds no options written as '(A) …'")
    parts = _OPTION.split(text[first:])[1:]  # letter, option, letter, option, …
    letters, options = parts[0::2], [p.strip() for p in parts[1::2]]
    if letters != list(LETTERS[: len(letters)]) or len(options) < 2:
        raise FormatError(f"{where}: the options in 'question' are not (A), (B), … in order")
    if not all(options):
        raise FormatError(f"{where}: option {LETTERS[options.index('')]} is empty")
    return text[:first].strip(), options


def spans(reference: str) -> list[tuple[float, float]]:
    """'00:15-00:19' (or several, comma-separated) as gold spans; anything else is not used."""
    out = []
    for part in reference.split(","):
        ends = [clock(t) for t in re.split(r"\s*[-–]\s*", part.strip())]
        if len(ends) == 2 and None not in ends:
            out.append((float(ends[0]), float(ends[1])))  # type: ignore[arg-type]
    return out


def read(path: Path) -> BenchFile:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise FormatError(f"cannot read '{path}': {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(f"'{path}' is not UTF-8 text (byte {exc.start})") from exc
    questions = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"'{path}' line {n}"
        try:
            video: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{where}: not JSON: {exc.msg} (column {exc.colno})") from None
        except RecursionError:
            raise FormatError(f"{where}: nested too deeply") from None
        if not isinstance(video, dict):
            raise FormatError(f"{where}: expected an object with 'key' and 'qa'")
        key = text_field(video, "key", where)
        if not isinstance(video.get("qa"), list):
            raise FormatError(f"{where}: 'qa' must be a list of questions")
        for m, qa in enumerate(video["qa"], 1):
            at = f"{where} question {m}"
            if not isinstance(qa, dict):
                raise FormatError(f"{at}: expected an object")
            kinds = qa.get("question_type", [])
            kinds = [kinds] if isinstance(kinds, str) else kinds
            if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
                raise FormatError(f"{at}: 'question_type' must be a list of capability names")
            row = LVBenchRow(key, text_field(video, "type", where, required=False) or "other",
                             text_field(qa, "uid", at), text_field(qa, "question", at), text_field(qa, "answer", at),
                             kinds, text_field(qa, "time_reference", at, required=False))
            questions.append(row.question_record(at))
    return BenchFile(unique(questions, f"'{path}'"))


BENCHMARK = Benchmark(name="lvbench", title="LVBench", files="video_info.meta.jsonl", read=read,
                      axes=("capability", "video_type"))
