"""Retrieval: dense and BM25 hits fused by reciprocal rank.

Two things are asked of it. A search shows the ranked hits, best first, and the moments around each only
when asked (`Retriever.ranked`, then `Retriever.around`). A question's prompt wants the hits with their
neighbours in time, in time order, so the model reads each moment in its context (`Retriever.search`).
Rows a model wrote (chapters, synopsis: types.DERIVED_SOURCES) are left out of both unless asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from vidseek.store.base import EvidenceFilter, EvidenceStore
from vidseek.store.embeddings import Embedder
from vidseek.store.keyword import KeywordIndex
from vidseek.text import normalise_text
from vidseek.types import DERIVED_SOURCES, Evidence

RRF_K = 60  # the usual reciprocal-rank-fusion constant
NEIGHBOUR_S = 3.0  # evidence this close to a hit, from any source, comes along as context
FETCH = 40  # candidates taken from each retriever before fusing


@dataclass
class Hit:
    """One retrieved piece of evidence with its fused score; neighbours carry the score of their hit.
    `context`: the evidence around it in time, when a search asked for it (Library.search(context=...))."""

    id: str
    evidence: Evidence
    score: float
    neighbour: bool = False
    context: list[Evidence] = field(default_factory=list)


class Retriever:
    def __init__(self, store: EvidenceStore, keyword: KeywordIndex, embedder: Embedder):
        self.store = store
        self.keyword = keyword
        self.embedder = embedder

    def search(self, query: str, k: int = 12, videos: Sequence[str] | None = None,
               sources: Sequence[str] | None = None, neighbours: bool = True,
               span: tuple[float, float] | None = None, derived: bool = False) -> list[Hit]:
        """What a question's prompt reads: the k best hits plus their neighbours in time, in time order within
        each video; `span` (start, end seconds) keeps only evidence that overlaps it."""
        hits = self.ranked(query, k, videos, sources, span, derived)
        found = {h.id: h for h in hits}
        if neighbours:
            for hit, nearby in zip(hits, self.around(hits, NEIGHBOUR_S, sources, span)):
                for j, n in nearby:
                    found.setdefault(j, Hit(j, n, hit.score * 0.5, neighbour=True))
        return in_time_order(merge_duplicates(list(found.values())))

    def ranked(self, query: str, k: int = 12, videos: Sequence[str] | None = None,
               sources: Sequence[str] | None = None, span: tuple[float, float] | None = None,
               derived: bool = False) -> list[Hit]:
        """The k best hits for a query, best first (repeats of one text merged into one hit). Rows a model
        wrote come back only when `derived` is set or `sources` names them."""
        derived = derived or bool(sources and DERIVED_SOURCES & set(sources))
        if not derived and not sources:
            # the store filters by the sources to keep: those its videos have, less the model's
            held = {s for v in self.store.list_videos(list(videos) if videos else None) for s in v.sources}
            if held & DERIVED_SOURCES:
                sources = sorted(held - DERIVED_SOURCES)
                if not sources:
                    return []
        start, end = span or (None, None)
        filters = EvidenceFilter.of(videos, sources, start, end)
        fetch = max(FETCH, 3 * k)
        dense = self.store.dense(self.embedder.encode([query])[0], fetch, filters)
        self.keyword.refresh(self.store)
        keyword_ids = self.keyword.search(query, fetch * (10 if filters else 1))
        keyword = [(i, e) for i, e in self.store.get(filters, ids=keyword_ids)] if keyword_ids else []
        rank = {i: n for n, i in enumerate(keyword_ids)}
        keyword.sort(key=lambda ie: rank[ie[0]])
        scores: dict[str, float] = {}
        found: dict[str, Evidence] = {}
        for ranked in (dense, keyword[:fetch]):
            for rank, (i, e) in enumerate(ranked):
                if derived or not e.derived:
                    scores[i] = scores.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
                    found[i] = e
        merged = merge_duplicates([Hit(i, found[i], scores[i]) for i in scores])
        return sorted(merged, key=lambda h: (-h.score, h.evidence.fingerprint, h.evidence.start))[:k]

    def around(self, hits: Sequence[Hit], seconds: float, sources: Sequence[str] | None = None,
               span: tuple[float, float] | None = None) -> list[list[tuple[str, Evidence]]]:
        """For each hit, the (id, evidence) of its video within `seconds` of it, in time order: itself and
        repeats of its own text left out. Rows a model wrote never come along: they span minutes and would
        join every hit."""
        if not hits:
            return []
        start, end = span or (None, None)
        # one store read for all hits' videos: a filter per hit costs a scan of the store each time
        nearby = self.store.get(EvidenceFilter.of(sorted({h.evidence.fingerprint for h in hits}), sources, start, end))
        nearby.sort(key=lambda ie: (ie[1].start, ie[1].end, ie[1].source))
        out = []
        for hit in hits:
            e = hit.evidence
            out.append([(j, n) for j, n in nearby
                        if j != hit.id and n.fingerprint == e.fingerprint and not n.derived
                        and n.start <= e.end + seconds and n.end >= e.start - seconds and not _twins(n, e)])
        return out


def _twins(a: Evidence, b: Evidence) -> bool:
    """The same text from the same source, at overlapping or touching times: one moment said twice."""
    return (a.source == b.source and a.start <= b.end + 0.01 and b.start <= a.end + 0.01
            and normalise_text(a.text) == normalise_text(b.text))


def merge_duplicates(hits: list[Hit]) -> list[Hit]:
    """One hit for the same text from the same source where spans overlap or touch."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.evidence.fingerprint, h.evidence.start)):
        e = hit.evidence
        twin = next((k for k in kept if k.evidence.fingerprint == e.fingerprint and k.evidence.source == e.source
                     and normalise_text(k.evidence.text) == normalise_text(e.text)
                     and e.start <= k.evidence.end + 0.01), None)
        if twin is None:
            kept.append(hit)
            continue
        twin.evidence = replace(twin.evidence, end=max(twin.evidence.end, e.end))
        twin.score = max(twin.score, hit.score)
        twin.neighbour = twin.neighbour and hit.neighbour
    return kept


def in_time_order(hits: list[Hit]) -> list[Hit]:
    """Videos by their best hit, and within a video by time."""
    best: dict[str, float] = {}
    for h in hits:
        best[h.evidence.fingerprint] = max(best.get(h.evidence.fingerprint, 0.0), h.score)
    return sorted(hits, key=lambda h: (-best[h.evidence.fingerprint], h.evidence.fingerprint,
                                       h.evidence.start, h.evidence.end))


__all__ = ["Hit", "Retriever", "in_time_order", "merge_duplicates"]
