"""Open answers cite the item whose words carry them (vidseek/pipeline/citing.py), not a neighbour the model
named at the same time; scripted replies stand for the LLM."""

from __future__ import annotations

from vidseek.pipeline.answer import Reasoner
from vidseek.pipeline.citing import carriers, unnamed_speakers
from vidseek.pipeline.retrieve import Hit
from vidseek.testing import HashEmbedder, ScriptedChat
from vidseek.types import Evidence

FP = "f" * 64
FILM = [
    Evidence(FP, 20.0, 24.0, "objects", "2 persons, 1 chair", 0.8),
    Evidence(FP, 20.0, 24.0, "subtitle", "MARIANNE: He is not an ill-disposed young man, Elinor.",
             meta={"speaker": "MARIANNE"}),
    Evidence(FP, 31.0, 35.0, "speech", "S1: 8 of spades, 4 of clubs, 7 of hearts."),
    Evidence(FP, 65.0, 70.0, "ocr", "CHAPTER TWO THE MARKET SQUARE"),
]


def _hits() -> list[Hit]:
    return [Hit(str(n), e, 1.0 - n / 10) for n, e in enumerate(FILM)]


def _ask(reply: str, question: str):
    return Reasoner(HashEmbedder(), ScriptedChat(replies=[reply])).answer(question, _hits())


def test_an_answer_citing_a_neighbour_at_the_same_time_is_cited_on_the_line_that_says_it() -> None:
    answer = _ask("Marianne says it, to Elinor [1].", "What is said about the young man, and to whom?")
    assert answer.text.startswith("Marianne says it, to Elinor")
    assert [c.source for c in answer.citations] == ["subtitle"]


def test_the_items_the_model_named_stay_cited_when_they_hold_the_answer() -> None:
    answer = _ask("The cards are 8 of spades, 4 of clubs and 7 of hearts [3].", "Which playing cards are named?")
    assert [(c.source, c.start) for c in answer.citations] == [("speech", 31.0)]


def test_carriers_fall_back_to_the_shown_item_holding_the_answer_words_then_to_what_was_named() -> None:
    shown = _hits()
    assert carriers("Eight of spades", "Which cards?", [], shown) == [shown[2]]
    assert carriers("Market square", "Which chapter?", [shown[0]], shown) == [shown[3]]
    assert carriers("Nothing here matches", "What?", [shown[1]], shown) == [shown[1]]  # no word anywhere: as named
    assert carriers("Nothing here matches", "What?", [], shown) == [shown[0]]  # the best-scored item


def test_an_answer_naming_a_bare_label_says_it_is_an_unnamed_speaker_and_when() -> None:
    spoken = Evidence(FP, 31.0, 35.0, "speech", "S1: 8 of spades, 4 of clubs, 7 of hearts.", meta={"speaker": "S1"})
    items = [*FILM[:2], spoken]
    answer = Reasoner(HashEmbedder(), ScriptedChat(replies=["S1 names them: 8 of spades, then S1 adds more [3]."])) \
        .answer("Who names the playing cards?", [Hit(str(n), e, 1.0 - n / 10) for n, e in enumerate(items)])
    assert answer.text.startswith("An unnamed speaker (S1) at 0:31 names them: 8 of spades, then S1 adds more")
    assert unnamed_speakers("Marianne says it to S4.", [FILM[1]], items) == "Marianne says it to S4."  # no S4 here
    assert unnamed_speakers("It was S1.", [], [spoken]) == "It was an unnamed speaker (S1) at 0:31."
    assert unnamed_speakers("Speaker S1 brought it up.", [], [spoken]) == \
        "An unnamed speaker (S1) at 0:31 brought it up."  # not "Speaker an unnamed speaker (S1) …"
    assert unnamed_speakers("It was the speaker S1.", [], [spoken]) == "It was an unnamed speaker (S1) at 0:31."
