"""Transcripts and subtitles out: every format, and SRT/WebVTT that come back in as the same cues."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import CUES, subtitled_library
from vidseek.cli import app
from vidseek.library import Library

runner = CliRunner()


@pytest.fixture(scope="module")
def harbor(tmp_path_factory, embedder) -> tuple[Path, Library]:
    return subtitled_library(tmp_path_factory.mktemp("export"), embedder)


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_exported_subtitles_read_back_as_a_sidecar_give_the_same_cues(harbor, embedder, tmp_path, fmt) -> None:
    video, library = harbor
    written = library.export(video, fmt, ["subtitle"])
    copy = Path(shutil.copy(video, tmp_path / "again.mp4"))
    (tmp_path / f"again.{fmt}").write_text(written, encoding="utf-8")
    again = Library(tmp_path / "lib", embedder=embedder, device="cpu")
    again.index(copy, sources=["subtitle"])
    cues = [(e.start, e.end, e.text) for e in again.evidence(copy)]
    assert cues == [(e.start, e.end, e.text) for e in library.evidence(video)] == CUES
    assert written.startswith("WEBVTT" if fmt == "vtt" else "1\n00:00:00,500 --> 00:00:02,000\n")


def test_words_in_braces_and_angle_brackets_survive_a_round_trip(embedder, tmp_path) -> None:
    """pysubs2 takes '{…}' for ASS styling; a cue's words must not lose theirs on the way out and in."""
    from vidseek import synth

    cues = [(0.5, 2.0, "The set is {1, 2, 3} and x < y")]
    movie = synth.write_video(synth.Script(duration=3, size=(64, 48), fps=5, audio=False), tmp_path / "m.mp4")
    synth.write_srt(cues, tmp_path / "m.srt")
    library = Library(tmp_path / "lib", embedder=embedder, device="cpu")
    library.index(movie, sources=["subtitle"])
    written = library.export(movie, "srt")
    assert "{1, 2, 3} and x < y" in written
    (tmp_path / "m.srt").write_text(written, encoding="utf-8")
    library.index(movie, sources=["subtitle"])
    assert [(e.start, e.end, e.text) for e in library.evidence(movie)] == cues


def test_transcript_formats_from_the_cli(harbor) -> None:
    video, library = harbor
    lib = str(library.path)

    def export(*args: str):
        return runner.invoke(app, ["export", str(video), *args, "-L", lib])

    txt = export("--format", "txt")
    assert txt.exit_code == 0 and txt.stdout.splitlines() == [
        "00:00:00–00:00:02  The harbor master is Ada Brooks.", "00:00:02–00:00:03  The ferry leaves at noon."]
    data = json.loads(export("--format", "json").stdout)
    assert data["path"] == str(video.resolve()) and data["sources"] == ["speech", "subtitle"]
    assert [(c["start"], c["end"], c["source"], c["text"]) for c in data["cues"]] == [
        (a, b, "subtitle", t) for a, b, t in CUES]
    md = export("--format", "md", "--source", "subtitle").stdout.splitlines()
    assert md[0] == "# harbor.mp4" and md[-1] == "- **00:00:02–00:00:03** The ferry leaves at noon."
    vtt = export("-f", "vtt", "-o", str(library.path / "out.vtt"))
    assert vtt.exit_code == 0 and vtt.stderr.strip() == f"wrote {library.path / 'out.vtt'}"
    assert (library.path / "out.vtt").read_text().startswith("WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "docx"], "vidseek: unknown export format 'docx' (one of srt, vtt, txt, json, md)"),
    (["--source", "ocr"], "vidseek: harbor.mp4 has no ocr evidence to export (it has: subtitle)"),
    (["--source", "smell"],
     "vidseek: unknown source(s) smell; choose from subtitle, speech, ocr, objects, tags, caption"),
])
def test_export_errors_are_one_line(harbor, args, message) -> None:
    video, library = harbor
    result = runner.invoke(app, ["export", str(video), *args, "-L", str(library.path)])
    assert result.exit_code == 2 and result.stderr.strip() == message


def test_markdown_shows_markup_from_a_video_as_text() -> None:
    from vidseek.export import render, transcript
    from vidseek.types import Evidence

    hostile = Evidence("f" * 32, 1.0, 2.0, "ocr", "<script>x()</script> [click](http://evil) **bold**")
    md = render(transcript("f" * 32, "/v/a_b.mp4", 3.0, [hostile], ["ocr"]), "md")
    assert "\\<script\\>x\\(\\)\\</script\\> \\[click\\]\\(http://evil\\) \\*\\*bold\\*\\*" in md
    assert md.startswith("# a\\_b.mp4\n")


HOSTILE_CUES = ["the gate --> opens", "first line\n\n \nafter a blank line",
                "2\n00:00:05,000 --> 00:00:09,000\na cue of its own?", "C:\\New\\hats and -->", "plain words"]


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_arrows_times_and_blank_lines_in_cue_text_stay_text_when_read_back(fmt) -> None:
    """pysubs2 and WebVTT readers take a line with '-->' (or two times) for a new cue's timing and a blank
    line for a cue's end; the export escapes both, so each cue reads back whole, as its own words."""
    import pysubs2

    from vidseek.export import JOINER, render, transcript
    from vidseek.extractors.subtitles import parse_cues
    from vidseek.types import Evidence

    items = [Evidence("f" * 32, n * 2.0, n * 2.0 + 1.5, "speech", text) for n, text in enumerate(HOSTILE_CUES)]
    written = render(transcript("f" * 32, "/v/a.mp4", 12.0, items), fmt)
    words = [" ".join(line for line in text.splitlines() if line.strip()) for text in HOSTILE_CUES]
    back = pysubs2.SSAFile.from_string(written, format_=fmt)
    assert [(e.start, e.end) for e in back] == [(round(i.start * 1000), round(i.end * 1000)) for i in items]
    assert [" ".join(e.plaintext.replace(JOINER, "").split("\n")) for e in back] == words
    assert [text for _, _, text in parse_cues(written)] == words  # vidseek's own sidecar reader
    if fmt == "vtt":  # webvtt-py, the reader the red team's export broke (empty cue text)
        import io

        import webvtt

        cues = list(webvtt.from_buffer(io.StringIO(written)))
        assert [" ".join(c.text.replace(JOINER, "").split("\n")) for c in cues] == words
        assert [(c.start_in_seconds, c.end_in_seconds) for c in cues] == [(int(i.start), int(i.end)) for i in items]
    for block in written.split("\n\n")[1 if fmt == "vtt" else 0:]:  # WebVTT: '-->' only on the timing line
        lines = block.strip("\n").splitlines()
        assert not lines or sum("-->" in line for line in lines) == 1 and "-->" in lines[1], block
