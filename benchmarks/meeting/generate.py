"""A recorded-style project meeting with slides: four voices taking turns, facts spoken and on screen.

    python -m benchmarks.meeting.generate --out DIR [--seed 0]

Writes DIR/meeting.mp4 (1280x720, 2 fps, about 8-9 minutes) and DIR/questions.json (docs/eval.md, with
open questions, unanswerable ones and a dev/heldout split). The meeting is benchmarks/meeting/script.py:
a launch review where people call each other by name, decide, take actions and give reasons, voiced by
near-human engines (Piper, festival HTS, flite) and one espeak-ng voice as the hard case (see the design
notes on test media). The questions (questions.py) paraphrase; their gold spans are where the lines and
slides were placed. The seed picks the pauses between turns (0.5-4 s), the option order, the heldout
third and Piper's noise; the same seed gives the same plan and the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks.meeting.questions import ASKS, Ask
from benchmarks.meeting.script import LINES, PEOPLE, SLIDES, Slide
from vidseek import synth
from vidseek.pipeline.answer import LETTERS
from vidseek.types import format_time

FPS = 2
SIZE = (1280, 720)
LEAD_IN_S = 3.0  # the title slide alone before anyone speaks
TAIL_S = 4.0
PAUSE_S = (0.5, 3.0)  # between turns on one topic
TOPIC_PAUSE_S = (3.0, 4.0)  # when the slide changes
TIMING_STEP_S = 60.0  # timing options name whole minutes
HELDOUT_SHARE = 1 / 3
LEVEL_RMS = 0.08  # every voice brought to one loudness, as a meeting recorder's gain control would
ROOM_NOISE = 0.002
# speaking rates for planning without synthesis (tests): words per second, measured on these engines
WORDS_PER_S = {"piper": 3.1, "festival": 2.9, "flite": 2.4, "espeak-ng": 2.5}
_PEOPLE = {p.key: p for p in PEOPLE}


@dataclass
class Placed:
    """A line or slide where the plan put it."""

    id: str
    kind: str  # speech | slide
    start: float
    end: float
    text: str
    speaker: str = ""  # the person's key, for speech


@dataclass
class Plan:
    seed: int
    duration: float
    lines: list[Placed]
    slides: list[Placed]
    questions: list[dict]

    def carrier(self, ref: str) -> Placed:
        """A line by id, or a slide by "slide:ID"."""
        if ref.startswith("slide:"):
            return next(s for s in self.slides if s.id == ref[len("slide:"):])
        return next(line for line in self.lines if line.id == ref)


def slide_text(slide: Slide) -> str:
    return "\n".join((slide.title, *slide.bullets))


def estimated_durations() -> dict[str, float]:
    """How long each line takes to say, from its words and the engine's rate: planning without audio."""
    return {line.id: round(len(line.text.split()) / WORDS_PER_S[_PEOPLE[line.speaker].engine] + 0.3, 2)
            for line in LINES}


def _frame(t: float) -> float:
    return int(t * FPS) / FPS


