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
LOCAL = "http://127.0.0.1"  # a loopback Host: without a token the server answers to nothing else


def local_client(app, **kwargs) -> TestClient:
    return TestClient(app, base_url=LOCAL, **kwargs)


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
    return local_client(create_app(ServerConfig(roots=[root / "videos"], llm=False), library))


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
        (fp[:12], "harbor.mp4", ["subtitle"], True)]  # the id `vidseek ls` shows
    items = client.get(f"/api/videos/{fp[:12]}/evidence").json()
    assert [(e["start"], e["end"], e["text"]) for e in items] == [(a, b, t) for a, b, t in CUES]
    assert items[0]["thumbnail"] == f"/api/videos/{fp[:12]}/thumbnail?t=3.5"


def test_ask_cites_the_span_that_answers(client, served) -> None:
    _, _, fp = served
    answer = client.post("/api/ask", json={"question": "Who is the lighthouse keeper?", "video": fp}).json()
    assert "Ada Brooks" in answer["text"]
    first = answer["citations"][0]
    assert (first["video"], first["start"], first["end"], first["source"]) == (fp[:12], *KEEPER_SPAN, "subtitle")
    assert first["playable"] and first["label"] == "[00:00:12–00:00:15 subtitle]"
    choice = client.post("/api/ask", json={"question": "When does the boat return?",
                                           "choices": ["at midnight", "at noon", "at dawn"]}).json()
    assert choice["choice"] == "B"


def test_search_returns_scored_hits(client) -> None:
    hits = client.get("/api/search", params={"q": "pier noon", "k": 2}).json()["hits"]
    assert len(hits) == 2 and hits[0]["score"] >= hits[1]["score"]  # best first
    assert hits[0]["text"] == CUES[2][2] and not hits[0]["derived"] and hits[0]["context"] == []


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


