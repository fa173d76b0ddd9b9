"""The host's voice: Kokoro-82M, run in the test-voice folder's own venv so kokoro-onnx never enters vidseek's.

benchmarks/fetch_voices.sh fills that folder ($VIDSEEK_VOICES, default /tmp/vidseek-voices): the
venv with kokoro-onnx, the int8 model and the voice packs. Every Kokoro line is spoken in one subprocess, so
the model loads once; onnxruntime is seeded first, so a seed gives the same samples.
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
TIMEOUT_S = 1800  # the host's lines on a busy 2-core machine

_SPEAK = """
import json, sys
import numpy as np
import onnxruntime
from kokoro_onnx import Kokoro
model, voices, out, seed = sys.argv[1:5]
onnxruntime.set_seed(int(seed))
k = Kokoro(model, voices)
for n, (voice, text) in enumerate(json.load(sys.stdin)):
    samples, rate = k.create(text, voice=voice, lang="en-us", speed=1.0)
    np.save(f"{out}/{n}.npy", samples.astype(np.float32))
    print(rate)
"""


def voices_dir() -> Path:
    return Path(os.environ.get("VIDSEEK_VOICES", "/tmp/vidseek-voices"))


def _paths() -> tuple[Path, Path, Path]:
    root = voices_dir()
    python, model = root / "venv/bin/python", root / "kokoro/kokoro-v1.0.int8.onnx"
    packs = root / "kokoro/voices_ja.npz"
    missing = [p for p in (python, model, packs) if not p.exists()]
    if missing:
        raise synth.VoiceMissing(f"Kokoro is not installed ({missing[0]} missing; run {SETUP})")
    return python, model, packs


def check(voices: Sequence[str]) -> None:
    """Raise synth.VoiceMissing unless the venv, the model and every voice pack named are there."""
    _, _, packs = _paths()
    with np.load(packs) as known:
        absent = sorted(set(voices) - set(known.files))
    if absent:
        raise synth.VoiceMissing(f"Kokoro has no voice {absent[0]!r} in {packs} (run {SETUP})")


def speak(said: Sequence[tuple[str, str]], seed: int = 0) -> list[np.ndarray]:
    """Each (voice, text) spoken by Kokoro, as float32 samples at synth.AUDIO_RATE, in one subprocess."""
    if not said:
        return []
    python, model, packs = _paths()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = subprocess.run([str(python), "-c", _SPEAK, str(model), str(packs), tmp, str(seed)],
                                  input=json.dumps(list(said)), capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise synth.VoiceMissing(f"Kokoro took over {TIMEOUT_S} s for {len(said)} lines") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise synth.VoiceMissing(f"Kokoro failed ({last}; run {SETUP})")
        rates = [int(r) for r in done.stdout.split()]
        return [synth.resample(np.load(Path(tmp) / f"{n}.npy"), rate) for n, rate in enumerate(rates)]
