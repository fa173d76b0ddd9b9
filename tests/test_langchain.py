"""vidseek.integrations.langchain with langchain-core only: the retriever in a chain, the ask tool."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableLambda

from tests.helpers import CUES, subtitled_library
from vidseek.integrations.langchain import VidseekRetriever, ask_tool
from vidseek.library import LLMSettings


@pytest.fixture(scope="module")
def harbor(tmp_path_factory, embedder):
    return subtitled_library(tmp_path_factory.mktemp("langchain"), embedder)


def test_a_chain_over_the_retriever_gets_documents_that_point_at_the_right_seconds(harbor) -> None:
    video, library = harbor
    retriever = VidseekRetriever(library=library, k=1, sources=["subtitle"])

    def cite(docs) -> str:  # the best hit: the first
        best = docs[0]
        where = best.metadata
        return f"{Path(where['path']).name}@{where['start']}-{where['end']}: {best.page_content}"

    chain = retriever | RunnableLambda(cite)
    assert chain.invoke("When does the ferry leave?") == f"harbor.mp4@{CUES[1][0]}-{CUES[1][1]}: {CUES[1][2]}"
    docs = retriever.invoke("Who is the harbor master?")
    assert len(docs) == 1
    best = docs[0]
    shown = library.ids()[library.find(video).video.fingerprint]  # the id vidseek ls shows, not the fingerprint
    assert best.page_content == CUES[0][2]
    assert {k: best.metadata[k] for k in ("video", "path", "start", "end", "source", "at")} == {
        "video": shown, "path": str(video.resolve()), "start": 0.5, "end": 2.0, "source": "subtitle",
        "at": "00:00:00"}
    narrow = VidseekRetriever(library=library, span=(2.2, 4.0)).invoke("harbor master")
    assert [d.page_content for d in narrow] == [CUES[1][2]]  # only what overlaps 2.2–4 s


def test_the_ask_tool_answers_with_cited_moments_and_the_answer_as_artifact(harbor) -> None:
    video, library = harbor
    tool = ask_tool(library, video=str(video), llm=LLMSettings(enabled=False))
    assert tool.name == "ask_video" and set(tool.args) == {"question", "choices"}
    text = tool.invoke({"question": "When does the ferry leave?", "choices": ["at dawn", "at noon"]})
    assert text.splitlines() == ["B) at noon", "cited: [00:00:02–00:00:03 subtitle] harbor.mp4"]
    message = tool.invoke({"type": "tool_call", "id": "1", "name": "ask_video",
                           "args": {"question": "Who is the harbor master?"}})
    assert isinstance(message, ToolMessage) and "Ada Brooks" in message.content
    assert message.artifact["citations"][0]["start"] == 0.5 and message.artifact["mode"] == "extractive"
