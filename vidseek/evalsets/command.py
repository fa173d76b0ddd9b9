"""`vidseek eval --benchmark NAME FILE --videos DIR`: the command's side of a benchmark run (bars, output)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from vidseek.errors import BadRequest
from vidseek.evalsets import get
from vidseek.evalsets.run import (
    BenchReport,
    InlinePool,
    SavedAnswers,
    ask_all,
    find_videos,
    fingerprints,
    index_figures,
    peak_memory_mb,
    run_key,
    score,
    table,
)
from vidseek.extractors import ExtractorSettings
from vidseek.extractors.subtitles import SubtitleOptions
from vidseek.library import Library, LLMSettings
from vidseek.pipeline.index import IndexOptions


def run_benchmark(name: str, file: Path, videos: Path | None, *, limit: int | None, subtitles: Path | None,
                  out_file: Path | None, k: int, llm: LLMSettings, sources: list[str] | None,
                  extractors: ExtractorSettings, options: IndexOptions, workers: int | None, ray: bool,
                  ray_address: str | None, library: Path | None, store: str | None) -> None:
    from vidseek.batch_view import BatchProgress
    from vidseek.cli import BAD_INPUT, _fail, _say, err, out
    from vidseek.pipeline.batch import Batch, BatchSettings
    from vidseek.pipeline.pools import LocalPool, RayPool

    def refuse(message: str) -> typer.Exit:
        _fail(message)
        return typer.Exit(BAD_INPUT)

    try:
        bench = get(name)
        if videos is None:
            raise BadRequest("--benchmark needs --videos DIR, the folder that holds the benchmark's videos")
        if not videos.is_dir():
            raise BadRequest(f"--videos '{videos}' is not a folder")
        if subtitles is not None and not subtitles.is_dir():
            raise BadRequest(f"--subtitles '{subtitles}' is not a folder")
        if limit is not None and limit < 1:
            raise BadRequest(f"--limit must be 1 or more, not {limit}")
        if not file.exists():
            raise BadRequest(f"cannot read '{file}': no such file")
        data = bench.read(file)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    questions = data.questions[:limit] if limit else data.questions
    found = find_videos(questions, videos)
    located = found.paths
    missing = sorted(v for v, p in located.items() if p is None)
    paths = list(dict.fromkeys(str(p) for p in located.values() if p is not None))

    lib = Library(library, store, device=extractors.device)
    if subtitles is not None:
        extractors = replace(extractors, options={**extractors.options,
                                                  "subtitle": SubtitleOptions(folders=(str(subtitles),))})
    settings = BatchSettings(str(lib.path), store, sources, extractors, options)
    try:
        job = Batch(settings)
    except ValueError as exc:
        raise refuse(str(exc)) from None
    planned = job.plan(paths)
    with BatchProgress(err, planned) as view:
        def pool(files: int):
            if ray or ray_address:
                return RayPool(settings, workers, ray_address, on_event=view.event, files=files)
            if workers and workers > 1:
                return LocalPool(settings, min(workers, files), view.event)
            return InlinePool(settings, view.event)

        try:
            batch = job.run(paths, pool, lib.path / "eval" / f"{bench.name}-batch-report.json", view.result, planned)
        except RuntimeError as exc:
            raise refuse(str(exc)) from None

    def content(entry: str) -> str | None:
        record = lib.cache.record(entry)
        return record.video.content_id if record else None

    by_path = fingerprints(batch, content)
    entries = {vid: by_path[str(p)] for vid, p in located.items() if p is not None and str(p) in by_path}
    errors = {r.path: r.error for r in batch.results if not r.ok}
    failed = {vid: errors.get(str(p), "not indexed") for vid, p in located.items()
              if p is not None and vid not in entries}

    key_settings = {"k": k, "llm": asdict(llm), "sources": sources, "subtitles": str(subtitles.resolve()) if subtitles
                    else None}
    saved = SavedAnswers(lib.path / "eval" / f"{bench.name}-{run_key(bench.name, file, key_settings)}.jsonl",
                         key_settings)
    bars = Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=err, transient=True)
    with bars:
        task = bars.add_task("questions", total=None)
        try:
            answers, asked = ask_all(lib, questions, entries, saved, llm, k,
                                     lambda done, total: bars.update(task, completed=done, total=total))
        except ValueError as exc:
            raise refuse(str(exc)) from None
    answers = {q.qid: answers[q.qid] for q in questions if q.qid in answers}
    results, breakdown, unparsed = score(bench, questions, answers, {v: str(p) for v, p in located.items() if p})
    graded = [r for r in results if r["right"] is not None]
    report = BenchReport(
        benchmark=bench.name, title=bench.title, file=str(file),
        subtitles=str(subtitles) if subtitles else "none", questions=len(questions), answered=len(answers),
        asked_now=asked, graded=len(graded),
        accuracy=sum(r["right"] for r in graded) / len(graded) if graded else None, unparsed=unparsed,
        breakdown=breakdown, headline=bench.headline(breakdown) if bench.headline and graded else {},
        missing_videos=missing, skipped_missing=sum(q.video in set(missing) for q in questions),
        failed_videos=failed, skipped_failed=sum(q.video in failed for q in questions), left_out=data.left_out,
        seconds_per_question=sum(a.seconds for a in answers.values()) / max(1, len(answers)),
        tokens=sum(a.tokens for a in answers.values()), peak_memory_mb=peak_memory_mb(),
        index=index_figures(batch), notes=[*data.notes, *found.notes()], results=results, answers_file=str(saved.path))
    if out_file and bench.submission:
        report.submission_file = str(out_file.with_name(f"{out_file.stem}.{bench.name}-submission"
                                                        f"{bench.submission_suffix}"))
    _say(out, table(report), lines=True)
    _say(err, f"answers saved in {saved.path} (a rerun asks only the questions not answered there)")
    if out_file:
        out_file.write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
        if bench.submission:
            chosen = {qid: a.choice for qid, a in answers.items()}
            Path(report.submission_file).write_text(bench.submission(questions, chosen), encoding="utf-8")
            _say(err, f"submission ({bench.title}'s own format): {report.submission_file}")
