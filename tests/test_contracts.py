"""What every registered part promises, checked for each one: extractors, LLM backends, stores. A new part
joins these tests by being registered; a backend or store without a case here fails the coverage check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import CUES, subtitled_library
from vidseek import extractors as ex
from vidseek import synth
from vidseek.errors import BackendFailure, ModelUnavailable, SourceUnavailable
from vidseek.extractors import AUDIO, FRAMES, Chunk
from vidseek.library import Library
from vidseek.pipeline import llm as llm_backends
from vidseek.pipeline.answer import Reasoner
from vidseek.store.base import EvidenceFilter, open_store, store_kinds
from vidseek.testing import HashEmbedder, ScriptedChat
from vidseek.types import Evidence, Video
from vidseek.video import probe

EXTRACTORS = list(ex.registry().values())


def _default(cls: type[ex.Extractor]) -> ex.Extractor:
    return cls.from_options(cls.options_type(), "cpu")


@pytest.fixture(scope="module")
def bare_media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Video, Video]:
    """A silent picture-only file (no subtitles beside it) and a sound-only file."""
    folder = tmp_path_factory.mktemp("contract")
    silent = synth.write_video(synth.Script(duration=2, size=(64, 48), fps=5, audio=False), folder / "silent.mp4")
    tone = (0.2 * np.sin(np.linspace(0, 2 * np.pi * 440 * 2, synth.AUDIO_RATE * 2))).astype(np.float32)
    sound = synth.write_audio(tone, folder / "tone.m4a")
    return probe(silent), probe(sound)


@pytest.mark.parametrize("cls", EXTRACTORS, ids=lambda c: c.name)
def test_extractor_config_is_json_stable(cls: type[ex.Extractor]) -> None:
    first, second = _default(cls).config(), _default(cls).config()
    assert json.loads(json.dumps(first, sort_keys=True)) == first == second
    assert ex.cache_key(_default(cls), {"fps": 1.0}) == ex.cache_key(_default(cls), {"fps": 1.0})


@pytest.mark.parametrize("cls", EXTRACTORS, ids=lambda c: c.name)
def test_a_video_without_what_the_extractor_reads_is_a_source_unavailable(cls: type[ex.Extractor],
                                                                           bare_media: tuple[Video, Video]) -> None:
    silent, sound = bare_media
    lacking = sound if FRAMES in cls.needs else silent  # no pictures; no sound; or (needing neither) no subtitles
    assert AUDIO not in cls.needs or not silent.has_audio
    with pytest.raises(SourceUnavailable):
        _default(cls).check(lacking)


@pytest.mark.parametrize("cls", EXTRACTORS, ids=lambda c: c.name)
def test_empty_input_gives_no_evidence_and_runs_no_model(cls: type[ex.Extractor],
                                                         bare_media: tuple[Video, Video]) -> None:
    silent, _ = bare_media
    extractor = _default(cls)
    assert list(extractor.run(silent, Chunk(0, 0.0, silent.duration))) == []
    assert extractor.model_calls == 0 and extractor.notices() == []


def test_evidence_carries_the_source_and_version_of_the_extractor_that_made_it(needle_library: Library,
                                                                               tmp_path: Path) -> None:
    _, subtitled = subtitled_library(tmp_path, HashEmbedder())
    items = [e for lib in (needle_library, subtitled) for r in lib.videos()
             for e in lib.cache.evidence(r.video.fingerprint)]
    registry = ex.registry()
    assert {"speech", "ocr", "objects", "subtitle"} <= {e.source for e in items}
    for e in items:
        assert (e.source, e.extractor_version) == (registry[e.extractor].source, registry[e.extractor].version)


# --- LLM backends ---------------------------------------------------------------------------------------------
UNUSABLE = {  # per backend: a request it accepts that cannot work here, and the error that must say so
    "openai-compatible": (llm_backends.LLMRequest("x", url="http://127.0.0.1:9/v1"), BackendFailure),
    "gguf": (llm_backends.LLMRequest("/nonexistent/model.gguf"), ModelUnavailable),
    "transformers": (llm_backends.LLMRequest("no-such-org/no-such-model"), ModelUnavailable),
}


def test_every_registered_backend_has_a_contract_case() -> None:
    assert {b.name for b in llm_backends.BACKENDS} == set(UNUSABLE)


@pytest.mark.parametrize("backend", llm_backends.BACKENDS, ids=lambda b: b.name)
def test_a_backend_that_cannot_serve_says_so_in_the_error_family(backend: llm_backends.Backend) -> None:
    request, error = UNUSABLE[backend.name]
    assert backend.accepts(request)
    with pytest.raises(error, match=r"\S"):
        backend.load(request).invoke("hello")


# --- stores -----------------------------------------------------------------------------------------------------
def _location(kind: str, tmp_path: Path) -> str:
    return {"chroma": str(tmp_path / "chroma"), "memory": f"memory://{tmp_path.name}"}[kind]


LOCAL_KINDS = [k.name for k in store_kinds() if not k.shared]


def test_every_local_store_kind_has_a_contract_case(tmp_path: Path) -> None:
    assert set(LOCAL_KINDS) == {"chroma", "memory"}  # chroma-server is covered by test_store's server test
    for kind in LOCAL_KINDS:
        _location(kind, tmp_path)


@pytest.mark.parametrize("kind", LOCAL_KINDS)
def test_store_keeps_filters_and_searches_what_it_was_given(kind: str, tmp_path: Path) -> None:
    store = open_store(_location(kind, tmp_path))
    embedder = HashEmbedder()
    video = Video(str(tmp_path / "a.mp4"), "a" * 32, 60.0, 25.0, 64, 48, True, True)
    items = [Evidence(video.fingerprint, 1.0, 3.0, "speech", "the ferry leaves at noon"),
             Evidence(video.fingerprint, 10.0, 12.0, "ocr", "HARBOR MASTER ADA BROOKS"),
             Evidence(video.fingerprint, 30.0, 31.0, "speech", "the lighthouse keeper waves")]
    before = store.stamp()
    store.replace_video(video, items, embedder.encode([e.text for e in items]))
    assert store.stamp() != before and store.count() == 3
    [listed] = store.list_videos()
    assert (listed.fingerprint, listed.sources, listed.evidence) == (video.fingerprint, ["ocr", "speech"], 3)
    spoken = [e.text for _, e in store.get(EvidenceFilter(sources=("speech",)))]
    assert sorted(spoken) == ["the ferry leaves at noon", "the lighthouse keeper waves"]
    assert [e.text for _, e in store.get(EvidenceFilter(start=9.0, end=20.0))] == ["HARBOR MASTER ADA BROOKS"]
    nearest = store.dense(embedder.encode(["when does the ferry leave"])[0], 1)
    assert nearest[0][1].text == "the ferry leaves at noon"
    assert store.dense(embedder.encode(["ferry"])[0], 3, EvidenceFilter(videos=("b" * 32,))) == []
    store.replace_video(video, items[:1], embedder.encode([]), only=[])  # keep one row, embed nothing new
    assert [e.text for _, e in store.get()] == ["the ferry leaves at noon"]
    assert store.remove_video(video.fingerprint) == 1 and store.list_videos() == [] and store.count() == 0


# --- the shipped fakes: orchestration with no weights at all ---------------------------------------------------
def test_a_library_runs_on_the_fakes_and_the_reasoner_follows_the_scripted_model(tmp_path: Path) -> None:
    video, library = subtitled_library(tmp_path, HashEmbedder())
    memory = Library(tmp_path / "lib", store=f"memory://{tmp_path.name}", embedder=HashEmbedder())
    memory.rebuild()
    hits = memory.search("Who is the harbor master?", k=2)
    assert hits and hits[0].evidence.text == CUES[0][2]
    chat = ScriptedChat(replies=["B"])
    answer = Reasoner(HashEmbedder(), chat).answer("Who is the harbor master?", hits, ["Ada Brooks", "Noon"])
    assert answer.mode == "llm" and answer.details["llm"] == "B" and len(chat.prompts) == 1
    assert f'"{CUES[0][2]}"' in chat.prompts[0]  # evidence reached the model quoted, as data
