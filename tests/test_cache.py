from __future__ import annotations

from pathlib import Path

from vidseek.extractors.base import cache_key, merge_adjacent
from vidseek.extractors.ocr import OcrExtractor
from vidseek.pipeline.cache import EvidenceCache, VideoRecord
from vidseek.types import Evidence, Video

VIDEO = Video(path="/x.mp4", fingerprint="f" * 32, duration=120.0, fps=25.0, width=640, height=360,
              has_video=True, has_audio=True)


def _ev(start: float, end: float, text: str, source: str = "ocr") -> Evidence:
    return Evidence(VIDEO.fingerprint, start, end, source, text, extractor=source, extractor_version="1")


def test_text_on_screen_across_a_chunk_edge_reads_back_as_one_span(tmp_path: Path) -> None:
    cache = EvidenceCache(tmp_path)
    cache.put(VIDEO.fingerprint, "ocr-key", "chunk-00000", [_ev(50, 60, "EXIT 12"), _ev(10, 12, "HELLO")])
    cache.put(VIDEO.fingerprint, "ocr-key", "chunk-00001", [_ev(60, 64, "exit 12"), _ev(70, 71, "HELLO")])
    cache.put(VIDEO.fingerprint, "speech-key", "chunk-00000", [_ev(55, 58, "hello", "speech")])
    cache.save_record(VideoRecord(VIDEO, sources={"ocr": "ocr-key", "speech": "speech-key"}, complete=True))
    found = [(e.start, e.end, e.source, e.text) for e in cache.evidence(VIDEO.fingerprint)]
    assert found == [(10, 12, "ocr", "HELLO"), (50, 64, "ocr", "EXIT 12"), (55, 58, "speech", "hello"),
                     (70, 71, "ocr", "HELLO")]
    assert [e.text for e in cache.evidence(VIDEO.fingerprint, {"speech"})] == ["hello"]


def test_merge_keeps_apart_what_does_not_touch() -> None:
    merged = merge_adjacent([_ev(0, 2, "A"), _ev(3.5, 4, "A"), _ev(2, 3, "A"), _ev(1, 2, "B")], max_gap=0.01)
    assert [(e.start, e.end, e.text) for e in merged] == [(0, 3, "A"), (1, 2, "B"), (3.5, 4, "A")]


def test_cache_key_follows_every_setting() -> None:
    sampling = {"fps": 1.0}
    base = cache_key(OcrExtractor(device="cpu"), sampling)
    assert base == cache_key(OcrExtractor(device="cpu"), sampling)
    assert base != cache_key(OcrExtractor(device="cpu", min_confidence=0.9), sampling)
    assert base != cache_key(OcrExtractor(device="cpu"), {"fps": 2.0})
    assert base != cache_key(OcrExtractor(device="cpu", engine="easyocr"), sampling)
    assert base != cache_key(OcrExtractor(device="cpu", engine="rapidocr"), sampling)
    assert base.startswith("ocr-v3-")


def test_records_round_trip_and_list(tmp_path: Path) -> None:
    cache = EvidenceCache(tmp_path)
    record = VideoRecord(VIDEO, sources={"ocr": "k"}, skipped={"caption": "no captioner"}, notices=["n"])
    cache.save_record(record)
    assert cache.record(VIDEO.fingerprint) == record
    assert cache.records() == [record]
    assert cache.record("0" * 32) is None
