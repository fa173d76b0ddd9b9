"""The `vidseek` command: a thin layer over vidseek.Library."""

from __future__ import annotations

import functools
import inspect
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from vidseek import extractors as ex
from vidseek.errors import BAD_INPUT, BadRequest, NotIndexed, VidseekError
from vidseek.extractors import ExtractorSettings
from vidseek.ids import shown_ids
from vidseek.library import Library, LLMSettings
from vidseek.pipeline.cache import LibraryLayout
from vidseek.pipeline.index import CHUNK_S, Indexer, IndexOptions, IndexReport
from vidseek.pipeline.rates import Estimate
from vidseek.progress_view import StageProgress, StepLines
from vidseek.quiet import quiet_libraries
from vidseek.text import aligned, json_line, plural, printable
from vidseek.types import format_time


class _Commands(typer.Typer):
    """Commands whose expected failures (any VidseekError: bad input, a file that cannot be read, a damaged or
    full library) end in one line and the error's exit code, handled here once rather than in every command."""

    def command(self, *args, **kwargs):
        register = super().command(*args, **kwargs)

        def decorate(function):
            @functools.wraps(function)
            def guarded(*a, **kw):
                try:
                    return function(*a, **kw)
                except VidseekError as exc:
                    _fail(str(exc))
                    raise typer.Exit(exc.exit_code) from None
                except OSError as exc:
                    where = f" ({exc.filename})" if exc.filename else ""
                    _fail(f"{exc.strerror or exc}{where}")
                    raise typer.Exit(BAD_INPUT) from None

            return register(guarded)

        return decorate


app = _Commands(
    add_completion=False,
    no_args_is_help=True,
    help="Ask questions about long videos and get the moments that prove each answer. "
         "Index videos into a library, then ask, search or read their evidence.",
)
out = Console()
err = Console(stderr=True)


def _print_version(wanted: bool) -> None:
    if wanted:
        from vidseek import __version__

        _say(out, f"vidseek {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool | None, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print vidseek's version and exit.")] = None) -> None:
    pass

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


def _say(console: Console, text: str, lines: bool = False) -> None:
    """A plain line: no markup, no colouring, never wrapped (pipes and tests read it whole). Every control
    character is written out (file names and video text can hold escape sequences); a newline too, unless
    `lines` says the text is several lines."""
    console.print(printable(text, lines), markup=False, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    _say(err, f"vidseek: {message}")


def _progress(label: str, estimate: Estimate | None = None) -> StageProgress:
    """Progress on stderr: bars in a terminal, plain lines in a pipe or a log (progress_view.py)."""
    return StageProgress(err, label, estimate.stages if estimate else None, estimate.seconds if estimate else None)


def _summary(path: str, report: IndexReport) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in sorted(report.counts.items())) or "no evidence"
    reused = report.chunks - report.chunks_run
    extra = f" ({reused}/{report.chunks} chunks from cache)" if report.chunks and reused else ""
    return f"indexed {path} ({format_time(report.video.duration)}): {counts}{extra}"


DeviceOption = Annotated[str, typer.Option(help="auto, cpu or cuda.")]


@dataclass
class IndexChoice:
    """What `index` and `batch` were asked to run: the sources, each extractor's options, the sampling."""

    sources: list[str] | None
    settings: ExtractorSettings
    options: IndexOptions


@dataclass
class AskChoice:
    """How `ask` and `eval` answer: which LLM (or none), how much evidence, on which device."""

    llm: LLMSettings
    k: int
    device: str
    mode: str = "quick"


@dataclass
class _OptionGroup:
    """Options several commands share, declared once: each command receives them as one typed value."""

    name: str  # the keyword the command takes the value as
    params: Callable[[], list[inspect.Parameter]]
    collect: Callable[[dict[str, Any]], Any]


def _param(name: str, default: Any, kind: Any, *flags: str, help: str) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[kind, typer.Option(*flags, help=help)])


def _extractor_params() -> list[inspect.Parameter]:
    """One flag per option an extractor declares with `option(...)`: a new extractor brings its own."""
    params = []
    for cls in ex.registry().values():
        hints = get_type_hints(cls.options_type)
        for f, flag in zip(ex.option_fields(cls), ex.option_flags(cls)):
            params.append(_param(f.name, f.default, hints[f.name], f"--{flag}",
                                 help=f"{cls.name}: {f.metadata['help']}"))
    return params


def _index_params() -> list[inspect.Parameter]:
    return [
        _param("sources", None, str | None, "--sources", help=(
            f"Comma-separated sources to run ({', '.join(ex.source_names())}); default: every one that applies. "
            "A source superseded by another on a video (speech, when subtitles exist) runs only if named here.")),
        *_extractor_params(),
        _param("device", "auto", str, "--device", help="auto, cpu or cuda."),
        _param("fps", 1.0, float, "--fps", help="Frames sampled per second for OCR, objects and cuts."),
        _param("chunk_seconds", CHUNK_S, float, "--chunk-seconds",
               help="Seconds of video per unit of saved work: an interrupted run redoes at most one such chunk."),
    ]


def _index_choice(values: dict[str, Any]) -> IndexChoice:
    device, fps, chunk = values.pop("device"), values.pop("fps"), values.pop("chunk_seconds")
    sources = ex.parse_sources(values.pop("sources"))
    return IndexChoice(sources, ExtractorSettings.from_flags(device, values),
                       IndexOptions(fps=fps, chunk_seconds=chunk))


