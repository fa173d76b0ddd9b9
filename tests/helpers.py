"""Helpers tests share: a small subtitled library, and CLI commands run in a fresh process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from vidseek import synth
from vidseek.extractors.base import FRAMES, Extractor
from vidseek.library import Library, LLMSettings, reasoner_key
from vidseek.pipeline.answer import Reasoner

CUES = [(0.5, 2.0, "The harbor master is Ada Brooks."), (2.5, 3.5, "The ferry leaves at noon.")]

_RUNNER = """
import faulthandler, json, sys
faulthandler.dump_traceback_later(float(sys.argv[2]), exit=True)  # a hang shows where, in stderr
from typer.testing import CliRunner
from vidseek.cli import app
results = []
for args in json.loads(sys.argv[1]):
    r = CliRunner().invoke(app, args)
    crashed = r.exception is not None and not isinstance(r.exception, SystemExit)
    results.append({"code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr,
                    "crash": repr(r.exception) if crashed else None})
print("\\n" + json.dumps(results))
"""


def subtitled_library(folder: Path, embedder, name: str = "harbor") -> tuple[Path, Library]:
    """folder/NAME.mp4 (4 s, no sound) with NAME.srt beside it, indexed (subtitles only) into folder/lib."""
    folder.mkdir(parents=True, exist_ok=True)
    video = synth.write_video(synth.Script(duration=4, size=(64, 48), fps=5, audio=False), folder / f"{name}.mp4")
    synth.write_srt(CUES, folder / f"{name}.srt")
    library = Library(folder / "lib", embedder=embedder, device="cpu")
    library.index(video, sources=["subtitle"])
    return video, library


def cli(*commands: list[str], read_only_root: bool = False, env: dict | None = None, timeout: int = 300) -> list[dict]:
    """Run `vidseek` commands one after another in a new process (no chromadb state shared with this one);
    each gives {code, stdout, stderr, crash}. read_only_root: as root, without the capabilities that let
    root write anything, so file modes bind it as they bind a user."""
    command = [sys.executable, "-c", _RUNNER, json.dumps([list(map(str, c)) for c in commands]), str(timeout - 10)]
    if read_only_root and os.geteuid() == 0:
        assert shutil.which("setpriv"), "util-linux's setpriv is needed to test this as root"
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout + 10,
                          env={**os.environ, **(env or {})}, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


PROGRESS_LINE = re.compile(r"^(estimate: .*|\S.*: \d{1,3}% \(.*\), \d\d:\d\d:\d\d so far.*|ask: .*…)$")


def messages(stderr: str) -> list[str]:
    """The lines of stderr that are not progress (a command piped shows its estimate and progress as plain
    lines before whatever it has to say)."""
    return [line for line in stderr.splitlines() if line.strip() and not PROGRESS_LINE.match(line)]


def one_line(result: dict) -> str:
    """The single line a failed command printed besides its progress, checking it printed only that (and
    crashed not)."""
    assert result["crash"] is None, result["crash"]
    lines = messages(result["stderr"])
    assert len(lines) == 1, result["stderr"]
    return lines[0]


def scripted(library: Library, chat, settings: LLMSettings | None = None) -> LLMSettings:
    """Make `chat` (a vidseek.testing.ScriptedChat) the LLM the library uses for `settings`; returns them."""
    settings = settings or LLMSettings()
    library._reasoners[reasoner_key(settings)] = Reasoner(library.embedder, chat)
    return settings


class PicturesOnly(Extractor):
    """A picture source that finds nothing: indexing with it decodes the frames (so the shots are cut and kept)
    with no model. For tests of what is built on the cut list (the page's scene strip), not of a source."""

    name = "pictures_only"
    source = "pictures_only"
    needs = frozenset({FRAMES})

    def config(self) -> dict:
        return {}

    def run(self, video, chunk) -> list:
        return []


def index_with_pictures(library: Library, video: Path, sources: list[str]) -> str:
    """Index `video` with these sources and PicturesOnly beside them; the entry's fingerprint."""
    indexer = library.indexer(sources)
    indexer.extractors.append(PicturesOnly())
    return library.add(video, indexer).video.fingerprint


def mcp_search(library: Library, folder: Path, arguments: dict) -> dict:
    """What the MCP tool search_evidence answers, called by an in-memory client (no process started)."""
    from mcp.shared.memory import create_connected_server_and_client_session

    from vidseek.mcp_server import McpOptions, create_server
    from vidseek.server.security import ServerConfig

    server = create_server(McpOptions(ServerConfig(roots=[folder], llm=False), library=library))

    async def call() -> dict:
        async with create_connected_server_and_client_session(server._mcp_server) as client:
            result = await client.call_tool("search_evidence", arguments)
            assert not result.isError, result.content[0].text
            return json.loads(result.content[0].text)

    return asyncio.run(asyncio.wait_for(call(), 120))
