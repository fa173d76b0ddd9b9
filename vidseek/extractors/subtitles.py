"""Subtitles: sidecar .srt/.vtt/.ass/.ssa files beside the video, and subtitle streams inside it. pysubs2
reads the formats; this module decides what a cue is worth (times checked against the video, caps, notes)."""

from __future__ import annotations

import codecs
import functools
import io
import logging
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pysubs2 import SSAFile
from pysubs2.formats.subrip import SubripFormat
from pysubs2.formats.substation import SubstationFormat

from vidseek.errors import SourceUnavailable
from vidseek.extractors.base import Chunk, Extractor, Options
from vidseek.types import Evidence, Video, format_time
from vidseek.video import VideoError, read_embedded_subtitles

log = logging.getLogger(__name__)

SIDECAR_SUFFIXES = (".srt", ".vtt", ".ass", ".ssa")
MAX_BYTES = 16 << 20  # of one subtitle file; a film's subtitles are well under 1 MB
MAX_CUES = 20_000  # per file: a day of speech; each cue is embedded, so more only costs time and memory
GUESS_BYTES = 256 << 10  # what charset-normalizer looks at to guess an encoding
_STAMP = re.compile(r"\d+(?::\d{1,2}){0,2}(?:[.,]\d+)?")
_LEFTOVER_TAGS = re.compile(r"<[^>]*>")  # WebVTT voice, class and karaoke-time tags pysubs2 leaves in
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]{1,60})>")  # WebVTT's <v John> / <v.loud John>: who speaks
# "JOHN: …" / "DR. LEE: …", the subtitle convention for who speaks: capitals only, so "Note: …" is no speaker
_SPEAKER_PREFIX = re.compile(r"^([A-Z][A-Z'.-]*(?: [A-Z][A-Z'.-]*){0,2}):\s+(?=\S)")
_STYLING = re.compile(r"\{\\[^}]*\}")  # an ASS override block, as pysubs2 writes SubRip's <i>, <b>, <u>, <s>
_BREAKS = re.compile(r"\\[Nnh]")
Cue = tuple[float, float, str]


class SubtitleError(ValueError):
    """A subtitle file that cannot be read as SubRip, WebVTT or ASS/SSA."""


class _SignedSubRip(SubripFormat):
    """pysubs2's SubRip reader (tags, numbering, line breaks) with the times this project has always taken:
    a minus sign is kept (so a cue starting before 0 is moved to 0, not read as positive), hours may be left
    out (WebVTT's MM:SS.mmm) or run past 99, and only a stamp that starts the line or follows '-->' counts,
    so a line of text holding two times is not taken for a timing line."""

    TIMESTAMP = re.compile(r"(?:^|(?<=-->))[ \t]*(-?)(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})")

    @staticmethod
    def timestamp_to_ms(groups) -> int:  # type: ignore[override]
        sign, hours, minutes, seconds, fraction = groups
        ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(fraction.ljust(3, "0"))
        return -ms if sign else ms


def parse_timestamp(stamp: str) -> float:
    """'01:02:03,450' or '02:03.450' as seconds."""
    if not _STAMP.fullmatch(stamp.strip()):
        raise SubtitleError(f"bad timestamp {stamp!r}")
    values = [float(p) for p in stamp.strip().replace(",", ".").split(":")]
    seconds = 0.0
    for v in values:
        seconds = seconds * 60 + v
    return seconds


def _timed_blocks(text: str) -> str:
    """A SubRip or WebVTT document cut down to its cues: each blank-line block from its timing line on.
    pysubs2 reads a WebVTT NOTE, STYLE or cue-id line, or a paragraph after a blank line, as text of the
    cue before it; a cue's text ends at the first blank line, as both formats say."""
    kept = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.strip("\n").split("\n")
        timing = next((i for i, line in enumerate(lines) if len(_SignedSubRip.TIMESTAMP.findall(line)) == 2), None)
        if timing is not None:
            kept.append("\n".join(lines[timing:]))
    return "\n\n".join(kept) + "\n"


def _events(text: str, notes: list[str] | None) -> list[tuple[int, int, str]]:
    """(start ms, end ms, text without tags) of the document's events as pysubs2 reads them: ASS/SSA by its
    section headers, else SubRip or WebVTT. An ASS file's comments and vector drawings are not text and are
    left out, and so is anything in braces (ASS hides notes that way); in SubRip and WebVTT only styling
    ('<i>', which pysubs2 makes '{\\i1}') is removed, so '{' in a cue's words stays."""
    substation = SubstationFormat.guess_format(text) or ("ass" if "[Events]" in text else None)
    subs = SSAFile()
    if substation:
        try:
            with warnings.catch_warnings():  # one per malformed field; whether any cue comes out is what counts
                warnings.simplefilter("ignore")
                subs = SSAFile.from_string(text, format_=substation)
        except Exception as exc:  # pysubs2 raises what its parser meets (ValueError, KeyError, …)
            if notes is not None:
                notes.append(f"its ASS/SSA events are unreadable ({type(exc).__name__}: {exc})")
            return []
        return [(e.start, e.end, e.plaintext) for e in subs if e.is_text]
    _SignedSubRip.from_file(subs, io.StringIO(_timed_blocks(text)), "srt")
    return [(e.start, e.end, _BREAKS.sub(" ", _STYLING.sub("", e.text))) for e in subs]


