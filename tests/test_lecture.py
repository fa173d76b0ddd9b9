"""The guest-lecture set's plan: the same for a seed, gold spans on the lines and slides that carry each answer,
the corrected figure and the swapped outline really in the script, a heldout third spread over the tasks.
No speech is synthesized and no model runs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from benchmarks.lecture import generate, kokoro
from benchmarks.lecture.questions import ASKED, ASKS, NOT_MENTIONED
from benchmarks.lecture.script import ASKERS, CORRECTED_SLIDE, HOST, LECTURER, LINES, PEOPLE, SLIDES
from vidseek import synth
from vidseek.evaluate import keywords_match, load_questions
from vidseek.pipeline.answer import LETTERS
from vidseek.text import content_words


@pytest.fixture(scope="module")
def plan() -> generate.Plan:
    return generate.plan(0)


def test_the_plan_is_the_same_for_a_seed_and_differs_between_seeds(plan: generate.Plan) -> None:
    assert generate.plan(0) == plan
    other = generate.plan(1)
    assert [line.start for line in other.lines] != [line.start for line in plan.lines]
    assert [(q["split"], q.get("options")) for q in other.questions] != \
        [(q["split"], q.get("options")) for q in plan.questions]
    durations = {line.id: 6.0 for line in LINES}  # measured lengths move the times, nothing else
    fixed = generate.plan(0, durations)
    assert [q["question"] for q in fixed.questions] == [q["question"] for q in plan.questions]
    assert all(line.end - line.start == pytest.approx(6.0) for line in fixed.lines)


def test_a_host_a_lecturer_and_askers_in_different_voices(plan: generate.Plan) -> None:
    by_key = {p.key: p for p in PEOPLE}
    engines = [by_key[key].engine for key in (HOST, LECTURER)]
    assert engines[0] != engines[1] and set(engines) <= {"piper", "kokoro"}
    assert len(ASKERS) >= 3 and sum(by_key[k].engine == "espeak-ng" for k in by_key) == 1
    assert {by_key[k].engine for k in ASKERS} >= {"flite", "festival", "espeak-ng"}
    assert len({(p.engine, p.voice) for p in PEOPLE}) == len(PEOPLE)  # no two people share a voice
    speakers = [line.speaker for line in plan.lines]
    assert speakers[0] == HOST and speakers.count(LECTURER) > len(speakers) / 2
    assert {line.speaker for line in plan.lines if line.id in ASKED} == set(ASKERS)
    first_question = min(line.start for line in plan.lines if line.speaker in ASKERS)
    assert all(line.speaker in (HOST, LECTURER) for line in plan.lines if line.start < first_question)


def test_the_talk_runs_seven_minutes_over_its_slides(plan: generate.Plan) -> None:
    gaps = [b.start - a.end for a, b in zip(plan.lines, plan.lines[1:])]
    assert min(gaps) >= 0.5 - 0.02 and max(gaps) <= 4.0 + 0.02
    assert 6 * 60 <= plan.duration <= 8.5 * 60
    assert plan.slides[0].start == 0.0 and plan.slides[-1].end == plan.duration
    assert all(a.end == b.start for a, b in zip(plan.slides, plan.slides[1:]))
    assert [s.id for s in plan.slides] == [s.id for s in SLIDES]
    assert all(s.start * generate.FPS == int(s.start * generate.FPS) for s in plan.slides)  # on frames
    for line in plan.lines:  # each line is said while its section's slide is up
        slide = next(s for s in plan.slides if s.start <= line.start < s.end)
        assert slide.id == next(x.section for x in LINES if x.id == line.id)
    content = [s for s in SLIDES if s.id not in ("title", "outline", "questions")]
    assert len(content) >= 6 and sum(bool(s.chart) for s in content) >= 3
    assert all(re.search(r"\d", generate.slide_text(s)) for s in content)


def test_the_corrected_figure_is_on_its_slide_and_corrected_aloud_later(plan: generate.Plan) -> None:
    slide = plan.carrier(f"slide:{CORRECTED_SLIDE}")
    correction = plan.carrier("qa.correct")
    assert "2.6" in slide.text and "1.6" not in slide.text and correction.start > slide.end
    assert "one point six" in correction.text and "mistake" in correction.text


def test_the_outline_order_differs_from_the_order_the_slides_come_in() -> None:
    outline = next(s for s in SLIDES if s.id == "outline")
    listed = [b.split(". ", 1)[1] for b in outline.bullets]
    shown = [s.title for s in SLIDES if s.title in listed]
    assert sorted(shown) == sorted(listed) and shown != listed


def test_every_gold_span_lies_on_the_line_or_slide_that_carries_the_answer(plan: generate.Plan) -> None:
    for q, ask in zip(plan.questions, ASKS):
        carriers = [plan.carrier(ref) for ref in ask.carriers]
        assert len(q["evidence"]) == len(carriers), q["qid"]
        for span in q["evidence"]:
            assert any(c.start <= span["start"] < span["end"] <= c.end for c in carriers), q["qid"]
        if ask.keywords:  # the carriers, as written and shown, hold the answer the grader looks for
            assert keywords_match(" ".join(c.text for c in carriers), ask.keywords), q["qid"]
        if ask.needle == "ocr":
            assert all(c.kind == "slide" for c in carriers) and not any(
                keywords_match(line.text, ask.keywords) for line in plan.lines), f"{q['qid']} is not slide-only"
        if ask.timing_of:
            minutes = [int(re.search(r"(\d+):00$", o).group(1)) for o in q["options"]]  # type: ignore[union-attr]
            said = plan.carrier(ask.timing_of).start / 60
            right = minutes[LETTERS.index(q["answer"])]
            assert abs(right - said) <= 0.5 and all(abs(m - said) >= 1.5 for m in minutes if m != right)


def test_questions_paraphrase_and_options_are_shuffled_but_right(plan: generate.Plan) -> None:
    for q, ask in zip(plan.questions, ASKS):
        if ask.carriers:
            said = content_words(" ".join(plan.carrier(ref).text for ref in ask.carriers))
            asked = content_words(q["question"])
            assert len(asked & said) <= len(asked) / 2, f"{q['qid']} copies its carrier: {asked & said}"
        if ask.options:
            assert len(q["options"]) == 4 == len(set(q["options"])) and set(q["options"]) == set(ask.options)
            assert q["options"][LETTERS.index(q["answer"])] == ask.options[0]
    assert len({q["answer"] for q in plan.questions if "answer" in q}) >= 3  # the right letter moves about
    assert sum("options" in q for q in plan.questions) >= 20
    assert sum("options" not in q for q in plan.questions) >= 10
    assert {q["task"] for q in plan.questions} >= {"count", "answer", "who", "reason", "definition", "correction",
                                                   "order", "timing", "on-screen", "not-said"}


def test_the_count_of_askers_and_the_who_questions_match_the_script(plan: generate.Plan) -> None:
    asked = next(q for q in plan.questions if q["task"] == "count" and "people" in q["question"])
    assert q_answer(asked) == str(len(ASKERS))
    names = {p.name.split()[0] for p in PEOPLE}
    for q, ask in zip(plan.questions, ASKS):
        if q["task"] == "who":
            speakers = {line.speaker for line in plan.lines if line.id in ask.carriers}
            named = {p.name.split()[0] for p in PEOPLE if p.key in speakers}
            assert any(keywords_match(name, ask.keywords) for name in named), q["qid"]
            if "options" in q:
                assert set(q["options"]) <= names and q_answer(q) in named


def q_answer(q: dict) -> str:
    return q["options"][LETTERS.index(q["answer"])]


def test_never_said_questions_are_about_what_nobody_says_or_shows(plan: generate.Plan) -> None:
    asked = [q for q in plan.questions if q["task"] == "not-said"]
    assert len(asked) >= 3 and all(q.get("unanswerable") and not q["evidence"] for q in asked)
    assert any(q.get("options") and q_answer(q) == NOT_MENTIONED for q in asked)
    everything = " ".join([line.text for line in plan.lines] + [s.text for s in plan.slides]).lower()
    for word in ("oak tree", "maple tree", "plane", "lime", "birch", "sensors cost", "college"):
        assert word not in everything


def test_heldout_is_about_a_third_and_spread_over_tasks() -> None:
    for seed in range(5):
        questions = generate.plan(seed).questions
        heldout = [q for q in questions if q["split"] == "heldout"]
        assert abs(len(heldout) / len(questions) - 1 / 3) <= 0.05
        for task in {q["task"] for q in questions}:
            splits = {q["split"] for q in questions if q["task"] == task}
            assert splits == {"dev", "heldout"}, (seed, task)


def test_the_question_file_is_one_the_evaluator_reads(plan: generate.Plan, tmp_path: Path) -> None:
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(generate.question_file(plan, "lecture.mp4")))
    qset = load_questions(path)
    assert len(qset.questions) == len(ASKS) and qset.video == tmp_path / "lecture.mp4"
    assert len(load_questions(path, split="heldout").questions) == sum(q["split"] == "heldout"
                                                                        for q in plan.questions)
    assert sum(q.is_open for q in qset.questions) >= 10


def test_slides_render_at_the_video_size() -> None:
    for n, slide in enumerate(SLIDES):
        picture = generate.render_slide(slide, n + 1, len(SLIDES))
        assert picture.shape == (generate.SIZE[1], generate.SIZE[0], 3) and picture.std() > 10


def test_a_missing_kokoro_is_one_line_naming_the_setup_script(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIDSEEK_VOICES", str(tmp_path / "no-voices"))
    monkeypatch.setattr(sys, "argv", ["generate", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as caught:
        generate.main()
    message = str(caught.value.code)
    assert "\n" not in message and "Kokoro" in message and kokoro.SETUP in message
    assert not (tmp_path / "out").exists()


def test_a_missing_engine_is_one_line_naming_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(kokoro, "check", lambda voices: None)
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "argv", ["generate", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as caught:
        generate.main()
    message = str(caught.value.code)
    assert "\n" not in message and "apt-get install" in message
    assert not (tmp_path / "out").exists()
