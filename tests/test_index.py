from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SPOKEN, SPOKEN_AT, WORD
from vidseek import synth
from vidseek.extractors import Extractor, SubtitleExtractor
from vidseek.extractors.ocr import OcrExtractor
from vidseek.pipeline.cache import EvidenceCache
from vidseek.pipeline.index import Indexer
from vidseek.video import VideoError


@pytest.fixture
def sources(speech, ocr, objects) -> list:
    return [SubtitleExtractor(), speech, ocr, objects]


def _dump(cache: EvidenceCache, fingerprint: str) -> list[dict]:
    return [e.to_dict() for e in cache.evidence(fingerprint)]


def test_index_turns_the_video_into_evidence_from_every_source(needle_video, sources, options, tmp_path) -> None:
    cache = EvidenceCache(tmp_path / "lib")
    report = Indexer(cache, sources, options).index(needle_video)
    found = cache.evidence(report.video.fingerprint)
    assert [e.start for e in found] == sorted(e.start for e in found)
    by_source = {e.source: e for e in found}
    assert by_source["ocr"].text == WORD
    assert "thursday" in by_source["speech"].text.lower()
    assert "person" in by_source["objects"].text
    assert report.skipped == {"subtitle": "no subtitle file beside the video and no subtitle stream"}
    record = cache.record(report.video.fingerprint)
    assert record is not None and record.complete and set(record.sources) == {"speech", "ocr", "objects"}
    assert report.chunks == report.chunks_run == 3


def test_second_run_is_a_cache_hit_with_no_model_call(needle_video, sources, options, tmp_path) -> None:
    cache = EvidenceCache(tmp_path / "lib")
    first = Indexer(cache, sources, options).index(needle_video)
    assert sum(first.model_calls.values()) > 0
    again = Indexer(cache, sources, options).index(needle_video)
    assert again.model_calls == {"speech": 0, "ocr": 0, "objects": 0}
    assert again.chunks_run == 0
    assert _dump(cache, again.video.fingerprint) == _dump(cache, first.video.fingerprint)


def test_changing_one_extractor_reruns_only_that_one(needle_video, speech, objects, ocr, options, tmp_path) -> None:
    cache = EvidenceCache(tmp_path / "lib")
    Indexer(cache, [speech, ocr, objects], options).index(needle_video)
    stricter = OcrExtractor(device="cpu", min_confidence=0.6)
    report = Indexer(cache, [speech, stricter, objects], options).index(needle_video)
    assert report.model_calls["speech"] == 0 and report.model_calls["objects"] == 0
    assert report.model_calls["ocr"] > 0


class _Crash(Exception):
    pass


class _CrashingOnce(Extractor):
    """Wraps an extractor and raises the first time it reaches a given chunk, like a kill mid-run."""

    def __init__(self, inner, chunk_index: int):
        self.inner, self.chunk_index, self.crashed = inner, chunk_index, False
        for attr in ("name", "version", "source", "needs"):
            setattr(self, attr, getattr(inner, attr))

    @property
    def model_calls(self) -> int:
        return self.inner.model_calls

    def config(self):
        return self.inner.config()

    def check(self, video) -> None:
        self.inner.check(video)

    def run(self, video, chunk):
        if chunk.index == self.chunk_index and not self.crashed:
            self.crashed = True
            raise _Crash
        return self.inner.run(video, chunk)


def test_interrupted_run_resumes_without_duplicates(needle_video, speech, ocr, objects, options, tmp_path) -> None:
    whole = EvidenceCache(tmp_path / "whole")
    Indexer(whole, [speech, ocr, objects], options).index(needle_video)

    cache = EvidenceCache(tmp_path / "broken")
    crashing = _CrashingOnce(objects, chunk_index=1)  # speech and ocr finish chunk 1, objects does not
    with pytest.raises(_Crash):
        Indexer(cache, [speech, ocr, crashing], options).index(needle_video)
    fingerprint = next(iter(cache.records())).video.fingerprint
    assert not cache.record(fingerprint).complete

    resumed = Indexer(cache, [speech, ocr, crashing], options).index(needle_video)
    assert resumed.chunks_run == 2  # chunk 1 (objects only) and chunk 2
    assert resumed.model_calls["ocr"] > 0 and resumed.model_calls["speech"] == 1  # chunk 2 only
    assert _dump(cache, fingerprint) == _dump(whole, fingerprint)
    assert cache.record(fingerprint).complete


def test_killed_between_chunks_resumes_where_it_stopped(needle_video, ocr, options, tmp_path) -> None:
    cache = EvidenceCache(tmp_path / "lib")

    def stop(i: int) -> None:
        if i == 0:
            raise _Crash

    with pytest.raises(_Crash):
        Indexer(cache, [ocr], options).index(needle_video, after_chunk=stop)
    resumed = Indexer(cache, [ocr], options).index(needle_video)
    assert resumed.chunks_run == 2
    assert [e.text for e in cache.evidence(resumed.video.fingerprint)] == [WORD]


