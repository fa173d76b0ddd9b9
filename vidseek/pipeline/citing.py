"""Which evidence an open answer cites: the items whose words carry it, not a neighbour at the same time.

The LLM names the items it used ("[3]"), but a small model often names an item beside the one it read the answer
from — an `objects` line that shares a subtitle's time, the next line of a list (issue 28: a right "meet at the
north gate" cited the detector's line of that moment). The words an answer adds to the question are what it
took from the evidence, so the items holding them are the ones to cite.
"""

from __future__ import annotations

from collections.abc import Sequence

from vidseek.pipeline.retrieve import Hit
from vidseek.text import content_words


def carriers(answer: str, question: str, picked: Sequence[Hit], shown: Sequence[Hit]) -> list[Hit]:
    """The items whose words carry the answer: of those the LLM picked, the ones that hold a word the answer
    adds to the question; when none does, the shown item that holds the most of them; failing both, what it
    picked, or the best-scored item shown."""
    new = content_words(answer) - content_words(question)

    def overlap(hit: Hit) -> int:
        return len(new & content_words(hit.evidence.text))

    holding = [h for h in picked if overlap(h) > 0]
    if holding:
        return holding
    best = max(shown, key=overlap, default=None)
    if best is not None and overlap(best) > 0:
        return [best]
    if picked:
        return list(picked)
    return [max(shown, key=lambda h: h.score)] if shown else []
