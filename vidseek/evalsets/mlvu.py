"""MLVU (Zhou et al., 2024): videos of 3 minutes to 2 hours, nine tasks; the dev set's per-task JSON files.

FILE is one task's file (`MLVU/json/1_plotQA.json`) or the folder holding them. Each is a list of `{"video":
"movie101_66.mp4", "duration": 246, "question", "candidates": [...], "answer": the right candidate's text,
"question_type": "plotQA"}`. The multiple-choice tasks are plotQA, findNeedle, ego, count, order,
anomaly_reco and topic_reasoning; the report gives each and their mean (MLVU's "M-Avg"). The two
generation tasks (8_sub_scene, 9_summary: no candidates) are scored by a GPT judge in MLVU's own code, so
they are left out and counted. There is no submission format for the dev set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vidseek.evalsets.base import BenchFile, Benchmark, BenchQuestion, FormatError, check_options, read_json, text_field
from vidseek.evalsets.base import unique as unique_ids
from vidseek.pipeline.answer import LETTERS

OPEN_ENDED = "open-ended (MLVU scores it with a GPT judge)"


@dataclass
class MLVURow:
    video: str
    duration: float
    question: str
    candidates: list[str]
    answer: str  # the right candidate's text; "" when the file holds none
    question_type: str
    qid: str

    def question_record(self, where: str) -> BenchQuestion:
        right = ""
        if self.answer:
            if self.answer not in self.candidates:
                raise FormatError(f"{where}: 'answer' {self.answer!r} is not one of the 'candidates'")
            right = LETTERS[self.candidates.index(self.answer)]
        return BenchQuestion(video=self.video, qid=self.qid, question=self.question, options=list(self.candidates),
                             answer=right, groups={"task": (self.question_type,)}, record=self)


def _task_file(path: Path, file: BenchFile) -> list[BenchQuestion]:
    data = read_json(path)
    if not isinstance(data, list):
        raise FormatError(f"'{path}': expected a list of questions")
    out = []
    for n, item in enumerate(data, 1):
        where = f"'{path}' question {n}"
        if not isinstance(item, dict):
            raise FormatError(f"{where}: expected an object")
        if "candidates" not in item:
            file.left_out[OPEN_ENDED] = file.left_out.get(OPEN_ENDED, 0) + 1
            continue
        candidates = check_options(item.get("candidates"), where, "candidates")
        try:
            duration = float(item.get("duration") or 0)
        except (TypeError, ValueError):
            raise FormatError(f"{where}: 'duration' {item.get('duration')!r} is not a number of seconds") from None
        row = MLVURow(video=text_field(item, "video", where), duration=duration,
                      question=text_field(item, "question", where), candidates=candidates,
                      answer=text_field(item, "answer", where, required=False),
                      question_type=text_field(item, "question_type", where, required=False) or path.stem,
                      qid=text_field(item, "question_id", where, required=False) or f"{path.stem}/{n}")
        out.append(row.question_record(where))
    return out


def read(path: Path) -> BenchFile:
    found = BenchFile([])
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise FormatError(f"'{path}' holds no MLVU task files (*.json)")
    for task in files:
        found.questions.extend(_task_file(task, found))
    found.questions = unique_ids(found.questions, f"'{path}'")
    return found


def m_avg(breakdown: dict[str, dict[str, dict[str, float]]]) -> dict[str, float]:
    """MLVU's headline: the mean of the tasks' accuracies (each task weighs the same)."""
    tasks = breakdown.get("task", {})
    return {"M-Avg": sum(t["accuracy"] for t in tasks.values()) / len(tasks)} if tasks else {}


BENCHMARK = Benchmark(name="mlvu", title="MLVU (dev)", files="MLVU/json/ (the per-task files) or one of them",
                      read=read, axes=("task",), headline=m_avg)
