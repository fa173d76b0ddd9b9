"""Speaker diarization on a generated conversation: four espeak-ng voices taking turns, never overlapping.

    python -m benchmarks.speakers [--minutes 10] [--seed 0] [--out DIR] [--whisper tiny|base]

Builds the conversation (turns of one to three sentences, pauses of 0.3-3 s drawn by the seed, each voice
brought to one loudness), indexes it with the speech source alone, and prints the diarization error (the
share of the reference speech time whose words are given the wrong speaker after the best one-to-one
mapping of labels to voices, the issue's measure), the missed speech (reference speech time under no
evidence at all, reported apart), the speaker count, each speaker's talk time against the truth, and the
cost per minute of speech. The reference turns are where each utterance's samples are above silence.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vidseek import diarize, synth
from vidseek.types import Evidence

VOICES = ("en-us", "en-us+f3", "en+klatt", "en-us+Storm")  # four voices the encoder tells apart (docs/indexing.md)
PAUSE_S = (0.3, 3.0)
LEVEL_RMS = 0.08
ROOM_NOISE = 0.002
FRAME_S = 0.01

SUBJECTS = ("the launch", "the pricing page", "the budget", "the new office", "the customer survey",
            "the test plan", "the hiring round", "the mobile app", "the support queue", "the data migration")
CLAIMS = ("is behind by about two weeks", "needs another review before anyone outside sees it",
          "went better than we expected last month", "should wait until the audit is finished",
          "is the thing customers ask about most", "will cost more than the first estimate",
          "has to be signed off by the board", "looks fine to me after the last round of changes",
          "is blocked on the vendor contract", "could ship on Friday if nothing breaks")
OPENERS = ("I think", "Honestly,", "From what I have seen,", "As far as I know,", "To be fair,", "My view is that")
FOLLOWS = ("We should talk about it again next week.", "Can somebody take the action on that?",
           "I will write it up this afternoon.", "That is my main worry right now.",
           "Let us keep an eye on it.", "I would rather not rush it.")


@dataclass(frozen=True)
class Turn:
    """One voice's turn: what it says and where its sound really is (seconds)."""

    voice: str
    start: float
    end: float
    text: str


def script(seed: int, minutes: float, voices: tuple[str, ...] = VOICES,
           lines: dict[int, str] | None = None) -> list[tuple[str, str, float]]:
    """The conversation to say: (voice, text, pause before) per turn, until about `minutes` are planned.
    Voices never take two turns running; `lines` puts a given text at given turn numbers."""
    rng = random.Random(seed)
    planned, out, last = 0.0, [], ""
    while planned < minutes * 60:
        choice = [v for v in voices if v != last] or list(voices)
        who = rng.choice(choice)
        text = lines.get(len(out)) if lines and len(out) in lines else " ".join(
            [f"{rng.choice(OPENERS)} {rng.choice(SUBJECTS)} {rng.choice(CLAIMS)}."]
            + [rng.choice(FOLLOWS) for _ in range(rng.choice((0, 1, 2)))])
        pause = round(rng.uniform(*PAUSE_S), 2)
        out.append((who, text, pause))
        planned += pause + len(text.split()) / 3.0  # espeak-ng at 150 words a minute, with its silences
        last = who
    return out


def render(turns: list[tuple[str, str, float]], lead_in: float = 1.0,
           tail: float = 2.0) -> tuple[np.ndarray, list[Turn]]:
    """The track (at synth.AUDIO_RATE) and the reference turns, trimmed to where each voice is audible."""
    rate = synth.AUDIO_RATE
    parts, placed, at = [], [], lead_in
    for who, text, pause in turns:
        at += pause
        samples = synth.tts("espeak-ng", text, who)
        rms = float(np.sqrt(np.mean(samples ** 2))) or 1.0
        samples = samples * (LEVEL_RMS / rms)
        loud = np.flatnonzero(np.abs(samples) > 0.02)
        begin, stop = (loud[0], loud[-1] + 1) if len(loud) else (0, 0)
        placed.append(Turn(who, round(at + begin / rate, 3), round(at + stop / rate, 3), text))
        parts.append((int(at * rate), samples))
        at += len(samples) / rate
    total = int((at + tail) * rate)
    track = (np.random.default_rng(0).standard_normal(total) * ROOM_NOISE).astype(np.float32)
    for offset, samples in parts:
        track[offset:offset + len(samples)] += samples
    return np.clip(track, -1, 1), placed


def write(turns: list[tuple[str, str, float]], path: Path) -> list[Turn]:
    """The conversation as an audio file; returns the reference turns."""
    track, placed = render(turns)
    synth.write_audio(track, path)
    return placed