def _ask_params() -> list[inspect.Parameter]:
    return [
        _param("k", 12, int, "--k", help="Evidence items retrieved."),
        _param("llm", None, str | None, "--llm", help=(
            "LLM: qwen1.5b (default), qwen0.5b or smollm2 (packaged), a .gguf file, or a transformers model "
            "id/folder.")),
        _param("llm_url", None, str | None, "--llm-url", help=(
            "OpenAI-compatible endpoint instead, e.g. http://localhost:11434/v1 (Ollama), a vLLM or llama.cpp "
            "server.")),
        _param("llm_model", None, str | None, "--llm-model", help="Model name sent to --llm-url."),
        _param("no_llm", False, bool, "--no-llm", help="Answer extractively, without an LLM."),
        _param("summarize", False, bool, "--summarize", help=(
            "Have the LLM summarize the evidence first, then answer: a few points more on the meeting set, "
            "~3.5 s more per question on 2 cores (benchmarks/RESULTS.md).")),
        _param("device", "auto", str, "--device", help="auto, cpu or cuda."),
        _param("mode", "quick", str, "--mode", help=(
            "quick (one retrieval, one prompt), agent (the LLM searches and reads with tools over the chapters "
            "first) or auto (agent when the quick answer is weak); docs/asking.md.")),
    ]


def _ask_choice(values: dict[str, Any]) -> AskChoice:
    llm = LLMSettings(values["llm"], values["llm_url"], values["llm_model"], enabled=not values["no_llm"],
                      summarize=values["summarize"])
    return AskChoice(llm, values["k"], values["device"], values["mode"])


INDEX_OPTIONS = _OptionGroup("choice", _index_params, _index_choice)
ASK_OPTIONS = _OptionGroup("choice", _ask_params, _ask_choice)


def _with(group: _OptionGroup):
    """Give a command a shared option group: its flags join the command's, and their values reach the
    command as one value, under the group's name."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        own = inspect.signature(function, eval_str=True)
        extra = group.params()

        @functools.wraps(function)
        def run(**kwargs: Any) -> Any:
            kwargs[group.name] = group.collect({p.name: kwargs.pop(p.name) for p in extra})
            return function(**kwargs)

        kept = [p for p in own.parameters.values() if p.name != group.name]
        run.__signature__ = own.replace(parameters=kept + extra)  # type: ignore[attr-defined]
        return run

    return decorate


@app.command()
@_with(INDEX_OPTIONS)
def index(
    paths: Annotated[list[Path], typer.Argument(
        help="Video files to index.", show_default=False, readable=False)],  # vidseek says why it cannot read
    summaries: Annotated[bool, typer.Option(
        "--summaries", help="Also build each video's chapters and synopsis now (else on first need), with "
                            "the default LLM; docs/asking.md.")] = False,
    library: LibraryOption = None,
    store: StoreOption = None,
    choice: IndexChoice | None = None,
) -> None:
    """Index videos: decode each once and turn it into timestamped evidence from every source.

    Re-running with the same settings does no model work; an interrupted run resumes where it stopped.
    For folders or many files, `vidseek batch` runs several workers.
    """
    assert choice is not None
    quiet_libraries()
    lib = Library(library, store, device=choice.settings.device)
    indexer = lib.indexer(choice.sources, choice.settings, choice.options)
    indexer.on_wait = lambda video: _say(err, f"waiting: another vidseek process is indexing {video.path}")
    reports = [_index_one(lib, indexer, path) for path in paths]
    if summaries:
        for report in filter(None, reports):
            with _progress(f"summary {Path(report.video.path).name}") as progress:
                made = lib.summary(report.video.fingerprint, LLMSettings(), progress=progress)
            _say(err, f"  summary: {len(made.chapters)} chapters in {made.seconds:.1f} s"
                      + (f" ({made.model})" if made.model else " (no LLM)"))
    failed = sum(r is None for r in reports)
    if failed:
        raise typer.Exit(BAD_INPUT)


@app.command()
@_with(INDEX_OPTIONS)
def batch(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Video files and folders (searched recursively).", show_default=False, readable=False)] = None,
    glob: Annotated[str | None, typer.Option(
        help="Pattern for files in folders, e.g. '*.mkv' (default: common video and audio suffixes).")] = None,
    manifest: Annotated[Path | None, typer.Option(
        help="A file listing videos: one path per line, or a CSV with a 'path' column.")] = None,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (each loads the models once). Default: the cores, as far as memory allows; "
             "with --ray, the cluster's CPUs over --cpus-per-worker.")] = None,
    ray: Annotated[bool, typer.Option(
        "--ray", help="Run the per-video jobs as Ray tasks: a local Ray instance, or the cluster given as "
                      "--ray ADDRESS (e.g. --ray auto, --ray ray://head:10001). Needs vidseek\\[ray].")] = False,
    ray_address: Annotated[str | None, typer.Option(hidden=True)] = None,
    cpus_per_worker: Annotated[float, typer.Option(help="Ray: CPUs reserved per worker.")] = 1.0,
    gpus_per_worker: Annotated[float, typer.Option(help="Ray: GPUs reserved per worker (e.g. 0.5).")] = 0.0,
    report: Annotated[Path | None, typer.Option(
        help="Where the JSON report goes (default: LIBRARY/batch-report.json).")] = None,
    library: LibraryOption = None,
    store: StoreOption = None,
    choice: IndexChoice | None = None,
) -> None:
    """Index many videos into one library with a pool of workers, locally or on Ray.

    Run it again after a crash or Ctrl-C: finished videos are skipped and the rest resume where they
    stopped. A file that fails is reported (table and JSON report) and the others go on; the exit status is
    1 when any file failed.
    """
    from vidseek.batch_view import BatchProgress, print_table, summary_table
    from vidseek.pipeline.batch import Batch, BatchSettings
    from vidseek.pipeline.manifest import collect
    from vidseek.pipeline.pools import LocalPool, RayPool, default_workers

    assert choice is not None
    quiet_libraries()
    files = collect(paths or [], glob, manifest)
    if not files:
        raise BadRequest("no video files found (give files, folders, --glob or --manifest)")
    settings = BatchSettings(str(Library(library).path), store, choice.sources, choice.settings, choice.options)
    job = Batch(settings)
    planned = job.plan(files)
    pending = sum(p.result is None for p in planned)
    if pending:
        _say(err, job.estimate(planned).line(f"{pending} of {len(planned)} files"))
    report = report or LibraryLayout(Path(settings.library)).batch_report
    with BatchProgress(err, planned) as view:
        def pool(files: int):
            if ray or ray_address:
                return RayPool(settings, workers, ray_address, cpus_per_worker, gpus_per_worker, view.event, files)
            return LocalPool(settings, workers or min(default_workers(), files), view.event)

        result = job.run(files, pool, report, view.result, planned)
    print_table(out, summary_table(result))
    _say(err, f"report: {report}")
    if result.failed:
        raise typer.Exit(1)


def _index_one(lib: Library, indexer: Indexer, path: Path) -> IndexReport | None:
    """Index a file with an estimate first, progress while it runs and a summary; None (after a one-line error)
    when it cannot be read."""
    try:
        estimate = lib.estimate(path, indexer)
        if estimate.sources:  # none: lib.add says why nothing in the file can be indexed
            _say(err, estimate.line(path.name))
    except (VidseekError, OSError):
        estimate = None  # lib.add says what is wrong with the file, once
    with _progress(f"index {path.name}", estimate) as progress:
        try:
            report = lib.add(path, indexer, progress)
        except VidseekError as exc:
            _fail(str(exc))
            return None
    _say(out, _summary(str(path), report))
    for source, why in report.skipped.items():
        _say(err, f"  {source}: skipped, {why}")
    for notice in report.notices:
        _say(err, f"  note: {notice}")
    try:
        known = lib.recognised(report.video.fingerprint)
    except VidseekError as exc:  # a damaged voice file must not turn a finished index into a failure
        known = {}
        _say(err, f"  note: {exc}")
    if known:  # enrolled voices heard in it (vidseek speakers name): told once, at no model cost
        heard = (f"{label} = {r.name} ({r.similarity:.2f})" for label, r in sorted(known.items()))
        _say(out, "  speakers: " + ", ".join(heard))
    return report


@app.command()
def evidence(
    video: Annotated[str, typer.Argument(
        help="An indexed video: its file, or its id from vidseek ls when the file is gone.")],
    source: Annotated[list[str] | None, typer.Option(
        help="Only this source (repeat for several).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    library: LibraryOption = None,
) -> None:
    """Print a video's evidence in time order: `00:12:03–00:12:07 \\[ocr] THE SECRET WORD IS …`."""
    lib = Library(library)
    chosen = ex.source_filter(source)
    items = lib.evidence(video, set(chosen) if chosen else None)
    ids = lib.ids() if as_json else {}
    for item in items:
        _say(out, json_line(_named(item.to_dict(), ids)) if as_json else item.line())


