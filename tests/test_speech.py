from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CHUNK_S, SPOKEN_AT
from tests.tiny_models import tiny_openai_whisper
from vidseek import video
from vidseek.extractors import SpeechExtractor
from vidseek.extractors.base import Chunk
from vidseek.models import ModelUnavailable


def _chunk(path: Path, start: float, end: float) -> Chunk:
    audio_start = max(0.0, start - 5)
    return Chunk(0, start, end, audio=video.load_audio(path, audio_start, end + 5), audio_start=audio_start)


def test_packaged_whisper_transcribes_the_sentence_where_it_was_spoken(needle_video: Path, speech) -> None:
    v = video.probe(needle_video)
    found = list(speech.run(v, _chunk(needle_video, 20.0, 30.0)))
    assert len(found) == 1
    heard = found[0]
    assert "thursday" in heard.text.lower() and "meeting" in heard.text.lower()
    assert heard.start == pytest.approx(SPOKEN_AT, abs=1.5)
    assert heard.source == "speech" and heard.fingerprint == v.fingerprint
    assert heard.meta["language"] == "en"


def test_a_sentence_across_a_chunk_edge_is_kept_once(needle_video: Path, speech) -> None:
    v = video.probe(needle_video)
    edge = SPOKEN_AT + 1.0  # the sentence straddles this border
    before = list(speech.run(v, _chunk(needle_video, edge - CHUNK_S, edge)))
    after = list(speech.run(v, _chunk(needle_video, edge, edge + CHUNK_S)))
    assert len([e for e in before + after if "thursday" in e.text.lower()]) == 1


def test_forced_language_is_part_of_the_config(speech) -> None:
    forced = SpeechExtractor(language="en", device="cpu")
    assert forced.config()["language"] == "en" and speech.config()["language"] is None


def test_openai_whisper_runs_a_pt_checkpoint(needle_video: Path, tmp_path: Path) -> None:
    checkpoint = tiny_openai_whisper(tmp_path / "tiny.pt")
    extractor = SpeechExtractor(str(checkpoint), device="cpu")
    v = video.probe(needle_video)
    extractor.check(v)
    found = list(extractor.run(v, _chunk(needle_video, 20.0, 30.0)))
    assert extractor.model_calls == 1
    for item in found:  # random weights: the text means nothing, the record must be well formed
        assert item.source == "speech" and 20.0 <= (item.start + item.end) / 2 < 30.0
        assert item.end >= item.start and isinstance(item.text, str)


def test_a_hub_model_name_is_refused_offline_with_a_way_out(needle_video: Path) -> None:
    with pytest.raises(ModelUnavailable, match="VIDSEEK_ALLOW_DOWNLOAD"):
        SpeechExtractor("Systran/faster-whisper-small", device="cpu").check(video.probe(needle_video))


class _Heard:
    """A backend that hears the same four words in every chunk, but spans the segment as that chunk's Whisper run
    did (Whisper pads a segment with some of the silence around it, differently from run to run)."""

    def __init__(self, spans: dict[float, tuple[float, float]]):
        self.spans = spans
        self.audio_start = 0.0

    def transcribe(self, audio):
        from vidseek.diarize import Word
        from vidseek.extractors.speech import _Said

        shift = self.audio_start
        words = tuple(Word(a - shift, b - shift, f" {t}") for a, b, t in
                      ((56.0, 57.5, "Meet"), (57.8, 59.5, "me"), (60.5, 61.8, "at"), (62.0, 63.9, "noon.")))
        start, end = self.spans[shift]
        return [_Said(start - shift, end - shift, "".join(w.text for w in words), -0.1, "en", words)]


def test_a_sentence_each_chunk_spans_differently_across_the_edge_is_kept_word_by_word(speech, monkeypatch) -> None:
    """Chunk A [0, 60) reads to 65 s and spans the sentence 56.0-64.6 (midpoint 60.3: B's); chunk B [60, 120) reads
    from 55 s and spans it 55.2-63.9 (midpoint 59.55: A's). Kept whole by its midpoint, neither kept it (the
    newcomer's lecture lost lines at 61.6 s so). Kept word by word, every word is kept once."""
    from types import SimpleNamespace

    import numpy as np

    fake = _Heard({0.0: (56.0, 64.6), 55.0: (55.2, 63.9)})
    monkeypatch.setattr(speech, "_backend", fake)
    said = []
    for start, end, audio_start in ((0.0, 60.0, 0.0), (60.0, 120.0, 55.0)):
        fake.audio_start = audio_start
        chunk = Chunk(0, start, end, audio=np.zeros(16_000 * 70, np.float32), audio_start=audio_start)
        said += [e.text for e in speech.run(SimpleNamespace(fingerprint="f"), chunk)]
    assert " ".join(said).split() == ["Meet", "me", "at", "noon."]