@dataclass
class Score:
    """How a diarization compares with the truth."""

    error: float  # share of reference speech under evidence given the wrong speaker (best mapping)
    missed: float  # share of reference speech under no evidence
    speakers: int
    voices: int
    talk: dict[str, tuple[float, float]]  # voice -> (reference seconds, found seconds of the mapped label)
    mapping: dict[str, str]  # voice -> label


def score(reference: list[Turn], found: list[Evidence]) -> Score:
    """Frame-level comparison (10 ms) after the mapping of labels to voices with the most shared time."""
    from scipy.optimize import linear_sum_assignment

    end = max([t.end for t in reference] + [e.end for e in found]) + 1
    frames = int(end / FRAME_S)
    voices = sorted({t.voice for t in reference}, key=[t.voice for t in reference].index)
    labels = sorted({diarize.speaker_of(e) for e in found if diarize.speaker_of(e)},
                    key=lambda s: int(s[1:]) if s[1:].isdigit() else 0)
    ref = np.full(frames, -1)
    for t in reference:
        ref[int(t.start / FRAME_S):int(t.end / FRAME_S)] = voices.index(t.voice)
    hyp = np.full(frames, -1)
    for e in found:
        if diarize.speaker_of(e) in labels:
            hyp[int(e.start / FRAME_S):int(e.end / FRAME_S)] = labels.index(diarize.speaker_of(e))
    overlap = np.zeros((len(voices), max(1, len(labels))))
    for v in range(len(voices)):
        for h in range(len(labels)):
            overlap[v, h] = np.sum((ref == v) & (hyp == h))
    rows, cols = linear_sum_assignment(-overlap)
    mapping = {voices[r]: labels[c] for r, c in zip(rows, cols) if c < len(labels)}
    speech = ref >= 0
    right = sum(np.sum((ref == voices.index(v)) & (hyp == labels.index(lab))) for v, lab in mapping.items())
    covered = np.sum(speech & (hyp >= 0))
    talk = {}
    for v in voices:
        truth = sum(t.end - t.start for t in reference if t.voice == v)
        got = sum(e.end - e.start for e in found if mapping.get(v) and diarize.speaker_of(e) == mapping[v])
        talk[v] = (round(truth, 1), round(got, 1))
    return Score(round(float((covered - right) / speech.sum()), 4), round(float(1 - covered / speech.sum()), 4),
                 len(labels), len(voices), talk, mapping)


def run(minutes: float, seed: int, out: Path, whisper: str) -> dict:
    from vidseek import models
    from vidseek.extractors import SpeechExtractor
    from vidseek.pipeline.cache import EvidenceCache
    from vidseek.pipeline.index import Indexer

    out.mkdir(parents=True, exist_ok=True)
    path = out / f"conversation-{seed}.m4a"
    reference = write(script(seed, minutes), path)
    model = str(models.whisper_tiny_en_dir()) if whisper == "tiny" else None
    speech = SpeechExtractor(model, device="cpu", language="en")
    tick = time.perf_counter()
    report = Indexer(EvidenceCache(out / "library"), [speech]).index(path)
    seconds = time.perf_counter() - tick
    plain = SpeechExtractor(model, device="cpu", language="en", speakers=False)
    tick = time.perf_counter()
    Indexer(EvidenceCache(out / "library-plain"), [plain]).index(path)
    plain_seconds = time.perf_counter() - tick
    found = EvidenceCache(out / "library").evidence(report.video.fingerprint)
    result = score(reference, found)
    speech_min = sum(t.end - t.start for t in reference) / 60
    return {"minutes": round(report.video.duration / 60, 2), "speech_minutes": round(speech_min, 2),
            "whisper": whisper, "seed": seed, **asdict(result),
            "seconds_per_speech_minute": round(seconds / speech_min, 2),
            "diarization_seconds_per_speech_minute": round((seconds - plain_seconds) / speech_min, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--whisper", choices=("tiny", "base"), default="base")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.minutes, args.seed, args.out or Path(tmp), args.whisper)
    worst = max(abs(got - truth) / truth for truth, got in result["talk"].values())
    print(json.dumps(result, indent=1))
    print(f"diarization error {result['error']:.1%} (missed speech {result['missed']:.1%} apart); "
          f"speakers {result['speakers']} of {result['voices']}; worst talk-time error {worst:.1%}; "
          f"{result['seconds_per_speech_minute']} s per minute of speech "
          f"({result['diarization_seconds_per_speech_minute']} s of it for speakers)")


if __name__ == "__main__":
    main()
