from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vidseek.evaluate import Prediction, keywords_match, load_questions, predict, rotate, says_not_there, score, table
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


OPEN = {
    "video": "meeting.mp4",
    "questions": [
        {"qid": "o1", "task": "timing", "question": "When is the launch?", "keywords": [["march"], ["14", "fourteen"]],
         "evidence": [{"start": 50, "end": 55}], "needle": "speech"},
        {"qid": "o2", "task": "owner", "question": "Who owns the supplier deal?", "keywords": [["priya"]],
         "evidence": [{"start": 80, "end": 84}], "split": "heldout"},
        {"qid": "u1", "task": "not-discussed", "question": "What was the price in Japan?", "unanswerable": True},
        {"qid": "m1", "task": "owner", "question": "Who runs the beta?", "options": ["Owen", "Priya", "Not said"],
         "answer": "A", "keywords": [["owen"]], "evidence": [{"start": 120, "end": 124}], "split": "heldout"},
    ],
}


@pytest.fixture
def open_file(tmp_path: Path) -> Path:
    path = tmp_path / "open.json"
    path.write_text(json.dumps(OPEN))
    return path


def test_open_questions_load_without_options(open_file: Path) -> None:
    qset = load_questions(open_file)
    o1, o2, u1, m1 = qset.questions
    assert o1.is_open and o1.options == [] and o1.answer == "" and o1.keywords == [["march"], ["14", "fourteen"]]
    assert u1.unanswerable and u1.is_open and not u1.keywords and u1.evidence == []
    assert not m1.is_open and m1.keywords == [["owen"]]
    assert [q.split for q in qset.questions] == ["dev", "heldout", "dev", "heldout"]
    assert [q.qid for q in load_questions(open_file, split="heldout").questions] == ["o2", "m1"]
    assert [q.qid for q in load_questions(open_file, split="dev").questions] == ["o1", "u1"]
    with pytest.raises(ValueError, match="split must be dev, heldout or all"):
        load_questions(open_file, split="test")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["questions"][0].pop("keywords"), r"missing options, answer \(or 'keywords'"),
    (lambda d: d["questions"][0].update(keywords=[]), "'keywords' must be a non-empty list"),
    (lambda d: d["questions"][0].update(keywords=[["march"], []]), "each 'keywords' group"),
    (lambda d: d["questions"][0].update(keywords=[["the"]]), "'the' has no content words"),
    (lambda d: d["questions"][0].update(unanswerable=True), "either 'keywords' or"),
    (lambda d: d["questions"][2].update(unanswerable="yes"), "'unanswerable' must be true or false"),
    (lambda d: d["questions"][1].update(split="test"), "'split' must be dev or heldout"),
    (lambda d: d["questions"][3].pop("answer"), "missing answer"),
])
def test_bad_open_questions_are_named_and_explained(tmp_path: Path, change, message: str) -> None:
    data = json.loads(json.dumps(OPEN))
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=message) as caught:
        load_questions(path)
    assert str(path) in str(caught.value) and "question" in str(caught.value) and "\n" not in str(caught.value)


def test_keywords_match_every_group_on_content_words() -> None:
    groups = [["march"], ["14", "fourteen"]]
    assert keywords_match("The launch moves to March 14th.", groups)
    assert keywords_match("on the fourteenth of MARCH", [["march"], ["fourteenth"]])
    assert keywords_match("it is March fourteen", groups)  # number words are digits
    assert not keywords_match("The launch moves to March.", groups)
    assert keywords_match("Priya Shah owns it", [["priya shah", "ms shah"]])
    assert not keywords_match("Priya owns it", [["priya shah"]])  # every word of an alternative
    # a citation label's times are not the answer
    assert not keywords_match("The launch moves [00:03:14–00:03:20 speech]", groups)


@pytest.mark.parametrize(("text", "silent"), [
    ("The video does not say.", True), ("That was NOT discussed in the meeting.", True),
    ("It doesn’t say what the price is", True), ("There is no evidence of a Japanese price.", True),
    ("The price is not in the video.", True), ("The indexed evidence holds nothing about this question.", True),
    ("It is never mentioned.", True), ("The price in Japan is 40 dollars.", False), ("Noted, nothing else.", False),
])
def test_unanswerable_answers_must_say_the_video_does_not_hold_it(text: str, silent: bool) -> None:
    assert says_not_there(text) is silent


