"""Who said it: "Who says …?" answered from the speaker written on the line that says it.

A speech or subtitle line carries its speaker ("S2: …", "Tom Lane: …", "MARIANNE: …"). The 1.5B model reads
that poorly: asked "Who says he is not an ill-disposed young man, and to whom?" over the subtitle
`MARIANNE: He is not an ill-disposed young man, Elinor.` it answered "Elinor says it, to Marianne" — the name
said *to* someone taken for the speaker's. Finding the line is retrieval (its words against the question's),
and the speaker is data on it, so neither needs the model.

The rule fires only on its own shape: a question that starts "Who" and a verb of saying ("Who says …",
"Who asked …", "Who tells …"), with a spoken line among those shown that shares the question's words. "Who is
the speaker's sister?" or "Who arrives first?" is not one (tested). A name said to the listener ("…, Elinor.",
"Martha, your …", "Thank you, Frank.") is the listener, given when the question asks "to whom".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vidseek.pipeline.prompting import speaker_and_words
from vidseek.store.embeddings import Embedder
from vidseek.text import content_words
from vidseek.types import Evidence, short_time

_SAYING = ("say", "says", "said", "ask", "asks", "asked", "tell", "tells", "told", "mention", "mentions",
           "mentioned", "suggest", "suggests", "suggested", "thank", "thanks", "thanked", "promise", "promises",
           "promised", "warn", "warns", "warned", "admit", "admits", "admitted", "explain", "explains", "explained",
           "announce", "announces", "announced", "claim", "claims", "claimed", "reply", "replies", "replied",
           "answer", "answers", "answered", "shout", "shouts", "shouted", "insist", "insists", "insisted",
           "complain", "complains", "complained", "apologise", "apologises", "apologised", "apologize",
           "apologizes", "apologized", "offer", "offers", "offered", "point out", "points out", "pointed out")
_SHAPE = re.compile(r"^\s*who\s+(?:(?:first|later|then|actually)\s+)?(" + "|".join(_SAYING) + r")\b(.*)$",
                    re.IGNORECASE | re.DOTALL)
_TO_WHOM = re.compile(r",?\s*\b(?:and\s+)?(?:to|at)\s+whom\b", re.IGNORECASE)
_ADDRESSED = re.compile(r"(?:^|[,.!?]\s+)([A-Z][a-z]+)(?=\s*[,.!?]|$)|^([A-Z][a-z]+),")
_LABEL = re.compile(r"^S\d{1,3}$")
_NOT_NAMES = frozenset({"yes", "no", "well", "oh", "okay", "ok", "please", "thanks", "sorry", "hello", "hi", "now",
                        "so", "right", "look", "wait", "good", "great", "fine", "sure", "then", "but", "and", "still"})
MIN_SHARED = 2  # content words a line must share with the question (1 when the question has only one)


@dataclass(frozen=True)
class Attribution:
    """The line that says what the question asks about, who says it, and to whom when the line names them."""

    item: Evidence
    speaker: str  # as written on the line: "S2", "Tom Lane", "MARIANNE"
    words: str
    listener: str | None

    @property
    def named(self) -> bool:
        return not _LABEL.match(self.speaker)

    def who(self) -> str:
        """The speaker for people: a name (title case when the subtitles shout it), or for a label the
        wording of "an unnamed speaker (S2)"."""
        if not self.named:
            return f"an unnamed speaker ({self.speaker})"
        return self.speaker.title() if self.speaker.isupper() else self.speaker

    def option(self, choices: Sequence[str]) -> int | None:
        """The one option that names the speaker (or, when the question asks to whom, both people), if one
        does: a named speaker only, since "S2" is nobody's name."""
        if not self.named:
            return None
        name = content_words(self.speaker)
        naming = [n for n, c in enumerate(choices) if name <= content_words(c)]
        return naming[0] if len(naming) == 1 else None

    def answer(self, to_whom: bool) -> str:
        """'Marianne says it to Elinor at 0:20: "…"' (the listener only when asked for and named)."""
        who = self.who()
        listener = f" to {self.listener}" if to_whom and self.listener else ""
        said = f'{who[:1].upper()}{who[1:]} says it{listener} at {short_time(self.item.start)}: "{self.words}"'
        return said + (" (the line does not name whom it is said to)" if to_whom and not self.listener else "")


def stems(text: str) -> set[str]:
    """Content words with a plural or third-person "s" taken off: "writes" meets "write"."""
    return {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in content_words(text)}


def asks_who_said(question: str) -> bool:
    return _SHAPE.match(question) is not None


def addressed(words: str, speaker: str) -> str | None:
    """The name a line says to its listener: "…, Elinor.", "Martha, your …", "Thank you, Frank."."""
    for found in _ADDRESSED.finditer(words.strip()):
        name = found.group(1) or found.group(2)
        if name and name.lower() not in _NOT_NAMES and name.lower() != speaker.lower():
            return name
    return None


def attribute(question: str, shown: Sequence[Evidence], embedder: Embedder) -> Attribution | None:
    """For a "Who says …?" question, the spoken line whose words best match what the question quotes (shared
    content words and sentence similarity), with its speaker; None for another shape or when no spoken line
    shares enough of the question's words."""
    shape = _SHAPE.match(question)
    if shape is None:
        return None
    asked = _TO_WHOM.sub(" ", shape.group(2)).strip(" ?.")
    wanted = stems(asked)
    spoken = [(e, said) for e in shown if (said := speaker_and_words(e))]
    if not wanted or not spoken:
        return None
    needed = min(MIN_SHARED, len(wanted))
    candidates = [(e, said) for e, said in spoken if len(wanted & stems(said[1])) >= needed]
    if not candidates:
        return None
    vectors = embedder.encode([asked] + [said[1] for _, said in candidates])
    scores = [float(vectors[0] @ vectors[1 + n]) + len(wanted & stems(said[1])) / len(wanted)
              for n, (_, said) in enumerate(candidates)]
    item, (speaker, words) = candidates[max(range(len(candidates)), key=scores.__getitem__)]
    return Attribution(item, speaker, words, addressed(words, speaker))


def wants_listener(question: str) -> bool:
    return _TO_WHOM.search(question) is not None


__all__ = ["Attribution", "addressed", "asks_who_said", "attribute", "wants_listener"]