def test_subtitles_stand_in_for_speech_unless_speech_is_asked_for(needle_video, speech, options, tmp_path) -> None:
    movie = Path(shutil.copy(needle_video, tmp_path / "movie.mp4"))
    synth.write_srt([(SPOKEN_AT, SPOKEN_AT + 3, SPOKEN)], tmp_path / "movie.srt")
    cache = EvidenceCache(tmp_path / "lib")
    report = Indexer(cache, [SubtitleExtractor(), speech], options).index(movie)
    assert "speech" in report.skipped and "subtitle evidence present" in report.skipped["speech"]
    assert report.counts == {"subtitle": 1}
    asked = Indexer(cache, [SubtitleExtractor(), speech], options, requested={"subtitle", "speech"}).index(movie)
    assert asked.counts == {"subtitle": 1, "speech": 1}


def test_video_without_audio_skips_speech_and_indexes_the_rest(speech, ocr, options, tmp_path) -> None:
    script = synth.Script(duration=6, audio=False, captions=[synth.Caption(1, 5, "SILENT FILM", size=40)])
    silent = synth.write_video(script, tmp_path / "silent.mp4")
    report = Indexer(EvidenceCache(tmp_path / "lib"), [speech, ocr], options).index(silent)
    assert report.skipped == {"speech": "no audio stream"}
    assert report.counts == {"ocr": 1}


def test_audio_only_file_indexes_speech_and_names_the_skipped_picture_sources(speech, ocr, options, tmp_path):
    track = np.zeros(synth.AUDIO_RATE * 8, dtype=np.float32)
    voice = synth.espeak(SPOKEN)
    track[synth.AUDIO_RATE : synth.AUDIO_RATE + len(voice)] = voice
    sound = synth.write_audio(track, tmp_path / "talk.m4a")
    report = Indexer(EvidenceCache(tmp_path / "lib"), [speech, ocr], options).index(sound)
    assert report.skipped == {"ocr": "no video stream"}
    assert report.counts == {"speech": 1}


def test_unusable_input_leaves_the_library_untouched(needle_video, ocr, options, tmp_path) -> None:
    library = tmp_path / "lib"
    data = needle_video.read_bytes()
    bad = [tmp_path / "missing.mp4", tmp_path / "text.mp4", tmp_path / "cut.mp4"]
    bad[1].write_text("hello")
    bad[2].write_bytes(data[: len(data) // 10])
    for path in bad:
        with pytest.raises(VideoError):
            Indexer(EvidenceCache(library), [ocr], options).index(path)
    assert not library.exists()


def test_identical_files_in_two_folders_are_two_entries(tmp_path, embedder) -> None:
    """Byte-identical files: content evidence is shared through the cache, each file's own sidecar subtitles
    stay its own, and removing one entry leaves the other whole."""
    from vidseek.library import Library

    first, second = tmp_path / "season1", tmp_path / "season2"
    first.mkdir()
    second.mkdir()
    movie = synth.write_video(synth.Script(duration=4, size=(64, 48), fps=5, audio=False), first / "episode.mp4")
    shutil.copy(movie, second / "episode.mp4")
    synth.write_srt([(0.5, 2.0, "Season one: the keeper is Ada.")], first / "episode.srt")
    synth.write_srt([(0.5, 2.0, "Season two: the keeper is Bea.")], second / "episode.srt")
    library = Library(tmp_path / "lib", embedder=embedder, device="cpu")
    a = library.index(first / "episode.mp4", sources=["subtitle"]).video
    b = library.index(second / "episode.mp4", sources=["subtitle"]).video
    assert a.fingerprint != b.fingerprint and a.content_id == b.content_id
    assert [e.text for e in library.evidence(first / "episode.mp4")] == ["Season one: the keeper is Ada."]
    assert [e.text for e in library.evidence(second / "episode.mp4")] == ["Season two: the keeper is Bea."]
    assert {v.path for v in library.stored_videos()} == {str(first / "episode.mp4"), str(second / "episode.mp4")}
    again = library.index(first / "episode.mp4", sources=["subtitle"]).video  # the same entry, not a third
    assert again.fingerprint == a.fingerprint and len(library.videos()) == 2
    library.remove(second / "episode.mp4")
    assert [v.path for v in library.stored_videos()] == [str(first / "episode.mp4")]
    assert [e.text for e in library.evidence(first / "episode.mp4")] == ["Season one: the keeper is Ada."]
    assert "Ada" in library.search("who is the keeper", k=3)[0].evidence.text


def test_identical_files_share_evidence_drawn_from_their_content(needle_video, ocr, options, tmp_path) -> None:
    cache = EvidenceCache(tmp_path / "lib")
    copies = [Path(shutil.copy(needle_video, tmp_path / name)) for name in ("a.mp4", "b.mp4")]
    first = Indexer(cache, [ocr], options).index(copies[0])
    ocr_calls = ocr.model_calls
    second = Indexer(cache, [ocr], options).index(copies[1])
    assert second.chunks_run == 0 and ocr.model_calls == ocr_calls  # read from the shared cache
    assert [e.text for e in cache.evidence(second.video.fingerprint)] == \
        [e.text for e in cache.evidence(first.video.fingerprint)] == [WORD]
    assert all(e.fingerprint == second.video.fingerprint for e in cache.evidence(second.video.fingerprint))
    copies[0].rename(tmp_path / "moved.mp4")  # a moved file keeps its entry
    moved = Indexer(cache, [ocr], options).index(tmp_path / "moved.mp4")
    assert moved.video.fingerprint == first.video.fingerprint and len(cache.records()) == 2
