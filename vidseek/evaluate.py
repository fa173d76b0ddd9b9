"""Evaluation: ask a question file's questions, score the answers, and say why each wrong one went wrong.

Question file (docs/eval.md):
    {"video": "file.mp4", "questions": [{"qid", "task", "question", "options": [...], "answer": "A",
                                         "evidence": [{"start", "end"}], "needle": "ocr", "split": "dev"}]}

A question without options is open: it gives `keywords` (groups of alternatives, every group must be in the
answer text) or `"unanswerable": true` (right when the answer says the video does not hold it).
"""

from __future__ import annotations

import math
import re
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vidseek.errors import BadRequest
from vidseek.pipeline.answer import LETTERS
from vidseek.text import content_words, read_json_file
from vidseek.types import Evidence

GROUNDING_SLACK_S = 5.0  # a citation this close to a gold span counts as grounded
SPLITS = ("dev", "heldout")
# An answer saying the video does not hold what was asked. Plain phrases, not a model: a grader that needs
# a model would make every score depend on that model.
SILENT_PHRASES = (
    "does not say", "doesn't say", "does not mention", "doesn't mention", "does not show", "doesn't show",
    "not mentioned", "never mentioned", "isn't mentioned", "wasn't mentioned", "not discussed", "never discussed",
    "wasn't discussed", "not stated", "not said", "no mention", "no evidence", "no information",
    "not in the video", "not in the evidence", "not in the meeting", "holds nothing about",
)
_SILENT = re.compile(r"\b(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in SILENT_PHRASES) + r")\b",
                     re.IGNORECASE)
_LABEL = re.compile(r"\[\d{2,}:\d{2}:\d{2}[–-]\d{2,}:\d{2}:\d{2}[^\]]*\]")  # a citation label: its times are no answer


@dataclass
class GoldQuestion:
    """One question and how it is graded: by letter (options), by keywords (open), or as unanswerable."""

    qid: str
    task: str
    question: str
    options: list[str]  # empty: an open question
    answer: str  # the right letter; "" for an open question
    evidence: list[tuple[float, float]] = field(default_factory=list)
    needle: str = ""  # the source that carries the answer (speech, ocr, photo, …), for the breakdown
    keywords: list[list[str]] = field(default_factory=list)  # groups of alternatives; all groups must match
    unanswerable: bool = False  # about something the video never holds
    split: str = "dev"  # dev (tune on it) or heldout (report only)

    @property
    def is_open(self) -> bool:
        return not self.options

    def gold(self) -> str:
        """The right answer in words, for reports."""
        if self.options:
            return self.answer
        if self.unanswerable:
            return "(not in the video)"
        return " + ".join("/".join(group) for group in self.keywords)


@dataclass
class QuestionSet:
    video: Path
    questions: list[GoldQuestion]

    def only(self, split: str) -> QuestionSet:
        """The questions of one split ("dev", "heldout"), or all of them ("all")."""
        if split == "all":
            return self
        if split not in SPLITS:
            raise BadRequest(f"split must be dev, heldout or all, not {split!r}")
        return QuestionSet(self.video, [q for q in self.questions if q.split == split])


def answer_words(text: str) -> set[str]:
    """The content words of an answer, citation labels left out so their times cannot supply a number."""
    return content_words(_LABEL.sub(" ", text))


def keywords_match(text: str, keywords: Sequence[Sequence[str]]) -> bool:
    """Every group has an alternative all of whose content words are in the text."""
    words = answer_words(text)
    return bool(keywords) and all(any(content_words(alt) <= words for alt in group) for group in keywords)


def says_not_there(text: str) -> bool:
    """The answer says the video does not hold what was asked ("not mentioned", "does not say", …)."""
    return bool(_SILENT.search(text.replace("\u2019", "'")))


def _keyword_groups(value: Any, where: str) -> list[list[str]]:
    groups = [[value]] if isinstance(value, str) else value
    if not isinstance(groups, list) or not groups:
        raise BadRequest(f"{where}: 'keywords' must be a non-empty list of groups of strings")
    out = []
    for group in groups:
        group = [group] if isinstance(group, str) else group
        if not isinstance(group, list) or not group or not all(isinstance(a, str) for a in group):
            raise BadRequest(f"{where}: each 'keywords' group must be a non-empty list of strings")
        if not all(content_words(a) for a in group):
            raise BadRequest(f"{where}: keyword alternative {next(a for a in group if not content_words(a))!r} "
                             "has no content words (stopwords only), so it would match any answer")
        out.append(group)
    return out


