"""Who said it (pipeline/who_said.py): "Who says …?" answered from the speaker written on the line that says
it, the listener from a name said to them; the rule fires on its own shape only."""

from __future__ import annotations

import pytest

from vidseek.pipeline.answer import Reasoner
from vidseek.pipeline.retrieve import Hit
from vidseek.pipeline.who_said import addressed, asks_who_said, attribute
from vidseek.testing import HashEmbedder, ScriptedChat
from vidseek.types import Evidence

FP = "f" * 64
LINES = [(10, 14, "subtitle", "ELINOR: Edward has gone to London for the week."),
         (15, 19, "speech", "S1: 8 of spades, 4 of clubs, 7 of hearts."),
         (20, 24, "subtitle", "MARIANNE: He is not an ill-disposed young man, Elinor."),
         (25, 29, "subtitle", "ELINOR: Then why does he never write?"),
         (30, 34, "caption", "two women sitting at a table by a window"),
         (45, 49, "speech", "S3: Martha, your brother should stop worrying about the dog."),
         (50, 54, "speech", "Tom Lane: Thank you, Frank. You have been a great help.")]
HITS = [Hit(str(n), Evidence(FP, a, b, s, t), 0.5) for n, (a, b, s, t) in enumerate(LINES)]
ITEMS = [h.evidence for h in HITS]


@pytest.mark.parametrize("question, speaker, listener", [
    ("Who says he is not an ill-disposed young man, and to whom?", "MARIANNE", "Elinor"),
    ("Who asks why he never writes?", "ELINOR", None),
    ("Who says that Edward has gone to London?", "ELINOR", None),
    ("who told Martha her brother should stop worrying", "S3", "Martha"),
    ("Who thanked Frank for his great help?", "Tom Lane", "Frank"),
])
def test_the_line_that_says_it_gives_the_speaker_and_whom_it_is_said_to(question, speaker, listener) -> None:
    said = attribute(question, ITEMS, HashEmbedder())
    assert said is not None and said.speaker == speaker and said.listener == listener


@pytest.mark.parametrize("question", [
    "Who is the speaker's sister?", "Who arrives first?", "Who was at the table by the window?",
    "What does Marianne say about Edward?", "Whom does Leo thank?", "Which playing cards are named?",
])
def test_the_rule_does_not_fire_on_other_shapes(question) -> None:
    assert not asks_who_said(question) and attribute(question, ITEMS, HashEmbedder()) is None


def test_no_line_sharing_the_question_words_no_attribution() -> None:
    assert attribute("Who says the ferry leaves at noon?", ITEMS, HashEmbedder()) is None


def test_open_who_said_answers_name_the_speaker_not_the_name_said_to_them() -> None:
    llm = ScriptedChat(replies=["Elinor says it to Marianne [2]."])  # the mistake the 1.5B model made
    answer = Reasoner(HashEmbedder(), llm).answer("Who says he is not an ill-disposed young man, and to whom?", HITS)
    assert answer.text == 'Marianne says it to Elinor at 0:20: "He is not an ill-disposed young man, Elinor."'
    assert [c.start for c in answer.citations] == [20.0] and answer.details["rule"] == "who said"
    unnamed = Reasoner(HashEmbedder(), None).answer("Who tells Martha her brother should stop worrying?", HITS)
    assert unnamed.text.startswith("An unnamed speaker (S3) says it at 0:45")  # extractive too
    no_listener = Reasoner(HashEmbedder(), None).answer("Who asks why he never writes, and to whom?", HITS)
    assert no_listener.text.endswith("(the line does not name whom it is said to)")


def test_multiple_choice_who_said_picks_the_option_naming_the_speaker() -> None:
    llm = ScriptedChat(replies=["B"])
    choices = ["Marianne", "Elinor", "Edward", "Frank"]
    answer = Reasoner(HashEmbedder(), llm).answer("Who says he is not an ill-disposed young man?", HITS, choices)
    assert answer.choice == "A" and [c.start for c in answer.citations] == [20.0]
    assert any("speaker of the line that says it" in n for n in answer.notes)
    labelled = Reasoner(HashEmbedder(), ScriptedChat(replies=["B"])).answer(
        "Who tells Martha her brother should stop worrying?", HITS, ["Nora", "Sam", "Leo"])
    assert labelled.choice == "B"  # "S3" names nobody: the model's letter stands


def test_addressed_names() -> None:
    assert addressed("He is not an ill-disposed young man, Elinor.", "MARIANNE") == "Elinor"
    assert addressed("Martha, your brother should stop worrying.", "S3") == "Martha"
    assert addressed("Yes! A brown and white dog. Sorry, I must go.", "S1") is None
    assert addressed("The carriage leaves at nine.", "S2") is None
