"""`vidseek mcp --http` in-process (the ASGI app behind Guard and the token gate, driven by Starlette's test
client): the limits on request nesting and live sessions, the tools' argument checks, and a hypothesis fuzz of
the JSON-RPC surface that finds no 5xx."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.helpers import CUES, subtitled_library
from vidseek.mcp_server import INSTRUCTIONS, McpOptions, create_server, http_app
from vidseek.server.security import MAX_DEPTH, ServerConfig

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}
EXAMPLES = int(os.environ.get("FUZZ_MCP_EXAMPLES", 200))  # tool calls, envelopes and raw bodies together


def _served(library, folder: Path, **options) -> TestClient:
    """The --http app of a server over `library` that may index files under `folder` (no LLM)."""
    config = ServerConfig(roots=[folder], llm=False)
    return TestClient(http_app(create_server(McpOptions(config, library=library, **options)), config),
                      base_url="http://127.0.0.1")


def _messages(response) -> list[dict]:
    """The JSON-RPC messages of a reply: one JSON body, or the data lines of an event stream."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    return [response.json()]


def _open(client: TestClient) -> dict:
    """A new initialized session's headers."""
    opened = client.post("/mcp", json=INITIALIZE, headers=HEADERS)
    assert opened.status_code == 200, opened.text
    session = {**HEADERS, "mcp-session-id": opened.headers["mcp-session-id"]}
    assert client.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                       headers=session).status_code == 202
    return session


