"""The API builds a video's chapters on a POST (the Origin check applies), serves them on a GET (404 until
built: a GET never writes), and asks in agent mode."""

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
    return client, fp, library


def test_a_page_of_another_site_cannot_build_a_summary(served) -> None:
    client, fp, library = served
    assert library.summary(fp, build=False) is None  # runs before the test that builds it
    evil = {"Origin": "http://evil.example"}
    fetched = client.get(f"/api/videos/{fp}/summary", params={"build": "true"}, headers=evil)  # an <img src>
    assert fetched.status_code == 404 and fetched.json() == {"error": (
        f"no summary of {fp[:12]} yet (a POST to this address builds it, or run vidseek summary)")}
    posted = client.post(f"/api/videos/{fp}/summary", headers=evil)  # a form the page submits
    assert posted.status_code == 403 and "another origin" in posted.json()["error"]
    assert library.summary(fp, build=False) is None  # nothing was written


def test_chapters_are_served_once_built(served) -> None:
    client, fp, _ = served
    assert client.get(f"/api/videos/{fp}/summary").status_code == 404
    built = client.post(f"/api/videos/{fp}/summary").json()
    assert built["video"] == fp[:12] and built["chapters"] and built["synopsis"] == ""  # no LLM: nothing written
    texts = {t for _, _, t in CUES}
    assert all(line["text"] in texts for c in built["chapters"] for line in c["lines"])
    assert client.get(f"/api/videos/{fp[:12]}/summary").json() == built  # cached


def test_ask_takes_a_mode_and_returns_the_trace(served) -> None:
    client, _, _ = served
    answer = client.post("/api/ask", json={"question": "Who keeps the lighthouse?", "mode": "agent"}).json()
    assert answer["trace"] == [] and any("agent mode needs an LLM" in n for n in answer["notes"])
    assert client.post("/api/ask", json={"question": "Who?", "mode": "deep"}).status_code == 422