def test_open_questions_are_graded_and_reported_per_split(open_file: Path) -> None:
    qset = load_questions(open_file)
    preds = [Prediction("o1", None, text="The launch moves to March 14. [00:00:50–00:00:55 speech]",
                        citations=[(50, 55)], retrieved=[(50, 55)]),
             Prediction("o2", None, text="Owen takes it.", citations=[(80, 84)], retrieved=[(80, 84)]),
             Prediction("u1", None, text="The meeting does not say."),
             Prediction("m1", "A", text="A) Owen", citations=[(120, 124)], retrieved=[(120, 124)])]
    report = score(qset, preds, [Evidence("f", 80, 84, "speech", "Priya will own the supplier deal")])
    assert report.accuracy == pytest.approx(3 / 4) and report.unparsed == 0
    assert report.per_split == {"dev": {"n": 2, "accuracy": 1.0, "grounding": 1.0},
                                "heldout": {"n": 2, "accuracy": 0.5, "grounding": 1.0}}
    assert report.per_task_split["owner"]["heldout"] == {"n": 2, "accuracy": 0.5, "grounding": 1.0}
    assert report.per_kind["unanswerable"]["accuracy"] == 1.0
    [w] = report.wrong
    assert w["qid"] == "o2" and w["stage"] == "reasoner got it wrong" and w["predicted"] == "Owen takes it."
    assert w["answer"] == "priya" and w["split"] == "heldout"
    text = table(report)
    assert "dev  heldout" in text and "by split: dev 100% of 2, heldout 50% of 2" in text
    assert "wrong o2 (owner): said 'Owen takes it.', gold priya — reasoner got it wrong" in text
    held = score(qset, preds, split="heldout")
    assert held.questions == 2 and held.split == "heldout" and held.accuracy == 0.5


def test_open_answers_say_where_they_went_wrong(open_file: Path) -> None:
    qset = load_questions(open_file)
    preds = [Prediction("o1", None, text="Sometime in spring.", retrieved=[(50, 55)]),  # heard "march four"
             Prediction("o2", None, text="Owen.", retrieved=[(10, 12)]),  # said, never retrieved
             Prediction("u1", None, text="The price is 40 dollars."),  # made up
             Prediction("m1", None, text="")]
    evidence = [Evidence("f", 50, 54, "speech", "we launch in march on the fourth"),
                Evidence("f", 81, 83, "speech", "Priya will own it")]
    report = score(qset, preds, evidence)
    stages = {w["qid"]: w["stage"] for w in report.wrong}
    assert stages == {"o1": "extractor missed it", "o2": "retrieval missed it", "u1": "reasoner got it wrong",
                      "m1": "unparsed"}
    assert report.extracted == pytest.approx(1 / 3) and report.extracted_of == 3  # o2 held; o1, m1 not


class _Library:
    """Answers like Library.ask, recording what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    def ask(self, question, choices=None, video=None, k=12, llm=None):
        from vidseek.types import Answer

        self.asked.append((question, choices))
        if choices:
            return Answer(question=question, text=f"A) {choices[0]}", choice="A")
        return Answer(question=question, text="It was on March 14.")


def test_predict_asks_open_questions_without_choices(open_file: Path) -> None:
    qset = load_questions(open_file)
    lib = _Library()
    preds = predict(lib, qset, "f", circular=True)
    assert [c for _, c in lib.asked] == [None, None, None, ["Owen", "Priya", "Not said"],
                                         ["Priya", "Not said", "Owen"], ["Not said", "Owen", "Priya"]]
    assert preds[0].text == "It was on March 14." and preds[0].choice is None and preds[0].rotations == []
    assert preds[3].rotations == [True, False, False]
    lib.asked.clear()
    assert [p.qid for p in predict(lib, qset, "f", split="dev")] == ["o1", "u1"] and len(lib.asked) == 2


def test_deeply_nested_json_is_named_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="is nested too deeply"):
        load_questions(path)
    from vidseek.cli import app

    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"vidseek: '{path}' is nested too deeply to be a question file"
