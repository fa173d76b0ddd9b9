"""The interface every search store implements, its filter type, and the registry that opens stores.

Retrieval, the keyword index, the Library, the server and batch depend on `EvidenceStore` only; each store
translates `EvidenceFilter` into its own dialect (chromadb's `where` lives in chroma.py and nowhere else).
A store kind is registered with the locations it accepts, the way haystack's document stores are chosen.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from vidseek.errors import BadRequest
from vidseek.types import Evidence, Video


@dataclass(frozen=True)
class EvidenceFilter:
    """Which evidence a read may return: any of these videos, any of these sources, overlapping a time span.
    A part left None does not filter."""

    videos: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    start: float | None = None  # evidence that ends at or after this
    end: float | None = None  # evidence that starts at or before this

    @classmethod
    def of(cls, videos: Sequence[str] | None = None, sources: Sequence[str] | None = None,
           start: float | None = None, end: float | None = None) -> EvidenceFilter | None:
        """A filter from optional parts; None when nothing filters (an empty list filters nothing too)."""
        made = cls(tuple(videos) if videos else None, tuple(sources) if sources else None, start, end)
        return made if made != cls() else None

    def admits(self, e: Evidence) -> bool:
        return ((self.videos is None or e.fingerprint in self.videos)
                and (self.sources is None or e.source in self.sources)
                and (self.start is None or e.end >= self.start)
                and (self.end is None or e.start <= self.end))


@dataclass
class StoredVideo:
    """A video as the store knows it (enough for `ls` and for answers that name the video)."""

    fingerprint: str
    path: str
    duration: float
    sources: list[str]
    evidence: int


def evidence_id(e: Evidence) -> str:
    """Stable id: the same evidence written twice is one row, in any store."""
    key = f"{e.fingerprint}|{e.source}|{e.start:.3f}|{e.end:.3f}|{e.text}"
    return hashlib.sha1(key.encode()).hexdigest()


@runtime_checkable
class EvidenceStore(Protocol):
    """Evidence vectors and texts, searchable by vector and readable by filter. Raises LibraryError (one line)
    when its files are damaged, full or read-only."""

    location: str
    read_only: bool

    def replace_video(self, video: Video, items: list[Evidence], vectors: np.ndarray,
                      only: list[Evidence] | None = None) -> None:
        """Hold exactly `items` for the video; `vectors` embed `only` (default: all), rows present keep theirs."""
        ...

    def remove_video(self, fingerprint: str) -> int: ...

    def list_videos(self, fingerprints: Sequence[str] | None = None) -> list[StoredVideo]: ...

    def count(self) -> int: ...

    def dense(self, vector: np.ndarray, k: int, filters: EvidenceFilter | None = None) -> list[tuple[str, Evidence]]:
        """The k nearest evidence rows (id, evidence), nearest first."""
        ...

    def get(self, filters: EvidenceFilter | None = None, ids: list[str] | None = None) -> list[tuple[str, Evidence]]:
        ...

    def all_documents(self) -> tuple[list[str], list[str]]:
        """Every (id, text): what the keyword index is built from."""
        ...

    def stamp(self) -> str:
        """A token that changes with every write (cheap: the keyword index checks it before each search)."""
        ...


@dataclass(frozen=True)
class StoreKind:
    """One kind of store: which locations it takes, how to open one, how to delete a local one whole (even a
    damaged one, which cannot be opened; None: a store that is redone video by video instead), and whether
    many processes may write it at once (then batch workers publish their own videos).

    `beside` and `swap` let `rebuild` make a local store anew without deleting the old one first: the new
    store is built at `beside(location)` and `swap(location, new)` puts it in the old one's place only when
    it is complete, so a rebuild that fails (a full disk) leaves the old store as it was. A kind without them
    is wiped first and rebuilt in place."""

    name: str
    accepts: Callable[[str], bool]
    open: Callable[[str], EvidenceStore]
    wipe: Callable[[str], None] | None = None
    shared: bool = False
    beside: Callable[[str], str] | None = None
    swap: Callable[[str, str], None] | None = None


_KINDS: list[StoreKind] = []


def register_store(kind: StoreKind) -> StoreKind:
    """Add a store kind; the newest registered that accepts a location opens it (a plugin can claim a scheme)."""
    _KINDS[:] = [k for k in _KINDS if k.name != kind.name] + [kind]
    return kind


def store_kinds() -> list[StoreKind]:
    _load()
    return list(_KINDS)


def store_kind(location: str) -> StoreKind:
    """The kind that opens a location. Raises BadRequest when none does."""
    for kind in reversed(store_kinds()):
        if kind.accepts(location):
            return kind
    raise BadRequest(f"no store kind takes '{location}' (a folder, an http(s):// chromadb server URL or memory://)")


def open_store(location: str) -> EvidenceStore:
    return store_kind(location).open(location)


_loaded = False


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from importlib.metadata import entry_points

    from vidseek.store import chroma, memory

    register_store(chroma.FOLDER)
    register_store(chroma.SERVER)
    register_store(memory.KIND)
    for point in entry_points(group="vidseek.stores"):
        try:
            register_store(point.load())
        except Exception as exc:  # a broken plugin costs its own store kind, never vidseek
            logging.getLogger(__name__).warning("store plugin %s (%s) not loaded: %s", point.name, point.value, exc)
