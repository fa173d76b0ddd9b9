from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.niah import generate
from vidseek import video
from vidseek.evaluate import load_questions


def test_plans_are_deterministic_per_seed() -> None:
    assert generate.plan(10, seed=4) == generate.plan(10, seed=4)
    assert generate.plan(10, seed=4).needles != generate.plan(10, seed=5).needles


def test_plan_asks_every_task_about_needles_that_do_not_overlap() -> None:
    p = generate.plan(10, seed=0)
    assert {q["task"] for q in p.questions} == {"retrieval", "timing", "ordering", "counting"}
    spans = sorted((n.start, n.end) for n in p.needles)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert all(n.start > 0 and n.end < 600 for n in p.needles)
    for q in p.questions:
        assert len(q["options"]) == 4 and len(set(q["options"])) == 4 and q["answer"] in "ABCD"


@pytest.fixture(scope="module")
def one_minute(tmp_path_factory) -> tuple[Path, Path]:
    return generate.build(1, 3, tmp_path_factory.mktemp("niah"))


def test_needles_sit_exactly_where_the_question_file_says(one_minute) -> None:
    movie, questions = one_minute
    data = json.loads(questions.read_text())
    assert load_questions(questions).video == movie
    p = generate.plan(1, 3)
    frames = generate.footage_frames()
    script = generate.script(p, frames)
    step = 1 / generate.FPS
    with video.FrameReader(movie, fps=generate.FPS) as reader:
        decoded = {round(f.time, 3): f.image.astype(int) for f in reader.read(0, 60)}
    for needle in (n for n in p.needles if n.kind != "speech"):
        inside, before, after = needle.start, needle.start - step, needle.end
        for t in (inside, before, after):
            drawn = generate.synth.render_frame(script, t).astype(int)
            assert np.abs(decoded[round(t, 3)] - drawn).mean() < 6  # the file shows what the plan draws at t
        without = generate.script(dataclasses.replace(p, needles=[n for n in p.needles if n is not needle]), frames)
        for t, shown in ((before, False), (inside, True), (after - step, True), (after, False)):
            d_with = np.abs(decoded[round(t, 3)] - generate.synth.render_frame(script, t).astype(int)).mean()
            d_without = np.abs(decoded[round(t, 3)] - generate.synth.render_frame(without, t).astype(int)).mean()
            # inside the needle's span the file shows it, and only there
            assert (d_with + 2 < d_without) if shown else (d_with == pytest.approx(d_without))
    assert data["needles"] == [vars(n) for n in p.needles] and len(data["questions"]) == len(p.questions)
