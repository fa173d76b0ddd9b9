"""Open answers in stages: the LLM names the evidence items that answer, then writes the answer from them;
this module reads that reply back, trims the answer to the sentences the evidence supports, and finds the
items whose words carry it (the citation), so each stage can be measured on its own (was the line picked,
was it used) and a check never swaps in something that answers less.

Small models are better at picking lines than at writing: when the model picks lines but writes a refusal
or an answer the evidence does not support, the picked lines themselves are the answer, quoted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vidseek.pipeline.extractive import MIN_SUPPORT, cite, supported_share
from vidseek.pipeline.prompting import cited_numbers, without_item_numbers
from vidseek.pipeline.retrieve import Hit
from vidseek.text import content_words
from vidseek.types import Evidence

_ITEMS = re.compile(r"^\W*items?\s*:(.*)$", re.IGNORECASE | re.MULTILINE)
_ANSWER = re.compile(r"^\W*answer\s*:", re.IGNORECASE | re.MULTILINE)
_NONE = re.compile(r"\b(?:none|no items?)\b", re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class OpenReply:
    """What an open-question reply says: the items it picked (1-based, as shown) and its written answer."""

    items: tuple[int, ...]
    answer: str


def read_open_reply(reply: str, count: int) -> OpenReply:
    """The "Items: [2] [5]" and "Answer: …" lines of a reply; a reply without them is read as an answer that
    cites its items inline ("… the Blender Foundation [2]."), the form older prompts and other models use."""
    items_line = _ITEMS.search(reply)
    answer_mark = _ANSWER.search(reply)
    if items_line is None and answer_mark is None:
        return OpenReply(tuple(cited_numbers(reply, count)), without_item_numbers(reply))
    picked: list[int] = []
    if items_line is not None and not (_NONE.search(items_line.group(1)) and "[" not in items_line.group(1)):
        picked = cited_numbers(re.sub(r"(?<!\[)\b(\d{1,3})\b(?!\])", r"[\1]", items_line.group(1)), count)
    if answer_mark is not None:
        answer = reply[answer_mark.end():]
        following = _ITEMS.search(answer)  # "Answer: … Items: …" in the other order
        answer = answer[: following.start()] if following else answer
    else:
        answer = reply[: items_line.start()] + reply[items_line.end():] if items_line else reply
    picked += [n for n in cited_numbers(answer, count) if n not in picked]
    return OpenReply(tuple(picked), without_item_numbers(" ".join(answer.split())))


def trim_to_supported(answer: str, sources: Sequence[str]) -> str:
    """The answer's sentences whose content words are mostly in the sources (the evidence and the question);
    "" when none is. Sentences with no content words ("Yes.") stay beside a supported one."""
    sentences = [s for s in _SENTENCES.split(answer.strip()) if s.strip()]
    kept = [s for s in sentences if not content_words(s) or supported_share(s, sources) >= MIN_SUPPORT]
    if not any(content_words(s) for s in kept):
        return ""
    return " ".join(kept)


def carriers(answer: str, question: str, picked: Sequence[Hit], shown: Sequence[Hit]) -> list[Hit]:
    """The items whose words carry the answer: of those the LLM picked, the ones that hold a word the answer
    adds to the question; when none does, the shown item that holds the most of them (not a neighbour that
    merely shares the time); failing both, what it picked, or the best-scored item."""
    new = content_words(answer) - content_words(question)

    def overlap(h: Hit) -> int:
        return len(new & content_words(h.evidence.text))

    holding = [h for h in picked if overlap(h) > 0]
    if holding:
        return holding
    best = max(shown, key=overlap, default=None)
    if best is not None and overlap(best) > 0:
        return [best]
    if picked:
        return list(picked)
    return [max(shown, key=lambda h: h.score)] if shown else []


def quoted_lines(items: Sequence[Evidence]) -> str:
    """Evidence given as the answer: each item's words with its time, as `best_evidence` shows them."""
    return " / ".join(f"{e.text} {cite(e).label()}" for e in items)
