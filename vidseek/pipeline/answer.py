"""Answers from retrieved evidence: summarize-then-answer with an LLM, or extractive scoring without one.

Evidence text comes from the video, not the user: it enters prompts only as quoted, numbered lines inside
an <evidence> block, with anything that looks like a chat-format token removed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from vidseek.pipeline.retrieve import Hit
from vidseek.store.embeddings import Embedder
from vidseek.store.keyword import tokens
from vidseek.types import Answer, Citation, Evidence, format_time

LETTERS = "ABCDEFGHIJ"
MIN_SUPPORT = 0.5  # share of an open answer's content words that must appear in the evidence or question
PROMPT_ITEMS = 24  # evidence lines in a prompt, at most: prompt length is most of a small CPU model's time
CLEAR_MARGIN = 0.15  # an extractive lead this large over the runner-up overrides the LLM's letter
_CHAT_TOKENS = re.compile(r"<\|[^|>]{0,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|</?evidence>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TIME = re.compile(r"\b(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\b")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}


def prompt(name: str) -> str:
    return resources.files("vidseek.prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8")


def quote(text: str, limit: int = 400) -> str:
    """Evidence text made safe to embed in a prompt: one line, no chat tokens, quoted."""
    text = _CHAT_TOKENS.sub(" ", _CONTROL.sub(" ", text))
    text = re.sub(r"\s+", " ", text).strip()[:limit]
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def evidence_block(items: Sequence[Evidence]) -> str:
    return "\n".join(f"[{n}] {format_time(e.start)}-{format_time(e.end)} {e.source}: {quote(e.text)}"
                     for n, e in enumerate(items, 1))


def options_block(choices: Sequence[str]) -> str:
    return "\n".join(f"{LETTERS[i]}) {quote(c, 200)[1:-1]}" for i, c in enumerate(choices))


def parse_choice(output: str, choices: Sequence[str]) -> str | None:
    """The option letter an LLM reply picks, or None when it does not say clearly (never a guess)."""
    letters = LETTERS[: len(choices)]
    if not letters:
        return None
    text = output.strip()
    patterns = [
        rf"^\(?([{letters}])\)?[.):]?$",  # the reply is a letter: "B", "b.", "(C)"
        rf"^\(?([{letters}])[).:]\s",  # "B) Thursday …", "B. because …"
        rf"\b(?:answer|option|choice)\s*(?:is|:)?\s*\(?([{letters}])\b",  # "the answer is D"
        rf"(?:^|\s)\(?([{letters}])\)",  # "I think B) Thursday"
    ]
    for pattern in patterns:
        found = {m.upper() for m in re.findall(pattern, text, flags=re.IGNORECASE)}
        if len(found) == 1:
            return found.pop()
        if found:
            return None  # names two options
    named = [LETTERS[i] for i, c in enumerate(choices[: len(LETTERS)])
             if c.strip() and c.strip().lower() in text.lower()]
    return named[0] if len(named) == 1 else None


def split_choices(question: str) -> tuple[str, list[str]]:
    """Options written into the question ("… A) red B) blue"), taken out; no options: the question as is."""
    marks = list(re.finditer(r"(?:^|\s)\(?([A-J])[).:]\s+", question))
    letters = [m.group(1) for m in marks]
    if len(marks) < 2 or letters != list(LETTERS[: len(marks)]):
        return question, []
    stem = question[: marks[0].start()].strip()
    options = [question[m.end(): (marks[i + 1].start() if i + 1 < len(marks) else len(question))].strip()
               for i, m in enumerate(marks)]
    return stem, options


def content_words(text: str) -> set[str]:
    """Words that carry meaning (stopwords dropped), number words as digits: what answers are matched by."""
    return {_NUMBER_WORDS.get(t, t) for t in tokens(text)}


def supported_share(answer: str, sources: Sequence[str]) -> float:
    """Share of the answer's content words found in the sources: a check on a small model making things up."""
    words = content_words(answer)
    if not words:
        return 0.0
    known = set().union(*(content_words(s) for s in sources))
    return len(words & known) / len(words)


def _option_span(option: str) -> tuple[float, float] | None:
    times = [int(h or 0) * 3600 + int(m) * 60 + int(s) for h, m, s in _TIME.findall(option)]
    if not times:
        return None
    return (min(times), max(times) if len(times) > 1 else min(times) + 1)


@dataclass
class OptionScore:
    score: float
    hit: Hit | None


