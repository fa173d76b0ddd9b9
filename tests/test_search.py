"""Search that reads like search: `--k` hits best first with their scores, the moments around a hit only when
asked (`--context SECONDS`), the same k from the LangChain retriever, MCP and the HTTP API; and the chapter
and synopsis rows a model wrote (`vidseek summary`) never among the hits or `ask`'s evidence unless asked
for, labelled as model-written when they are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import mcp_search, scripted
from vidseek import synth
from vidseek.cli import app
from vidseek.errors import BadRequest
from vidseek.integrations.langchain import VidseekRetriever
from vidseek.library import Library, LLMSettings
from vidseek.testing import ScriptedChat
from vidseek.types import DERIVED_SOURCES, Citation

runner = CliRunner()
NO_LLM = LLMSettings(enabled=False)
# one subtitle every 3 s, 2 s long: every line has others within a few seconds of it
LINES = ["The ferry leaves the harbor at noon.", "Gulls circle over the ferry deck.",
         "The captain checks the ferry tickets.", "A truck waits at the harbor gate.",
         "Rain starts falling on the pier.", "The ferry horn sounds twice.",
         "Children wave from the upper deck.", "The harbor master writes in his log.",
         "Fishing boats return with the tide.", "The ferry reaches the island at two.",
         "A bus takes the passengers to town.", "The lighthouse blinks at dusk."]
CUES = [(n * 3.0 + 0.5, n * 3.0 + 2.5, text) for n, text in enumerate(LINES)]
# what the scripted model writes: words of the evidence, so a check that drops unsupported sentences keeps it
CHAPTER = "Title: Ferry day\nSummary: The ferry leaves the harbor at noon and reaches the island at two."
SYNOPSIS = "The ferry leaves the harbor at noon and reaches the island at two."
HIT_LINE = re.compile(r"^(\d+)\. (\d\.\d{4})  (\d\d:\d\d:\d\d–\d\d:\d\d:\d\d) \[([^\]]+)\] (.*)  \(ferry\.mp4\)$")


@pytest.fixture(scope="module")
def ferry(tmp_path_factory, embedder) -> tuple[Path, Library]:
    """folder/ferry.mp4 (36 s) with a subtitle line every 3 s, indexed, and its summary built by a scripted
    model (so the store holds its chapter and synopsis rows)."""
    folder = tmp_path_factory.mktemp("search")
    video = synth.write_video(synth.Script(duration=36, size=(64, 48), fps=2, audio=False), folder / "ferry.mp4")
    synth.write_srt(CUES, folder / "ferry.srt")
    library = Library(folder / "lib", embedder=embedder, device="cpu")
    library.index(video, sources=["subtitle"])
    chat = ScriptedChat(replies=lambda text: SYNOPSIS if "<chapters>" in text else CHAPTER)
    summary = library.summary(video, scripted(library, chat))
    assert summary is not None and summary.derived_evidence(), "the scripted model wrote no chapter"
    return video, library


def _hits(stdout: str) -> list[re.Match]:
    return [m for m in map(HIT_LINE.match, stdout.splitlines()) if m]


def test_search_prints_k_hits_best_first_each_with_its_score(ferry) -> None:
    _, library = ferry
    result = runner.invoke(app, ["search", "ferry leaves the harbor at noon", "--k", "3", "-L", str(library.path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3, lines  # no neighbours in time unless asked
    hits = _hits(result.stdout)
    assert len(hits) == 3, lines
    assert [int(m.group(1)) for m in hits] == [1, 2, 3]
    scores = [float(m.group(2)) for m in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert hits[0].group(5) == LINES[0] and hits[0].group(3) == "00:00:00–00:00:02"
    assert all(m.group(4) == "subtitle" for m in hits)


def test_search_json_gives_k_hits_best_first_with_scores_and_no_context_unless_asked(ferry) -> None:
    _, library = ferry
    result = runner.invoke(app, ["search", "ferry", "--k", "4", "--json", "-L", str(library.path)])
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(items) == 4
    assert [i["rank"] for i in items] == [1, 2, 3, 4]
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    assert all(i["path"].endswith("ferry.mp4") and i["derived"] is False and "context" not in i for i in items)


def test_search_context_shows_the_moments_around_each_hit_under_it(ferry) -> None:
    _, library = ferry
    result = runner.invoke(app, ["search", "the ferry horn", "--k", "1", "--context", "2",
                                 "-L", str(library.path)])
    assert result.exit_code == 0, result.output
    first, *under = result.stdout.strip().splitlines()
    assert _hits(first) and LINES[5] in first  # 15.5–17.5 s
    # the lines before and after it (12.5–14.5 s and 18.5–20.5 s), indented, in time order
    assert under == [f"      00:00:12–00:00:14 [subtitle] {LINES[4]}", f"      00:00:18–00:00:20 [subtitle] {LINES[6]}"]
    as_json = runner.invoke(app, ["search", "the ferry horn", "--k", "1", "--context", "2", "--json",
                                  "-L", str(library.path)])
    (item,) = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert item["text"] == LINES[5] and [c["text"] for c in item["context"]] == [LINES[4], LINES[6]]
    bad = runner.invoke(app, ["search", "ferry", "--context", "-1", "-L", str(library.path)])
    assert bad.exit_code == 2 and "context must be" in bad.stderr


def test_the_langchain_retriever_returns_k_documents_best_first_with_scores(ferry) -> None:
    _, library = ferry
    docs = VidseekRetriever(library=library, k=4).invoke("ferry")
    assert len(docs) == 4
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    assert [d.metadata["rank"] for d in docs] == [1, 2, 3, 4]
    assert all(d.metadata["derived"] is False and d.metadata["source"] == "subtitle" for d in docs)


def test_mcp_search_evidence_returns_k_moments_best_first(ferry) -> None:
    video, library = ferry
    moments = mcp_search(library, video.parent, {"query": "ferry", "k": 3})["moments"]
    assert len(moments) == 3
    assert [m["score"] for m in moments] == sorted((m["score"] for m in moments), reverse=True)
    assert all(m["derived"] is False for m in moments)


def test_model_written_rows_are_never_hits_unless_asked_for(ferry) -> None:
    video, library = ferry
    question = "When does the ferry leave the harbor and reach the island?"
    every = library.search(question, k=100)
    assert len(every) == len(LINES)  # every subtitle line, and nothing the model wrote
    assert not any(h.evidence.source in DERIVED_SOURCES or h.evidence.meta.get("derived") for h in every)
    assert not [d for d in VidseekRetriever(library=library, k=100).invoke(question)
                if d.metadata["source"] in DERIVED_SOURCES]
    moments = mcp_search(library, video.parent, {"query": question, "k": 100})["moments"]
    assert len(moments) == len(LINES) and not [m for m in moments if m["source"] in DERIVED_SOURCES]
    text = runner.invoke(app, ["search", question, "--k", "100", "-L", str(library.path)]).stdout
    assert "[chapter" not in text and "[synopsis" not in text and len(text.strip().splitlines()) == len(LINES)
    answer = library.ask(question, k=100, llm=NO_LLM)
    assert answer.evidence and not [e for e in answer.evidence if e.source in DERIVED_SOURCES]
    assert not [c for c in answer.citations if c.source in DERIVED_SOURCES]


def test_model_written_rows_come_back_when_asked_for_labelled_as_model_written(ferry) -> None:
    video, library = ferry
    question = "When does the ferry leave the harbor and reach the island?"
    asked = library.search(question, k=100, derived=True)
    written = [h for h in asked if h.evidence.source in DERIVED_SOURCES]
    assert {h.evidence.source for h in written} == {"chapter", "synopsis"}
    assert all(h.evidence.derived and "(model-written)" in h.evidence.line() for h in written)
    assert {h.evidence.source for h in library.search(question, sources=["chapter"])} == {"chapter"}
    docs = VidseekRetriever(library=library, k=100, include_derived=True).invoke(question)
    assert {d.metadata["source"] for d in docs if d.metadata["derived"]} == {"chapter", "synopsis"}
    moments = mcp_search(library, video.parent, {"query": question, "sources": ["synopsis"]})["moments"]
    assert [(m["source"], m["derived"], m["text"]) for m in moments] == [("synopsis", True, SYNOPSIS)]
    shown = runner.invoke(app, ["search", question, "--source", "chapter", "-L", str(library.path)])
    assert shown.exit_code == 0 and _hits(shown.stdout)
    assert all(m.group(4) == "chapter (model-written)" for m in _hits(shown.stdout))
    as_json = runner.invoke(app, ["search", question, "--derived", "--k", "100", "--json", "-L", str(library.path)])
    items = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert {i["source"] for i in items if i["derived"]} == {"chapter", "synopsis"}
    assert all(i["derived"] == (i["source"] in DERIVED_SOURCES) for i in items)


def test_the_chapter_rows_a_summary_publishes_use_the_derived_source_names(ferry) -> None:
    video, library = ferry
    summary = library.summary(video, build=False)
    assert summary is not None
    assert {e.source for e in summary.derived_evidence()} <= DERIVED_SOURCES
    assert all(e.derived for e in summary.derived_evidence())
    # an answer that cites one (the agent may) says whose words they are
    assert Citation("f", 0, 36, "chapter").label() == "[00:00:00–00:00:36 chapter (model-written)]"
    assert Citation("f", 0, 2, "subtitle").label() == "[00:00:00–00:00:02 subtitle]"


def test_search_refuses_a_bad_context_as_bad_input(ferry) -> None:
    _, library = ferry
    for bad in (-1.0, float("nan"), 10_000.0):
        with pytest.raises(BadRequest, match="context must be"):
            library.search("ferry", context=bad)


def test_the_http_api_returns_k_hits_best_first_with_context_and_model_text_only_when_asked(ferry) -> None:
    from fastapi.testclient import TestClient

    from vidseek.server import ServerConfig, create_app

    video, library = ferry
    client = TestClient(create_app(ServerConfig(roots=[video.parent], llm=False), library), base_url="http://127.0.0.1")
    hits = client.get("/api/search", params={"q": "ferry", "k": 3}).json()["hits"]
    assert len(hits) == 3 and [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all(h["derived"] is False and not h["context"] for h in hits)
    (horn,) = client.get("/api/search", params={"q": "the ferry horn", "k": 1, "context": 2}).json()["hits"]
    assert horn["text"] == LINES[5] and [c["text"] for c in horn["context"]] == [LINES[4], LINES[6]]
    question = "When does the ferry leave the harbor and reach the island?"
    plain = client.get("/api/search", params={"q": question, "k": 100}).json()["hits"]
    assert not [h for h in plain if h["source"] in DERIVED_SOURCES]
    asked = client.get("/api/search", params={"q": question, "k": 100, "derived": True}).json()["hits"]
    assert {h["source"] for h in asked if h["derived"]} == {"chapter", "synopsis"}
