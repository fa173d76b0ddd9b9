"""`vidseek eval --benchmark`: the five benchmarks' published formats, written from one set of questions about
generated clips, graded as the native format grades them; missing videos, bad files, resuming, submissions,
Video-MME's subtitle track and an LLM served elsewhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import benchmark_files as bf
from tests.chat_server import chat_server
from tests.helpers import cli
from vidseek.evalsets import BENCHMARKS, FormatError, get
from vidseek.evalsets.base import BenchQuestion
from vidseek.library import Library

COMMON = ["--no-llm", "--device", "cpu", "--sources", "ocr"]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("benchmarks")
    qs = bf.questions()
    return {"root": root, "videos": bf.make_clips(root / "videos"), "lib": root / "lib",
            "videomme": bf.write_videomme(root / "videomme.parquet", qs),
            "lvbench": bf.write_lvbench(root / "video_info.meta.jsonl", qs),
            "mlvu": bf.write_mlvu(root / "mlvu-json", qs),
            "egoschema": bf.write_egoschema(root / "egoschema", qs),
            "nextqa": bf.write_nextqa(root / "val.csv", qs),
            "native": bf.write_native(root, root / "videos", qs)}


@pytest.fixture(scope="module")
def runs(files) -> dict[str, dict]:
    """Every benchmark file through `vidseek eval --benchmark` (NExT-QA first with --limit 3, then whole), and
    each clip's native question file through `vidseek eval`, in one process, one library."""
    root, lib = files["root"], files["lib"]

    def bench(name: str, *extra: str) -> list[str]:
        return ["eval", "--benchmark", name, files[name], "--videos", files["videos"], "-L", lib, *COMMON,
                "--out", root / f"{name}{'-'.join(extra)}.json", *extra]

    commands = [bench("nextqa", "--limit", "3"), bench("nextqa"), bench("videomme"), bench("lvbench"), bench("mlvu"),
                bench("egoschema")]
    commands += [["eval", path, "--no-llm", "-L", lib, "--out", path.with_suffix(".report.json")]
                 for path in files["native"]]
    done = cli(*commands, timeout=600)
    for result in done:
        assert result["code"] == 0 and result["crash"] is None, result
    reports = {name: json.loads((root / f"{name}.json").read_text())
               for name in ("nextqa", "videomme", "lvbench", "mlvu", "egoschema")}
    reports["nextqa-limited"] = json.loads((root / "nextqa--limit-3.json").read_text())
    reports["stdout"] = {name: r["stdout"] for name, r in zip(["nextqa-limited", "nextqa", "videomme", "lvbench",
                                                              "mlvu", "egoschema"], done)}
    native: dict[tuple[str, str], bool] = {}
    by_qid = {f"{q.video}_{q.n}": q for q in bf.questions()}
    for path in files["native"]:
        saved = json.loads(path.with_suffix(".report.json").read_text())
        wrong = {w["qid"] for w in saved["report"]["wrong"]}
        for p in saved["predictions"]:
            q = by_qid[p["qid"]]
            native[(q.video, q.question)] = p["qid"] not in wrong
    reports["native"] = native
    return reports


@pytest.mark.parametrize("name", ["videomme", "lvbench", "mlvu", "egoschema", "nextqa"])
def test_each_benchmark_grades_every_question_as_the_native_format_does(runs, name: str) -> None:
    report, native = runs[name], runs["native"]
    graded = {(Path(r["video"]).stem, r["question"]): r["right"] for r in report["results"]  # MLVU: "1001.mp4"
              if r["right"] is not None}
    assert graded, report
    assert graded == {key: native[key] for key in graded}
    # not vacuous: the text on screen answers the sign questions, the weather ones are not all right
    assert all(right for (_, question), right in graded.items() if "sign" in question)
    assert not all(graded.values())
    assert report["accuracy"] == pytest.approx(sum(graded.values()) / len(graded))


