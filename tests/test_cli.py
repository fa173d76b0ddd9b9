from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import WORD
from vidseek.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def indexed(needle_video: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The needle video (a copy) indexed for on-screen text into a fresh library."""
    root = tmp_path_factory.mktemp("cli")
    movie = Path(shutil.copy(needle_video, root / "movie.mp4"))
    result = runner.invoke(app, ["index", str(movie), "--sources", "ocr", "--device", "cpu", "-L", str(root / "lib")])
    assert result.exit_code == 0, result.output
    return movie, root / "lib"


def test_index_prints_a_summary_and_names_what_it_skipped(indexed) -> None:
    movie, library = indexed
    result = runner.invoke(app, ["index", str(movie), "-L", str(library), "--sources", "ocr,caption"])
    assert result.exit_code == 0
    assert f"indexed {movie} (00:00:30): 1 ocr (1/1 chunks from cache)" in result.stdout
    assert "caption: skipped, no captioner installed; pass --captioner" in result.stderr


def test_evidence_prints_time_ordered_lines_and_json(indexed) -> None:
    movie, library = indexed
    result = runner.invoke(app, ["evidence", str(movie), "-L", str(library)])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"00:00:03–00:00:07 [ocr] {WORD}"
    as_json = runner.invoke(app, ["evidence", str(movie), "-L", str(library), "--json", "--source", "ocr"])
    item = json.loads(as_json.stdout)
    assert item["text"] == WORD and item["source"] == "ocr" and item["start"] == pytest.approx(3, abs=1)


def test_evidence_needs_no_video_file_once_indexed(indexed, tmp_path: Path) -> None:
    movie, library = indexed
    listing = runner.invoke(app, ["ls", "-L", str(library)])
    fingerprint = listing.stdout.splitlines()[1].split()[0]  # under the header line
    moved = shutil.move(movie, tmp_path / "gone.mp4")
    try:
        by_id = runner.invoke(app, ["evidence", fingerprint, "-L", str(library)])
        by_old_path = runner.invoke(app, ["evidence", str(movie), "-L", str(library)])
    finally:
        shutil.move(moved, movie)
    assert WORD in by_id.stdout and WORD in by_old_path.stdout


@pytest.mark.parametrize("kind", ["missing", "text", "truncated", "empty"])
def test_unusable_input_exits_2_with_one_line_and_no_library(needle_video: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "movie.mp4"
    if kind == "text":
        path.write_text("this is not a video\n")
    elif kind == "truncated":
        path.write_bytes(needle_video.read_bytes()[:5000])
    elif kind == "empty":
        path.write_bytes(b"")
    result = runner.invoke(app, ["index", str(path), "-L", str(tmp_path / "lib")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vidseek: cannot read '{path}'")
    assert not (tmp_path / "lib").exists()


def test_unknown_source_and_unindexed_video_are_clear_errors(needle_video: Path, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["index", str(needle_video), "--sources", "smell", "-L", str(tmp_path)])
    assert bad.exit_code == 2 and "unknown source(s) smell" in bad.stderr
    missing = runner.invoke(app, ["evidence", str(needle_video), "-L", str(tmp_path)])
    assert missing.exit_code == 2 and "is not indexed" in missing.stderr


def test_help_explains_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("index", "evidence", "ls", "ask", "search", "rm", "rebuild"):
        assert command in result.stdout
    index_help = runner.invoke(app, ["index", "--help"])
    assert "--captioner-url" in index_help.stdout and "--whisper-model" in index_help.stdout
    assert "--ocr-engine" in index_help.stdout


def test_ask_answers_multiple_choice_with_the_cited_moment(indexed) -> None:
    movie, library = indexed
    result = runner.invoke(app, ["ask", str(movie), "What code is written on the screen?", "--no-llm",
                                 "--choice", "HERON 7777", "--choice", WORD, "--choice", "EAGLE 3003",
                                 "-L", str(library)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"B) {WORD}"
    assert lines[1].strip() == f"[00:00:03–00:00:07 ocr] {movie.resolve()}"
    as_json = runner.invoke(app, ["ask", "all", "What code is written on the screen?", "--no-llm", "--json",
                                  "-L", str(library)])
    answer = json.loads(as_json.stdout)
    assert "4821" in answer["text"] and answer["citations"][0]["source"] == "ocr"
    assert answer["timings"]["total"] > 0


def test_choices_flag_takes_several_values() -> None:
    from vidseek.cli import _multi_value_choices

    argv = ["ask", "v.mp4", "Which?", "--choices", "red one", "blue", "--k", "3", "-c", "green"]
    assert _multi_value_choices(argv) == ["ask", "v.mp4", "Which?", "--choice", "red one", "--choice", "blue",
                                          "--k", "3", "--choice", "green"]


def test_search_prints_evidence_with_its_rank_score_and_the_video_name(indexed) -> None:
    movie, library = indexed
    result = runner.invoke(app, ["search", "4821", "-L", str(library)])
    assert result.exit_code == 0
    rank, score, hit = result.stdout.splitlines()[0].split(" ", 2)
    assert rank == "1." and float(score) > 0 and hit == f" 00:00:03–00:00:07 [ocr] {WORD}  (movie.mp4)"


def _shown_id(library: Path) -> str:
    """The id `vidseek ls` shows for the library's one video (under the header line)."""
    return runner.invoke(app, ["ls", "-L", str(library)]).stdout.splitlines()[1].split()[0]


def test_json_output_names_the_video_by_the_id_ls_shows_not_its_fingerprint(indexed) -> None:
    movie, library = indexed
    shown = _shown_id(library)
    assert len(shown) == 12
    searched = runner.invoke(app, ["search", "4821", "--json", "--context", "30", "-L", str(library)])
    listed = runner.invoke(app, ["evidence", str(movie), "--json", "-L", str(library)])
    asked = runner.invoke(app, ["ask", "all", "What code is written on the screen?", "--no-llm", "--json",
                                "-L", str(library)])
    assert searched.exit_code == listed.exit_code == asked.exit_code == 0, (searched.output, asked.output)
    hits = [json.loads(line) for line in searched.stdout.splitlines()]
    items = [json.loads(line) for line in listed.stdout.splitlines()]
    answer = json.loads(asked.stdout)
    named = [*hits, *(c for h in hits for c in h["context"]), *items, *answer["citations"], *answer["evidence"]]
    assert hits and items and answer["citations"]
    assert {n["video"] for n in named} == {shown} and not any("fingerprint" in n for n in named)
    again = runner.invoke(app, ["evidence", hits[0]["video"], "-L", str(library)])  # the id names it
    assert again.exit_code == 0 and WORD in again.stdout


@pytest.mark.parametrize("command", [["search", "4821"], ["evidence", "{movie}"], ["export", "{movie}"]])
def test_an_unknown_source_filter_is_refused_in_one_line_as_mcp_refuses_it(indexed, command) -> None:
    movie, library = indexed
    args = [a.format(movie=movie) for a in command]
    result = runner.invoke(app, [*args, "--source", "nonsense", "-L", str(library)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip().startswith("vidseek: unknown source(s) nonsense; choose from subtitle, speech, ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_scenes_help_names_the_video_by_its_id() -> None:
    result = runner.invoke(app, ["scenes", "--help"])
    assert result.exit_code == 0 and "its id from vidseek ls" in result.stdout
    assert "fingerprint" not in result.stdout


def test_ask_indexes_a_new_file_first_and_rm_forgets_it(tmp_path: Path) -> None:
    from vidseek import synth

    clip = synth.write_video(synth.Script(duration=4, audio=False, captions=[synth.Caption(0, 4, "BLUE DOOR 62",
                                                                                             size=40)]),
                             tmp_path / "clip.mp4")
    library = str(tmp_path / "lib")
    asked = runner.invoke(app, ["ask", str(clip), "What is written on the door sign?", "--no-llm", "-L", library])
    assert asked.exit_code == 0, asked.output
    assert "not indexed yet: indexing it first" in asked.stderr
    assert "BLUE DOOR 62" in asked.stdout
    listed = runner.invoke(app, ["ls", "-L", library])
    assert "clip.mp4" in listed.stdout and "ocr" in listed.stdout
    removed = runner.invoke(app, ["rm", str(clip), "-L", library])
    assert removed.exit_code == 0 and "removed" in removed.stdout
    assert runner.invoke(app, ["ls", "-L", library]).stdout.strip() == ""
    assert runner.invoke(app, ["evidence", str(clip), "-L", library]).exit_code == 2


def test_empty_question_exits_2(indexed) -> None:
    _, library = indexed
    result = runner.invoke(app, ["ask", "all", "  ", "-L", str(library)])
    assert result.exit_code == 2 and "the question is empty" in result.stderr


def test_more_options_than_letters_is_a_clear_error(indexed) -> None:
    movie, library = indexed
    options = [arg for n in range(11) for arg in ("--choice", f"option {n}")]
    result = runner.invoke(app, ["ask", str(movie), "Which one?", *options, "--no-llm", "-L", str(library)])
    assert result.exit_code == 2
    assert result.stderr.strip() == "vidseek: at most 10 options (A–J); got 11"


EVIL = "\x1b[2J\x1b]52;c;cHduZWQ=\x07\x9b31m\u202e"  # clear screen, OSC 52 clipboard write, C1 CSI, RTL override


def _no_controls(text: str) -> None:
    assert not any(c in text for c in "\x1b\x07\x9b\u202e"), repr(text)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A video whose file name holds escape sequences and a newline, with subtitles that hold them too."""
    from vidseek import synth

    root = tmp_path_factory.mktemp("escapes")
    movie = synth.write_video(synth.Script(duration=3, size=(64, 48), fps=5, audio=False),
                              root / f"evil{EVIL}\nname.mp4")
    synth.write_srt([(0.5, 2.0, f"the vault code{EVIL} is 3319")], root / f"evil{EVIL}\nname.srt")
    return movie, root / "lib"


def test_escape_sequences_in_file_names_and_video_text_never_reach_the_terminal(hostile) -> None:
    movie, library = hostile
    runs = {
        "index": ["index", str(movie), "--sources", "subtitle", "-L", str(library)],
        "ls": ["ls", "-L", str(library)],
        "evidence": ["evidence", str(movie), "-L", str(library)],
        "evidence --json": ["evidence", str(movie), "-L", str(library), "--json"],
        "search": ["search", "vault code", "-L", str(library)],
        "search --json": ["search", "vault code", "-L", str(library), "--json"],
        "ask": ["ask", str(movie), "What is the vault code?", "--no-llm", "-L", str(library)],
        "ask --json": ["ask", str(movie), "What is the vault code?", "--no-llm", "--json", "-L", str(library)],
        "rm of a missing name": ["rm", f"gone{EVIL}", "-L", str(library)],
    }
    results = {name: runner.invoke(app, args) for name, args in runs.items()}
    for name, result in results.items():
        assert result.exit_code == (2 if name.startswith("rm") else 0), (name, result.output)
        _no_controls(result.stdout)
        _no_controls(result.stderr)
    assert "\\x1b[2J" in results["index"].stdout and "3319" in results["evidence"].stdout
    assert len(results["ls"].stdout.strip().splitlines()) == 2  # the header and one row: the newline is shown
    assert "evil\\x1b[2J" in results["ls"].stdout and "\\nname.mp4" in results["ls"].stdout
    for name in ("evidence --json", "search --json"):  # still JSON, the same text once parsed
        assert any(EVIL in json.loads(line)["text"] for line in results[name].stdout.splitlines()), name
    assert any(EVIL in e["text"] for e in json.loads(results["ask --json"].stdout)["evidence"])


def test_the_batch_table_shows_escape_sequences_as_text() -> None:
    import io

    from rich.console import Console

    from vidseek.batch_view import summary_table
    from vidseek.pipeline.batch import BatchReport, VideoResult

    report = BatchReport(results=[VideoResult(f"/v/a{EVIL}[/].mp4", "failed", error=f"cannot read{EVIL}"),
                                  VideoResult("/v/b.mp4", "indexed", duration=3, notices=[f"note{EVIL}"])],
                         backend="local", workers=1)
    screen = io.StringIO()
    Console(file=screen, width=200, force_terminal=True, color_system=None).print(summary_table(report))
    shown = screen.getvalue()
    _no_controls(shown)
    assert "[/]" in shown and "\\x1b[2J" in shown


@pytest.mark.parametrize(("args", "message"), [
    (["--k", "0"], "vidseek: k must be a whole number from 1 to 100; got 0"),
    (["--k", "101"], "vidseek: k must be a whole number from 1 to 100; got 101"),
    (["--choice", "", "--choice", "HERON"], "vidseek: option A is empty"),
    (["--choice", "HERON", "--choice", "   "], "vidseek: option B is empty"),
])
def test_ask_refuses_what_the_api_refuses(indexed, args, message) -> None:
    movie, library = indexed
    result = runner.invoke(app, ["ask", str(movie), "Which code?", "--no-llm", *args, "-L", str(library)])
    assert result.exit_code == 2 and result.stderr.strip() == message
    search = runner.invoke(app, ["search", "code", "--k", "0", "-L", str(library)])
    assert search.exit_code == 2 and "k must be a whole number from 1 to 100" in search.stderr


def test_options_with_no_words_are_answered_with_low_confidence(indexed) -> None:
    movie, library = indexed
    result = runner.invoke(app, ["ask", str(movie), "Which code is shown?", "--no-llm", "--choice", "?",
                                 "--choice", "!!", "-L", str(library)])
    assert result.exit_code == 0
    assert "note: option A, B has no words or numbers to look for in the evidence; low confidence" in result.stderr


def test_a_fifo_is_not_a_file_to_index(tmp_path) -> None:
    import os

    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    result = runner.invoke(app, ["index", str(fifo), "-L", str(tmp_path / "lib")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"vidseek: cannot read '{fifo}': not a regular file (a pipe, socket or device)"


def test_a_second_serve_on_a_busy_port_says_so_before_serving(tmp_path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["serve", "--port", str(port), "--root", str(tmp_path), "--no-llm",
                                     "-L", str(tmp_path / "lib")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"vidseek: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_ls_columns_stay_aligned_when_a_source_list_is_long(tmp_path: Path, embedder) -> None:
    """A video with many sources (here three brightness sources with long names) pushes no column of its row
    out of line with the others'."""
    from tests.conftest import index_into
    from tests.plugin.brightness import BrightnessExtractor
    from vidseek import synth
    from vidseek.library import Library
    from vidseek.pipeline.index import IndexOptions

    def named(source: str) -> BrightnessExtractor:
        extractor = BrightnessExtractor()
        extractor.name = extractor.source = source
        return extractor

    lib = Library(tmp_path / "lib", embedder=embedder, device="cpu")
    short, long = (synth.write_video(synth.Script(duration=seconds, size=(64, 48), fps=5, audio=False),
                                     tmp_path / name) for name, seconds in (("a.mp4", 2), ("b.mp4", 3)))
    index_into(lib, short, [named("brightness")], IndexOptions())
    index_into(lib, long, [named(f"brightness_{side}_half_of_the_picture") for side in ("left", "right", "top")],
               IndexOptions())
    header, *rows = runner.invoke(app, ["ls", "-L", str(tmp_path / "lib")]).stdout.splitlines()
    assert len(rows) == 2 and "brightness_left_half_of_the_picture,brightness_right" in rows[1]
    for column in ("items", "file", "cache"):  # right-aligned: each cell ends where its heading ends
        end = header.index(column) + len(column)
        assert all(row[end - 1] != " " and row[end] == " " for row in rows), (column, header, rows)
    assert [row.index(str(tmp_path)) for row in rows] == [header.index("path")] * 2
