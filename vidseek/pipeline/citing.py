"""Which evidence an open answer cites (the items whose words carry it, not a neighbour at the same time), and
how it names who said it.

The LLM names the items it used ("[3]"), but a small model often names an item beside the one it read the answer
from: an `objects` line that shares a subtitle's time, the next line of a list (issue 28: a right answer to
"Where does Captain Reyes want to meet?" cited the detector's line of that moment, not the subtitle saying it).
The words an answer adds to the question are what it took from the evidence, so the items holding them are the
ones to cite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vidseek.diarize import speaker_of
from vidseek.pipeline.retrieve import Hit
from vidseek.text import content_words
from vidseek.types import Evidence, short_time


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


_LABEL = re.compile(r"(?:\b(?i:the\s+)?(?i:speaker)\s+)?(?<![\w(])(S[1-9][0-9]*)(?![\w)])")  # "S2", "Speaker S2"


def unnamed_speakers(answer: str, cited: Sequence[Evidence], shown: Sequence[Evidence]) -> str:
    """An answer that names a speaker by a bare label ("S2 says it.") says what that is: "an unnamed speaker
    (S2) at 0:25", the time of the first cited item (else shown item) they said. S2 is only a video's own
    label, meaningless to a reader without the moment (issue 28, "who said it"); an enrolled or given name is
    left as it is. Labels no item carries are left alone."""
    said: set[str] = set()

    def spoken(match: re.Match[str]) -> str:
        label = match.group(1)
        if label in said:
            return match.group(0)
        item = next((e for e in [*cited, *shown] if speaker_of(e) == label), None)
        if item is None:
            return match.group(0)
        said.add(label)
        start = answer[:match.start()].rstrip()
        article = "An" if not start or start.endswith((".", "!", "?", ":")) else "an"
        return f"{article} unnamed speaker ({label}) at {short_time(item.start)}"

    return _LABEL.sub(spoken, answer)