class Reasoner:
    """Turns retrieved hits into an Answer; `llm` None means extractive only."""

    def __init__(self, embedder: Embedder, llm: BaseChatModel | None = None, unavailable: str | None = None):
        self.embedder = embedder
        self.llm = llm
        self.unavailable = unavailable  # why there is no LLM, when one was asked for
        self.tokens_used = 0

    def _chat(self, text: str) -> str:
        reply = self.llm.invoke([SystemMessage(prompt("system")), HumanMessage(text)])  # type: ignore[union-attr]
        usage = getattr(reply, "response_metadata", {}) or {}
        self.tokens_used += int(usage.get("completion_tokens", 0) or 0)
        return str(reply.content).strip()

    # --- extractive -------------------------------------------------------------------------------------
    def score_options(self, choices: Sequence[str], hits: Sequence[Hit]) -> list[OptionScore]:
        """How well each option is backed by the hits: meaning (embeddings), shared words, and time."""
        if not hits:
            return [OptionScore(0.0, None) for _ in choices]
        top = max(h.score for h in hits)
        weight = [0.5 + 0.5 * h.score / top for h in hits]
        texts = [h.evidence.text for h in hits]
        vectors = self.embedder.encode(list(choices) + texts)
        option_vecs, evidence_vecs = vectors[: len(choices)], vectors[len(choices):]
        similarity = option_vecs @ evidence_vecs.T
        scores = []
        for i, choice in enumerate(choices):
            words = content_words(choice)
            span = _option_span(choice)
            best = OptionScore(0.0, None)
            for j, hit in enumerate(hits):
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

    def _extractive_open(self, question: str, hits: Sequence[Hit]) -> tuple[str, list[Hit]]:
        """The evidence that best matches the question (a second only when nearly as good), quoted."""
        direct = [h for h in hits if not h.neighbour] or list(hits)
        vectors = self.embedder.encode([question] + [h.evidence.text for h in direct])
        qwords = content_words(question)
        top = max(h.score for h in direct)
        value = {id(h): float(vectors[0] @ vectors[1 + n])
                 + len(qwords & content_words(h.evidence.text)) / max(1, len(qwords)) + h.score / top
                 for n, h in enumerate(direct)}
        ranked = sorted(direct, key=lambda h: -value[id(h)])
        best = [h for h in ranked[:2] if value[id(h)] >= 0.8 * value[id(ranked[0])]]
        text = " / ".join(f"{h.evidence.text} {cite(h.evidence).label()}" for h in best)
        return text, best

    # --- the two modes -------------------------------------------------------------------------------------
    def answer(self, question: str, hits: Sequence[Hit], choices: Sequence[str] | None = None,
               paths: dict[str, str] | None = None) -> Answer:
        started = time.perf_counter()
        result = Answer(question=question, text="", evidence=[h.evidence for h in hits],
                        mode="llm" if self.llm else "extractive")
        if not hits:
            result.text = "The indexed evidence holds nothing about this question."
            result.notes.append("no evidence retrieved")
            return result
        try:
            self._reason(result, question, hits, choices)
        except Exception as exc:  # an endpoint down, a prompt past the context: the evidence still answers
            if self.llm is None:
                raise
            llm, self.llm = self.llm, None
            try:
                result.mode, result.citations = "extractive", []
                self._reason(result, question, hits, choices)
            finally:
                self.llm = llm
            result.notes.append(f"the LLM failed ({type(exc).__name__}: {str(exc)[:120]}); answered extractively")
        for c in result.citations:
            object.__setattr__(c, "path", (paths or {}).get(c.fingerprint, ""))
        result.timings["answer"] = time.perf_counter() - started
        return result

    def _reason(self, result: Answer, question: str, hits: Sequence[Hit], choices: Sequence[str] | None) -> None:
        shown = _for_prompt(hits)
        evidence = evidence_block([h.evidence for h in shown])
        summary = ""
        if self.llm is not None:
            summary = self._chat(prompt("summarize").format(question=question, evidence=evidence))
        if choices:
            self._choose(result, question, choices, hits, summary, evidence)
        elif self.llm is not None:
            reply = self._chat(prompt("answer_open").format(question=question, summary=summary, evidence=evidence))
            used = _cited_numbers(reply, len(shown))
            text = re.sub(r"\s*\[\d+(?:\s*,\s*\d+)*\]", "", reply).strip()
            support = supported_share(text, [question, *(h.evidence.text for h in shown)])
            if support < MIN_SUPPORT:
                result.mode = "extractive"
                result.notes.append(f"the LLM's answer was mostly not in the evidence ({support:.0%} of its words; "
                                    f"{text[:80]!r}); showing the best evidence instead")
                result.text, cited = self._extractive_open(question, hits)
            else:
                cited = [shown[n - 1] for n in used] or self._extractive_open(question, hits)[1]
                result.text = text
            result.citations = [cite(h.evidence) for h in cited]
        else:
            result.text, cited = self._extractive_open(question, hits)
            result.citations = [cite(h.evidence) for h in cited]

    def _choose(self, result: Answer, question: str, choices: Sequence[str], hits: Sequence[Hit],
                summary: str, evidence: str) -> None:
        scores = self.score_options(choices, hits)
        order = sorted(range(len(choices)), key=lambda i: -scores[i].score)
        margin = scores[order[0]].score - (scores[order[1]].score if len(order) > 1 else 0.0)
        structured = _by_order(question, scores)
        counted: list[Hit] = []
        if structured is None:
            structured, counted = _by_count(question, choices, hits)
        if structured is not None:
            order.remove(structured)
            order.insert(0, structured)
            margin = 1.0  # a question about order or count is settled by the times and counts found
        extractive = LETTERS[order[0]]
        choice = extractive
        if self.llm is not None:
            reply = self._chat(prompt("answer_choice").format(
                question=question, options=options_block(choices), summary=summary, evidence=evidence))
            picked = parse_choice(reply, choices)
            if picked is None:
                reply = self._chat(prompt("answer_choice_retry").format(
                    question=question, options=options_block(choices), letters=", ".join(LETTERS[: len(choices)])))
                picked = parse_choice(reply, choices)
            if picked is None:
                result.mode = "extractive"
                result.notes.append(f"the LLM's reply named no option twice ({reply[:80]!r}); scored extractively")
            elif picked != extractive and margin >= CLEAR_MARGIN:
                result.notes.append(f"the LLM chose {picked}, but the evidence backs {extractive} clearly; "
                                    f"kept {extractive}")
            else:
                choice = picked
        if margin < 0.02:
            result.notes.append("the evidence barely separates the options; low confidence")
        index = LETTERS.index(choice)
        result.choice = choice
        result.text = f"{choice}) {choices[index]}"
        backing = scores[index].hit or max(hits, key=lambda h: h.score)
        result.citations = [cite(h.evidence) for h in counted] or [cite(backing.evidence)]


