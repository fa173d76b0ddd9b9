"""The `vidseek` command: a thin layer over vidseek.Library."""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vidseek.extractors import EXTRACTORS, ExtractorSettings
from vidseek.library import Library, LLMSettings
from vidseek.pipeline.index import Indexer, IndexOptions, IndexReport
from vidseek.types import format_time
from vidseek.video import VideoError

BAD_INPUT = 2

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Ask questions about long videos and get the moments that prove each answer. "
         "Index videos into a library, then ask, search or read their evidence.",
)
out = Console()
err = Console(stderr=True)

StoreOption = Annotated[
    str | None,
    typer.Option("--store", envvar="VIDSEEK_STORE",
                 help="Where evidence is searched: a folder (default: LIBRARY/chroma) or a chromadb server URL "
                      "(http://host:port) shared by a team."),
]
LibraryOption = Annotated[
    Path | None,
    typer.Option("--library", "-L", envvar="VIDSEEK_LIBRARY",
                 help="Library folder (default: the user data dir, or $VIDSEEK_LIBRARY)."),
]


def _quiet_libraries() -> None:
    """Model libraries warn about things a user cannot act on; keep the terminal for vidseek's own output."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars on every model load
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    for name in ("faster_whisper", "easyocr", "ultralytics", "transformers", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _say(console: Console, text: str) -> None:
    """A plain line: no markup, no colouring, never wrapped (pipes and tests read it whole)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    _say(err, f"vidseek: {message}")


def _parse_sources(text: str | None) -> list[str] | None:
    if not text:
        return None
    names = [s.strip() for s in text.split(",") if s.strip()]
    aliases = {"captions": "caption", "subtitles": "subtitle", "object": "objects", "asr": "speech"}
    return [aliases.get(n, n) for n in names]


