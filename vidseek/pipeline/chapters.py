"""The video's memory above the evidence: chapters (map) and a synopsis (reduce).

Chapters are cut where the evidence changes topic: every evidence text is embedded once, and at each moment
where an item starts, the mean vector of the window before is compared with the window after (TextTiling
over sentence embeddings). A change of what is on screen (on-screen text, captions, objects that differ
from what was shown before) adds to the score, so a slide or scene change pulls a cut onto itself. Cuts are
the depth peaks that stand out from the video's own score distribution (mean + half a standard deviation),
kept a minimum chapter length apart: nothing is tuned to one video's length or wording.

With an LLM each chapter gets a title and a short summary written from that chapter's evidence only (map),
and the video a synopsis written from the chapters (reduce). Without one, a chapter is its span and the
evidence lines that best represent it (nearest its mean vector): nothing is invented.

The result is cached by the evidence it was built from (and the model), under LIBRARY/summaries/.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.pipeline.extractive import SENTENCES, supported_share, trim_to_supported
from vidseek.pipeline.prompting import estimate_tokens, line, prompt, quote
from vidseek.pipeline.untrusted import is_untrusted
from vidseek.store.base import evidence_id
from vidseek.store.embeddings import Embedder
from vidseek.text import normalise_text
from vidseek.types import Evidence, format_time
from vidseek.video import LibraryError

VERSION = "1"  # of the cutting and the prompts: a change makes every cached summary stale
VISUAL = ("ocr", "caption", "objects")  # sources that say what is on screen: their changes mark scene changes
REPRESENTATIVE = 3  # evidence lines shown for a chapter
CHAPTER_TOKENS = 600  # evidence in one map prompt
DERIVED_EXTRACTOR = "chapters"
Progress = Callable[[str, int, int], None]


@dataclass
class Chapter:
    """A stretch of the video about one thing: its span, what an LLM wrote of it (empty without one), and
    the evidence lines that best represent it."""

    start: float
    end: float
    title: str = ""
    summary: str = ""
    lines: list[Evidence] = field(default_factory=list)
    support: float | None = None  # share of the summary's words found in the chapter's evidence

    def label(self) -> str:
        head = self.title or (self.lines[0].text[:60] if self.lines else "")
        return f"{format_time(self.start)}–{format_time(self.end)} {head}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lines": [e.to_dict() for e in self.lines]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chapter:
        return cls(**{**data, "lines": [Evidence.from_dict(e) for e in data["lines"]]})


@dataclass
class VideoSummary:
    """The video's chapters and synopsis, with what they were built from and what they cost."""

    fingerprint: str
    duration: float
    chapters: list[Chapter]
    synopsis: str = ""
    model: str = ""  # the LLM that wrote titles, summaries and synopsis; "" when none did
    key: str = ""  # the cache key: the evidence, the model, VERSION
    seconds: float = 0.0  # to build (cut + map + reduce)
    llm_calls: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "chapters": [c.to_dict() for c in self.chapters]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoSummary:
        return cls(**{**data, "chapters": [Chapter.from_dict(c) for c in data["chapters"]]})

    def derived_evidence(self) -> list[Evidence]:
        """What the LLM wrote, as evidence rows marked derived (searchable and citable like any evidence).
        Chapters without LLM text add nothing: their lines are evidence already."""
        meta = {"derived": DERIVED_EXTRACTOR, "model": self.model}
        items = [Evidence(self.fingerprint, c.start, c.end, "chapter", f"{c.title}: {c.summary}".strip(": "),
                          extractor=DERIVED_EXTRACTOR, extractor_version=VERSION, meta=dict(meta))
                 for c in self.chapters if c.title or c.summary]
        if self.synopsis:
            end = self.chapters[-1].end if self.chapters else self.duration
            items.append(Evidence(self.fingerprint, 0.0, end, "synopsis", self.synopsis,
                                  extractor=DERIVED_EXTRACTOR, extractor_version=VERSION, meta=dict(meta)))
        return items


