"""One id per library entry, the same in `vidseek ls`, the Python API, the server and MCP: shown as short as it
stays unique, refused when shorter, and an ambiguous prefix answered with the entries it could mean."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from vidseek import synth
from vidseek.cli import app
from vidseek.errors import BadRequest, NotIndexed
from vidseek.ids import MIN_SHOWN, labels, shown_ids
from vidseek.library import Library
from vidseek.mcp_server import McpOptions, create_server
from vidseek.server import ServerConfig, create_app

runner = CliRunner()


@pytest.fixture(scope="module")
def twins(tmp_path_factory, embedder) -> tuple[Path, Library]:
    """talks/dashwood.mp4 and films/dashwood.mp4: the same bytes in two folders, each with its own .srt, indexed
    (subtitles only) as two entries of one library."""
    root = tmp_path_factory.mktemp("twins")
    for folder in ("talks", "films"):
        (root / folder).mkdir()
    video = synth.write_video(synth.Script(duration=4, size=(64, 48), fps=5, audio=False),
                              root / "talks" / "dashwood.mp4")
    shutil.copy(video, root / "films" / "dashwood.mp4")
    synth.write_srt([(0.5, 2.0, "The talk begins.")], root / "talks" / "dashwood.srt")
    synth.write_srt([(0.5, 2.0, "The film begins.")], root / "films" / "dashwood.srt")
    library = Library(root / "lib", embedder=embedder, device="cpu")
    for folder in ("talks", "films"):
        library.index(root / folder / "dashwood.mp4", sources=["subtitle"])
    return root, library


def _listed(library: Library) -> dict[str, str]:
    """path -> id, as `vidseek ls` prints them."""
    result = runner.invoke(app, ["ls", "-L", str(library.path)])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    return {row[-1]: row[0] for row in rows}


def _mcp(library: Library, calls: list[tuple[str, dict]]) -> list:
    """Each tool call's result, through an MCP client session connected to the server in memory."""
    from mcp.shared.memory import create_connected_server_and_client_session

    server = create_server(McpOptions(ServerConfig(roots=[library.path.parent], llm=False), library))

    async def session() -> list:
        async with create_connected_server_and_client_session(server._mcp_server) as client:
            return [await client.call_tool(name, args) for name, args in calls]

    return asyncio.run(asyncio.wait_for(session(), 120))


def _server(library: Library) -> TestClient:
    config = ServerConfig(roots=[library.path.parent], llm=False)
    return TestClient(create_app(config, library), base_url="http://127.0.0.1")


def test_two_entries_of_the_same_bytes_are_listed_with_ids_that_tell_them_apart(twins) -> None:
    root, library = twins
    listed = _listed(library)
    assert set(listed) == {str(root / f / "dashwood.mp4") for f in ("talks", "films")}
    first, second = listed.values()
    assert len(first) == len(second) == MIN_SHOWN and first != second
    for path, shown in listed.items():  # each names its own entry: its own subtitles
        folder = Path(path).parent.name
        lines = runner.invoke(app, ["evidence", shown, "-L", str(library.path)]).stdout
        assert f"The {folder[:-1]} begins." in lines


def test_ids_are_the_same_in_ls_the_python_api_the_server_and_mcp(twins) -> None:
    root, library = twins
    listed = _listed(library)
    api = {r.video.path: library.ids()[r.video.fingerprint] for r in library.videos()}
    served = {v["path"]: v["id"] for v in _server(library).get("/api/videos").json()}
    (videos,) = _mcp(library, [("list_videos", {})])
    assert not videos.isError, videos.content[0].text
    mcp = {v["path"]: v["video"] for v in videos.structuredContent["videos"]}
    assert listed == api == served == mcp and len(set(listed.values())) == 2
    for path, shown in listed.items():  # and each finds its own entry again
        assert library.find(shown).video.path == path


def test_evidence_the_server_and_mcp_return_names_the_video_by_the_same_id(twins) -> None:
    root, library = twins
    listed = _listed(library)
    shown = listed[str(root / "films" / "dashwood.mp4")]
    rows = _server(library).get(f"/api/videos/{shown}/evidence").json()
    assert [(r["video"], r["text"]) for r in rows] == [(shown, "The film begins.")]
    assert rows[0]["thumbnail"].startswith(f"/api/videos/{shown}/thumbnail")
    (window,) = _mcp(library, [("read_window", {"video": shown, "start": 0, "end": 4})])
    data = window.structuredContent
    assert data["video"] == shown and [(m["video"], m["text"]) for m in data["moments"]] == [
        (shown, "The film begins.")]


def test_a_prefix_shorter_than_the_shown_id_is_refused_by_the_cli_the_server_and_mcp(twins) -> None:
    _, library = twins
    fingerprint = library.videos()[0].video.fingerprint
    refusal = f"is too short to name a video: give at least {MIN_SHOWN} characters of its id"
    for short in (fingerprint[:1], fingerprint[:2], fingerprint[: MIN_SHOWN - 1]):
        result = runner.invoke(app, ["evidence", short, "-L", str(library.path)])
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr.strip() == f"vidseek: '{short}' {refusal} (vidseek ls shows them)"
        response = _server(library).get(f"/api/videos/{short}/evidence")
        assert response.status_code == 400 and refusal in response.json()["error"]
        (tool,) = _mcp(library, [("read_window", {"video": short, "start": 0, "end": 4})])
        assert tool.isError and refusal in tool.content[0].text
        with pytest.raises(BadRequest, match="too short"):
            library.find(short)
    assert library.find(fingerprint).video.fingerprint == fingerprint  # the whole id always


