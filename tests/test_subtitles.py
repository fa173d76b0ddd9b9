from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from vidseek import synth, video
from vidseek.extractors.base import Chunk
from vidseek.extractors.subtitles import (
    SubtitleError,
    SubtitleExtractor,
    parse_cues,
    read_sidecar,
    sidecar_files,
)

CUES = [(1.0, 2.5, "Hello there"), (4.0, 6.25, "The vault code is 3319")]


def test_srt_and_vtt_parse_to_the_same_cues() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> there\n\n"
        "2\n00:00:04,000 --> 00:00:06,250\nThe vault\ncode is 3319\n"
    )
    vtt = "WEBVTT\n\nNOTE a comment\n\nintro\n00:01.000 --> 00:02.500 align:start\nHello there\n\n" \
          "00:00:04.000 --> 00:00:06.250\nThe vault code is 3319\n"
    assert parse_cues(srt) == CUES
    assert parse_cues(vtt) == CUES
    assert parse_cues("\ufeff1\r\n00:00:01,000 --> 00:00:02,500\r\nHello there\r\n") == CUES[:1]


def test_sidecar_srt_beside_the_video_is_ingested(tmp_path: Path) -> None:
    movie = synth.write_video(synth.Script(duration=8, audio=False), tmp_path / "movie.mp4")
    synth.write_srt(CUES, tmp_path / "movie.en.srt")
    (tmp_path / "other.srt").write_text("not ours")
    assert [p.name for p in sidecar_files(movie)] == ["movie.en.srt"]
    v = video.probe(movie)
    extractor = SubtitleExtractor()
    assert extractor.available(v)
    found = list(extractor.run(v, Chunk(0, 0.0, v.duration)))
    assert [(e.start, e.end, e.text) for e in found] == CUES
    assert all(e.source == "subtitle" and e.meta["file"] == "movie.en.srt" for e in found)


def test_embedded_subtitle_stream_is_ingested(tmp_path: Path) -> None:
    plain = synth.write_video(synth.Script(duration=8), tmp_path / "plain.mp4")
    srt = synth.write_srt(CUES, tmp_path / "cues.srt")
    movie = synth.mux_subtitles(plain, srt, tmp_path / "movie.mkv")
    v = video.probe(movie)
    assert v.subtitle_streams == 1 and v.has_audio
    found = list(SubtitleExtractor().run(v, Chunk(0, 0.0, v.duration)))
    assert [(e.start, e.end, e.text) for e in found] == CUES
    assert found[0].meta["file"] == "embedded"


def test_unreadable_subtitle_file_is_reported_not_fatal(tmp_path: Path) -> None:
    movie = synth.write_video(synth.Script(duration=2, audio=False), tmp_path / "movie.mp4")
    (tmp_path / "movie.srt").write_bytes(b"\x00\x01 garbage with no cues")
    with pytest.raises(SubtitleError, match="no SubRip or WebVTT cues"):
        read_sidecar(tmp_path / "movie.srt")
    extractor = SubtitleExtractor()
    v = video.probe(movie)
    assert list(extractor.run(v, Chunk(0, 0.0, v.duration))) == []
    assert extractor.problems and "movie.srt" in extractor.problems[0]


def test_no_subtitles_means_not_available(needle_video: Path, tmp_path: Path) -> None:
    lonely = shutil.copy(needle_video, tmp_path / "lonely.mp4")
    assert not SubtitleExtractor().available(video.probe(lonely))


