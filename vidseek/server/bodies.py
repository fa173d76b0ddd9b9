"""How deep a request body nests JSON, found without parsing it: Python's JSON parser recurses once a level,
so a small body of 30,000 brackets would end in a RecursionError (a 500) inside whichever parser reads it
first. Guard measures the depth before any route or SDK parses the body."""

from __future__ import annotations

import re

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)  # brackets inside strings are text, not nesting
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects in `body` nest more than `limit` levels (text in strings does not count).
    Malformed JSON is measured the same way: an unclosed string leaves its brackets counted, which can only
    refuse a body the parser would have refused anyway."""
    depth = 0
    for byte in _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in _OPENING else -1
        if depth > limit:
            return True
    return False