class _StageBars:
    """One progress bar per indexing stage (decode and each extractor), counted in chunks."""

    def __enter__(self) -> _StageBars:
        self.bars = Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=err, transient=True)
        self.bars.__enter__()
        self.tasks: dict[str, TaskID] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(None, None, None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bars.add_task(stage, total=total)
        self.bars.update(self.tasks[stage], completed=done)


def _summary(path: str, report: IndexReport) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts.items())) or "no evidence"
    reused = report.chunks - report.chunks_run
    extra = f" ({reused}/{report.chunks} chunks from cache)" if report.chunks and reused else ""
    return f"indexed {path} ({format_time(report.video.duration)}): {counts}{extra}"


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Video files to index.", show_default=False)],
    sources: Annotated[str | None, typer.Option(
        help=f"Comma-separated sources to run ({', '.join(EXTRACTORS)}); default: every one that applies. "
             "Speech is skipped when subtitles exist unless named here.")] = None,
    whisper_model: Annotated[str | None, typer.Option(
        help="Whisper model: a CTranslate2 folder or id (faster-whisper), or a .pt file or openai-whisper "
             "name. Default: the packaged Whisper base.")] = None,
    language: Annotated[str | None, typer.Option(
        help="Spoken language code (e.g. en); default: detected.")] = None,
    captioner: Annotated[str | None, typer.Option(
        help="Captioner: a transformers image-to-text model id or folder (BLIP, Florence-2, SmolVLM).")] = None,
    captioner_url: Annotated[str | None, typer.Option(
        help="OpenAI-compatible endpoint for captions, e.g. http://localhost:11434/v1 (Ollama).")] = None,
    captioner_model: Annotated[str, typer.Option(help="Model name sent to --captioner-url.")] = "default",
    yolo: Annotated[str | None, typer.Option(
        help="ultralytics YOLO weights (.pt/.onnx), config (.yaml) or name for objects; default: the "
             "packaged person/face detector.")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    fps: Annotated[float, typer.Option(help="Frames sampled per second for OCR, objects and cuts.")] = 1.0,
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Index videos: decode each once and turn it into timestamped evidence from every source.

    Re-running with the same settings does no model work; an interrupted run resumes where it stopped.
    """
    _quiet_libraries()
    settings = ExtractorSettings(
        device=device, whisper_model=whisper_model, language=language, captioner=captioner,
        captioner_url=captioner_url, captioner_model=captioner_model,
        captioner_api_key=os.environ.get("VIDSEEK_CAPTIONER_API_KEY"), yolo=yolo,
    )
    lib = Library(library, store, device=device)
    try:
        indexer = lib.indexer(_parse_sources(sources), settings, IndexOptions(fps=fps))
    except ValueError as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    failed = sum(_index_one(lib, indexer, path) is None for path in paths)
    if failed:
        raise typer.Exit(BAD_INPUT)


def _index_one(lib: Library, indexer: Indexer, path: Path) -> IndexReport | None:
    """Index a file with progress bars and a summary; None (after a one-line error) when it cannot be read."""
    with _StageBars() as progress:
        try:
            report = indexer.index(path, progress)
            progress("embed", 0, 1)
            lib.publish(report.video.fingerprint)
            progress("embed", 1, 1)
        except VideoError as exc:
            _fail(str(exc))
            return None
    _say(out, _summary(str(path), report))
    for source, why in report.skipped.items():
        _say(err, f"  {source}: skipped, {why}")
    for notice in report.notices:
        _say(err, f"  note: {notice}")
    return report


@app.command()
def evidence(
    video: Annotated[str, typer.Argument(
        help="An indexed video: its file, or its fingerprint (prefix) when the file is gone.")],
    source: Annotated[list[str] | None, typer.Option(
        help="Only this source (repeat for several).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    library: LibraryOption = None,
) -> None:
    """Print a video's evidence in time order: `00:12:03–00:12:07 [ocr] THE SECRET WORD IS …`."""
    try:
        items = Library(library).evidence(video, set(_parse_sources(",".join(source)) or []) if source else None)
    except VideoError as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    for item in items:
        _say(out, json.dumps(item.to_dict(), ensure_ascii=False) if as_json else item.line())


@app.command("ls")
def list_videos(library: LibraryOption = None, store: StoreOption = None) -> None:
    """List indexed videos: fingerprint, duration, evidence count, sources, path."""
    lib = Library(library, store)
    local = {r.video.fingerprint: r for r in lib.videos()}
    for v in lib.stored_videos():
        record = local.get(v.fingerprint)
        state = "  (incomplete: run index again)" if record is not None and not record.complete else ""
        _say(out, f"{v.fingerprint[:12]}  {format_time(v.duration)}  {v.evidence:6d}  {','.join(v.sources):28s}  "
                       f"{v.path}{state}")


@app.command("rm")
def remove(
    video: Annotated[str, typer.Argument(help="An indexed video: its file, fingerprint (prefix) or old path.")],
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Remove a video from the library: its evidence, record and search rows."""
    try:
        record = Library(library, store).remove(video)
    except VideoError as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    _say(out, f"removed {record.video.path} ({record.video.fingerprint[:12]})")


def _target(lib: Library, target: str, device: str) -> str | None:
    """The video an ask/search is about (indexed now if it is a new file); None for the whole library."""
    if target in {"all", "."} or Path(target).is_dir():
        return None
    path = Path(target)
    if path.is_file():
        try:
            return lib.find(path).video.fingerprint
        except VideoError:
            _say(err, f"{target} is not indexed yet: indexing it first")
            report = _index_one(lib, lib.indexer(settings=ExtractorSettings(device=device)), path)
            if report is None:
                raise typer.Exit(BAD_INPUT) from None
            return report.video.fingerprint
    return lib.find(target).video.fingerprint


@app.command()
def ask(
    target: Annotated[str, typer.Argument(
        help="A video file (indexed first if new), an indexed video's fingerprint, or 'all' for the library.")],
    question: Annotated[str, typer.Argument(help="The question. Options may be written in it: '… A) x B) y'.")],
    choices: Annotated[list[str] | None, typer.Option(
        "--choices", "--choice", "-c",
        help="Multiple-choice options: --choices 'first' 'second' … (or repeat --choice).")] = None,
    k: Annotated[int, typer.Option("--k", help="Evidence items retrieved.")] = 12,
    llm: Annotated[str | None, typer.Option(
        help="LLM: a .gguf file or a transformers model id/folder. Default: the packaged SmolLM2-135M.")] = None,
    llm_url: Annotated[str | None, typer.Option(
        help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama).")] = None,
    llm_model: Annotated[str | None, typer.Option(help="Model name sent to --llm-url.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Answer extractively, without an LLM.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole answer as JSON.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Answer a question about a video (or the whole library), citing the moments it used."""
    _quiet_libraries()
    lib = Library(library, store, device=device)
    try:
        video = _target(lib, target, device)
        answer = lib.ask(question, choices, video, k, LLMSettings(llm, llm_url, llm_model, enabled=not no_llm))
    except (VideoError, ValueError) as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    if as_json:
        _say(out, json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    _say(out, answer.text)
    for c in answer.citations:
        _say(out, f"  {c.label()} {c.path}")
    for note in answer.notes:
        _say(err, f"  note: {note}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    video: Annotated[str | None, typer.Option(help="Only this indexed video (file or fingerprint).")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Only this source (repeat for several).")] = None,
    k: Annotated[int, typer.Option("--k", help="Hits to return (neighbours in time come along).")] = 12,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Search the library's evidence (no answer): dense + keyword hits, in time order."""
    _quiet_libraries()
    lib = Library(library, store)
    try:
        hits = lib.search(query, k, video, _parse_sources(",".join(source)) if source else None)
    except (VideoError, ValueError) as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    paths = {v.fingerprint: v.path for v in lib.store.list_videos(sorted({h.evidence.fingerprint for h in hits}))}
    for hit in hits:
        e = hit.evidence
        if as_json:
            line = json.dumps({**e.to_dict(), "score": hit.score, "neighbour": hit.neighbour,
                               "path": paths.get(e.fingerprint, "")}, ensure_ascii=False)
        else:
            line = f"{e.line()}  ({Path(paths.get(e.fingerprint, e.fingerprint)).name})"
        _say(out, line)


@app.command("eval")
def evaluate(
    questions: Annotated[Path, typer.Argument(help="Question file (docs/eval.md).")],
    video: Annotated[Path | None, typer.Option(help="The video, if not the file the question file names.")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write predictions and the report here (JSON).")] = None,
    circular: Annotated[bool, typer.Option(help="Ask each question with its options rotated; right only if "
                                                "right every time.")] = False,
    k: Annotated[int, typer.Option("--k", help="Evidence items retrieved.")] = 12,
    llm: Annotated[str | None, typer.Option(help="LLM (.gguf or transformers model); default: packaged.")] = None,
    llm_url: Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint.")] = None,
    llm_model: Annotated[str | None, typer.Option(help="Model name sent to --llm-url.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Answer extractively.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Run `ask` on every question of a file and report accuracy per task, grounding and cost.

    For each wrong answer it says where it went wrong: the needle never extracted, extracted but not
    retrieved, or retrieved and reasoned wrongly.
    """
    from vidseek import evaluate as ev

    _quiet_libraries()
    try:
        qset = ev.load_questions(questions)
    except ValueError as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    lib = Library(library, store, device=device)
    try:
        fingerprint = _target(lib, str(video or qset.video), device)
    except VideoError as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    settings = LLMSettings(llm, llm_url, llm_model, enabled=not no_llm)
    with _StageBars() as progress:
        predictions = ev.predict(lib, qset, fingerprint or "", circular, settings, k,
                                 lambda done, total: progress("questions", done, total))
    report = ev.score(qset, predictions, lib.cache.evidence(fingerprint or ""))
    _say(out, ev.table(report))
    if out_file:
        out_file.write_text(json.dumps({"report": report.to_dict(),
                                        "predictions": [asdict(p) for p in predictions]}, indent=1))


def _multi_value_choices(argv: list[str]) -> list[str]:
    """Let `--choices a b c` take several values (click options take one): repeat the flag for each."""
    out_args: list[str] = []
    taking = False
    for arg in argv:
        if arg in {"--choices", "-c", "--choice"}:
            taking = True
            continue
        if taking and not arg.startswith("-"):
            out_args += ["--choice", arg]
            continue
        taking = False
        out_args.append(arg)
    return out_args


def main() -> None:
    import sys

    app(args=_multi_value_choices(sys.argv[1:]), prog_name="vidseek")
