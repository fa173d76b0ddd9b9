"""Property tests: the parsers that read text from outside (subtitle files, LLM replies, question files) and
time formatting take anything and either answer sensibly or say clearly what is wrong."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidseek.evaluate import QuestionSet, load_questions
from vidseek.extractors.subtitles import SubtitleError, parse_cues, parse_timestamp, read_sidecar
from vidseek.pipeline.answer import LETTERS, parse_choice, quote, split_choices
from vidseek.types import format_time

# FUZZ_EXAMPLES=5000 for a longer hunt than the suite runs
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 300)), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

stamp = st.builds(lambda h, m, s, ms, sep: f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}", st.integers(0, 99),
                  st.integers(0, 59), st.integers(0, 59), st.integers(0, 999), st.sampled_from(",."))
cue_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
subtitle_like = st.lists(st.tuples(st.one_of(st.integers(0, 9999).map(str), st.just("")), stamp, stamp, cue_text),
                         max_size=8).map(lambda cues: "\n\n".join(f"{n}\n{a} --> {b}\n{t}" for n, a, b, t in cues))


def _good_cues(cues) -> None:
    for start, end, text in cues:
        assert math.isfinite(start) and math.isfinite(end) and 0 <= start <= end
        assert text and text == text.strip() and "\n" not in text


@FUZZ
@given(st.one_of(st.text(), subtitle_like, st.builds(lambda a, b: a + b, subtitle_like, st.text())))
def test_subtitle_text_parses_to_sane_cues(text: str) -> None:
    _good_cues(parse_cues(text))


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_as_a_subtitle_file_give_cues_or_a_subtitle_error(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("srt") / "movie.srt"
    path.write_bytes(data)
    try:
        _good_cues(read_sidecar(path))
    except SubtitleError as exc:
        assert "movie.srt" in str(exc)


@FUZZ
@given(st.one_of(st.text(max_size=20), stamp))
def test_timestamps_are_seconds_or_a_subtitle_error(text: str) -> None:
    try:
        seconds = parse_timestamp(text)
    except SubtitleError as exc:
        assert "bad timestamp" in str(exc)
    else:
        assert math.isfinite(seconds) and seconds >= 0


@FUZZ
@given(st.text(max_size=200), st.lists(st.text(max_size=30), max_size=12))
def test_a_reply_names_one_of_the_options_or_none(reply: str, choices: list[str]) -> None:
    letter = parse_choice(reply, choices)
    assert letter is None or letter in LETTERS[: len(choices)]


@FUZZ
@given(st.sampled_from(LETTERS[:4]), st.sampled_from(["{}", "({})", "{}.", "The answer is {}.", "Answer: {}"]))
def test_a_clear_reply_is_read(letter: str, form: str) -> None:
    assert parse_choice(form.format(letter), ["w", "x", "y", "z"]) == letter


@FUZZ
@given(st.text(max_size=300))
def test_options_written_into_a_question_split_or_stay(question: str) -> None:
    stem, options = split_choices(question)
    assert options == [] and stem == question or len(options) >= 2


@FUZZ
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12)))
def test_time_formatting_takes_any_number(seconds: float) -> None:
    assert re.fullmatch(r"\d{2,}:\d{2}:\d{2}", format_time(seconds))


@FUZZ
@given(st.text(max_size=500))
def test_quoted_evidence_is_one_line_of_data(text: str) -> None:
    line = quote(text)
    assert line.startswith('"') and line.endswith('"') and "\n" not in line and "\r" not in line
    assert not re.search(r"<\|[^|>]{0,40}\|>|\[/?INST\]|</?evidence>", line, re.IGNORECASE)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
question = st.fixed_dictionaries(
    {"qid": json_values, "question": json_values, "options": json_values | st.lists(st.text(max_size=8), max_size=5),
     "answer": json_values | st.sampled_from(list("ABCDa"))},
    optional={"task": json_values, "evidence": json_values, "needle": json_values},
)
question_file = st.fixed_dictionaries({"video": json_values | st.just("movie.mp4"),
                                       "questions": json_values | st.lists(question, max_size=4)})


def _loads_or_says_why(path: Path) -> None:
    try:
        loaded = load_questions(path)
    except ValueError as exc:
        assert str(path) in str(exc)
    else:
        assert isinstance(loaded, QuestionSet)
        for q in loaded.questions:
            assert q.answer in LETTERS[: len(q.options)] and all(math.isfinite(a + b) for a, b in q.evidence)


@FUZZ
@given(st.one_of(json_values, question_file))
def test_question_files_load_or_say_what_is_wrong(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("q") / "questions.json"
    path.write_text(json.dumps(data))
    _loads_or_says_why(path)


@FUZZ
@given(st.binary(max_size=400))
def test_question_files_of_any_bytes_load_or_say_what_is_wrong(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("q") / "questions.json"
    path.write_bytes(data)
    _loads_or_says_why(path)
