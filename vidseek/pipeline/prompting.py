"""Prompts and replies: evidence made into quoted prompt lines under a token budget, options lettered, and
the LLM's reply read back (the letter it picks, the evidence numbers it cites).

Evidence text comes from the video, not the user: it enters prompts only as quoted, numbered lines inside
an <evidence> block, with anything that looks like a chat-format token removed; a line that gives the model
instructions or names an answer (untrusted.py) is withheld under a label.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources

from vidseek.pipeline.retrieve import Hit
from vidseek.pipeline.untrusted import LABEL, injection
from vidseek.types import Evidence, format_time, short_time

LETTERS = "ABCDEFGHIJ"
_CHAT_TOKENS = re.compile(r"<\|[^|>]{0,40}\|>|</?s>|\[/?INST\]|<</?SYS>>|</?(?:evidence|chapters|results)>",
                          re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TIME = re.compile(r"\b(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\b")


def prompt(name: str) -> str:
    return resources.files("vidseek.prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8")


def quote(text: str, limit: int = 400) -> str:
    """Evidence text made safe to embed in a prompt: one line, no chat tokens, quoted."""
    text = _CHAT_TOKENS.sub(" ", _CONTROL.sub(" ", text))
    text = re.sub(r"\s+", " ", text).strip()[:limit]
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Sources whose items are machine guesses with a confidence the reasoner should see (extractive.LABEL_SOURCES)
GUESSED_SOURCES = frozenset({"tags", "objects"})
SPOKEN_SOURCES = frozenset({"speech", "subtitle"})  # lines that may start with who speaks ("S2: …")


FULL_LEGEND = ("Evidence from the video, one quoted item per line with its number, time span and source (ocr: text "
               "shown on screen; speech: words spoken; objects: what a detector saw in the picture; tags: what an "
               "image classifier saw in the picture (objects and tags are machine guesses, with their confidence); "
               "caption: a description of the picture; subtitle: the subtitles):")
# What each source is, said once in a compact prompt and only for the sources its items have
SOURCE_MEANINGS = {
    "speech": "words spoken, with who speaks",
    "subtitle": "the subtitles, with who speaks where known",
    "ocr": "text shown on screen",
    "caption": "a description of the picture",
    "objects": "what a detector saw (a machine guess, with its confidence)",
    "tags": "what an image classifier saw (a machine guess, with its confidence)",
}


def line(n: int, e: Evidence, compact: bool = False) -> str:
    """One evidence item as a prompt shows it; `compact`: short times and a guessed source's confidence bare."""
    source = e.source_label()  # a chapter or synopsis row says it was written by a model
    if e.source in GUESSED_SOURCES and e.confidence < 1:
        source += f" {e.confidence:.2f}" if compact else f" (confidence {e.confidence:.2f})"
    if injection(e.text):
        text = f"({LABEL})"
    elif compact and (said := speaker_and_words(e)):
        source, text = f"{source} (speaker {quote(said[0], 40)[1:-1]})", quote(said[1])
    else:
        text = quote(e.text)
    when = (f"{short_time(e.start)}-{short_time(e.end)}" if compact
            else f"{format_time(e.start)}-{format_time(e.end)}")
    return f"[{n}] {when} {source}: {text}"


_SPEAKER = re.compile(r"^((?:S\d{1,3})|(?:[A-Z][A-Za-z.'-]*(?: [A-Z][A-Za-z.'-]*){0,2})):\s+(\S.*)$", re.DOTALL)


def speaker_and_words(e: Evidence) -> tuple[str, str] | None:
    """A speech or subtitle line's speaker ("S2", "Tom Lane", "MARIANNE") and words, when the line starts with
    one: shown apart from the quoted words, so a name said *to* someone ("…, Elinor.") is not read as the
    speaker's."""
    if e.source not in SPOKEN_SOURCES:
        return None
    found = _SPEAKER.match(e.text.strip())
    return (found.group(1), found.group(2)) if found else None


def evidence_block(items: Sequence[Evidence], compact: bool = False) -> str:
    return "\n".join(line(n, e, compact) for n, e in enumerate(items, 1))