def test_a_thumbnail_of_a_region_is_that_part_of_the_frame_read_sharp(client, served) -> None:
    """Evidence about a picture inside the picture (an inset, a screen) shows that part as its thumbnail, read
    from a larger frame than the whole-frame thumbnail (up to its width), not cut from that small one."""
    import io

    from PIL import Image

    _, _, fp = served
    whole = Image.open(io.BytesIO(client.get(f"/api/videos/{fp}/thumbnail", params={"t": 13.0}).content))
    response = client.get(f"/api/videos/{fp}/thumbnail", params={"t": 13.0, "box": "0.5,0.5,1,1"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    part = Image.open(io.BytesIO(response.content)).convert("RGB")
    # half the frame, from the video's own pixels: wider than half the whole-frame thumbnail
    assert part.size[0] > whole.size[0] / 2 * 1.2
    assert abs(part.size[0] / part.size[1] - whole.size[0] / whole.size[1]) < 0.1
    r, g, b = part.getpixel((part.size[0] // 2, part.size[1] // 2))
    assert r > 150 and b < 100  # the orange scene
    for bad in ("1,1,0,0", "0,0,2,1", "a,b,c,d", "0,0,1"):
        refused = client.get(f"/api/videos/{fp}/thumbnail", params={"t": 13.0, "box": bad})
        assert refused.status_code == 400 and "box" in refused.json()["error"], (bad, refused.text)


def test_evidence_about_a_region_links_the_crop_as_its_thumbnail() -> None:
    from vidseek.server.media import region_box, thumbnail_url

    meta = {"region": {"box": [0.75, 0.69, 0.97, 0.96], "where": "lower right"}}
    url = thumbnail_url("abc", 2.0, 4.0, region_box(meta))
    assert url == "/api/videos/abc/thumbnail?t=3.0&box=0.750,0.690,0.970,0.960"
    assert thumbnail_url("abc", 2.0, 4.0, region_box({"counts": {"cat": 1}})) == "/api/videos/abc/thumbnail?t=3.0"
    assert region_box({"region": {"box": "lower right"}}) is None  # a plugin's own meta is not read as a box


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


def test_a_path_that_cannot_be_resolved_is_a_one_line_4xx_never_a_500(client, served) -> None:
    """A name longer than the file system takes (ENAMETOOLONG) or any other OSError while a path is resolved is
    a one-line refusal; outside the roots it is the same line whether or not the file exists."""
    root, _, _ = served
    for path in ("a" * 300 + ".mp4", "a" * 300 + "/x.mp4", str(root / "videos" / ("b" * 300))):
        response = client.post("/api/index", json={"path": path})
        assert response.status_code == 400, (path, response.text)
        assert response.json() == {"error": f"'{path}' cannot be read: File name too long"}
    for path in ("/" + "c" * 300 + ".mp4", "/etc/passwd", "/etc/no-such-file"):
        response = client.post("/api/index", json={"path": path})
        assert response.status_code == 403
        assert response.json() == {"error": f"'{path}' is outside the folders this server may read"}


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
    client = local_client(create_app(ServerConfig(roots=[narrow], llm=False), library))
    assert [v["playable"] for v in client.get("/api/videos").json()] == [False] * len(library.stored_videos())
    for url in (f"/api/videos/{fp}/file", f"/api/videos/{fp}/thumbnail?t=1"):
        response = client.get(url)
        assert response.status_code == 403 and "not under a folder" in response.json()["error"]


def test_a_video_deleted_from_a_served_folder_is_gone_not_forbidden(embedder, tmp_path) -> None:
    video = make_served_folder(tmp_path)
    library = Library(tmp_path / "library", embedder=embedder, device="cpu")
    fp = library.index(video, sources=["subtitle"]).video.fingerprint
    shown = library.ids()[fp]
    video.unlink()
    client = local_client(create_app(ServerConfig(roots=[video.parent], llm=False), library))
    for url in (f"/api/videos/{shown}/file", f"/api/videos/{shown}/thumbnail?t=1"):
        response = client.get(url)
        assert (response.status_code, response.json()) == (404, {"error": f"'{video}' is gone (moved or deleted)"})


def test_missing_or_wrong_token(served) -> None:
    root, library, fp = served
    client = local_client(create_app(ServerConfig(roots=[root / "videos"], token=TOKEN, llm=False), library))
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
        (client.get("/api/videos/not-a-video/evidence"), 404, "no indexed video matches 'not-a-video'"),
        (client.get("/api/videos/ffff/evidence"), 400,
         "'ffff' is too short to name a video: give at least 12 characters of its id (vidseek ls shows them)"),
        (client.get("/api/jobs/nope"), 404, "no job 'nope'"),
        (client.post("/api/ask", json={"question": "   "}), 422, "question: is blank"),
        (client.post("/api/ask", json={}), 422, "question: Field required"),
        (client.post("/api/ask", json={"question": "x", "k": 0}), 422, "k: Input should be greater than or equal to 1"),
        (client.post("/api/index", json={"path": "missing.mp4"}), 404, "'missing.mp4' does not exist"),
        (client.post("/api/index", json={"path": "harbor.mp4", "sources": ["smell"]}), 422,
         "sources.0: Input should be 'subtitle', 'speech', 'ocr', 'objects', 'tags' or 'caption'"),
        (client.get("/api/search"), 422, "query.q: Field required"),
    ]
    for response, status, message in cases:
        assert (response.status_code, response.json()) == (status, {"error": message})


def test_openapi_schema_matches_the_api(client, served) -> None:
    _, _, fp = served
    schema = client.get("/openapi.json").json()
    routes = {(route.path, method.lower()) for route in client.app.state.api.routes for method in route.methods}
    assert len(routes) == 14 and all(path.startswith("/api/") for path, _ in routes)
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


# --- issue 18: what a red team broke -------------------------------------------------------------------------

def test_without_a_token_only_loopback_host_names_are_answered(client, served) -> None:
    """DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 sends Host: evil.example."""
    _, _, fp = served
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example", ""):
        for method, url, body in (("GET", "/api/videos", None), ("GET", "/", None),
                                  ("GET", f"/api/videos/{fp}/file", None),
                                  ("POST", "/api/ask", {"question": "Who keeps the lighthouse?"}),
                                  ("POST", "/api/index", {"path": "harbor.mp4"})):
            response = client.request(method, url, json=body, headers={"Host": host})
            assert response.status_code == 403, (host, url)
            assert "is not served" in response.json()["error"]
    for host in ("127.0.0.1", "127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "[::1]"):
        assert client.get("/api/videos", headers={"Host": host}).status_code == 200, host


def test_writes_from_a_page_of_another_origin_are_refused(client) -> None:
    ask = {"question": "Who keeps the lighthouse?"}
    for origin in ("http://evil.example", "null", "http://127.0.0.1:9999"):
        response = client.post("/api/ask", json=ask, headers={"Origin": origin})
        assert response.status_code == 403 and "another origin" in response.json()["error"], origin
    assert client.post("/api/ask", json=ask, headers={"Origin": LOCAL}).status_code == 200  # the page itself
    assert client.post("/api/ask", json=ask).status_code == 200  # curl sends no Origin


def test_with_a_token_any_host_name_is_answered(served) -> None:
    root, library, _ = served
    client = TestClient(create_app(ServerConfig(roots=[root / "videos"], token=TOKEN, host="0.0.0.0", llm=False),
                                   library), base_url="http://films.lan:8000")
    assert client.get("/api/videos", headers={"X-Vidseek-Token": TOKEN}).status_code == 200


def test_request_bodies_and_fields_are_bounded(client) -> None:
    from vidseek.server.security import MAX_BODY

    huge = {"question": "Which?", "choices": ["x" * 1_000_000] * 10}
    response = client.post("/api/ask", json=huge)
    assert response.status_code == 413 and "too large" in response.json()["error"]
    chunked = client.post("/api/ask", content=iter([b'{"question": "', b"x" * (MAX_BODY + 1), b'"}']),
                          headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413 and "too large" in chunked.json()["error"]  # no length given
    cases = [({"question": "Which?", "choices": ["a", "b" * 301]}, "choices.1: String should have at most 300"),
             ({"question": "Which?", "video": "f" * 65}, "video: String should have at most 64"),
             ({"question": "x" * 2001}, "question: String should have at most 2000")]
    for body, message in cases:
        response = client.post("/api/ask", json=body)
        assert response.status_code == 422 and response.json()["error"].startswith(message), response.json()
    response = client.post("/api/index", json={"path": "a" * 5000})
    assert response.status_code == 422 and response.json()["error"].startswith("path: String should have at most")
    assert client.get("/api/search", params={"q": "x" * 2001}).status_code == 422


def test_a_body_nested_too_deep_or_not_utf8_is_refused_before_parsing(client) -> None:
    from vidseek.server.security import MAX_DEPTH

    for body, error in ((b'{"question": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
                         f"the request body nests JSON deeper than {MAX_DEPTH} levels"),
                        (b'{"question": "caf\xe9?"}', "the request body is not UTF-8 text (byte 17)")):
        response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.json() == {"error": error}
    nested = {"question": "Who keeps the lighthouse?", "k": 3, "choices": [], "mode": "quick"}
    assert client.post("/api/ask", json=nested).status_code == 200  # what the page sends nests two levels


class _Stalled:
    """A library whose index jobs wait until released: the queue can be seen filling."""

    def __init__(self):
        import threading

        self.release = threading.Event()
        self.runs = 0

    def indexer(self, sources):
        return self

    def add(self, path, indexer, progress):
        return indexer.index(path, progress)

    def index(self, path, progress):
        from vidseek.video import VideoError

        self.runs += 1
        self.release.wait(30)
        raise VideoError(f"cannot read '{path}': stalled on purpose")


def test_the_same_file_posted_thirty_times_is_one_job_and_the_queue_is_bounded(tmp_path, monkeypatch) -> None:
    from vidseek.server import jobs as jobs_module

    stalled = _Stalled()
    jobs = jobs_module.IndexJobs(stalled)  # type: ignore[arg-type]
    try:
        first = {jobs.start(tmp_path / "same.mp4", None).id for _ in range(30)}
        assert len(first) == 1 and len(jobs.jobs) == 1
        others = [jobs.start(tmp_path / f"v{n}.mp4", None) for n in range(jobs_module.MAX_WAITING - 1)]
        with pytest.raises(jobs_module.TooManyJobs, match="waiting already"):
            jobs.start(tmp_path / "one-more.mp4", None)
        stalled.release.set()
        deadline = time.time() + 30
        while any(j.state in {"queued", "running"} for j in jobs.jobs.values()) and time.time() < deadline:
            time.sleep(0.02)
        assert stalled.runs == 1 + len(others)
        monkeypatch.setattr(jobs_module, "KEEP_FINISHED", 3)
        for n in range(6):
            jobs.start(tmp_path / f"later{n}.mp4", None)
        assert len(jobs.jobs) <= 3 + jobs_module.MAX_WAITING  # the list forgets old finished jobs
    finally:
        stalled.release.set()
        jobs.close()


def test_too_many_waiting_jobs_is_a_429(client, monkeypatch) -> None:
    from vidseek.server import jobs as jobs_module

    monkeypatch.setattr(jobs_module, "MAX_WAITING", 0)
    response = client.post("/api/index", json={"path": "harbor.mp4", "sources": ["subtitle"]})
    assert response.status_code == 429 and "waiting already" in response.json()["error"]


@pytest.mark.parametrize("token", ["", " ", "   \t", "abc", "short-token", " padded-token-1234 ", "with space 1234"])
def test_weak_tokens_are_refused(tmp_path, token) -> None:
    with pytest.raises(ValueError, match="token is (empty|too short)|token holds spaces"):
        ServerConfig(roots=[tmp_path], token=token)


def test_a_blank_token_on_the_command_line_is_refused(tmp_path) -> None:
    from typer.testing import CliRunner

    from vidseek.cli import app

    result = CliRunner().invoke(app, ["serve", "--token", " ", "--root", str(tmp_path), "-L", str(tmp_path / "l")])
    assert result.exit_code == 2 and "vidseek: the token is empty" in result.stderr


def test_a_sound_file_has_no_thumbnail_a_404_not_a_crash(tmp_path) -> None:
    import numpy as np

    from vidseek import synth
    from vidseek.errors import NotFound
    from vidseek.server import media

    sound = synth.write_audio(np.zeros(16_000 * 2, np.float32), tmp_path / "talk.m4a")
    with pytest.raises(NotFound, match="no picture"):
        media.thumbnail(str(sound), "f" * 16, 1.0, tmp_path / "thumbnails")


def test_the_thumbnail_cache_is_bounded(tmp_path) -> None:
    from vidseek.server import media

    cache = tmp_path / "thumbnails"
    for n in range(20):
        (cache / "v").mkdir(parents=True, exist_ok=True)
        (cache / "v" / f"{n:08d}.jpg").write_bytes(b"x" * 1000)
        os.utime(cache / "v" / f"{n:08d}.jpg", (n, n))
    assert media.prune(cache, 5000) == 5000
    assert sorted(p.name for p in (cache / "v").iterdir()) == [f"{n:08d}.jpg" for n in range(15, 20)]  # newest


def test_thumbnails_made_past_a_limit_drop_the_oldest(client, served, monkeypatch) -> None:
    from vidseek.server import media

    root, library, fp = served
    monkeypatch.setattr(media, "CACHE_BYTES", 1)  # any new thumbnail overflows it
    monkeypatch.setattr(media, "_sizes", {})
    calls = []
    monkeypatch.setattr(media, "prune", lambda cache, keep: calls.append(keep) or 0)
    response = client.get(f"/api/videos/{fp}/thumbnail", params={"t": 4.4})
    assert response.status_code == 200 and calls  # pruned after writing


def test_bad_input_to_the_api_is_a_json_4xx_never_a_500(client, served) -> None:
    _, _, fp = served
    nul = client.post("/api/index", json={"path": "harbor\u0000.mp4"})
    assert nul.status_code == 422 and nul.json() == {"error": "path: cannot hold a NUL byte"}
    for t in ("inf", "-inf", "nan", "1e400"):
        response = client.get(f"/api/videos/{fp}/thumbnail", params={"t": t})
        assert response.status_code == 422 and "t:" in response.json()["error"], t
    for range_ in ("bytes=99999999-", "chars=1-2", "bytes=5-2", "bytes=x"):
        response = client.get(f"/api/videos/{fp}/file", headers={"Range": range_})
        assert response.status_code in {400, 416} and response.json()["error"].startswith("range:"), range_
    unknown = client.get("/api/videos/" + "x" * 65 + "/evidence")
    assert unknown.status_code == 422 and "error" in unknown.json()


@pytest.mark.parametrize("t", [19.9, 20.0, 20.05, 55.125, 1e9])
def test_a_thumbnail_at_or_past_the_end_is_the_last_picture(client, served, t) -> None:
    _, _, fp = served
    response = client.get(f"/api/videos/{fp}/thumbnail", params={"t": t})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg", response.text


def test_options_are_checked_as_the_cli_checks_them(client, served) -> None:
    root, _, _ = served
    empty = client.post("/api/ask", json={"question": "When?", "choices": ["at noon", " "]})
    assert empty.status_code == 422 and empty.json() == {"error": "choices.1: is blank"}
    wordless = client.post("/api/ask", json={"question": "When?", "choices": ["?", "..."]}).json()
    assert any("low confidence" in n and "option A, B has no words" in n for n in wordless["notes"])
    fifo = root / "videos" / "pipe.mp4"
    if not fifo.exists():
        os.mkfifo(fifo)
    response = client.post("/api/index", json={"path": "pipe.mp4"})
    assert response.status_code == 400 and response.json() == {"error": "'pipe.mp4' is not a regular file, not a video"}


def test_export_downloads_subtitles_and_transcripts(client, served) -> None:
    _, _, fp = served
    srt = client.get(f"/api/videos/{fp[:12]}/export")
    assert srt.status_code == 200 and srt.headers["content-type"].startswith("application/x-subrip")
    assert srt.headers["content-disposition"] == "attachment; filename=\"harbor.srt\"; filename*=UTF-8''harbor.srt"
    assert srt.text.startswith("1\n00:00:02,000 --> 00:00:05,000\nGUIDE: Welcome aboard the harbor tour.\n")
    txt = client.get(f"/api/videos/{fp}/export", params={"format": "txt", "source": "subtitle"})
    assert txt.text.splitlines()[1] == "00:00:12–00:00:15  The lighthouse keeper is named Ada Brooks."
    cues = client.get(f"/api/videos/{fp}/export", params={"format": "json"}).json()["cues"]
    assert [(c["start"], c["end"], c["text"]) for c in cues] == [(a, b, t) for a, b, t in CUES]
    none = client.get(f"/api/videos/{fp}/export", params={"source": "ocr"})
    assert none.status_code == 404
    assert none.json() == {"error": "harbor.mp4 has no ocr evidence to export (it has: subtitle)"}
    bad = client.get(f"/api/videos/{fp}/export", params={"format": "docx"})
    assert bad.status_code == 422 and bad.json()["error"].startswith("query.format: Input should be 'srt'")


def test_a_download_name_cannot_break_the_header() -> None:
    from vidseek.export import content_disposition

    header = content_disposition('a"b;\r\nSet-Cookie: x=1 é.srt')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="a_b___Set-Cookie: x=1 _.srt"; filename*=UTF-8\'\'a%22b%3B%0D%0A')
