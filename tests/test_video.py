from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from vidseek import synth, video
from vidseek.video import SAMPLE_RATE, FrameReader, VideoError


def test_probe_describes_streams(needle_video: Path) -> None:
    v = video.probe(needle_video)
    assert v.has_video and v.has_audio
    assert (v.width, v.height) == (640, 360)
    assert v.fps == pytest.approx(10)
    assert v.duration == pytest.approx(30.0, abs=0.2)


def test_fingerprint_survives_rename_and_tells_files_apart(needle_video: Path, tmp_path: Path) -> None:
    renamed = shutil.copy(needle_video, tmp_path / "renamed.mkv")
    assert video.fingerprint(renamed) == video.fingerprint(needle_video)
    other = synth.write_video(synth.Script(duration=2, audio=False), tmp_path / "other.mp4")
    assert video.fingerprint(other) != video.fingerprint(needle_video)


def test_frames_at_rate_are_the_same_whether_seeking_or_decoding_on(needle_video: Path) -> None:
    with FrameReader(needle_video, fps=2) as straight:
        first = straight.read(0, 10)
        second = straight.read(10, 20)
    assert [f.time for f in first] == pytest.approx([i / 2 for i in range(20)])
    with FrameReader(needle_video, fps=2) as jumping:
        seeked = jumping.read(10, 20)  # a jump from 0: seeks
    assert [f.time for f in seeked] == [f.time for f in second]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(seeked, second))


def test_a_reader_seeks_again_after_it_has_decoded(tmp_path: Path) -> None:
    """A second jump (forward past the gap, or back) reopens nothing and reads the frame there: a contact
    sheet reads one picture per scene with one reader."""
    path = synth.write_video(synth.Script(duration=30, size=(64, 48), fps=5, audio=False, scenes=[
        synth.Scene(0.0, (200, 0, 0)), synth.Scene(20.0, (0, 0, 200))]), tmp_path / "two.mp4")
    with FrameReader(path, fps=1) as reader:
        first, later, back = reader.read(1, 2), reader.read(25, 26), reader.read(3, 4)
    assert [f.time for f in first + later + back] == pytest.approx([1, 25, 3])
    assert later[0].image[24, 32, 2] > 150 and back[0].image[24, 32, 0] > 150
    assert [None if f is None else f.time for f in video.frames_at(path, [25.0, 1.0, 29.9])] == pytest.approx(
        [25, 1, 29.8])


def test_seeking_decodes_fewer_frames_than_reading_through(needle_video: Path) -> None:
    with FrameReader(needle_video, fps=1) as reader:
        reader.read(25, 26)
        assert reader.decoded_frames < 100  # 25 s at 10 fps would be 250 frames


def test_frames_are_scaled_down_to_max_side(needle_video: Path) -> None:
    with FrameReader(needle_video, fps=1, max_side=320) as reader:
        frame = reader.read(0, 1)[0]
    assert frame.image.shape == (180, 320, 3)


def test_audio_is_16k_mono_float_and_holds_the_speech_where_it_was_put(needle_video: Path) -> None:
    from tests.conftest import SPOKEN_AT

    audio = video.load_audio(needle_video, 20.0, 30.0)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == pytest.approx(10 * SAMPLE_RATE, abs=SAMPLE_RATE * 0.05)
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    assert loud.size and 20.0 + loud[0] / SAMPLE_RATE == pytest.approx(SPOKEN_AT, abs=0.3)


def test_segments_follow_cuts_and_are_capped(needle_video: Path) -> None:
    with FrameReader(needle_video, fps=1) as reader:
        frames = reader.read(0, 30)
    segments = video.segment("fp", frames, 0, 30, max_window=4)
    bounds = {round(s.start, 3) for s in segments}
    assert {10.0, 12.0, 18.0, 20.0} <= bounds  # scene changes and the photo coming and going
    assert all(s.end - s.start <= 4 + 1e-6 for s in segments)
    assert segments[0].start == 0 and segments[-1].end == 30
    assert all(s.start <= f.time < s.end for s in segments for f in s.frames)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "no such file"),
        (lambda p: (p.write_text("just some text\n"), p)[1], "not a readable media file"),
        (lambda p: (p.write_bytes(b""), p)[1], "the file is empty"),
        (lambda p: (p.mkdir(), p)[1], "it is a folder"),
    ],
)
def test_unreadable_inputs_say_why(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path / "movie.mp4")
    with pytest.raises(VideoError, match=message):
        video.probe(path)


def test_truncated_mp4_is_refused_with_a_reason(needle_video: Path, tmp_path: Path) -> None:
    data = needle_video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match="cut.mp4"):
        video.probe(cut)


def test_audio_only_and_silent_files_are_described(tmp_path: Path) -> None:
    silent = synth.write_video(synth.Script(duration=2, audio=False), tmp_path / "silent.mp4")
    v = video.probe(silent)
    assert v.has_video and not v.has_audio
    sound = synth.write_audio(np.zeros(synth.AUDIO_RATE * 2, dtype=np.float32), tmp_path / "sound.m4a")
    a = video.probe(sound)
    assert a.has_audio and not a.has_video and a.duration == pytest.approx(2, abs=0.1)
    with pytest.raises(VideoError, match="no audio stream"):
        video.load_audio(silent)
