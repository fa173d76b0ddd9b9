"""Answers from retrieved evidence: summarize-then-answer with an LLM, or extractive scoring without one.

Evidence text comes from the video, not the user: it enters prompts only as quoted, numbered lines inside
an <evidence> block, with anything that looks like a chat-format token removed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from vidseek.pipeline.retrieve import Hit
from vidseek.store.embeddings import Embedder
from vidseek.store.keyword import tokens
from vidseek.types import Answer, Citation, Evidence, format_time

LETTERS = "ABCDEFGHIJ"
MIN_SUPPORT = 0.5  # share of an open answer's content words that must appear in the evidence or question
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


def _line(n: int, e: Evidence) -> str:
    return f"[{n}] {format_time(e.start)}-{format_time(e.end)} {e.source}: {quote(e.text)}"


def evidence_block(items: Sequence[Evidence]) -> str:
    return "\n".join(_line(n, e) for n, e in enumerate(items, 1))


def options_block(choices: Sequence[str], shown: Sequence[Evidence] = ()) -> str:
    """The options, lettered. An option that names a time also says which evidence items span that time:
    small models read "00:00:12-00:00:18" poorly as containing 00:00:15, and this is arithmetic, not judgement."""
    lines = []
    for i, c in enumerate(choices):
        line = f"{LETTERS[i]}) {quote(c, 200)[1:-1]}"
        span = _option_span(c)
        if span is not None and shown:
            at = [str(n) for n, e in enumerate(shown, 1) if e.start < span[1] and e.end > span[0]]
            line += f" (evidence at that time: {', '.join(f'[{n}]' for n in at) or 'none'})"
        lines.append(line)
    return "\n".join(lines)


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


@dataclass(frozen=True)
class ReasonerSettings:
    """How the LLM is used. The defaults are the measured best on 2 CPU cores (benchmarks/RESULTS.md,
    docs/asking.md): prompt length is most of the answer time, so the evidence has a token budget."""

    evidence_tokens: int = 650  # evidence in one prompt, as estimate_tokens counts them
    summarize: bool = False  # summarize-then-answer (LLoVi): one more generation before the answer
    overrule_margin: float = 0.25  # an extractive lead this large over the runner-up overrules the LLM's letter
    rules: bool = True  # the order and count rules answer "which came first/last" and "how many times"




def estimate_tokens(text: str) -> float:
    """Prompt tokens of a line for Qwen/SmolLM-style tokenisers: each digit is a token (times are mostly digits),
    other text about three characters a token (quotes, punctuation, short words). Within 15% of llama.cpp's
    own count on the NIAH and meeting prompts."""
    digits = sum(c.isdigit() for c in text)
    return digits + (len(text) - digits) / 3
_NOT_SAID = re.compile(r"\b(?:does not|doesn't|do not|did not|didn't)\s+(?:say|mention|show|state|tell)\b|"
                       r"\bnot (?:mentioned|stated|said|discussed|shown|given|in the (?:video|evidence))\b|"
                       r"\bno (?:information|evidence|mention)\b", re.IGNORECASE)
NOT_SAID = "The video does not say."


class Reasoner:
    """Turns retrieved hits into an Answer; `llm` None means extractive only."""

    def __init__(self, embedder: Embedder, llm: BaseChatModel | None = None, unavailable: str | None = None,
                 settings: ReasonerSettings | None = None):
        self.embedder = embedder
        self.llm = llm
        self.unavailable = unavailable  # why there is no LLM, when one was asked for
        self.settings = settings or ReasonerSettings()
        self.tokens_used = 0
        self.prompt_tokens = 0  # as the backend counted them, where it says

    def _chat(self, llm: BaseChatModel, text: str, on_text: Callable[[str], None] | None = None) -> str:
        messages = [SystemMessage(prompt("system")), HumanMessage(text)]
        if on_text is None:
            reply = llm.invoke(messages)
            self._count(reply)
            return str(reply.content).strip()
        parts = []
        for chunk in llm.stream(messages):
            self._count(chunk)
            if piece := str(chunk.content):
                parts.append(piece)
                on_text(piece)
        return "".join(parts).strip()

    def _count(self, message: Any) -> None:
        usage = getattr(message, "response_metadata", {}) or {}
        self.tokens_used += int(usage.get("completion_tokens", 0) or 0)
        self.prompt_tokens += int(usage.get("prompt_tokens", 0) or 0)

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
               paths: dict[str, str] | None = None, on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer from the hits. `on_text` receives the LLM's final reply as it is generated (for a terminal)."""
        started = time.perf_counter()
        result = Answer(question=question, text="", evidence=[h.evidence for h in hits],
                        mode="llm" if self.llm else "extractive")
        if not hits:
            result.text = "The indexed evidence holds nothing about this question."
            result.notes.append("no evidence retrieved")
            return result
        try:
            self._reason(result, question, hits, choices, self.llm, on_text)
        except Exception as exc:  # an endpoint down, a prompt past the context: the evidence still answers
            if self.llm is None:
                raise
            result.mode, result.citations, result.details = "extractive", [], {}
            self._reason(result, question, hits, choices, None, None)
            result.notes.append(f"the LLM failed ({type(exc).__name__}: {str(exc)[:120]}); answered extractively")
        result.citations = [replace(c, path=(paths or {}).get(c.fingerprint, "")) for c in result.citations]
        result.timings["answer"] = time.perf_counter() - started
        return result

    def _reason(self, result: Answer, question: str, hits: Sequence[Hit], choices: Sequence[str] | None,
                llm: BaseChatModel | None, on_text: Callable[[str], None] | None) -> None:
        shown = for_prompt(hits, self.settings.evidence_tokens)
        evidence = evidence_block([h.evidence for h in shown])
        notes = ""
        if llm is not None and self.settings.summarize:
            summary = self._chat(llm, prompt("summarize").format(question=question, evidence=evidence))
            notes = f"Notes on the evidence (written from it, also data): {quote(summary, 800)}\n\n"
        if choices:
            self._choose(result, question, choices, hits, llm, [h.evidence for h in shown], notes)
        elif llm is not None:
            reply = self._chat(llm, prompt("answer_open").format(question=question, notes=notes, evidence=evidence),
                               on_text)
            self._open(result, question, hits, shown, reply)
        else:
            result.text, cited = self._extractive_open(question, hits)
            result.citations = [cite(h.evidence) for h in cited]

    def _open(self, result: Answer, question: str, hits: Sequence[Hit], shown: Sequence[Hit], reply: str) -> None:
        """An open answer from the LLM's reply: its cited items, or "the video does not say", or — when most of
        its words are in neither the evidence nor the question — the evidence itself."""
        used = _cited_numbers(reply, len(shown))
        text = _without_item_numbers(reply)
        if _NOT_SAID.search(text) and not used:
            result.text = NOT_SAID
            result.notes.append("the retrieved evidence does not hold the answer")
            result.details["open"] = "not said"
            return
        support = supported_share(text, [question, *(h.evidence.text for h in shown)])
        result.details["support"] = round(support, 3)
        if support < MIN_SUPPORT:
            result.mode = "extractive"
            result.notes.append(f"the LLM's answer was mostly not in the evidence ({support:.0%} of its words; "
                                f"{text[:80]!r}); showing the best evidence instead")
            result.text, cited = self._extractive_open(question, hits)
        else:
            cited = [shown[n - 1] for n in used] or self._extractive_open(question, hits)[1]
            result.text = text
        result.citations = [cite(h.evidence) for h in cited]

    def _choose(self, result: Answer, question: str, choices: Sequence[str], hits: Sequence[Hit],
                llm: BaseChatModel | None, shown: Sequence[Evidence], notes: str) -> None:
        scores = self.score_options(choices, hits)
        order = sorted(range(len(choices)), key=lambda i: -scores[i].score)
        margin = scores[order[0]].score - (scores[order[1]].score if len(order) > 1 else 0.0)
        extractive = LETTERS[order[0]]
        details: dict[str, Any] = {"extractive": extractive, "margin": round(margin, 3)}
        rule, counted = _by_order(question, scores), []
        if rule is None:
            rule, counted = _by_count(question, choices, hits)
        if rule is not None:
            details["rule"] = LETTERS[rule]
        choice = LETTERS[rule] if rule is not None and self.settings.rules else extractive
        if llm is not None:
            options = options_block(choices, shown)
            evidence = evidence_block(shown)
            reply = self._chat(llm, prompt("answer_choice").format(
                question=question, options=options, notes=notes, evidence=evidence))
            picked = parse_choice(reply, choices)
            if picked is None:
                reply = self._chat(llm, prompt("answer_choice_retry").format(
                    question=question, options=options, evidence=evidence,
                    letters=", ".join(LETTERS[: len(choices)])))
                picked = parse_choice(reply, choices)
            details["llm"] = picked
            if picked is None:
                result.mode = "extractive"
                result.notes.append(f"the LLM's reply named no option twice ({reply[:80]!r}); scored extractively")
            elif rule is not None and self.settings.rules:
                if picked != choice:
                    result.notes.append(f"the LLM chose {picked}; the {_rule_name(question)} found in the evidence "
                                        f"gives {choice}; kept {choice}")
            elif picked != extractive and margin >= self.settings.overrule_margin:
                result.notes.append(f"the LLM chose {picked}, but the evidence backs {extractive} clearly; "
                                    f"kept {extractive}")
            else:
                choice = picked
        if margin < 0.02 and (llm is None or result.mode == "extractive"):
            result.notes.append("the evidence barely separates the options; low confidence")
        result.details.update(details)
        index = LETTERS.index(choice)
        result.choice = choice
        result.text = f"{choice}) {choices[index]}"
        backing = scores[index].hit or max(hits, key=lambda h: h.score)
        used_rule = rule is not None and self.settings.rules and choice == LETTERS[rule]
        result.citations = [cite(h.evidence) for h in counted if used_rule] or [cite(backing.evidence)]


