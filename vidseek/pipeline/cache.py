"""The library on disk: one record per video and each extractor's output per chunk.

Layout under the library root:
    videos/<fingerprint>.json                  what was indexed, with which extractor settings
    evidence/<fingerprint>/<cache key>/<part>.json   one extractor's evidence for one chunk

Every file is written whole (temp file + rename), so a killed run leaves finished chunks and nothing
half-written; re-running does only the chunks that are missing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from vidseek.extractors.base import merge_adjacent
from vidseek.types import Evidence, Video

LIBRARY_ENV = "VIDSEEK_LIBRARY"
MERGED_SOURCES = {"ocr"}  # text that stays on screen across a chunk border becomes one span


def default_library() -> Path:
    return Path(os.environ.get(LIBRARY_ENV) or platformdirs.user_data_dir("vidseek")) / "library"


def write_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class VideoRecord:
    """What the library knows of one video: the file, which output each source uses, what was skipped."""

    video: Video
    sources: dict[str, str] = field(default_factory=dict)  # source -> cache key
    skipped: dict[str, str] = field(default_factory=dict)  # source -> why
    notices: list[str] = field(default_factory=list)
    complete: bool = False

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

    def _part(self, fingerprint: str, key: str, part: str) -> Path:
        return self.root / "evidence" / fingerprint / key / f"{part}.json"

    def has(self, fingerprint: str, key: str, part: str) -> bool:
        return self._part(fingerprint, key, part).exists()

    def put(self, fingerprint: str, key: str, part: str, evidence: list[Evidence]) -> None:
        write_atomic(self._part(fingerprint, key, part), [e.to_dict() for e in evidence])

    def load(self, fingerprint: str, key: str) -> list[Evidence]:
        folder = self.root / "evidence" / fingerprint / key
        out: list[Evidence] = []
        for path in sorted(folder.glob("[!.]*.json")):
            out.extend(Evidence.from_dict(d) for d in json.loads(path.read_text(encoding="utf-8")))
        return out

    @contextmanager
    def lock(self, fingerprint: str, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """Hold the video for one indexing process; a second one waits (after `on_wait`) rather than
        doing the same work beside it."""
        from filelock import FileLock, Timeout

        path = self.root / "locks" / f"{fingerprint}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(path)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait:
                on_wait()
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def _record_path(self, fingerprint: str) -> Path:
        return self.root / "videos" / f"{fingerprint}.json"

    def save_record(self, record: VideoRecord) -> None:
        write_atomic(self._record_path(record.video.fingerprint), record.to_dict())

    def record(self, fingerprint: str) -> VideoRecord | None:
        path = self._record_path(fingerprint)
        if not path.exists():
            return None
        return VideoRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def records(self) -> list[VideoRecord]:
        folder = self.root / "videos"
        if not folder.is_dir():
            return []
        return [VideoRecord.from_dict(json.loads(p.read_text(encoding="utf-8")))
                for p in sorted(folder.glob("[!.]*.json"))]

    def disk_usage(self, fingerprint: str) -> int:
        """Bytes of cached evidence a video takes in the library."""
        folder = self.root / "evidence" / fingerprint
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0

    def evidence(self, fingerprint: str, sources: set[str] | None = None) -> list[Evidence]:
        """All evidence of a video in time order, from the outputs its record points at."""
        record = self.record(fingerprint)
        if record is None:
            return []
        items: list[Evidence] = []
        for source, key in record.sources.items():
            if sources is None or source in sources:
                found = self.load(fingerprint, key)
                items.extend(merge_adjacent(found, 0.01) if source in MERGED_SOURCES else found)
        return sorted(items, key=lambda e: (e.start, e.end, e.source, e.text))