def load_questions(path: str | Path, split: str = "all") -> QuestionSet:
    """Read and check a question file; every problem is a ValueError naming the file and the question.

    `split` keeps only the dev or heldout questions ("all": every question).
    """
    path = Path(path)
    data = read_json_file(path, "question file")
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise BadRequest(f"'{path}': expected an object with a 'questions' list")
    video = data.get("video")
    if not isinstance(video, str) or not video:
        raise BadRequest(f"'{path}': 'video' must name the video file")
    questions = []
    seen: set[str] = set()
    for n, q in enumerate(data["questions"], 1):
        where = f"'{path}' question {n}"
        if not isinstance(q, dict):
            raise BadRequest(f"{where}: expected an object")
        is_open = "options" not in q and ("keywords" in q or "unanswerable" in q)
        required = ("qid", "question") if is_open else ("qid", "question", "options", "answer")
        missing = [k for k in required if k not in q]
        if missing:
            raise BadRequest(f"{where}: missing {', '.join(missing)}"
                             + (" (or 'keywords' / 'unanswerable' for an open question)" if "options" in missing
                                else ""))
        if not isinstance(q["question"], str) or not q["question"].strip():
            raise BadRequest(f"{where}: the question is empty")
        unanswerable = q.get("unanswerable", False)
        if not isinstance(unanswerable, bool):
            raise BadRequest(f"{where}: 'unanswerable' must be true or false")
        options: list[str] = []
        answer = ""
        keywords: list[list[str]] = []
        if is_open:
            if unanswerable == ("keywords" in q):
                raise BadRequest(f"{where}: an open question gives either 'keywords' or \"unanswerable\": true")
        else:
            options = q["options"]
            if not isinstance(options, list) or not 2 <= len(options) <= len(LETTERS) or \
                    not all(isinstance(o, str) for o in options):
                raise BadRequest(f"{where}: 'options' must be 2 to {len(LETTERS)} strings")
            if not all(o.strip() for o in options):
                raise BadRequest(f"{where}: option {LETTERS[[o.strip() for o in options].index('')]} is empty")
            answer = str(q["answer"]).strip().upper()
            if answer not in LETTERS[: len(options)]:
                raise BadRequest(f"{where}: answer {q['answer']!r} is not one of "
                                 f"{LETTERS[0]}–{LETTERS[len(options) - 1]}")
        if "keywords" in q:  # with options, they only tell the breakdown what the evidence must hold
            keywords = _keyword_groups(q["keywords"], where)
        question_split = q.get("split", "dev")
        if question_split not in SPLITS:
            raise BadRequest(f"{where}: 'split' must be dev or heldout, not {question_split!r}")
        qid = str(q["qid"])
        if qid in seen:
            raise BadRequest(f"{where}: qid {qid!r} is used twice")
        seen.add(qid)
        try:
            spans = [(float(e["start"]), float(e["end"])) for e in q.get("evidence", [])]
            if not all(math.isfinite(a) and math.isfinite(b) for a, b in spans):
                raise BadRequest("not finite")
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRequest(f"{where}: each evidence needs numeric 'start' and 'end'") from exc
        questions.append(GoldQuestion(qid, str(q.get("task", "other")), str(q["question"]), options, answer, spans,
                                      str(q.get("needle", "")), keywords, unanswerable, question_split))
    video_path = Path(video) if Path(video).is_absolute() else path.parent / video
    return QuestionSet(video_path, questions).only(split)


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
    details: dict[str, Any] = field(default_factory=dict)  # Answer.details: the LLM's letter, the extractive lead


def rotate(options: Sequence[str], answer: str, shift: int) -> tuple[list[str], str]:
    """The options moved `shift` places, and the letter the right one now has."""
    n = len(options)
    moved = [options[(i + shift) % n] for i in range(n)]
    return moved, LETTERS[(LETTERS.index(answer) - shift) % n]


