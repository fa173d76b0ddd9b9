"""Voice embeddings: Resemblyzer's d-vector speaker encoder, run without the rest of Resemblyzer.

The weights are `resemblyzer/pretrained.pt` from the `resemblyzer==0.1.4` wheel (Apache-2.0), installed with
`--no-deps`: its package imports webrtcvad (a C extension with no wheels, so it compiles) and librosa at
import time, so vidseek never imports it. It only reads the weights file, checked against a pinned SHA-256,
into the same three-layer LSTM, and computes the encoder's input (a 40-band mel power spectrogram, 25 ms
windows every 10 ms, at 16 kHz) with numpy. Resemblyzer's webrtcvad step trims silences; here the speech
extractor hands over only audio between Whisper's word times, which does the same job.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.models import PinnedFile, pinned_path

log = logging.getLogger(__name__)

RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s: the encoder was trained on windows this long
PARTIAL_STEP = 77  # frames between windows: Resemblyzer's default rate of 1.3 windows a second
MIN_COVERAGE = 0.75  # a last window shorter than this share of PARTIAL_FRAMES is dropped (unless it is the only one)
TARGET_DBFS = -30.0  # quiet speech is raised to this loudness, as Resemblyzer does (never lowered)
DIM = 256

PACKAGE = "resemblyzer"
VERSION = "0.1.4"
WEIGHTS = "pretrained.pt"
WEIGHTS_SIZE = 17_090_379
WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"


def _pin() -> PinnedFile:
    """What the weights file must be (read at each call, so a changed pin is seen)."""
    return PinnedFile(PACKAGE, PACKAGE, VERSION, WEIGHTS, WEIGHTS_SIZE, WEIGHTS_SHA256,
                      role="speakers need the voice encoder", what="the voice encoder")


def weights_path() -> Path:
    """The encoder's weights file, found without importing its package. Raises ModelUnavailable when the
    package is missing or the file is not the pinned one."""
    return pinned_path(_pin())


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """librosa's default mel filterbank (Slaney scale and area normalisation), 0-8000 Hz, as (bands, bins)."""
    def to_mel(hz: np.ndarray) -> np.ndarray:
        hz = np.asarray(hz, dtype=np.float64)
        log_part = 15.0 + np.log(np.maximum(hz, 1e-9) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz < 1000.0, hz * 3.0 / 200.0, log_part)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return np.where(mel < 15.0, mel * 200.0 / 3.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)))

    bins = np.linspace(0.0, RATE / 2, 1 + N_FFT // 2)
    edges = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(RATE / 2)), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """The encoder's input for 16 kHz samples: mel power frames, (frames, 40), centred like librosa's."""
    wav = np.pad(np.asarray(samples, dtype=np.float32), N_FFT // 2)
    count = 1 + (len(wav) - N_FFT) // HOP
    if count < 1:
        return np.zeros((0, N_MELS), np.float32)
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann
    power = np.abs(np.fft.rfft(wav[index] * window, axis=1)) ** 2
    return (power.astype(np.float32) @ _mel_filters().T).astype(np.float32)


def louder(samples: np.ndarray) -> np.ndarray:
    """Quiet audio raised to TARGET_DBFS (loud audio left alone): the level the encoder was trained at."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    if rms <= 1e-6:
        return samples
    change = TARGET_DBFS - 20 * np.log10(rms)
    return samples * np.float32(10 ** (change / 20)) if change > 0 else samples


def _windows(frames: int) -> list[slice]:
    """Where the 1.6 s windows fall over an utterance of `frames` frames (Resemblyzer's partial slices)."""
    starts = list(range(0, max(1, frames - PARTIAL_FRAMES + PARTIAL_STEP + 1), PARTIAL_STEP))
    slices = [slice(s, s + PARTIAL_FRAMES) for s in starts]
    if len(slices) > 1 and (frames - slices[-1].start) / PARTIAL_FRAMES < MIN_COVERAGE:
        slices.pop()
    return slices


class VoiceEncoder:
    """Turns a stretch of one voice into a 256-number unit vector; near vectors, the same voice.

    The network is built on first use, so making one costs nothing (a cached index never loads it)."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.calls = 0
        self._net: Any = None

    def _load(self) -> Any:
        if self._net is None:
            import torch
            from torch import nn

            class _Net(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.lstm = nn.LSTM(N_MELS, DIM, 3, batch_first=True)
                    self.linear = nn.Linear(DIM, DIM)

                def forward(self, mels: Any) -> Any:
                    _, (hidden, _) = self.lstm(mels)
                    raw = torch.relu(self.linear(hidden[-1]))
                    return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-9)

            state = torch.load(weights_path(), map_location="cpu", weights_only=True)["model_state"]
            net = _Net()
            net.load_state_dict({k: v for k, v in state.items() if not k.startswith("similarity_")})
            self._net = net.eval().to(self.device)
        return self._net

    def embed(self, utterances: list[np.ndarray]) -> np.ndarray:
        """One unit vector per utterance (16 kHz samples), as (n, 256) float32; all in one batch of windows."""
        if not utterances:
            return np.zeros((0, DIM), np.float32)
        import torch

        net = self._load()
        self.calls += 1
        batch, owners = [], []
        for n, samples in enumerate(utterances):
            wav = louder(np.asarray(samples, dtype=np.float32))
            cuts = _windows(len(wav) // HOP + 1)
            need = cuts[-1].stop * HOP
            if len(wav) < need:
                wav = np.pad(wav, (0, need - len(wav)))
            mel = mel_frames(wav)
            for cut in cuts:
                batch.append(mel[cut])
                owners.append(n)
        with torch.inference_mode():
            partial = net(torch.from_numpy(np.stack(batch)).to(self.device)).cpu().numpy()
        out = np.zeros((len(utterances), DIM), np.float32)
        np.add.at(out, np.array(owners), partial)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
