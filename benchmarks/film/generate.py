"""A short film: six chapters of drawn footage, title cards, inserts, five voices and one real recording.

    python -m benchmarks.film.generate --out DIR [--seed 0]

Writes DIR/film.mp4 (1280x720, 2 fps, about 5 minutes), DIR/questions.json (docs/eval.md: multiple choice,
open and unanswerable questions, a dev/heldout split) and DIR/subtitles/film.srt (chapters one to three,
some cues tagged with the speaker's name; kept out of the video's folder, since a sidecar beside it makes
`vidseek index` skip speech). The film is benchmarks/film/script.py: each chapter opens on a title card,
then a scene drawn with PIL (a kitchen, a street with a bus, a park, an office, a railway platform, a
house at night), cut away from by inserts (a note, a poster, photos of real animals) on which nobody
speaks. The voices are Piper, festival HTS, flite, Kokoro (two voices) and a real recorded telephone prompt.
The questions (questions.py) paraphrase; their gold spans are where the generator placed the lines, cards,
inserts and scenes. The seed picks the pauses, the option order, the heldout third and Piper's noise; the
same seed gives the same plan and the same file.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from benchmarks.film import voices
from benchmarks.film.questions import ASKS
from benchmarks.film.script import BEATS, LINES, PEOPLE, PHOTOS
from benchmarks.meeting.generate import _level, _question
from benchmarks.meeting.questions import Ask
from vidseek import synth

FPS = 2
SIZE = (1280, 720)
CARD_S = 3.0  # a title card on screen
SHOT_S = 4.0  # an insert (note, poster, photo) on screen
SCENE_LEAD_S = 1.5  # a scene's picture before its first line
CUT_PAUSE_S = 0.5  # silence either side of an insert
PAUSE_S = (0.4, 2.2)  # between lines
TAIL_S = 1.0
ROOM_NOISE = 0.002
PHOTO_DIR = Path("/usr/share/darknet/data")  # darknet's sample photos (Debian darknet): dog, eagle, horses, kite
SUBTITLED = ("one", "two", "three")  # the chapters the .srt covers
TAGGED = ("one", "two")  # chapters whose cues carry "NAME: " speaker tags
# speaking rates for planning without synthesis (tests): words per second
WORDS_PER_S = {"piper": 3.1, "festival": 2.9, "flite": 2.4, "kokoro": 2.6, "recording": 2.6}
_PEOPLE = {p.key: p for p in PEOPLE}


@dataclass
class Placed:
    """A line, card, insert or scene where the plan put it."""

    id: str
    kind: str  # speech | card | shot | scene
    start: float
    end: float
    text: str
    speaker: str = ""  # the person's key, for speech
    chapter: str = ""  # the chapter card it follows


@dataclass
class Plan:
    seed: int
    duration: float
    lines: list[Placed]
    pictures: list[Placed]  # cards, scenes and inserts
    cuts: list[tuple[float, str]]  # (time, "card:ID" | "scene:ID" | "shot:ID"): what the screen shows from then
    questions: list[dict]

    def carrier(self, ref: str) -> Placed:
        """A line by id, or a picture by "card:ID", "shot:ID" or "scene:ID"."""
        kind, _, key = ref.partition(":")
        if key:
            return next(p for p in self.pictures if p.kind == kind and p.id == key)
        return next(line for line in self.lines if line.id == ref)


def estimated_durations() -> dict[str, float]:
    """How long each line takes to say, from its words and the engine's rate: planning without audio."""
    return {line.id: round(len(line.text.split()) / WORDS_PER_S[_PEOPLE[line.speaker].engine] + 0.3, 2)
            for line in LINES}


def _frame(t: float) -> float:
    """The first frame at or after t, so every picture change is on a frame."""
    n = int(t * FPS)
    return n / FPS if n / FPS >= t - 1e-9 else (n + 1) / FPS


