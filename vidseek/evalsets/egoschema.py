"""EgoSchema (Mangalam et al., 2023): 5,031 three-minute egocentric clips, one five-option question each.

FILE is `questions.json` (egoschema/EgoSchema): a list of `{"q_uid", "google_drive_id", "question",
"option 0" … "option 4"}`; the clip is `q_uid.mp4`. The answers of a 500-question subset are public in
`subset_answers.json` beside it (`{q_uid: right option number}`): those questions are scored here. The rest
only the authors can score: `--out` writes their Kaggle submission, a CSV of `q_uid,answer` (the option
number), for every question asked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vidseek.evalsets.base import (
    BenchFile,
    Benchmark,
    BenchQuestion,
    FormatError,
    check_options,
    index_letter,
    read_json,
    text_field,
    unique,
)
from vidseek.pipeline.answer import LETTERS

ANSWERS = "subset_answers.json"


@dataclass
class EgoSchemaRow:
    q_uid: str
    question: str
    options: list[str]
    answer: int | None  # from subset_answers.json; None outside the subset

    def question_record(self) -> BenchQuestion:
        return BenchQuestion(video=self.q_uid, qid=self.q_uid, question=self.question, options=list(self.options),
                             answer=LETTERS[self.answer] if self.answer is not None else "",
                             groups={"set": ("subset" if self.answer is not None else "full",)}, record=self)


def read(path: Path) -> BenchFile:
    if path.is_dir():
        path = path / "questions.json"
    data = read_json(path)
    if not isinstance(data, list):
        raise FormatError(f"'{path}': expected a list of questions")
    answers: dict[str, object] = {}
    answers_path = path.with_name(ANSWERS)
    notes = []
    if answers_path.is_file():
        answers = read_json(answers_path)
        if not isinstance(answers, dict):
            raise FormatError(f"'{answers_path}': expected an object of q_uid: option number")
        notes.append(f"answers: {answers_path} ({len(answers)} questions)")
    else:
        notes.append(f"no {ANSWERS} beside {path.name}: nothing can be scored here; --out writes the submission")
    rows = []
    for n, item in enumerate(data, 1):
        where = f"'{path}' question {n}"
        if not isinstance(item, dict):
            raise FormatError(f"{where}: expected an object")
        q_uid = text_field(item, "q_uid", where)
        numbered = sorted((int(k.split()[1]), k) for k in item if k.startswith("option ") and k.split()[1].isdigit())
        if [i for i, _ in numbered] != list(range(len(numbered))):
            raise FormatError(f"{where}: options must be 'option 0', 'option 1', … without gaps")
        options = check_options([item[k] for _, k in numbered], where, "option N")
        answer = None
        if q_uid in answers:
            answer = LETTERS.index(index_letter(answers[q_uid], options, f"'{answers_path}' {q_uid!r}", q_uid))
        rows.append(EgoSchemaRow(q_uid, text_field(item, "question", where), options, answer))
    return BenchFile(unique([r.question_record() for r in rows], f"'{path}'"), notes=notes)


def submission(questions: Sequence[BenchQuestion], chosen: dict[str, str | None]) -> str:
    """Kaggle's `q_uid,answer` CSV; a question with no letter read gets option 0 (Kaggle takes no blank)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["q_uid", "answer"])
    for q in questions:
        if q.qid in chosen:
            choice = chosen[q.qid]
            writer.writerow([q.qid, LETTERS.index(choice) if choice else 0])
    return buffer.getvalue()


BENCHMARK = Benchmark(name="egoschema", title="EgoSchema", files="questions.json (+ subset_answers.json beside it)",
                      read=read, axes=("set",), submission=submission, submission_suffix=".csv")
