"""Text helpers every layer may use: how words are compared and matched, and how text from files and videos
is made safe for a terminal.

Matching: extractors, the keyword index, the reasoner and the evaluation must agree on what a word is, so
the rules live here once. Safety: file names, subtitles, OCR and speech can hold escape sequences
(ESC [ 2 J, OSC 52 clipboard writes, C1 CSI) and bidi overrides that a terminal would obey."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_KEEPING_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

_WORD = re.compile(r"[0-9]+|[^\W\d_]+")
STOPWORDS = frozenset(
    "a an and are as at be by for from has have he her his i in is it its of on or she that the their "
    "them they this to was were what when where which who why will with you your does did do how about".split()
)
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}


def read_json_file(path: Path, kind: str) -> Any:
    """A JSON file's data (a UTF-8 byte-order mark allowed). Raises BadRequest with one line that names the
    file and what is wrong with it: unreadable, not UTF-8, not JSON (with the line), nested too deeply."""
    from vidseek.errors import BadRequest

    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BadRequest(f"cannot read '{path}': {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest(f"'{path}' is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise BadRequest(f"'{path}' is not JSON: {exc.msg} (line {exc.lineno})") from exc
    except RecursionError:
        raise BadRequest(f"'{path}' is nested too deeply to be a {kind}") from None


def normalise_text(text: str) -> str:
    """Text as compared across frames and sources: upper case letters and digits, single spaces."""
    return re.sub(r"[^0-9A-Z]+", " ", text.upper()).strip()


def tokens(text: str) -> list[str]:
    """Lower-case words and digit runs, stopwords dropped; the same for questions and evidence."""
    return [t for t in _WORD.findall(text.lower()) if t not in STOPWORDS]


def content_words(text: str) -> set[str]:
    """Words that carry meaning (stopwords dropped), number words as digits: what answers are matched by."""
    return {_NUMBER_WORDS.get(t, t) for t in tokens(text)}


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def printable(text: object, lines: bool = False) -> str:
    """The text with every control character written out as an escape (ESC → '\\x1b', a newline → '\\n'
    unless `lines`), so it shows as characters and cannot steer the terminal or split a row."""
    return (_UNSAFE_KEEPING_LINES if lines else _UNSAFE).sub(_escape, str(text))


def json_line(data: Any) -> str:
    """One JSON document on one line, with the controls JSON leaves raw (C1, bidi) escaped as \\uXXXX: still
    the same JSON to a parser, inert in a terminal."""
    text = json.dumps(data, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def clipped(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word's end with "…" when cut, so a note never ends mid-word."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:(") + "…"


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 turn', '3 turns'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def aligned(rows: list[tuple[str, ...]], right: frozenset[int] = frozenset()) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell (in terminal cells, so wide characters
    count double); columns in `right` are right-aligned; the last column is not padded."""
    from rich.cells import cell_len

    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []

    def cell(i: int, text: str) -> str:
        pad = " " * (widths[i] - cell_len(text))
        return pad + text if i in right else text + pad

    return ["  ".join(cell(i, text) if i < len(row) - 1 else (text if i not in right else cell(i, text))
                      for i, text in enumerate(row)).rstrip() for row in rows]
