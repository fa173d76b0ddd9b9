"""Evidence vectors in chromadb: on disk (PersistentClient) by default, or a shared server (HttpClient)."""

from __future__ import annotations

import errno
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from vidseek.errors import LibraryError
from vidseek.store.base import EvidenceFilter, StoredVideo, StoreKind, evidence_id
from vidseek.types import Evidence, Video

COLLECTION = "vidseek_evidence"
VIDEOS = "vidseek_videos"
GENERATION = "__generation__"  # a row in the videos collection whose token changes with every write
PAGE = 5000  # rows per chromadb call when reading or writing a whole video


def _metadata(e: Evidence, path: str) -> dict[str, Any]:
    return {
        "fingerprint": e.fingerprint, "path": path, "start": float(e.start), "end": float(e.end), "source": e.source,
        "confidence": float(e.confidence), "extractor": e.extractor, "version": e.extractor_version,
        "meta": json.dumps(e.meta, ensure_ascii=False),
    }


def _evidence(document: str, meta: dict[str, Any]) -> Evidence:
    return Evidence(fingerprint=meta["fingerprint"], start=meta["start"], end=meta["end"], source=meta["source"],
                    text=document, confidence=meta.get("confidence", 1.0), extractor=meta.get("extractor", ""),
                    extractor_version=meta.get("version", ""), meta=json.loads(meta.get("meta") or "{}"))


