"""Subtitles: sidecar .srt/.vtt files beside the video, and subtitle streams inside it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from vidseek import models
from vidseek.extractors.base import Chunk
from vidseek.types import Evidence, Video
from vidseek.video import VideoError, read_embedded_subtitles

log = logging.getLogger(__name__)

SIDECAR_SUFFIXES = (".srt", ".vtt")
_TIMING = re.compile(
    r"(?P<a>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<b>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
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


def parse_cues(text: str) -> list[tuple[float, float, str]]:
    """(start, end, text) cues of a SubRip or WebVTT document; numbering and headers are ignored."""
    cues: list[tuple[float, float, str]] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")):
        lines = block.strip("\n").split("\n")
        for i, line in enumerate(lines):
            match = _TIMING.search(line)
            if match is None:
                continue
            start, end = parse_timestamp(match["a"]), parse_timestamp(match["b"])
            body = " ".join(_TAGS.sub("", t).strip() for t in lines[i + 1 :]).strip()
            if body and end >= start:
                cues.append((start, end, re.sub(r"\s+", " ", body)))
            break
    return cues


def sidecar_files(video_path: str | Path) -> list[Path]:
    """Subtitle files named like the video: movie.srt, movie.en.vtt, …"""
    path = Path(video_path)
    if not path.parent.is_dir():
        return []
    return sorted(
        p for p in path.parent.iterdir()
        if p.suffix.lower() in SIDECAR_SUFFIXES and (p.stem == path.stem or p.stem.startswith(path.stem + "."))
    )


def read_sidecar(path: Path) -> list[tuple[float, float, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SubtitleError(f"cannot read subtitle file '{path}': {exc.strerror}") from exc
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):  # latin-1 takes any bytes: binary junk has no cues
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    cues = parse_cues(text)
    if raw.strip() and not cues:
        raise SubtitleError(f"'{path.name}' holds no SubRip or WebVTT cues")
    return cues


def _readable(path: Path) -> bool:
    try:
        return bool(read_sidecar(path))
    except SubtitleError:
        return False


class SubtitleExtractor:
    """Each subtitle cue becomes one Evidence. Cheap: runs on every index, never cached."""

    name = "subtitle"
    version = "1"
    source = "subtitle"
    needs: frozenset[str] = frozenset()

    def __init__(self, embedded: bool = True, sidecar: bool = True):
        self.embedded = embedded
        self.sidecar = sidecar
        self.model_calls = 0
        self.problems: list[str] = []  # unreadable files, reported as notices

    def config(self) -> dict[str, Any]:
        return {"embedded": self.embedded, "sidecar": self.sidecar}

    def available(self, video: Video) -> bool:
        """Whether the file has readable subtitles (then speech is skipped unless asked for): an unreadable
        subtitle file must not cost the video its transcript."""
        return bool((self.sidecar and any(_readable(p) for p in sidecar_files(video.path)))
                    or (self.embedded and video.subtitle_streams))

    def check(self, video: Video) -> None:
        if not self.available(video):
            unreadable = [p.name for p in sidecar_files(video.path)] if self.sidecar else []
            if unreadable:
                raise models.ModelUnavailable(f"subtitle file(s) {', '.join(unreadable)} unreadable "
                                              "(not SubRip or WebVTT text)")
            raise models.ModelUnavailable("no subtitle file beside the video and no subtitle stream")

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        self.problems = []
        cues: list[tuple[float, float, str, str]] = []
        if self.sidecar:
            for path in sidecar_files(video.path):
                try:
                    cues.extend((s, e, t, path.name) for s, e, t in read_sidecar(path))
                except SubtitleError as exc:
                    self.problems.append(str(exc))
        if self.embedded and video.subtitle_streams and not cues:
            try:
                cues.extend((s, e, t, "embedded") for s, e, t in read_embedded_subtitles(video.path))
            except (VideoError, ValueError) as exc:
                self.problems.append(f"embedded subtitles unreadable: {exc}")
        return [
            Evidence(
                fingerprint=video.fingerprint, start=round(s, 3), end=round(e, 3), source="subtitle", text=t,
                extractor=self.name, extractor_version=self.version, meta={"file": origin},
            )
            for s, e, t, origin in sorted(cues)
        ]