@pytest.mark.parametrize("name", ["videomme", "lvbench", "mlvu", "egoschema", "nextqa"])
def test_missing_videos_are_counted_and_skipped(runs, name: str) -> None:
    report = runs[name]
    asked_of_missing = 1 if name == "egoschema" else sum(q.video == bf.MISSING for q in bf.questions())
    assert [Path(v).stem for v in report["missing_videos"]] == [bf.MISSING]
    assert report["skipped_missing"] == asked_of_missing
    assert bf.MISSING not in {Path(r["video"]).stem for r in report["results"]}
    assert report["answered"] == report["questions"] - asked_of_missing
    assert f"missing videos: 1 not found under --videos ({asked_of_missing} questions skipped)" in runs["stdout"][name]


def test_each_benchmark_reports_its_own_breakdown(runs) -> None:
    assert set(runs["videomme"]["breakdown"]) == {"duration", "task_type", "domain"}
    assert runs["videomme"]["breakdown"]["task_type"]["OCR Problems"] == {"n": 3, "accuracy": 1.0}
    assert runs["videomme"]["subtitles"] == "none"
    capabilities = runs["lvbench"]["breakdown"]["capability"]  # a question with two capabilities counts in both
    assert capabilities["entity recognition"]["n"] == capabilities["reasoning"]["n"] == 3
    assert capabilities["key information retrieval"] == {"n": 3, "accuracy": 1.0}
    tasks = runs["mlvu"]["breakdown"]["task"]
    assert set(tasks) == {"findNeedle", "plotQA"} and tasks["findNeedle"]["accuracy"] == 1.0
    assert runs["mlvu"]["headline"]["M-Avg"] == pytest.approx((tasks["findNeedle"]["accuracy"]
                                                               + tasks["plotQA"]["accuracy"]) / 2)
    assert runs["mlvu"]["left_out"] == {"open-ended (MLVU scores it with a GPT judge)": 1}
    assert runs["nextqa"]["breakdown"]["group"]["descriptive"] == {"n": 3, "accuracy": 1.0}
    assert set(runs["nextqa"]["breakdown"]["group"]) == {"causal", "descriptive"}
    ego = runs["egoschema"]
    assert ego["graded"] == 2 and ego["answered"] == 3 and ego["breakdown"]["set"]["subset"]["n"] == 2


def test_a_rerun_asks_only_the_questions_not_answered(runs) -> None:
    first, whole = runs["nextqa-limited"], runs["nextqa"]
    assert (first["questions"], first["asked_now"], first["answered"]) == (3, 3, 3)
    assert whole["answers_file"] == first["answers_file"]
    assert (whole["asked_now"], whole["answered"]) == (3, 6)  # the three saved answers were not asked again
    saved = [json.loads(line) for line in Path(whole["answers_file"]).read_text().splitlines()]
    assert [s["qid"] for s in saved if "qid" in s] == [r["qid"] for r in whole["results"]]
    assert whole["index"]["indexed_now"] == 1  # the limited run had indexed two of the three clips