def test_cue_times_are_checked_against_the_video(tmp_path: Path) -> None:
    movie = synth.write_video(synth.Script(duration=10, audio=False), tmp_path / "movie.mp4")
    (tmp_path / "movie.srt").write_text(
        "1\n-00:00:02,000 --> 00:00:01,500\nbefore the start\n\n"
        "2\n00:00:05,000 --> 00:00:03,000\nbackwards\n\n"
        "3\n00:00:08,000 --> 00:00:15,000\nruns past the end\n\n"
        "4\n99:59:59,000 --> 99:59:59,900\nfar after the end\n\n"
        "5\n-00:00:09,000 --> -00:00:08,000\nall before zero\n\n"
        "6\n00:00:02,000 --> 00:00:04,000\nin the middle\n")
    extractor = SubtitleExtractor()
    v = video.probe(movie)
    found = [(e.start, e.end, e.text) for e in extractor.run(v, Chunk(0, 0.0, v.duration))]
    assert found == [(0.0, 1.5, "before the start"), (2.0, 4.0, "in the middle"),
                     (8.0, round(v.duration, 3), "runs past the end")]
    assert set(extractor.problems) == {
        "movie.srt: 1 cue(s) end before they start: dropped", "movie.srt: 1 cue(s) end before 00:00:00: dropped",
        "movie.srt: 1 cue(s) start before 00:00:00: moved to 00:00:00",
        "movie.srt: 1 cue(s) start after the video ends (00:00:10): dropped",
        "movie.srt: 1 cue(s) run past the video's end (00:00:10): cut there"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_subtitles_with_a_byte_order_mark_are_read_without_a_note(tmp_path: Path, encoding: str) -> None:
    text = "1\n00:00:01,000 --> 00:00:02,500\nHello there\n\n2\n00:00:04,000 --> 00:00:06,250\nThe vault code is 3319\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    (tmp_path / "movie.srt").write_bytes(data)
    notes: list[str] = []
    assert read_sidecar(tmp_path / "movie.srt", notes) == CUES and notes == []


def test_a_legacy_encoding_is_guessed_and_the_guess_is_said(tmp_path: Path) -> None:
    lines = ["東京駅で待ち合わせをしましょう。", "会議は木曜日の午後に移動しました。", "金庫の暗証番号は三三一九です。"]
    text = "".join(f"{n}\n00:00:0{n},000 --> 00:00:0{n},900\n{line}\n\n" for n, line in enumerate(lines, 1))
    (tmp_path / "movie.srt").write_bytes(text.encode("shift_jis"))
    notes: list[str] = []
    assert [t for _, _, t in read_sidecar(tmp_path / "movie.srt", notes)] == lines  # not mojibake
    assert len(notes) == 1 and notes[0].startswith("movie.srt is not UTF-8: read as ") and "a guess" in notes[0]
    assert any(name in notes[0] for name in ("shift_jis", "cp932"))


def test_a_huge_subtitle_file_is_capped_with_a_note_and_shows_progress(tmp_path: Path, embedder, monkeypatch) -> None:
    from typer.testing import CliRunner

    from vidseek.cli import app
    from vidseek.extractors import subtitles
    from vidseek.library import Library

    monkeypatch.setattr(subtitles, "MAX_CUES", 300)  # the real caps: 16 MB and 20,000 cues a file
    monkeypatch.setattr("vidseek.library.EMBED_STEP", 100)
    movie = synth.write_video(synth.Script(duration=30, size=(64, 48), fps=2, audio=False), tmp_path / "movie.mp4")
    synth.write_srt([(i * 0.05, i * 0.05 + 0.04, f"line number {i}") for i in range(580)], tmp_path / "movie.srt")
    library = Library(tmp_path / "lib", embedder=embedder, device="cpu")
    seen: list[tuple[str, int, int]] = []
    report = library.indexer(["subtitle"]).index(movie, lambda *step: seen.append(step))
    library.publish(report.video.fingerprint, lambda *step: seen.append(step))
    assert report.counts == {"subtitle": 300}
    assert "movie.srt: it holds 580 cues: kept the first 300" in report.notices
    assert ("subtitle", 1, 1) in seen and [s for s in seen if s[0] == "embed"] == [
        ("embed", 100, 300), ("embed", 200, 300), ("embed", 300, 300)]
    listed = CliRunner().invoke(app, ["ls", "-L", str(tmp_path / "lib")])
    assert listed.stdout.splitlines()[1].split()[2] == "300"


def test_a_run_killed_while_embedding_leaves_a_library_that_says_so_and_a_rerun_finishes(
        tmp_path: Path, embedder, monkeypatch) -> None:
    from typer.testing import CliRunner

    from vidseek.cli import app
    from vidseek.library import Library

    movie = synth.write_video(synth.Script(duration=8, size=(64, 48), fps=2, audio=False), tmp_path / "movie.mp4")
    synth.write_srt(CUES, tmp_path / "movie.srt")
    library = Library(tmp_path / "lib", embedder=embedder, device="cpu")

    def killed(texts):
        raise KeyboardInterrupt  # as Ctrl-C (or a kill) lands in the embedding of a large file

    monkeypatch.setattr(embedder, "encode", killed)
    with pytest.raises(KeyboardInterrupt):
        library.index(movie, sources=["subtitle"])
    monkeypatch.undo()
    runner = CliRunner()
    listed = runner.invoke(app, ["ls", "-L", str(tmp_path / "lib")])
    assert "movie.mp4  (not in the search store: index it again, or run vidseek rebuild)" in listed.stdout
    again = runner.invoke(app, ["index", str(movie), "--sources", "subtitle", "-L", str(tmp_path / "lib")])
    assert again.exit_code == 0
    rows = runner.invoke(app, ["ls", "-L", str(tmp_path / "lib")]).stdout.splitlines()
    assert len(rows) == 2 and rows[1].split()[2] == "2" and rows[1].endswith("movie.mp4")


STYLE_FIELDS = ("Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
                "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
                "MarginL, MarginR, MarginV, Encoding")
ASS = r"""[Script Info]
ScriptType: v4.00+
PlayResX: 384

[V4+ Styles]
Format: STYLE_FIELDS
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1
Style: Sign,Arial,14,&H0000FFFF,&H000000FF,&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,2,2,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\an8}{\i1}Hello{\i0} there
Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,translator's note: not shown
Dialogue: 0,0:00:04.00,0:00:06.25,Sign,,0,0,0,,{\pos(192,40)\c&H00FFFF&\fs30}The vault\Ncode is {\b1}3319{\b0}
Dialogue: 1,0:00:04.00,0:00:06.25,Sign,,0,0,0,,{\pos(192,40)\c&H00FFFF&\fs30}The vault\Ncode is {\b1}3319{\b0}
Dialogue: 0,0:00:07.00,0:00:07.50,Default,,0,0,0,,{\p1}m 0 0 l 100 0 100 100 0 100{\p0}
""".replace("STYLE_FIELDS", STYLE_FIELDS)


@pytest.mark.parametrize("suffix", [".ass", ".ssa"])
def test_an_ass_file_with_styling_is_ingested_with_the_tags_removed(tmp_path: Path, suffix: str) -> None:
    """Comments and vector drawings are not text; a cue drawn on two layers (outline, fill) is one cue."""
    movie = synth.write_video(synth.Script(duration=8, size=(64, 48), fps=2, audio=False), tmp_path / "movie.mkv")
    (tmp_path / f"movie{suffix}").write_text(ASS, encoding="utf-8")
    v = video.probe(movie)
    extractor = SubtitleExtractor()
    assert extractor.available(v)
    found = list(extractor.run(v, Chunk(0, 0.0, v.duration)))
    assert [(e.start, e.end, e.text) for e in found] == CUES
    assert all(e.meta["file"] == f"movie{suffix}" for e in found) and extractor.problems == []


def test_webvtt_notes_and_cue_ids_are_not_cue_text_and_a_voice_tag_names_the_speaker() -> None:
    vtt = ("WEBVTT - a title\nKind: captions\n\nSTYLE\n::cue { color: yellow }\n\n"
           "first\n00:00:01.000 --> 00:00:02.500 line:0\n<v Roger>Hello</v> <c.loud>there</c>\n\n"
           "NOTE the next cue was checked twice\n\n"
           "second\n00:00:04.000 --> 00:00:06.250\nThe vault <00:00:05.000>code is 3319\n\n"
           "NOTE trailing\n")
    voices: dict = {}
    first, second = parse_cues(vtt, voices=voices)
    assert first == (CUES[0][0], CUES[0][1], f"Roger: {CUES[0][2]}") and second == CUES[1]
    assert voices == {first: "Roger"}


def test_subtitle_speakers_are_kept_from_voice_tags_and_capitalised_names(tmp_path: Path) -> None:
    video_path = synth.write_video(synth.Script(duration=8, size=(64, 48), fps=5, audio=False), tmp_path / "talk.mp4")
    (tmp_path / "talk.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Dr. Ada Brooks>We ship on Friday.</v>\n\n"
        "00:00:03.000 --> 00:00:04.000\nJOHN: Then I test on Thursday.\n\n"
        "00:00:05.000 --> 00:00:06.000\nNote: the room is booked.\n")
    found = list(SubtitleExtractor().run(video.probe(video_path), Chunk(0, 0.0, 8.0)))
    assert [(e.text, e.meta.get("speaker")) for e in found] == [
        ("Dr. Ada Brooks: We ship on Friday.", "Dr. Ada Brooks"), ("JOHN: Then I test on Thursday.", "JOHN"),
        ("Note: the room is booked.", None)]


def test_a_broken_ass_file_is_a_subtitle_error_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "movie.ass").write_text("[Script Info]\n[Events]\nFormat: Start\nDialogue: not, a, time\n")
    with pytest.raises(SubtitleError, match="'movie.ass' holds no SubRip or WebVTT cues and no ASS/SSA events"):
        read_sidecar(tmp_path / "movie.ass")
