"""Open answers that hold when the model hesitates: when the LLM says the video does not say, it is asked
which shown item answers (a short continuation over the evidence it has already read), and the answer is
written from that item alone, or the item is quoted with its time. "The video does not say" stays only when
the model finds no item. A hedge before an answer ("The video does not say who. The evidence shows that
Martha …") is dropped and the answer kept.

Why: a 1.5B model is better at picking lines than at writing from twenty of them. On a film a new user made,
six of nine open answers were "The video does not say." with the answering line among the evidence shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vidseek.pipeline.extractive import SENTENCES, cite
from vidseek.pipeline.prompting import NOT_SAID_REPLY, cited_numbers, without_item_numbers
from vidseek.text import content_words
from vidseek.types import Evidence

_BARE_NUMBER = re.compile(r"^\W*(\d{1,3})\W*$")
_ABOUT_ITEMS = re.compile(r"^\W*(?:the )?evidence items?(?: used)?(?: are| is)?\W*$", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCES.split(text.strip()) if s.strip()]


def without_refusals(reply: str, question: str) -> str:
    """The reply's sentences that say something: not a refusal, not a bare "The evidence items are."; "" when
    nothing is left or what is left only repeats the question. A small model often hedges before it answers:
    "The video does not say who is told. The evidence shows that Martha is told …" — the second sentence is
    the answer."""
    kept = [s for s in sentences(without_item_numbers(reply))
            if not NOT_SAID_REPLY.search(s) and not _ABOUT_ITEMS.match(s)]
    text = " ".join(kept)
    return text if content_words(text) - content_words(question) else ""


def refuses(reply: str, question: str = "") -> bool:
    """The reply says the video does not hold the answer and nothing else (items it names or not: a small model
    cites every item it was shown beside "the video does not say")."""
    return bool(NOT_SAID_REPLY.search(without_item_numbers(reply))) and not without_refusals(reply, question)


def picked_item(reply: str, count: int) -> int | None:
    """The item number a pick reply names ("[3]", "3", "Item [3]."), None for "[0]", "none" or anything else."""
    numbers = cited_numbers(reply, count)
    if not numbers and (bare := _BARE_NUMBER.match(reply)):
        numbers = [int(bare.group(1))] if 1 <= int(bare.group(1)) <= count else []
    return numbers[0] if len(numbers) == 1 else None


def quoted_lines(items: Sequence[Evidence]) -> str:
    """Evidence given as the answer: each item's words with its time, as `best_evidence` shows them."""
    return " / ".join(f"{e.text} {cite(e).label()}" for e in items)


__all__ = ["picked_item", "quoted_lines", "refuses", "without_refusals"]