def _call(client: TestClient, session: dict, tool: str, arguments: dict) -> dict:
    """A tools/call's result (content, isError, ...)."""
    reply = client.post("/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                                      "params": {"name": tool, "arguments": arguments}}, headers=session)
    assert reply.status_code == 200, reply.text
    return _messages(reply)[-1]["result"]


@pytest.fixture(scope="module")
def harbor(tmp_path_factory, embedder):
    """harbor.mp4 (+ .srt) indexed; the server's root is an empty folder, so index_video can index nothing."""
    folder = tmp_path_factory.mktemp("mcp-http")
    video, library = subtitled_library(folder / "videos", embedder)
    (folder / "root").mkdir()
    return library, folder / "root", library.find(video).video.fingerprint


@pytest.fixture(scope="module")
def served(harbor):
    library, root, _ = harbor
    with _served(library, root) as client:
        yield client, _open(client)


def test_a_body_nested_deeper_than_the_limit_is_a_400_not_a_recursion_error(served) -> None:
    client, session = served
    for deep in (b"[" * 30_000 + b"]" * 30_000,  # 60 KB: under the size limit, over Python's recursion limit
                 b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "params": ' + b'{"a": ' * 200 + b"1" + b"}" * 201):
        reply = client.post("/mcp", content=deep, headers=session)
        assert reply.status_code == 400, reply.text
        assert reply.json() == {"error": f"the request body nests JSON deeper than {MAX_DEPTH} levels"}
    brackets_in_strings = {"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"_meta": {"x": "[" * 5000}}}
    assert client.post("/mcp", json=brackets_in_strings, headers=session).status_code == 200  # text, not nesting
    assert _call(client, session, "list_videos", {})["isError"] is False  # the session lives on


def test_live_sessions_are_capped_and_idle_ones_expire(harbor) -> None:
    library, root, _ = harbor
    with _served(library, root) as client:
        from vidseek.mcp_server import MAX_SESSIONS

        opened = [client.post("/mcp", json=INITIALIZE, headers=HEADERS) for _ in range(MAX_SESSIONS)]
        assert all(reply.status_code == 200 for reply in opened)
        over = client.post("/mcp", json=INITIALIZE, headers=HEADERS)
        assert over.status_code == 503 and over.json()["error"]["message"] == "Too many open sessions"
        ended = {**HEADERS, "mcp-session-id": opened[0].headers["mcp-session-id"]}
        assert client.delete("/mcp", headers=ended).status_code == 200
        assert client.post("/mcp", json=INITIALIZE, headers=HEADERS).status_code == 200  # a freed place is taken

    with _served(library, root, max_sessions=2, session_idle=0.5) as client:
        first, second = _open(client), _open(client)
        assert client.post("/mcp", json=INITIALIZE, headers=HEADERS).status_code == 503
        time.sleep(1.5)  # nothing in flight: both sessions expire
        ping = {"jsonrpc": "2.0", "id": 3, "method": "ping"}
        assert client.post("/mcp", json=ping, headers=first).status_code == 404
        assert _call(client, _open(client), "list_videos", {})["isError"] is False
        assert client.post("/mcp", json=ping, headers=second).status_code == 404


def test_the_session_limits_are_checked_when_the_server_is_made(harbor) -> None:
    from vidseek.errors import BadRequest

    library, root, _ = harbor
    for bad in ({"max_sessions": 0}, {"session_idle": 0}, {"session_idle": float("nan")}):
        with pytest.raises(BadRequest):
            create_server(McpOptions(ServerConfig(roots=[root], llm=False), library=library, **bad))


def test_the_command_line_takes_the_session_limits_and_refuses_bad_ones(harbor) -> None:
    import subprocess
    import sys

    library, root, _ = harbor
    base = [sys.executable, "-m", "vidseek", "mcp", "--http", "-L", str(library.path), "--root", str(root), "--no-llm"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for flags, line in ((["--max-sessions", "0"], "vidseek: --max-sessions must be at least 1; got 0"),
                        (["--session-idle", "-1"],
                         "vidseek: --session-idle must be a positive number of seconds; got -1")):
        done = subprocess.run([*base, *flags], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and done.stderr.strip().splitlines() == [line]


@pytest.mark.parametrize(("tool", "arguments", "message"), [
    ("search_evidence", {"query": "ferry", "k": True}, "vidseek: k: a number, not true or false"),
    ("ask", {"question": "When?", "k": False}, "vidseek: k: a number, not true or false"),
    ("search_evidence", {"query": "ferry", "start": True}, "vidseek: start: a number, not true or false"),
    ("read_window", {"video": "x", "start": 0, "end": True}, "vidseek: end: a number, not true or false"),
    ("search_evidence", {"query": "ferry", "k": "many"}, "vidseek: k: Input should be a valid integer, "
                                                         "unable to parse string as an integer"),
])
def test_tool_arguments_of_the_wrong_type_are_refused_in_one_line(served, tool, arguments, message) -> None:
    client, session = served
    result = _call(client, session, tool, arguments)
    assert result["isError"] is True and result["content"][0]["text"] == message


def test_an_unknown_source_is_refused_naming_the_known_ones(served, harbor) -> None:
    from vidseek.extractors import source_names

    client, session = served
    _, _, fp = harbor
    for tool, arguments in (("search_evidence", {"query": "ferry", "sources": ["subtitles", "speech"]}),
                            ("read_window", {"video": fp, "start": 0, "end": 4, "sources": ["subtitles"]})):
        result = _call(client, session, tool, arguments)
        assert result["isError"] is True, result
        assert result["content"][0]["text"] == (
            f"vidseek: unknown source(s) subtitles; choose from {', '.join([*source_names(), 'chapter', 'synopsis'])}")
    found = _call(client, session, "search_evidence", {"query": "ferry", "sources": ["subtitle"]})
    assert {m["text"] for m in found["structuredContent"]["moments"]} <= {text for _, _, text in CUES}


def test_the_instructions_say_when_model_written_chapters_come_back() -> None:
    said = " ".join(INSTRUCTIONS.split())
    assert "No summaries or chapters are made" not in said
    assert "Search returns evidence from the video itself; model-written chapter summaries (sources chapter and " \
           "synopsis, made by `vidseek summary`) come back only when asked for by source." in said


# --- the fuzz ------------------------------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
FIELDS = {  # each argument: well-formed values often, anything JSON holds sometimes
    "query": st.text(max_size=60), "question": st.text(max_size=60),
    "video": st.sampled_from(["", "0", "d41c", "/etc/passwd", "../lib", "x" * 300]) | st.text(max_size=20),
    "sources": st.lists(st.sampled_from(["speech", "ocr", "subtitle", "chapter", "tags", "nope", ""]), max_size=3),
    "start": st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10**12),
    "end": st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10**12),
    "k": st.integers(-5, 200), "choices": st.lists(st.text(max_size=20), max_size=12),
    "mode": st.sampled_from(["llm", "summarize", "extractive", "agent", ""]),
    "path": st.sampled_from(["harbor.mp4", "../videos/harbor.mp4", "/etc/hostname", "", "\x00", "a" * 300]),
}
TOOLS = {"list_videos": [], "search_evidence": ["query", "video", "sources", "start", "end", "k"],
         "read_window": ["video", "start", "end", "sources"], "ask": ["question", "video", "choices", "mode", "k"],
         "index_video": ["path", "sources"]}


@st.composite
def tool_calls(draw) -> dict:
    name = draw(st.sampled_from([*TOOLS, "no_such_tool"]))
    names = draw(st.lists(st.sampled_from(TOOLS.get(name) or ["query"]), unique=True))
    arguments = {key: draw(FIELDS[key] | JSON if draw(st.booleans()) else FIELDS[key]) for key in names}
    if draw(st.booleans()):
        arguments[draw(st.text(max_size=8))] = draw(JSON)  # an argument the tool does not take
    return {"jsonrpc": "2.0", "id": draw(st.integers(0, 10**6)), "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}


ENVELOPES = st.fixed_dictionaries({}, optional={
    "jsonrpc": st.sampled_from(["2.0", "1.0"]) | JSON, "id": st.integers() | st.text(max_size=5) | JSON,
    "method": st.sampled_from(["tools/call", "tools/list", "ping", "initialize", "resources/list",
                               "prompts/get", "notifications/cancelled", "completion/complete"]) | st.text(max_size=12),
    "params": JSON})
BODIES = st.binary(max_size=200) | st.integers(1, 3 * MAX_DEPTH).map(lambda n: b"[" * n + b"]" * n)


def test_the_json_rpc_surface_answers_anything_without_a_5xx(served) -> None:
    client, session = served

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    @given(message=tool_calls() | ENVELOPES | BODIES)
    def answers(message) -> None:
        body = message if isinstance(message, bytes) else json.dumps(message).encode()
        reply = client.post("/mcp", content=body, headers=session)
        assert reply.status_code < 500, (body[:300], reply.text[:300])
        if isinstance(message, dict) and message.get("method") == "tools/call" and reply.status_code == 200:
            answer = _messages(reply)[-1]
            if "result" in answer and answer["result"].get("isError"):  # a tool's failure: the CLI's one line
                text = answer["result"]["content"][0]["text"]
                assert "\n" not in text and "Traceback" not in text, text

    answers()
    assert _call(client, session, "list_videos", {})["isError"] is False  # nothing sent ended the session
