"""How high a stretch of speech is: its median fundamental frequency (F0), found with YIN in numpy.

A second voice feature beside the d-vector (vidseek/voice.py). The encoder hears timbre; it tells two
variants of one synthetic voice (espeak-ng's `en-us+f3` and `en-us+f4`, about 220 Hz and 180 Hz) apart no
better than one voice's sentences, while their pitch differs far more than one voice's pitch moves from
sentence to sentence. People differ in pitch too. The speech extractor stores each piece's median log F0
with the piece, and diarization (vidseek/diarize.py) adds the difference to the voice distance.

YIN (de Cheveigné and Kawahara, 2002): per 10 ms frame, the cumulative-mean-normalised difference function
over lags for FMIN_HZ..FMAX_HZ; the first dip under DIP_THRESHOLD, followed to its minimum and refined by a
parabola, is the period. Frames with no such dip, or much quieter than the piece's loud frames, are unvoiced.
"""

from __future__ import annotations

import numpy as np

RATE = 16_000
FMIN_HZ = 60.0  # a low male voice; espeak-ng's lowest variant (Storm) sits at 60-100 Hz
FMAX_HZ = 500.0  # a high child's or sung voice
FRAME_S = 0.04  # two periods of FMIN_HZ and a little more
HOP_S = 0.01
DIP_THRESHOLD = 0.15  # YIN's absolute threshold: a dip this deep is a period
QUIET = 0.1  # a frame under this share of the piece's loud (90th percentile) level is not voiced speech
MIN_VOICED = 10  # frames (0.1 s): fewer voiced frames than this give no pitch


def track(samples: np.ndarray) -> np.ndarray:
    """F0 in Hz per 10 ms frame of 16 kHz samples; 0 where the frame is unvoiced."""
    x = np.asarray(samples, dtype=np.float64)
    width, hop = int(FRAME_S * RATE), int(HOP_S * RATE)
    low, high = int(RATE / FMAX_HZ), int(RATE / FMIN_HZ)
    if len(x) < width + high + 1:
        return np.zeros(0)
    count = 1 + (len(x) - width - high - 1) // hop
    frames = x[np.arange(width + high + 1)[None, :] + hop * np.arange(count)[:, None]]
    frames -= frames.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(frames.shape[1])))  # no wrap: j + lag < the frame's length
    spectrum = np.fft.rfft(frames, size, axis=1)
    head = np.fft.rfft(frames[:, :width], size, axis=1)
    lags = np.arange(high + 1)
    shared = np.fft.irfft(spectrum * np.conj(head), size, axis=1)[:, :high + 1]  # sum x[j] x[j+lag], j < width
    energy = np.concatenate([np.zeros((count, 1)), np.cumsum(frames ** 2, axis=1)], axis=1)
    diff = energy[:, [width]] + energy[:, lags + width] - energy[:, lags] - 2 * shared
    diff[:, 0] = 0.0
    mean = np.cumsum(diff[:, 1:], axis=1) / lags[1:]
    norm = np.ones_like(diff)
    norm[:, 1:] = diff[:, 1:] / np.maximum(mean, 1e-12)
    window = norm[:, low:high + 1]
    below = window < DIP_THRESHOLD
    found = below.any(axis=1)
    first = np.argmax(below, axis=1)
    rising = np.concatenate([window[:, 1:] >= window[:, :-1], np.ones((count, 1), dtype=bool)], axis=1)
    rising &= np.arange(window.shape[1])[None, :] >= first[:, None]
    best = np.argmax(rising, axis=1) + low  # the dip's minimum: the first lag from `first` where it turns up
    inner = np.clip(best, 1, high - 1)
    rows = np.arange(count)
    a, b, c = norm[rows, inner - 1], norm[rows, inner], norm[rows, inner + 1]
    curve = a - 2 * b + c
    shift = np.where(curve > 1e-12, 0.5 * (a - c) / np.where(curve > 1e-12, curve, 1.0), 0.0)
    period = inner + np.clip(shift, -1.0, 1.0)
    level = np.sqrt(np.mean(frames[:, :width] ** 2, axis=1))
    loud = level > max(1e-4, QUIET * float(np.percentile(level, 90)))
    return np.where(found & loud, RATE / period, 0.0)


def median_log_f0(samples: np.ndarray) -> float | None:
    """The median of log F0 (natural log of Hz) over the voiced frames, or None with too few of them."""
    f0 = track(samples)
    voiced = f0[f0 > 0]
    if len(voiced) < MIN_VOICED:
        return None
    return float(np.median(np.log(voiced)))