def where(filters: EvidenceFilter | None) -> dict[str, Any] | None:
    """Our filter in chromadb's dialect (None when there is nothing to filter)."""
    if filters is None:
        return None
    parts: list[dict[str, Any]] = []
    if filters.videos:
        parts.append({"fingerprint": {"$in": list(filters.videos)}})
    if filters.sources:
        parts.append({"source": {"$in": list(filters.sources)}})
    if filters.end is not None:
        parts.append({"start": {"$lte": filters.end}})
    if filters.start is not None:
        parts.append({"end": {"$gte": filters.start}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def is_server(location: str) -> bool:
    return location.startswith(("http://", "https://"))


MIN_FREE = 16 << 20  # bytes free on the store's disk below which it is not written (nor opened in place)


def _free_bytes(folder: Path) -> int:
    """Free bytes on the disk that holds the folder (or would: its nearest existing parent)."""
    import shutil

    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return MIN_FREE  # cannot tell: let the write say what is wrong


def store_lock(folder: str):
    """The lock every writer of an embedded store holds: a file beside the store folder."""
    from filelock import FileLock

    return FileLock(folder.rstrip("/") + ".lock")


def _reading(method):
    """A read whose chromadb/SQLite errors (a damaged database file) become one LibraryError line."""
    import functools

    @functools.wraps(method)
    def read(self, *args, **kwargs):
        with self._translated("reading"):
            return method(self, *args, **kwargs)

    return read


# Embedded stores (a folder) shared by several processes: chromadb keeps each folder's vector index in the
# memory of one "system" per process, and a process that writes with an index older than the folder's
# would persist it over other processes' vectors. So every write holds a file lock and first restarts the
# system if the folder changed since this process last saw it (the generation token tells).
_EPOCH: dict[str, int] = {}  # folder -> how many times this process restarted its chromadb system
_SEEN: dict[str, str] = {}  # folder -> the generation token this process last wrote or loaded


class ChromaStore:
    """One library's evidence: a chromadb collection of evidence and one of videos.

    On a folder it is safe for several processes (indexers, a server, questions) at once: writes are
    serialised by a lock file beside the folder, and readers reload after another process wrote.
    """

    def __init__(self, location: str | os.PathLike[str]):
        self.location = str(location)
        self._epoch = -1
        self._identity: tuple[int, int] | None = None
        self.read_only = False
        self.full = False
        if self.is_server:
            import chromadb
            from chromadb.config import Settings

            url = urlparse(self.location)
            self.client = chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or 8000,
                                              ssl=url.scheme == "https", settings=Settings(anonymized_telemetry=False))
            self._collections()
        else:
            self.location = str(Path(self.location).resolve())
            folder = Path(self.location)
            self.read_only = folder.is_dir() and not (os.access(folder, os.W_OK) and os.access(folder.parent, os.W_OK))
            if self.read_only:
                self._open_copy()
                return
            if _free_bytes(folder) < MIN_FREE:
                # chromadb writes even to open, and on a full disk it can wait forever instead of failing:
                # read a private copy, and refuse writes with a line that says why
                self.full = True
                self._open_copy()
                return
            folder.mkdir(parents=True, exist_ok=True)
            with self._lock():  # two processes creating the same new store at once would collide
                if not (folder / "chroma.sqlite3").exists():
                    self._forget_system()  # a folder deleted and made anew: the cached system is stale
                self._open()

    @staticmethod
    def wipe(location: str | os.PathLike[str]) -> None:
        """Delete an embedded store's folder, damaged or not (it is rebuilt from the evidence cache)."""
        import shutil

        folder = str(Path(location).resolve())
        try:
            with store_lock(folder):
                _close(folder)
                if Path(folder).exists():
                    shutil.rmtree(folder)
        except OSError as exc:
            raise LibraryError(f"cannot remove the search store {folder}: {exc.strerror or exc}") from None

    @staticmethod
    def beside(location: str | os.PathLike[str]) -> str:
        """Where `rebuild` builds a new store for this folder: next to it, on the same disk (so a rename swaps)."""
        folder = Path(location).resolve()
        return str(folder.with_name(folder.name + ".rebuild"))

    @staticmethod
    def swap(location: str | os.PathLike[str], new: str | os.PathLike[str]) -> None:
        """Put the store built in `new` in place of the one at `location` (two renames under the store's lock),
        then delete the old one; processes that read the old store reload (their generation token changes)."""
        import shutil

        folder, built = str(Path(location).resolve()), str(Path(new).resolve())
        old = folder + ".old"
        try:
            with store_lock(folder):
                _close(folder)
                _close(built)
                if Path(old).exists():
                    shutil.rmtree(old)
                if Path(folder).exists():
                    os.rename(folder, old)
                os.rename(built, folder)
                shutil.rmtree(old, ignore_errors=True)
            Path(built + ".lock").unlink(missing_ok=True)
        except OSError as exc:
            raise LibraryError(f"cannot put the rebuilt search store {built} in place of {folder}: "
                               f"{exc.strerror or exc}") from None

    @property
    def is_server(self) -> bool:
        return is_server(self.location)


    def _collections(self) -> None:
        # embedding_function=None: chromadb's default would download a model; vectors always come from us
        self.evidence = self.client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"})
        self.videos = self.client.get_or_create_collection(VIDEOS, embedding_function=None)

    def _open(self) -> None:
        import chromadb
        from chromadb.config import Settings

        with self._translated("opening"):
            try:
                self.client = chromadb.PersistentClient(path=self.location,
                                                        settings=Settings(anonymized_telemetry=False))
                self._collections()
                self._epoch = _EPOCH.get(self.location, 0)
                self._identity = _identity(self.location)
                _SEEN.setdefault(self.location, self._read_stamp())
            except BaseException:
                self._drop_broken_system()  # chromadb caches a half-started system: the next try starts anew
                raise

    def _open_copy(self) -> None:
        """A folder this process cannot write (a read-only mount, another user's library): chromadb writes
        to its database even to read it, so it reads a private copy; nobody can write the original meanwhile
        from here, and writes through this store are refused."""
        import atexit
        import shutil
        import tempfile

        self.original = self.location
        try:
            copy = Path(tempfile.mkdtemp(prefix="vidseek-read-only-"))
            atexit.register(shutil.rmtree, copy, True)
            if (Path(self.location) / "chroma.sqlite3").is_file():
                shutil.copytree(self.location, copy / "chroma", copy_function=shutil.copyfile)
            else:  # no store yet: an empty one, so listings say what the evidence cache holds
                (copy / "chroma").mkdir()
            for folder, _, files in os.walk(copy):  # the copy is ours to write (copytree kept the modes)
                os.chmod(folder, 0o700)
                for name in files:
                    os.chmod(os.path.join(folder, name), 0o600)
        except OSError as exc:
            raise LibraryError(f"cannot read the search store {self.location}: {exc.strerror or exc}") from None
        self.location = str(copy / "chroma")
        self._open()

    @contextmanager
    def _translated(self, doing: str) -> Iterator[None]:
        """chromadb's and SQLite's errors about the store's files as one line saying what is wrong."""
        import sqlite3

        from chromadb.errors import ChromaError

        try:
            yield
        except LibraryError:
            raise
        except (ChromaError, sqlite3.Error, OSError) as exc:
            text = str(exc)
            where = getattr(self, "original", self.location)
            if "full" in text.lower() or getattr(exc, "errno", None) == errno.ENOSPC:
                raise LibraryError(f"the disk is full {doing} the search store {where}: free some space and "
                                   "run again (what was finished is kept)") from None
            if "readonly" in text.lower() or "read-only" in text.lower():
                raise LibraryError(f"cannot write the search store {where}: it is read-only here") from None
            reason = text.splitlines()[0][:160] if text else type(exc).__name__
            raise LibraryError(f"the search store {where} is damaged ({reason}): rebuild it from the evidence "
                               "cache with `vidseek rebuild`") from None

    def _lock(self):
        return store_lock(self.location)

    def _forget_system(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(self.location, None)
        SharedSystemClient._identifier_to_refcount.pop(self.location, None)
        if system is not None:
            system.stop()
        _EPOCH[self.location] = _EPOCH.get(self.location, 0) + 1
        _SEEN.pop(self.location, None)

    def _drop_broken_system(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(self.location, None)
        SharedSystemClient._identifier_to_refcount.pop(self.location, None)
        _SEEN.pop(self.location, None)

    def _restart(self) -> None:
        """Drop this process's chromadb system for the folder and load it again from disk."""
        self._forget_system()
        self._open()

    def _current(self) -> str | None:
        """Before a read: see what other processes wrote (a one-row read when nothing changed). The store's
        generation token as it is now; None on a server, which needs no reloading."""
        if self.is_server:
            return None
        if self._identity != _identity(self.location):
            self._restart()  # the folder was replaced (a rebuild swapped a new store in): its files are new
        if self._epoch != _EPOCH.get(self.location, 0):
            self._open()  # another store object of this process restarted the system
        stamp = self._read_stamp()
        if stamp != _SEEN.get(self.location):
            self._restart()  # loads the token afresh into _SEEN
        return _SEEN[self.location]

    @contextmanager
    def _writing(self) -> Iterator[None]:
        where = getattr(self, "original", self.location)
        if self.full or (not self.is_server and _free_bytes(Path(self.location)) < MIN_FREE):
            raise LibraryError(f"the disk is full writing the search store {where}: free some space and run "
                               "again (what was finished is kept)")
        if self.read_only:
            raise LibraryError(f"cannot write the search store {where}: the library is read-only here")
        if self.is_server:
            yield
            self._bump()
            return
        with self._translated("writing"), self._lock():
            self._current()
            yield
            self._bump()

    def replace_video(self, video: Video, items: list[Evidence], vectors: np.ndarray,
                      only: list[Evidence] | None = None) -> None:
        """Make the store hold exactly `items` for the video. `vectors` embed `only` (default: all items):
        rows already stored keep theirs, so re-publishing an unchanged video embeds nothing."""
        with self._writing():
            self._replace(video, items, vectors, items if only is None else only)

    def _replace(self, video: Video, items: list[Evidence], vectors: np.ndarray, new: list[Evidence]) -> None:
        keep = {evidence_id(e) for e in items}
        old = self.evidence.get(where={"fingerprint": video.fingerprint}, include=[])["ids"]
        stale = [i for i in old if i not in keep]
        for at in range(0, len(stale), PAGE):
            self.evidence.delete(ids=stale[at : at + PAGE])
        unique: dict[str, int] = {}
        for n, e in enumerate(new):
            unique.setdefault(evidence_id(e), n)
        rows = list(unique.values())
        for at in range(0, len(rows), PAGE):
            page = rows[at : at + PAGE]
            self.evidence.upsert(ids=[evidence_id(new[n]) for n in page], embeddings=vectors[page].tolist(),
                                 documents=[new[n].text for n in page],
                                 metadatas=[_metadata(new[n], video.path) for n in page])
        sources = sorted({e.source for e in items})
        self.videos.upsert(ids=[video.fingerprint], documents=[video.path], embeddings=[[0.0]],
                           metadatas=[{"path": video.path, "duration": float(video.duration),
                                       "sources": ",".join(sources), "evidence": len(keep)}])

    def _bump(self) -> None:
        token = uuid.uuid4().hex
        self.videos.upsert(ids=[GENERATION], documents=[""], embeddings=[[0.0]], metadatas=[{"token": token}])
        _SEEN[self.location] = token

    def remove_video(self, fingerprint: str) -> int:
        with self._writing():
            ids = self.evidence.get(where={"fingerprint": fingerprint}, include=[])["ids"]
            for at in range(0, len(ids), PAGE):
                self.evidence.delete(ids=ids[at : at + PAGE])
            self.videos.delete(ids=[fingerprint])
        return len(ids)

    @_reading
    def list_videos(self, fingerprints: Sequence[str] | None = None) -> list[StoredVideo]:
        """Every video in the store, or just the ones named."""
        if fingerprints is not None and not fingerprints:
            return []
        self._current()
        rows = self.videos.get(ids=list(fingerprints) if fingerprints else None, include=["metadatas"])
        out = [StoredVideo(fingerprint=i, path=m["path"], duration=m["duration"],
                           sources=[s for s in m["sources"].split(",") if s], evidence=int(m["evidence"]))
               for i, m in zip(rows["ids"], rows["metadatas"]) if i != GENERATION]
        return sorted(out, key=lambda v: v.path)

    @_reading
    def count(self) -> int:
        self._current()
        return self.evidence.count()

    @_reading
    def dense(self, vector: np.ndarray, k: int, filters: EvidenceFilter | None = None) -> list[tuple[str, Evidence]]:
        """The k nearest evidence rows (id, evidence), nearest first."""
        if self.count() == 0:
            return []
        found = self.evidence.query(query_embeddings=[vector.tolist()], n_results=k, where=where(filters),
                                    include=["documents", "metadatas"])
        return [(i, _evidence(d, m)) for i, d, m in zip(found["ids"][0], found["documents"][0], found["metadatas"][0])]

    @_reading
    def get(self, filters: EvidenceFilter | None = None, ids: list[str] | None = None) -> list[tuple[str, Evidence]]:
        self._current()
        rows = self.evidence.get(where=where(filters), ids=ids, include=["documents", "metadatas"])
        return [(i, _evidence(d, m)) for i, d, m in zip(rows["ids"], rows["documents"], rows["metadatas"])]

    @_reading
    def all_documents(self) -> tuple[list[str], list[str]]:
        """Every (id, text) in the store, page by page: what the keyword index is built from."""
        self._current()
        ids: list[str] = []
        docs: list[str] = []
        offset = 0
        while True:
            rows = self.evidence.get(include=["documents"], limit=PAGE, offset=offset)
            ids += rows["ids"]
            docs += rows["documents"]
            if len(rows["ids"]) < PAGE:
                return ids, docs
            offset += PAGE

    @_reading
    def stamp(self) -> str:
        """A token that changes with every write to the store (one row read, whatever the library's size)."""
        return self._current() or self._read_stamp()

    def _read_stamp(self) -> str:
        rows = self.videos.get(ids=[GENERATION], include=["metadatas"])
        return rows["metadatas"][0]["token"] if rows["ids"] else "empty"


def _identity(folder: str) -> tuple[int, int] | None:
    """Which database file the folder holds now (device, inode): a swapped-in store has another."""
    try:
        found = os.stat(os.path.join(folder, "chroma.sqlite3"))
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _close(folder: str) -> None:
    """Stop this process's chromadb system for a folder (its files are closed; the next use opens them anew)."""
    store = ChromaStore.__new__(ChromaStore)
    store.location = folder
    store._forget_system()


FOLDER = StoreKind("chroma", accepts=lambda location: "://" not in location, open=ChromaStore, wipe=ChromaStore.wipe,
                   beside=ChromaStore.beside, swap=ChromaStore.swap)
SERVER = StoreKind("chroma-server", accepts=is_server, open=ChromaStore, shared=True)
