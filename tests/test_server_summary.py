"""The API serves a video's chapters (404 until built unless build=true) and asks in agent mode."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.server_fixtures import CUES, make_served_folder
from vidseek.library import Library
from vidseek.server import ServerConfig, create_app


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("served-summary")
    video = make_served_folder(root)
    library = Library(root / "library", embedder=embedder, device="cpu")
    fp = library.index(video, sources=["subtitle"]).video.fingerprint
    client = TestClient(create_app(ServerConfig(roots=[root / "videos"], llm=False), library),
                        base_url="http://127.0.0.1")
    return client, fp


def test_chapters_are_served_once_built(served) -> None:
    client, fp = served
    assert client.get(f"/api/videos/{fp}/summary").status_code == 404
    built = client.get(f"/api/videos/{fp}/summary", params={"build": "true"}).json()
    assert built["video"] == fp[:12] and built["chapters"] and built["synopsis"] == ""  # no LLM: nothing written
    texts = {t for _, _, t in CUES}
    assert all(line["text"] in texts for c in built["chapters"] for line in c["lines"])
    assert client.get(f"/api/videos/{fp[:12]}/summary").json() == built  # cached


def test_ask_takes_a_mode_and_returns_the_trace(served) -> None:
    client, _ = served
    answer = client.post("/api/ask", json={"question": "Who keeps the lighthouse?", "mode": "agent"}).json()
    assert answer["trace"] == [] and any("agent mode needs an LLM" in n for n in answer["notes"])
    assert client.post("/api/ask", json={"question": "Who?", "mode": "deep"}).status_code == 422