def predict(library: Any, qset: QuestionSet, video: str, circular: bool = False, llm: Any = None,
            k: int = 12, progress: Any = None, split: str = "all", mode: str = "quick") -> list[Prediction]:
    """Ask every question (of `split`) of the library, restricted to the video.

    An open question is asked with no choices, so the answer is text; circular rotation applies only to
    questions with options.
    """
    questions = qset.only(split).questions
    moded = {"mode": mode} if mode != "quick" else {}  # a library-like object without modes still answers quick
    out = []
    for n, q in enumerate(questions):
        started = time.perf_counter()
        answer = library.ask(q.question, q.options or None, video=video, k=k, llm=llm, **moded)
        pred = Prediction(q.qid, answer.choice, answer.text, [(c.start, c.end) for c in answer.citations],
                          [(e.start, e.end) for e in answer.evidence], notes=list(answer.notes),
                          tokens=int(answer.timings.get("llm_tokens", 0)), details=dict(answer.details))
        if circular and q.options:
            pred.rotations = [answer.choice == q.answer]
            for shift in range(1, len(q.options)):
                options, right = rotate(q.options, q.answer, shift)
                again = library.ask(q.question, options, video=video, k=k, llm=llm, **moded)
                pred.rotations.append(again.choice == right)
                pred.tokens += int(again.timings.get("llm_tokens", 0))
        pred.seconds = time.perf_counter() - started
        out.append(pred)
        if progress:
            progress(n + 1, len(questions))
    return out


def is_near(a: tuple[float, float], b: tuple[float, float], slack: float = GROUNDING_SLACK_S) -> bool:
    return a[0] <= b[1] + slack and a[1] >= b[0] - slack


def is_right(q: GoldQuestion, p: Prediction) -> bool:
    """Graded by letter (every rotation when circular), by keywords, or by saying the video does not hold it."""
    if q.options:
        return (all(p.rotations) if p.rotations else p.choice == q.answer) and p.choice is not None
    if q.unanswerable:
        return says_not_there(p.text)
    return keywords_match(p.text, q.keywords)


def _unparsed(q: GoldQuestion, p: Prediction) -> bool:
    """No letter read from a multiple-choice answer; no text at all for an open one."""
    return p.choice is None if q.options else not p.text.strip()


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
    split: str = "all"  # which questions were scored
    per_split: dict[str, dict[str, float]] = field(default_factory=dict)
    per_task_split: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # task -> split -> row
    per_kind: dict[str, dict[str, float]] = field(default_factory=dict)  # choice / open / unanswerable
    extracted: float | None = None  # share of questions with gold spans whose evidence holds the answer
    extracted_of: int = 0  # how many questions that share is of

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def kind(q: GoldQuestion) -> str:
    """How a question is graded: "choice", "open" (keywords) or "unanswerable" (open, never in the video)."""
    return "choice" if q.options else "unanswerable" if q.unanswerable else "open"


def score(qset: QuestionSet, predictions: Sequence[Prediction], evidence: Sequence[Evidence] = (),
          split: str = "all") -> EvalReport:
    """Accuracy (overall, per task, per split, per task and split), grounding, cost, how many answers the
    evidence holds, and for each wrong answer where it went wrong."""
    by_id = {p.qid: p for p in predictions}
    questions = qset.only(split).questions
    outcomes: list[tuple[GoldQuestion, bool, bool]] = []  # (question, right, grounded)
    wrong, unparsed, held = [], 0, []
    for q in questions:
        p = by_id.get(q.qid) or Prediction(q.qid, None)
        unparsed += _unparsed(q, p)
        right = is_right(q, p)
        grounded = any(is_near(c, g) for c in p.citations for g in q.evidence) if q.evidence else right
        outcomes.append((q, right, grounded))
        extracted = _extracted(q, evidence)
        if extracted is not None and evidence:
            held.append(extracted)
        if not right:
            wrong.append(_why(q, p, evidence, extracted))

    def rows(key: Any, among: Sequence[tuple[GoldQuestion, bool, bool]] = outcomes) -> dict[str, dict[str, float]]:
        groups: dict[str, list[tuple[bool, bool]]] = {}
        for q, right, grounded in among:
            groups.setdefault(key(q), []).append((right, grounded))
        return {name: {"n": len(v), "accuracy": sum(r for r, _ in v) / len(v),
                       "grounding": sum(g for _, g in v) / len(v)} for name, v in sorted(groups.items())}

    asked = {q.qid for q in questions}
    mine = [p for p in predictions if p.qid in asked]  # cost of the questions scored, not of other splits
    n = max(1, len(outcomes))
    return EvalReport(
        questions=len(outcomes), accuracy=sum(r for _, r, _ in outcomes) / n,
        grounding=sum(g for _, _, g in outcomes) / n,
        per_task=rows(lambda q: q.task), per_needle=rows(lambda q: q.needle or "none"), unparsed=unparsed,
        circular=any(p.rotations for p in mine),
        seconds_per_question=sum(p.seconds for p in mine) / max(1, len(mine)),
        tokens=sum(p.tokens for p in mine),
        peak_memory_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, wrong=wrong, split=split,
        per_split=rows(lambda q: q.split),
        per_task_split={task: rows(lambda q: q.split, [o for o in outcomes if o[0].task == task])
                        for task in sorted({q.task for q in questions})},
        per_kind=rows(kind), extracted=sum(held) / len(held) if held else None, extracted_of=len(held),
    )