def test_out_writes_each_benchmarks_submission(runs) -> None:
    chosen = {name: {r["qid"]: r["choice"] for r in runs[name]["results"]} for name in ("videomme", "egoschema",
                                                                                       "nextqa")}
    template = json.loads(Path(runs["videomme"]["submission_file"]).read_text())
    assert [v["videoID"] for v in template] == ["1001", "1002", "1003", bf.MISSING]
    assert [v["missing"] for v in template] == [False, False, False, True]
    responses = {q["question_id"]: q["response"] for v in template for q in v["questions"]}
    assert {k: v for k, v in responses.items() if k in chosen["videomme"]} == chosen["videomme"]
    assert all(q["options"][0].startswith("A. ") and q["answer"] in "ABCD" for v in template for q in v["questions"])
    with open(runs["egoschema"]["submission_file"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["q_uid"] for r in rows] == ["1001", "1002", "1003"]  # the ungraded one too: Kaggle scores it
    assert [int(r["answer"]) for r in rows] == ["ABCD".index(chosen["egoschema"][r["q_uid"]]) for r in rows]
    results = json.loads(Path(runs["nextqa"]["submission_file"]).read_text())
    assert {k: "ABCDE"[v["prediction"]] for k, v in results.items()} == chosen["nextqa"]
    assert runs["lvbench"]["submission_file"] == runs["mlvu"]["submission_file"] == ""  # no official format


BROKEN = [
    ("nextqa", "val.csv", "video,question,answer,qid,type,a0,a1\n1001,why?,7,0,CW,x,y\n",
     "line 2: 'answer' 7 is not an option number 0–1"),
    ("nextqa", "val.csv", "video,question,answer,qid,a0,a1\n1001,why?,0,0,x,y\n", "line 1: the header lacks column"),
    ("nextqa", "val.csv", "video,question,answer,qid,type,a0,a1\n1001,why?,0,0,ZZ,x,y\n", "line 2: 'type' 'ZZ'"),
    ("nextqa", "val.csv",
     f"video,question,answer,qid,type,a0,a1\n1001,why?,0,0,CW,x,y\n1002,\"{'x' * 200_000}\",0,0,CW,x,y\n",
     "line 3: not CSV (field larger than field limit"),  # csv.Error is no ValueError: it was a traceback
    ("lvbench", "meta.jsonl", '{"key": "a", "qa": []}\n{"key": "b", "qa": [\n', "line 2: not JSON"),
    ("lvbench", "meta.jsonl", '{"key": "a", "qa": [{"uid": "1", "question": "Which?", "answer": "A"}]}\n',
     "line 1 question 1: 'question' holds no options"),
    ("lvbench", "meta.jsonl", '{"key": "a", "qa": [{"uid": "1", "question": "Which?\\n(A) x\\n(B) y", "answer": "C"}]}',
     "line 1 question 1: 'answer' 'C' is not one of A–B"),
    ("videomme", "videomme.json", json.dumps([{**bf.videomme_records(bf.questions())[0], "answer": "F"}]),
     "record 1: 'answer' 'F' is not one of A–D"),
    ("videomme", "videomme.json", json.dumps([{**bf.videomme_records(bf.questions())[0], "duration": "huge"}]),
     "record 1: 'duration' 'huge' is not one of short, medium, long"),
    ("videomme", "videomme.json", json.dumps([{k: v for k, v in bf.videomme_records(bf.questions())[1].items()
                                               if k != "videoID"}]), "record 1: missing 'videoID'"),
    ("mlvu", "4_count.json", json.dumps([{"video": "a.mp4", "question": "How many?", "candidates": ["1", "2"],
                                          "answer": "3"}]), "question 1: 'answer' '3' is not one of the 'candidates'"),
    ("egoschema", "questions.json", json.dumps([{"q_uid": "a", "question": "Why?", "option 0": "x", "option 2": "y"}]),
     "question 1: options must be 'option 0', 'option 1', … without gaps"),
]


@pytest.mark.parametrize(("name", "filename", "text", "message"), BROKEN)
def test_a_malformed_file_is_one_line_naming_the_line_or_field(tmp_path, name, filename, text, message) -> None:
    path = tmp_path / filename
    path.write_text(text)
    with pytest.raises(FormatError) as caught:
        get(name).read(path)
    assert message in str(caught.value) and str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_nextqa_file_past_the_question_cap_is_refused_while_it_is_read(tmp_path, monkeypatch) -> None:
    """Rows are read from the open file and stop at the cap, so a million-row file cannot fill the memory."""
    from vidseek.evalsets import nextqa

    monkeypatch.setattr(nextqa, "MAX_QUESTIONS", 2)
    path = tmp_path / "val.csv"
    rows = "".join(f"{1000 + n},why?,0,0,CW,x,y\n" for n in range(3))
    path.write_text("video,question,answer,qid,type,a0,a1\n" + rows[: rows.rindex("\n", 0, -1) + 1])
    assert len(nextqa.read(path).questions) == 2
    path.write_text("video,question,answer,qid,type,a0,a1\n" + rows)
    with pytest.raises(FormatError, match="holds more than 2 questions: split it"):
        nextqa.read(path)


def test_a_nextqa_field_over_the_csv_limit_is_one_line_and_exit_2(tmp_path) -> None:
    from vidseek.cli import app

    path = tmp_path / "val.csv"
    path.write_text(f"video,question,answer,qid,type,a0,a1\n1001,\"{'x' * 200_000}\",0,0,CW,x,y\n")
    result = CliRunner().invoke(app, ["eval", "--benchmark", "nextqa", str(path), "--videos", str(tmp_path), "-L",
                                      str(tmp_path / "lib")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.exception
    assert result.stderr == f"vidseek: '{path}' line 2: not CSV (field larger than field limit (131072))\n"


def test_the_command_refuses_a_bad_file_or_name_with_one_line_and_exit_2(tmp_path) -> None:
    from vidseek.cli import app

    path = tmp_path / "val.csv"
    path.write_text("video,question,answer,qid,type,a0,a1\n1001,why?,7,0,CW,x,y\n")
    for args, says in ((["nextqa", path, "--videos", tmp_path], "line 2: 'answer' 7 is not an option number"),
                       (["imagenet", path, "--videos", tmp_path], "unknown benchmark 'imagenet'; choose from"),
                       (["nextqa", path], "needs --videos DIR"),
                       (["nextqa", path, "--circular"], "--circular apply to native question files"),
                       (["nextqa", tmp_path / "none.csv", "--videos", tmp_path], "no such file")):
        result = CliRunner().invoke(app, ["eval", "--benchmark", *map(str, args), "-L", str(tmp_path / "lib")])
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and says in result.stderr and result.stderr.startswith("vidseek: ")
    assert list(BENCHMARKS) == ["videomme", "lvbench", "mlvu", "egoschema", "nextqa"]


def test_videomme_subtitle_track_goes_in_as_sidecar_subtitles(tmp_path, files) -> None:
    """`--subtitles DIR` with VIDEO_ID.srt: the cues are the video's evidence, and the report says so."""
    from vidseek import synth

    (tmp_path / "subs").mkdir()
    synth.write_srt([(0.5, 3.5, "The harbor master is Ada Brooks.")], tmp_path / "subs" / "1001.srt")
    record = {**bf.videomme_records(bf.questions())[0], "question": "Who is the harbor master?",
              "options": ["A. Owen Hale", "B. Ada Brooks", "C. Priya Shah"], "answer": "B"}
    questions = tmp_path / "videomme.json"
    questions.write_text(json.dumps([record]))
    args = ["eval", "--benchmark", "videomme", questions, "--videos", files["videos"], "--no-llm", "--device", "cpu",
            "--sources", "subtitle"]
    with_subs, without = cli([*args, "-L", tmp_path / "a", "--subtitles", tmp_path / "subs", "--out",
                              tmp_path / "a.json"], [*args, "-L", tmp_path / "b", "--out", tmp_path / "b.json"])
    assert with_subs["code"] == without["code"] == 0, (with_subs, without)
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["subtitles"] == str(tmp_path / "subs") and f"(subtitles: {tmp_path / 'subs'})" in with_subs["stdout"]
    assert [r["right"] for r in report["results"]] == [True]
    video = files["videos"] / "1001.mp4"
    assert [(e.source, e.text) for e in Library(tmp_path / "a").evidence(video)] == [
        ("subtitle", "The harbor master is Ada Brooks.")]
    plain = json.loads((tmp_path / "b.json").read_text())  # no track: nothing to index, the question skipped
    assert plain["subtitles"] == "none" and plain["results"] == [] and plain["skipped_failed"] == 1
    assert "no subtitle file beside the video" in plain["failed_videos"]["1001"]


def test_llm_url_scores_with_a_model_served_elsewhere(runs, files, tmp_path) -> None:
    with chat_server(lambda body, n: "B") as (url, seen):
        [result] = cli(["eval", "--benchmark", "nextqa", files["nextqa"], "--videos", files["videos"], "-L",
                        files["lib"], "--device", "cpu", "--sources", "ocr", "--limit", "1", "--llm-url", url,
                        "--llm-model", "served", "--out", tmp_path / "r.json"])
    assert result["code"] == 0, result
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["asked_now"] == 1 and report["tokens"] > 0  # not the extractive answers saved before
    assert seen and seen[0]["body"]["model"] == "served"
    assert "Which sign is shown on the screen?" in json.dumps(seen[0]["body"]["messages"])


def test_readers_take_each_benchmarks_other_published_shapes(tmp_path) -> None:
    qs = bf.questions()
    parquet = get("videomme").read(bf.write_videomme(tmp_path / "v.parquet", qs)).questions
    records = bf.videomme_records(qs)
    template = [{"video_id": r["video_id"], "duration": r["duration"], "domain": r["domain"],
                 "sub_category": r["sub_category"], "videoID": r["videoID"],
                 "questions": [{k: q[k] for k in ("question_id", "task_type", "question", "options", "answer")}
                               for q in records if q["video_id"] == r["video_id"]]}
                for r in records if r["question_id"].endswith("-1")]
    (tmp_path / "template.json").write_text(json.dumps(template))
    nested = get("videomme").read(tmp_path / "template.json").questions
    assert [(q.qid, q.video, q.options, q.answer) for q in nested] == [(q.qid, q.video, q.options, q.answer)
                                                                        for q in parquet]
    assert parquet[0].options == qs[0].options  # "A. " taken off: the options are asked as their text
    [first, *_] = get("lvbench").read(bf.write_lvbench(tmp_path / "m.jsonl", qs)).questions
    assert (first.question, first.options, first.evidence) == (qs[0].question, qs[0].options, [(0.0, 4.0)])
    one_task = get("mlvu").read(bf.write_mlvu(tmp_path / "mlvu", qs) / "2_needle.json")
    assert [q.answer for q in one_task.questions] == [q.answer for q in qs if q.on_screen] and not one_task.left_out
    folder = bf.write_egoschema(tmp_path / "ego", qs)
    (tmp_path / "ego" / "subset_answers.json").unlink()
    unanswered = get("egoschema").read(folder)
    assert not any(q.graded for q in unanswered.questions) and "nothing can be scored" in unanswered.notes[0]


def test_a_video_under_two_names_is_asked_through_the_entry_it_repeats() -> None:
    from vidseek.evalsets.run import fingerprints
    from vidseek.pipeline.batch import BatchReport, VideoResult

    report = BatchReport([VideoResult("a.mp4", "indexed", "entry-a"), VideoResult("b.mp4", "duplicate", "content-a"),
                          VideoResult("c.mp4", "failed", error="no video stream")], backend="inline", workers=1)
    assert fingerprints(report, {"entry-a": "content-a"}.get) == {"a.mp4": "entry-a", "b.mp4": "entry-a"}


@pytest.mark.parametrize("relative", [False, True])
def test_a_video_id_that_leads_outside_videos_is_never_opened(tmp_path, monkeypatch, relative) -> None:
    """A benchmark file comes from a third party: an id with `..`, an absolute path or a link that points out of
    --videos is no video (noted by its id), even when a file of the same name lies inside; ids inside work."""
    from vidseek.evalsets.run import find_videos

    videos, outside = tmp_path / "videos", tmp_path / "outside"
    (videos / "sub").mkdir(parents=True)
    outside.mkdir()
    for file in (outside / "s.mp4", videos / "s.mp4", videos / "sub" / "ok.mp4"):
        file.write_bytes(b"x")
    (videos / "link.mp4").symlink_to(outside / "s.mp4")
    (videos / "sub" / "lk.mp4").symlink_to(outside / "s.mp4")  # found by its stem, but it leads out
    escaping = ["../outside/s.mp4", str(outside / "s.mp4"), "link.mp4", "lk", "../outside/s",
                "sub/../../outside/s.mp4", str(outside / "s")]
    inside = {"ok": videos / "sub" / "ok.mp4", "sub/ok.mp4": videos / "sub" / "ok.mp4", "s": videos / "s.mp4",
              "sub/../s.mp4": videos / "sub" / ".." / "s.mp4"}
    questions = [BenchQuestion(video, str(n), "Which?", ["x", "y"], "A")
                 for n, video in enumerate([*escaping, *inside])]
    if relative:  # --videos given relative to the working folder
        monkeypatch.chdir(tmp_path)
        inside = {video: path.relative_to(tmp_path) for video, path in inside.items()}
    located = find_videos(questions, Path("videos") if relative else videos)
    assert located.paths == {**{video: None for video in escaping}, **inside}
    assert located.outside == escaping
    assert located.notes() == [f"video id '{video}' leads outside --videos: not opened, counted as missing"
                               for video in escaping]


def test_the_command_counts_an_escaping_video_id_as_missing_and_says_why(tmp_path) -> None:
    """End to end, LVBench and Video-MME files whose ids lead out of --videos (to a file with subtitles beside
    it): nothing is indexed, the ids are missing videos, and a note names each."""
    (tmp_path / "videos").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "s.mp4").write_bytes(b"not a benchmark video")
    (outside / "s.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nsecret\n")
    qa = [{"uid": "q1", "question": "Which?\n(A) x\n(B) y", "answer": "A", "question_type": ["reasoning"],
           "time_reference": "00:00-00:04"}]
    (tmp_path / "meta.jsonl").write_text(json.dumps({"key": "../outside/s.mp4", "type": "documentary",
                                                     "video_info": {}, "qa": qa}) + "\n")
    record = {**bf.videomme_records(bf.questions())[0], "videoID": str(outside / "s.mp4")}
    (tmp_path / "videomme.json").write_text(json.dumps([record]))
    done = cli(*[["eval", "--benchmark", name, tmp_path / file, "--videos", tmp_path / "videos", "-L",
                  tmp_path / "lib", *COMMON, "--out", tmp_path / f"{name}.json"]
                 for name, file in (("lvbench", "meta.jsonl"), ("videomme", "videomme.json"))])
    for (name, video), result in zip((("lvbench", "../outside/s.mp4"), ("videomme", str(outside / "s.mp4"))), done):
        assert result["code"] == 0 and result["crash"] is None, result
        report = json.loads((tmp_path / f"{name}.json").read_text())
        assert report["missing_videos"] == [video] and report["failed_videos"] == {}
        assert report["index"]["videos"] == 0 and report["results"] == []
        note = f"video id '{video}' leads outside --videos: not opened, counted as missing"
        assert note in report["notes"] and f"note: {note}" in result["stdout"]


def test_a_torn_last_answer_line_is_cut_off_before_the_next_answer_is_appended(tmp_path) -> None:
    """A run killed mid-write leaves half a line; the next answer must start a line of its own, not be glued
    onto it (then both were lost). A last line whole but for its newline is kept and ended."""
    from dataclasses import asdict

    from vidseek.evalsets.run import SavedAnswer, SavedAnswers

    saved = SavedAnswers(tmp_path / "eval" / "nextqa-key.jsonl", {"k": 8})
    saved.add(SavedAnswer("q1", "v", "A"))
    with saved.path.open("a", encoding="utf-8") as fh:
        fh.write('{"qid": "q2", "video": "v", "cho')  # killed here
    saved.add(SavedAnswer("q3", "v", "C"))
    assert set(saved.load()) == {"q1", "q3"}
    assert [list(json.loads(line))[0] for line in saved.path.read_text().splitlines()] == ["settings", "qid", "qid"]
    with saved.path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(SavedAnswer("q4", "v", "D"))))  # killed before its newline
    saved.add(SavedAnswer("q5", "v", "B"))
    assert {q: a.choice for q, a in saved.load().items()} == {"q1": "A", "q3": "C", "q4": "D", "q5": "B"}
    assert saved.path.read_text().endswith("\n") and len(saved.path.read_text().splitlines()) == 5
