"""The film set's plan: the same for a seed, gold spans on the lines, cards, inserts and scenes that carry each
answer, every picture change a cut, a heldout third spread over the tasks. No speech is synthesized."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchmarks.film import generate, voices
from benchmarks.film.questions import ASKS, NEVER_SAID
from benchmarks.film.script import BEATS, LINES, PEOPLE
from vidseek import synth
from vidseek.evaluate import keywords_match, load_questions
from vidseek.extractors.subtitles import _SPEAKER_PREFIX
from vidseek.pipeline.answer import LETTERS
from vidseek.text import content_words
from vidseek.types import Frame
from vidseek.video import scene_cuts


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


def test_the_film_has_chapters_scenes_inserts_and_named_voices_of_several_engines(plan: generate.Plan) -> None:
    assert 4 * 60 <= plan.duration <= 6 * 60
    kinds = [p.kind for p in plan.pictures]
    assert kinds.count("scene") >= 6 and kinds.count("card") >= 7 and kinds.count("shot") >= 5
    assert len({p.id for p in plan.pictures if p.kind == "scene"}) == kinds.count("scene")
    speakers = {line.speaker for line in plan.lines}
    named = {p.key for p in PEOPLE if p.engine != "recording"}
    assert len(speakers & named) >= 4 and "recording" in speakers
    assert {p.engine for p in PEOPLE} >= {"piper", "festival", "flite", "kokoro"}
    assert "espeak-ng" not in {p.engine for p in PEOPLE}
    gaps = [b.start - a.end for a, b in zip(plan.lines, plan.lines[1:])]
    assert min(gaps) >= 0 and max(gaps) - min(gaps) > 1.5  # turns never overlap, pauses vary
    for line in plan.lines:  # nobody speaks over a card or an insert: those are picture-only
        for pic in plan.pictures:
            if pic.kind != "scene":
                assert line.end <= pic.start or line.start >= pic.end, (line.id, pic.id)
    assert all(t * generate.FPS == int(t * generate.FPS) for t, _ in plan.cuts)  # on frames
    assert plan.cuts[0][0] == 0.0 and all(a[0] < b[0] for a, b in zip(plan.cuts, plan.cuts[1:]))


def test_every_picture_change_is_a_cut_the_shot_detector_finds(plan: generate.Plan) -> None:
    pictures = {ref: generate.picture(plan, ref) for ref in {ref for _, ref in plan.cuts}}
    assert all(image.shape == (generate.SIZE[1], generate.SIZE[0], 3) for image in pictures.values())
    frames = [Frame(float(n), pictures[ref]) for n, (_, ref) in enumerate(plan.cuts)]
    assert scene_cuts(frames) == [float(n) for n in range(1, len(frames))]


def test_every_gold_span_lies_on_what_carries_the_answer(plan: generate.Plan) -> None:
    names = {p.key: p.name for p in PEOPLE}
    for q, ask in zip(plan.questions, ASKS):
        carriers = [plan.carrier(ref) for ref in ask.carriers]
        assert len(q["evidence"]) == len(carriers), q["qid"]
        for span, c in zip(q["evidence"], carriers):
            assert c.start <= span["start"] < span["end"] <= c.end, q["qid"]
        if ask.keywords:  # the carriers, as written and shown and with who says them, hold the answer
            held = " ".join(f"{names.get(c.speaker, '')}: {c.text}" for c in carriers)
            assert keywords_match(held, ask.keywords), q["qid"]
        if ask.task in ("on-screen", "picture"):  # only on screen or only in a picture: nobody says it
            assert all(c.kind in ("shot", "scene") for c in carriers) and not any(
                keywords_match(line.text, ask.keywords) for line in plan.lines), f"{q['qid']} is said aloud"


def test_questions_paraphrase_and_options_are_shuffled_but_right(plan: generate.Plan) -> None:
    for q, ask in zip(plan.questions, ASKS):
        said = [plan.carrier(ref) for ref in ask.carriers if plan.carrier(ref).kind == "speech"]
        if said:
            asked = content_words(q["question"])
            copied = asked & content_words(" ".join(line.text for line in said))
            assert len(copied) <= len(asked) / 2, f"{q['qid']} copies its carrier: {copied}"
        if ask.options:
            assert len(q["options"]) == 4 == len(set(q["options"])) and set(q["options"]) == set(ask.options)
            assert q["options"][LETTERS.index(q["answer"])] == ask.options[0]
    assert len({q["answer"] for q in plan.questions if "answer" in q}) >= 3  # the right letter moves about
    choice = [q for q in plan.questions if "options" in q]
    open_ = [q for q in plan.questions if "options" not in q]
    assert len(choice) >= 20 and len(open_) >= 10
    assert {q["task"] for q in plan.questions} >= {"who-said", "to-whom", "after", "scenes", "ending",
                                                   "on-screen", "picture", "not-said"}


def test_who_said_needs_the_speaker_and_to_whom_the_name_said_to_them(plan: generate.Plan) -> None:
    names = {p.key: p.name.split()[0].lower() for p in PEOPLE}
    asked = 0
    for q, ask in zip(plan.questions, ASKS):
        lines = [plan.carrier(ref) for ref in ask.carriers if plan.carrier(ref).kind == "speech"]
        if ask.task not in ("who-said", "to-whom") or not lines:
            continue
        asked += 1
        said = lines[0]  # the line the question is about: its words do not name who says it
        assert names[said.speaker] not in said.text.lower(), q["qid"]
        if ask.task == "who-said":
            assert keywords_match(names[said.speaker], ask.keywords[:1]), q["qid"]
        else:  # the listener is called by name in the words ("…, Leo")
            assert any(keywords_match(" ".join(line.text for line in lines), (group,)) for group in ask.keywords)
    assert asked >= 9


def test_not_said_questions_are_about_what_nobody_says_or_shows(plan: generate.Plan) -> None:
    asked = [q for q in plan.questions if q["task"] == "not-said"]
    assert len(asked) >= 3 and all(q.get("unanswerable") and not q["evidence"] for q in asked)
    assert any(q.get("options") and q["options"][LETTERS.index(q["answer"])] == NEVER_SAID for q in asked)
    everything = " ".join([line.text for line in plan.lines] + [p.text for p in plan.pictures]).lower()
    for word in ("collar", "ticket", "tickets", "ruth"):
        assert word not in everything
    holloway = [line.text for line in plan.lines if "Holloway" in line.text]
    assert holloway and not any(name in text for text in holloway for name in ("Martha", "Ruth"))


def test_heldout_is_about_a_third_of_each_kind_and_spread_over_tasks() -> None:
    for seed in range(5):
        questions = generate.plan(seed).questions
        heldout = [q for q in questions if q["split"] == "heldout"]
        assert abs(len(heldout) / len(questions) - 1 / 3) <= 0.05
        for task in {q["task"] for q in questions}:
            splits = {q["split"] for q in questions if q["task"] == task}
            assert splits == {"dev", "heldout"}, (seed, task)
        choice = [q for q in questions if "options" in q]
        graded = [q for q in questions if "options" not in q and not q.get("unanswerable")]  # open, by keywords
        for kind in (choice, graded):
            assert abs(sum(q["split"] == "heldout" for q in kind) - len(kind) / 3) <= 1, seed


def test_the_question_file_is_one_the_evaluator_reads(plan: generate.Plan, tmp_path: Path) -> None:
    path = tmp_path / "questions.json"
    path.write_text(json.dumps(generate.question_file(plan, "film.mp4")))
    qset = load_questions(path)
    assert len(qset.questions) == len(ASKS) and qset.video == tmp_path / "film.mp4"
    assert len(load_questions(path, split="heldout").questions) == sum(q["split"] == "heldout"
                                                                        for q in plan.questions)
    assert sum(q.is_open for q in qset.questions) >= 10


def test_subtitles_cover_the_first_chapters_and_tag_some_cues_with_the_speaker(plan: generate.Plan) -> None:
    cues = generate.subtitle_cues(plan)
    subtitled = [line for line in plan.lines if line.chapter in generate.SUBTITLED]
    assert 0 < len(cues) == len(subtitled) < len(plan.lines)
    tagged = [text for _, _, text in cues if _SPEAKER_PREFIX.match(text)]
    assert 0 < len(tagged) < len(cues)
    assert all(text.split(":")[0] in {"NORA", "LEO", "FRANK", "MARTHA", "SAM"} for text in tagged)
    assert [(s, e) for s, e, _ in cues] == [(line.start, line.end) for line in subtitled]


def test_the_script_lists_every_beat_once() -> None:
    ids = [b.id for b in BEATS]
    assert len(ids) == len(set(ids)) and BEATS[0].kind == "card" and BEATS[-1].kind == "card"


def test_a_missing_voice_is_one_line_naming_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIDSEEK_VOICES", str(tmp_path / "no-voices"))
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "argv", ["generate", "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as caught:
        generate.main()
    message = str(caught.value.code)
    assert "\n" not in message and "missing voice" in message and ("apt-get install" in message or
                                                                    voices.SETUP in message)
    assert not (tmp_path / "out").exists()


def test_kokoro_missing_names_the_setup_script(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIDSEEK_VOICES", str(tmp_path))
    with pytest.raises(synth.VoiceMissing, match="fetch_voices.sh"):
        voices.kokoro([("jf_alpha", "hello")])
    with pytest.raises(synth.VoiceMissing, match="fetch_voices.sh"):
        voices.recording("queue-periodic-announce")