def summary_key(evidence: Sequence[Evidence], model: str) -> str:
    """The cache key: every evidence id (what the memory was built from), the model, the version."""
    digest = hashlib.sha1(f"{VERSION}|{model}".encode())
    for e in evidence:
        digest.update(evidence_id(e).encode())
    return digest.hexdigest()[:20]


# --- cutting ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CutSettings:
    """How finely a video is cut. The window and the shortest chapter scale with the video's length (a
    lecture hour gets chapters of minutes, a 2-minute clip chapters of tens of seconds)."""

    window_share: float = 1 / 20  # of the duration, each side of a candidate cut
    min_window_s: float = 15.0
    max_window_s: float = 120.0
    visual_weight: float = 0.5  # added to the depth score where what is on screen changes
    max_chapters: int = 24

    def window(self, duration: float) -> float:
        return min(self.max_window_s, max(self.min_window_s, duration * self.window_share))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def _usable(evidence: Sequence[Evidence]) -> list[Evidence]:
    """Evidence with words, derived rows left out, repeats of the same text from one source dropped."""
    kept: list[Evidence] = []
    last: dict[str, str] = {}
    for e in sorted(evidence, key=lambda e: (e.start, e.end)):
        text = normalise_text(e.text)
        if not text or e.meta.get("derived") or last.get(e.source) == text:
            continue
        last[e.source] = text
        kept.append(e)
    return kept


def _visual_changes(items: Sequence[Evidence], vectors: np.ndarray) -> dict[int, float]:
    """Item index -> how different the on-screen evidence starting there is from the last one before it."""
    changes: dict[int, float] = {}
    previous: dict[str, int] = {}
    for n, e in enumerate(items):
        if e.source not in VISUAL:
            continue
        if e.source in previous:
            changes[n] = max(changes.get(n, 0.0), 1.0 - float(vectors[n] @ vectors[previous[e.source]]))
        previous[e.source] = n
    return changes


def cut_points(items: Sequence[Evidence], vectors: np.ndarray, duration: float,
               settings: CutSettings = CutSettings()) -> list[float]:
    """Times where a new chapter starts (not 0), from items in time order and their unit vectors."""
    if len(items) < 4:
        return []
    window = settings.window(duration)
    starts = np.array([e.start for e in items])
    visual = _visual_changes(items, vectors)
    scores: list[tuple[float, float]] = []  # (time, score)
    for n in range(1, len(items)):
        t = items[n].start
        if t - starts[0] < window / 2 or (items[-1].end - t) < window / 2 or t <= starts[n - 1]:
            continue
        before = vectors[(starts >= t - window) & (starts < t)]
        after = vectors[(starts >= t) & (starts < t + window)]
        if not len(before) or not len(after):
            continue
        a, b = before.mean(axis=0), after.mean(axis=0)
        similarity = float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-9))
        scores.append((t, 1.0 - similarity + settings.visual_weight * visual.get(n, 0.0)))
    if not scores:
        return []
    values = np.array([s for _, s in scores])
    cutoff = values.mean() + 0.5 * values.std()
    # local peaks above the cutoff, strongest first, at least one window from any kept cut
    peaks = [(t, s) for i, (t, s) in enumerate(scores)
             if s > cutoff and all(s >= o for tt, o in scores if abs(tt - t) < window / 2)]
    kept: list[float] = []
    for t, _ in sorted(peaks, key=lambda ts: -ts[1]):
        if all(abs(t - k) >= window for k in kept) and len(kept) < settings.max_chapters - 1:
            kept.append(t)
    return sorted(kept)


def representative(items: Sequence[Evidence], vectors: np.ndarray, count: int = REPRESENTATIVE) -> list[Evidence]:
    """The items nearest the stretch's mean vector, in time order: what it is mostly about, quoted as is."""
    if not items:
        return []
    centre = vectors.mean(axis=0)
    ranked = sorted(range(len(items)), key=lambda n: -float(vectors[n] @ centre))[:count]
    return [items[n] for n in sorted(ranked)]


