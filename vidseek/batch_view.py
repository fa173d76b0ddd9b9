"""What `vidseek batch` shows while it runs (overall bar, a line per worker) and the table at the end."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from vidseek.pipeline.batch import BatchReport, Planned, VideoResult, WorkerEvent
from vidseek.progress_view import PLAIN_EVERY
from vidseek.text import printable
from vidseek.types import format_time


class BatchProgress:
    """Overall progress counted in seconds of video (so the ETA weighs long files), plus each worker's file."""

    def __init__(self, console: Console, planned: list[Planned]):
        self.durations = {p.path: p.duration for p in planned}
        self.videos_total = len(planned)
        pending = sum(p.duration for p in planned if p.result is None)
        self.nothing_to_do = not any(p.result is None for p in planned)
        self.seconds_total = pending or 1.0
        self.videos_done = 0
        self.seconds_done = 0.0
        self.shown_done = 0.0  # never less than before: a file's partial seconds leave before its result counts
        self.partial: dict[str, float] = {}  # worker -> seconds of its current file done
        self.lock = threading.Lock()
        self.console = console
        self.started = self.shown_at = time.monotonic()
        self.shown = -1.0  # share done at the last plain line
        # markup off: a file name such as "[red]x" or "[/]" is text, not a style (or a crash)
        self.bars = Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                             TextColumn("{task.fields[info]}", markup=False),
                             TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True)
        self.overall = self.bars.add_task("videos", total=self.seconds_total, info="")
        self.workers: dict[str, TaskID] = {}

    def __enter__(self) -> BatchProgress:
        self.bars.__enter__()
        self._refresh()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(None, None, None)

    def _refresh(self) -> None:
        if self.nothing_to_do:  # every file was done before: no share of zero hours to show
            done = self.seconds_total
            info = f"nothing to do: {self.videos_total} videos done before"
        else:
            done = self.shown_done = min(max(self.shown_done, self.seconds_done + sum(self.partial.values())),
                                         self.seconds_total)
            info = (f"{self.videos_done}/{self.videos_total} videos, "
                    f"{done / 3600:.2f}/{self.seconds_total / 3600:.2f} h of video")
        self.bars.update(self.overall, completed=min(done, self.seconds_total), info=info)
        if not self.console.is_terminal:  # a pipe or a log: a plain line now and then, no bars
            self._plain(min(1.0, done / self.seconds_total), info)

    def _plain(self, fraction: float, info: str) -> None:
        now = time.monotonic()
        if int(fraction * 10) <= int(self.shown * 10) and now - self.shown_at < PLAIN_EVERY:
            return
        self.shown, self.shown_at = fraction, now
        elapsed = now - self.started
        left = f", about {format_time(elapsed * (1 - fraction) / fraction)} left" if 0.05 <= fraction < 1 else ""
        self.console.file.write(f"batch: {100 * fraction:.0f}% ({info}), {format_time(elapsed)} so far{left}\n")
        self.console.file.flush()

    def event(self, event: WorkerEvent) -> None:
        with self.lock:
            if event.worker not in self.workers:
                self.workers[event.worker] = self.bars.add_task(f"  {event.worker}", total=1, info="")
            task = self.workers[event.worker]
            name = printable(Path(event.path).name)
            if event.kind == "start":
                self.bars.update(task, completed=0, total=1, info=f"{name}: starting")
            elif event.kind == "progress":
                fraction = event.done / max(event.total, 1)
                self.partial[event.worker] = fraction * self.durations.get(event.path, 0.0)
                self.bars.update(task, completed=fraction, info=f"{name}: {event.stage} {event.done}/{event.total}")
            else:
                self.partial.pop(event.worker, None)
                self.bars.update(task, completed=1, info="idle")
            self._refresh()

    def result(self, result: VideoResult) -> None:
        with self.lock:
            self.videos_done += 1
            if result.status not in {"done before", "duplicate"} and result.path in self.durations:
                self.seconds_done += self.durations[result.path]
            self._refresh()


def summary_table(report: BatchReport) -> Table:
    """A row per file (paths relative to the folder they share); sources skipped for every file go in the
    caption once instead of on every row."""
    common = os.path.commonpath([str(Path(r.path).parent) for r in report.results]) if report.results else ""
    everywhere = _skipped_everywhere(report.results)
    caption = printable("; ".join(f"{s} skipped: {why}" for s, why in everywhere.items())) or None
    table = Table(title=f"batch: {_counts(report)} in {format_time(report.seconds)}", title_justify="left",
                  caption=Text(caption) if caption else None, caption_justify="left")
    for column in ("file", "status", "length", "evidence", "time", "error / notes"):
        # in a narrow terminal the file and the notes wrap inside their columns; the short ones never do
        table.add_column(column, overflow="fold", no_wrap=column not in {"file", "error / notes"})
    for r in report.results:
        skipped = [f"{s} skipped: {why}" for s, why in r.skipped.items() if s not in everywhere]
        notes = r.error or "; ".join([*skipped, *r.notices])
        cells = (os.path.relpath(r.path, common) if common else r.path, r.status,
                 format_time(r.duration) if r.duration else "-", str(r.evidence),
                 f"{r.seconds:.1f}s" if r.seconds else "-", notes)
        table.add_row(*(Text(printable(c)) for c in cells))  # file names and notes are text, never markup
    return table


def print_table(console: Console, table: Table) -> None:
    """A table at the terminal's width (long cells wrap inside their columns); to a pipe or a file as wide as
    its widest row, one line per row however long its paths are (a log or grep reads rows whole)."""
    if console.is_terminal:
        console.print(table)
        return
    width = Measurement.get(console, console.options.update_width(1 << 16), table).maximum
    Console(file=console.file, width=max(width, console.width), color_system=None).print(table)


def _skipped_everywhere(results: list[VideoResult]) -> dict[str, str]:
    indexed = [r for r in results if r.status in {"indexed", "unchanged"}]
    if not indexed:
        return {}
    return {s: why for s, why in indexed[0].skipped.items() if all(r.skipped.get(s) == why for r in indexed)}


def _counts(report: BatchReport) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(report.counts().items())) or "nothing to do"
