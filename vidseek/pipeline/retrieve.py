"""Retrieval: dense and BM25 hits fused by reciprocal rank, neighbours in time added, back in time order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from vidseek.store.base import EvidenceFilter, EvidenceStore
from vidseek.store.embeddings import Embedder
from vidseek.store.keyword import KeywordIndex
from vidseek.text import normalise_text
from vidseek.types import Evidence

RRF_K = 60  # the usual reciprocal-rank-fusion constant
NEIGHBOUR_S = 3.0  # evidence this close to a hit, from any source, comes along as context
FETCH = 40  # candidates taken from each retriever before fusing


@dataclass
class Hit:
    """One retrieved piece of evidence with its fused score; neighbours carry the score of their hit."""

    id: str
    evidence: Evidence
    score: float
    neighbour: bool = False


class Retriever:
    def __init__(self, store: EvidenceStore, keyword: KeywordIndex, embedder: Embedder):
        self.store = store
        self.keyword = keyword
        self.embedder = embedder

    def search(self, query: str, k: int = 12, videos: Sequence[str] | None = None,
               sources: Sequence[str] | None = None, neighbours: bool = True,
               span: tuple[float, float] | None = None) -> list[Hit]:
        """The k best hits for a query (plus their neighbours), in time order within each video; `span`
        (start, end seconds) keeps only evidence that overlaps it."""
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
                scores[i] = scores.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
                found[i] = e
        top = sorted(scores, key=lambda i: -scores[i])[:k]
        hits = {i: Hit(i, found[i], scores[i]) for i in top}
        if neighbours and top:
            # one store read for all hits' videos: a filter per hit costs a scan of the store each time. Derived
            # rows (chapters, synopsis) span minutes: as neighbours they would join every hit
            nearby = self.store.get(EvidenceFilter.of(sorted({found[i].fingerprint for i in top}), sources, start, end))
            for i in top:
                e = found[i]
                for j, n in nearby:
                    if (j not in hits and n.fingerprint == e.fingerprint and not n.meta.get("derived")
                            and n.start <= e.end + NEIGHBOUR_S and n.end >= e.start - NEIGHBOUR_S):
                        hits[j] = Hit(j, n, scores[i] * 0.5, neighbour=True)
        return in_time_order(merge_duplicates(list(hits.values())))


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
