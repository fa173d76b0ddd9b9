"""The `vidseek` command: a thin layer over vidseek.Library."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vidseek.extractors import EXTRACTORS, ExtractorSettings
from vidseek.library import Library
from vidseek.pipeline.index import IndexOptions, IndexReport
from vidseek.types import format_time
from vidseek.video import VideoError

BAD_INPUT = 2

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Ask questions about long videos. Index a video into a library, then read or search its evidence.",
)
out = Console()
err = Console(stderr=True)

LibraryOption = Annotated[
    Path | None,
    typer.Option("--library", "-L", envvar="VIDSEEK_LIBRARY",
                 help="Library folder (default: the user data dir, or $VIDSEEK_LIBRARY)."),
]


def _quiet_libraries() -> None:
    """Model libraries warn about things a user cannot act on; keep the terminal for vidseek's own output."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    for name in ("faster_whisper", "easyocr", "ultralytics", "transformers", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _fail(message: str) -> None:
    err.print(f"vidseek: {message}", markup=False, highlight=False, soft_wrap=True)


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
    try:
        indexer = Library(library).indexer(_parse_sources(sources), settings, IndexOptions(fps=fps))
    except ValueError as exc:
        _fail(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    failed = 0
    for path in paths:
        with _StageBars() as progress:
            try:
                report = indexer.index(path, progress)
            except VideoError as exc:
                failed += 1
                _fail(str(exc))
                continue
        out.print(_summary(str(path), report), markup=False, highlight=False, soft_wrap=True)
        for source, why in report.skipped.items():
            err.print(f"  {source}: skipped, {why}", markup=False, highlight=False, soft_wrap=True)
        for notice in report.notices:
            err.print(f"  note: {notice}", markup=False, highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(BAD_INPUT)


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
        out.print(json.dumps(item.to_dict(), ensure_ascii=False) if as_json else item.line(),
                  markup=False, highlight=False, soft_wrap=True)


@app.command("ls")
def list_videos(library: LibraryOption = None) -> None:
    """List indexed videos: fingerprint, duration, sources, path."""
    for record in Library(library).videos():
        state = "" if record.complete else "  (incomplete: run index again)"
        out.print(f"{record.video.fingerprint[:12]}  {format_time(record.video.duration)}  "
                  f"{','.join(sorted(record.sources))}  {record.video.path}{state}", markup=False, highlight=False)


def main() -> None:
    app()
