from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidseek.evaluate import Prediction, load_questions, rotate, score, table
from vidseek.types import Evidence

QUESTIONS = {
    "video": "movie.mp4",
    "questions": [
        {"qid": "r1", "task": "retrieval", "question": "What code?", "options": ["A1", "B2", "C3", "D4"],
         "answer": "B", "evidence": [{"start": 10, "end": 14}], "needle": "ocr"},
        {"qid": "t1", "task": "timing", "question": "When?", "options": ["early", "late"], "answer": "a",
         "evidence": [{"start": 100, "end": 104}], "needle": "speech"},
        {"qid": "c1", "task": "counting", "question": "How many?", "options": ["1", "2", "3"], "answer": "C",
         "evidence": [{"start": 200, "end": 201}, {"start": 300, "end": 301}]},
    ],
}


@pytest.fixture
def qfile(tmp_path: Path) -> Path:
    path = tmp_path / "q.json"
    path.write_text(json.dumps(QUESTIONS))
    return path


def test_question_file_loads_with_the_video_beside_it(qfile: Path) -> None:
    qset = load_questions(qfile)
    assert qset.video == qfile.parent / "movie.mp4"
    assert [q.answer for q in qset.questions] == ["B", "A", "C"]
    assert qset.questions[2].evidence == [(200.0, 201.0), (300.0, 301.0)]


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("video"), "'video' must name"),
    (lambda d: d["questions"][0].update(answer="E"), "answer 'E' is not one of A–D"),
    (lambda d: d["questions"][0].update(options=["only one"]), "'options' must be 2 to"),
    (lambda d: d["questions"][1].update(qid="r1"), "qid 'r1' is used twice"),
    (lambda d: d["questions"][0].pop("question"), "missing question"),
    (lambda d: d["questions"][0].update(evidence=[{"start": "x"}]), "numeric 'start' and 'end'"),
    (lambda d: d["questions"][0].update(question="  "), "question 1: the question is empty"),
    (lambda d: d["questions"][0].update(question=["a list"]), "question 1: the question is empty"),
    (lambda d: d["questions"][0].update(options=["x", " "]), "question 1: option B is empty"),
])
def test_bad_question_files_are_named_and_explained(tmp_path: Path, change, message: str) -> None:
    data = json.loads(json.dumps(QUESTIONS))
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=message):
        load_questions(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="is not JSON"):
        load_questions(path)


def test_perfect_predictions_score_full_marks(qfile: Path) -> None:
    qset = load_questions(qfile)
    preds = [Prediction(q.qid, q.answer, citations=[q.evidence[0]], retrieved=list(q.evidence), seconds=1.0,
                        tokens=5) for q in qset.questions]
    report = score(qset, preds)
    assert report.accuracy == 1.0 and report.grounding == 1.0 and report.wrong == [] and report.unparsed == 0
    assert report.per_task["timing"] == {"n": 1, "accuracy": 1.0, "grounding": 1.0}
    assert report.seconds_per_question == 1.0 and report.tokens == 15
    assert "overall         3      100%       100%" in table(report)


def test_all_wrong_predictions_say_where_each_went_wrong(qfile: Path) -> None:
    qset = load_questions(qfile)
    preds = [Prediction("r1", "A", citations=[(50, 52)], retrieved=[(50, 52)]),  # needle never retrieved
             Prediction("t1", "B", citations=[(100, 104)], retrieved=[(100, 104)]),  # retrieved, reasoned wrong
             Prediction("c1", "A", citations=[(400, 401)], retrieved=[(400, 401)])]
    evidence = [Evidence("f", 10, 14, "ocr", "code B2"), Evidence("f", 100, 104, "speech", "late")]
    report = score(qset, preds, evidence)
    assert report.accuracy == 0.0 and report.grounding == pytest.approx(1 / 3)
    stages = {w["qid"]: w["stage"] for w in report.wrong}
    assert stages == {"r1": "retrieval missed it", "t1": "reasoner got it wrong", "c1": "extractor missed it"}
    assert report.per_needle["ocr"]["accuracy"] == 0.0


def test_unparseable_and_missing_predictions_count_as_wrong(qfile: Path) -> None:
    qset = load_questions(qfile)
    report = score(qset, [Prediction("r1", None, text="hmm")])
    assert report.accuracy == 0.0 and report.unparsed == 3
    assert {w["stage"] for w in report.wrong} == {"unparsed"}


def test_circular_needs_every_rotation_right(qfile: Path) -> None:
    assert rotate(["a", "b", "c", "d"], "B", 1) == (["b", "c", "d", "a"], "A")
    assert rotate(["a", "b", "c", "d"], "B", 3) == (["d", "a", "b", "c"], "C")
    qset = load_questions(qfile)
    preds = [Prediction("r1", "B", rotations=[True, True, False, True]),
             Prediction("t1", "A", rotations=[True, True]), Prediction("c1", "C", rotations=[True] * 3)]
    report = score(qset, preds)
    assert report.circular and report.accuracy == pytest.approx(2 / 3)


def test_eval_command_runs_every_question(needle_library, needle_video: Path, tmp_path: Path) -> None:
    from vidseek.cli import app

    questions = tmp_path / "q.json"
    questions.write_text(json.dumps({"video": str(needle_video), "questions": [
        {"qid": "w", "task": "retrieval", "question": "What code is written on the screen?",
         "options": ["HERON 7777", "PELICAN 4821"], "answer": "B", "evidence": [{"start": 3, "end": 7}]},
        {"qid": "m", "task": "retrieval", "question": "When is the meeting moved to?",
         "options": ["Thursday afternoon", "Monday"], "answer": "A", "evidence": [{"start": 22, "end": 25}]}]}))
    out = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["eval", str(questions), "--no-llm", "--out", str(out),
                                      "-L", str(needle_library.path)])
    assert result.exit_code == 0, result.output
    assert "overall         2      100%       100%" in result.stdout
    saved = json.loads(out.read_text())
    assert saved["report"]["accuracy"] == 1.0 and [p["qid"] for p in saved["predictions"]] == ["w", "m"]
    bad = CliRunner().invoke(app, ["eval", str(tmp_path / "none.json")])
    assert bad.exit_code == 2 and "cannot read" in bad.stderr


def test_deeply_nested_json_is_named_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="is nested too deeply"):
        load_questions(path)
    from vidseek.cli import app

    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"vidseek: '{path}' is nested too deeply to be a question file"
