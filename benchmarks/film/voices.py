"""The film's voices beyond vidseek.synth's engines: Kokoro-82M and real recorded speech.

Both come from the test-voice folder that benchmarks/fetch_voices.sh fills ($VIDSEEK_VOICES, default
/tmp/vidseek-voices). Kokoro runs in that folder's own venv, in a subprocess, so kokoro-onnx never enters
vidseek's environment; every Kokoro line of the film is spoken in one call, so the model loads once.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidseek import synth

SETUP = "bash benchmarks/fetch_voices.sh"
KOKORO_TIMEOUT_S = 1800  # the whole film's Kokoro lines on a busy 2-core machine

_KOKORO = """
import json, sys
import numpy as np
from kokoro_onnx import Kokoro
model, voices, out = sys.argv[1:4]
k = Kokoro(model, voices)
for n, (voice, text) in enumerate(json.load(sys.stdin)):
    samples, rate = k.create(text, voice=voice, lang="en-us", speed=1.0)
    np.save(f"{out}/{n}.npy", samples.astype(np.float32))
    print(rate)
"""


def voices_dir() -> Path:
    return Path(os.environ.get("VIDSEEK_VOICES", "/tmp/vidseek-voices"))


def _kokoro_paths() -> tuple[Path, Path, Path]:
    root = voices_dir()
    python, model = root / "venv/bin/python", root / "kokoro/kokoro-v1.0.int8.onnx"
    packs = root / "kokoro/voices_ja.npz"
    missing = [p for p in (python, model, packs) if not p.exists()]
    if missing:
        raise synth.VoiceMissing(f"Kokoro is not installed ({missing[0]} missing; run {SETUP})")
    return python, model, packs


def check_kokoro(voices: Sequence[str]) -> None:
    """Raise VoiceMissing unless the Kokoro venv, model and every voice pack named are there."""
    _, _, packs = _kokoro_paths()
    with np.load(packs) as known:
        absent = sorted(set(voices) - set(known.files))
    if absent:
        raise synth.VoiceMissing(f"Kokoro has no voice {absent[0]!r} in {packs} (run {SETUP})")


def kokoro(said: Sequence[tuple[str, str]]) -> list[np.ndarray]:
    """Each (voice, text) spoken by Kokoro, as float32 samples at synth.AUDIO_RATE, in one subprocess."""
    python, model, packs = _kokoro_paths()
    if not said:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([str(python), "-c", _KOKORO, str(model), str(packs), tmp], input=json.dumps(said),
                              capture_output=True, text=True, timeout=KOKORO_TIMEOUT_S)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise synth.VoiceMissing(f"Kokoro failed ({last}; run {SETUP})")
        rates = [int(r) for r in done.stdout.split()]
        return [synth.resample(np.load(Path(tmp) / f"{n}.npy"), rate) for n, rate in enumerate(rates)]


def recording_path(name: str) -> Path:
    return voices_dir() / "real" / f"{name}.wav"


def recording(name: str) -> np.ndarray:
    """A real recorded prompt (voices/real/NAME.wav) as float32 samples at synth.AUDIO_RATE."""
    path = recording_path(name)
    if not path.exists():
        raise synth.VoiceMissing(f"the recording {path} is missing (run {SETUP})")
    return synth.resample(*synth._read_wav(path))
