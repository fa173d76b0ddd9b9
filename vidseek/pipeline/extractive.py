"""Extractive answering: how well the retrieved evidence backs each option, the evidence that best matches an
open question, and the two narrow rules (order, count) — all without an LLM, and all that checks one. Evidence
that addresses the assistant or names an answer (untrusted.py) backs no option and is counted by no rule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vidseek.pipeline.prompting import GUESSED_SOURCES, option_span
from vidseek.pipeline.retrieve import Hit
from vidseek.pipeline.untrusted import is_untrusted
from vidseek.store.embeddings import Embedder
from vidseek.text import content_words
from vidseek.types import Citation, Evidence

MIN_SUPPORT = 0.5  # share of an open answer's content words that must appear in the evidence or question
# Sources whose text is a list of machine labels, each classifier label with its probability
# ("1 cup (espresso 0.93: coffee, java; consomme 0.31: soup)", "tabby 0.41 (cat, feline)"), not prose: an
# option is compared with each label instead of the whole line, the match counting as much as the label
# is sure (half to all; a detector's label by the item's confidence), so "coffee" meets the espresso more
# than "soup" meets the unsure consomme, and "a cat" meets "cat" and not a line of ten names.
LABEL_SOURCES = GUESSED_SOURCES
_SCORED = re.compile(r"([^;,():]+?) (\d\.\d\d)(?::| \()([^;)]*)")
_LABEL_SPLIT = re.compile(r"[;,():]")
SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")  # where one sentence ends and the next begins
MAX_LABELS = 24


def labels(text: str, confidence: float = 1.0) -> list[tuple[str, float]]:
    """The labels of a picture item with how sure each is: a classifier label and its general names get the
    probability written after it; the rest ('1 cup') the item's confidence.

    '1 cup (espresso 0.93: coffee)' -> [('espresso', 0.93), ('coffee', 0.93), ('1 cup', c)]."""
    found: dict[str, float] = {}
    for label, score, names in _SCORED.findall(text):
        for name in [label, *names.split(",")]:
            if name.strip():
                found.setdefault(name.strip(), float(score))
    for part in _LABEL_SPLIT.split(_SCORED.sub(" ", text)):
        if part.strip():
            found.setdefault(part.strip(), confidence)
    return list(found.items())[:MAX_LABELS]


def cite(e: Evidence) -> Citation:
    return Citation(fingerprint=e.fingerprint, start=e.start, end=e.end, source=e.source)


def supported_share(answer: str, sources: Sequence[str]) -> float:
    """Share of the answer's content words found in the sources: a check on a small model making things up."""
    words = content_words(answer)
    if not words:
        return 0.0
    known = set().union(*(content_words(s) for s in sources))
    return len(words & known) / len(words)


def trim_to_supported(answer: str, sources: Sequence[str]) -> str:
    """The answer's sentences whose content words are mostly in the sources (the evidence and the question) and
    whose every number is there too (a small model answers with a figure it made up: "The train tickets cost
    50 pounds." repeats the question's words and adds only the invented number); "" when none is. Sentences
    with no content words ("Yes.") stay beside a supported one."""
    known = set().union(*(content_words(s) for s in sources))

    def supported(sentence: str) -> bool:
        words = content_words(sentence)
        return len(words & known) >= MIN_SUPPORT * len(words) and {w for w in words if w.isdigit()} <= known

    kept = [s for s in SENTENCES.split(answer.strip()) if s.strip() and (not content_words(s) or supported(s))]
    if not any(content_words(s) for s in kept):
        return ""
    return " ".join(kept)


@dataclass
class OptionScore:
    score: float
    hit: Hit | None


