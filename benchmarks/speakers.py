"""Speaker diarization on four sets: a real phone call and generated conversations of alike and near-human voices.

    python -m benchmarks.speakers [--set all|pyannote|espeak|espeak-alike|nearhuman ...] [--minutes 3]
                                  [--seed 0] [--out DIR] [--whisper tiny|base] [--pyannote-wheel WHEEL]

The sets (issue 31):
- pyannote: pyannote-audio's bundled sample (MIT), a real two-person phone call of 30 s, scored against its
  `sample.rttm`. The file comes out of the pyannote-audio 4.0.7 wheel at run time (`pip download --no-deps`,
  or `--pyannote-wheel`); it is not kept in this repository.
- espeak: four espeak-ng voices the encoder tells apart (the first benchmark's set).
- espeak-alike: four espeak-ng voices, two of them variants of one base voice (`en-us+f3`, `en-us+f4`).
- nearhuman: the lecture's five near-human voices (Kokoro, Piper, festival HTS, flite rms and awb), from
  benchmarks/fetch_voices.sh.
A generated set is turns of one to three sentences, pauses of 0.3-3 s drawn by the seed, each voice brought to
one loudness, never overlapping; its reference turns are where each utterance's samples are above silence.

Each set is indexed with the speech source alone. Printed per set: the diarization error (the share of the
reference speech time whose words are given the wrong speaker after the best one-to-one mapping of labels to
voices, the issue's measure; where the reference has two voices at once, either is right), the missed speech
(reference speech under no evidence at all, reported apart), the speakers found against the voices, each
voice's talk time against the truth, and the cost per minute of speech (all of it, and the share spent on
telling voices apart: the voice encoder, the pitch tracker and the grouping).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vidseek import diarize, pitch, synth
from vidseek.types import Evidence

VOICES = ("en-us", "en-us+f3", "en+klatt", "en-us+Storm")  # four voices the encoder tells apart (docs/indexing.md)
ALIKE = ("en-us+f3", "en-us+f4", "en+klatt", "en-us+Storm")  # f3 and f4: two variants of one base voice
NEAR_HUMAN = ("kokoro:jf_alpha", "piper:", "festival:cmu_us_slt_arctic_hts", "flite:rms", "flite:awb")
SETS = {"pyannote": (), "espeak": VOICES, "espeak-alike": ALIKE, "nearhuman": NEAR_HUMAN}
PYANNOTE = "pyannote-audio==4.0.7"  # its wheel holds pyannote/audio/sample/sample.wav and sample.rttm (MIT)
SAMPLE = "pyannote/audio/sample/sample"
PAUSE_S = (0.3, 3.0)
LEVEL_RMS = 0.08
ROOM_NOISE = 0.002
FRAME_S = 0.01
TARGET = 0.15  # the bar for the share of speech given the wrong speaker

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


def speak(turns: list[tuple[str, str, float]], seed: int = 0) -> list[np.ndarray]:
    """Each turn's samples at synth.AUDIO_RATE. A voice is an espeak-ng voice, or `engine:voice` for another
    engine (kokoro, piper, festival, flite); Kokoro's lines are spoken in one batch."""
    out: list[np.ndarray | None] = [None] * len(turns)
    hosted = [n for n, (who, _, _) in enumerate(turns) if who.startswith("kokoro:")]
    if hosted:
        from benchmarks.lecture import kokoro

        spoken = kokoro.speak([(turns[n][0].split(":", 1)[1], turns[n][1]) for n in hosted], seed)
        for n, samples in zip(hosted, spoken):
            out[n] = samples
    for n, (who, text, _) in enumerate(turns):
        if out[n] is None:
            engine, name = who.split(":", 1) if ":" in who else ("espeak-ng", who)
            out[n] = synth.tts(engine, text, name, seed=seed * 1000 + n)
    return [s for s in out if s is not None]


def render(turns: list[tuple[str, str, float]], lead_in: float = 1.0,
           tail: float = 2.0, seed: int = 0) -> tuple[np.ndarray, list[Turn]]:
    """The track (at synth.AUDIO_RATE) and the reference turns, trimmed to where each voice is audible."""
    rate = synth.AUDIO_RATE
    parts, placed, at = [], [], lead_in
    for (who, text, pause), samples in zip(turns, speak(turns, seed)):
        at += pause
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


