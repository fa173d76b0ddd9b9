"""Speech: Whisper transcripts with segment times.

The packaged default is Whisper base in CTranslate2 form, run by faster-whisper. openai-whisper runs
`.pt` checkpoints and its own model names; any other id or folder goes to faster-whisper.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vidseek import diarize, models, pitch, voice
from vidseek.diarize import Word
from vidseek.errors import BadRequest
from vidseek.extractors.base import AUDIO, Chunk, Extractor, Options, keep_by_midpoint, option
from vidseek.types import Evidence, Video

log = logging.getLogger(__name__)

PACKAGED = "packaged:whisper-base"
AUDIO_MARGIN_S = 5.0  # audio read beyond each chunk edge, so a sentence across the edge is heard whole


# greedy decoding only: Whisper's fallback to sampling at higher temperatures makes the same audio give
# different text from run to run, and an index must come out the same after a crash and a rerun.
# Segment times come from word timestamps: without them a sentence after a long pause is dated from the end
# of the previous one (a sentence at 11 s came out as 3–13 s), which is no use for citing the moment.
TEMPERATURE = 0.0


@dataclass(frozen=True)
class _Said:
    """One transcript segment as a backend gives it (times in the chunk's audio), with its words."""

    start: float
    end: float
    text: str
    logprob: float
    language: str
    words: tuple[Word, ...] = ()


def own_words(said: _Said, chunk: Chunk) -> _Said | None:
    """The part of a segment that belongs to this chunk, or None. Chunks overlap by AUDIO_MARGIN_S, and the two
    chunks at an edge cut their segments differently: kept whole by its midpoint, a sentence across the edge
    could be dropped by both (its midpoint in the other chunk each time). So each word is kept by the chunk
    that holds its own midpoint, and the segment keeps only those words. Without word times, the midpoint
    of the segment decides."""
    lo, hi = chunk.start - chunk.audio_start, chunk.end - chunk.audio_start  # the chunk's own span, in its audio
    if not said.words:
        return said if said.text.strip() and keep_by_midpoint(said.start, said.end, lo, hi) else None
    kept = tuple(w for w in said.words if keep_by_midpoint(w.start, w.end, lo, hi))
    if not kept or not "".join(w.text for w in kept).strip():
        return None
    if len(kept) == len(said.words):
        return said
    return replace(said, start=kept[0].start, end=max(kept[-1].end, kept[0].start),
                   text="".join(w.text for w in kept), words=kept)


class _Backend(Protocol):
    def transcribe(self, audio: np.ndarray) -> list[_Said]: ...


class _FasterWhisper:
    def __init__(self, path: str, device: str, language: str | None, beam_size: int, vad: bool):
        from faster_whisper import WhisperModel

        compute = "float16" if device.startswith("cuda") else "int8"
        index = int(device.split(":")[1]) if ":" in device else 0
        self.model = WhisperModel(
            path, device=device.split(":")[0], device_index=index, compute_type=compute,
            cpu_threads=_threads(),
        )
        self.language, self.beam_size, self.vad = language, beam_size, vad

    def transcribe(self, audio: np.ndarray) -> list[_Said]:
        segments, info = self.model.transcribe(
            audio, language=self.language, beam_size=self.beam_size, vad_filter=self.vad,
            condition_on_previous_text=False, temperature=TEMPERATURE, word_timestamps=True,
        )
        return [_Said(float(s.start), float(s.end), s.text, s.avg_logprob, info.language,
                      tuple(Word(float(w.start), float(w.end), w.word) for w in s.words or ()))
                for s in segments]


def _threads() -> int:
    """The threads of this lane (the indexer's sound lane has half the cores), else as many as torch uses
    here: all cores, or a batch worker's share of them. Read once, when the model loads."""
    from vidseek.pipeline.lanes import cpu_threads

    return cpu_threads()


class _OpenAIWhisper:
    def __init__(self, name: str, device: str, language: str | None, beam_size: int):
        import whisper

        self.model = whisper.load_model(name, device=device)
        self.device, self.language, self.beam_size = device, language, beam_size

    def transcribe(self, audio: np.ndarray) -> list[_Said]:
        options: dict[str, Any] = {"fp16": self.device.startswith("cuda"), "language": self.language,
                                   "temperature": TEMPERATURE, "word_timestamps": True}
        if self.beam_size > 1:
            options["beam_size"] = self.beam_size
        result = self.model.transcribe(audio, condition_on_previous_text=False, **options)
        lang = result.get("language") or ""
        return [_Said(s["start"], s["end"], s["text"], s.get("avg_logprob", 0.0), lang,
                      tuple(Word(w["start"], w["end"], w["word"]) for w in s.get("words") or ()))
                for s in result["segments"]]


def _openai_whisper_names() -> set[str]:
    try:
        import whisper

        return set(whisper.available_models())
    except ImportError:
        return set()


def voice_meta(vector: np.ndarray, height: float | None) -> dict[str, Any]:
    """What a stored piece keeps about its voice: the encoder's vector, and its median log F0 where voiced."""
    meta: dict[str, Any] = {diarize.VOICE: diarize.pack(vector)}
    if height is not None:
        meta[diarize.PITCH] = round(height, 4)
    return meta


@dataclass(frozen=True)
class SpeechOptions(Options):
    whisper_model: str | None = option(None, "Whisper model: a CTranslate2 folder or id (faster-whisper), or a .pt "
                                             "file or openai-whisper name. Default: the packaged Whisper base.")
    language: str | None = option(None, "Spoken language code (e.g. en); default: detected.")
    beam_size: int = 1
    vad: bool = True
    speakers: bool = option(True, "Tell the voices in speech apart (S1, S2 … in order of first appearance); "
                                  "--no-speakers skips it (docs/indexing.md).",
                             flag="speakers/--no-speakers")
    speaker_threshold: float = option(diarize.THRESHOLD, "How different two voices must be to count as two "
                                                         "speakers (cosine distance of their voice vectors "
                                                         "plus half their difference in log pitch, 0-1): lower "
                                                         "finds more.")
    turn_gap: float = diarize.GAP_S  # a pause between words this long (s) may change the speaker

    def validate(self) -> None:
        if self.beam_size < 1:
            raise BadRequest(f"speech: beam size must be at least 1, not {self.beam_size}")
        if not 0.0 < self.speaker_threshold < 1.0:
            raise BadRequest(f"speech: speaker threshold must be between 0 and 1, not {self.speaker_threshold}")
        if self.turn_gap <= 0:
            raise BadRequest(f"speech: turn gap must be positive, not {self.turn_gap}")


class SpeechExtractor(Extractor):
    """Whisper speech-to-text per chunk of audio, one Evidence per transcript segment (per speaker turn
    within it when speakers are told apart: the pieces are stored with their voice vectors and labelled
    over the whole video when read, in `finish`)."""

    name = "speech"
    version = "3"  # 2: segments cut at word gaps and given voices (speakers); 3: kept word by word at chunk edges
    source = "speech"
    needs = frozenset({AUDIO})
    options_type = SpeechOptions
    colour = "#2f6fdf"
    audio_margin = AUDIO_MARGIN_S

    def __init__(
        self,
        model: str | None = None,
        device: str = "auto",
        language: str | None = None,
        beam_size: int = 1,
        vad: bool = True,
        speakers: bool = True,
        speaker_threshold: float = diarize.THRESHOLD,
        turn_gap: float = diarize.GAP_S,
    ):
        SpeechOptions(model, language, beam_size, vad, speakers, speaker_threshold, turn_gap)  # checks them
        self.model = model
        self.device = models.resolve_device(device)
        self.language = language
        self.beam_size = beam_size
        self.vad = vad
        self.speakers, self.speaker_threshold, self.turn_gap = speakers, speaker_threshold, turn_gap
        self.model_calls = 0
        self._backend: _Backend | None = None
        self._voices = voice.VoiceEncoder(self.device)

    @classmethod
    def from_options(cls, options: Options, device: str) -> SpeechExtractor:
        assert isinstance(options, SpeechOptions)
        return cls(options.whisper_model, device, options.language, options.beam_size, options.vad,
                   options.speakers, options.speaker_threshold, options.turn_gap)

    def config(self) -> dict[str, Any]:
        speakers: dict[str, Any] | bool = False
        if self.speakers:
            speakers = {"encoder": voice.WEIGHTS_SHA256[:16], "threshold": self.speaker_threshold,
                        "gap": self.turn_gap, "min_voice": diarize.MIN_VOICE_S, "min_speaker": diarize.MIN_SPEAKER_S,
                        "cut": "gaps+sentences", "pitch": "yin-median-log-f0"}
        return {"model": self.model or PACKAGED, "language": self.language, "beam_size": self.beam_size,
                "vad": self.vad, "temperature": TEMPERATURE, "word_timestamps": True, "speakers": speakers}

    @classmethod
    def finish(cls, items: list[Evidence]) -> list[Evidence]:
        return diarize.assign(items)

    def _kind(self) -> str:
        if self.model is None:
            return "packaged"
        if self.model.endswith(".pt") or self.model in _openai_whisper_names():
            return "openai"
        return "faster"

    def check(self, video: Video) -> None:
        super().check(video)
        kind = self._kind()
        if kind == "packaged":
            models.whisper_base_dir()
        else:
            assert self.model is not None
            if kind != "openai" or not (Path.home() / ".cache" / "whisper" / f"{self.model}.pt").exists():
                models.require_local("whisper model", self.model)
        if self.speakers:
            voice.weights_path()

    def _load(self) -> _Backend:
        if self._backend is None:
            models.stay_offline()
            kind = self._kind()
            if kind == "openai":
                self._backend = _OpenAIWhisper(str(self.model), self.device, self.language, self.beam_size)
            else:
                path = str(models.whisper_base_dir()) if kind == "packaged" else str(self.model)
                self._backend = _FasterWhisper(path, self.device, self.language, self.beam_size, self.vad)
        return self._backend

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        if chunk.audio is None or len(chunk.audio) == 0:
            return []
        self.model_calls += 1
        found: list[Evidence] = []
        pieces: list[tuple[float, float]] = []  # each stored piece's audio, in the chunk's seconds
        for heard in self._load().transcribe(chunk.audio):
            said = own_words(heard, chunk)
            if said is None:
                continue
            start, end = said.start + chunk.audio_start, said.end + chunk.audio_start
            text = said.text.strip()
            base = Evidence(
                fingerprint=video.fingerprint, start=round(start, 2), end=round(end, 2),
                source="speech", text=text, confidence=round(math.exp(min(0.0, said.logprob)), 3),
                extractor=self.name, extractor_version=self.version, meta={"language": said.language},
            )
            if not self.speakers or not said.words:
                found.append(base)
                continue
            for run in diarize.split_at_gaps(said.words, self.turn_gap):
                words = "".join(w.text for w in run).strip()
                if not words:
                    continue
                a, b = run[0].start, max(run[-1].end, run[0].start)
                pieces.append((a, b))
                found.append(replace(
                    base, start=round(a + chunk.audio_start, 2), end=round(b + chunk.audio_start, 2), text=words,
                    meta={**base.meta, diarize.SEGMENT: f"{base.start:.2f}",
                          diarize.VOICE_THRESHOLD: self.speaker_threshold}))
        if pieces:
            rate = voice.RATE
            clips = [chunk.audio[int(a * rate):max(int(b * rate), int(a * rate) + 1)] for a, b in pieces]
            voiced = iter(zip(self._voices.embed(clips), (pitch.median_log_f0(c) for c in clips)))
            found = [replace(e, meta={**e.meta, **voice_meta(*next(voiced))})
                     if diarize.SEGMENT in e.meta else e for e in found]
        return found
