"""A store held in this process's memory (`memory://NAME`): for tests and throwaway libraries.

It implements the same EvidenceStore interface as chromadb with numpy and nothing else, which is what the
store contract tests run both against; two Library objects naming the same memory://NAME share it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np

from vidseek.store.base import EvidenceFilter, StoredVideo, StoreKind, evidence_id
from vidseek.types import Evidence, Video

_STORES: dict[str, MemoryStore] = {}


class MemoryStore:
    """Evidence rows and their unit vectors in dicts; cosine similarity by one matrix product."""

    read_only = False

    def __init__(self, location: str):
        self.location = location
        self.rows: dict[str, tuple[Evidence, np.ndarray]] = {}
        self.videos: dict[str, StoredVideo] = {}
        self._stamp = "empty"

    @classmethod
    def named(cls, location: str) -> MemoryStore:
        return _STORES.setdefault(location, cls(location))

    def replace_video(self, video: Video, items: list[Evidence], vectors: np.ndarray,
                      only: list[Evidence] | None = None) -> None:
        new = items if only is None else only
        keep = {evidence_id(e) for e in items}
        for i in [i for i, (e, _) in self.rows.items() if e.fingerprint == video.fingerprint and i not in keep]:
            del self.rows[i]
        for e, v in zip(new, vectors):
            norm = float(np.linalg.norm(v)) or 1.0
            self.rows.setdefault(evidence_id(e), (e, np.asarray(v, dtype=np.float32) / norm))
        self.videos[video.fingerprint] = StoredVideo(video.fingerprint, video.path, float(video.duration),
                                                     sorted({e.source for e in items}), len(keep))
        self._stamp = uuid.uuid4().hex

    def remove_video(self, fingerprint: str) -> int:
        gone = [i for i, (e, _) in self.rows.items() if e.fingerprint == fingerprint]
        for i in gone:
            del self.rows[i]
        self.videos.pop(fingerprint, None)
        self._stamp = uuid.uuid4().hex
        return len(gone)

    def list_videos(self, fingerprints: Sequence[str] | None = None) -> list[StoredVideo]:
        if fingerprints is not None and not fingerprints:
            return []
        chosen = [v for f, v in self.videos.items() if fingerprints is None or f in fingerprints]
        return sorted(chosen, key=lambda v: v.path)

    def count(self) -> int:
        return len(self.rows)

    def dense(self, vector: np.ndarray, k: int, filters: EvidenceFilter | None = None) -> list[tuple[str, Evidence]]:
        ids = [i for i, (e, _) in self.rows.items() if filters is None or filters.admits(e)]
        if not ids:
            return []
        scores = np.stack([self.rows[i][1] for i in ids]) @ np.asarray(vector, dtype=np.float32)
        return [(ids[n], self.rows[ids[n]][0]) for n in np.argsort(-scores, kind="stable")[:k]]

    def get(self, filters: EvidenceFilter | None = None, ids: list[str] | None = None) -> list[tuple[str, Evidence]]:
        chosen = ids if ids is not None else list(self.rows)
        return [(i, self.rows[i][0]) for i in chosen
                if i in self.rows and (filters is None or filters.admits(self.rows[i][0]))]

    def all_documents(self) -> tuple[list[str], list[str]]:
        return list(self.rows), [e.text for e, _ in self.rows.values()]

    def stamp(self) -> str:
        return self._stamp


def _forget(location: str) -> None:
    _STORES.pop(location, None)


def _swap(location: str, new: str) -> None:
    store = _STORES.pop(new, None) or MemoryStore(new)
    store.location = location
    _STORES[location] = store


KIND = StoreKind("memory", accepts=lambda location: location.startswith("memory://"), open=MemoryStore.named,
                 wipe=_forget, beside=lambda location: f"{location}#rebuild", swap=_swap)
