"""The meeting set's plan: the same for a seed, gold spans on the lines and slides that carry each answer,
a heldout third spread over the tasks. No speech is synthesized and no model runs."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.meeting import generate
from benchmarks.meeting.questions import ASKS, NOT_DISCUSSED
from benchmarks.meeting.script import LINES, PEOPLE, SLIDES
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
    durations = {line.id: 2.0 for line in LINES}  # measured lengths move the times, nothing else
    fixed = generate.plan(0, durations)
    assert [q["question"] for q in fixed.questions] == [q["question"] for q in plan.questions]
    assert all(line.end - line.start == pytest.approx(2.0) for line in fixed.lines)


def test_turns_take_turns_with_varied_pauses_and_slides_cover_the_meeting(plan: generate.Plan) -> None:
    gaps = [b.start - a.end for a, b in zip(plan.lines, plan.lines[1:])]
    assert min(gaps) >= 0.5 - 0.02 and max(gaps) <= 4.0 + 0.02 and max(gaps) - min(gaps) > 2.5
    assert 7.5 * 60 <= plan.duration <= 10.5 * 60
    assert plan.slides[0].start == 0.0 and plan.slides[-1].end == plan.duration
    assert all(a.end == b.start for a, b in zip(plan.slides, plan.slides[1:]))
    assert [s.id for s in plan.slides] == [s.id for s in SLIDES]
    assert all(s.start * generate.FPS == int(s.start * generate.FPS) for s in plan.slides)  # on frames
    for line in plan.lines:  # each line is said while its section's slide is up
        slide = next(s for s in plan.slides if s.start <= line.start < s.end)
        assert slide.id == next(x.section for x in LINES if x.id == line.id)
    engines = {p.engine for p in PEOPLE}
    assert "espeak-ng" in engines and len(engines - {"espeak-ng"}) >= 2 and len({p.key for p in PEOPLE}) >= 3


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
    choice = sum("options" in q for q in plan.questions)
    assert 0.35 <= choice / len(plan.questions) <= 0.65 and 28 <= len(plan.questions) <= 36
    tasks = {q["task"] for q in plan.questions}
    assert tasks >= {"decision", "owner", "number", "reason", "order", "timing", "on-screen", "count",
                     "not-discussed"}


def test_not_discussed_questions_are_about_what_nobody_says_or_shows(plan: generate.Plan) -> None:
    asked = [q for q in plan.questions if q["task"] == "not-discussed"]
    assert len(asked) >= 2 and all(q.get("unanswerable") and not q["evidence"] for q in asked)
    assert any(q.get("options") and q["options"][LETTERS.index(q["answer"])] == NOT_DISCUSSED for q in asked)
    everything = " ".join([line.text for line in plan.lines] + [s.text for s in plan.slides]).lower()
    for word in ("price", "priced", "courier", "canada", "canadian"):
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
    path.write_text(json.dumps(generate.question_file(plan, "meeting.mp4")))
    qset = load_questions(path)
    assert len(qset.questions) == len(ASKS) and qset.video == tmp_path / "meeting.mp4"
    assert len(load_questions(path, split="heldout").questions) == sum(q["split"] == "heldout"
                                                                        for q in plan.questions)
    assert sum(q.is_open for q in qset.questions) >= 12


def test_slides_render_at_the_video_size() -> None:
    picture = generate.render_slide(SLIDES[3], 4, len(SLIDES))
    assert picture.shape == (generate.SIZE[1], generate.SIZE[0], 3) and picture.std() > 10


def test_a_missing_engine_is_one_line_naming_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "argv", ["generate", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as caught:
        generate.main()
    message = str(caught.value.code)
    assert "\n" not in message and "espeak-ng" in message and "apt-get install" in message
    assert not (tmp_path / "out").exists()


def test_every_engine_is_resampled_to_one_rate() -> None:
    second = np.sin(np.linspace(0, 2 * np.pi * 220, 16_000, endpoint=False)).astype(np.float32)
    out = synth.resample(second, 16_000)
    assert out.dtype == np.float32 and len(out) == synth.AUDIO_RATE
    assert len(synth.resample(second, 32_000)) == synth.AUDIO_RATE // 2  # half a second at 32 kHz
    assert np.array_equal(synth.resample(out, synth.AUDIO_RATE), out)