# The rules answer only questions of their own shape: "which/what … first/last?" (the order word ends the
# question) and "how many times …" with numeric options. "What was the first decision?" is not one.
_ORDER_SHAPE = re.compile(r"\b(?:which|what)\b[^?]*\b(first|earliest|last|latest|final)\s*\??\s*$", re.IGNORECASE)
_HOW_MANY = re.compile(r"\bhow many times\b", re.IGNORECASE)
_COUNT_NOISE = {"many", "times", "time", "shown", "screen", "appear", "appears", "said", "spoken", "video",
                "seen", "mentioned", "different", "notice", "word", "words", "text", "displayed", "says", "say"}
MATCHED = 0.6  # an option scoring this share of the best is one the evidence holds


def _by_order(question: str, scores: Sequence[OptionScore]) -> int | None:
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


def _rule_name(question: str) -> str:
    return "count" if _HOW_MANY.search(question) else "order"


def for_prompt(hits: Sequence[Hit], budget_tokens: int) -> list[Hit]:
    """The best-scored hits whose lines fit the token budget (at least one), back in time order."""
    keep: set[int] = set()
    used = 0.0
    for n, hit in enumerate(sorted(hits, key=lambda h: -h.score)):
        cost = estimate_tokens(_line(n + 1, hit.evidence)) + 1
        if keep and used + cost > budget_tokens:
            continue
        keep.add(id(hit))
        used += cost
    return [h for h in hits if id(h) in keep]


