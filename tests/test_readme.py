"""The README's "Use it from…" section, run as written: the MCP client config, the LangChain code and the
export commands, in a folder holding talk.mp4 indexed into my-library (the names the README uses)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from vidseek import synth
from vidseek.library import Library

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
SAID = (1.0, 3.5, "The meeting moves to Thursday afternoon.")


def _section() -> dict[str, list[str]]:
    """The section's code blocks by language."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Use it from…"):]
    section = section[: section.find("\n## ", 4)] if "\n## " in section[4:] else section
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"```(\w+)\n(.*?)```", section, re.S):
        blocks.setdefault(language, []).append(body)
    return blocks


@pytest.fixture(scope="module")
def folder(tmp_path_factory, embedder) -> Path:
    """talk.mp4 whose words (read from a subtitle file, removed afterwards) are in my-library."""
    folder = tmp_path_factory.mktemp("readme")
    movie = synth.write_video(synth.Script(duration=5, size=(64, 48), fps=5, audio=False), folder / "talk.mp4")
    synth.write_srt([SAID], folder / "talk.srt")
    Library(folder / "my-library", embedder=embedder, device="cpu").index(movie, sources=["subtitle"])
    (folder / "talk.srt").unlink()
    return folder


def test_the_export_commands_run_as_written(folder) -> None:
    (commands,) = _section()["bash"]
    lines = [line for line in commands.splitlines() if line.strip()]
    assert len(lines) == 4
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "vidseek"
        target = None
        if ">" in words:
            words, target = words[: words.index(">")], words[words.index(">") + 1]
        done = subprocess.run([sys.executable, "-m", "vidseek", *words[1:]], cwd=folder, text=True,
                              env={**ENV, "VIDSEEK_LIBRARY": str(folder / "my-library")},  # the default library
                              capture_output=True, timeout=300)
        assert done.returncode == 0, (line, done.stderr)
        if target:
            (folder / target).write_text(done.stdout, encoding="utf-8")
    assert (folder / "talk.srt").read_text() == "1\n00:00:01,000 --> 00:00:03,500\n" + SAID[2] + "\n\n"
    assert (folder / "talk.vtt").read_text().startswith("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.500\n")
    assert (folder / "talk.md").read_text().splitlines()[-1] == f"- **00:00:01–00:00:03** {SAID[2]}"
    assert json.loads((folder / "talk.json").read_text())["cues"][0]["text"] == SAID[2]


def test_the_langchain_code_runs_as_written(folder) -> None:
    (code,) = _section()["python"]
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=ENV, text=True, capture_output=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0] == f"{folder / 'talk.mp4'} 1.0 3.5 {SAID[2]}"  # the retriever's Document and its seconds
    assert lines[1] == "B) Thursday" and lines[2] == "cited: [00:00:01–00:00:03 subtitle] talk.mp4"


def test_the_mcp_client_config_starts_a_server_that_answers(folder) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    (config,) = _section()["json"]
    server = json.loads(config)["mcpServers"]["vidseek"]
    assert server["command"] == "vidseek"
    # the README's placeholder folders are this test's; `vidseek` is this tree's, run by this Python
    args = [{"/home/me/vidseek-library": str(folder / "my-library"), "/home/me/videos": str(folder)}.get(a, a)
            for a in server["args"]]

    async def session():
        params = StdioServerParameters(command=sys.executable, args=["-m", "vidseek", *args], env=ENV, cwd=folder)
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            videos = await client.call_tool("list_videos", {})
            answer = await client.call_tool("ask", {"question": "When is the meeting moved to?",
                                                    "choices": ["Monday", "Thursday"], "mode": "extractive"})
            return videos.structuredContent, answer.structuredContent

    videos, answer = asyncio.run(asyncio.wait_for(session(), 240))
    assert [v["name"] for v in videos["videos"]] == ["talk.mp4"]
    assert answer["choice"] == "B" and answer["citations"][0]["start"] == SAID[0]


# the kinds of line the README's session shows, each as the commands print it
SHAPES = {
    "command": r"\$ vidseek .+",
    "indexing first": r"\S+ is not indexed yet: indexing it first",
    "estimate": r"estimate: \S+ \(\d\d:\d\d:\d\d to read; [a-z]+(, [a-z]+)*\): about \d\d:\d\d:\d\d at "
                r"(default rates \(none measured here yet\)|rates measured on this machine)",
    "indexed": r"indexed \S+ \(\d\d:\d\d:\d\d\): \d+ [a-z]+(, \d+ [a-z]+)*",
    "skipped": r"  [a-z]+: skipped, .+",
    "citation": r"  \[\d\d:\d\d:\d\d–\d\d:\d\d:\d\d [a-z]+\] \S+",
    "evidence": r"\d\d:\d\d:\d\d–\d\d:\d\d:\d\d \[[a-z]+\] .+",
    "answer": r"[A-J]\) .+|[A-Z][^\[]+\.",
    "more": r"…",
}


def _shape(line: str) -> str | None:
    return next((kind for kind, shape in SHAPES.items() if re.fullmatch(shape, line)), None)


def test_the_sample_session_has_the_shape_the_commands_print(tmp_path) -> None:
    """The README's session is illustrative (its counts and lines change with model versions), but each of its
    lines has the shape of a line the commands print now: checked against a real index, evidence and ask."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## What it does"):]
    session = re.search(r"```\n(\$ vidseek .*?)```", section, re.S).group(1).splitlines()
    kinds = [_shape(line) for line in session]
    assert None not in kinds, [line for line, kind in zip(session, kinds) if kind is None]
    assert {"estimate", "indexed", "skipped", "citation", "evidence", "answer"} <= set(kinds)

    synth.write_video(synth.Script(duration=5, size=(64, 48), fps=5, audio=False), tmp_path / "talk.mp4")
    synth.write_srt([SAID], tmp_path / "talk.srt")
    env = {**ENV, "VIDSEEK_LIBRARY": str(tmp_path / "lib")}

    def vidseek(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "vidseek", *args], cwd=tmp_path, env=env, text=True,
                              capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done

    indexed = vidseek("index", "talk.mp4", "--sources", "subtitle,caption")
    printed = {
        "estimate": indexed.stderr.splitlines()[0],
        "indexed": indexed.stdout.splitlines()[0],
        "skipped": next(line for line in indexed.stderr.splitlines() if "caption: skipped" in line),
        "evidence": vidseek("evidence", "talk.mp4").stdout.splitlines()[0],
        "citation": vidseek("ask", "talk.mp4", "When does the meeting move?", "--no-llm").stdout.splitlines()[1],
    }
    assert {kind: _shape(line) for kind, line in printed.items()} == {kind: kind for kind in printed}, printed
    assert printed["indexed"] == "indexed talk.mp4 (00:00:05): 1 subtitle"
