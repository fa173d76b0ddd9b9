"""The packaged all-MiniLM-L6-v2 sentence encoder in plain numpy, for queries.

sentence-transformers needs torch and transformers, which take several seconds to import on a small
machine: more than a whole `vidseek search` should take. A query is a few dozen tokens, which six BERT
layers of width 384 turn into a vector in milliseconds without them. This is the same network as
sentence-transformers runs (BERT, mean pooling over the tokens, unit length), from the same weights file
(read with safetensors) and the same tokenizer (tokenizers), so its vectors equal those the library was
indexed with to float32 rounding (tests/test_store.py compares them). Indexing, which embeds thousands of
texts, still uses sentence-transformers.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

BATCH_TOKENS = 512  # padded tokens per batch: short texts go many at a time, a long one alone
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model (sentence_bert_config.json)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, under float32's resolution here
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


class NumpyMiniLM:
    """BERT + mean pooling + normalisation, as sentence-transformers runs all-MiniLM-L6-v2, on the CPU."""

    def __init__(self, folder: str | Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu" \
                or not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{folder} is not a mean-pooled BERT sentence encoder")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimension = int(config["hidden_size"])
        self.w = {k: v.astype(np.float32) for k, v in load_file(str(folder / "model.safetensors")).items()
                  if v.dtype.kind == "f"}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled, unit-length vectors of a padded batch: ids and mask are (batch, tokens)."""
        w, (b, n) = self.w, ids.shape
        x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
            + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        size = self.dimension // self.heads
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        for i in range(self.layers):
            at = f"encoder.layer.{i}"
            q, k, v = (self._linear(x, f"{at}.attention.self.{part}").reshape(b, n, self.heads, size)
                       .transpose(0, 2, 1, 3) for part in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            attended = self._linear(context.transpose(0, 2, 1, 3).reshape(b, n, self.dimension),
                                    f"{at}.attention.output.dense")
            x = _layer_norm(attended + x, w[f"{at}.attention.output.LayerNorm.weight"],
                            w[f"{at}.attention.output.LayerNorm.bias"], self.eps)
            hidden = self._linear(_gelu(self._linear(x, f"{at}.intermediate.dense")), f"{at}.output.dense")
            x = _layer_norm(hidden + x, w[f"{at}.output.LayerNorm.weight"], w[f"{at}.output.LayerNorm.bias"], self.eps)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text (float32)."""
        encoded = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(encoded), self.dimension), dtype=np.float32)
        with _one_blas_thread():
            for rows in _batches(encoded):
                width = max(len(encoded[i]) for i in rows)
                ids = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.float32)
                for r, i in enumerate(rows):
                    ids[r, : len(encoded[i])] = encoded[i]
                    mask[r, : len(encoded[i])] = 1.0
                out[rows] = self._forward(ids, mask)
        return out


def _batches(encoded: list[list[int]]) -> list[list[int]]:
    """Row numbers in batches of like length (each padded to its longest), up to BATCH_TOKENS padded tokens."""
    batches: list[list[int]] = []
    for i in sorted(range(len(encoded)), key=lambda i: len(encoded[i])):
        if batches and (len(batches[-1]) + 1) * len(encoded[i]) <= BATCH_TOKENS:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def _one_blas_thread():
    """Matrices this small are fastest on one thread; on a busy machine OpenBLAS's threads wait on each other
    and one query took 20x as long (measured on 2 shared cores). threadpoolctl comes with the model
    libraries; without it, BLAS keeps its own setting."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
