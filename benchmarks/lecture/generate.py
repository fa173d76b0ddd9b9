"""A recorded-style guest lecture with slides: a host, a lecturer, questions from the audience.

    python -m benchmarks.lecture.generate --out DIR [--seed 0]

Writes DIR/lecture.mp4 (1280x720, 2 fps, about 7 minutes) and DIR/questions.json (docs/eval.md, with open
questions, unanswerable ones and a dev/heldout split). The lecture is benchmarks/lecture/script.py: a host
(Kokoro) introduces a lecturer (Piper), who talks over nine slides with bar charts and figures, swaps two
parts of his outline, and answers four people from the audience (festival HTS, two flite voices, and
espeak-ng as the hard case); one asker's question makes him correct a figure on a slide. The questions
(questions.py) paraphrase; their gold spans are where the lines and slides were placed. The seed picks the
pauses, the option order, the heldout third and Piper's and Kokoro's noise; the same seed gives the same plan
and the same file. The planning and placement rules are the meeting's (benchmarks.meeting.generate).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks.lecture import kokoro
from benchmarks.lecture.questions import ASKS
from benchmarks.lecture.script import LINES, PEOPLE, SLIDES, Slide
from benchmarks.meeting.generate import (
    PAUSE_S,
    TOPIC_PAUSE_S,
    Placed,
    Plan,
    _frame,
    _heldout,
    _level,
    _question,
    audio_track,
)
from vidseek import synth

FPS = 2
SIZE = (1280, 720)
LEAD_IN_S = 3.0  # the title slide alone before the host speaks
TAIL_S = 4.0
# speaking rates for planning without synthesis (tests): words per second, measured on these engines
WORDS_PER_S = {"piper": 3.1, "festival": 2.9, "flite": 2.4, "espeak-ng": 2.5, "kokoro": 2.9}
_PEOPLE = {p.key: p for p in PEOPLE}
INK = (20, 20, 20)
BAND = (18, 84, 62)  # a green title band: the talk is about trees


def slide_text(slide: Slide) -> str:
    """What the slide shows, line by line: title, bullets, the chart's caption and its labelled values."""
    rows = [f"{label}: {value:g}" for label, value in slide.chart]
    return "\n".join((slide.title, *slide.bullets, *([slide.chart_title] if slide.chart else []), *rows))


def estimated_durations() -> dict[str, float]:
    """How long each line takes to say, from its words and the engine's rate: planning without audio."""
    return {line.id: round(len(line.text.split()) / WORDS_PER_S[_PEOPLE[line.speaker].engine] + 0.3, 2)
            for line in LINES}


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
        entry = _question(ask, f"l{n + 1:02d}", p, rng)
        entry["split"] = "heldout" if n in heldout else "dev"
        p.questions.append(entry)
    return p


# --- rendering -----------------------------------------------------------------------------------------------

def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _chart(draw: ImageDraw.ImageDraw, slide: Slide, top: int) -> None:
    """A horizontal bar chart: the caption, then one row per value, its label and number in large type
    next to each other and the bar after them. A number drawn at the far end of its bar is read by OCR as
    an item of its own, with nothing to say which row it belongs to; a viewer would see that, OCR cannot."""
    draw.text((104, top), slide.chart_title, fill=(90, 90, 90), font=_font(30))
    biggest = max(value for _, value in slide.chart)
    left, span, y = 560, 600, top + 52
    for label, value in slide.chart:
        draw.text((104, y), f"{label}: {value:g}", fill=INK, font=_font(34))
        draw.rectangle((left, y + 2, left + int(span * value / biggest), y + 44), fill=(214, 120, 40))
        y += 68


def render_slide(slide: Slide, page: int, pages: int) -> np.ndarray:
    """A plain lecture slide: a title band, large bullets (readable by OCR at 720p), a chart, a footer."""
    width, height = SIZE
    canvas = Image.new("RGB", SIZE, (250, 250, 245))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, width, 130), fill=BAND)
    draw.text((60, 34), slide.title, fill="white", font=_font(58))
    y = 165
    for bullet in slide.bullets:
        draw.ellipse((64, y + 14, 80, y + 30), fill=BAND)
        draw.text((104, y), bullet, fill=INK, font=_font(40))
        y += 64
    if slide.chart:
        _chart(draw, slide, y + 12)
    draw.line((60, height - 62, width - 60, height - 62), fill=(190, 190, 190), width=2)
    draw.text((60, height - 50), "City Science Evening Lectures | Cooler Streets", fill=(120, 120, 120),
              font=_font(24))
    draw.text((width - 140, height - 50), f"{page} / {pages}", fill=(120, 120, 120), font=_font(24))
    return np.asarray(canvas)


# --- voices and the file -------------------------------------------------------------------------------------

def check_engines() -> None:
    """Say every missing speech engine the cast needs before minutes of synthesis (synth.VoiceMissing)."""
    kokoro.check([p.voice for p in PEOPLE if p.engine == "kokoro"])
    for engine, voice in sorted({(p.engine, p.voice) for p in PEOPLE if p.engine != "kokoro"}):
        synth.tts(engine, "ready", voice)


def voice_lines(seed: int) -> dict[str, np.ndarray]:
    """Every line spoken by its person's engine, at one loudness; Kokoro's lines in one batch."""
    out: dict[str, np.ndarray] = {}
    hosted = [line for line in LINES if _PEOPLE[line.speaker].engine == "kokoro"]
    spoken = kokoro.speak([(_PEOPLE[line.speaker].voice, line.text) for line in hosted], seed)
    out.update({line.id: _level(samples) for line, samples in zip(hosted, spoken)})
    for n, line in enumerate(LINES):
        person = _PEOPLE[line.speaker]
        if person.engine != "kokoro":
            out[line.id] = _level(synth.tts(person.engine, line.text, person.voice, seed=seed * 1000 + n))
    return out


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
    """Write OUT/lecture.mp4 and OUT/questions.json; the plan uses the spoken lengths of the real audio."""
    check_engines()
    out.mkdir(parents=True, exist_ok=True)
    spoken = voice_lines(seed)
    p = plan(seed, {k: round(len(v) / synth.AUDIO_RATE, 2) for k, v in spoken.items()})
    movie = synth.write_video(video_script(p), out / "lecture.mp4", audio_track(p, spoken))
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
        sys.exit(f"benchmarks.lecture: missing speech engine: {exc}")
    print(movie, questions)


if __name__ == "__main__":
    main()