_FIRST = re.compile(r"\b(first|earliest)\b", re.IGNORECASE)
_LAST = re.compile(r"\b(last|latest|final)\b", re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow many\b", re.IGNORECASE)
_COUNT_NOISE = {"many", "times", "time", "shown", "screen", "appear", "appears", "said", "spoken", "video",
                "seen", "mentioned", "different", "notice", "word", "words", "text", "displayed", "says", "say"}
MATCHED = 0.6  # an option scoring this share of the best is one the evidence holds


def _by_order(question: str, scores: Sequence[OptionScore]) -> int | None:
    """For "which came first/last": among options the evidence holds, the earliest or latest."""
    first, last = bool(_FIRST.search(question)), bool(_LAST.search(question))
    if first == last:
        return None
    best = max(s.score for s in scores)
    held = [i for i, s in enumerate(scores) if s.hit is not None and best > 0 and s.score >= MATCHED * best]
    if len(held) < 2:
        return None
    pick = min if first else max
    return pick(held, key=lambda i: scores[i].hit.evidence.start)  # type: ignore[union-attr]


def _by_count(question: str, choices: Sequence[str], hits: Sequence[Hit]) -> tuple[int | None, list[Hit]]:
    """For "how many times" with numeric options: distinct moments whose evidence holds the question's terms
    (the option nearest that count, and the moments counted)."""
    numbers = [int(m.group()) if (m := re.search(r"\d+", c)) else None for c in choices]
    terms = content_words(question) - _COUNT_NOISE
    if not _HOW_MANY.search(question) or None in numbers or not terms:
        return None, []
    matching = sorted((h for h in hits if terms <= content_words(h.evidence.text)), key=lambda h: h.evidence.start)
    moments: list[Hit] = []
    for h in matching:
        if not moments or h.evidence.start > moments[-1].evidence.end + 1.0:
            moments.append(h)
    return min(range(len(choices)), key=lambda i: abs(numbers[i] - len(moments))), moments  # type: ignore[operator]


def _for_prompt(hits: Sequence[Hit]) -> list[Hit]:
    """The best PROMPT_ITEMS hits, back in their order."""
    keep = set(map(id, sorted(hits, key=lambda h: -h.score)[:PROMPT_ITEMS]))
    return [h for h in hits if id(h) in keep]


def cite(e: Evidence) -> Citation:
    return Citation(fingerprint=e.fingerprint, start=e.start, end=e.end, source=e.source)


def _cited_numbers(reply: str, count: int) -> list[int]:
    numbers = [int(n) for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", reply) for n in re.split(r"\s*,\s*", group)]
    return list(dict.fromkeys(n for n in numbers if 1 <= n <= count))


def check_citations(answer: Answer) -> None:
    """Every citation must be the span of evidence that was retrieved for this answer."""
    spans = {(e.fingerprint, e.start, e.end, e.source) for e in answer.evidence}
    for c in answer.citations:
        if (c.fingerprint, c.start, c.end, c.source) not in spans:
            raise AssertionError(f"citation {c.label()} is not among the retrieved evidence")


__all__ = ["LETTERS", "Reasoner", "check_citations", "evidence_block", "parse_choice", "quote", "split_choices"]