def _timing_options(rng: random.Random, start: float, duration: float) -> tuple[list[str], int]:
    """"around MM:00" options: the minute nearest `start`, and three at least two minutes from it, so the
    right one is never a coin toss at a bin edge."""
    right = int(start / TIMING_STEP_S + 0.5)
    far = [m for m in range(int(duration // TIMING_STEP_S) + 1) if abs(m - right) >= 2]
    picks = sorted({right, *rng.sample(far, 3)})
    return [f"around {format_time(m * TIMING_STEP_S)}" for m in picks], picks.index(right)


def _question(ask: Ask, qid: str, p: Plan, rng: random.Random) -> dict:
    """The question file's entry for an Ask: options shuffled, gold spans from the placed carriers."""
    spans = [p.carrier(ref) for ref in ask.carriers]
    entry: dict = {"qid": qid, "task": ask.task, "question": ask.question, "needle": ask.needle,
                   "evidence": [{"start": c.start, "end": c.end} for c in spans], "carriers": list(ask.carriers)}
    if ask.timing_of:
        options, right = _timing_options(rng, p.carrier(ask.timing_of).start, p.duration)
        entry.update(options=options, answer=LETTERS[right])
    elif ask.options:
        options = list(ask.options)
        rng.shuffle(options)
        entry.update(options=options, answer=LETTERS[options.index(ask.options[0])])
    if ask.keywords:
        entry["keywords"] = [list(group) for group in ask.keywords]
    if ask.unanswerable:
        entry["unanswerable"] = True
    return entry


def _heldout(rng: random.Random, asks: tuple[Ask, ...]) -> set[int]:
    """About a third of the questions, spread over the tasks: each task's questions in a seeded order, the
    tasks one after another, every third one from a seeded offset."""
    tasks = sorted({a.task for a in asks})
    rng.shuffle(tasks)
    order: list[int] = []
    for task in tasks:
        mine = [i for i, a in enumerate(asks) if a.task == task]
        rng.shuffle(mine)
        order += mine
    offset = rng.randrange(3)
    return {i for n, i in enumerate(order) if n % 3 == offset}


def plan(seed: int = 0, durations: Mapping[str, float] | None = None) -> Plan:
    """Where every line and slide goes and what is asked about them; the same seed and durations give the
    same plan. `durations` are the spoken lengths (seconds) by line id; estimated from words when None."""
    durations = durations or estimated_durations()
    rng = random.Random(seed)
    lines: list[Placed] = []
    slide_starts: dict[str, float] = {SLIDES[0].id: 0.0}
    t = LEAD_IN_S
    for n, line in enumerate(LINES):
        if n and line.section != LINES[n - 1].section:
            pause = round(rng.uniform(*TOPIC_PAUSE_S), 2)
            slide_starts[line.section] = _frame(t + pause / 2)  # the slide goes up in the pause
            t += pause
        elif n:
            t += round(rng.uniform(*PAUSE_S), 2)
        start = round(t, 2)
        lines.append(Placed(line.id, "speech", start, round(start + durations[line.id], 2), line.text, line.speaker))
        t = start + durations[line.id]
    duration = _frame(t + TAIL_S)
    by_id = {s.id: s for s in SLIDES}
    order = sorted(slide_starts, key=slide_starts.get)  # type: ignore[arg-type]
    slides = [Placed(sid, "slide", slide_starts[sid], slide_starts[order[i + 1]] if i + 1 < len(order) else duration,
                     slide_text(by_id[sid])) for i, sid in enumerate(order)]
    p = Plan(seed, duration, lines, slides, [])
    heldout = _heldout(rng, ASKS)
    for n, ask in enumerate(ASKS):
        entry = _question(ask, f"m{n + 1:02d}", p, rng)
        entry["split"] = "heldout" if n in heldout else "dev"
        p.questions.append(entry)
    return p


# --- rendering -----------------------------------------------------------------------------------------------

def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def render_slide(slide: Slide, page: int, pages: int) -> np.ndarray:
    """A plain corporate slide: a title band, large bullets (readable by OCR at 720p), a footer."""
    width, height = SIZE
    canvas = Image.new("RGB", SIZE, (250, 250, 247))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, width, 130), fill=(24, 54, 92))
    draw.text((60, 34), slide.title, fill="white", font=_font(58))
    y = 180
    for bullet in slide.bullets:
        draw.ellipse((64, y + 16, 80, y + 32), fill=(24, 54, 92))
        draw.text((104, y), bullet, fill=(20, 20, 20), font=_font(42))
        y += 84
    draw.line((60, height - 62, width - 60, height - 62), fill=(190, 190, 190), width=2)
    draw.text((60, height - 50), "Beacon 2 | launch review", fill=(120, 120, 120), font=_font(24))
    draw.text((width - 140, height - 50), f"{page} / {pages}", fill=(120, 120, 120), font=_font(24))
    return np.asarray(canvas)


def check_engines() -> None:
    """Say every missing speech engine the cast needs before minutes of synthesis (synth.VoiceMissing)."""
    for engine, voice in sorted({(p.engine, p.voice) for p in PEOPLE}):
        synth.tts(engine, "ready", voice)


def _level(samples: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0
    if rms == 0.0:
        return samples
    scaled = samples * (LEVEL_RMS / rms)
    peak = float(np.abs(scaled).max())
    return (scaled * (0.95 / peak) if peak > 0.95 else scaled).astype(np.float32)


def voice_lines(seed: int) -> dict[str, np.ndarray]:
    """Every line spoken by its person's engine, at one rate and one loudness."""
    out = {}
    for n, line in enumerate(LINES):
        person = _PEOPLE[line.speaker]
        out[line.id] = _level(synth.tts(person.engine, line.text, person.voice, seed=seed * 1000 + n))
    return out


def audio_track(p: Plan, spoken: Mapping[str, np.ndarray]) -> np.ndarray:
    rng = np.random.default_rng(p.seed)
    n = int(p.duration * synth.AUDIO_RATE)
    track = (rng.standard_normal(n) * ROOM_NOISE).astype(np.float32)
    for line in p.lines:
        at = int(line.start * synth.AUDIO_RATE)
        part = spoken[line.id][: max(0, n - at)]
        track[at: at + len(part)] += part
    return np.clip(track, -1.0, 1.0)


def video_script(p: Plan) -> synth.Script:
    """The synth.Script that shows each slide over its span."""
    by_id = {s.id: s for s in SLIDES}
    pictures = {s.id: render_slide(by_id[s.id], n + 1, len(SLIDES)) for n, s in enumerate(p.slides)}

    def show(sid: str):  # noqa: ANN202 - a Scene.draw callback
        return lambda t, width, height: pictures[sid]

    return synth.Script(duration=p.duration, size=SIZE, fps=FPS,
                        scenes=[synth.Scene(s.start, draw=show(s.id)) for s in p.slides])


def question_file(p: Plan, video_name: str) -> dict:
    return {"video": video_name, "seed": p.seed, "duration": p.duration,
            "people": [asdict(person) for person in PEOPLE],
            "slides": [asdict(s) for s in p.slides], "lines": [asdict(line) for line in p.lines],
            "questions": p.questions}


def build(seed: int, out: Path) -> tuple[Path, Path]:
    """Write OUT/meeting.mp4 and OUT/questions.json; the plan uses the spoken lengths of the real audio."""
    check_engines()
    out.mkdir(parents=True, exist_ok=True)
    spoken = voice_lines(seed)
    p = plan(seed, {k: round(len(v) / synth.AUDIO_RATE, 2) for k, v in spoken.items()})
    movie = synth.write_video(video_script(p), out / "meeting.mp4", audio_track(p, spoken))
    questions = out / "questions.json"
    questions.write_text(json.dumps(question_file(p, movie.name), indent=1))
    return movie, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    try:
        movie, questions = build(args.seed, args.out)
    except synth.VoiceMissing as exc:
        sys.exit(f"benchmarks.meeting: missing speech engine: {exc}")
    print(movie, questions)


if __name__ == "__main__":
    main()