def test_mcp_takes_an_id_in_either_case_and_refuses_an_empty_video(twins) -> None:
    """The CLI and the HTTP API take an upper-case id; MCP read it as a path under the root. An empty video
    was a path too (the root itself): a one-line refusal instead."""
    _, library = twins
    shown = library.ids()[library.videos()[0].video.fingerprint]
    upper, empty = _mcp(library, [("read_window", {"video": shown.upper(), "start": 0, "end": 60}),
                                  ("read_window", {"video": " ", "start": 0, "end": 4})])
    assert not upper.isError and json.loads(upper.content[0].text)["moments"]
    assert empty.isError and "video is empty" in empty.content[0].text


def _legacy_copy(library: Library, folder: Path) -> Library:
    """The library as vidseek before ids wrote it: the second entry of the same bytes named after the content's
    first 16 digits (content[:16] + a hash of the path), its record, own evidence and store rows so named."""
    copy = Library(Path(shutil.copytree(library.path, folder / "lib")), embedder=library.embedder, device="cpu")
    second = next(r for r in copy.videos() if r.video.content)
    old = second.video.fingerprint
    content = second.video.content
    legacy = content[:16] + ("e" if content[16] == "f" else "f") * 16  # differs from the content at digit 17
    cache = copy.cache
    (cache.layout.videos / f"{old}.json").rename(cache.layout.videos / f"{legacy}.json")
    (cache.layout.evidence / old).rename(cache.layout.evidence / legacy)
    data = json.loads((cache.layout.videos / f"{legacy}.json").read_text())
    data["video"]["fingerprint"] = legacy
    (cache.layout.videos / f"{legacy}.json").write_text(json.dumps(data))
    copy.store.remove_video(old)
    copy.publish(legacy)
    return copy


def test_an_older_library_keeps_working_and_a_shared_prefix_names_its_candidates(twins, tmp_path) -> None:
    root, library = twins
    legacy = _legacy_copy(library, tmp_path)
    listed = _listed(legacy)
    first, second = listed.values()
    assert len(first) == len(second) == 17 and first != second and first[:16] == second[:16]
    assert listed == {v["path"]: v["id"] for v in _server(legacy).get("/api/videos").json()}
    for path, shown in listed.items():
        assert legacy.find(shown).video.path == path
    shared = first[:MIN_SHOWN]
    expected = (f"'{shared}' matches 2 indexed videos: " +
                "; ".join(f"{listed[p]} {p}" for p in sorted(listed, key=listed.get)) + " (give one of these ids)")
    result = runner.invoke(app, ["evidence", shared, "-L", str(legacy.path)])
    assert result.exit_code == 2 and result.stderr.strip() == f"vidseek: {expected}"
    response = _server(legacy).get(f"/api/videos/{shared}/evidence")
    assert response.status_code == 404 and response.json() == {"error": expected}
    (tool,) = _mcp(legacy, [("read_window", {"video": shared, "start": 0, "end": 4})])
    assert tool.isError and tool.content[0].text == f"vidseek: {expected}"
    with pytest.raises(NotIndexed, match="matches 2 indexed videos"):
        legacy.find(shared)


def test_the_page_names_the_folder_of_files_whose_names_repeat(twins) -> None:
    root, library = twins
    videos = _server(library).get("/api/videos").json()
    assert sorted(v["label"] for v in videos) == ["films/dashwood.mp4", "talks/dashwood.mp4"]
    assert labels(["/a/x/talks/dashwood.mp4", "/b/x/talks/dashwood.mp4", "/a/reyes.mp4", "/c/dashwood.mkv"]) == {
        "/a/x/talks/dashwood.mp4": "a/x/talks/dashwood.mp4", "/b/x/talks/dashwood.mp4": "b/x/talks/dashwood.mp4",
        "/a/reyes.mp4": "reyes.mp4", "/c/dashwood.mkv": "dashwood.mkv"}
    assert labels(["/dashwood.mp4", "/films/dashwood.mp4"]) == {
        "/dashwood.mp4": "/dashwood.mp4", "/films/dashwood.mp4": "films/dashwood.mp4"}


def test_shown_ids_grow_only_as_far_as_two_ids_begin_alike() -> None:
    ids = ["0a4e3ba66861" + "1" * 20, "0a4e3ba66861" + "2" * 20, "ffff" + "0" * 28, "0a4e3ba6686" + "3" * 21]
    assert shown_ids(ids) == {ids[0]: ids[0][:13], ids[1]: ids[1][:13], ids[2]: ids[2][:MIN_SHOWN],
                              ids[3]: ids[3][:MIN_SHOWN]}
