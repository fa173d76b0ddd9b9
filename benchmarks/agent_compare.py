"""quick vs agent vs auto on whole-video and after/before questions about the meeting (benchmarks/meeting).

    python -m benchmarks.agent_compare [--seed 0] [--out DIR] [--llm qwen1.5b]

The meeting's spoken lines are written as subtitles at the times the meeting plan places them, on a silent
video of the same length (the speech engines the full set needs are not on every machine, and this compares
answering, not extraction). Slides are left out. "quick (no memory)" asks a second library holding the same
evidence and no summary; "quick" asks the summarized one, where chapter and synopsis rows are retrievable
too. Each question is asked quick and agent; auto is what `--mode auto` does with those two answers (quick,
or the agent when `needs_agent` says the quick answer is weak). The summary (chapters + synopsis) is built
once and its build time kept: the agent's memory cost.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.meeting import generate
from vidseek import synth
from vidseek.evaluate import keywords_match
from vidseek.library import Library, LLMSettings
from vidseek.modes import needs_agent

# (task, question, keyword groups): written for this comparison, never tuned on
QUESTIONS = [
    ("whole", "What is this meeting about?", [["launch"], ["beacon", "light", "lights"]]),
    ("whole", "List the decisions made in the meeting.", [["march", "14", "fourteenth"], ["print", "magazine", "72",
                                                                                      "seventy"], ["strap"]]),
    ("whole", "Which topics did the meeting cover?", [["budget"], ["marketing"], ["firmware"],
                                                      ["retail", "partners", "stores", "shops"]]),
    ("after/before", "What was discussed right after the budget was agreed?", [["marketing", "testers", "beta"]]),
    ("after/before", "What was discussed right after the firmware?",
     [["retail", "partners", "contracts", "cyclehub", "spoke"]]),
    ("after/before", "What was discussed just before the actions were read back?",
     [["retail", "display", "stands", "velo", "web", "spoke", "contract"]]),
]


def build(seed: int, out: Path) -> Path:
    plan = generate.plan(seed, generate.estimated_durations())
    out.mkdir(parents=True, exist_ok=True)
    video = out / "meeting-text.mp4"
    if not video.exists():
        synth.write_video(synth.Script(duration=plan.duration, size=(64, 48), fps=1, audio=False), video)
    synth.write_srt([(p.start, p.end, p.text) for p in plan.lines], out / "meeting-text.srt")
    return video


def niah(questions: Path, llm: LLMSettings, out: Path) -> None:
    """quick vs agent vs auto on a NIAH question file whose video is indexed in $VIDSEEK_LIBRARY."""
    from vidseek.evaluate import Prediction, is_right, load_questions

    qset = load_questions(questions)
    lib = Library(device="cpu")
    fp = lib.find(qset.video).video.fingerprint
    duration = lib.find(qset.video).video.duration
    rows = []
    for q in qset.questions:
        row: dict = {"qid": q.qid, "task": q.task, "split": q.split}
        for mode in ("quick", "agent"):
            t = time.perf_counter()
            answer = lib.ask(q.question, q.options or None, video=fp, llm=llm, mode=mode)
            right = is_right(q, Prediction(q.qid, answer.choice, answer.text))
            row[mode] = {"right": right, "seconds": round(time.perf_counter() - t, 1), "text": answer.text[:160],
                         "trace": answer.details.get("trace"), "notes": answer.notes}
            if mode == "quick":
                row["auto_why"] = needs_agent(answer, lib.search(q.question, 12, fp), {fp: duration})
        chosen = row["agent"] if row["auto_why"] else row["quick"]
        extra = row["agent"]["seconds"] if row["auto_why"] else 0
        row["auto"] = {"right": chosen["right"], "seconds": round(row["quick"]["seconds"] + extra, 1)}
        rows.append(row)
        print(json.dumps({k: row[k] if k in {"qid", "task", "auto_why", "auto"} else
                          (row[k]["right"], row[k]["seconds"]) if isinstance(row[k], dict) else row[k]
                          for k in row}), flush=True)
    (out / "report-niah.json").write_text(json.dumps(rows, indent=1))
    for mode in ("quick", "agent", "auto"):
        print(mode, sum(r[mode]["right"] for r in rows), "of", len(rows),
              round(sum(r[mode]["seconds"] for r in rows) / len(rows), 1), "s/question")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/agent_out"))
    parser.add_argument("--llm", default=None)
    parser.add_argument("--niah", type=Path, help="a NIAH questions.json instead (its video indexed in "
                                                   "$VIDSEEK_LIBRARY)")
    args = parser.parse_args()
    if args.niah:
        args.out.mkdir(parents=True, exist_ok=True)
        niah(args.niah, LLMSettings(args.llm), args.out)
        return
    video = build(args.seed, args.out)
    lib = Library(args.out / "library", device="cpu")
    lib.index(video, sources=["subtitle"])
    fp = lib.find(video).video.fingerprint
    llm = LLMSettings(args.llm)
    # quick with no memory: the same evidence in a library whose video was never summarized
    plain = Library(args.out / "library-plain", device="cpu")
    plain.index(video, sources=["subtitle"])
    plain_quick = {}
    for _, question, keywords in QUESTIONS:
        t = time.perf_counter()
        answer = plain.ask(question, video=fp, llm=llm)
        plain_quick[question] = {"text": answer.text, "right": keywords_match(answer.text, keywords),
                                 "seconds": round(time.perf_counter() - t, 1)}
    summary = lib.summary(fp, llm)  # built once (cached after: its build time is kept in it)
    built = summary.seconds
    duration = lib.find(video).video.duration
    rows = []
    for task, question, keywords in QUESTIONS:
        row = {"task": task, "question": question, "quick (no memory)": plain_quick[question]}
        for mode in ("quick", "agent"):
            t = time.perf_counter()
            answer = lib.ask(question, video=fp, llm=llm, mode=mode)
            row[mode] = {"text": answer.text, "right": keywords_match(answer.text, keywords),
                         "seconds": round(time.perf_counter() - t, 1), "notes": answer.notes,
                         "trace": answer.details.get("trace"), "auto": "", "mode": answer.mode}
            if mode == "quick":
                hits = lib.search(question, 12, fp)
                row["auto_why"] = needs_agent(answer, hits, {fp: duration})
        chosen = row["agent"] if row["auto_why"] else row["quick"]
        extra = row["agent"]["seconds"] if row["auto_why"] else 0
        row["auto"] = {"right": chosen["right"], "seconds": round(row["quick"]["seconds"] + extra, 1)}
        rows.append(row)
        print(json.dumps({k: (v if k in {"task", "question", "auto_why", "auto"} else
                              {"right": v["right"], "seconds": v["seconds"], "text": v["text"][:160]})
                          for k, v in row.items()}), flush=True)
    report = {"duration_s": duration, "summary_seconds": round(built, 1), "chapters": len(summary.chapters),
              "llm_calls": summary.llm_calls, "summary": summary.to_dict(), "rows": rows}
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("duration_s", "summary_seconds", "chapters", "llm_calls")}))
    for task in ("whole", "after/before"):
        mine = [r for r in rows if r["task"] == task]
        print(task, {m: (sum(r[m]["right"] for r in mine), round(sum(r[m]["seconds"] for r in mine) / len(mine), 1))
                     for m in ("quick (no memory)", "quick", "agent", "auto")})


if __name__ == "__main__":
    main()