def parse_cues(text: str, notes: list[str] | None = None, voices: dict[Cue, str] | None = None) -> list[Cue]:
    """(start, end, text) cues of a SubRip, WebVTT or ASS/SSA document, read by pysubs2; numbering, headers
    and styling (<i>, {\\i1}, \\N) are dropped. Cues with negative times start at 0; cues that end before
    they start (or before 0) are dropped; an ASS cue repeated on several layers is kept once; `notes` is
    told how many of each; `voices` is given the speaker of each cue that has a WebVTT voice tag."""
    cues: list[Cue] = []
    seen: set[Cue] = set()
    moved = backwards = before_zero = 0
    # a WebVTT voice tag becomes "John: " before the reader (which drops tags) sees the cue
    named = {m.group(1).strip() for m in _VOICE.finditer(text)}
    text = _VOICE.sub(lambda m: f"{m.group(1).strip()}: ", text)
    for start_ms, end_ms, words in _events(text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"), notes):
        # a word joiner is invisible: vidseek's own exports put one where a cue's words looked like syntax
        body = re.sub(r"\s+", " ", _LEFTOVER_TAGS.sub("", words.replace("\u2060", ""))).strip()
        voice = next((n for n in named if body.startswith(f"{n}: ")), None)
        start, end = start_ms / 1000, end_ms / 1000
        if not body:
            continue
        if end < start:
            backwards += 1
        elif end < 0:
            before_zero += 1
        else:
            if start < 0:
                moved += 1
            cue = (max(0.0, start), end, body)
            if cue not in seen:
                seen.add(cue)
                cues.append(cue)
                if voice is not None and voices is not None:
                    voices[cue] = voice
    if notes is not None:
        if backwards:
            notes.append(f"{backwards} cue(s) end before they start: dropped")
        if before_zero:
            notes.append(f"{before_zero} cue(s) end before 00:00:00: dropped")
        if moved:
            notes.append(f"{moved} cue(s) start before 00:00:00: moved to 00:00:00")
    return cues


def fit_to_video(cues: list[Cue], duration: float,
                 notes: list[str]) -> list[Cue]:
    """Cues within the video: those starting at or after its end dropped, those running past it cut there."""
    kept: list[Cue] = []
    dropped = cut = 0
    for start, end, text in cues:
        if start >= duration:
            dropped += 1
        elif end > duration:
            cut += 1
            kept.append((start, duration, text))
        else:
            kept.append((start, end, text))
    end_of_video = format_time(duration)
    if dropped:
        notes.append(f"{dropped} cue(s) start after the video ends ({end_of_video}): dropped")
    if cut:
        notes.append(f"{cut} cue(s) run past the video's end ({end_of_video}): cut there")
    return kept


def sidecar_files(video_path: str | Path, folders: Sequence[str | Path] = ()) -> list[Path]:
    """Subtitle files named like the video: movie.srt, movie.en.vtt, … beside it, or in one of `folders`."""
    path = Path(video_path)
    return sorted({
        p for folder in (path.parent, *map(Path, folders)) if folder.is_dir() for p in folder.iterdir()
        if p.suffix.lower() in SIDECAR_SUFFIXES and (p.stem == path.stem or p.stem.startswith(path.stem + "."))
    })


def decode(raw: bytes, name: str, notes: list[str] | None = None) -> str:
    """Subtitle bytes as text: a byte-order mark (UTF-8, UTF-16, UTF-32) or valid UTF-8 is certain; anything
    else is a guess by charset-normalizer (Shift-JIS, cp1252, GB18030, …), and `notes` is told the guess."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(encoding, "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:GUESS_BYTES]).best()
    encoding = best.encoding if best is not None else "latin-1"  # latin-1 takes any bytes
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        encoding = "latin-1"
        text = raw.decode(encoding)
    if notes is not None:
        notes.append(f"{name} is not UTF-8: read as {encoding} (a guess; save it as UTF-8 if its text looks wrong)")
    return text


def read_sidecar(path: Path, notes: list[str] | None = None, voices: dict[Cue, str] | None = None) -> list[Cue]:
    """The cues of a subtitle file, at most MAX_CUES of its first MAX_BYTES; `notes` is told what was
    guessed, cut, moved or dropped. Raises SubtitleError for a file that holds no cues."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SubtitleError(f"cannot read subtitle file '{path}': {exc.strerror}") from exc
    said: list[str] = []
    if len(raw) > MAX_BYTES:
        raw = raw[:MAX_BYTES]
        said.append(f"it is larger than {MAX_BYTES >> 20} MB: read its first {MAX_BYTES >> 20} MB")
    text = decode(raw, path.name, said)
    cues = parse_cues(text, said, voices)
    if raw.strip() and not cues:
        raise SubtitleError(f"'{path.name}' holds no SubRip or WebVTT cues and no ASS/SSA events")
    if len(cues) > MAX_CUES:
        said.append(f"it holds {len(cues):,} cues: kept the first {MAX_CUES:,}")
        cues = sorted(cues)[:MAX_CUES]
    if notes is not None:
        notes.extend(note if note.startswith(path.name) else f"{path.name}: {note}" for note in said)
    return cues


def _readable(path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return _readable_version(str(path), st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=64)
def _readable_version(path: str, mtime_ns: int, size: int) -> bool:
    """Whether a file (as it is now: its time and size are in the key) has cues; asked several times per
    index, and a large file takes a while to read."""
    try:
        return bool(read_sidecar(Path(path)))
    except SubtitleError:
        return False


def _speaker(text: str, voice: str | None = None) -> dict[str, str]:
    """{"speaker": NAME} for a cue that says who speaks: its WebVTT voice tag (written into the text as
    "John: …"), or a "JOHN: …" prefix. The text keeps the name, so the keyword index and the LLM see it."""
    if voice:
        return {"speaker": voice}
    m = _SPEAKER_PREFIX.match(text)
    return {"speaker": m.group(1)} if m else {}


@dataclass(frozen=True)
class SubtitleOptions(Options):
    embedded: bool = True  # subtitle streams inside the file
    sidecar: bool = True  # .srt/.vtt files beside it
    folders: tuple[str, ...] = ()  # more folders to find VIDEO_NAME.srt in (Video-MME keeps them apart)


class SubtitleExtractor(Extractor):
    """Each subtitle cue becomes one Evidence. Cheap: runs on every index, never cached."""

    name = "subtitle"
    version = "1"
    source = "subtitle"
    needs: frozenset[str] = frozenset()
    options_type = SubtitleOptions
    colour = "#c0392b"
    supersedes = frozenset({"speech"})  # a file's own subtitles are better than a transcript of it

    def __init__(self, embedded: bool = True, sidecar: bool = True, folders: Sequence[str | Path] = (),
                 device: str = "auto"):
        self.embedded = embedded
        self.sidecar = sidecar
        self.folders = tuple(str(Path(f).resolve()) for f in folders)
        self.model_calls = 0
        self.problems: list[str] = []  # unreadable files, reported as notices

    def config(self) -> dict[str, Any]:
        extra = {"folders": list(self.folders)} if self.folders else {}  # absent when unset: old keys hold
        return {"embedded": self.embedded, "sidecar": self.sidecar, **extra}

    def available(self, video: Video) -> bool:
        """Whether the file has readable subtitles (then speech is skipped unless asked for): an unreadable
        subtitle file must not cost the video its transcript."""
        return bool((self.sidecar and any(_readable(p) for p in sidecar_files(video.path, self.folders)))
                    or (self.embedded and video.subtitle_streams))

    def notices(self) -> list[str]:
        return list(self.problems)

    def sidecar_stamp(self, video: Video) -> str:
        """The subtitle files beside the video as they are now: one added, removed or edited changes it."""
        if not self.sidecar:
            return ""
        parts = []
        for path in sidecar_files(video.path, self.folders):
            try:
                st = path.stat()
            except OSError:
                continue
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
        return "|".join(parts)

    def check(self, video: Video) -> None:
        if not self.available(video):
            unreadable = [p.name for p in sidecar_files(video.path, self.folders)] if self.sidecar else []
            if unreadable:
                raise SourceUnavailable(f"subtitle file(s) {', '.join(unreadable)} unreadable "
                                        "(not SubRip, WebVTT or ASS/SSA text)")
            raise SourceUnavailable("no subtitle file beside the video and no subtitle stream")

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        self.problems = []
        cues: list[tuple[float, float, str, str]] = []
        voices: dict[Cue, str] = {}
        if self.sidecar:
            for path in sidecar_files(video.path, self.folders):
                notes: list[str] = []
                try:
                    found = fit_to_video(read_sidecar(path, notes, voices), video.duration, notes)
                    cues.extend((s, e, t, path.name) for s, e, t in found)
                except SubtitleError as exc:
                    self.problems.append(str(exc))
                self.problems.extend(n if n.startswith(path.name) else f"{path.name}: {n}" for n in notes)
        if self.embedded and video.subtitle_streams and not cues:
            notes = []
            try:
                found = fit_to_video(read_embedded_subtitles(video.path)[:MAX_CUES], video.duration, notes)
                cues.extend((s, e, t, "embedded") for s, e, t in found)
            except (VideoError, ValueError) as exc:
                self.problems.append(f"embedded subtitles unreadable: {exc}")
            self.problems.extend(f"embedded subtitles: {n}" for n in notes)
        voiced = {(start, text): name for (start, _, text), name in voices.items()}  # ends may be cut to fit
        return [
            Evidence(
                fingerprint=video.fingerprint, start=round(s, 3), end=round(e, 3), source="subtitle", text=t,
                extractor=self.name, extractor_version=self.version,
                meta={"file": origin, **_speaker(t, voiced.get((s, t)))},
            )
            for s, e, t, origin in sorted(cues)
        ]
