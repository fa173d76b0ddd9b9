from __future__ import annotations

from pathlib import Path

from vidseek.library import Library
from vidseek.pipeline.retrieve import Hit, Retriever, merge_duplicates
from vidseek.types import Evidence, Video

FP_A, FP_B = "a" * 32, "b" * 32


def _library(tmp_path: Path, embedder) -> Library:
    """Two videos of hand-written evidence in an embedded store."""
    library = Library(tmp_path, embedder=embedder, device="cpu")
    videos = {
        FP_A: [("speech", 10, 14, "We will meet the architect at the harbour."),
               ("ocr", 12, 15, "GATE 4821"),
               ("speech", 40, 44, "The weather turned cold in the evening."),
               ("objects", 41, 50, "2 person"),
               ("speech", 90, 94, "Lunch was soup and bread.")],
        FP_B: [("speech", 5, 9, "The harbour master checks every ship."),
               ("ocr", 30, 33, "ROOM 17")],
    }
    for fp, rows in videos.items():
        items = [Evidence(fp, s, e, src, text) for src, s, e, text in rows]
        video = Video(f"/v/{fp[0]}.mp4", fp, 100, 25, 2, 2, True, True)
        library.store.replace_video(video, items, library.embedder.encode([i.text for i in items]))
    return library


def test_keyword_finds_exact_numbers_that_embeddings_blur(tmp_path: Path, embedder) -> None:
    library = _library(tmp_path, embedder)
    hits = library.search("4821", k=1)
    direct = [h for h in hits if not h.neighbour]
    assert [h.evidence.text for h in direct] == ["GATE 4821"]


def test_a_search_gives_hits_best_first_and_the_moments_around_them_only_when_asked(tmp_path: Path, embedder) -> None:
    library = _library(tmp_path, embedder)
    hits = library.search("cold weather in the evening", k=2)
    assert len(hits) == 2 and hits[0].evidence.text == "The weather turned cold in the evening."
    assert hits[0].score >= hits[1].score and not any(h.neighbour or h.context for h in hits)
    (hit,) = library.search("cold weather in the evening", k=1, context=3)
    assert [e.text for e in hit.context] == ["2 person"]  # the detection 1 s later


def test_a_questions_retrieval_brings_neighbours_in_time_and_everything_is_in_time_order(tmp_path: Path,
                                                                                          embedder) -> None:
    library = _library(tmp_path, embedder)
    retriever = Retriever(library.store, library.keyword, library.embedder)
    hits = retriever.search("cold weather in the evening", k=1)
    texts = [h.evidence.text for h in hits]
    assert texts == ["The weather turned cold in the evening.", "2 person"]  # the detection 1 s later
    assert [h.neighbour for h in hits] == [False, True]


def test_filters_by_video_and_source(tmp_path: Path, embedder) -> None:
    library = _library(tmp_path, embedder)
    retriever = Retriever(library.store, library.keyword, library.embedder)
    in_b = retriever.search("harbour", k=3, videos=[FP_B])
    assert {h.evidence.fingerprint for h in in_b} == {FP_B}
    ocr_only = retriever.search("harbour", k=5, sources=["ocr"], neighbours=False)
    assert ocr_only and {h.evidence.source for h in ocr_only} == {"ocr"}


def test_library_wide_hits_group_by_video_then_time(tmp_path: Path, embedder) -> None:
    library = _library(tmp_path, embedder)
    hits = Retriever(library.store, library.keyword, library.embedder).search("harbour", k=4)
    order = [(h.evidence.fingerprint, h.evidence.start) for h in hits]
    for fp in (FP_A, FP_B):
        starts = [s for f, s in order if f == fp]
        assert starts == sorted(starts)
    firsts = [order.index(next(o for o in order if o[0] == fp)) for fp in (FP_A, FP_B)]
    lasts = [max(i for i, o in enumerate(order) if o[0] == fp) for fp in (FP_A, FP_B)]
    assert lasts[0] < firsts[1] or lasts[1] < firsts[0]  # one video's hits, then the other's


def test_duplicates_merge_into_one_span() -> None:
    e1 = Evidence(FP_A, 10, 12, "ocr", "EXIT")
    e2 = Evidence(FP_A, 12, 15, "ocr", "exit")
    e3 = Evidence(FP_A, 12, 15, "speech", "exit")
    merged = merge_duplicates([Hit("1", e1, 0.5), Hit("2", e2, 0.7), Hit("3", e3, 0.1)])
    assert [(h.evidence.source, h.evidence.start, h.evidence.end, h.score) for h in merged] == [
        ("ocr", 10, 15, 0.7), ("speech", 12, 15, 0.1)]
