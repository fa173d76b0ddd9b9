"""BM25 over the same evidence, for what embeddings blur: names, numbers, on-screen words."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path

from vidseek.store.base import EvidenceStore
from vidseek.text import tokens


def _bm25s():
    """bm25s, imported without jax and numba. It imports both when they are installed (mediapipe brings
    jax), only to offer backends vidseek does not use (its BM25 scores with numpy), and jax's import alone
    took longer than a whole search (~3 s of 2 busy cores, -X importtime)."""
    if "bm25s" not in sys.modules:
        kept_out = [name for name in ("jax", "numba") if name not in sys.modules]
        for name in kept_out:
            sys.modules[name] = None  # type: ignore[assignment]  # `import jax` raises ImportError
        try:
            import bm25s  # noqa: F401
        finally:
            for name in kept_out:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
    return sys.modules["bm25s"]


class KeywordIndex:
    """A bm25s index of every evidence text in a store, saved beside the library and rebuilt when stale."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._bm25 = None
        self._ids: list[str] = []
        self._stamp: str | None = None

    def _load(self, stamp: str) -> bool:
        meta = self.folder / "ids.json"
        if not meta.exists():
            return False
        bm25s = _bm25s()

        try:
            saved = json.loads(meta.read_text())
            if saved["stamp"] != stamp:
                return False
            bm25 = bm25s.BM25.load(str(self.folder / "bm25"), mmap=True) if saved["ids"] else None
        except (OSError, ValueError, KeyError):  # another process is swapping it: build our own
            return False
        self._ids, self._bm25, self._stamp = saved["ids"], bm25, stamp
        return True

    def refresh(self, store: EvidenceStore) -> None:
        """Load the saved index, or rebuild it when the store changed since it was built."""
        stamp = store.stamp()
        if self._stamp == stamp or self._load(stamp):
            return
        bm25s = _bm25s()

        ids, docs = store.all_documents()
        # built in a folder of its own and swapped in whole: processes refreshing at once never mix files
        tmp = self.folder.with_name(f"{self.folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        self._bm25 = None
        if ids:
            self._bm25 = bm25s.BM25()
            self._bm25.index([tokens(d) or ["_"] for d in docs], show_progress=False)
        self._ids, self._stamp = ids, stamp
        try:
            tmp.mkdir(parents=True)
            if self._bm25 is not None:
                self._bm25.save(str(tmp / "bm25"))
            (tmp / "ids.json").write_text(json.dumps({"stamp": stamp, "ids": ids}))
        except OSError:  # a read-only or full library: the index lives in memory only, for this process
            shutil.rmtree(tmp, ignore_errors=True)
            return
        old = self.folder.with_name(f"{tmp.name}.old")
        try:
            if self.folder.exists():
                self.folder.rename(old)
            tmp.rename(self.folder)
        except OSError:  # another process put its own in place first: keep ours in memory only
            pass
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)

    def search(self, query: str, k: int) -> list[str]:
        """Ids of the k best-matching evidence rows (no match, no id), best first."""
        words = tokens(query)
        if self._bm25 is None or not words or not self._ids:
            return []
        found, scores = self._bm25.retrieve([words], k=min(k, len(self._ids)), show_progress=False)
        return [self._ids[int(d)] for d, s in zip(found[0], scores[0]) if s > 0]
