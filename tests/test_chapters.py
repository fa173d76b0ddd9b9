"""Chapters and the synopsis: cut where the topic changes, written by the LLM from each chapter's own
evidence (a scripted model here: orchestration only), quoted lines and no invented text without one, cached
by the evidence, published as derived evidence, and shown by `vidseek summary`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import cli, scripted
from vidseek import synth
from vidseek.library import Library, LLMSettings
from vidseek.pipeline.chapters import parse_chapter_reply
from vidseek.store.base import EvidenceFilter
from vidseek.testing import ScriptedChat

NO_LLM = LLMSettings(enabled=False)
TOPIC_S = 40.0
# three topics with no words in common, one subtitle every 4 s
TOPICS = [
    ["The harbor crane lifts containers onto the cargo ship.", "Dock workers tie the ship ropes at the pier.",
     "Cargo containers are stacked high on the harbor quay.", "The ship captain signals the harbor pilot.",
     "Tugboats push the cargo ship away from the pier.", "Containers of coffee are unloaded at the dock.",
     "The harbor master checks the ship manifest.", "Ropes and anchors are stored on the quay.",
     "The pilot steers the ship through the harbor mouth.", "Cranes rest over the empty pier at dusk."],
    ["Bake the bread dough in a hot oven for an hour.", "Knead flour, yeast and water into a soft dough.",
     "Let the bread dough rise under a warm towel.", "Sprinkle seeds over the loaf before baking.",
     "The oven smells of fresh bread and butter.", "Slice the warm loaf with a sharp bread knife.",
     "Sourdough starter needs flour every single day.", "Brush the crust with butter after the oven.",
     "A rye loaf bakes slower than white bread.", "Cool the bread on a wire rack before slicing."],
    ["The violin plays the melody of the symphony.", "Drums and trumpets join the orchestra's second movement.",
     "The conductor raises the baton for the symphony.", "A cello solo opens the quiet movement.",
     "The choir sings the final chorus of the concert.", "Flutes echo the violin melody softly.",
     "The pianist tunes the grand piano before the concert.", "Orchestra musicians bow as the audience claps.",
     "The symphony ends with a loud trumpet chord.", "Sheet music rests on every violin stand."],
]


def _first_quoted(prompt: str) -> str:
    """The first evidence line's words in a chapter prompt: what a model that writes from its evidence says."""
    return prompt.split("<evidence>")[1].split('"')[1]


def _cues() -> list[tuple[float, float, str]]:
    return [(t * TOPIC_S + n * 4.0 + 0.5, t * TOPIC_S + n * 4.0 + 3.5, text)
            for t, lines in enumerate(TOPICS) for n, text in enumerate(lines)]


@pytest.fixture(scope="module")
def topics(tmp_path_factory, embedder) -> tuple[Path, Library]:
    """A 2-minute video whose subtitles talk about ships, then bread, then music."""
    folder = tmp_path_factory.mktemp("topics")
    video = synth.write_video(synth.Script(duration=3 * TOPIC_S, size=(64, 48), fps=2, audio=False),
                              folder / "topics.mp4")
    synth.write_srt(_cues(), folder / "topics.srt")
    library = Library(folder / "lib", embedder=embedder, device="cpu")
    library.index(video, sources=["subtitle"])
    return video, library


def test_chapters_start_at_the_topic_changes(topics) -> None:
    video, library = topics
    summary = library.summary(video, NO_LLM)
    starts = [c.start for c in summary.chapters]
    assert len(starts) == 3, [c.label() for c in summary.chapters]
    for got, want in zip(starts[1:], [TOPIC_S, 2 * TOPIC_S]):
        assert abs(got - want) <= 10, starts


def test_without_an_llm_chapters_are_quoted_evidence_and_nothing_invented(topics) -> None:
    video, library = topics
    summary = library.summary(video, NO_LLM)
    texts = {text for _, _, text in _cues()}
    assert summary.synopsis == "" and summary.model == "" and summary.llm_calls == 0
    for chapter, word in zip(summary.chapters, ["ship", "bread", "symphony"]):
        assert not chapter.title and not chapter.summary
        assert any(word in e.text.lower() for e in chapter.lines)
        assert chapter.lines and all(e.text in texts for e in chapter.lines)
        assert all(chapter.start <= e.start < chapter.end for e in chapter.lines)
    assert summary.derived_evidence() == []