def plan(seed: int = 0, durations: Mapping[str, float] | None = None) -> Plan:
    """Where every beat goes and what is asked about it; the same seed and durations give the same plan.
    `durations` are the spoken lengths (seconds) by line id; estimated from words when None."""
    durations = durations or estimated_durations()
    rng = random.Random(seed)
    lines: list[Placed] = []
    pictures: list[Placed] = []
    cuts: list[tuple[float, str]] = []
    t, chapter, scene = 0.0, "", ""
    fresh = True  # nothing spoken since the last picture change: no pause needed before the next line
    for beat in BEATS:
        if beat.kind == "line":
            if not fresh:
                t += round(rng.uniform(*PAUSE_S), 2)
            start = round(t, 2)
            lines.append(Placed(beat.id, "speech", start, round(start + durations[beat.id], 2), beat.text,
                                beat.speaker, chapter))
            t, fresh = start + durations[beat.id], False
            continue
        t = _frame(t + (CUT_PAUSE_S if not fresh else 0.0))
        if beat.kind == "card":
            if scene:
                _close(pictures, scene, t)
                scene = ""
            chapter = beat.id
            pictures.append(Placed(beat.id, "card", t, t + CARD_S, beat.text, chapter=chapter))
            cuts.append((t, f"card:{beat.id}"))
            t += CARD_S
        elif beat.kind == "scene":
            scene = beat.id
            pictures.append(Placed(beat.id, "scene", t, t, beat.text, chapter=chapter))
            cuts.append((t, f"scene:{beat.id}"))
            t += SCENE_LEAD_S
        else:  # an insert, then back to the scene
            pictures.append(Placed(beat.id, "shot", t, t + SHOT_S, beat.text, chapter=chapter))
            cuts.append((t, f"shot:{beat.id}"))
            t += SHOT_S
            if scene:
                cuts.append((t, f"scene:{scene}"))
                t += CUT_PAUSE_S
        fresh = True
    duration = _frame(t + TAIL_S)
    p = Plan(seed, duration, lines, pictures, cuts, [])
    heldout = _heldout(rng, ASKS)
    for n, ask in enumerate(ASKS):
        entry = _question(ask, f"f{n + 1:02d}", p, rng)  # type: ignore[arg-type]
        entry["split"] = "heldout" if n in heldout else "dev"
        p.questions.append(entry)
    return p


def _kind(ask: Ask) -> str:
    return "unanswerable" if ask.unanswerable else "choice" if ask.options else "open"


def _heldout(rng: random.Random, asks: tuple[Ask, ...]) -> set[int]:
    """About a third of the questions, a third of each kind (multiple choice, open, unanswerable) and some of
    every task: each kind's questions in a seeded order of tasks, every third from a seeded offset; drawn
    again (seeded) until every task has questions on both sides. With only 38 questions, a draw by task
    alone (the meeting's) can leave three open questions held out."""
    kinds = sorted({_kind(a) for a in asks})
    tasks = sorted({a.task for a in asks})
    for _ in range(1000):
        rng.shuffle(tasks)
        held: set[int] = set()
        for kind in kinds:
            order: list[int] = []
            for task in tasks:
                mine = [i for i, a in enumerate(asks) if a.task == task and _kind(a) == kind]
                rng.shuffle(mine)
                order += mine
            offset = rng.randrange(3)
            held |= {i for n, i in enumerate(order) if n % 3 == offset}
        if all(0 < sum(i in held for i, a in enumerate(asks) if a.task == t) < sum(a.task == t for a in asks)
               for t in tasks):
            return held
    raise ValueError("no heldout draw splits every task")


def _close(pictures: list[Placed], scene: str, t: float) -> None:
    """A scene's span runs from its first picture to the card after it (inserts included)."""
    placed = next(p for p in reversed(pictures) if p.kind == "scene" and p.id == scene)
    placed.end = t


# --- pictures ------------------------------------------------------------------------------------------------

def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _centred(draw: ImageDraw.ImageDraw, text: str, size: int, fill: object, box: tuple[int, int, int, int],
             spacing: int = 18) -> None:
    font = _font(size)
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, spacing=spacing, align="center")
    x = box[0] + (box[2] - box[0] - (right - left)) // 2
    y = box[1] + (box[3] - box[1] - (bottom - top)) // 2
    draw.multiline_text((x, y), text, fill=fill, font=font, spacing=spacing, align="center")


def render_card(text: str, title: bool = False) -> np.ndarray:
    """A title card: white capitals on black (the film's own title on deep red)."""
    canvas = Image.new("RGB", SIZE, (110, 16, 24) if title else (8, 8, 8))
    _centred(ImageDraw.Draw(canvas), text, 88 if title else 60, (245, 245, 240), (0, 0, *SIZE))
    return np.asarray(canvas)


