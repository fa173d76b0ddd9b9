"""Photo needles of a NIAH set: found as evidence at the right time, and answered.

    python -m benchmarks.niah.photos benchmarks/niah/out-10 [benchmarks/niah/out-30 ...]

For every photo needle of OUT/questions.json: *found* when a picture item (the `tags` or `objects` source)
of the indexed haystack overlaps the needle's span and names what the needle shows, in the word its
question uses (the needle's key: 'person', 'cat', 'coffee', 'motorcycle'; for objects also the COCO label
Darknet gives the class: 'motorbike'); *answered* when the question
about it is right in OUT/report-extractive.json and OUT/report-llm.json (written by run.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from vidseek.evaluate import content_words

PICTURE_SOURCES = {"tags", "objects"}
# COCO's class "motorcycle" is "motorbike" in Darknet's coco.names, which the objects source wrote before
# objects v4 (libraries indexed then still say it)
COCO_NAMES = {"motorcycle": "motorbike"}


def _word(key: str) -> str:
    words = sorted(content_words(key))
    return words[0] if words else key


def _names(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}s?\b", text.lower()) is not None


def check(out: Path) -> list[dict]:
    from vidseek import Library

    data = json.loads((out / "questions.json").read_text())
    library = Library(os.environ.get("VIDSEEK_LIBRARY") or out / "library")
    evidence = library.evidence(out / data["video"], PICTURE_SOURCES)
    reports = {}
    for name in ("extractive", "llm"):
        path = out / f"report-{name}.json"
        if path.exists():
            report = json.loads(path.read_text())
            wrong = {w["qid"] for w in report["report"]["wrong"]}
            reports[name] = {p["qid"]: p["qid"] not in wrong for p in report["predictions"]}
    rows = []
    for needle in (n for n in data["needles"] if n["kind"] == "photo"):
        word = _word(needle["key"])
        near = [e for e in evidence if e.start < needle["end"] and e.end > needle["start"]]
        hits = [e for e in near if _names(e.text, word) or (e.source == "objects" and word in COCO_NAMES
                                                            and _names(e.text, COCO_NAMES[word]))]
        [question] = [q for q in data["questions"]
                      if any(abs(s["start"] - needle["start"]) < 1e-6 for s in q["evidence"])]
        rows.append({"set": out.name, "photo": needle["text"], "start": needle["start"], "word": word,
                     "qid": question["qid"], "task": question["task"], "found": bool(hits),
                     "by": sorted({e.source for e in hits}),
                     "seen": [f"{e.source}: {e.text[:70]}" for e in near][:4],
                     **{f"answered_{k}": v.get(question["qid"]) for k, v in reports.items()}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outs", type=Path, nargs="+")
    args = parser.parse_args()
    rows = [row for out in args.outs for row in check(out)]
    print("| set | photo | at | question | found (by) | extractive | LLM |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    mark = {True: "✓", False: "✗", None: "—"}
    for r in rows:
        print(f"| {r['set']} | {r['photo']} | {r['start']:.1f} s | {r['qid']} {r['task']} | "
              f"{mark[r['found']]} ({', '.join(r['by']) or 'no item names ' + r['word']}) | "
              f"{mark[r.get('answered_extractive')]} | {mark[r.get('answered_llm')]} |")
    for name in ("extractive", "llm"):
        both = sum(1 for r in rows if r["found"] and r.get(f"answered_{name}"))
        print(f"found at the right time and answered ({name}): {both}/{len(rows)}")
    for r in rows:
        if not r["found"]:
            print(f"  {r['set']} {r['photo']} at {r['start']:.1f} s, picture items there: {r['seen'] or 'none'}")


if __name__ == "__main__":
    main()
