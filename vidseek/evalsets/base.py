"""What every benchmark reader gives: questions in one typed record that grades like vidseek's own format.

Each benchmark module reads its authors' files into its own typed rows (the fields as published) and turns
each row into a BenchQuestion; grading then goes through vidseek.evaluate (`GoldQuestion`, `is_right`), so
a benchmark is scored exactly as the same question in a native question file would be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidseek.errors import BadRequest
from vidseek.evaluate import GoldQuestion
from vidseek.pipeline.answer import LETTERS
from vidseek.text import read_json_file

MAX_QUESTIONS = 100_000  # per file: the largest published split (NExT-QA's train, 34k) fits three times over


class FormatError(BadRequest):
    """A benchmark file that is not in its published format; the message is one line naming the file and the
    line, row or field at fault."""


@dataclass
class BenchQuestion:
    """One multiple-choice question of a benchmark file, in vidseek's terms.

    `groups` says where the question counts in the benchmark's own breakdown, per axis; a question may count
    in several groups of one axis (an LVBench question can test two capabilities)."""

    video: str  # the id the benchmark names the video by: a file DIR/<video>.<ext> (or the relative path given)
    qid: str  # unique in the file
    question: str
    options: list[str]
    answer: str  # the right letter; "" when the file holds no answer (only a submission can score it)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    evidence: list[tuple[float, float]] = field(default_factory=list)  # gold spans, where the benchmark has them
    record: Any = None  # the benchmark's own typed row, for its submission file

    @property
    def graded(self) -> bool:
        return bool(self.answer)

    def gold(self) -> GoldQuestion:
        """The same question as a native question-file record, so grading is vidseek.evaluate's."""
        first = next(iter(self.groups.values()), ())
        return GoldQuestion(self.qid, first[0] if first else "other", self.question, list(self.options),
                            self.answer, list(self.evidence))


@dataclass
class BenchFile:
    """What a reader found in a file: the questions it can ask, and what it left out and why."""

    questions: list[BenchQuestion]
    left_out: dict[str, int] = field(default_factory=dict)  # reason -> questions (e.g. open-ended, needs a judge)
    notes: list[str] = field(default_factory=list)  # e.g. which answer file graded the questions


# a submission file's text from the questions and the letters chosen (None: asked, no letter read; a question
# that is absent was not asked: its video is missing)
Submission = Callable[[Sequence[BenchQuestion], dict[str, str | None]], str]


@dataclass(frozen=True)
class Benchmark:
    """A benchmark vidseek reads: its reader, the axes of its own breakdown, and its submission format."""

    name: str
    title: str
    files: str  # what FILE is, as the benchmark publishes it
    read: Callable[[Path], BenchFile]
    axes: tuple[str, ...] = ()
    submission: Submission | None = None
    submission_suffix: str = ".json"
    headline: Callable[[dict[str, dict[str, dict[str, float]]]], dict[str, float]] | None = None


# --- helpers the readers share ------------------------------------------------------------------------------
def text_field(record: dict[str, Any], name: str, where: str, required: bool = True) -> str:
    """A field as text (numbers too: ids are often written as numbers); a missing or empty one is refused."""
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FormatError(f"{where}: missing '{name}'")
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FormatError(f"{where}: '{name}' must be text, not {type(value).__name__}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def letter(answer: str, options: Sequence[str], where: str, name: str = "answer") -> str:
    """The answer as a letter of the options, checked ("b" → "B")."""
    found = answer.strip().upper().rstrip(".)")
    if found not in LETTERS[: len(options)]:
        raise FormatError(f"{where}: '{name}' {answer!r} is not one of {LETTERS[0]}–{LETTERS[len(options) - 1]}")
    return found


def index_letter(value: Any, options: Sequence[str], where: str, name: str = "answer") -> str:
    """An option index (0, 1, … as EgoSchema and NExT-QA write answers) as a letter, checked."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise FormatError(f"{where}: '{name}' {value!r} is not an option number 0–{len(options) - 1}") from None
    if not 0 <= number < len(options):
        raise FormatError(f"{where}: '{name}' {number} is not an option number 0–{len(options) - 1}")
    return LETTERS[number]


def check_options(options: Any, where: str, name: str = "options") -> list[str]:
    if not isinstance(options, list) or not all(isinstance(o, (str, int, float)) for o in options):
        raise FormatError(f"{where}: '{name}' must be a list of strings")
    out = [str(o).strip() for o in options]
    if not 2 <= len(out) <= len(LETTERS):
        raise FormatError(f"{where}: '{name}' must hold 2 to {len(LETTERS)} options, not {len(out)}")
    if not all(out):
        raise FormatError(f"{where}: option {LETTERS[out.index('')]} is empty")
    return out


_STAMP = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def clock(stamp: str) -> float | None:
    """'01:02:03', '02:03' or '2:03.5' in seconds; None when it is not a clock time."""
    found = _STAMP.match(stamp.strip())
    if not found:
        return None
    hours, minutes, seconds = found.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def unique(questions: list[BenchQuestion], where: str) -> list[BenchQuestion]:
    """The questions, refusing a file that uses one id twice (predictions are saved and matched by id)."""
    seen: set[str] = set()
    for q in questions:
        if q.qid in seen:
            raise FormatError(f"{where}: question id {q.qid!r} is used twice")
        seen.add(q.qid)
    return questions


def read_json(path: Path) -> Any:
    try:
        return read_json_file(path, "benchmark file")
    except BadRequest as exc:
        raise FormatError(str(exc)) from None
