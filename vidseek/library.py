"""The Python API: a library of indexed videos on disk."""

from __future__ import annotations

import os
from pathlib import Path

from vidseek import extractors as ex
from vidseek.pipeline.cache import EvidenceCache, VideoRecord
from vidseek.pipeline.index import Indexer, IndexOptions, IndexReport, Progress
from vidseek.types import Evidence
from vidseek.video import VideoError, fingerprint


class Library:
    """A folder of indexed videos: index files into it, read their evidence back without the files."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.cache = EvidenceCache(path)
        self.path = self.cache.root

    def indexer(
        self,
        sources: list[str] | None = None,
        settings: ex.ExtractorSettings | None = None,
        options: IndexOptions | None = None,
    ) -> Indexer:
        """An Indexer whose models load once and serve every file given to it."""
        chosen = ex.build(sources, settings or ex.ExtractorSettings())
        return Indexer(self.cache, chosen, options, requested=set(sources) if sources else None)

    def index(
        self,
        path: str | os.PathLike[str],
        sources: list[str] | None = None,
        settings: ex.ExtractorSettings | None = None,
        options: IndexOptions | None = None,
        progress: Progress | None = None,
    ) -> IndexReport:
        return self.indexer(sources, settings, options).index(path, progress)

    def videos(self) -> list[VideoRecord]:
        return self.cache.records()

    def find(self, path_or_id: str | os.PathLike[str]) -> VideoRecord:
        """The record of a file (by content), or of an indexed video by fingerprint prefix or old path."""
        text = str(path_or_id)
        if Path(text).is_file():
            record = self.cache.record(fingerprint(text))
            if record is not None:
                return record
            raise VideoError(f"'{text}' is not indexed in {self.path} (run: vidseek index '{text}')")
        resolved = str(Path(text).resolve())
        matches = [r for r in self.videos()
                   if r.video.fingerprint.startswith(text) or r.video.path in {text, resolved}]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise VideoError(f"no indexed video matches '{text}' in {self.path}")
        raise VideoError(f"'{text}' matches {len(matches)} indexed videos; give more of the fingerprint")

    def evidence(self, path_or_id: str | os.PathLike[str], sources: set[str] | None = None) -> list[Evidence]:
        """Every piece of evidence of one video in time order."""
        return self.cache.evidence(self.find(path_or_id).video.fingerprint, sources)
