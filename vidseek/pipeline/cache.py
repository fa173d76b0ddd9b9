"""The library on disk: one record per video and each extractor's output per chunk.

Layout under the library root:
    videos/<fingerprint>.json                  what was indexed, with which extractor settings
    evidence/<fingerprint>/<cache key>/<part>.json   one extractor's evidence for one chunk
    evidence/<fingerprint>/@cuts-…/<part>.json       the shot cuts found in one chunk (pipeline/scenes.py)

Every file is written whole (temp file + rename), so a killed run leaves finished chunks and nothing
half-written; re-running does only the chunks that are missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from vidseek.extractors import finishers, merge_gaps
from vidseek.extractors.base import merge_adjacent
from vidseek.pipeline.scenes import ChunkCuts
from vidseek.types import Evidence, Video
from vidseek.video import LibraryError, disk_error

LIBRARY_ENV = "VIDSEEK_LIBRARY"
LEGACY_PREFIX = 16  # digits of the content that began the name of an older library's second entry of it


def default_library() -> Path:
    return Path(os.environ.get(LIBRARY_ENV) or platformdirs.user_data_dir("vidseek")) / "library"


@dataclass(frozen=True)
class LibraryLayout:
    """Where everything lives in a library folder: known here only, so no other module joins paths into it.

    videos/ holds one record per entry and evidence/ the extractors' outputs (the source of truth); chroma/
    (the embedded search store), keyword/ (BM25 indexes) and thumbnails/ are rebuilt from them."""

    root: Path

    @property
    def videos(self) -> Path:
        return self.root / "videos"

    @property
    def evidence(self) -> Path:
        return self.root / "evidence"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    @property
    def store(self) -> Path:
        return self.root / "chroma"

    @property
    def keyword(self) -> Path:
        return self.root / "keyword"

    @property
    def summaries(self) -> Path:
        return self.root / "summaries"

    @property
    def thumbnails(self) -> Path:
        return self.root / "thumbnails"

    @property
    def voices(self) -> Path:
        """Enrolled voice prints (vidseek/voiceprints.py): personal data, one file, deleted from by `forget`."""
        return self.root / "speakers" / "voices.json"

    def identity(self, folder: str) -> Path:
        """A video's speakers as identity vectors (vidseek/identity.py), beside the evidence they come from."""
        return self.evidence / folder / "identity.json"

    @property
    def batch_report(self) -> Path:
        return self.root / "batch-report.json"

    @property
    def rates(self) -> Path:
        """How fast this machine indexes (pipeline/rates.py)."""
        return self.root / "rates.json"

    def is_library(self) -> bool:
        """Whether the folder already is a library (has video records)."""
        return self.videos.is_dir()


