"""Transcripts and subtitles out: a video's evidence written as SRT, WebVTT, plain text, JSON or Markdown.

One writer per format in one registry (`WRITERS`); pysubs2 writes SubRip and WebVTT, so the files are the
ones players and upload forms expect. The text is what the video said or showed: it is written as text
(escaped in Markdown, never markup; in a subtitle cue, what a reader would take for a timing line or a cue's
end is broken by an invisible word joiner), and a caller printing it to a terminal escapes control characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import quote

from pysubs2 import SSAEvent, SSAFile

from vidseek.errors import BadRequest, NotFound
from vidseek.extractors import check_filter
from vidseek.types import Evidence, format_time

Format = Literal["srt", "vtt", "txt", "json", "md"]
FORMATS: tuple[Format, ...] = get_args(Format)
SPOKEN = ("speech", "subtitle")  # what a transcript holds unless other sources are named
MEDIA_TYPES: dict[Format, str] = {
    "srt": "application/x-subrip", "vtt": "text/vtt", "txt": "text/plain", "json": "application/json",
    "md": "text/markdown",
}
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|!~{}()])")
JOINER = "\u2060"  # WORD JOINER: invisible, so the words read the same; it splits what readers take for syntax
_CLOCK = re.compile(r"(\d{1,2}:\d{1,2}:\d{1,2})(?=[.,]\d)")  # a time as SubRip writes it (pysubs2's pattern)
_SSA_BREAK = re.compile(r"\\(?=[Nnh])")  # pysubs2 writes \N, \n and \h in any text as a break or a space


@dataclass(frozen=True)
class Transcript:
    """The evidence of one video chosen for export, in time order, with what names the video."""

    video: str  # the id that names it (as vidseek ls shows it)
    path: str
    duration: float
    sources: tuple[str, ...]
    items: tuple[Evidence, ...]

    @property
    def mixed(self) -> bool:
        """Several sources: each line then says which one it came from."""
        return len({e.source for e in self.items}) > 1

    def label(self, e: Evidence) -> str:
        return f"[{e.source}] {e.text}" if self.mixed else e.text


def check_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise BadRequest(f"unknown export format '{fmt}' (one of {', '.join(FORMATS)})")
    return fmt  # type: ignore[return-value]


def check_sources(sources: Iterable[str] | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(sources or SPOKEN))
    check_filter(chosen, derived=False)  # rows a model wrote are no transcript
    return chosen


def transcript(video: str, path: str, duration: float, evidence: Iterable[Evidence],
               sources: Iterable[str] | None = None) -> Transcript:
    """The evidence of the named sources (default: speech and subtitles) as a Transcript. Raises
    BadRequest for an unknown source, NotFound when the video has no evidence from those sources (saying
    which sources it does have, so the caller can pick one)."""
    chosen = check_sources(sources)
    everything = list(evidence)
    items = sorted((e for e in everything if e.source in chosen), key=lambda e: (e.start, e.end, e.source))
    if not items:
        present = sorted({e.source for e in everything})
        has = f"it has: {', '.join(present)}" if present else "it has no evidence at all"
        raise NotFound(f"{Path(path).name} has no {' or '.join(chosen)} evidence to export ({has})")
    return Transcript(video, path, duration, chosen, tuple(items))


def cue_text(text: str) -> str:
    """A cue's words as SubRip/WebVTT text that no reader takes for structure: a blank line ends a cue in both
    formats (blank and whitespace-only lines are dropped, the words kept), a line with '-->' or with two
    times is read as the timing line of a new cue ('-->' and each time get an invisible word joiner), and
    pysubs2 turns '\\N' into a line break (the backslash gets one too)."""
    kept = "\n".join(line for line in text.splitlines() if line.strip())
    kept = kept.replace("-->", f"--{JOINER}>")
    return _SSA_BREAK.sub("\\\\" + JOINER, _CLOCK.sub(rf"\1{JOINER}", kept))


def _subtitles(t: Transcript, fmt: Format) -> str:
    subs = SSAFile()
    for e in t.items:
        event = SSAEvent(start=round(e.start * 1000), end=round(e.end * 1000))
        event.plaintext = cue_text(t.label(e))
        subs.append(event)
    # keep_ssa_tags: the text is written as it is; otherwise pysubs2 reads '{…}' in it as styling and drops it
    return subs.to_string(fmt, keep_ssa_tags=True)


def _txt(t: Transcript) -> str:
    return "".join(f"{format_time(e.start)}–{format_time(e.end)}  {t.label(e)}\n" for e in t.items)


def _markdown(t: Transcript) -> str:
    def escaped(text: str) -> str:
        return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))

    lines = [f"# {escaped(Path(t.path).name)}", "",
             f"Transcript ({', '.join(t.sources)}), {format_time(t.duration)}, video `{t.video}`.", ""]
    lines += [f"- **{format_time(e.start)}–{format_time(e.end)}** {escaped(t.label(e))}" for e in t.items]
    return "\n".join(lines) + "\n"


def _json(t: Transcript) -> str:
    cues = [{"start": e.start, "end": e.end, "source": e.source, "text": e.text} for e in t.items]
    return json.dumps({"video": t.video, "path": t.path, "duration": t.duration, "sources": list(t.sources),
                       "cues": cues}, ensure_ascii=False, indent=1) + "\n"


WRITERS: dict[Format, Callable[[Transcript], str]] = {
    "srt": lambda t: _subtitles(t, "srt"), "vtt": lambda t: _subtitles(t, "vtt"), "txt": _txt, "json": _json,
    "md": _markdown,
}


def render(t: Transcript, fmt: str) -> str:
    """The transcript in a format (srt, vtt, txt, json, md). Raises ValueError for another format."""
    return WRITERS[check_format(fmt)](t)


def file_name(path: str, fmt: str) -> str:
    """What a download of the export is called: the video's name with the format's suffix."""
    return f"{Path(path).stem or 'video'}.{fmt}"


def content_disposition(name: str) -> str:
    """A Content-Disposition header that downloads the file as `name`: an ASCII fallback for old clients,
    and the exact name (RFC 5987) for the rest; a quote or control character in a file name cannot end the
    header or start another."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