def write(turns: list[tuple[str, str, float]], path: Path, seed: int = 0) -> list[Turn]:
    """The conversation as an audio file; returns the reference turns."""
    track, placed = render(turns, seed=seed)
    synth.write_audio(track, path)
    return placed


def pyannote_sample(out: Path, wheel: Path | None = None) -> tuple[Path, list[Turn]]:
    """The pyannote sample's audio (written under `out`) and its reference turns from the RTTM. The wheel is
    fetched with pip (no dependencies) unless one is given."""
    if wheel is None:
        subprocess.run(["pip", "download", "-q", "--no-deps", PYANNOTE, "-d", str(out)], check=True)
        wheel = next(out.glob("pyannote_audio-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        path = out / "pyannote-sample.wav"
        path.write_bytes(z.read(f"{SAMPLE}.wav"))
        rttm = z.read(f"{SAMPLE}.rttm").decode()
    turns = []
    for line in rttm.splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            start, length = float(f[3]), float(f[4])
            turns.append(Turn(f[7], start, round(start + length, 3), ""))
    return path, turns


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
    """Frame-level comparison (10 ms) after the mapping of labels to voices with the most shared time. Where
    two reference voices speak at once, a frame given either of them is right."""
    from scipy.optimize import linear_sum_assignment

    end = max([t.end for t in reference] + [e.end for e in found]) + 1
    frames = int(end / FRAME_S)
    voices = sorted({t.voice for t in reference}, key=[t.voice for t in reference].index)
    labels = sorted({diarize.speaker_of(e) for e in found if diarize.speaker_of(e)},
                    key=lambda s: int(s[1:]) if s[1:].isdigit() else 0)
    ref = np.zeros((len(voices), frames), dtype=bool)
    for t in reference:
        ref[voices.index(t.voice), int(t.start / FRAME_S):int(t.end / FRAME_S)] = True
    hyp = np.full(frames, -1)
    for e in found:
        if diarize.speaker_of(e) in labels:
            hyp[int(e.start / FRAME_S):int(e.end / FRAME_S)] = labels.index(diarize.speaker_of(e))
    overlap = np.zeros((len(voices), max(1, len(labels))))
    for v in range(len(voices)):
        for h in range(len(labels)):
            overlap[v, h] = np.sum(ref[v] & (hyp == h))
    rows, cols = linear_sum_assignment(-overlap)
    mapping = {voices[r]: labels[c] for r, c in zip(rows, cols) if c < len(labels)}
    speech = ref.any(axis=0)
    right = np.zeros(frames, dtype=bool)
    for v, lab in mapping.items():
        right |= ref[voices.index(v)] & (hyp == labels.index(lab))
    covered = np.sum(speech & (hyp >= 0))
    talk = {}
    for v in voices:
        truth = sum(t.end - t.start for t in reference if t.voice == v)
        got = sum(e.end - e.start for e in found if mapping.get(v) and diarize.speaker_of(e) == mapping[v])
        talk[v] = (round(truth, 1), round(got, 1))
    return Score(round(float((covered - right.sum()) / speech.sum()), 4),
                 round(float(1 - covered / speech.sum()), 4), len(labels), len(voices), talk, mapping)


def media(name: str, minutes: float, seed: int, out: Path, wheel: Path | None) -> tuple[Path, list[Turn]]:
    """A set's audio file and reference turns; a generated set already in `out` (same minutes and seed) is
    used again rather than spoken again."""
    if name == "pyannote":
        return pyannote_sample(out, wheel)
    path, kept = out / f"{name}-{minutes:g}m-{seed}.m4a", out / f"{name}-{minutes:g}m-{seed}.json"
    if path.exists() and kept.exists():
        return path, [Turn(**t) for t in json.loads(kept.read_text())]
    reference = write(script(seed, minutes, SETS[name]), path, seed)
    kept.write_text(json.dumps([asdict(t) for t in reference]))
    return path, reference


def run(name: str, minutes: float, seed: int, out: Path, whisper: str, wheel: Path | None = None) -> dict:
    from vidseek import models
    from vidseek.extractors import SpeechExtractor
    from vidseek.pipeline.cache import EvidenceCache
    from vidseek.pipeline.index import Indexer

    out.mkdir(parents=True, exist_ok=True)
    path, reference = media(name, minutes, seed, out, wheel)
    model = str(models.whisper_tiny_en_dir()) if whisper == "tiny" else None
    speech = SpeechExtractor(model, device="cpu", language="en")
    spent = [0.0]
    embed = speech._voices.embed

    def timed(utterances: list[np.ndarray]) -> np.ndarray:
        tick = time.perf_counter()
        try:
            return embed(utterances)
        finally:
            spent[0] += time.perf_counter() - tick

    speech._voices.embed = timed  # type: ignore[method-assign]  # the encoder's share of the cost
    height = pitch.median_log_f0

    def pitched(samples: np.ndarray) -> float | None:
        tick = time.perf_counter()
        try:
            return height(samples)
        finally:
            spent[0] += time.perf_counter() - tick

    pitch.median_log_f0 = pitched  # and the pitch tracker's
    cache = EvidenceCache(out / f"library-{name}")
    tick = time.perf_counter()
    try:
        report = Indexer(cache, [speech]).index(path)
    finally:
        pitch.median_log_f0 = height
    seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    found = cache.evidence(report.video.fingerprint)  # speakers are grouped here
    grouping = time.perf_counter() - tick
    result = score(reference, found)
    speech_min = float(np.sum(ref_frames(reference))) * FRAME_S / 60
    return {"set": name, "minutes": round(report.video.duration / 60, 2), "speech_minutes": round(speech_min, 2),
            "whisper": whisper, "seed": seed, **asdict(result),
            "seconds_per_speech_minute": round((seconds + grouping) / speech_min, 2),
            "diarization_seconds_per_speech_minute": round((spent[0] + grouping) / speech_min, 2)}


def ref_frames(reference: list[Turn]) -> np.ndarray:
    """Which 10 ms frames hold reference speech (any voice)."""
    frames = np.zeros(int((max(t.end for t in reference) + 1) / FRAME_S), dtype=bool)
    for t in reference:
        frames[int(t.start / FRAME_S):int(t.end / FRAME_S)] = True
    return frames


def line(result: dict) -> str:
    worst = max(abs(got - truth) / truth for truth, got in result["talk"].values())
    ok = result["error"] <= TARGET and result["speakers"] == result["voices"]
    return (f"{result['set']:13s} wrong speaker {result['error']:6.1%}  missed {result['missed']:5.1%}  "
            f"speakers {result['speakers']} of {result['voices']}  worst talk time {worst:6.1%}  "
            f"{result['seconds_per_speech_minute']:5.1f} s/min of speech "
            f"({result['diarization_seconds_per_speech_minute']} s for speakers)  {'ok' if ok else 'MISSES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", dest="sets", action="append", choices=("all", *SETS),
                        help="a set to run (repeat for more; default all)")
    parser.add_argument("--minutes", type=float, default=3.0, help="length of each generated conversation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--whisper", choices=("tiny", "base"), default="base")
    parser.add_argument("--pyannote-wheel", type=Path, help=f"the {PYANNOTE} wheel (else pip downloads it)")
    parser.add_argument("--out", type=Path, help="keep the sets and their indexes here (a set found here is "
                                                 "used again)")
    parser.add_argument("--json", action="store_true", help="print every result in full")
    args = parser.parse_args()
    names = list(SETS) if not args.sets or "all" in args.sets else list(dict.fromkeys(args.sets))
    with tempfile.TemporaryDirectory() as tmp:
        results = [run(n, args.minutes, args.seed, args.out or Path(tmp), args.whisper, args.pyannote_wheel)
                   for n in names]
    if args.json:
        print(json.dumps(results, indent=1))
    for result in results:
        print(line(result))


if __name__ == "__main__":
    main()
