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