def _named(item: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """A record's JSON with its video named as people name it (`video`: the id vidseek ls shows, which every
    command takes) instead of the full fingerprint."""
    fp = item.pop("fingerprint", "")
    return {"video": ids.get(fp, fp), **item}


class _ShowByDefault(TyperGroup):
    """`vidseek speakers VIDEO` stays the listing it always was: words that name no subcommand are `speakers
    show`'s, options before the video too (`speakers -L LIB VIDEO`; write ./list for a video file named like a
    subcommand)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if any(not a.startswith("-") for a in args) and not {"--help", "-h"} & set(args) and \
                not any(a in self.commands for a in args):
            args = ["show", *args]
        return super().parse_args(ctx, args)


speakers_app = _Commands(
    cls=_ShowByDefault, no_args_is_help=True,
    help="Who speaks: a video's speakers (vidseek speakers VIDEO), and voices named once and recognised in every "
         "video of the library (name, list, match, rename, merge, forget). Voice prints identify people: they "
         "stay in LIBRARY/speakers/voices.json, and forget deletes them (docs/speakers.md).")
app.add_typer(speakers_app, name="speakers")


@speakers_app.command("show")
def speakers_show(
    video: Annotated[str, typer.Argument(
        help="An indexed video: its file, or its id from vidseek ls when the file is gone.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per speaker per line.")] = False,
    library: LibraryOption = None,
) -> None:
    """Who speaks in a video (what `vidseek speakers VIDEO` runs).

    Each speaker (S1, S2 … by first appearance) with a name where one is known: an enrolled voice recognised
    here (with how alike, 0-1), else one the video gives (and where); talk time, turns, first and last turn.
    """
    found = Library(library).speakers(video)
    if not found:
        _say(err, "no speakers: the video has no speech evidence with speakers (index it with speech, "
                  "not --no-speakers)")
    for s in found:
        if as_json:
            _say(out, json_line({"speaker": s.label, "name": s.name or None,
                                 "named_at": s.named_at.to_dict() if s.named_at else None,
                                 "similarity": s.similarity,
                                 "talk_time": s.talk_time, "turns": s.turns,
                                 "first": s.first.to_dict(), "last": s.last.to_dict()}))
            continue
        name = f" {s.name} (named at {s.named_at.span()})" if s.name and s.named_at else \
            f" {s.name} (enrolled voice, {s.similarity:.2f} alike)" if s.name and s.similarity is not None else ""
        _say(out, f"{s.label}{name}  talks {format_time(s.talk_time)} in {plural(s.turns, 'turn')}; "
                  f"first {s.first.span()}, last {s.last.span()}")


@speakers_app.command("name")
def speakers_name(
    video: Annotated[str, typer.Argument(help="An indexed video: its file, or its id from vidseek ls.")],
    speaker: Annotated[str, typer.Argument(
        help="Which speaker: a label from vidseek speakers VIDEO (S2), a name the video gives, or a subtitle "
             "speaker (its voice is the one heard while its lines show).")],
    name: Annotated[str | None, typer.Argument(
        help="The person's name. Left out: the name the video gives that speaker is confirmed.")] = None,
    unlike: Annotated[bool, typer.Option(
        "--unlike", help="Add the voice to NAME's print even though it is unlike the voices enrolled there "
                         "(one person recorded very differently).")] = False,
    library: LibraryOption = None,
) -> None:
    """Enrol a speaker's voice under a name, to be recognised in every video.

    Every video of the library where that voice is recognised then names them: in evidence, search, ask
    --speaker, the page, MCP and export. Naming another speaker with the same name adds that voice to the print.
    """
    lib = Library(library)
    made = lib.name_speaker(video, speaker, name, unlike)
    _say(out, f"enrolled '{made.name}': {plural(len(made.samples), 'voice')}, {format_time(made.seconds)} of "
              f"speech; {_recognised_in(_places(lib).get(made.name, []))}")


def _places(lib: Library) -> dict[str, list[str]]:
    """Where each enrolled name is recognised, as shown id:label pairs."""
    ids = lib.ids()
    where: dict[str, list[str]] = {}
    for record, label, known in lib.matches():
        shown = ids.get(record.video.fingerprint, record.video.fingerprint)
        where.setdefault(known.name, []).append(f"{shown}:{label}")
    return where


def _recognised_in(places: list[str]) -> str:
    videos = len({place.rsplit(":", 1)[0] for place in places})
    return f"recognised in {plural(videos, 'video')}" + (f": {' '.join(places)}" if places else "")


@speakers_app.command("list")
def speakers_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per enrolled voice per line.")] = False,
    library: LibraryOption = None,
) -> None:
    """The enrolled voices.

    Name, how many voices and how much speech each print holds, and where it is recognised (id:label).
    """
    lib = Library(library)
    prints = lib.voices.prints()
    if not prints:
        _say(err, "no voices enrolled (vidseek speakers name VIDEO S2 'Alice Chen')")
    where = _places(lib)
    for p in prints:
        if as_json:
            _say(out, json_line({"name": p.name, "voices": len(p.samples), "seconds": p.seconds,
                                 "recognised": where.get(p.name, [])}))
            continue
        _say(out, f"{p.name}  {plural(len(p.samples), 'voice')}, {format_time(p.seconds)} of speech; "
                  f"{_recognised_in(where.get(p.name, []))}")


@speakers_app.command("match")
def speakers_match(
    video: Annotated[str | None, typer.Argument(
        help="One indexed video; left out: every video of the library.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per recognised speaker per line.")] = False,
    library: LibraryOption = None,
) -> None:
    """Where the enrolled voices are recognised.

    Video, label, name and how alike (0-1; a speaker is named from a calibrated threshold up,
    docs/speakers.md). Nothing is re-indexed: videos indexed before a voice was enrolled are matched too (each
    video's speakers are embedded once, about 0.4 s a speaker, which needs the video file).
    """
    lib = Library(library)
    ids = lib.ids()
    found = lib.matches(video)
    if not found:
        _say(err, "no enrolled voice is recognised " + ("in that video" if video else "in the library"))
    for record, label, known in found:
        shown = ids.get(record.video.fingerprint, record.video.fingerprint)
        if as_json:
            _say(out, json_line({"video": shown, "path": record.video.path, "speaker": label, "name": known.name,
                                 "similarity": known.similarity}))
            continue
        _say(out, f"{shown}  {Path(record.video.path).name}  {label} = {known.name} ({known.similarity:.2f})")


@speakers_app.command("rename")
def speakers_rename(old: Annotated[str, typer.Argument(help="An enrolled name.")],
                    new: Annotated[str, typer.Argument(help="The name to use instead.")],
                    library: LibraryOption = None) -> None:
    """Rename an enrolled voice (everywhere it is recognised)."""
    made = Library(library).voices.rename(old, new)
    _say(out, f"renamed to '{made.name}'")


@speakers_app.command("merge")
def speakers_merge(source: Annotated[str, typer.Argument(help="An enrolled name that is the same person as INTO.")],
                   into: Annotated[str, typer.Argument(help="The enrolled name to keep.")],
                   library: LibraryOption = None) -> None:
    """Make two enrolled voices one person.

    SOURCE's voices join INTO's print, and SOURCE is gone.
    """
    made = Library(library).voices.merge(source, into)
    _say(out, f"merged into '{made.name}': {plural(len(made.samples), 'voice')}")


@speakers_app.command("forget")
def speakers_forget(name: Annotated[str, typer.Argument(help="An enrolled name.")],
                    library: LibraryOption = None) -> None:
    """Delete an enrolled voice print.

    Its name and voice leave the library: the file that held them is rewritten without them, or deleted with
    the last one. The videos' own speakers (S1, S2 …) stay.
    """
    gone = Library(library).voices.forget(name)
    _say(out, f"forgot '{gone.name}' ({plural(len(gone.samples), 'voice')})")


SHEET_TILES = 150  # a sheet joins scenes down to this many unless --max says otherwise


@app.command()
def scenes(
    video: Annotated[str, typer.Argument(
        help="An indexed video: its file, or its id from vidseek ls when the file is gone.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per scene per line.")] = False,
    sheet: Annotated[Path | None, typer.Option(
        help="Also write a contact sheet here (PNG): one tile per scene, its picture, time and first words. "
             f"Past {SHEET_TILES} scenes they are joined to {SHEET_TILES} unless --max is given.")] = None,
    most: Annotated[int | None, typer.Option(
        "--max", help="At most this many scenes: the shortest are joined to a neighbour.")] = None,
    columns: Annotated[int, typer.Option(help="Tiles per row on the sheet.")] = 5,
    library: LibraryOption = None,
) -> None:
    """A video's scenes (the shots the indexer cut): start, end, first words said and shown in each.

    `vidseek scenes film.mp4 --sheet film.png` also writes a contact sheet to look over before asking.
    """
    lib = Library(library)
    record = lib.find(video)
    found = lib.scenes(record.video.fingerprint, most)
    if sheet is not None and most is None and len(found) > SHEET_TILES:
        _say(err, f"note: {len(found)} scenes joined into {SHEET_TILES} for the sheet (--max N to choose)")
        found = lib.scenes(record.video.fingerprint, SHEET_TILES)
    if sheet is not None:  # the sheet's arguments are checked before the table is printed, not after it
        from vidseek.sheet import check_sheet

        check_sheet(len(found), columns)
        if not sheet.resolve().parent.is_dir():
            raise BadRequest(f"cannot write the sheet: '{sheet.parent}' is not a folder")
    if not found:
        _say(err, f"no scenes: '{record.video.path}' has no pictures")
    entry = lib.ids().get(record.video.fingerprint, record.video.fingerprint) if as_json else ""
    for scene in found:
        if as_json:
            _say(out, json_line({"video": entry, **scene.to_dict()}))
        else:
            said, shown = _clip(scene.said or "-", 44), _clip(scene.shown or "-", 28)
            _say(out, f"{scene.index:>4}  {format_time(scene.start)}–{format_time(scene.end)}  {said:<44}  {shown}")
    if sheet is not None and found:
        from vidseek.sheet import contact_sheet

        grid = contact_sheet(record.video.path, found, sheet, columns=columns)
        _say(err, f"wrote {sheet} ({grid.count} tiles, {grid.columns} to a row)")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}TB"


@app.command()
def summary(
    video: Annotated[str, typer.Argument(help="An indexed video: its file, or its id from vidseek ls.")],
    as_json: Annotated[bool, typer.Option("--json", help="The synopsis and chapters as one JSON object.")] = False,
    llm: Annotated[str | None, typer.Option("--llm", help="LLM that writes titles and summaries (default "
                                                          "qwen1.5b).")] = None,
    llm_url: Annotated[str | None, typer.Option("--llm-url", help="OpenAI-compatible endpoint instead.")] = None,
    llm_model: Annotated[str | None, typer.Option("--llm-model", help="Model name sent to --llm-url.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Chapters as cut points and quoted evidence lines, "
                                                          "no written text.")] = False,
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """A video's synopsis and chapters with timestamps, built on first need and cached (docs/asking.md)."""
    quiet_libraries()
    lib = Library(library, store)
    with _progress(f"summary {Path(video).name}") as progress:
        made = lib.summary(video, LLMSettings(llm, llm_url, llm_model, enabled=not no_llm), progress=progress)
    assert made is not None
    if as_json:
        _say(out, json_line(made.to_dict()))
        return
    if made.synopsis:
        _say(out, made.synopsis, lines=True)
        _say(out, "")
    for chapter in made.chapters:
        _say(out, f"{format_time(chapter.start)}–{format_time(chapter.end)}  {chapter.title}".rstrip())
        if chapter.summary:
            _say(out, f"    {chapter.summary}")
        else:
            for e in chapter.lines:
                _say(out, f"    {e.line()}")
    for note in made.notes:
        _say(err, f"  note: {note}")


@app.command("ls")
def list_videos(library: LibraryOption = None, store: StoreOption = None) -> None:
    """List indexed videos: id, duration, evidence count, sources, file size, evidence size, path.

    The id names the video in every other command (and on the page and in MCP): it is shown as short as it stays
    unique in the library, and a shorter prefix of it is refused.
    """
    lib = Library(library, store)
    records, damaged = lib.cache.scan()
    local = {r.video.fingerprint: r for r in records}
    videos = lib.stored_videos()
    # indexed here but not searchable (the store was deleted or rebuilt without them): listed, with the fix
    unstored = [r for fp, r in local.items() if r.complete and fp not in {v.fingerprint for v in videos}]
    for problem in damaged:
        _say(err, f"vidseek: {problem}")
    if not videos and not unstored:
        _say(err, f"no videos in {lib.store_location} (index some: vidseek index FILE, vidseek batch FOLDER)")
        return
    ids = shown_ids(list(local) + [v.fingerprint for v in videos])  # what Library.ids() gives
    rows = [(v.fingerprint, v.path, v.duration, str(v.evidence), v.sources, "") for v in videos]
    rows += [(r.video.fingerprint, r.video.path, r.video.duration, "-", sorted(r.sources),
              "  (not in the search store: index it again, or run vidseek rebuild)") for r in unstored]
    table = [("video", "length", "items", "sources", "file", "cache", "path")]
    for fp, path, duration, items, sources, state in sorted(rows, key=lambda row: row[1]):
        record = local.get(fp)
        if record is not None and not record.complete:
            state = "  (incomplete: run index again)"
        file_size = os.stat(path).st_size if os.path.isfile(path) else None
        cache_size = lib.cache.disk_usage(fp) if record is not None else None
        table.append((ids[fp], format_time(duration), items, printable(",".join(sources)), _size(file_size),
                      _size(cache_size), f"{printable(path)}{state}"))
    for line in aligned(table, right=frozenset({2, 4, 5})):  # columns as wide as their widest cell
        _say(out, line)


@app.command("rm")
def remove(
    video: Annotated[str, typer.Argument(help="An indexed video: its file, its id from vidseek ls, or its old path.")],
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Remove a video from the library: its evidence, record and search rows."""
    lib = Library(library, store)
    shown = lib.ids().get(lib.find(video).video.fingerprint, "")
    record = lib.remove(video)
    _say(out, f"removed {record.video.path} ({shown})")


@app.command()
def rebuild(library: LibraryOption = None, store: StoreOption = None) -> None:
    """Make the search store again from the evidence cache: after its database was damaged or deleted.

    No model runs: the evidence each video's record points at is embedded again, into a new store beside the
    old one that replaces it only when complete (a failed rebuild leaves the old store). A video whose record
    or evidence is damaged is named and left out; index it again. Refused when videos have evidence but no
    record (videos/ deleted): the store is left as it is.
    """
    quiet_libraries()
    lib = Library(library, store)
    with _progress("rebuild") as progress:
        report = lib.rebuild(lambda done, total: progress("rebuild", done, total))
    _say(out, f"rebuilt {lib.store_location}: {len(report.videos)} video(s)")
    for path in report.incomplete:
        _say(err, f"  note: {path} was not fully indexed: run vidseek index on it again")
    for problem in report.problems:
        _say(err, f"  vidseek: {problem}")
    if report.problems:
        raise typer.Exit(1)


def _is_library(path: Path) -> bool:
    return path.is_dir() and LibraryLayout(path).is_library()


def _target(lib: Library, target: str, device: str) -> str | None:
    """The video an ask/search is about (indexed now if it is a new file); None for the whole library."""
    if target in {"all", "."} or Path(target).is_dir():
        return None
    path = Path(target)
    if path.is_file():
        try:
            return lib.find(path).video.fingerprint
        except NotIndexed:
            _say(err, f"{target} is not indexed yet: indexing it first")
            report = _index_one(lib, lib.indexer(settings=ExtractorSettings(device=device)), path)
            if report is None:
                raise typer.Exit(BAD_INPUT) from None
            return report.video.fingerprint
    return lib.find(target).video.fingerprint


class _Streamed:
    """The LLM's reply shown on stderr as it arrives, so a 10 s answer never looks frozen; the answer itself,
    checked and with its citations, is still printed whole on stdout afterwards."""

    def __init__(self, console: Console):
        self.console = console
        self.started = False

    def __call__(self, text: str) -> None:
        if not self.started:
            self.console.file.write("  … ")
            self.started = True
        self.console.file.write(printable(text.replace("\n", " ")))  # model text: no terminal controls
        self.console.file.flush()

    def close(self) -> None:
        if self.started:
            self.console.file.write("\n")
            self.console.file.flush()
            self.started = False  # a step line may follow; more text starts a line of its own


@app.command()
@_with(ASK_OPTIONS)
def ask(
    target: Annotated[str, typer.Argument(
        help="A video file (indexed first if new), an indexed video's id (vidseek ls), a library folder, or 'all' "
             "for the whole library.")],
    question: Annotated[str, typer.Argument(help="The question. Options may be written in it: '… A) x B) y'.")],
    only: Annotated[list[str] | None, typer.Option(
        "--video", help="Only this indexed video (file or id from vidseek ls); repeat for several.")] = None,
    choices: Annotated[list[str] | None, typer.Option(
        "--choices", "--choice", "-c",
        help="Multiple-choice options: --choices 'first' 'second' … (or repeat --choice).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The whole answer as JSON.")] = False,
    speaker: Annotated[str | None, typer.Option(
        help="Only what this speaker said: a label (S2) or a name the video gives (vidseek speakers).")] = None,
    trace: Annotated[bool, typer.Option("--trace", help="Print the agent's steps (tool, query, what came back, "
                                                        "seconds) on stderr.")] = False,
    stream: Annotated[bool | None, typer.Option(
        "--stream/--no-stream", help="Show the LLM's reply on stderr while it is written (default: when stderr "
                                     "is a terminal and not --json).")] = None,
    library: LibraryOption = None,
    store: StoreOption = None,
    choice: AskChoice | None = None,
) -> None:
    """Answer a question about a video or a whole library, citing the video and moments it used."""
    assert choice is not None
    device = choice.device
    quiet_libraries()
    if _is_library(Path(target)):
        library, target = Path(target), "all"
    lib = Library(library, store, device=device)
    video = _target(lib, target, device)
    videos = [lib.find(v).video.fingerprint for v in only] if only else video
    live = _Streamed(err) if (stream if stream is not None else err.is_terminal and not as_json) else None
    # each step (loading the LLM, the chapters the agent builds first, each agent step) as one plain line on
    # stderr, in a terminal or not: a bar would fight the streamed reply, which ends its line before a step's
    steps = StepLines(err, "ask", interrupt=live.close if live else None)
    answer = lib.ask(question, choices, videos, choice.k, choice.llm, on_text=live, speaker=speaker,
                     mode=choice.mode, progress=steps)
    if live is not None:
        live.close()
    if as_json:
        made, ids = answer.to_dict(), lib.ids()
        made["citations"] = [_named(c, ids) for c in made["citations"]]
        made["evidence"] = [_named(e, ids) for e in made["evidence"]]
        _say(out, json_line(made))
    else:
        _say(out, answer.text, lines=True)
        for c in answer.citations:
            _say(out, f"  {c.label()} {c.path}")
        for note in answer.notes:
            _say(err, f"  note: {note}")
    if trace:  # on stderr, with --json too (the JSON holds it as details.trace as well)
        _print_trace(answer.details.get("trace") or [])


def _print_trace(steps: list[dict[str, Any]]) -> None:
    if not steps:
        _say(err, "  trace: no agent steps (answered quick)")
    for step in steps:
        args = json.dumps(step["args"], ensure_ascii=False)
        _say(err, f"  step {step['n']} {step['action']} {args} ({step['seconds']:.1f} s, "
                  f"~{step['prompt_tokens']} prompt tokens): {len(step['returned'])} back")
        for returned in step["returned"][:8]:
            _say(err, f"      {returned}")
        if step["action"] in {"answer", "malformed", "limit"}:
            _say(err, f"      reply: {step['reply']}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    video: Annotated[str | None, typer.Option(help="Only this indexed video (file or id from vidseek ls).")] = None,
    source: Annotated[list[str] | None, typer.Option(
        help="Only this source (repeat for several); chapter or synopsis: the text vidseek summary's model "
             "wrote.")] = None,
    k: Annotated[int, typer.Option("--k", help="How many hits, best first.")] = 12,
    context: Annotated[float, typer.Option(
        "--context", metavar="SECONDS", help="Show the evidence this close in time under each hit.")] = 0.0,
    derived: Annotated[bool, typer.Option(
        "--derived", help="Also search the chapters and synopsis a model wrote (vidseek summary); shown as "
                          "model-written.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per hit, one per line.")] = False,
    speaker: Annotated[str | None, typer.Option(
        help="Only what this speaker said: a label (S2) or a name the video gives (vidseek speakers).")] = None,
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Search the library's evidence (no answer): the k best hits, dense + keyword fused, best first with
    their scores; the moments around each with --context."""
    quiet_libraries()
    lib = Library(library, store)
    hits = lib.search(query, k, video, ex.source_filter(source), speaker=speaker, context=context, derived=derived)
    paths = {v.fingerprint: v.path for v in lib.store.list_videos(sorted({h.evidence.fingerprint for h in hits}))}
    ids = lib.ids() if as_json and hits else {}
    for rank, hit in enumerate(hits, 1):
        e = hit.evidence
        if as_json:
            item = {"rank": rank, **_named(e.to_dict(), ids), "score": hit.score, "derived": e.derived,
                    "path": paths.get(e.fingerprint, "")}
            if context:
                item["context"] = [{**_named(c.to_dict(), ids), "derived": c.derived} for c in hit.context]
            _say(out, json_line(item))
            continue
        _say(out, f"{rank}. {hit.score:.4f}  {e.line()}  ({Path(paths.get(e.fingerprint, e.fingerprint)).name})")
        for near in hit.context:
            _say(out, f"      {near.line()}")


@app.command("eval")
@_with(ASK_OPTIONS)
def evaluate(
    questions: Annotated[Path, typer.Argument(
        help="Question file (docs/eval.md); with --benchmark, the benchmark's own file.", readable=False)],
    video: Annotated[Path | None, typer.Option(help="The video, if not the file the question file names.",
                                               readable=False)] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write predictions and the report here (JSON).")] = None,
    circular: Annotated[bool, typer.Option(help="Ask each question with its options rotated; right only if "
                                                "right every time.")] = False,
    split: Annotated[str, typer.Option(help="Which questions to ask: dev, heldout or all (docs/eval.md).")] = "all",
    benchmark: Annotated[str | None, typer.Option(
        help="Read QUESTIONS as this benchmark's file: videomme, lvbench, mlvu, egoschema or nextqa "
             "(docs/eval.md).")] = None,
    videos: Annotated[Path | None, typer.Option(
        help="--benchmark: the folder holding its videos (found by id, in subfolders too).")] = None,
    limit: Annotated[int | None, typer.Option(help="--benchmark: only the first N questions.")] = None,
    subtitles: Annotated[Path | None, typer.Option(
        help="--benchmark: a folder of VIDEO_ID.srt subtitle files (Video-MME's subtitle track).")] = None,
    sources: Annotated[str | None, typer.Option(
        help="--benchmark: comma-separated sources to index (default: every one that applies).")] = None,
    workers: Annotated[int | None, typer.Option(
        help="--benchmark: index with this many worker processes (default: in this process).")] = None,
    ray: Annotated[bool, typer.Option(
        "--ray", help="--benchmark: index on Ray (--ray ADDRESS for a cluster), as vidseek batch does.")] = False,
    ray_address: Annotated[str | None, typer.Option(hidden=True)] = None,
    library: LibraryOption = None,
    store: StoreOption = None,
    choice: AskChoice | None = None,
) -> None:
    """Run `ask` on every question of a file and report accuracy per task, grounding and cost.

    For each wrong answer it says where it went wrong: the needle never extracted, extracted but not
    retrieved, or retrieved and reasoned wrongly. With --benchmark, a benchmark's own file and videos: its own
    breakdown, resumable answers and (--out) its submission file.
    """
    from vidseek import evaluate as ev

    assert choice is not None
    quiet_libraries()
    if benchmark:
        from vidseek.evalsets.command import run_benchmark

        native_only = [flag for flag, given in (("--video", video), ("--circular", circular),
                                                ("--split", split != "all")) if given]
        if native_only:
            raise BadRequest(f"{', '.join(native_only)} apply to native question files, not to --benchmark")
        return run_benchmark(
            benchmark, questions, videos, limit=limit, subtitles=subtitles, out_file=out_file, k=choice.k,
            llm=choice.llm, sources=ex.parse_sources(sources), extractors=ExtractorSettings(device=choice.device),
            options=IndexOptions(), workers=workers, ray=ray, ray_address=ray_address, library=library, store=store)
    qset = ev.load_questions(questions, split=split)
    lib = Library(library, store, device=choice.device)
    fingerprint = _target(lib, str(video or qset.video), choice.device)
    with _progress("eval") as progress:
        predictions = ev.predict(lib, qset, fingerprint or "", circular, choice.llm, choice.k,
                                 lambda done, total: progress("questions", done, total), mode=choice.mode)
    report = ev.score(qset, predictions, lib.cache.evidence(fingerprint or ""), split=split)
    _say(out, ev.table(report), lines=True)
    if out_file:
        out_file.write_text(json.dumps({"report": report.to_dict(),
                                        "predictions": [asdict(p) for p in predictions]}, indent=1))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    token: Annotated[str | None, typer.Option(
        envvar="VIDSEEK_TOKEN", help="Token clients must send (X-Vidseek-Token header, Bearer, or ?token=). "
                                     "The page takes it as http://HOST:PORT/#token=T.")] = None,
    root: Annotated[list[Path] | None, typer.Option(
        help="A folder whose files may be indexed and played (repeat for several; default: the current "
             "folder). Nothing outside the roots is served.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Answer extractively, without an LLM.")] = False,
    device: DeviceOption = "auto",
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Serve the web page and JSON API: pick a video, ask, click a citation to watch the moment.

    The API is described by its OpenAPI schema at /openapi.json (docs/server.md). Needs vidseek\\[server].
    """
    try:
        import uvicorn

        from vidseek.server import create_app
    except ImportError:
        _fail("serve needs the server extra: pip install 'vidseek[server]'")
        raise typer.Exit(BAD_INPUT) from None
    quiet_libraries()
    config = _server_config(library, store, root, token, host, device, no_llm)
    listening, shown = _bound(host, port)  # before saying "serving": a busy port is one line, not a traceback
    _say(err, f"vidseek: serving {', '.join(map(str, config.roots))} on http://{shown}:{port}/"
              + (" (token required)" if token else ""))
    uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning")).run(sockets=[listening])


def _server_config(library: Path | None, store: str | None, root: list[Path] | None, token: str | None, host: str,
                   device: str, no_llm: bool):
    """What `serve` and `mcp` serve, checked (roots exist, a token off loopback and a strong one)."""
    from vidseek.server import ServerConfig

    return ServerConfig(str(library) if library else None, store, root or [Path.cwd()], token, host, device,
                        llm=not no_llm)


def _bound(host: str, port: int):
    """A socket listening on host:port and the host as a URL shows it; a busy port is one line and exit 2."""
    shown = f"[{host}]" if ":" in host else host
    try:
        return _listen(host, port), shown
    except OSError as exc:
        _fail(f"cannot listen on {shown}:{port}: {exc.strerror or exc}")
        raise typer.Exit(BAD_INPUT) from None


def _listen(host: str, port: int):
    import socket

    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


@app.command()
def export(
    video: Annotated[str, typer.Argument(
        help="An indexed video: its file, or its id from vidseek ls when the file is gone.")],
    fmt: Annotated[str, typer.Option(
        "--format", "-f", help="srt, vtt (subtitles), txt, json or md (transcripts).")] = "srt",
    source: Annotated[list[str] | None, typer.Option(
        help="Only this source (repeat for several); default: speech and subtitles.")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the file here, byte for byte (stdout shows control characters escaped).")] = None,
    library: LibraryOption = None,
) -> None:
    """Write a video's speech (or any source) as subtitles or a timestamped transcript.

    `vidseek export talk.mp4 --format srt -o talk.srt`; `--format vtt` for the web, `txt`, `json` or `md`
    for reading. Several sources in one file say which line came from which.
    """
    text = Library(library).export(video, fmt, ex.parse_sources(source))  # checked there (no model-written rows)
    if out_file is not None:
        out_file.write_text(text, encoding="utf-8")
        _say(err, f"wrote {out_file}")
        return
    out.file.write(printable(text, lines=True))  # whole, unwrapped; words from the video cannot steer a terminal
    out.file.flush()


@app.command("mcp")
def mcp_server(
    http: Annotated[bool, typer.Option(
        "--http", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdin/stdout.")] = False,
    host: Annotated[str, typer.Option(
        help="--http: address to listen on; anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="--http: port to listen on.")] = 8765,
    token: Annotated[str | None, typer.Option(
        envvar="VIDSEEK_TOKEN", help="--http: token clients must send (X-Vidseek-Token header or Bearer).")] = None,
    root: Annotated[list[Path] | None, typer.Option(
        help="A folder whose files may be indexed or named by a tool's video argument; nothing outside is "
             "opened (repeat for several; default: the current folder).")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Answer extractively, without an LLM.")] = False,
    max_sessions: Annotated[int, typer.Option(
        help="--http: live client sessions at most; one more is refused (503) until one ends or expires.")] = 32,
    session_idle: Annotated[float, typer.Option(
        help="--http: seconds a session may sit idle (no request in flight) before it is ended.")] = 600.0,
    device: DeviceOption = "auto",
    library: LibraryOption = None,
    store: StoreOption = None,
) -> None:
    """Serve the library to MCP clients (Claude Desktop, IDEs, agents): list, search, read, ask and index.

    Stdio by default, as MCP clients start their servers; `--http` for streamable HTTP with the rules of
    `vidseek serve`. The client config is in docs/mcp.md. Needs vidseek\\[mcp].
    """
    try:
        from vidseek.mcp_server import McpOptions, create_server, http_app, run_stdio
    except ImportError:
        _fail("mcp needs the mcp extra: pip install 'vidseek[mcp]'")
        raise typer.Exit(BAD_INPUT) from None
    quiet_libraries()
    config = _server_config(library, store, root, token, host, device, no_llm)
    server = create_server(McpOptions(config, max_sessions=max_sessions, session_idle=session_idle))
    if not http:
        run_stdio(server)
        return
    import uvicorn

    listening, shown = _bound(host, port)
    _say(err, f"vidseek: MCP over HTTP at http://{shown}:{port}/mcp for {', '.join(map(str, config.roots))}"
              + (" (token required)" if token else ""))
    uvicorn.Server(uvicorn.Config(http_app(server, config), log_level="warning")).run(sockets=[listening])


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


def _looks_like_ray_address(arg: str) -> bool:
    return arg in {"auto", "local"} or arg.startswith("ray://") or (":" in arg and "/" not in arg)


def _optional_ray_address(argv: list[str]) -> list[str]:
    """Let `--ray` stand alone or take an address (`--ray auto`, `--ray=ray://head:10001`)."""
    out_args: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg.startswith("--ray="):
            out_args += ["--ray", "--ray-address", arg.split("=", 1)[1]]
        elif arg == "--ray":
            out_args.append(arg)
            following = next(args, None)
            if following is not None:
                out_args += ["--ray-address", following] if _looks_like_ray_address(following) else [following]
        else:
            out_args.append(arg)
    return out_args


def main() -> None:
    import sys

    app(args=_optional_ray_address(_multi_value_choices(sys.argv[1:])), prog_name="vidseek")
