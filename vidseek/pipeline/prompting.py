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
from vidseek.types import Evidence, format_time

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


def line(n: int, e: Evidence) -> str:
    source = e.source_label()  # a chapter or synopsis row says it was written by a model
    if e.source in GUESSED_SOURCES and e.confidence < 1:
        source += f" (confidence {e.confidence:.2f})"
    text = f"({LABEL})" if injection(e.text) else quote(e.text)
    return f"[{n}] {format_time(e.start)}-{format_time(e.end)} {source}: {text}"


def evidence_block(items: Sequence[Evidence]) -> str:
    return "\n".join(line(n, e) for n, e in enumerate(items, 1))


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


def for_prompt(hits: Sequence[Hit], budget_tokens: int) -> list[Hit]:
    """The best-scored hits whose lines fit the token budget (at least one), back in time order."""
    keep: set[int] = set()
    used = 0.0
    for n, hit in enumerate(sorted(hits, key=lambda h: -h.score)):
        cost = estimate_tokens(line(n + 1, hit.evidence)) + 1
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


NOT_SAID_REPLY = re.compile(r"\b(?:does not|doesn't|do not|did not|didn't)\s+(?:say|mention|show|state|tell)\b|"
                       r"\bnot (?:mentioned|stated|said|discussed|shown|given|in the (?:video|evidence))\b|"
                       r"\bno (?:information|evidence|mention)\b", re.IGNORECASE)
NOT_SAID = "The video does not say."