def evidence_section(items: Sequence[Evidence], compact: bool = False) -> str:
    """The evidence as the answer prompts show it: how to read it, then the numbered lines in <evidence>."""
    return f"{legend(items, compact)}\n<evidence>\n{evidence_block(items, compact)}\n</evidence>"


def legend(items: Sequence[Evidence], compact: bool = False) -> str:
    """The sentence before the evidence block that says how to read it: in full, or (`compact`) naming only the
    sources among the items, which the model reads on every question."""
    if not compact:
        return FULL_LEGEND
    present = list(dict.fromkeys(e.source for e in items))
    meanings = "; ".join(f"{s}: {SOURCE_MEANINGS[s]}" for s in present if s in SOURCE_MEANINGS)
    return ("Evidence from the video, one quoted item per line: [number] start-end (minutes:seconds) source"
            + (f" ({meanings})" if meanings else "") + ":")


def options_block(choices: Sequence[str], shown: Sequence[Evidence] = ()) -> str:
    """The options, lettered. An option that names a time also says which evidence items span that time:
    small models read "00:00:12-00:00:18" poorly as containing 00:00:15, and this is arithmetic, not judgement."""
    lines = []
    for i, c in enumerate(choices):
        line = f"{LETTERS[i]}) {quote(c, 200)[1:-1]}"
        span = option_span(c)
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


def without_letters(choices: Sequence[str]) -> list[str]:
    """Options given already lettered in order ("A) Ferry", "B. Train") without their letters, which the
    answer adds again ("A) A) Ferry"); options not all lettered in order are kept as they are."""
    marks = [re.match(rf"\s*\(?{LETTERS[i]}[).:]\s+(?=\S)", c) if i < len(LETTERS) else None
             for i, c in enumerate(choices)]
    if len(choices) < 2 or not all(marks):
        return list(choices)
    return [c[m.end():] for c, m in zip(choices, marks)]


def option_span(option: str) -> tuple[float, float] | None:
    times = [int(h or 0) * 3600 + int(m) * 60 + int(s) for h, m, s in _TIME.findall(option)]
    if not times:
        return None
    return (min(times), max(times) if len(times) > 1 else min(times) + 1)


def estimate_tokens(text: str) -> float:
    """Prompt tokens of a line for Qwen/SmolLM-style tokenisers: each digit is a token (times are mostly digits),
    other text about three characters a token (quotes, punctuation, short words). Within 15% of llama.cpp's
    own count on the NIAH and meeting prompts."""
    digits = sum(c.isdigit() for c in text)
    return digits + (len(text) - digits) / 3


def for_prompt(hits: Sequence[Hit], budget_tokens: int, compact: bool = False) -> list[Hit]:
    """The best-scored hits whose lines (compact or full) fit the token budget (at least one), in time order."""
    keep: set[int] = set()
    used = 0.0
    for n, hit in enumerate(sorted(hits, key=lambda h: -h.score)):
        cost = estimate_tokens(line(n + 1, hit.evidence, compact)) + 1
        if keep and used + cost > budget_tokens:
            continue
        keep.add(id(hit))
        used += cost
    return [h for h in hits if id(h) in keep]


_ITEM_NUMBERS = re.compile(r"(?:\s*(?:,|;|\band\b)?\s*\[\d+(?:\s*,\s*\d+)*\])+")


def without_item_numbers(reply: str) -> str:
    """The reply without its evidence numbers ("… film. [1], [2] and [3]." → "… film.")."""
    text = _ITEM_NUMBERS.sub("", reply).strip()
    return re.sub(r"([.!?])[\s.,;]*$", r"\1", text)


def cited_numbers(reply: str, count: int) -> list[int]:
    numbers = [int(n) for group in re.findall(r"\[(\d+(?:\s*,\s*\d+)*)\]", reply) for n in re.split(r"\s*,\s*", group)]
    return list(dict.fromkeys(n for n in numbers if 1 <= n <= count))


NOT_SAID_REPLY = re.compile(r"\b(?:does not|doesn't|do not|did not|didn't)\s+(?:say|mention|show|state|tell|provide|"
                            r"specify)\b|"
                       r"\bnot (?:mentioned|stated|said|discussed|shown|given|in the (?:video|evidence))\b|"
                       r"\bno (?:information|evidence|mention)\b", re.IGNORECASE)
NOT_SAID = "The video does not say."
