"""Subtitles: sidecar .srt/.vtt files beside the video, and subtitle streams inside it."""

from __future__ import annotations

import codecs
import functools
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from vidseek import models
from vidseek.extractors.base import Chunk
from vidseek.types import Evidence, Video, format_time
from vidseek.video import VideoError, read_embedded_subtitles

log = logging.getLogger(__name__)

SIDECAR_SUFFIXES = (".srt", ".vtt")
MAX_BYTES = 16 << 20  # of one subtitle file; a film's subtitles are well under 1 MB
MAX_CUES = 20_000  # per file: a day of speech; each cue is embedded, so more only costs time and memory
GUESS_BYTES = 256 << 10  # what charset-normalizer looks at to guess an encoding
_TIMING = re.compile(
    r"(?P<a>-?(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<b>-?(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_STAMP = re.compile(r"\d+(?::\d{1,2}){0,2}(?:[.,]\d+)?")
_TAGS = re.compile(r"<[^>]*>|\{\\[^}]*\}")


class SubtitleError(ValueError):
    """A subtitle file that cannot be read as SubRip or WebVTT."""


def parse_timestamp(stamp: str) -> float:
    """'01:02:03,450' or '02:03.450' as seconds."""
    if not _STAMP.fullmatch(stamp.strip()):
        raise SubtitleError(f"bad timestamp {stamp!r}")
    values = [float(p) for p in stamp.strip().replace(",", ".").split(":")]
    seconds = 0.0
    for v in values:
        seconds = seconds * 60 + v
    return seconds


def _signed(stamp: str) -> float:
    return -parse_timestamp(stamp[1:]) if stamp.startswith("-") else parse_timestamp(stamp)


def parse_cues(text: str, notes: list[str] | None = None) -> list[tuple[float, float, str]]:
    """(start, end, text) cues of a SubRip or WebVTT document; numbering and headers are ignored. Cues
    with negative times start at 0; cues that end before they start (or before 0) are dropped; `notes`
    is told how many of each."""
    cues: list[tuple[float, float, str]] = []
    moved = backwards = before_zero = 0
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")):
        lines = block.strip("\n").split("\n")
        for i, line in enumerate(lines):
            match = _TIMING.search(line)
            if match is None:
                continue
            start, end = _signed(match["a"]), _signed(match["b"])
            body = " ".join(_TAGS.sub("", t).strip() for t in lines[i + 1 :]).strip()
            if not body:
                break
            if end < start:
                backwards += 1
            elif end < 0:
                before_zero += 1
            else:
                if start < 0:
                    moved += 1
                cues.append((max(0.0, start), end, re.sub(r"\s+", " ", body)))
            break
    if notes is not None:
        if backwards:
            notes.append(f"{backwards} cue(s) end before they start: dropped")
        if before_zero:
            notes.append(f"{before_zero} cue(s) end before 00:00:00: dropped")
        if moved:
            notes.append(f"{moved} cue(s) start before 00:00:00: moved to 00:00:00")
    return cues


def fit_to_video(cues: list[tuple[float, float, str]], duration: float,
                 notes: list[str]) -> list[tuple[float, float, str]]:
    """Cues within the video: those starting at or after its end dropped, those running past it cut there."""
    kept: list[tuple[float, float, str]] = []
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


def read_sidecar(path: Path, notes: list[str] | None = None) -> list[tuple[float, float, str]]:
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
    cues = parse_cues(text, said)
    if raw.strip() and not cues:
        raise SubtitleError(f"'{path.name}' holds no SubRip or WebVTT cues")
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


class SubtitleExtractor:
    """Each subtitle cue becomes one Evidence. Cheap: runs on every index, never cached."""

    name = "subtitle"
    version = "1"
    source = "subtitle"
    needs: frozenset[str] = frozenset()

    def __init__(self, embedded: bool = True, sidecar: bool = True, folders: Sequence[str | Path] = ()):
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

    def check(self, video: Video) -> None:
        if not self.available(video):
            unreadable = [p.name for p in sidecar_files(video.path, self.folders)] if self.sidecar else []
            if unreadable:
                raise models.ModelUnavailable(f"subtitle file(s) {', '.join(unreadable)} unreadable "
                                              "(not SubRip or WebVTT text)")
            raise models.ModelUnavailable("no subtitle file beside the video and no subtitle stream")

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        self.problems = []
        cues: list[tuple[float, float, str, str]] = []
        if self.sidecar:
            for path in sidecar_files(video.path, self.folders):
                notes: list[str] = []
                try:
                    found = fit_to_video(read_sidecar(path, notes), video.duration, notes)
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
        return [
            Evidence(
                fingerprint=video.fingerprint, start=round(s, 3), end=round(e, 3), source="subtitle", text=t,
                extractor=self.name, extractor_version=self.version, meta={"file": origin},
            )
            for s, e, t, origin in sorted(cues)
        ]
