"""What a long command shows while it works (indexing a file, building a summary, rebuilding the store): the
stage, the percent done and an estimate of the time left, on stderr.

In a terminal: a bar per stage under an overall line, redrawn as it goes. Anywhere else (a pipe, a log file, a
CI job): a plain line, no control codes, every PLAIN_EVERY seconds or at each tenth done, whichever is first,
so a log shows a long job moving without a line per chunk.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vidseek.text import printable
from vidseek.types import format_time

PLAIN_EVERY = 10.0  # seconds between plain lines at most (unless a tenth more is done first)
TRUST_AFTER = 0.05  # done this much, the measured pace says more about the time left than the estimate


class StageProgress:
    """A `Progress` callback `(stage, done, total)` drawn for people and for logs.

    `weights` (expected seconds per stage, from the rates of pipeline/rates.py) make the overall percent follow
    the time each stage takes rather than their count; a stage without one weighs as the mean of the others.
    `expected` (seconds in all) gives a time left before the first step is done."""

    def __init__(self, console: Console, label: str, weights: dict[str, float] | None = None,
                 expected: float | None = None, clock: Callable[[], float] = time.monotonic, plain: bool = False):
        self.console, self.label = console, printable(label)
        self.weights = {s: w for s, w in (weights or {}).items() if w > 0}
        self.expected, self.clock = expected, clock
        self.started = clock()
        self.stages: dict[str, float] = {}  # stage -> fraction done
        self.current = ""
        self.shown = -1.0  # overall fraction at the last plain line
        self.shown_at = self.started
        self.last_fraction = 0.0
        self.bars: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.overall: TaskID | None = None
        self.plain = plain or not console.is_terminal  # plain lines even in a terminal, when asked

    def __enter__(self) -> StageProgress:
        if not self.plain:
            self.bars = Progress(TextColumn("{task.description:>10}", markup=False), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"), MofNCompleteColumn(),
                                 TextColumn("{task.fields[left]}", markup=False), TimeElapsedColumn(),
                                 console=self.console, transient=True)
            self.bars.__enter__()
            self.overall = self.bars.add_task("all", total=100, left=self._left_text(0.0))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.__exit__(None, None, None)

    # --- the callback ------------------------------------------------------------------------------------------
    def __call__(self, stage: str, done: int, total: int) -> None:
        self.stages[stage] = min(1.0, done / total) if total > 0 else 1.0
        self.current = stage
        fraction = self.fraction()
        if self.bars is not None:
            if stage not in self.tasks:
                self.tasks[stage] = self.bars.add_task(stage, total=total, left="")
            self.bars.update(self.tasks[stage], completed=done, total=total)
            assert self.overall is not None
            self.bars.update(self.overall, completed=round(100 * fraction), left=self._left_text(fraction))
            return
        now = self.clock()
        if fraction >= 1.0 and self.shown >= 1.0:
            return
        if int(fraction * 10) > int(self.shown * 10) or now - self.shown_at >= PLAIN_EVERY:
            self.shown, self.shown_at = fraction, now
            self.console.file.write(self.plain_line(stage, done, total, fraction) + "\n")
            self.console.file.flush()

    def fraction(self) -> float:
        """Overall share done, weighted by each stage's expected time; never goes back."""
        if not self.stages:
            return 0.0
        known = [w for s, w in self.weights.items() if s in self.stages]
        default = sum(known) / len(known) if known else 1.0
        names = set(self.stages) | set(self.weights)
        total = sum(self.weights.get(s, default) for s in names)
        done = sum(self.weights.get(s, default) * f for s, f in self.stages.items())
        self.last_fraction = max(self.last_fraction, min(1.0, done / total if total else 0.0))
        return self.last_fraction

    def time_left(self, fraction: float) -> float | None:
        """Seconds left: from the pace so far once some is done, else from the estimate; None when unknown."""
        elapsed = self.clock() - self.started
        if fraction >= TRUST_AFTER:
            return elapsed * (1 - fraction) / fraction
        if self.expected is not None:
            return max(0.0, self.expected - elapsed)
        return None

    def _left_text(self, fraction: float) -> str:
        left = self.time_left(fraction)
        return f"about {format_time(left)} left" if left is not None and fraction < 1 else ""

    def plain_line(self, stage: str, done: int, total: int, fraction: float) -> str:
        """`index talk.mp4: 40% (ocr 2/5), 00:00:31 so far, about 00:00:47 left`."""
        elapsed = format_time(self.clock() - self.started)
        left = self._left_text(fraction)
        return printable(f"{self.label}: {100 * fraction:.0f}% ({stage} {done}/{total}), {elapsed} so far"
                         + (f", {left}" if left else ""))


class StepLines:
    """A `Progress` callback for short jobs made of slow steps (`vidseek ask`): one plain line per step on
    stderr, in a terminal or not, so a minute of LLM work never looks hung: `ask: loading the LLM…`,
    `ask: chapters 2/5`, `ask: agent step 3 of at most 9…`, `ask: step 2: search 'harbor master'`.
    A stage's closing call (done == total) prints nothing. `interrupt` is called before each line (the
    streamed reply ends its line)."""

    def __init__(self, console: Console, label: str, interrupt: Callable[[], None] | None = None):
        self.console, self.label = console, printable(label)
        self.interrupt = interrupt
        self.last: tuple[str, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if (total > 0 and done >= total) or self.last == (stage, done):
            return
        self.last = (stage, done)
        if stage == "agent":
            text = f"agent step {done + 1} of at most {total}: asking the LLM…"
        elif stage.startswith("step "):  # the agent's tool call, already in words
            text = f"{stage}…"
        elif total > 1:
            text = f"{stage} {done + 1}/{total}…"
        else:
            text = f"{stage}…"
        if self.interrupt:
            self.interrupt()
        self.console.file.write(printable(f"{self.label}: {text}") + "\n")
        self.console.file.flush()
