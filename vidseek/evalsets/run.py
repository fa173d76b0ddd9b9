"""A benchmark run: find the videos, index them through the batch machinery, ask (resuming), score.

Indexing goes through `vidseek.pipeline.batch` (the same cache and store as `vidseek batch`, so a video a
batch indexed is "done before" here, and an interrupted run resumes at its first missing chunk). Answers
are saved one line per question as they come (`LIBRARY/eval/NAME-KEY.jsonl`, KEY a hash of the file and
every setting that changes an answer), so a rerun asks only what is missing. Grading is vidseek.evaluate's.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vidseek.errors import BadRequest
from vidseek.evalsets.base import Benchmark, BenchQuestion
from vidseek.evaluate import Prediction, is_right
from vidseek.paths import Folders, OutsideFolders
from vidseek.pipeline.batch import BatchReport, BatchSettings, VideoResult, Worker, WorkerEvent
from vidseek.pipeline.manifest import MEDIA_SUFFIXES
from vidseek.types import format_time


@dataclass
class Located:
    """Where each video id of a benchmark file leads under --videos."""

    paths: dict[str, Path | None]  # id -> its file; None: no file, or an id that leads outside
    outside: list[str] = field(default_factory=list)  # ids that lead out of --videos: never opened

    def notes(self) -> list[str]:
        return [f"video id '{video}' leads outside --videos: not opened, counted as missing" for video in self.outside]


def find_videos(questions: Sequence[BenchQuestion], folder: Path) -> Located:
    """Each video id's file: the relative path the benchmark gives (MLVU's "1_plotQA/x.mp4") if it exists
    under `folder`, else a file named `ID.<video suffix>` anywhere under it (NExT-QA's NExTVideo/1164/ID.mp4).
    None for an id with no file. Benchmark files come from third parties, so an id is held to vidseek.paths'
    rule: one that leads out of `folder` (`..`, an absolute path, a link that points out) is never opened,
    not even looked for by its name inside."""
    by_stem: dict[str, Path] = {}
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.suffix.lower() in MEDIA_SUFFIXES:
                by_stem.setdefault(path.stem, path)
                by_stem.setdefault(path.name, path)
    inside = Folders.of([folder], "--videos")
    located = Located({})
    for q in questions:
        if q.video in located.paths:
            continue
        try:
            direct = inside.inside(q.video)
            found = folder / q.video if direct.is_file() else \
                by_stem.get(q.video) or by_stem.get(Path(q.video).stem)
            if found is not None:
                inside.inside(found.absolute())  # a file found by its name may be a link that leads out
        except OutsideFolders:
            located.outside.append(q.video)
            found = None
        except (OSError, BadRequest):  # a name too long, a NUL byte: no such file
            found = None
        located.paths[q.video] = found
    return located


class InlinePool:
    """Indexes in this process, one video after another: for a few videos, starting worker processes (each
    loading every model) costs more than it saves. The same Worker as the other pools."""

    backend = "inline"
    workers = 1

    def __init__(self, settings: BatchSettings, on_event: Callable[[WorkerEvent], None] | None = None):
        self.worker = Worker(settings, on_event)

    def results(self, paths: list[str]) -> Iterator[VideoResult]:
        for path in paths:
            yield self.worker.run(path)

    def close(self) -> None:
        pass


def fingerprints(report: BatchReport, entry_content: Callable[[str], str | None]) -> dict[str, str]:
    """Path → library entry for every video the batch left searchable; a duplicate (the same bytes under
    another name) is asked through the entry of the file it repeats."""
    out = {r.path: r.fingerprint for r in report.results if r.ok and r.status != "duplicate" and r.fingerprint}
    by_content = {}
    for entry in out.values():
        content = entry_content(entry)
        if content:
            by_content.setdefault(content, entry)
    for r in report.results:
        if r.status == "duplicate" and r.fingerprint in by_content:
            out[r.path] = by_content[r.fingerprint]
    return out


@dataclass
class SavedAnswer:
    """One question's answer as saved: enough to grade it, write a submission and say what it cost."""

    qid: str
    video: str  # the library entry it was asked of: an answer about a video indexed since is asked again
    choice: str | None
    text: str = ""
    citations: list[tuple[float, float]] = field(default_factory=list)
    retrieved: list[tuple[float, float]] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0
    notes: list[str] = field(default_factory=list)

    def prediction(self) -> Prediction:
        return Prediction(self.qid, self.choice, self.text, [tuple(c) for c in self.citations],
                          [tuple(r) for r in self.retrieved], seconds=self.seconds, tokens=self.tokens,
                          notes=list(self.notes))


def run_key(benchmark: str, file: Path, settings: dict[str, Any]) -> str:
    """Which saved answers a run may reuse: the same file (by its bytes) and every setting that changes an
    answer (LLM, k, subtitles, sources)."""
    digest = hashlib.sha1()
    try:
        files = sorted(file.glob("*.json")) if file.is_dir() else [file]
        for part in files:
            digest.update(part.read_bytes())
    except OSError:
        digest.update(str(file.resolve()).encode())
    digest.update(json.dumps({"benchmark": benchmark, **settings}, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:12]


class SavedAnswers:
    """Answers appended one JSON line per question and flushed to disk as each comes, so a run killed at any
    moment loses at most the question it was on. A torn last line (killed mid-write) is ignored when read and
    cut off before the next answer is appended."""

    def __init__(self, path: Path, settings: dict[str, Any]):
        self.path = path
        self.settings = settings

    def load(self) -> dict[str, SavedAnswer]:
        out: dict[str, SavedAnswer] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return out
        for line in lines:
            try:
                data = json.loads(line)
                if "qid" in data:
                    out[str(data["qid"])] = SavedAnswer(**data)
            except (json.JSONDecodeError, TypeError):
                continue
        return out

    def add(self, answer: SavedAnswer) -> None:
        """Append the answer as one whole line. A torn last line (a run killed mid-write) is cut off first, or
        ended when it is whole but for its newline: appended to, it would glue this answer onto itself and
        both would be lost."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            whole = _whole_lines(fh, size)
            lines = []
            if whole < size:
                fh.seek(whole)
                if _is_json(fh.read()):
                    lines.append(b"")  # its newline only
                else:
                    fh.truncate(whole)
                    size = whole
            if size == 0:
                lines.append(json.dumps({"settings": self.settings}, default=str).encode())
            lines.append(json.dumps(asdict(answer), ensure_ascii=False).encode())
            fh.write(b"\n".join(lines) + b"\n")  # one write: appended whole
            fh.flush()
            os.fsync(fh.fileno())


def _whole_lines(fh: Any, size: int, block: int = 65536) -> int:
    """How many bytes of the file end with its last newline (0: none)."""
    end = size
    while end > 0:
        start = max(0, end - block)
        fh.seek(start)
        found = fh.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return False
    return True


def ask_all(library: Any, questions: Sequence[BenchQuestion], entries: dict[str, str], saved: SavedAnswers,
            llm: Any, k: int, progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, SavedAnswer], int]:
    """Every question whose video is indexed, asked of that video alone; those with a saved answer about the
    same entry are not asked again. The answers by qid, and how many were asked now."""
    answers = saved.load()
    todo = [q for q in questions if q.video in entries and
            (q.qid not in answers or answers[q.qid].video != entries[q.video])]
    if todo:  # models load before the clock starts: the seconds per question are the answering's own
        library.embedder.encode(["warm up"])
        library.reasoner(llm)
    for n, q in enumerate(todo):
        started = time.perf_counter()
        answer = library.ask(q.question, q.options, video=entries[q.video], k=k, llm=llm)
        kept = SavedAnswer(q.qid, entries[q.video], answer.choice, answer.text,
                           [(c.start, c.end) for c in answer.citations], [(e.start, e.end) for e in answer.evidence],
                           time.perf_counter() - started, int(answer.timings.get("llm_tokens", 0)),
                           list(answer.notes))
        saved.add(kept)
        answers[q.qid] = kept
        if progress:
            progress(n + 1, len(todo))
    return answers, len(todo)


@dataclass
class BenchReport:
    """A benchmark run's scores in the benchmark's own breakdown, what was skipped and why, and its cost."""

    benchmark: str
    title: str
    file: str
    subtitles: str  # "none", or the folder the subtitle track came from
    questions: int  # read from the file (after --limit)
    answered: int
    asked_now: int
    graded: int  # answered questions the file has answers for
    accuracy: float | None
    unparsed: int
    breakdown: dict[str, dict[str, dict[str, float]]]  # axis -> group -> {n, accuracy}
    headline: dict[str, float]
    missing_videos: list[str]
    skipped_missing: int  # questions about a video not in --videos
    failed_videos: dict[str, str]  # id -> why it could not be indexed
    skipped_failed: int
    left_out: dict[str, int]  # reason -> questions the reader could not ask
    seconds_per_question: float
    tokens: int
    peak_memory_mb: float
    index: dict[str, float]
    notes: list[str]
    results: list[dict[str, Any]]  # per question: qid, video, choice, answer, right (None: no answer to grade)
    answers_file: str = ""
    submission_file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def score(bench: Benchmark, questions: Sequence[BenchQuestion], answers: dict[str, SavedAnswer],
          video_ids: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, dict[str, dict[str, float]]], int]:
    """Per-question results (graded through vidseek.evaluate.is_right), the breakdown per axis, unparsed."""
    results, unparsed = [], 0
    tallies: dict[str, dict[str, list[bool]]] = {axis: {} for axis in bench.axes}
    for q in questions:
        if q.qid not in answers:
            continue
        saved = answers[q.qid]
        right = is_right(q.gold(), saved.prediction()) if q.graded else None
        unparsed += saved.choice is None
        results.append({"qid": q.qid, "video": q.video, "question": q.question, "path": video_ids.get(q.video, ""),
                        "choice": saved.choice,
                        "answer": q.answer, "right": right, "seconds": round(saved.seconds, 3)})
        if right is None:
            continue
        for axis in bench.axes:
            for group in q.groups.get(axis, ()):
                tallies[axis].setdefault(group, []).append(right)
    breakdown = {axis: {g: {"n": len(v), "accuracy": sum(v) / len(v)} for g, v in sorted(groups.items())}
                 for axis, groups in tallies.items() if groups}
    return results, breakdown, unparsed


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def index_figures(report: BatchReport) -> dict[str, float]:
    """Videos, hours of video and the seconds indexing took now (per video hour: the figure that scales)."""
    ok = [r for r in report.results if r.ok]
    now = [r for r in ok if r.status == "indexed"]
    hours_now = sum(r.duration for r in now) / 3600
    seconds_now = sum(r.seconds for r in now)
    return {"videos": len(ok), "indexed_now": len(now), "hours_of_video": round(sum(r.duration for r in ok) / 3600, 4),
            "seconds": round(report.seconds, 2), "worker_seconds_per_video_hour":
            round(seconds_now / hours_now, 1) if hours_now else 0.0, "backend": report.backend,
            "workers": report.workers}


def table(report: BenchReport) -> str:
    """The report for a terminal: the benchmark's own breakdown, then what was skipped, then the cost."""
    lines = [f"{report.title} — {report.file}" + (f" (subtitles: {report.subtitles})"
                                                 if report.benchmark == "videomme" else "")]
    for axis, groups in report.breakdown.items():
        lines.append(f"{'by ' + axis:32s} {'n':>5s} {'accuracy':>9s}")
        for name, row in groups.items():
            lines.append(f"  {name[:30]:30s} {row['n']:5.0f} {row['accuracy']:9.1%}")
    if report.accuracy is not None:
        lines.append(f"{'overall':32s} {report.graded:5d} {report.accuracy:9.1%}")
    for name, value in report.headline.items():
        lines.append(f"{name:32s} {'':5s} {value:9.1%}")
    if report.accuracy is None:
        lines.append(f"no answers in the file to score {report.answered} predictions by"
                     + (" (--out writes the submission)" if report.submission_file == "" else ""))
    lines.append(f"questions: {report.questions} read, {report.answered} answered ({report.asked_now} asked now, "
                 f"{report.answered - report.asked_now} from saved answers), {report.graded} graded; "
                 f"unparsed answers: {report.unparsed}")
    if report.missing_videos:
        lines.append(f"missing videos: {len(report.missing_videos)} not found under --videos "
                     f"({report.skipped_missing} questions skipped)")
    if report.failed_videos:
        lines.append(f"videos that could not be indexed: {len(report.failed_videos)} "
                     f"({report.skipped_failed} questions skipped)")
    for reason, n in report.left_out.items():
        lines.append(f"left out: {n} question(s), {reason}")
    lines.extend(f"note: {n}" for n in report.notes)
    index = report.index
    lines.append(f"index: {index.get('videos', 0):.0f} videos, {format_time(index.get('hours_of_video', 0) * 3600)} "
                 f"({index.get('indexed_now', 0):.0f} indexed now on {index.get('backend', 'none')})")
    lines.append(f"cost: {report.seconds_per_question:.2f} s/question, {report.tokens} LLM tokens, "
                 f"peak memory {report.peak_memory_mb:.0f} MB")
    return "\n".join(lines)