def score_options(embedder: Embedder, choices: Sequence[str], hits: Sequence[Hit]) -> list[OptionScore]:
    """How well each option is backed by the hits: meaning (embeddings), shared words, and time."""
    if not hits:
        return [OptionScore(0.0, None) for _ in choices]
    top = max(h.score for h in hits)
    weight = [0.5 + 0.5 * h.score / top for h in hits]
    texts = [h.evidence.text for h in hits]
    parts = [(j, label, sure) for j, h in enumerate(hits) if h.evidence.source in LABEL_SOURCES
             for label, sure in labels(h.evidence.text, h.evidence.confidence)]
    vectors = embedder.encode(list(choices) + texts + [label for _, label, _ in parts])
    option_vecs = vectors[: len(choices)]
    evidence_vecs = vectors[len(choices) : len(choices) + len(texts)]
    similarity = option_vecs @ evidence_vecs.T
    labelled = sorted({j for j, _, _ in parts})
    similarity[:, labelled] = 0.0  # a picture item is as near as its best label, weighed by how sure that is
    for (j, _, sure), vec in zip(parts, vectors[len(choices) + len(texts):]):
        similarity[:, j] = np.maximum(similarity[:, j], (option_vecs @ vec) * (0.5 + 0.5 * sure))
    untrusted = [is_untrusted(h.evidence) for h in hits]
    scores = []
    for i, choice in enumerate(choices):
        words = content_words(choice)
        span = option_span(choice)
        best = OptionScore(0.0, None)
        for j, hit in enumerate(hits):
            if untrusted[j]:
                continue
            overlap = len(words & content_words(hit.evidence.text)) / len(words) if words else 0.0
            value = (0.5 * float(similarity[i, j]) + 0.5 * overlap) * weight[j]
            if span is not None and not hit.neighbour:
                e = hit.evidence
                inside = max(0.0, min(span[1], e.end) - max(span[0], e.start)) > 0 or e.start <= span[0] <= e.end
                value = max(value, weight[j] if inside else 0.0)
            if value > best.score:
                best = OptionScore(value, hit)
        scores.append(best)
    return scores

def best_evidence(embedder: Embedder, question: str, hits: Sequence[Hit], most: int = 0) -> tuple[str, list[Hit]]:
    """The evidence that best matches the question (a second only when nearly as good), quoted; `most`: the
    `most` best, however far behind."""
    trusted = [h for h in hits if not is_untrusted(h.evidence)] or list(hits)
    direct = [h for h in trusted if not h.neighbour] or trusted
    vectors = embedder.encode([question] + [h.evidence.text for h in direct])
    qwords = content_words(question)
    top = max(h.score for h in direct)
    value = {id(h): float(vectors[0] @ vectors[1 + n])
             + len(qwords & content_words(h.evidence.text)) / max(1, len(qwords)) + h.score / top
             for n, h in enumerate(direct)}
    ranked = sorted(direct, key=lambda h: -value[id(h)])
    best = ranked[:most] if most else [h for h in ranked[:2] if value[id(h)] >= 0.8 * value[id(ranked[0])]]
    text = " / ".join(f"{h.evidence.text} {cite(h.evidence).label()}" for h in best)
    return text, best


# The rules answer only questions of their own shape: "which/what … first/last?" (the order word ends the
# question) and "how many times …" with numeric options. "What was the first decision?" is not one.
_ORDER_SHAPE = re.compile(r"\b(?:which|what)\b[^?]*\b(first|earliest|last|latest|final)\s*\??\s*$", re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow many times\b", re.IGNORECASE)
_COUNT_NOISE = {"many", "times", "time", "shown", "screen", "appear", "appears", "said", "spoken", "video",
                "seen", "mentioned", "different", "notice", "word", "words", "text", "displayed", "says", "say"}
MATCHED = 0.6  # an option scoring this share of the best is one the evidence holds


def by_order(question: str, scores: Sequence[OptionScore]) -> int | None:
    """For "which came first/last": among options the evidence holds, the earliest or latest."""
    shape = _ORDER_SHAPE.search(question.strip())
    if shape is None:
        return None
    first = shape.group(1).lower() in {"first", "earliest"}
    best = max(s.score for s in scores)
    held = [i for i, s in enumerate(scores) if s.hit is not None and best > 0 and s.score >= MATCHED * best]
    if len(held) < 2:
        return None
    pick = min if first else max
    return pick(held, key=lambda i: scores[i].hit.evidence.start)  # type: ignore[union-attr]


def by_count(question: str, choices: Sequence[str], hits: Sequence[Hit]) -> tuple[int | None, list[Hit]]:
    """For "how many times" with numeric options: distinct moments whose evidence holds the question's terms
    (the option nearest that count, and the moments counted)."""
    numbers = [int(m.group()) if (m := re.search(r"\d+", c)) else None for c in choices]
    terms = content_words(question) - _COUNT_NOISE
    if not _HOW_MANY.search(question) or None in numbers or not terms:
        return None, []
    matching = sorted((h for h in hits if terms <= content_words(h.evidence.text) and not is_untrusted(h.evidence)),
                      key=lambda h: h.evidence.start)
    moments: list[Hit] = []
    for h in matching:
        if not moments or h.evidence.start > moments[-1].evidence.end + 1.0:
            moments.append(h)
    return min(range(len(choices)), key=lambda i: abs(numbers[i] - len(moments))), moments  # type: ignore[operator]


def rule_name(question: str) -> str:
    return "count" if _HOW_MANY.search(question) else "order"