def _extracted(q: GoldQuestion, evidence: Sequence[Evidence]) -> bool | None:
    """Whether the video's evidence near a gold span holds the answer (None: no gold span to look near).

    With keywords, the evidence within the slack of the gold spans, taken together, must hold every group
    (a sentence can be cut into two speech segments); a retrieval question with options must have half the
    right option's words in one item; any other question only needs evidence there at all.
    """
    if not q.evidence:
        return None
    near = [e for e in evidence if any(is_near((e.start, e.end), g) for g in q.evidence)]
    if q.keywords:
        return keywords_match(" ".join(e.text for e in near), q.keywords)
    if q.options and q.task == "retrieval":
        right_words = content_words(q.options[LETTERS.index(q.answer)])
        return any(not right_words or len(right_words & content_words(e.text)) * 2 >= len(right_words)
                   for e in near)
    return bool(near)


def _why(q: GoldQuestion, p: Prediction, evidence: Sequence[Evidence],
         extracted: bool | None = None) -> dict[str, Any]:
    """Where a wrong answer went wrong: not extracted, not retrieved, or reasoned wrongly."""
    if extracted is None:
        extracted = _extracted(q, evidence)
    retrieved = any(is_near(r, g, 0.0) for r in p.retrieved for g in q.evidence) if q.evidence else None
    if _unparsed(q, p):
        stage = "unparsed"
    elif extracted is False:
        stage = "extractor missed it"
    elif retrieved is False:
        stage = "retrieval missed it"
    else:
        stage = "reasoner got it wrong"
    predicted = p.choice if q.options else p.text[:120]
    return {"qid": q.qid, "task": q.task, "needle": q.needle, "split": q.split, "kind": kind(q),
            "answer": q.gold(), "predicted": predicted,
            "rotations_right": f"{sum(p.rotations)}/{len(p.rotations)}" if p.rotations else "",
            "gold_retrieved": retrieved, "needle_extracted": extracted, "stage": stage}


def table(report: EvalReport) -> str:
    """The report as text for a terminal; with more than one split, accuracy per split in extra columns."""
    splits = list(report.per_split) if len(report.per_split) > 1 else []
    lines = [f"{'task':12s} {'n':>4s} {'accuracy':>9s} {'grounding':>10s}" + "".join(f" {s:>8s}" for s in splits)]

    def by_split(row: dict[str, dict[str, float]]) -> str:
        return "".join(f" {row[s]['accuracy']:8.0%}" if s in row else f" {'-':>8s}" for s in splits)

    for name, row in report.per_task.items():
        lines.append(f"{name:12s} {row['n']:4.0f} {row['accuracy']:9.0%} {row['grounding']:10.0%}"
                     + by_split(report.per_task_split.get(name, {})))
    lines.append(f"{'overall':12s} {report.questions:4d} {report.accuracy:9.0%} {report.grounding:10.0%}"
                 + by_split(report.per_split)
                 + ("  (circular: right under every rotation)" if report.circular else ""))
    if splits:
        lines.append("by split: " + ", ".join(f"{k} {v['accuracy']:.0%} of {v['n']:.0f}"
                                              for k, v in report.per_split.items()))
    lines.append("by needle: " + ", ".join(f"{k} {v['accuracy']:.0%} of {v['n']:.0f}"
                                          for k, v in report.per_needle.items()))
    if len(report.per_kind) > 1 or "choice" not in report.per_kind:
        lines.append("by kind: " + ", ".join(f"{k} {v['accuracy']:.0%} of {v['n']:.0f}"
                                            for k, v in report.per_kind.items()))
    if report.extracted is not None:
        lines.append(f"evidence holds the answer: {report.extracted:.0%} of {report.extracted_of} questions "
                     "with gold spans")
    lines.append(f"cost: {report.seconds_per_question:.2f} s/question, {report.tokens} LLM tokens, "
                 f"peak memory {report.peak_memory_mb:.0f} MB; unparsed answers: {report.unparsed}")
    for w in report.wrong:
        if w["rotations_right"]:
            said = f"right in {w['rotations_right']} rotations"
        elif w["kind"] == "choice":
            said = f"said {w['predicted']}"
        else:
            said = f"said {w['predicted'][:60]!r}"
        lines.append(f"  wrong {w['qid']} ({w['task']}): {said}, gold {w['answer']} — {w['stage']}")
    return "\n".join(lines)