def chapters_of(evidence: Sequence[Evidence], duration: float, embedder: Embedder,
                settings: CutSettings = CutSettings()) -> tuple[list[Chapter], list[list[Evidence]]]:
    """Chapters (span + representative lines) and each chapter's evidence, with no LLM."""
    items = _usable(evidence)
    if not items:
        return [], []
    vectors = _unit(np.asarray(embedder.encode([e.text for e in items]), dtype=np.float32))
    end = max(duration, items[-1].end)
    bounds = [0.0, *cut_points(items, vectors, end, settings), end]
    chapters, members = [], []
    for a, b in zip(bounds, bounds[1:]):
        picked = [n for n, e in enumerate(items) if a <= e.start < b]
        inside = [items[n] for n in picked]
        chapters.append(Chapter(a, b, lines=representative(inside, vectors[picked]) if picked else []))
        members.append([e for e in evidence if a <= e.start < b and not e.meta.get("derived")])
    return chapters, members


# --- map and reduce ---------------------------------------------------------------------------------------
_TITLE = re.compile(r"^\W*title\W*?[:\-]\W*?\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_SUMMARY = re.compile(r"^\W*summary\W*?[:\-][*\s]*(.+)$", re.IGNORECASE | re.MULTILINE | re.DOTALL)


def parse_chapter_reply(reply: str) -> tuple[str, str]:
    """(title, summary) from "Title: …\\nSummary: …"; a reply without the labels is all summary."""
    title = _TITLE.search(reply)
    summary = _SUMMARY.search(reply)
    text_title = title.group(1).strip(' "*') if title else ""
    text_summary = re.sub(r"\s+", " ", summary.group(1)).strip() if summary else ""
    if not title and not summary:
        text_summary = re.sub(r"\s+", " ", reply).strip()
    return text_title[:80], text_summary[:400]


def keep_supported(chapter: Chapter, items: Sequence[Evidence]) -> list[str]:
    """Keep of an LLM's chapter title and summary only the sentences whose content words are mostly in the
    chapter's evidence (a small model invents scenes: "a speedboat blocking the road"); a summary left empty
    quotes the chapter's representative lines instead, and an unsupported title gives way to the first of
    them. Returns what was left out. Nothing a model wrote reaches search unchecked (derived rows)."""
    sources = [e.text for e in items]
    quotable = [e.text for e in chapter.lines if not is_untrusted(e)]  # a line that instructs the model is no summary
    dropped = []
    summary = trim_to_supported(chapter.summary, sources)
    if summary != chapter.summary:
        kept = set(SENTENCES.split(summary))
        dropped += [s for s in SENTENCES.split(chapter.summary) if s not in kept]
        chapter.summary = summary or " / ".join(quotable)[:400]
    if chapter.title and not trim_to_supported(chapter.title, sources):
        dropped.append(chapter.title)
        chapter.title = quotable[0][:60] if quotable else ""
    return dropped


def _shown(items: Sequence[Evidence], budget: float) -> list[Evidence]:
    """A chapter's evidence under the prompt budget: evenly spaced items, so the whole stretch is seen."""
    cost = [estimate_tokens(line(n + 1, e)) for n, e in enumerate(items)]
    if sum(cost) <= budget:
        return list(items)
    keep = max(1, int(len(items) * budget / max(sum(cost), 1)))
    step = len(items) / keep
    return [items[int(i * step)] for i in range(keep)]


def build_summary(fingerprint: str, evidence: Sequence[Evidence], duration: float, embedder: Embedder,
                  chat: Callable[[str], str] | None = None, model: str = "", progress: Progress | None = None,
                  settings: CutSettings = CutSettings()) -> VideoSummary:
    """Cut the video into chapters and, when `chat` (prompt -> reply) is given, write each chapter's title
    and summary (map) and the synopsis (reduce). `progress("chapters", done, total)` hears each chapter."""
    started = time.perf_counter()
    chapters, members = chapters_of(evidence, duration, embedder, settings)
    result = VideoSummary(fingerprint, duration, chapters, model=model if chat else "",
                          key=summary_key(evidence, model if chat else ""))
    total = len(chapters) + (1 if chat else 0)
    if progress:
        progress("chapters", 0, total)
    if chat is not None:
        for n, (chapter, items) in enumerate(zip(chapters, members)):
            shown = _shown(items, CHAPTER_TOKENS)
            block = "\n".join(line(i + 1, e) for i, e in enumerate(shown))
            reply = chat(prompt("chapter").format(span=f"{format_time(chapter.start)}-{format_time(chapter.end)}",
                                                  evidence=block))
            result.llm_calls += 1
            chapter.title, chapter.summary = parse_chapter_reply(reply)
            dropped = keep_supported(chapter, items)
            if dropped:
                result.notes.append(f"chapter at {format_time(chapter.start)}: left out what its evidence does not "
                                    f"hold ({'; '.join(dropped)[:120]!r})")
            chapter.support = round(supported_share(f"{chapter.title} {chapter.summary}",
                                                    [e.text for e in items]), 3)
            if progress:
                progress("chapters", n + 1, total)
        listing = "\n".join(f"{format_time(c.start)}-{format_time(c.end)} {quote(c.title, 80)}: "
                            f"{quote(c.summary, 300)}" for c in chapters)
        synopsis = re.sub(r"\s+", " ", chat(prompt("synopsis").format(chapters=listing))).strip()[:800]
        result.synopsis = trim_to_supported(synopsis, [e.text for e in evidence] + [c.title for c in chapters])
        if result.synopsis != synopsis:
            result.notes.append("the synopsis: left out sentences its evidence does not hold")
        result.llm_calls += 1
        weak = [c for c in chapters if c.support is not None and c.support < 0.5]
        if weak:
            result.notes.append(f"{len(weak)} chapter summaries hold words mostly not in their evidence")
    else:
        result.notes.append("no LLM: chapters are cut points and the evidence lines that best represent each")
    if progress:
        progress("chapters", total, total)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


__all__ = ["Chapter", "CutSettings", "VideoSummary", "build_summary", "chapters_of", "cut_points",
           "parse_chapter_reply", "representative", "summary_key", "SummaryCache"]


class SummaryCache:
    """Built summaries on disk, one file per video and key: LIBRARY/summaries/<fingerprint>/<key>.json. A
    summary of older evidence stays until the video is summarized again (then the stale ones are removed)."""

    def __init__(self, root: Path):
        self.root = root

    def load(self, fingerprint: str, key: str) -> VideoSummary | None:
        from vidseek.pipeline.cache import _read

        path = self.root / fingerprint / f"{key}.json"
        if not path.exists():
            return None
        try:
            return VideoSummary.from_dict(_read(path, dict, "summary", "delete it to build it again"))
        except (TypeError, KeyError) as exc:
            raise LibraryError(f"the summary {path} is damaged ({str(exc)[:80]}): delete it to build it again") \
                from None

    def latest(self, fingerprint: str) -> VideoSummary | None:
        """The summary built last for a video, whatever its key (what publish adds to the store)."""
        folder = self.root / fingerprint
        files = sorted(folder.glob("[!.]*.json"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
        return self.load(fingerprint, files[-1].stem) if files else None

    def save(self, summary: VideoSummary) -> None:
        from vidseek.pipeline.cache import write_atomic

        folder = self.root / summary.fingerprint
        write_atomic(folder / f"{summary.key}.json", summary.to_dict())
        for old in folder.glob("[!.]*.json"):
            if old.stem != summary.key:
                old.unlink(missing_ok=True)

    def forget(self, fingerprint: str) -> None:
        shutil.rmtree(self.root / fingerprint, ignore_errors=True)