def write_atomic(path: Path, data: Any) -> None:
    """Write JSON whole or not at all (temp file + rename). Raises LibraryError on a full disk or a
    read-only folder, leaving the file as it was."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    except OSError as exc:
        raise disk_error(exc, str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise disk_error(exc, str(path)) from None
        raise


@dataclass
class VideoRecord:
    """What the library knows of one video: the file, which output each source uses, what was skipped."""

    video: Video
    sources: dict[str, str] = field(default_factory=dict)  # source -> cache key
    skipped: dict[str, str] = field(default_factory=dict)  # source -> why
    notices: list[str] = field(default_factory=list)
    complete: bool = False
    owned: list[str] = field(default_factory=list)  # sources read from files beside this path (sidecars):
    # their output lies under the entry's own folder, not the content's, and is never shared
    cuts: str = ""  # the folder of its shot cuts (pipeline/scenes.py), under the content's; empty: none kept
    # (indexed before vidseek kept them, or with no picture source)
    sidecars: dict[str, str] = field(default_factory=dict)  # source -> stamp of the files beside the path it
    # read (Extractor.sidecar_stamp), whether it found any: a file added, removed or edited since changes it

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["video"] = self.video.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoRecord:
        return cls(**{**data, "video": Video.from_dict(data["video"])})


class EvidenceCache:
    """Reads and writes a library folder."""

    def __init__(self, root: str | os.PathLike[str] | None = None):
        self.root = Path(root) if root is not None else default_library()
        self.layout = LibraryLayout(self.root)
        if self.root.exists() and not self.root.is_dir():
            raise LibraryError(f"the library '{self.root}' is not a folder (check --library and ${LIBRARY_ENV})")

    def _part(self, fingerprint: str, key: str, part: str) -> Path:
        return self.layout.evidence / fingerprint / key / f"{part}.json"

    def has(self, fingerprint: str, key: str, part: str) -> bool:
        return self._part(fingerprint, key, part).exists()

    def put(self, fingerprint: str, key: str, part: str, evidence: list[Evidence]) -> None:
        write_atomic(self._part(fingerprint, key, part), [e.to_dict() for e in evidence])

    def put_cuts(self, fingerprint: str, key: str, part: str, cuts: ChunkCuts) -> None:
        write_atomic(self._part(fingerprint, key, part), cuts.to_dict())

    def load_cuts(self, fingerprint: str, key: str) -> list[ChunkCuts]:
        """Every chunk's shot cuts kept under this key, in time order."""
        remedy = "delete it and index the video again"
        out: list[ChunkCuts] = []
        for path in sorted((self.layout.evidence / fingerprint / key).glob("[!.]*.json")):
            try:
                out.append(ChunkCuts.from_dict(_read(path, dict, "cut list", remedy)))
            except (TypeError, KeyError, ValueError) as exc:
                raise LibraryError(f"the cut list {path} is damaged ({str(exc)[:80]}): {remedy}") from None
        return sorted(out, key=lambda c: c.start)

    def load(self, fingerprint: str, key: str) -> list[Evidence]:
        folder = self.layout.evidence / fingerprint / key
        out: list[Evidence] = []
        remedy = "delete it and index the video again"
        for path in sorted(folder.glob("[!.]*.json")):
            try:
                out.extend(Evidence.from_dict(d) for d in _read(path, list, "evidence file", remedy))
            except (TypeError, KeyError, AttributeError) as exc:
                raise LibraryError(f"the evidence file {path} is damaged ({str(exc)[:80]}): {remedy}") from None
        return out

    @contextmanager
    def lock(self, fingerprint: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the video for one indexing process; a second one waits (after `on_wait`) rather than
        doing the same work beside it."""
        from filelock import FileLock, Timeout

        path = self.layout.locks / f"{fingerprint}.lock"
        lock = FileLock(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                if on_wait:
                    on_wait()
                lock.acquire()
        except OSError as exc:
            raise disk_error(exc, f"the library {self.root}") from None
        try:
            yield
        finally:
            lock.release()

    def _record_path(self, fingerprint: str) -> Path:
        return self.layout.videos / f"{fingerprint}.json"

    def save_record(self, record: VideoRecord) -> None:
        write_atomic(self._record_path(record.video.fingerprint), record.to_dict())

    def record(self, fingerprint: str) -> VideoRecord | None:
        path = self._record_path(fingerprint)
        if not path.exists():
            return None
        return _record(path)

    def records(self) -> list[VideoRecord]:
        """Every video's record. Raises LibraryError naming a damaged one."""
        found, damaged = self.scan()
        if damaged:
            raise damaged[0]
        return found

    def scan(self) -> tuple[list[VideoRecord], list[LibraryError]]:
        """The readable records, and a LibraryError for each damaged one (for listings that go on)."""
        folder = self.layout.videos
        if not folder.is_dir():
            return [], []
        found: list[VideoRecord] = []
        damaged: list[LibraryError] = []
        for path in sorted(folder.glob("[!.]*.json")):
            try:
                found.append(_record(path))
            except LibraryError as exc:
                damaged.append(exc)
        return found, damaged

    def disk_usage(self, fingerprint: str) -> int:
        """Bytes of cached evidence a video takes in the library."""
        folder = self.layout.evidence / fingerprint
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0

    def evidence(self, fingerprint: str, sources: set[str] | None = None, finish: bool = True) -> list[Evidence]:
        """All evidence of a video in time order, from the outputs its record points at (content outputs
        may be shared with another entry of the same bytes: they are named for this entry). `finish=False`
        skips the whole-video passes (speakers keep their stored voice vectors, unlabelled)."""
        record = self.record(fingerprint)
        if record is None:
            return []
        items: list[Evidence] = []
        gaps = merge_gaps()  # sources that join evidence across chunk borders (on-screen text)
        passes = finishers()  # sources decided over the whole video (speakers)
        for source, key in record.sources.items():
            if sources is None or source in sources:
                folder = fingerprint if source in record.owned else record.video.content_id
                found = [e if e.fingerprint == fingerprint else replace(e, fingerprint=fingerprint)
                         for e in self.load(folder, key)]
                gap = gaps.get(source)
                found = found if gap is None else merge_adjacent(found, gap)
                items.extend(passes[source](found) if finish and source in passes else found)
        return sorted(items, key=lambda e: (e.start, e.end, e.source, e.text))

    def entries_of(self, content: str) -> list[VideoRecord]:
        """Every entry (path) whose file has these bytes. Read from every record: an entry's name need not
        begin like its content's (older libraries named them so; vidseek.ids explains why no longer). Raises
        LibraryError for a damaged record named like this content's; another damaged one is `ls`'s to report."""
        folder = self.layout.videos
        found: list[VideoRecord] = []
        for path in sorted(folder.glob("[!.]*.json")) if folder.is_dir() else []:
            try:
                found.append(_record(path))
            except LibraryError:
                if path.stem.startswith(content[:LEGACY_PREFIX]):
                    raise
        return [r for r in found if r.video.content_id == content]

    def entry_for(self, video: Video) -> Video:
        """The library entry a probed file (named by its content) is: the one recorded for its path; else one
        of the same bytes whose file is gone (moved or renamed: it keeps its entry); else a new entry, named
        by the content when no other path holds it yet."""
        content = video.fingerprint
        entries = self.entries_of(content)
        chosen = next((r for r in entries if r.video.path == video.path), None) or \
            next((r for r in entries if not Path(r.video.path).exists()), None)
        if chosen is not None:
            name = chosen.video.fingerprint
        elif not entries and self.record(content) is None:
            name = content
        else:  # content and path: an id of its own from the first digit (vidseek.ids), not the content's
            name = hashlib.blake2b(f"{content}\0{video.path}".encode(), digest_size=16).hexdigest()
        return replace(video, fingerprint=name, content="" if name == content else content)

    def forget(self, record: VideoRecord) -> None:
        """Delete an entry's record and the evidence only it uses (content evidence stays while another
        entry of the same bytes needs it)."""
        entry, content = record.video.fingerprint, record.video.content_id
        self._record_path(entry).unlink(missing_ok=True)
        others = [r for r in self.entries_of(content) if r.video.fingerprint != entry]
        if not others:
            shutil.rmtree(self.layout.evidence / content, ignore_errors=True)
        for source in record.owned:  # its own sidecar outputs
            if source in record.sources:
                shutil.rmtree(self.layout.evidence / entry / record.sources[source], ignore_errors=True)
        if entry != content:
            shutil.rmtree(self.layout.evidence / entry, ignore_errors=True)


def _read(path: Path, kind: type, what: str, remedy: str) -> Any:
    """A JSON file of the library, or a LibraryError saying which one is damaged and what to do."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LibraryError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, cut short
        raise LibraryError(f"the {what} {path} is damaged ({str(exc)[:80]}): {remedy}") from None
    if not isinstance(data, kind):
        raise LibraryError(f"the {what} {path} is damaged (not a JSON {kind.__name__}): {remedy}")
    return data


def _record(path: Path) -> VideoRecord:
    remedy = "delete it and index the video again"
    data = _read(path, dict, "record", remedy)
    try:
        return VideoRecord.from_dict(data)
    except (TypeError, KeyError, ValueError) as exc:
        raise LibraryError(f"the record {path} is damaged ({str(exc)[:80]}): {remedy}") from None
