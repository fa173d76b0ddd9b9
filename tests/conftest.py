"""Media the tests build themselves, and the real packaged models loaded once per session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import skimage.data

from vidseek import synth, video
from vidseek.extractors import ObjectsExtractor, OcrExtractor, SpeechExtractor
from vidseek.extractors.base import Chunk
from vidseek.library import Library
from vidseek.pipeline.index import Indexer, IndexOptions
from vidseek.store.embeddings import Embedder

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a test that reaches for a hub fails here as it would offline

SPOKEN = "The meeting moves to Thursday afternoon."
SPOKEN_AT = 22.0
WORD = "PELICAN 4821"
WORD_SPAN = (3.0, 7.0)
PHOTO_SPAN = (12.0, 18.0)
CHUNK_S = 10.0  # small chunks so a 30 s video has three


def needle_script() -> synth.Script:
    """30 s, three scenes: a word on screen, then a photo of a person, then a spoken sentence."""
    return synth.Script(
        duration=30.0,
        scenes=[synth.Scene(0.0, (25, 35, 90)), synth.Scene(10.0, (200, 120, 30)), synth.Scene(20.0, (30, 110, 60))],
        captions=[synth.Caption(*WORD_SPAN, WORD, size=40)],
        photos=[synth.Photo(*PHOTO_SPAN, skimage.data.astronaut(), box=(180, 20, 320, 320))],
        speech=[synth.Speech(SPOKEN_AT, SPOKEN)],
    )


def frames_chunk(path: Path, start: float, end: float, fps: float = 1.0) -> Chunk:
    """A chunk of sampled frames cut into segments, as the indexer hands frame extractors."""
    v = video.probe(path)
    with video.FrameReader(path, fps=fps) as reader:
        frames = reader.read(start, end)
    return Chunk(0, start, end, segments=video.segment(v.fingerprint, frames, start, end))


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def needle_video(media_dir: Path) -> Path:
    return synth.write_video(needle_script(), media_dir / "needles.mp4")


@pytest.fixture(scope="session")
def options() -> IndexOptions:
    return IndexOptions(chunk_seconds=CHUNK_S)


@pytest.fixture(scope="session")
def speech() -> SpeechExtractor:
    return SpeechExtractor(device="cpu")


@pytest.fixture(scope="session")
def ocr() -> OcrExtractor:
    return OcrExtractor(device="cpu")


@pytest.fixture(scope="session")
def objects() -> ObjectsExtractor:
    return ObjectsExtractor(device="cpu")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(device="cpu")


def index_into(library: Library, path: Path, extractors: list, options: IndexOptions) -> str:
    """Index with already-loaded extractors and publish to the library's store; the fingerprint."""
    report = Indexer(library.cache, extractors, options).index(path)
    library.publish(report.video.fingerprint)
    return report.video.fingerprint


@pytest.fixture(scope="session")
def needle_library(tmp_path_factory, needle_video, speech, ocr, objects, options, embedder) -> Library:
    """The needle video indexed with the real default models into an embedded store."""
    library = Library(tmp_path_factory.mktemp("needle-lib"), embedder=embedder, device="cpu")
    index_into(library, needle_video, [speech, ocr, objects], options)
    return library


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A real chromadb server process on loopback, stopped after the test."""
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--host", "127.0.0.1", "--port", str(port),
                             "--path", str(tmp_path / "server")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if requests.get(f"{url}/api/v2/heartbeat", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.25)
        else:
            pytest.fail("chroma server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