def test_the_llm_writes_each_chapter_from_its_own_evidence_then_the_synopsis(topics, tmp_path) -> None:
    video, library = topics
    chat = ScriptedChat(replies=lambda text: "The ships, bread and music." if "<chapters>" in text
                        else f"Title: {_first_quoted(text)[:20]}\nSummary: {_first_quoted(text)}")
    summary = library.summary(video, scripted(library, chat))
    assert summary.llm_calls == 4 and summary.model == "qwen1.5b"
    chapter_prompts = [p for p in chat.prompts if "<chapters>" not in p]
    assert len(chapter_prompts) == 3
    assert "harbor" in chapter_prompts[0] and "bread" not in chapter_prompts[0].split("<evidence>")[1]
    assert "symphony" in chapter_prompts[2] and "harbor" not in chapter_prompts[2].split("<evidence>")[1]
    assert summary.synopsis == "The ships, bread and music."
    assert all(c.title and c.summary and c.summary in {t for _, _, t in _cues()} for c in summary.chapters)
    # cached: asked again, no model call
    assert library.summary(video, LLMSettings()).key == summary.key and len(chat.prompts) == 4
    # published as derived evidence, searchable and marked
    fp = library.find(video).video.fingerprint
    rows = [e for _, e in library.store.get(EvidenceFilter(videos=(fp,), sources=("chapter", "synopsis")))]
    assert len(rows) == 4 and all(e.meta.get("derived") == "chapters" for e in rows)
    assert not any(h.evidence.derived for h in library.search("ships bread music", k=3))  # unless asked
    assert any(h.evidence.source == "synopsis" for h in library.search("ships bread music", k=3, derived=True))


def test_chapter_sentences_their_evidence_does_not_hold_are_left_out_and_never_searchable(topics, tmp_path,
                                                                                         embedder) -> None:
    """A small model invents scenes ("a speedboat blocking the road"): each chapter keeps only the sentences
    whose words are mostly in its own evidence; a chapter left with nothing quotes its lines; the synopsis
    likewise. What was left out is said in the notes, and nothing invented reaches the store."""
    video, _ = topics
    library = Library(tmp_path / "lib", embedder=embedder, device="cpu")  # a summary cache of its own
    library.index(video, sources=["subtitle"])
    invented = "A speedboat with five people blocks the road in a traffic jam."

    def reply(text: str) -> str:
        if "<chapters>" in text:
            return f"The harbor ship is unloaded. {invented}"
        if "harbor" in text.split("<evidence>")[1]:
            return f"Title: The harbor crane\nSummary: The harbor crane lifts containers onto the ship. {invented}"
        return f"Title: Traffic jam\nSummary: {invented}"

    summary = library.summary(video, scripted(library, ScriptedChat(replies=reply)))
    harbor, *others = summary.chapters
    assert (harbor.title, harbor.summary) == ("The harbor crane", "The harbor crane lifts containers onto the ship.")
    for chapter in others:  # nothing it wrote is in its evidence: its own lines, quoted
        assert chapter.title == chapter.lines[0].text[:60]
        assert chapter.summary == " / ".join(e.text for e in chapter.lines)
    assert summary.synopsis == "The harbor ship is unloaded."
    assert sum("left out" in note for note in summary.notes) == len(summary.chapters) + 1
    texts = " ".join(e.text for e in summary.derived_evidence())
    assert "speedboat" not in texts and "Traffic" not in texts


def test_chapter_replies_are_read_with_or_without_labels() -> None:
    assert parse_chapter_reply("Title: Harbor work\nSummary: Ships are loaded.") == ("Harbor work", "Ships are loaded.")
    assert parse_chapter_reply("**Title:** \"Bread\"\n**Summary:** Dough rises.") == ("Bread", "Dough rises.")
    assert parse_chapter_reply("Just a sentence.") == ("", "Just a sentence.")


def test_summary_command_prints_chapters_and_json(topics, tmp_path) -> None:
    video, library = topics
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    text, as_json = cli(["summary", str(video), "--library", str(library.path), "--no-llm"],
                        ["summary", str(video), "--library", str(library.path), "--no-llm", "--json"], env=env)
    assert text["code"] == 0, text["stderr"]
    assert text["stdout"].count("00:0") >= 3 and "harbor" in text["stdout"].lower()
    data = json.loads(as_json["stdout"])
    assert [round(c["start"]) for c in data["chapters"]][0] == 0 and len(data["chapters"]) == 3
