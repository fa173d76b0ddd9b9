"""Identity vectors (vidseek/identity.py): each speaker of a video embedded once from its longest pieces, kept
beside the video's evidence, taken again only when the speakers' pieces change; older prints are re-taken.

A stand-in encoder (it reads which of two tones a clip holds) stands for ECAPA here; tests/test_ecapa.py checks
the real encoder against SpeechBrain's, and tests/test_voiceprints.py runs the whole path with it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vidseek import diarize, identity
from vidseek.types import Evidence
from vidseek.voiceprints import Sample, Voice, VoiceBook, VoicePrint, recognise

RATE = 16_000


class ToneEncoder:
    """Embeds a clip as how much of it is tone A (level +0.1) and tone B (level -0.1): two people."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        self.calls += 1
        self.seconds += sum(len(c) for c in clips) / RATE
        out = np.array([[np.mean(c > 0.05) + 1e-6, np.mean(c < -0.05) + 1e-6] for c in clips], np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def _pieces(spans: list[tuple[float, float, str]], heard_as: dict[str, str] | None = None
            ) -> tuple[list[Evidence], np.ndarray]:
    """Raw speech pieces and a sound track with each person's tone. Diarization hears person "a" and "b" apart
    unless `heard_as` gives one the other's diarization vector (so they are grouped as one speaker)."""
    vectors = {"a": np.eye(4, dtype=np.float32)[0], "b": np.eye(4, dtype=np.float32)[1]}
    heard_as = heard_as or {}
    audio = np.zeros(int(max(b for _, b, _ in spans) * RATE) + RATE, np.float32)
    items = []
    for a, b, who in spans:
        audio[int(a * RATE):int(b * RATE)] = 0.1 if who == "a" else -0.1
        vector = vectors[heard_as.get(who, who)]
        items.append(Evidence("f", a, b, "speech", "…", meta={diarize.VOICE: diarize.pack(vector),
                                                               diarize.SEGMENT: str(a)}))
    return items, audio


def test_each_speaker_is_embedded_from_its_longest_pieces_up_to_the_cap() -> None:
    items, audio = _pieces([(0, 5, "a"), (6, 8, "b"), (9, 12, "a"), (13, 16, "b"), (17, 18.5, "a"), (20, 30, "a")])
    assert identity.chosen_spans(items, cap=12.0)["S1"][0] == [(0.0, 2.0), (20.0, 30.0)]
    chosen = identity.chosen_spans(items, cap=8.0)
    spans_a, seconds_a, pieces_a = chosen["S1"]
    assert spans_a == [(20.0, 28.0)]  # the longest piece, cut at the cap
    assert (seconds_a, pieces_a) == (19.5, 4)  # the speaker's whole speech is still counted
    assert chosen["S2"][0] == [(6.0, 8.0), (13.0, 16.0)]  # longest first, kept in time order
    encoder = ToneEncoder()
    found = identity.embed_speakers(items, identity.array_reader(audio), encoder, cap=8.0)
    # two passes: the speakers' chosen audio joined (8 s and 5 s), then S2's two chosen pieces alone (S1 has one)
    assert encoder.calls == 2 and encoder.seconds == pytest.approx(18.0)
    assert float(found["S1"].vector @ [1, 0]) > 0.99 and float(found["S2"].vector @ [0, 1]) > 0.99
    assert found["S1"].agreement == found["S2"].agreement == 1.0 and found["S2"].one_voice


def test_a_speaker_that_is_two_voices_is_neither_named_nor_enrolled() -> None:
    items, audio = _pieces([(0, 3, "a"), (4, 7, "b"), (8, 11, "a")], heard_as={"b": "a"})  # grouped as one
    found = identity.embed_speakers(items, identity.array_reader(audio), ToneEncoder())
    assert list(found) == ["S1"] and found["S1"].agreement < 0.25 and not found["S1"].one_voice
    print_ = VoicePrint("Ann", (Sample("v", "S1", 6.0, found["S1"].vector),))
    assert recognise(found, [print_]) == {}  # even its own vector: a name would be wrong for part of it


def test_identities_are_kept_and_taken_again_only_when_the_speakers_change(tmp_path: Path) -> None:
    items, audio = _pieces([(0, 4, "a"), (5, 9, "b"), (10, 14, "a")])
    encoder = ToneEncoder()
    file = identity.IdentityFile(tmp_path / "identity.json", "enc1")
    first = identity.identities(items, identity.array_reader(audio), encoder, file)
    again = identity.identities(items, identity.array_reader(audio), encoder, file)
    assert encoder.calls == 2  # read back, not embedded again
    assert set(again) == set(first) == {"S1", "S2"}
    assert all(float(again[k].vector @ first[k].vector) > 0.999 for k in first)
    more, audio = _pieces([(0, 4, "a"), (5, 9, "b"), (10, 14, "a"), (15, 30, "b")])  # indexed again, longer
    identity.identities(more, identity.array_reader(audio), encoder, file)
    assert encoder.calls == 4
    other = identity.IdentityFile(tmp_path / "identity.json", "enc2")  # another encoder's vectors never serve
    identity.identities(more, identity.array_reader(audio), encoder, other)
    assert encoder.calls == 6
    (tmp_path / "identity.json").write_text("{damaged")
    assert identity.identities(more, identity.array_reader(audio), encoder, other)  # worked out again
    assert encoder.calls == 8 and json.loads((tmp_path / "identity.json").read_text())["encoder"] == "enc2"


def test_prints_of_an_older_encoder_are_taken_again_from_their_videos(tmp_path: Path) -> None:
    from vidseek.library import Library
    from vidseek.testing import HashEmbedder

    library = Library(tmp_path / "lib", store="memory://identity-retake", embedder=HashEmbedder(), device="cpu")
    old = VoiceBook(library.cache.layout.voices)  # an older library's file: d-vectors, no encoder named
    old.enrol("Alice Chen", Sample("vid1", "S1", 8.0, np.eye(256, dtype=np.float32)[0]))
    old.enrol("Gone Person", Sample("vid-gone", "S1", 3.0, np.eye(256, dtype=np.float32)[1]))
    heard = {"vid1": {"S1": Voice("S1", np.array([1.0, 0.0], np.float32), 8.0, 2)}}
    library.identities = lambda fp: heard.get(fp, {})  # type: ignore[method-assign]
    prints = {p.name: p for p in library.voices.prints()}
    assert set(prints) == {"Alice Chen"}  # a print none of whose videos can be heard is dropped (and logged)
    assert prints["Alice Chen"].vector.tolist() == [1.0, 0.0]
    assert not library.voices.stale()


def test_a_video_whose_file_is_gone_is_one_line_unless_its_identities_were_kept(tmp_path: Path) -> None:
    from vidseek.errors import NotFound

    items, audio = _pieces([(0, 4, "a"), (5, 9, "b"), (10, 14, "a")])
    file = identity.IdentityFile(tmp_path / "identity.json", "enc1")
    gone = identity.file_reader(tmp_path / "moved.m4a")
    with pytest.raises(NotFound, match="'moved.m4a' were never taken and its file is gone"):
        identity.identities(items, gone, ToneEncoder(), file)
    identity.identities(items, identity.array_reader(audio), ToneEncoder(), file)
    assert set(identity.identities(items, gone, ToneEncoder(), file)) == {"S1", "S2"}  # kept: no file needed
