"""How people name library entries: ids shown as short as they stay unique, looked up without guessing, and
labels that tell apart files of the same name.

An entry's id is its record's name (the fingerprint the store and its evidence carry): the content's
fingerprint for the first path of some bytes, a hash of content and path for another path of the same bytes
(pipeline/cache.py `entry_for`), so two entries never share an id. It is shown abbreviated, like git's hashes:
at least MIN_SHOWN characters, more where two ids of the library begin alike (older libraries named a second
path of the same bytes after the content's first 16 digits). A lookup takes the whole id or a prefix at least
MIN_SHOWN long that only one entry begins with; anything shorter is refused rather than guessed at, and a
prefix several entries share is refused with their paths and longer ids, so the user can pick.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Generic, TypeVar

from vidseek.errors import BadRequest, NotIndexed

MIN_SHOWN = 12  # characters of an id shown, and the fewest a lookup takes (what `vidseek ls` always showed)
LISTED = 5  # candidates an ambiguous prefix names

T = TypeVar("T")


@dataclass(frozen=True)
class Named(Generic[T]):
    """Something a lookup can pick: an entry's full id, its file's path, and the thing itself."""

    id: str
    path: str
    item: T


def shown_ids(ids: Iterable[str]) -> dict[str, str]:
    """Each id's abbreviation: its first MIN_SHOWN characters, or one more than it shares with any other."""
    ordered = sorted(set(ids))
    shown: dict[str, str] = {}
    for n, full in enumerate(ordered):
        shared = max((_common(full, ordered[m]) for m in (n - 1, n + 1) if 0 <= m < len(ordered)), default=0)
        shown[full] = full[: max(MIN_SHOWN, shared + 1)]
    return shown


def pick(text: str, named: Sequence[Named[T]], where: str = "") -> T:
    """The one entry `text` names: by its whole id, or by an unambiguous prefix of at least MIN_SHOWN characters.
    Raises BadRequest for a shorter prefix, NotIndexed when none or several match (naming them). `where` (the
    library) goes into the message when given."""
    exact = [n for n in named if n.id == text]
    if exact:
        return exact[0].item
    if len(text) < MIN_SHOWN and text and all(c in "0123456789abcdef" for c in text.lower()):
        raise BadRequest(f"'{text}' is too short to name a video: give at least {MIN_SHOWN} characters of its id "
                         f"(vidseek ls shows them)")
    matches = [n for n in named if len(text) >= MIN_SHOWN and n.id.startswith(text.lower())]
    if len(matches) == 1:
        return matches[0].item
    if not matches:
        raise NotIndexed(f"no indexed video matches '{text}'" + (f" in {where}" if where else ""))
    raise ambiguous(text, matches, named)


def ambiguous(text: str, matches: Sequence[Named[T]], named: Sequence[Named[T]]) -> NotIndexed:
    """The error for a name several entries answer to: each one's shown id and path, to pick from."""
    shown = shown_ids(n.id for n in named)
    ordered = sorted(matches, key=lambda n: n.id)  # the same message whichever list they came from
    listed = "; ".join(f"{shown[n.id]} {n.path}" for n in ordered[:LISTED])
    more = f"; and {len(matches) - LISTED} more" if len(matches) > LISTED else ""
    return NotIndexed(f"'{text}' matches {len(matches)} indexed videos: {listed}{more} (give one of these ids)")


def labels(paths: Iterable[str]) -> dict[str, str]:
    """What a list shows for each path: the file's name, or where names repeat, the name under as many of its
    folders as it takes to tell the paths apart ("talks/dashwood.mp4", "films/dashwood.mp4")."""
    chosen = sorted(set(paths))
    names = Counter(PurePath(p).name for p in chosen)
    out: dict[str, str] = {}
    for path in chosen:
        parts = PurePath(path).parts
        if names[parts[-1] if parts else path] < 2:
            out[path] = parts[-1] if parts else path
            continue
        twins = [PurePath(p).parts for p in chosen if p != path and PurePath(p).name == PurePath(path).name]
        depth = 2
        while depth < len(parts) and any(t[-depth:] == parts[-depth:] for t in twins):
            depth += 1
        out[path] = str(PurePath(*parts[-depth:]))
    return out


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n
