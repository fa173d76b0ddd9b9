"""The JSON API through FastAPI's test client: listing, asking, searching, index jobs, media, and the guards."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.server_fixtures import CUES, KEEPER_SPAN, make_served_folder
from vidseek.library import Library
from vidseek.server import ServerConfig, create_app

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder) -> tuple[Path, Library, str]:
    root = tmp_path_factory.mktemp("served")
    video = make_served_folder(root)
    library = Library(root / "library", embedder=embedder, device="cpu")
    report = library.index(video, sources=["subtitle"])
    return root, library, report.video.fingerprint


@pytest.fixture(scope="module")
def client(served) -> TestClient:
    root, library, _ = served
    return TestClient(create_app(ServerConfig(roots=[root / "videos"], llm=False), library))


def _wait(client: TestClient, job_id: str, headers: dict | None = None) -> dict:
    deadline = time.time() + 120
    while time.time() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["state"] in {"done", "failed"}:
            return job
        time.sleep(0.1)
    raise AssertionError("index job did not finish")


def test_videos_and_their_evidence(client, served) -> None:
    _, _, fp = served
    videos = client.get("/api/videos").json()
    assert [(v["id"], v["name"], v["sources"], v["playable"]) for v in videos] == [
        (fp, "harbor.mp4", ["subtitle"], True)]
    items = client.get(f"/api/videos/{fp[:10]}/evidence").json()
    assert [(e["start"], e["end"], e["text"]) for e in items] == [(a, b, t) for a, b, t in CUES]
    assert items[0]["thumbnail"] == f"/api/videos/{fp}/thumbnail?t=3.5"


def test_ask_cites_the_span_that_answers(client, served) -> None:
    _, _, fp = served
    answer = client.post("/api/ask", json={"question": "Who is the lighthouse keeper?", "video": fp}).json()
    assert "Ada Brooks" in answer["text"]
    first = answer["citations"][0]
    assert (first["video"], first["start"], first["end"], first["source"]) == (fp, *KEEPER_SPAN, "subtitle")
    assert first["playable"] and first["label"] == "[00:00:12–00:00:15 subtitle]"
    choice = client.post("/api/ask", json={"question": "When does the boat return?",
                                           "choices": ["at midnight", "at noon", "at dawn"]}).json()
    assert choice["choice"] == "B"


def test_search_returns_scored_hits(client) -> None:
    hits = client.get("/api/search", params={"q": "pier noon", "k": 2}).json()["hits"]
    assert [h["start"] for h in hits] == sorted(h["start"] for h in hits)  # in time order, neighbours too
    best = max(hits, key=lambda h: h["score"])
    assert best["text"] == CUES[2][2] and not best["neighbour"]


def test_index_job_reports_progress_and_the_new_video(client, served, tmp_path) -> None:
    root, _, _ = served
    second = root / "videos" / "copy.mp4"
    second.write_bytes((root / "videos" / "harbor.mp4").read_bytes() + b"\0")  # other bytes, same pictures
    (root / "videos" / "copy.srt").write_text((root / "videos" / "harbor.srt").read_text())
    started = client.post("/api/index", json={"path": "copy.mp4", "sources": ["subtitle"]})
    assert started.status_code == 202 and started.json()["state"] in {"queued", "running", "done"}
    job = _wait(client, started.json()["id"])
    assert job["state"] == "done" and job["fraction"] == 1.0 and job["counts"] == {"subtitle": 3}
    assert job["stages"]["embed"] == {"done": 1, "total": 1}
    assert job["video"] in {v["id"] for v in client.get("/api/videos").json()}
    assert client.get("/api/jobs").json()[-1]["id"] == job["id"]


def test_a_broken_file_fails_its_job_with_the_reason(client, served) -> None:
    root, _, _ = served
    (root / "videos" / "notes.mp4").write_text("this is not a video")
    job = _wait(client, client.post("/api/index", json={"path": "notes.mp4"}).json()["id"])
    assert job["state"] == "failed" and "not a readable media file" in job["error"]


def test_video_is_served_with_range_requests(client, served) -> None:
    root, _, fp = served
    size = (root / "videos" / "harbor.mp4").stat().st_size
    whole = client.get(f"/api/videos/{fp}/file")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes" and len(whole.content) == size
    part = client.get(f"/api/videos/{fp}/file", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == whole.content[100:200]


def test_thumbnail_is_the_frame_at_that_moment(client, served) -> None:
    import io

    from PIL import Image

    _, _, fp = served
    response = client.get(f"/api/videos/{fp}/thumbnail", params={"t": 13.0})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert image.size[0] <= 240
    r, g, b = image.getpixel((image.size[0] // 2, image.size[1] // 2))
    assert r > 150 and b < 100  # the orange scene that runs from 10 s to 16 s


@pytest.mark.parametrize("path", ["../library/videos/x.json", "/etc/passwd", "../../../../etc/passwd",
                                  "videos/../../etc/hostname", "link-out.mp4"])
def test_paths_outside_the_roots_are_refused(client, served, path) -> None:
    root, _, _ = served
    link = root / "videos" / "link-out.mp4"
    if not link.exists():
        os.symlink("/etc/hostname", link)  # a link inside a root that leads out of it
    response = client.post("/api/index", json={"path": path})
    assert response.status_code == 403
    assert response.json()["error"].endswith("is outside the folders this server may read")


def test_traversal_through_urls_finds_nothing(client) -> None:
    for url in ["/static/..%2F..%2Fcli.py", "/static/../app.py", "/api/videos/..%2F..%2Fetc%2Fpasswd/file",
                "/api/videos/%2e%2e/evidence"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "error" in response.json()


def test_a_video_outside_the_roots_is_listed_but_not_served(served, embedder, tmp_path) -> None:
    root, library, fp = served
    narrow = tmp_path / "elsewhere"
    narrow.mkdir()
    client = TestClient(create_app(ServerConfig(roots=[narrow], llm=False), library))
    assert [v["playable"] for v in client.get("/api/videos").json()] == [False] * len(library.stored_videos())
    for url in (f"/api/videos/{fp}/file", f"/api/videos/{fp}/thumbnail?t=1"):
        response = client.get(url)
        assert response.status_code == 403 and "not under a folder" in response.json()["error"]


def test_missing_or_wrong_token(served) -> None:
    root, library, fp = served
    client = TestClient(create_app(ServerConfig(roots=[root / "videos"], token=TOKEN, llm=False), library))
    missing = client.get("/api/videos")
    assert missing.status_code == 401 and "token" in missing.json()["error"]
    wrong = client.get("/api/videos", headers={"X-Vidseek-Token": "guess"})
    assert wrong.status_code == 403 and wrong.json() == {"error": "wrong token"}
    assert client.get("/api/videos", headers={"X-Vidseek-Token": TOKEN}).status_code == 200
    assert client.get("/api/videos", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.get(f"/api/videos/{fp}/file?token={TOKEN}").status_code == 200  # what <video src> sends
    assert client.post("/api/index", json={"path": "/etc/passwd"}).status_code == 401  # token before anything
    assert client.get("/").status_code == 200  # the page itself holds no data


def test_off_localhost_a_token_is_required(tmp_path) -> None:
    with pytest.raises(ValueError, match="needs a token"):
        ServerConfig(roots=[tmp_path], host="0.0.0.0")
    assert ServerConfig(roots=[tmp_path], host="0.0.0.0", token=TOKEN).token == TOKEN
    assert ServerConfig(roots=[tmp_path], host="::1").token is None
    with pytest.raises(ValueError, match="not found"):
        ServerConfig(roots=[tmp_path / "missing"])


def test_errors_are_json_with_a_message(client) -> None:
    cases = [
        (client.get("/api/nothing"), 404, "no such endpoint: GET /api/nothing"),
        (client.get("/api/videos/ffff/evidence"), 404, "no indexed video 'ffff'"),
        (client.get("/api/jobs/nope"), 404, "no job 'nope'"),
        (client.post("/api/ask", json={"question": "   "}), 422, "question: the question is empty"),
        (client.post("/api/ask", json={}), 422, "question: Field required"),
        (client.post("/api/ask", json={"question": "x", "k": 0}), 422, "k: Input should be greater than or equal to 1"),
        (client.post("/api/index", json={"path": "missing.mp4"}), 404, "'missing.mp4' does not exist"),
        (client.post("/api/index", json={"path": "harbor.mp4", "sources": ["smell"]}), 400,
         "unknown source(s) smell; choose from subtitle, speech, ocr, objects, caption"),
        (client.get("/api/search"), 422, "query.q: Field required"),
    ]
    for response, status, message in cases:
        assert (response.status_code, response.json()) == (status, {"error": message})


def test_openapi_schema_matches_the_api(client, served) -> None:
    _, _, fp = served
    schema = client.get("/openapi.json").json()
    routes = {(route.path, method.lower()) for route in client.app.state.api.routes for method in route.methods}
    assert len(routes) == 9 and all(path.startswith("/api/") for path, _ in routes)
    documented = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    assert documented == routes
    components = schema["components"]["schemas"]
    answer = client.post("/api/ask", json={"question": "Who keeps the lighthouse?"}).json()
    assert set(answer) == set(components["AnswerOut"]["properties"])
    assert set(answer["citations"][0]) == set(components["CitationOut"]["properties"])
    video = client.get("/api/videos").json()[0]
    assert set(video) == set(components["VideoOut"]["properties"])
    assert schema["paths"]["/api/ask"]["post"]["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"}
