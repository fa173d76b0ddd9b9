"""NExT-QA (Xiao et al., 2021), multiple choice: 5,440 short videos, five options, causal / temporal /
descriptive questions.

FILE is `val.csv` or `test.csv` (doc-doc/NExT-QA, dataset/nextqa/): the columns `video` (its id; the file
is found by that name anywhere under DIR, as in NExTVideo/1164/4010069381.mp4), `frame_count`, `width`,
`height`, `question`, `answer` (the right option's number), `qid` (per video), `type` and `a0` … `a4`.
Types: CW why, CH how (causal); TN before/after with TP folded in, TC when (temporal); DC count, DL location,
DO other (descriptive). The submission is the result file the authors' `eval_mc.py` reads:
`{"<video>_<qid>": {"prediction": n, "answer": n}}` (prediction -1 when no option was read).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidseek.evalsets.base import (
    MAX_QUESTIONS,
    BenchFile,
    Benchmark,
    BenchQuestion,
    FormatError,
    check_options,
    index_letter,
    unique,
)
from vidseek.pipeline.answer import LETTERS

GROUPS = {"C": "causal", "T": "temporal", "D": "descriptive"}
TYPES = {"CW": "why", "CH": "how", "TN": "before/after", "TP": "before/after", "TC": "when", "DC": "count",
         "DL": "location", "DO": "other"}
REQUIRED = ("video", "question", "answer", "qid", "type", "a0", "a1")


@dataclass
class NextQARow:
    video: str
    qid: str
    type: str
    question: str
    options: list[str]
    answer: int | None

    def question_record(self) -> BenchQuestion:
        return BenchQuestion(
            video=self.video, qid=f"{self.video}_{self.qid}", question=self.question, options=list(self.options),
            answer=LETTERS[self.answer] if self.answer is not None else "",
            groups={"group": (GROUPS[self.type[0]],), "type": (TYPES[self.type],)}, record=self)


def read(path: Path) -> BenchFile:
    """The file's questions, read row by row from the open file (a million-row file is never held whole as
    text). A row that the csv module refuses (a field over its 128 KB limit, a stray quote) or bytes that
    are not UTF-8 are one FormatError line naming the line."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return BenchFile(unique(list(_questions(csv.DictReader(fh), path)), f"'{path}'"))
    except OSError as exc:
        raise FormatError(f"cannot read '{path}': {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(f"'{path}' is not UTF-8 text (byte {exc.start})") from exc


def _questions(reader: csv.DictReader, path: Path) -> Iterator[BenchQuestion]:
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise FormatError(f"'{path}' line 1: not CSV ({exc})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FormatError(f"'{path}' line 1: the header lacks column(s) {', '.join(missing)}")
    option_columns = [c for c in (f"a{i}" for i in range(len(LETTERS))) if c in header]
    for n in itertools.count(1):
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # not a ValueError: caught here so it is one line, not a traceback
            raise FormatError(f"'{path}' line {reader.reader.line_num}: not CSV ({exc})") from None
        if n > MAX_QUESTIONS:  # what is read is held: a bound on the rows is the bound on memory
            raise FormatError(f"'{path}' holds more than {MAX_QUESTIONS:,} questions: split it into smaller files")
        yield _row(record, option_columns, f"'{path}' line {reader.line_num}").question_record()


def _row(record: dict[str | None, Any], option_columns: list[str], where: str) -> NextQARow:
    if None in record:  # more cells than the header has columns
        raise FormatError(f"{where}: more cells than the header has columns")
    values = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
    empty = [c for c in ("video", "question", "qid", "type") if not values.get(c)]
    if empty:
        raise FormatError(f"{where}: '{empty[0]}' is empty")
    kind = values["type"].upper()
    if kind not in TYPES:
        raise FormatError(f"{where}: 'type' {values['type']!r} is not one of {', '.join(TYPES)}")
    options = check_options([values[c] for c in option_columns if values.get(c)], where, "a0…a4")
    answer = None
    if values["answer"]:
        answer = LETTERS.index(index_letter(values["answer"], options, where))
    return NextQARow(values["video"], values["qid"], kind, values["question"], options, answer)


def submission(questions: Sequence[BenchQuestion], chosen: dict[str, str | None]) -> str:
    out = {}
    for q in questions:
        if q.qid in chosen:
            choice = chosen[q.qid]
            out[q.qid] = {"prediction": LETTERS.index(choice) if choice else -1,
                          "answer": LETTERS.index(q.answer) if q.answer else -1}
    return json.dumps(out, indent=1)


BENCHMARK = Benchmark(name="nextqa", title="NExT-QA (multiple choice)", files="val.csv or test.csv", read=read,
                      axes=("group", "type"), submission=submission, submission_suffix=".json")
