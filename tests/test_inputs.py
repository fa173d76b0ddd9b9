"""The files people really have, through `vidseek index`: each gives one line saying what is wrong and what
still worked, a non-zero exit only when nothing could be indexed, and everything indexable indexed."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import bad_media
from tests.bad_media import TEXT
from tests.helpers import messages
from vidseek import synth
from vidseek.cli import app

runner = CliRunner()
CAPTIONS = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"]  # one every 8 s in the cut-off test video


def index(path: Path, library: Path, sources: str = "ocr", *extra: str):
    result = runner.invoke(app, ["index", str(path), "--sources", sources, "--device", "cpu", "-L", str(library),
                                 *extra])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def evidence(path: Path, library: Path) -> list[dict]:
    result = runner.invoke(app, ["evidence", str(path), "-L", str(library), "--json"])
    return [json.loads(line) for line in result.stdout.splitlines()]


def one_error_line(result) -> str:
    lines = messages(result.stderr)
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d / "missing.mp4", "no such file"),
    (lambda d: (d / "folder.mp4").mkdir() or d / "folder.mp4", "it is a folder (vidseek batch indexes folders)"),
    (lambda d: (d / "empty.mp4").write_bytes(b"") and d / "empty.mp4" or d / "empty.mp4", "the file is empty"),
    (lambda d: (d / "notes.mp4").write_text("meeting notes, not a video") and d / "notes.mp4",
     "not a readable media file (Invalid data found when processing input)"),
])
def test_unusable_files_exit_2_with_one_line(tmp_path, make, message) -> None:
    path = make(tmp_path)
    result = index(path, tmp_path / "lib")
    assert result.exit_code == 2
    assert one_error_line(result) == f"vidseek: cannot read '{path}': {message}"
    assert not (tmp_path / "lib" / "videos").exists()  # nothing written


def test_permission_denied(tmp_path) -> None:
    path = synth.write_video(bad_media.text_script(2.0), tmp_path / "private.mp4")
    path.chmod(0)
    code = ("import sys; from vidseek.cli import main; sys.argv = ['vidseek', 'index', sys.argv[1], '-L', "
            "sys.argv[2], '--sources', 'ocr']; main()")
    command = [sys.executable, "-c", code, str(path), str(tmp_path / "lib")]
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        assert shutil.which("setpriv"), "util-linux's setpriv is needed to test this as root"
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"vidseek: cannot read '{path}': permission denied" in result.stderr.splitlines()


@pytest.fixture(scope="module")
def cut_source(tmp_path_factory) -> Path:
    """40 s, its index first (as web downloads are), a caption word every 8 s."""
    folder = tmp_path_factory.mktemp("cut")
    script = synth.Script(duration=40.0, size=(320, 180), fps=5, audio=False, scenes=[synth.Scene(0.0, (30, 40, 90))],
                          captions=[synth.Caption(2.0 + 8 * i, 6.0 + 8 * i, word, size=40)
                                    for i, word in enumerate(CAPTIONS)])
    times = [i / 5 for i in range(200)]
    return bad_media.write_frames([synth.render_frame(script, t) for t in times], times, folder / "full.mp4",
                                  options={"movflags": "+faststart"})


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_a_cut_off_file_is_indexed_up_to_the_cut(cut_source, tmp_path, fraction) -> None:
    cut = bad_media.truncate(cut_source, fraction, tmp_path / f"cut{int(fraction * 100)}.mp4")
    result = index(cut, tmp_path / "lib")
    assert result.exit_code == 0, result.output
    note = [line for line in result.stderr.splitlines() if "note:" in line]
    assert len(note) == 1 and "(the file looks cut off): indexed up to there" in note[0], result.stderr
    ends = float(note[0].split("the pictures end at ")[1][:8].replace(":", "")[-2:]) + 60 * int(
        note[0].split("the pictures end at ")[1][3:5])
    found = [e["text"] for e in evidence(cut, tmp_path / "lib")]
    shown_before_cut = [w for i, w in enumerate(CAPTIONS) if 6.0 + 8 * i <= ends]
    assert found[: len(shown_before_cut)] == shown_before_cut, (found, ends)
    assert all(e["end"] <= ends + 1.5 for e in evidence(cut, tmp_path / "lib"))


def test_a_file_cut_before_its_first_picture_exits_2(cut_source, tmp_path) -> None:
    data = cut_source.read_bytes()
    cut = tmp_path / "cut-early.mp4"
    cut.write_bytes(data[: data.index(b"mdat") + 40])  # the index whole, the pictures gone
    result = index(cut, tmp_path / "lib", "ocr,speech")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"vidseek: nothing to index in '{cut}' (speech: no audio stream; ocr: the pictures cannot be decoded "
        "(the file is damaged or cut off near its start))")


def test_an_mp4_cut_before_its_index_was_written_exits_2(tmp_path) -> None:
    whole = synth.write_video(bad_media.text_script(6.0), tmp_path / "whole.mp4")  # moov at the end
    cut = bad_media.truncate(whole, 0.5, tmp_path / "cut.mp4")
    result = index(cut, tmp_path / "lib")
    assert result.exit_code == 2 and "not a readable media file" in one_error_line(result)


def test_no_audio_stream_still_indexes_the_pictures(tmp_path) -> None:
    path = synth.write_video(bad_media.text_script(4.0, text_span=(0.0, 4.0)), tmp_path / "silent.mp4")
    result = index(path, tmp_path / "lib", "speech,ocr")
    assert result.exit_code == 0
    assert "1 ocr" in result.stdout and "speech: skipped, no audio stream" in result.stderr


def test_audio_only_file_is_transcribed(tmp_path) -> None:
    path = synth.write_audio(synth.espeak("This voice memo is about the budget."), tmp_path / "voice memo.m4a")
    result = index(path, tmp_path / "lib", "speech,ocr")
    assert result.exit_code == 0, result.output
    assert "ocr: skipped, no video stream" in result.stderr
    assert "budget" in " ".join(e["text"] for e in evidence(path, tmp_path / "lib")).lower()


def test_variable_frame_rate_keeps_true_times(tmp_path) -> None:
    path = bad_media.variable_rate_video(tmp_path / "vfr.mp4")
    assert index(path, tmp_path / "lib").exit_code == 0
    [found] = evidence(path, tmp_path / "lib")
    assert found["text"] == TEXT and abs(found["start"] - 3.0) <= 1.0 and abs(found["end"] - 6.0) <= 1.0


@pytest.mark.parametrize("rotation", [-90, 90, 180])
def test_rotated_phone_video_is_read_upright(tmp_path, rotation) -> None:
    path = bad_media.rotated_phone_video(tmp_path / "phone.mp4", rotation)
    assert index(path, tmp_path / "lib").exit_code == 0
    assert [e["text"] for e in evidence(path, tmp_path / "lib")] == [TEXT]


def test_odd_sizes(tmp_path) -> None:
    dot = bad_media.odd_size_video(tmp_path / "dot.mkv", (1, 1))
    result = index(dot, tmp_path / "lib")
    assert result.exit_code == 0 and "indexed" in result.stdout and "no evidence" in result.stdout
    uhd = bad_media.odd_size_video(tmp_path / "uhd.mp4", (3840, 2160))
    assert index(uhd, tmp_path / "lib").exit_code == 0
    assert [e["text"] for e in evidence(uhd, tmp_path / "lib")] == [TEXT]


def test_a_video_shorter_than_a_second(tmp_path) -> None:
    path = synth.write_video(bad_media.text_script(0.5, text_span=(0.0, 0.5)), tmp_path / "blink.mp4")
    result = index(path, tmp_path / "lib")
    assert result.exit_code == 0, result.output
    assert [e["text"] for e in evidence(path, tmp_path / "lib")] == [TEXT]


def test_unicode_and_spaces_in_paths(tmp_path) -> None:
    folder = tmp_path / "vidéos d'été 夏"
    folder.mkdir()
    path = synth.write_video(bad_media.text_script(3.0, text_span=(0.0, 3.0)), folder / "réunion du lundi 1.mp4")
    library = tmp_path / "bibliothèque ünï"
    result = index(path, library)
    assert result.exit_code == 0 and f"indexed {path}" in result.stdout
    assert [e["text"] for e in evidence(path, library)] == [TEXT]
    answer = runner.invoke(app, ["ask", str(path), "What is written on screen?", "--no-llm", "-L", str(library)])
    assert answer.exit_code == 0 and TEXT in answer.stdout and str(path) in answer.stdout


def test_an_unreadable_subtitle_file_is_named_and_the_rest_indexed(tmp_path) -> None:
    path = synth.write_video(bad_media.text_script(3.0, text_span=(0.0, 3.0)), tmp_path / "clip.mp4")
    (tmp_path / "clip.srt").write_bytes(os.urandom(2000))
    result = index(path, tmp_path / "lib", "subtitle,ocr")
    assert result.exit_code == 0 and "1 ocr" in result.stdout
    assert ("subtitle: skipped, subtitle file(s) clip.srt unreadable (not SubRip, WebVTT or ASS/SSA text)"
            in result.stderr)
    shutil.rmtree(tmp_path / "lib")
    (tmp_path / "clip.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n\nnot a cue at all\n-->\n")
    assert "1 subtitle" in index(path, tmp_path / "lib", "subtitle,ocr").stdout  # the readable cue is kept


def test_damage_in_the_middle_costs_only_the_damaged_part(cut_source, tmp_path) -> None:
    data = bytearray(cut_source.read_bytes())
    start = data.index(b"mdat")
    at = start + (len(data) - start) * 45 // 100  # garbage over a stretch in the middle of the pictures
    data[at : at + 3000] = os.urandom(3000)
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    result = index(damaged, tmp_path / "lib")
    assert result.exit_code == 0, result.output
    found = [e["text"] for e in evidence(damaged, tmp_path / "lib")]
    assert found[0] == CAPTIONS[0] and found[-1] == CAPTIONS[-1], (found, result.stderr)
    notes = [line.strip() for line in result.stderr.splitlines() if "note:" in line]
    assert len(notes) == 1 and notes[0].startswith("note: the video stream is damaged at 00:00:"), notes
    assert notes[0].endswith(": indexed around it")


def test_damaged_sound_costs_only_the_damaged_part(tmp_path) -> None:
    script = synth.Script(duration=16.0, size=(160, 90), fps=5,
                          speech=[synth.Speech(1.0, "The first sentence is about apples."),
                                  synth.Speech(11.0, "The second sentence is about oranges.")])
    audio = synth.speech_track(script)
    clean = synth.write_audio(audio, tmp_path / "clean.m4a")
    data = bytearray(clean.read_bytes())
    mdat = data.index(b"mdat")
    at = mdat + (len(data) - mdat) * 45 // 100  # the quiet middle, between the sentences
    data[at : at + 1500] = random.Random(3).randbytes(1500)  # the same damage every run
    damaged = tmp_path / "damaged.m4a"
    damaged.write_bytes(bytes(data))
    result = index(damaged, tmp_path / "lib", "speech")
    assert result.exit_code == 0, result.output
    spoken = {e["text"].lower(): e["start"] for e in evidence(damaged, tmp_path / "lib")}
    # the sentence, not its last word: Whisper base may hear "oranges" as "our engines"
    later = [start for text, start in spoken.items() if "second sentence" in text]
    assert any("apples" in t for t in spoken) and later and abs(later[0] - 11.0) <= 1.5, spoken
