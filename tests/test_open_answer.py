"""Open answers in stages (vidseek/pipeline/open_answer.py): the items the LLM picks, the answer it writes from
them, trimmed to what the evidence supports, and the citation on the item whose words carry it."""

from __future__ import annotations

import pytest

from vidseek.pipeline.answer import Reasoner
from vidseek.pipeline.open_answer import carriers, read_open_reply, trim_to_supported
from vidseek.pipeline.prompting import NOT_SAID, evidence_block, line
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
    Evidence(FP, 230.0, 236.0, "ocr", "Director Peach Open Movie Team"),
]


def hits(items=FILM) -> list[Hit]:
    return [Hit(str(n), e, 1.0 - n / 10) for n, e in enumerate(items)]


def ask(reply: str, question: str, chat: ScriptedChat | None = None) -> object:
    return Reasoner(HashEmbedder(), chat or ScriptedChat(replies=[reply])).answer(question, hits())


def test_a_one_line_refusal_that_cites_items_quotes_the_cited_items() -> None:
    # the one-line prompt's form: the model names the line that holds the answer, then refuses anyway
    answer = ask("The video does not say which cards are named. [3]", "Which playing cards are named?")
    assert answer.text != NOT_SAID and "8 of spades" in answer.text
    assert [c.start for c in answer.citations] == [31.0] and answer.details["open"] == "quoted"


def test_a_one_line_refusal_citing_nothing_says_the_video_does_not_say() -> None:
    answer = ask("The video does not say.", "What colour is the car?")
    assert answer.text == NOT_SAID and not answer.citations and answer.details["open"] == "not said"


def test_the_open_prompt_shows_compact_lines_and_multiple_choice_keeps_the_full_form() -> None:
    chat = ScriptedChat(replies=["Eight of spades. [3]"])
    reasoner = Reasoner(HashEmbedder(), chat)
    reasoner.answer("Which playing cards are named?", hits())
    assert '[3] 0:31 speech: "S1: 8 of spades' in chat.prompts[0] and "00:00:31" not in chat.prompts[0]
    reasoner.answer("Which card is named first?", hits(), choices=["8 of spades", "Ace of hearts"])
    assert "00:00:31-00:00:35" in chat.prompts[1]


def test_a_reply_that_picks_items_but_writes_a_refusal_quotes_the_picked_items() -> None:
    answer = ask("Items: [3]\nAnswer: The video does not say.", "Which playing cards are named?")
    assert answer.text != NOT_SAID and "8 of spades" in answer.text
    assert [c.source for c in answer.citations] == ["speech"] and answer.details["open"] == "quoted"


def test_the_video_does_not_say_only_when_no_item_is_picked_and_no_answer_written() -> None:
    answer = ask("Items: none\nAnswer: The video does not say.", "What colour is the car?")
    assert answer.text == NOT_SAID and not answer.citations


def test_the_support_check_trims_to_the_supported_sentence_and_never_swaps_the_answer() -> None:
    answer = ask("Items: [4]\nAnswer: The chapter title CHAPTER TWO THE MARKET SQUARE appears at 1:05. "
                 "Rain falls heavily over Paris while trumpets play.",
                 "When does the chapter title appear and what does it say?")
    assert answer.text == "The chapter title CHAPTER TWO THE MARKET SQUARE appears at 1:05."
    assert answer.details["trimmed"] and [c.start for c in answer.citations] == [65.0]


def test_a_list_answer_the_evidence_supports_is_kept_whole() -> None:
    reply = "Items: [2] [3] [4]\nAnswer: Marianne speaks to Elinor; 8 of spades, 4 of clubs; CHAPTER TWO."
    answer = ask(reply, "List the scenes in order.")
    assert answer.text == "Marianne speaks to Elinor; 8 of spades, 4 of clubs; CHAPTER TWO."
    assert [c.source for c in answer.citations] == ["subtitle", "speech", "ocr"]


def test_a_list_the_evidence_does_not_support_gives_the_picked_lines_in_order_not_less() -> None:
    reply = "Items: [2] [3] [4]\nAnswer: A dinner happens, a game follows, then a journey starts."
    answer = ask(reply, "List the scenes in order.")
    assert answer.text.index("MARIANNE") < answer.text.index("8 of spades") < answer.text.index("CHAPTER TWO")
    assert len(answer.citations) == 3


def test_the_citation_is_the_item_whose_words_carry_the_answer_not_a_neighbour_at_the_same_time() -> None:
    # the model picks the objects line that shares the subtitle's time; the subtitle holds the words
    answer = ask("Items: [1]\nAnswer: Marianne says it, to Elinor.",
                 "Who says he is not an ill-disposed young man, and to whom?")
    assert answer.text == "Marianne says it, to Elinor." and [c.source for c in answer.citations] == ["subtitle"]


def test_an_answer_with_nothing_picked_and_mostly_invented_shows_the_best_evidence() -> None:
    answer = ask("Items: none\nAnswer: A speedboat with five people blocks the traffic jam.",
                 "What blocks the road?")
    assert answer.mode == "extractive" and "speedboat" not in answer.text and answer.citations


@pytest.mark.parametrize(("reply", "items", "text"), [
    ("Items: [2] [5]\nAnswer: Marianne says it to Elinor.", (2, 5), "Marianne says it to Elinor."),
    ("Items: 3, 4\nAnswer: The cards.", (3, 4), "The cards."),
    ("Items: none\nAnswer: The video does not say.", (), "The video does not say."),
    ("Answer: Eight of spades [3].\nItems: [3]", (3,), "Eight of spades."),
    ("The Blender Foundation presents the film. [1], [2]", (1, 2), "The Blender Foundation presents the film."),
    ("Items: [9] [2]\nAnswer: It rains.", (2,), "It rains."),  # 9 is not an item shown
])
def test_open_replies_are_read_into_picked_items_and_answer(reply: str, items: tuple, text: str) -> None:
    read = read_open_reply(reply, 5)
    assert read.items == items and read.answer == text


def test_trim_keeps_supported_sentences_and_empties_an_unsupported_answer() -> None:
    sources = ["CHAPTER TWO THE MARKET SQUARE"]
    assert trim_to_supported("A traffic jam blocks a speedboat.", sources) == ""
    assert trim_to_supported("It is the market square. Rain falls over Paris.", sources) == "It is the market square."


def test_carriers_fall_back_to_the_shown_item_holding_the_answer_words() -> None:
    shown = hits()
    assert carriers("Eight of spades", "Which cards?", [], shown) == [shown[2]]


def test_prompt_lines_are_compact_start_times_and_cost_fewer_tokens() -> None:
    from vidseek.pipeline.prompting import estimate_tokens
    assert line(3, FILM[2], compact=True) == '[3] 0:31 speech: "S1: 8 of spades, 4 of clubs, 7 of hearts."'
    assert line(1, Evidence(FP, 3725.0, 3730.0, "ocr", "x"), compact=True) == '[1] 1:02:05 ocr: "x"'
    assert line(1, FILM[0], compact=True).startswith('[1] 0:20 objects 0.80: ')
    old = line(3, FILM[2])
    assert old == '[3] 00:00:31-00:00:35 speech: "S1: 8 of spades, 4 of clubs, 7 of hearts."'
    assert estimate_tokens(line(3, FILM[2], compact=True)) < 0.75 * estimate_tokens(old)
    assert "MARIANNE: He is not" in evidence_block(FILM, compact=True)  # who speaks reaches the prompt