def cite(e: Evidence) -> Citation:
    return Citation(fingerprint=e.fingerprint, start=e.start, end=e.end, source=e.source)


_ITEM_NUMBERS = re.compile(r"(?:\s*(?:,|;|\band\b)?\s*\[\d+(?:\s*,\s*\d+)*\])+")


def _without_item_numbers(reply: str) -> str:
    """The reply without its evidence numbers ("… film. [1], [2] and [3]." → "… film.")."""
    text = _ITEM_NUMBERS.sub("", reply).strip()
    return re.sub(r"([.!?])[\s.,;]*$", r"\1", text)


def _cited_numbers(reply: str, count: int) -> list[int]:
    numbers = [int(n) for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", reply) for n in re.split(r"\s*,\s*", group)]
    return list(dict.fromkeys(n for n in numbers if 1 <= n <= count))


def check_citations(answer: Answer) -> None:
    """Every citation must be the span of evidence that was retrieved for this answer."""
    spans = {(e.fingerprint, e.start, e.end, e.source) for e in answer.evidence}
    for c in answer.citations:
        if (c.fingerprint, c.start, c.end, c.source) not in spans:
            raise AssertionError(f"citation {c.label()} is not among the retrieved evidence")


__all__ = ["LETTERS", "NOT_SAID", "Reasoner", "ReasonerSettings", "check_citations", "evidence_block", "parse_choice",
           "quote", "split_choices"]
