"""Evaluation: ask a question file's questions, score the answers, and say why each wrong one went wrong.

Question file (docs/eval.md):
    {"video": "file.mp4", "questions": [{"qid", "task", "question", "options": [...], "answer": "A",
                                         "evidence": [{"start", "end"}], "needle": "ocr"}]}
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vidseek.pipeline.answer import LETTERS, content_words
from vidseek.types import Evidence

GROUNDING_SLACK_S = 5.0  # a citation this close to a gold span counts as grounded


@dataclass
class GoldQuestion:
    qid: str
    task: str
    question: str
    options: list[str]
    answer: str
    evidence: list[tuple[float, float]] = field(default_factory=list)
    needle: str = ""  # the source that carries the answer (speech, ocr, photo, …), for the breakdown


@dataclass
class QuestionSet:
    video: Path
    questions: list[GoldQuestion]


def load_questions(path: str | Path) -> QuestionSet:
    """Read and check a question file; every problem is a ValueError naming the file and the question."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read '{path}': {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"'{path}' is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"'{path}' is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except RecursionError:
        raise ValueError(f"'{path}' is nested too deeply to be a question file") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ValueError(f"'{path}': expected an object with a 'questions' list")
    video = data.get("video")
    if not isinstance(video, str) or not video:
        raise ValueError(f"'{path}': 'video' must name the video file")
    questions = []
    seen: set[str] = set()
    for n, q in enumerate(data["questions"], 1):
        where = f"'{path}' question {n}"
        if not isinstance(q, dict):
            raise ValueError(f"{where}: expected an object")
        missing = [k for k in ("qid", "question", "options", "answer") if k not in q]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        if not isinstance(q["question"], str) or not q["question"].strip():
            raise ValueError(f"{where}: the question is empty")
        options = q["options"]
        if not isinstance(options, list) or not 2 <= len(options) <= len(LETTERS) or \
                not all(isinstance(o, str) for o in options):
            raise ValueError(f"{where}: 'options' must be 2 to {len(LETTERS)} strings")
        if not all(o.strip() for o in options):
            raise ValueError(f"{where}: option {LETTERS[[o.strip() for o in options].index('')]} is empty")
        answer = str(q["answer"]).strip().upper()
        if answer not in LETTERS[: len(options)]:
            raise ValueError(f"{where}: answer {q['answer']!r} is not one of {LETTERS[0]}–{LETTERS[len(options) - 1]}")
        qid = str(q["qid"])
        if qid in seen:
            raise ValueError(f"{where}: qid {qid!r} is used twice")
        seen.add(qid)
        try:
            spans = [(float(e["start"]), float(e["end"])) for e in q.get("evidence", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: each evidence needs numeric 'start' and 'end'") from exc
        questions.append(GoldQuestion(qid, str(q.get("task", "other")), str(q["question"]), options, answer, spans,
                                      str(q.get("needle", ""))))
    video_path = Path(video) if Path(video).is_absolute() else path.parent / video
    return QuestionSet(video_path, questions)


@dataclass
class Prediction:
    qid: str
    choice: str | None  # None: no option could be read from the answer
    text: str = ""
    citations: list[tuple[float, float]] = field(default_factory=list)
    retrieved: list[tuple[float, float]] = field(default_factory=list)
    rotations: list[bool] = field(default_factory=list)  # circular evaluation: right under each rotation
    seconds: float = 0.0
    tokens: int = 0
    notes: list[str] = field(default_factory=list)


def rotate(options: Sequence[str], answer: str, shift: int) -> tuple[list[str], str]:
    """The options moved `shift` places, and the letter the right one now has."""
    n = len(options)
    moved = [options[(i + shift) % n] for i in range(n)]
    return moved, LETTERS[(LETTERS.index(answer) - shift) % n]


def predict(library: Any, qset: QuestionSet, video: str, circular: bool = False, llm: Any = None,
            k: int = 12, progress: Any = None) -> list[Prediction]:
    """Ask every question of the library (restricted to the video)."""
    out = []
    for n, q in enumerate(qset.questions):
        started = time.perf_counter()
        answer = library.ask(q.question, q.options, video=video, k=k, llm=llm)
        pred = Prediction(q.qid, answer.choice, answer.text, [(c.start, c.end) for c in answer.citations],
                          [(e.start, e.end) for e in answer.evidence], notes=list(answer.notes),
                          tokens=int(answer.timings.get("llm_tokens", 0)))
        if circular:
            pred.rotations = [answer.choice == q.answer]
            for shift in range(1, len(q.options)):
                options, right = rotate(q.options, q.answer, shift)
                again = library.ask(q.question, options, video=video, k=k, llm=llm)
                pred.rotations.append(again.choice == right)
                pred.tokens += int(again.timings.get("llm_tokens", 0))
        pred.seconds = time.perf_counter() - started
        out.append(pred)
        if progress:
            progress(n + 1, len(qset.questions))
    return out


def _near(a: tuple[float, float], b: tuple[float, float], slack: float = GROUNDING_SLACK_S) -> bool:
    return a[0] <= b[1] + slack and a[1] >= b[0] - slack


@dataclass
class EvalReport:
    questions: int
    accuracy: float
    grounding: float
    per_task: dict[str, dict[str, float]]
    per_needle: dict[str, dict[str, float]]
    unparsed: int
    circular: bool
    seconds_per_question: float
    tokens: int
    peak_memory_mb: float
    wrong: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score(qset: QuestionSet, predictions: Sequence[Prediction], evidence: Sequence[Evidence] = ()) -> EvalReport:
    """Accuracy (per task and overall), grounding, cost, and for each wrong answer where it went wrong."""
    by_id = {p.qid: p for p in predictions}
    outcomes: list[tuple[GoldQuestion, bool, bool]] = []  # (question, right, grounded)
    wrong, unparsed = [], 0
    for q in qset.questions:
        p = by_id.get(q.qid) or Prediction(q.qid, None)
        unparsed += p.choice is None
        right = (all(p.rotations) if p.rotations else p.choice == q.answer) and p.choice is not None
        grounded = any(_near(c, g) for c in p.citations for g in q.evidence) if q.evidence else right
        outcomes.append((q, right, grounded))
        if not right:
            wrong.append(_why(q, p, evidence))

    def rows(key: Any) -> dict[str, dict[str, float]]:
        groups: dict[str, list[tuple[bool, bool]]] = {}
        for q, right, grounded in outcomes:
            groups.setdefault(key(q), []).append((right, grounded))
        return {name: {"n": len(v), "accuracy": sum(r for r, _ in v) / len(v),
                       "grounding": sum(g for _, g in v) / len(v)} for name, v in sorted(groups.items())}

    n = max(1, len(outcomes))
    return EvalReport(
        questions=len(outcomes), accuracy=sum(r for _, r, _ in outcomes) / n,
        grounding=sum(g for _, _, g in outcomes) / n,
        per_task=rows(lambda q: q.task), per_needle=rows(lambda q: q.needle or "none"), unparsed=unparsed,
        circular=any(p.rotations for p in predictions),
        seconds_per_question=sum(p.seconds for p in predictions) / max(1, len(predictions)),
        tokens=sum(p.tokens for p in predictions),
        peak_memory_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, wrong=wrong,
    )


def _why(q: GoldQuestion, p: Prediction, evidence: Sequence[Evidence]) -> dict[str, Any]:
    """Where a wrong answer went wrong: not extracted, not retrieved, or reasoned wrongly."""
    right_words = content_words(q.options[LETTERS.index(q.answer)])
    extracted = any(
        any(_near((e.start, e.end), g) for g in q.evidence)
        and (q.task != "retrieval" or not right_words
             or len(right_words & content_words(e.text)) * 2 >= len(right_words))
        for e in evidence
    ) if q.evidence else None
    retrieved = any(_near(r, g, 0.0) for r in p.retrieved for g in q.evidence) if q.evidence else None
    if p.choice is None:
        stage = "unparsed"
    elif extracted is False:
        stage = "extractor missed it"
    elif retrieved is False:
        stage = "retrieval missed it"
    else:
        stage = "reasoner got it wrong"
    return {"qid": q.qid, "task": q.task, "needle": q.needle, "answer": q.answer, "predicted": p.choice,
            "rotations_right": f"{sum(p.rotations)}/{len(p.rotations)}" if p.rotations else "",
            "gold_retrieved": retrieved, "needle_extracted": extracted, "stage": stage}


def table(report: EvalReport) -> str:
    """The report as text for a terminal."""
    lines = [f"{'task':12s} {'n':>4s} {'accuracy':>9s} {'grounding':>10s}"]
    for name, row in report.per_task.items():
        lines.append(f"{name:12s} {row['n']:4.0f} {row['accuracy']:9.0%} {row['grounding']:10.0%}")
    lines.append(f"{'overall':12s} {report.questions:4d} {report.accuracy:9.0%} {report.grounding:10.0%}"
                 + ("  (circular: right under every rotation)" if report.circular else ""))
    lines.append("by needle: " + ", ".join(f"{k} {v['accuracy']:.0%} of {v['n']:.0f}"
                                          for k, v in report.per_needle.items()))
    lines.append(f"cost: {report.seconds_per_question:.2f} s/question, {report.tokens} LLM tokens, "
                 f"peak memory {report.peak_memory_mb:.0f} MB; unparsed answers: {report.unparsed}")
    for w in report.wrong:
        said = f"right in {w['rotations_right']} rotations" if w["rotations_right"] else f"said {w['predicted']}"
        lines.append(f"  wrong {w['qid']} ({w['task']}): {said}, gold {w['answer']} — {w['stage']}")
    return "\n".join(lines)
