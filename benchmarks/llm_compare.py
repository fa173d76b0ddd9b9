"""The reasoners side by side on one question set: accuracy per task and split, seconds and peak memory.

    python -m benchmarks.llm_compare QUESTIONS.json --library LIB [--llm none smollm2 qwen0.5b qwen1.5b]
        [--split dev|heldout|all] [--summarize] [--set KEY=VALUE ...] [--out DIR]

Each LLM runs in a process of its own (the video must already be indexed into LIB), so its peak memory is
its own and a crash costs one row. Every prediction keeps `details` (the LLM's own letter, the extractive
lead and its margin, a rule that fired), from which the script also prints what each overrule margin and the
order/count rules would have scored, on the same replies: that is how the defaults in ReasonerSettings were
chosen (on the dev split only). Writes DIR/compare-NAME.json per LLM.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from vidseek import evaluate as ev

MARGINS = (0.15, 0.25, 0.35, 0.5, 1.01)  # 1.01: never overrule


def settings_from(pairs: list[str]) -> dict[str, Any]:
    """`--set option_orders=1 compact=false` as ReasonerSettings overrides, typed like the fields' defaults."""
    from vidseek.pipeline.answer import ReasonerSettings

    defaults = asdict(ReasonerSettings())
    found: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in defaults:
            raise SystemExit(f"--set: no ReasonerSettings field {key!r} ({', '.join(defaults)})")
        kind = type(defaults[key])
        found[key] = value.lower() in {"1", "true", "on", "yes"} if kind is bool else kind(value)
    return found


def answer_rows(qset: ev.QuestionSet, predictions: list[dict]) -> dict[str, str]:
    """Per kind right/asked, "does not say" on answerable open questions, and right answers whose citation
    overlaps the gold moment (issue 28's bars)."""
    by_id = {q.qid: q for q in qset.questions}
    counts = {k: [0, 0] for k in ("choice", "open", "unanswerable", "does not say", "cited")}
    for p in predictions:
        q = by_id[p["qid"]]
        pred = ev.Prediction(p["qid"], p["choice"], p["text"], [tuple(c) for c in p["citations"]])
        right, kind = ev.is_right(q, pred), ev.kind(q)
        counts[kind][0] += right
        counts[kind][1] += 1
        if kind == "open":
            counts["does not say"][0] += ev.says_not_there(p["text"])
            counts["does not say"][1] += 1
        if right and kind != "unanswerable" and q.evidence:
            counts["cited"][0] += any(ev.is_near(tuple(c), tuple(g)) for c in p["citations"] for g in q.evidence)
            counts["cited"][1] += 1
    return {k: f"{a}/{n}" for k, (a, n) in counts.items()}


def run_one(questions: Path, library: Path, llm: str, split: str, summarize: bool, out: Path,
            overrides: dict[str, Any] | None = None) -> None:
    """Ask every question with one LLM in this process; write predictions, report and cost."""
    from vidseek.library import Library, LLMSettings

    qset = ev.load_questions(questions, split)
    lib = Library(library, device="cpu")
    fingerprint = lib.find(qset.video).video.fingerprint
    settings = LLMSettings(llm=None if llm == "none" else llm, enabled=llm != "none")
    started = time.perf_counter()
    reasoner = lib.reasoner(settings)
    reasoner.settings = replace(reasoner.settings, summarize=summarize, **(overrides or {}))
    if reasoner.llm is not None:  # load the model outside the timed questions, as a warm `vidseek ask` has it
        reasoner.llm.invoke("Reply OK.")
    load_s = time.perf_counter() - started
    predictions = ev.predict(lib, qset, fingerprint, llm=settings)
    report = ev.score(qset, predictions, lib.cache.evidence(fingerprint))
    out.write_text(json.dumps({
        "llm": llm, "split": split, "summarize": summarize, "settings": asdict(reasoner.settings), "load_s": load_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "report": report.to_dict(), "predictions": [asdict(p) for p in predictions]}, indent=1))


def policy_scores(qset: ev.QuestionSet, predictions: list[dict]) -> dict[str, float]:
    """Multiple-choice accuracy under each overrule margin, with and without the order/count rules."""
    by_id = {q.qid: q for q in qset.questions}
    rows: dict[str, float] = {}
    mc = [(by_id[p["qid"]], p["details"]) for p in predictions if by_id[p["qid"]].options and p["details"].get("llm")]
    if not mc:
        return rows
    for rules in (True, False):
        for margin in MARGINS:
            right = 0
            for q, d in mc:
                pick = d["llm"]
                if rules and d.get("rule"):
                    pick = d["rule"]
                elif d["extractive"] != pick and d["margin"] >= margin:
                    pick = d["extractive"]
                right += pick == q.answer
            rows[f"rules={'on' if rules else 'off'} margin={margin}"] = right / len(mc)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--llm", nargs="+", default=["none", "smollm2", "qwen0.5b", "qwen1.5b"])
    parser.add_argument("--split", default="all", choices=["dev", "heldout", "all"])
    parser.add_argument("--summarize", action="store_true", help="summarize-then-answer (one more LLM call)")
    parser.add_argument("--out", type=Path, default=None, help="folder for compare-*.json (default: beside questions)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                        help="ReasonerSettings overrides, e.g. option_orders=1 compact=false (how the variants in "
                             "RESULTS.md were run)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run a single LLM in this process
    args = parser.parse_args()
    out_dir = args.out or args.questions.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    overrides = settings_from(args.set)
    tag = ("-summarize" if args.summarize else "") + "".join(f"-{k}={v}" for k, v in overrides.items())
    if args.one:
        run_one(args.questions, args.library, args.one, args.split, args.summarize,
                out_dir / f"compare-{args.one}{tag}-{args.split}.json", overrides)
        return
    qset = ev.load_questions(args.questions, args.split)
    shown = ", summarize" * args.summarize + "".join(f", {pair}" for pair in args.set)
    print(f"{args.questions} ({len(qset.questions)} questions, split {args.split}{shown})")
    print("| LLM | " + " | ".join(sorted({q.task for q in qset.questions})) + " | dev | heldout | overall "
          "| s/question (median) | load s | peak RSS |")
    for llm in args.llm:
        path = out_dir / f"compare-{llm}{tag}-{args.split}.json"
        command = [sys.executable, "-m", "benchmarks.llm_compare", str(args.questions), "--library",
                   str(args.library), "--split", args.split, "--out", str(out_dir), "--one", llm]
        if args.summarize:
            command.append("--summarize")
        if args.set:
            command += ["--set", *args.set]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"| {llm} | failed: {done.stderr.strip().splitlines()[-1:]} |")
            continue
        data = json.loads(path.read_text())
        report = data["report"]
        tasks = report["per_task"]
        splits = report.get("per_split", {})
        seconds = statistics.median(p["seconds"] for p in data["predictions"])
        cells = [f"{tasks[t]['accuracy']:.0%}" if t in tasks else "–" for t in sorted({q.task for q in qset.questions})]
        cells += [f"{splits[s]['accuracy']:.0%}" if s in splits else "–" for s in ("dev", "heldout")]
        print(f"| {llm} | " + " | ".join(cells) + f" | {report['accuracy']:.0%} | {seconds:.1f} | "
              f"{data['load_s']:.1f} | {data['peak_rss_mb']:.0f} MB |")
        print("    " + ", ".join(f"{k} {v}" for k, v in answer_rows(qset, data["predictions"]).items()))
        for name, value in policy_scores(qset, data["predictions"]).items():
            print(f"    multiple choice, {name}: {value:.0%}")


if __name__ == "__main__":
    main()