def _kitchen(draw: ImageDraw.ImageDraw, signs: str) -> None:
    w, h = SIZE
    draw.rectangle((0, 0, w, h), fill=(236, 204, 120))  # yellow walls
    for x in range(0, w, 80):  # a chequered floor
        for y in range(520, h, 50):
            draw.rectangle((x, y, x + 80, y + 50), fill=(60, 60, 60) if (x // 80 + y // 50) % 2 else (230, 230, 225))
    draw.rectangle((120, 90, 470, 340), fill=(150, 200, 240), outline=(255, 255, 255), width=14)  # window
    draw.line((295, 90, 295, 340), fill=(255, 255, 255), width=10)
    draw.rectangle((900, 120, 1120, 520), fill=(245, 245, 245), outline=(150, 150, 150), width=4)  # fridge
    draw.line((900, 260, 1120, 260), fill=(150, 150, 150), width=4)
    draw.rectangle((980, 170, 1040, 230), fill=(255, 240, 120))  # the note, too small to read from here
    draw.rectangle((420, 420, 820, 450), fill=(140, 90, 50))  # table
    draw.rectangle((450, 450, 470, 560), fill=(120, 75, 40))
    draw.rectangle((770, 450, 790, 560), fill=(120, 75, 40))
    draw.ellipse((560, 395, 660, 425), fill=(200, 40, 40))  # the dog's bowl


def _street(draw: ImageDraw.ImageDraw, signs: str) -> None:
    w, h = SIZE
    draw.rectangle((0, 0, w, 330), fill=(120, 180, 235))  # sky
    for x, top, colour in ((0, 80, (150, 110, 90)), (260, 40, (190, 170, 150)), (980, 60, (120, 120, 140))):
        draw.rectangle((x, top, x + 280, 420), fill=colour)  # buildings
        for wx in range(x + 30, x + 260, 70):
            for wy in range(top + 30, 380, 80):
                draw.rectangle((wx, wy, wx + 35, wy + 45), fill=(60, 70, 90))
    draw.rectangle((0, 420, w, h), fill=(70, 70, 72))  # road
    for x in range(0, w, 160):
        draw.rectangle((x, 600, x + 90, 615), fill=(240, 240, 240))
    draw.rectangle((330, 250, 1010, 560), fill=(200, 30, 30))  # the bus
    draw.rectangle((350, 265, 990, 345), fill=(20, 20, 20))  # its destination board
    _centred(draw, signs, 56, (255, 190, 40), (350, 265, 990, 345))
    for x in range(360, 980, 130):
        draw.rectangle((x, 370, x + 100, 450), fill=(170, 210, 230))
    for x in (420, 880):
        draw.ellipse((x - 50, 520, x + 50, 620), fill=(25, 25, 25))


def _park(draw: ImageDraw.ImageDraw, signs: str) -> None:
    w, h = SIZE
    draw.rectangle((0, 0, w, 300), fill=(170, 215, 250))
    draw.rectangle((0, 300, w, h), fill=(90, 170, 70))  # grass
    draw.ellipse((700, 430, 1150, 600), fill=(60, 120, 200))  # pond
    for x in (90, 330, 560, 1100):
        draw.rectangle((x + 45, 200, x + 75, 360), fill=(110, 70, 40))
        draw.ellipse((x, 80, x + 120, 240), fill=(30, 110, 40))
    draw.rectangle((180, 470, 420, 495), fill=(140, 95, 55))  # bench
    draw.rectangle((200, 495, 215, 540), fill=(90, 60, 35))
    draw.rectangle((385, 495, 400, 540), fill=(90, 60, 35))
    draw.rectangle((470, 500, 650, 600), fill=(60, 90, 160))  # the flower stall, a heap of sunflowers on it
    heap = random.Random(3)
    for _ in range(40):
        x, y = heap.randrange(470, 630), heap.randrange(450, 500)
        draw.ellipse((x, y, x + 24, y + 24), fill=(250, 200, 20), outline=(120, 70, 10), width=3)


def _office(draw: ImageDraw.ImageDraw, signs: str) -> None:
    w, h = SIZE
    draw.rectangle((0, 0, w, h), fill=(200, 210, 222))  # walls
    draw.rectangle((0, 540, w, h), fill=(70, 80, 110))  # carpet
    draw.rectangle((820, 60, 1220, 330), fill=(110, 140, 170), outline=(240, 240, 240), width=10)  # window
    for x in range(850, 1200, 60):
        draw.rectangle((x, 180 + (x % 7) * 10, x + 40, 330), fill=(80, 95, 120))
    draw.rectangle((80, 80, 520, 300), fill=(250, 250, 250), outline=(120, 120, 120), width=6)  # whiteboard
    for x0, x1 in ((100, 620), (700, 1200)):
        draw.rectangle((x0, 420, x1, 445), fill=(180, 150, 110))  # desks
        draw.rectangle((x0 + 120, 300, x0 + 330, 415), fill=(30, 30, 35))  # monitors
        draw.rectangle((x0 + 215, 415, x0 + 235, 420), fill=(30, 30, 35))
    draw.rectangle((1000, 380, 1060, 415), fill=(20, 20, 20))  # the telephone


def _platform(draw: ImageDraw.ImageDraw, signs: str) -> None:
    w, h = SIZE
    draw.rectangle((0, 0, w, h), fill=(150, 150, 145))  # concrete
    draw.rectangle((0, 0, w, 120), fill=(90, 40, 30))  # canopy
    draw.rectangle((0, 560, w, h), fill=(60, 45, 35))  # the track bed
    for x in range(0, w, 50):
        draw.rectangle((x, 580, x + 20, h), fill=(100, 80, 60))
    draw.rectangle((0, 600, w, 612), fill=(170, 170, 180))
    draw.rectangle((0, 660, w, 672), fill=(170, 170, 180))
    draw.rectangle((0, 530, w, 548), fill=(250, 210, 0))  # the yellow line
    sign, _, board = signs.partition("\n")
    draw.rectangle((80, 150, 560, 260), fill=(20, 50, 120))  # platform sign
    _centred(draw, sign, 64, (255, 255, 255), (80, 150, 560, 260))
    draw.rectangle((640, 150, 1220, 330), fill=(15, 15, 15))  # departure board
    _centred(draw, board, 54, (255, 160, 30), (640, 150, 1220, 330))


def _night(draw: ImageDraw.ImageDraw, signs: str) -> None:
    w, h = SIZE
    draw.rectangle((0, 0, w, h), fill=(25, 40, 100))  # a moonlit sky
    draw.ellipse((1030, 60, 1130, 160), fill=(240, 240, 210))  # moon
    stars = random.Random(7)
    for _ in range(60):
        x, y = stars.randrange(w), stars.randrange(380)
        draw.ellipse((x, y, x + 3, y + 3), fill=(230, 230, 255))
    draw.rectangle((0, 600, w, h), fill=(10, 25, 12))
    draw.rectangle((380, 330, 900, 600), fill=(35, 30, 40))  # the house
    draw.polygon(((350, 330), (640, 180), (930, 330)), fill=(50, 30, 30))
    for x, y in ((440, 390), (740, 390), (440, 490)):
        draw.rectangle((x, y, x + 100, y + 70), fill=(250, 200, 90))  # lit windows
    draw.rectangle((610, 480, 690, 600), fill=(90, 60, 40))  # door


_SCENES: dict[str, Callable[[ImageDraw.ImageDraw, str], None]] = {
    "kitchen": _kitchen, "street": _street, "park": _park, "office": _office, "platform": _platform, "night": _night}


def render_scene(scene: str, signs: str = "") -> np.ndarray:
    """A scene's background: flat shapes in colours of its own, so each one is a cut; `signs` is the text its
    signs show (the bus's destination; the platform's sign and departure board, one per line)."""
    canvas = Image.new("RGB", SIZE)
    _SCENES[scene](ImageDraw.Draw(canvas), signs)
    return np.asarray(canvas)


def _photo(name: str) -> Image.Image:
    """A darknet sample photo cropped to 16:9 and scaled to the frame."""
    image = Image.open(PHOTO_DIR / name).convert("RGB")
    w, h = image.size
    target = SIZE[0] / SIZE[1]
    if w / h > target:
        cw = int(h * target)
        image = image.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
    else:
        ch = int(w / target)
        image = image.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
    return image.resize(SIZE, Image.Resampling.LANCZOS)


def render_shot(shot: str, text: str) -> np.ndarray:
    """An insert: a photo (script.PHOTOS), or a close-up of the note on the fridge or the poster."""
    if shot in PHOTOS:
        return np.asarray(_photo(PHOTOS[shot]))
    if shot == "note":
        canvas = Image.new("RGB", SIZE, (235, 235, 232))  # the fridge door
        draw = ImageDraw.Draw(canvas)
        draw.rectangle((150, 90, 1130, 630), fill=(255, 236, 130))
        draw.ellipse((615, 70, 665, 120), fill=(200, 40, 40))  # a magnet
        _centred(draw, text, 58, (25, 40, 110), (150, 110, 1130, 630), spacing=34)
        return np.asarray(canvas)
    canvas = Image.new("RGB", SIZE, (40, 40, 40))  # the poster held up in the street
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((240, 20, 1040, 700), fill=(252, 252, 250))
    head, name, *rest = text.split("\n")
    _centred(draw, head, 96, (200, 20, 20), (240, 30, 1040, 140))
    canvas.paste(_photo("dog.jpg").resize((400, 225)), (440, 160))
    _centred(draw, name, 72, (20, 20, 20), (240, 395, 1040, 470))
    _centred(draw, "\n".join(rest), 58, (20, 20, 20), (240, 470, 1040, 690), spacing=28)
    return np.asarray(canvas)


def picture(p: Plan, ref: str) -> np.ndarray:
    """What the screen shows for a cut's "card:ID" / "scene:ID" / "shot:ID"."""
    placed = p.carrier(ref)
    if placed.kind == "card":
        return render_card(placed.text, title=placed.id == "title")
    if placed.kind == "scene":
        return render_scene(placed.id, placed.text)
    return render_shot(placed.id, placed.text)


def video_script(p: Plan) -> synth.Script:
    """The synth.Script that shows each card, scene and insert from its cut."""
    pictures = {ref: picture(p, ref) for ref in {ref for _, ref in p.cuts}}

    def show(ref: str):  # noqa: ANN202 - a Scene.draw callback
        return lambda t, width, height: pictures[ref]

    return synth.Script(duration=p.duration, size=SIZE, fps=FPS,
                        scenes=[synth.Scene(t, draw=show(ref)) for t, ref in p.cuts])


# --- sound ---------------------------------------------------------------------------------------------------

def check_engines() -> None:
    """Say every missing speech engine or recording the cast needs before minutes of synthesis."""
    for person in PEOPLE:
        if person.engine == "kokoro":
            continue
        if person.engine == "recording":
            if not voices.recording_path(person.voice).exists():
                raise synth.VoiceMissing(f"the recording {voices.recording_path(person.voice)} is missing "
                                         f"(run {voices.SETUP})")
            continue
        synth.tts(person.engine, "ready", person.voice)
    voices.check_kokoro([p.voice for p in PEOPLE if p.engine == "kokoro"])
    for name in sorted(PHOTOS.values()):
        if not (PHOTO_DIR / name).exists():
            raise synth.VoiceMissing(f"the photo {PHOTO_DIR / name} is missing (Debian: apt-get install darknet)")


def voice_lines(seed: int) -> dict[str, np.ndarray]:
    """Every line spoken by its person's voice, at one loudness; Kokoro's lines in one batch."""
    out: dict[str, np.ndarray] = {}
    kokoro_lines = [line for line in LINES if _PEOPLE[line.speaker].engine == "kokoro"]
    spoken = voices.kokoro([(_PEOPLE[line.speaker].voice, line.text) for line in kokoro_lines])
    out.update({line.id: _level(samples) for line, samples in zip(kokoro_lines, spoken)})
    for n, line in enumerate(LINES):
        person = _PEOPLE[line.speaker]
        if person.engine == "recording":
            out[line.id] = _level(voices.recording(person.voice))
        elif person.engine != "kokoro":
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


def subtitle_cues(p: Plan) -> list[tuple[float, float, str]]:
    """Cues for the lines of the subtitled chapters; in the tagged ones, spoken by a named person, the cue
    starts with "NAME: " as subtitles mark who speaks."""
    cues = []
    for line in p.lines:
        if line.chapter not in SUBTITLED:
            continue
        person = _PEOPLE[line.speaker]
        tag = f"{person.name.split()[0].upper()}: " if line.chapter in TAGGED and person.engine != "recording" else ""
        cues.append((line.start, line.end, tag + line.text))
    return cues


def question_file(p: Plan, video_name: str) -> dict:
    return {"video": video_name, "seed": p.seed, "duration": p.duration,
            "people": [asdict(person) for person in PEOPLE],
            "pictures": [asdict(x) for x in p.pictures], "lines": [asdict(line) for line in p.lines],
            "questions": p.questions}


def build(seed: int, out: Path) -> tuple[Path, Path]:
    """Write OUT/film.mp4, OUT/questions.json and OUT/subtitles/film.srt; the plan uses the real audio's
    spoken lengths."""
    check_engines()
    out.mkdir(parents=True, exist_ok=True)
    spoken = voice_lines(seed)
    p = plan(seed, {k: round(len(v) / synth.AUDIO_RATE, 2) for k, v in spoken.items()})
    movie = synth.write_video(video_script(p), out / "film.mp4", audio_track(p, spoken))
    (out / "subtitles").mkdir(exist_ok=True)
    synth.write_srt(subtitle_cues(p), out / "subtitles" / "film.srt")
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
        sys.exit(f"benchmarks.film: missing voice: {exc}")
    print(movie, questions)


if __name__ == "__main__":
    main()
