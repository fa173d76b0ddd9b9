"""The Python API: a library of indexed videos, and questions asked of it."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vidseek import extractors as ex
from vidseek.diarize import LABEL, SPEAKER, VOICE_LABEL, VOICE_SIMILARITY, Speaker, speaker_of, spoken_text
from vidseek.diarize import names as given_names
from vidseek.diarize import resolve as resolve_speaker
from vidseek.diarize import speakers as speaker_list
from vidseek.errors import BadRequest, NotFound, NotIndexed
from vidseek.ids import Named, ambiguous, pick, shown_ids
from vidseek.models import ModelUnavailable
from vidseek.paths import looks_like_id
from vidseek.pipeline import rates as speed
from vidseek.pipeline.agent import AgentSettings
from vidseek.pipeline.answer import LETTERS, Reasoner, ReasonerSettings, check_citations, split_choices
from vidseek.pipeline.cache import EvidenceCache, VideoRecord
from vidseek.pipeline.chapters import SummaryCache, VideoSummary, build_summary, summary_key
from vidseek.pipeline.index import Indexer, IndexOptions, IndexReport, Progress
from vidseek.pipeline.prompting import without_letters
from vidseek.pipeline.retrieve import Hit, Retriever, in_time_order
from vidseek.pipeline.scenes import Scene, merged, scenes, shots
from vidseek.quiet import hush_model_noise
from vidseek.store.base import EvidenceFilter, EvidenceStore, StoredVideo, evidence_id, open_store, store_kind
from vidseek.store.embeddings import Embedder
from vidseek.store.keyword import KeywordIndex
from vidseek.types import Answer, Evidence
from vidseek.video import LibraryError, fingerprint
from vidseek.voiceprints import (
    AGREEMENT,
    THRESHOLD,
    Recognised,
    Sample,
    Voice,
    VoiceBook,
    VoicePrint,
    check_name,
    mentioned,
    recognise,
)

log = logging.getLogger(__name__)

STORE_ENV = "VIDSEEK_STORE"
EMBED_STEP = 512  # texts embedded between progress reports
MAX_K = 100  # evidence items a question may retrieve (the API's bound too)
MAX_CONTEXT_S = 600.0  # seconds around a search hit that may be shown with it


@dataclass
class RebuildReport:
    """What `rebuild` put back into the search store and what it could not."""

    videos: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # interrupted indexing: run index again
    problems: list[str] = field(default_factory=list)  # damaged records and evidence, one line each


@dataclass
class LLMSettings:
    """Which model reasons: the packaged Qwen2.5 1.5B by default, another packaged name (qwen0.5b, smollm2), a
    GGUF file or transformers model, or an OpenAI-compatible endpoint."""

    llm: str | None = None
    url: str | None = None
    api_model: str | None = None
    enabled: bool = True  # False: extractive answers only
    summarize: bool = False  # summarize the evidence first, then answer (LLoVi): slower, see RESULTS.md


class Library:
    """A folder of indexed videos: index files into it, search it, ask it questions, without the files."""

    def __init__(self, path: str | os.PathLike[str] | None = None, store: str | None = None,
                 embedder: Embedder | None = None, device: str = "auto"):
        hush_model_noise()
        self.cache = EvidenceCache(path)
        self.path = self.cache.root
        self.store_location = store or os.environ.get(STORE_ENV) or str(self.cache.layout.store)
        self.device = device
        self._embedder = embedder
        self._store: EvidenceStore | None = None
        self._keyword: KeywordIndex | None = None
        self._reasoners: dict[tuple, Reasoner] = {}
        self._recognised: dict[tuple[str, tuple[int, int]], dict[str, Recognised]] = {}
        self._speaker_encoder: Any = None
        self._book_checked: tuple[int, int] | None = None  # the prints file's version last found current

    # --- parts, made on first use ---------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder(device=self.device)
        return self._embedder

    @property
    def store(self) -> EvidenceStore:
        if self._store is None:
            self._store = open_store(self.store_location)
        return self._store

    @property
    def keyword(self) -> KeywordIndex:
        if self._keyword is None:
            tag = hashlib.sha1(self.store_location.encode()).hexdigest()[:10]
            self._keyword = KeywordIndex(self.cache.layout.keyword / tag)
        return self._keyword

    # --- indexing ---------------------------------------------------------------------------------------------
    def indexer(self, sources: list[str] | None = None, settings: ex.ExtractorSettings | None = None,
                options: IndexOptions | None = None) -> Indexer:
        """An Indexer whose models load once and serve every file given to it."""
        chosen = ex.build(sources, settings or ex.ExtractorSettings(device=self.device))
        return Indexer(self.cache, chosen, options, requested=set(sources) if sources else None)

    def index(self, path: str | os.PathLike[str], sources: list[str] | None = None,
              settings: ex.ExtractorSettings | None = None, options: IndexOptions | None = None,
              progress: Progress | None = None) -> IndexReport:
        """Extract evidence from a file and make it searchable. Raises UnreadableInput (the file), BadRequest
        (an unknown source or option), LibraryError (the library cannot be written)."""
        return self.add(path, self.indexer(sources, settings, options), progress)

    def add(self, path: str | os.PathLike[str], indexer: Indexer, progress: Progress | None = None,
            publish: bool = True) -> IndexReport:
        """Index a file with an indexer whose models stay loaded, then embed and publish what is new: the one
        index → embed → publish path the CLI, the server's jobs and batch workers share. `progress` hears each
        extractor's stage, then "embed". `publish=False` leaves the store to another process (an embedded
        store has one writer in a batch: its driver)."""
        report = indexer.index(path, progress)
        rates = speed.load(self.cache.layout.rates)
        known = dict(rates.seconds)
        rates.learn(report, speed.core_share())  # how fast this machine is, for the next estimate
        if publish:
            if progress:
                progress("embed", 0, 1)
            started = time.perf_counter()
            if self.publish(report.video.fingerprint, progress):
                rates.learn_embedding(time.perf_counter() - started, report.video.duration, speed.core_share())
            if progress:
                progress("embed", 1, 1)
        if rates.seconds != known:
            speed.save(self.cache.layout.rates, rates)
        return report

    def estimate(self, path: str | os.PathLike[str], indexer: Indexer) -> speed.Estimate:
        """How long `add(path, indexer)` should take, from the work the cache does not hold yet and the rates
        measured on this machine (pipeline/rates.py). Raises what index raises for an unreadable file."""
        return speed.load(self.cache.layout.rates).estimate(indexer.workload(path), speed.core_share())

    def publish(self, fingerprint_: str, progress: Progress | None = None) -> int:
        """Put a video's cached evidence into the store; only evidence not there yet is embedded.
        `progress("embed", done, total)` is told as the texts are embedded."""
        record = self.cache.record(fingerprint_)
        if record is None:
            raise NotIndexed(f"no indexed video {fingerprint_}")
        items = self.cache.evidence(fingerprint_) + self._derived(fingerprint_)
        present = {i for i, _ in self.store.get(EvidenceFilter(videos=(fingerprint_,)))}
        missing = [e for e in items if evidence_id(e) not in present]
        self.store.replace_video(record.video, items, self._vectors(missing, progress), only=missing)
        return len(missing)

    def _vectors(self, items: list[Evidence], progress: Progress | None = None) -> np.ndarray:
        parts = []
        for at in range(0, len(items), EMBED_STEP):
            parts.append(self.embedder.encode([e.text for e in items[at : at + EMBED_STEP]]))
            if progress:
                progress("embed", min(at + EMBED_STEP, len(items)), len(items))
        return np.concatenate(parts) if parts else self.embedder.encode([])

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> RebuildReport:
        """Make the search store again from the evidence cache, the source of truth: after the store's
        database was damaged or deleted. Videos whose record or evidence is damaged are left out and named.

        A store of this library's own is built anew beside the old one and put in its place only when it is
        complete: a rebuild that fails (a full disk) raises LibraryError and leaves the old store as it was.
        It refuses (LibraryError, before writing anything) when evidence/ or the old store holds videos that
        have no record in videos/: a rebuild would drop them. A shared server is redone video by video, each
        video's rows replaced only once its new ones are embedded."""
        records, damaged = self.cache.scan()
        report = RebuildReport(problems=[str(e) for e in damaged])
        kind = store_kind(self.store_location)
        if kind.wipe is None:  # a shared server: only this library's videos are redone
            self._rebuild_into(self.store, records, report, progress)
            return report
        self._refuse_unrecorded(records)
        if kind.beside is None or kind.swap is None:  # a kind that cannot build beside: emptied, then rebuilt
            self._store = None
            kind.wipe(self.store_location)
            self._rebuild_into(self.store, records, report, progress)
            return report
        location = kind.beside(self.store_location)
        kind.wipe(location)  # what a killed rebuild left
        try:
            self._rebuild_into(kind.open(location), records, report, progress)
        except LibraryError as exc:
            kind.wipe(location)
            raise LibraryError(f"{exc}; the rebuild stopped and the search store {self.store_location} was "
                               "left as it was") from None
        self._store = None
        kind.swap(self.store_location, location)
        return report

    def _rebuild_into(self, store: EvidenceStore, records: list[VideoRecord], report: RebuildReport,
                      progress: Callable[[int, int], None] | None) -> None:
        """Every complete record's evidence, embedded whole, into `store`. A video whose evidence cannot be
        read is named in the report; a store that cannot be written raises LibraryError."""
        for n, record in enumerate(records):
            fp = record.video.fingerprint
            try:
                if not record.complete:
                    report.incomplete.append(record.video.path)
                    continue
                try:
                    items = self.cache.evidence(fp) + self._derived(fp)
                except LibraryError as exc:
                    report.problems.append(str(exc))
                    continue
                store.replace_video(record.video, items, self._vectors(items))
                report.videos.append(record.video.path)
            finally:
                if progress:
                    progress(n + 1, len(records))

    def _refuse_unrecorded(self, records: list[VideoRecord]) -> None:
        """Raise LibraryError when videos have evidence (or rows in the old store) but no record: the store is
        rebuilt from the records, so a rebuild would drop them (videos/ deleted, say, with evidence/ whole)."""
        layout = self.cache.layout
        # an entry's evidence and store rows are named by its record (vidseek.ids), shared content by its content id
        known = {p.stem for p in layout.videos.glob("[!.]*.json")} | {r.video.content_id for r in records}

        def unknown(name: str) -> bool:
            return name not in known

        folders = sorted(p.name for p in layout.evidence.glob("[!.]*") if p.is_dir() and unknown(p.name)) \
            if layout.evidence.is_dir() else []
        try:
            stored = {v.fingerprint: v.path for v in self.store.list_videos()}
        except LibraryError:  # a damaged store: what it held cannot be told (and is why it is rebuilt)
            stored = {}
        lost = list(dict.fromkeys(folders + sorted(f for f in stored if unknown(f))))
        if lost:
            names = [stored.get(f) or f[:12] for f in lost]
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            raise LibraryError(
                f"{len(lost)} video(s) have evidence but no record in {layout.videos} ({shown}): a rebuild would "
                "drop them, so the search store was left as it is; index those files again (their evidence is "
                "reused), or delete their folders in evidence/, then rebuild")

    # --- what is in it ----------------------------------------------------------------------------------------
    def videos(self) -> list[VideoRecord]:
        """Videos indexed through this library folder (the local record of each)."""
        return self.cache.records()

    def stored_videos(self) -> list[StoredVideo]:
        """Videos the store holds (on a shared server: everyone's)."""
        return self.store.list_videos()

    def find(self, path_or_id: str | os.PathLike[str]) -> VideoRecord:
        """The record of a file (by content), or of an indexed video by its id (the whole, or a prefix as long
        as `ids()` shows: vidseek.ids.pick) or old path. Raises BadRequest for a shorter prefix, NotIndexed
        for no match or several (naming them)."""
        text = str(path_or_id)
        by_id = looks_like_id(text)  # hex digits are an id: no file of that name is read (vidseek.paths)
        if not by_id and Path(text).is_file():
            resolved = str(Path(text).resolve())
            entries = self.cache.entries_of(fingerprint(text))
            record = next((r for r in entries if r.video.path == resolved), None) or \
                next((r for r in entries if not Path(r.video.path).exists()), None)  # moved or renamed
            if record is not None:
                return record
            raise NotIndexed(f"'{text}' is not indexed in {self.path} (run: vidseek index '{text}')")
        named = [Named(r.video.fingerprint, r.video.path, r) for r in self.videos()]
        paths = {text} if by_id else {text, str(Path(text).resolve())}
        moved = [n for n in named if n.path in paths]
        if len(moved) == 1:
            return moved[0].item
        if moved:  # a path indexed again after its file changed, then gone
            raise ambiguous(text, moved, named)
        return pick(text, named, str(self.path))

    def ids(self) -> dict[str, str]:
        """Each entry's id (its record's fingerprint) as `vidseek ls`, the server and MCP show it: as short as
        it stays unique among this library's records and the store's videos (vidseek.ids)."""
        return shown_ids([r.video.fingerprint for r in self.cache.scan()[0]] +
                         [v.fingerprint for v in self.stored_videos()])

    def evidence(self, path_or_id: str | os.PathLike[str], sources: set[str] | None = None) -> list[Evidence]:
        """Every piece of evidence of one video in time order (speakers recognised by an enrolled voice named)."""
        return self.named(self.cache.evidence(self.find(path_or_id).video.fingerprint, sources))

    def export(self, path_or_id: str | os.PathLike[str], fmt: str = "srt", sources: Sequence[str] | None = None) -> str:
        """A video's evidence as subtitles or a transcript: srt, vtt, txt, json or md (vidseek.export), from
        speech and subtitles unless `sources` names others. Raises NotIndexed for a video not indexed and
        BadRequest for an unknown format or source, or a video without evidence from those sources."""
        from vidseek.export import check_format, render, transcript

        check_format(fmt)
        record = self.find(path_or_id)
        video = record.video
        items = self.named(self.cache.evidence(video.fingerprint))
        shown = self.ids().get(video.fingerprint, video.fingerprint)
        return render(transcript(shown, video.path, video.duration, items, sources), fmt)

    def scenes(self, path_or_id: str | os.PathLike[str], limit: int | None = None) -> list[Scene]:
        """A video's scenes in time order: the shots the indexer cut its pictures into, each with the first words
        said (speech, subtitles) and shown (on-screen text) in it. `limit`: at most that many, the shortest
        joined to a neighbour. Needs no file. An audio-only video has none. Raises NotIndexed, BadRequest (a
        limit below 1), and NotFound when no cut list was kept (indexed before vidseek kept them, or with no
        picture source: the message says how to get one)."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise BadRequest(f"the scene limit must be a whole number of at least 1; got {limit!r}")
        record = self.find(path_or_id)
        video = record.video
        if not video.has_video:
            return []
        chunks = self.cache.load_cuts(video.content_id, record.cuts) if record.cuts else []
        if not chunks:
            pictures = [name for name, cls in ex.registry().items() if ex.FRAMES in cls.needs]
            when = ("its indexing stopped before any" if record.cuts else
                    "it was indexed before vidseek kept them" if set(pictures) & set(record.sources) else
                    "it was indexed without a picture source")
            raise NotFound(f"no scene list for '{Path(video.path).name}': {when}; index it again "
                           f"with a picture source ({', '.join(pictures)}) to make one (cached evidence is reused)")
        spans = shots(chunks)
        return scenes(merged(spans, limit) if limit else spans, self.cache.evidence(video.fingerprint))

    def remove(self, path_or_id: str | os.PathLike[str]) -> VideoRecord:
        """Forget a video: its store rows, its record and its cached evidence."""
        record = self.find(path_or_id)
        self.store.remove_video(record.video.fingerprint)
        self.summaries.forget(record.video.fingerprint)
        self.cache.forget(record)  # another entry of the same bytes keeps the evidence it shares
        return record

    # --- memory above the evidence: chapters and synopsis (pipeline/chapters.py) --------------------------------
    @property
    def summaries(self) -> SummaryCache:
        return SummaryCache(self.cache.layout.summaries)

    def _derived(self, fingerprint_: str) -> list[Evidence]:
        """The chapters' and synopsis' text as evidence rows (marked derived), when a summary was built."""
        built = self.summaries.latest(fingerprint_)
        return built.derived_evidence() if built is not None else []

    def summary(self, path_or_id: str | os.PathLike[str], llm: LLMSettings | None = None, build: bool = True,
                progress: Progress | None = None) -> VideoSummary | None:
        """A video's chapters and synopsis, built on first need (then cached by the evidence it came from and
        the model, and its text published to the store as derived evidence). `build=False`: the cached one or
        None. Raises NotIndexed."""
        record = self.find(path_or_id)
        fp = record.video.fingerprint
        evidence = self.cache.evidence(fp)
        reasoner = self.reasoner(llm)
        model = _model_name(llm or LLMSettings()) if reasoner.llm is not None else ""
        cached = self.summaries.load(fp, summary_key(evidence, model))
        if cached is not None or not build:
            return cached
        chat = (lambda text: reasoner._chat(reasoner.llm, text)) if reasoner.llm is not None else None
        made = build_summary(fp, evidence, record.video.duration, self.embedder, chat, model, progress)
        if reasoner.unavailable:
            made.notes.append(reasoner.unavailable)
        self.summaries.save(made)
        if record.complete:
            self.publish(fp)
        return made

    # --- questions --------------------------------------------------------------------------------------------
    def _videos_filter(self, video: str | os.PathLike[str] | Sequence[str] | None) -> list[str] | None:
        if video is None:
            return None
        names = [video] if isinstance(video, (str, os.PathLike)) else list(video)
        return [self.find(v).video.fingerprint for v in names]

    def search(self, query: str, k: int = 12, video: str | os.PathLike[str] | Sequence[str] | None = None,
               sources: Sequence[str] | None = None, span: tuple[float, float] | None = None,
               speaker: str | None = None, context: float = 0.0, derived: bool = False) -> list[Hit]:
        """The k best hits for a query (dense + keyword, fused), best first, each with its score. `span`
        (start, end seconds) keeps what overlaps it; `speaker` (a label such as S2, or a name the video gives)
        keeps what that speaker said; `context` (seconds) fills each hit's `context` with the evidence that
        close to it, in time order. Chapter and synopsis rows (written by a model: `summary`) come back only
        with `derived` or when `sources` names them. Raises BadRequest, NotIndexed."""
        if not query.strip():
            raise BadRequest("the query is empty")
        _check_k(k)
        if isinstance(context, bool) or not isinstance(context, (int, float)) or not 0 <= context <= MAX_CONTEXT_S:
            raise BadRequest(f"context must be seconds from 0 to {MAX_CONTEXT_S:g}; got {context!r}")
        _check_speaker(speaker)
        retriever = Retriever(self.store, self.keyword, self.embedder)
        videos = self._videos_filter(video)
        if speaker:  # retrieved only in the videos where they speak, widely, so k of their lines remain
            labels = self._speaking_in(speaker, videos)
            wide = self._named_hits(retriever.ranked(query, MAX_K, list(labels), sources, span, derived))
            hits = self._said_by(wide, speaker, labels)[:k]
        else:
            hits = self._named_hits(retriever.ranked(query, k, videos, sources, span, derived))
        if context:
            for hit, nearby in zip(hits, retriever.around(hits, float(context), sources, span)):
                hit.context = self.named([e for _, e in nearby])
        return hits

    def speakers(self, path_or_id: str | os.PathLike[str]) -> list[Speaker]:
        """The speakers of an indexed video: labels, talk time, first and last turn, and a name — an enrolled
        voice recognised here (with its similarity), else one the video gives (and where)."""
        fp = self.find(path_or_id).video.fingerprint
        known = self.recognised(fp)
        return [replace(s, name=known[s.label].name, named_at=None, similarity=known[s.label].similarity)
                if s.label in known else s for s in speaker_list(self.cache.evidence(fp))]

    def _speaking_in(self, speaker: str, videos: list[str] | None) -> dict[str, str]:
        """The videos (of those given, or of the library) where `speaker` speaks — an enrolled voice recognised
        there, a name the video gives, or a label it has — each with the label it means there. Raises NotFound
        in one line when there is none."""
        scope = videos if videos is not None else sorted(
            {r.video.fingerprint for r in self.cache.scan()[0]} | {v.fingerprint for v in self.stored_videos()})
        found = {fp: label for fp, label in self._labels_of(speaker, scope, []).items() if label}
        if not found:
            enrolled = ", ".join(p.name for p in self.voices.prints()) if self.voices.version() != (0, 0) else ""
            where = "that video" if videos is not None and len(videos) == 1 else \
                "those videos" if videos is not None else "the library"
            raise NotFound(f"no speaker '{speaker.strip()}' in {where} (vidseek speakers VIDEO lists a video's; "
                           f"enrolled voices: {enrolled or 'none'})")
        return found

    def _labels_of(self, speaker: str, fingerprints: Sequence[str], hits: list[Hit]) -> dict[str, str]:
        """The label `speaker` means in each video ('' where no one is called so): each video resolves it for
        itself (S2 of one video is not S2 of another; a name is an enrolled voice recognised there, or one that
        video gives), from its speech and subtitles. A video only a shared store holds is resolved from the hits,
        and keeps the words as given there."""
        out = {}
        for fp in fingerprints:
            if self.cache.record(fp) is None:
                out[fp] = resolve_speaker(speaker, [h.evidence for h in hits]) or speaker.strip()
            else:
                out[fp] = resolve_speaker(speaker, self.named(self.cache.evidence(fp, {"speech", "subtitle"})))
        return out

    def _said_by(self, hits: list[Hit], speaker: str, labels: dict[str, str] | None = None) -> list[Hit]:
        """The (named) hits spoken by `speaker`; `labels` (from `_speaking_in`) saves resolving it again."""
        wanted = labels if labels is not None else self._labels_of(
            speaker, sorted({h.evidence.fingerprint for h in hits}), hits)
        return [h for h in hits if wanted.get(h.evidence.fingerprint) and
                speaker_of(h.evidence) == wanted[h.evidence.fingerprint]]

    # --- who's who across the library: enrolled voices (vidseek/voiceprints.py) ---------------------------------
    @property
    def voices(self) -> VoiceBook:
        """The enrolled prints. A file written before identity vectors (or with another encoder) has its
        samples taken again from their videos first; a print none of whose videos can be heard is dropped."""
        from vidseek import ecapa

        book = VoiceBook(self.cache.layout.voices, ecapa.WEIGHTS_SHA256[:16])
        if book.version() != self._book_checked and book.stale():  # read once per version of the file
            def vector_of(sample: Sample) -> np.ndarray | None:
                try:
                    found = self.identities(sample.video).get(sample.label)
                except NotFound as exc:
                    log.warning("%s", exc)
                    return None
                return None if found is None else found.vector

            for name in book.retake(vector_of):
                log.warning("the voice enrolled as '%s' could not be taken again (its videos are gone): "
                            "enrol it again with vidseek speakers name", name)
        self._book_checked = book.version()
        return book

    def identities(self, fingerprint_: str) -> dict[str, Voice]:
        """Each speaker of a video as an identity vector (vidseek/identity.py): read from the library when it
        holds them for these speakers, else worked out from the video's sound (ECAPA, ~0.4 s a speaker) and
        kept. Raises NotFound when they must be worked out and the video file is gone."""
        from vidseek import ecapa
        from vidseek.identity import IdentityFile, file_reader, identities

        record = self.cache.record(fingerprint_)
        if record is None or "speech" not in record.sources:
            return {}
        raw = self.cache.evidence(fingerprint_, {"speech"}, finish=False)
        folder = fingerprint_ if "speech" in record.owned else record.video.content_id
        file = IdentityFile(self.cache.layout.identity(folder), ecapa.WEIGHTS_SHA256[:16])
        if self._speaker_encoder is None:
            from vidseek.models import resolve_device

            self._speaker_encoder = ecapa.SpeakerEncoder(resolve_device(self.device))
        return identities(raw, file_reader(record.video.path), self._speaker_encoder, file)

    def recognised(self, fingerprint_: str) -> dict[str, Recognised]:
        """The enrolled voices recognised among a video's speakers, by label: its speakers' identity vectors
        (worked out once per video, `identities`) compared with the prints, remembered until the prints change.
        A video whose file is gone and whose voices were never taken has none (logged)."""
        book = self.voices
        version = book.version()
        if version == (0, 0):
            return {}
        key = (fingerprint_, version)
        if key not in self._recognised:
            try:
                found = self.identities(fingerprint_)
            except NotFound as exc:
                log.warning("%s", exc)
                found = {}
            self._recognised[key] = self._with_enrolled(fingerprint_, found, book.prints())
        return self._recognised[key]

    @staticmethod
    def _with_enrolled(fingerprint_: str, found: dict[str, Voice], prints: list[VoicePrint]) -> dict[str, Recognised]:
        """Names for a video's speakers: a speaker enrolled from this very video carries its print's name (while
        it is still the voice that was enrolled: the video may have been indexed again), and the others are
        recognised among themselves, one name each, so one person diarization split in two here and enrolled
        from one half is recognised in the other half too."""
        named: dict[str, Recognised] = {}
        for p in prints:
            for sample in p.samples:
                voice = found.get(sample.label) if sample.video == fingerprint_ else None
                if voice is not None and float(sample.vector @ voice.vector) >= THRESHOLD:
                    named[sample.label] = Recognised(p.name, round(float(p.vector @ voice.vector), 3))
        rest = {label: v for label, v in found.items() if label not in named}
        return {**named, **recognise(rest, prints)}

    def named(self, items: list[Evidence]) -> list[Evidence]:
        """Speech whose speaker is a recognised enrolled voice, with the name in place of S2 (in the text and
        meta; the video's label and the similarity stay in meta). Named only when read: the store keeps S2."""
        tables: dict[str, dict[str, Recognised]] = {}
        out = []
        for item in items:
            label = speaker_of(item)
            if item.source != "speech" or not LABEL.fullmatch(label):
                out.append(item)
                continue
            if item.fingerprint not in tables:
                tables[item.fingerprint] = self.recognised(item.fingerprint)
            known = tables[item.fingerprint].get(label)
            out.append(item if known is None else replace(
                item, text=f"{known.name}: {spoken_text(item)}",
                meta={**item.meta, SPEAKER: known.name, VOICE_LABEL: label, VOICE_SIMILARITY: known.similarity}))
        return out

    def _named_hits(self, hits: list[Hit]) -> list[Hit]:
        named = self.named([h.evidence for h in hits])
        for hit, item in zip(hits, named):
            hit.evidence = item
            if hit.context:
                hit.context = self.named(hit.context)
        return hits

    def name_speaker(self, path_or_id: str | os.PathLike[str], who: str, name: str | None = None,
                     unlike: bool = False) -> VoicePrint:
        """Enrol a speaker's voice under a name, to be recognised in every video of the library. `who`: a label
        (S2), a name the video gives, or a subtitle speaker (its voice is the speech speaker heard most while
        that speaker's lines are on screen). Without `name`, the name the video gives is confirmed. Raises
        NotIndexed, NotFound (no voices, no such speaker), BadRequest (no name to take, a bad name; a voice
        recognised as another enrolled person; a voice unlike the print it would join, unless `unlike`)."""
        record = self.find(path_or_id)
        fp, title = record.video.fingerprint, Path(record.video.path).name
        found = self.identities(fp)
        if not found:
            why = ("it was indexed without speech (a video with subtitles skips speech unless asked): index it "
                   "again with --sources subtitle,speech" if "speech" not in record.sources else
                   "no one speaks in it, or its speech was indexed with --no-speakers (index it again without)")
            raise NotFound(f"no voices in '{title}': {why}")
        items = self.cache.evidence(fp)
        label = resolve_speaker(who, items) or next(
            (lab for lab, r in self.recognised(fp).items() if r.name.lower() == who.strip().lower()), "")
        if not label:
            known = ", ".join(sorted({speaker_of(e) for e in items if speaker_of(e)}))
            raise NotFound(f"no speaker '{who.strip()}' in '{title}'; its speakers: {known}")
        voice_label = label if label in found else _heard_most(items, label)
        if name is None:
            given = given_names(items).get(label)
            name = given.name if given else (label if not LABEL.fullmatch(label) else "")
            if not name:
                raise BadRequest(f"{label} has no name in '{title}': give one (vidseek speakers name "
                                 f"'{title}' {label} 'Alice Chen')")
        if not voice_label:
            raise NotFound(f"'{label}' in '{title}' is never heard in its speech: there is no voice to enrol")
        voice = found[voice_label]
        name = check_name(name)
        if not voice.one_voice:
            raise BadRequest(f"{voice_label} of '{title}' sounds like more than one person (its pieces agree "
                             f"{voice.agreement:.2f}; one voice from {AGREEMENT:.2f}): this video's speakers were "
                             "not told apart, so enrol this person from another video")
        known = self.recognised(fp).get(voice_label)
        if known is not None and known.name.lower() != name.lower():  # one person, two prints: refused
            raise BadRequest(f"{voice_label} of '{title}' is recognised as '{known.name}' ({known.similarity:.2f}): "
                             f"name it '{known.name}' to add this voice to that print, or rename that print "
                             f"(vidseek speakers rename '{known.name}' '{name}')")
        mine = next((p for p in self.voices.prints() if p.name.lower() == name.lower()), None)
        if mine is not None and not unlike and not any(s.video == fp and s.label == voice_label for s in mine.samples):
            alike = float(mine.vector @ voice.vector)
            if alike < THRESHOLD:
                raise BadRequest(f"{voice_label} of '{title}' is unlike the voice enrolled as '{mine.name}' "
                                 f"({alike:.2f}, recognised from {THRESHOLD:.2f}): another person? Give another name; "
                                 "to add it to that print anyway, name it again with --unlike")
        return self.voices.enrol(name, Sample(fp, voice_label, voice.seconds, voice.vector))

    def matches(self, video: str | os.PathLike[str] | None = None) -> list[tuple[VideoRecord, str, Recognised]]:
        """Where the enrolled voices are recognised: (video record, label, name and similarity), in the video
        given or every video of the library."""
        records = [self.find(video)] if video is not None else self.cache.records()
        return [(r, label, known) for r in records
                for label, known in sorted(self.recognised(r.video.fingerprint).items())]

    def reasoner(self, llm: LLMSettings | None = None) -> Reasoner:
        llm = llm or LLMSettings()
        key = reasoner_key(llm)
        if key not in self._reasoners:
            model = None
            note = None
            if llm.enabled:
                from vidseek.pipeline.llm import load_llm

                try:
                    model = load_llm(llm.llm, llm.url, llm.api_model, self.device)
                except ModelUnavailable as exc:
                    note = f"no LLM: {exc}"
            self._reasoners[key] = Reasoner(self.embedder, model, note, ReasonerSettings(summarize=llm.summarize))
        return self._reasoners[key]

    def ask(self, question: str, choices: Sequence[str] | None = None,
            video: str | os.PathLike[str] | Sequence[str] | None = None, k: int = 12,
            llm: LLMSettings | None = None, on_text: Callable[[str], None] | None = None,
            speaker: str | None = None, mode: str = "quick", agent: AgentSettings | None = None,
            progress: Progress | None = None) -> Answer:
        """Answer a question (multiple choice when choices are given or written into it) with citations.

        `on_text` receives the LLM's final reply while it is generated (the CLI streams it to the terminal);
        `progress(stage, done, total)` hears the steps: "loading the LLM", "the LLM reads N evidence items"
        (quick), the agent's ("chapters" while summaries are built, "agent" before each LLM step, of at most the
        step limit + 1, and "step N: search 'x'" for each tool call). Without it nothing is told.
        `mode`: quick (one retrieval, one prompt), agent (the tool loop over chapters and synopsis: modes.py),
        auto (quick, then the agent when the quick answer is weak). Raises BadRequest, NotIndexed."""
        from vidseek.modes import agent_answer, check_mode, needs_agent

        mode = check_mode(mode)
        question = question.strip()
        if not question:
            raise BadRequest("the question is empty")
        if not choices:
            question, choices = split_choices(question)
        choices = without_letters(choices)
        if len(choices) > len(LETTERS):
            raise BadRequest(f"at most {len(LETTERS)} options ({LETTERS[0]}–{LETTERS[-1]}); got {len(choices)}")
        blank = [LETTERS[i] for i, c in enumerate(choices) if not c.strip()]
        if blank:
            raise BadRequest(f"option {', '.join(blank)} is empty")
        _check_k(k)
        _check_speaker(speaker)
        started = time.perf_counter()
        videos = self._videos_filter(video)
        retriever = Retriever(self.store, self.keyword, self.embedder)
        # chapter and synopsis rows are not retrieved: model-written text is not evidence, and the small model's
        # chapter text crowded out evidence when it was (RESULTS.md, "Agent"); the agent reads them as chapters
        labels = self._speaking_in(speaker, videos) if speaker else None
        hits = self._named_hits(retriever.search(question, MAX_K if speaker else k,
                                                 list(labels) if labels is not None else videos))
        if speaker:  # what that speaker said, from a wider retrieval so k items remain
            hits = _top(self._said_by(hits, speaker, labels), k)
        else:  # a question naming an enrolled person brings what they said, though the store knows them as S2
            people = mentioned(question, self.voices.prints()) if self.voices.version() != (0, 0) else []
            if people:
                wide = self._named_hits(retriever.search(question, MAX_K, videos))
                for person in people:
                    hits = _union(hits, _top(self._said_by(wide, person), max(2, k // 2)))
        for choice in choices or []:  # each option as a query too: evidence that names it comes along
            extra = self._named_hits(retriever.search(f"{question} {choice}", max(2, k // 4), videos,
                                                      neighbours=False))
            hits = _union(hits, extra)
        retrieved = time.perf_counter()
        settings = llm or LLMSettings()
        if progress and settings.enabled and reasoner_key(settings) not in self._reasoners:
            progress("loading the LLM", 0, 1)  # a local model takes seconds to a minute to load
        reasoner = self.reasoner(llm)
        tokens_before, prompt_before = reasoner.tokens_used, reasoner.prompt_tokens
        cited_videos = sorted({h.evidence.fingerprint for h in hits})
        stored = self.store.list_videos(cited_videos)
        paths = {v.fingerprint: v.path for v in stored}
        if speaker:
            hits = self._said_by(hits, speaker, labels)  # the options' extra hits too
        if mode == "agent":
            answer = agent_answer(self, question, list(choices or []), videos, hits, llm, agent, progress=progress)
        else:
            if progress and reasoner.llm is not None and hits:
                progress(f"the LLM reads {len(hits)} evidence items", 0, 1)
            answer = reasoner.answer(question, hits, list(choices or []), paths, on_text)
            why = needs_agent(answer, hits, {v.fingerprint: v.duration for v in stored}) if mode == "auto" else ""
            if why and reasoner.llm is not None:
                answer = agent_answer(self, question, list(choices or []), videos, hits, llm, agent, progress=progress)
            if mode == "auto":
                answer.details["auto"] = why or "quick answer kept"
        answer.details["asked_mode"] = mode
        if reasoner.unavailable:
            answer.notes.append(reasoner.unavailable)
        wordless = [LETTERS[i] for i, c in enumerate(choices or []) if not re.search(r"[^\W_]", c)]
        if wordless:  # nothing in such an option can be matched against evidence: whatever was picked is a guess
            answer.notes.append(f"option {', '.join(wordless)} has no words or numbers to look for in the evidence; "
                                "low confidence")
        check_citations(answer)
        answer.timings.update(retrieve=retrieved - started, total=time.perf_counter() - started,
                              llm_tokens=reasoner.tokens_used - tokens_before,
                              prompt_tokens=reasoner.prompt_tokens - prompt_before)
        return answer


def reasoner_key(llm: LLMSettings) -> tuple:
    """Which settings share one loaded model (tests put a scripted model under a key)."""
    return (llm.llm, llm.url, llm.api_model, llm.enabled, llm.summarize)


def _model_name(llm: LLMSettings) -> str:
    """What names the model that wrote a summary (part of its cache key)."""
    if llm.url:
        return f"{llm.url}#{llm.api_model or ''}"
    from vidseek.pipeline.llm import DEFAULT_LLM

    return llm.llm or DEFAULT_LLM


def _check_speaker(speaker: str | None) -> None:
    """A speaker filter given but blank is a mistake to say, not a filter to drop silently."""
    if speaker is not None and not speaker.strip():
        raise BadRequest("the speaker is empty: give a label (S2), a name, or leave --speaker out")


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise BadRequest(f"k must be a whole number from 1 to {MAX_K}; got {k!r}")


def _top(hits: list[Hit], k: int) -> list[Hit]:
    """The k best-scored hits (neighbours count as hits here), back in time order."""
    best = sorted(hits, key=lambda h: (h.neighbour, -h.score))[:k]
    return in_time_order(best)


def _union(hits: list[Hit], extra: list[Hit]) -> list[Hit]:
    seen = {h.id for h in hits}
    return in_time_order(hits + [h for h in extra if h.id not in seen])


def _heard_most(items: list[Evidence], label: str) -> str:
    """The speech speaker (S-label) heard longest while `label`'s lines (a subtitle speaker) are on screen."""
    shown = [e for e in items if speaker_of(e) == label]
    heard: dict[str, float] = {}
    for e in items:
        other = speaker_of(e)
        if e.source == "speech" and LABEL.fullmatch(other):
            overlap = sum(max(0.0, min(e.end, s.end) - max(e.start, s.start)) for s in shown)
            if overlap > 0:
                heard[other] = heard.get(other, 0.0) + overlap
    return max(heard, key=lambda lab: heard[lab]) if heard else ""
