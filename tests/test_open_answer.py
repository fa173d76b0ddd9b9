"""Open answers that hold when the model hesitates (pipeline/open_answer.py, Reasoner._open), with scripted
models: a refusal is re-checked by asking which item answers, an unsupported sentence is trimmed, not swapped."""

from __future__ import annotations

import pytest

from vidseek.pipeline.answer import NOT_SAID, Reasoner
from vidseek.pipeline.extractive import trim_to_supported
from vidseek.pipeline.open_answer import picked_item, refuses
from vidseek.pipeline.retrieve import Hit
from vidseek.testing import HashEmbedder, ScriptedChat
from vidseek.types import Evidence

FP = "f" * 64
FILM = [Hit("0", Evidence(FP, 10.0, 14.0, "objects", "2 person"), 0.9),
        Hit("1", Evidence(FP, 25.0, 29.0, "subtitle", "MARIANNE: He is not an ill-disposed young man, Elinor."), 0.8),
        Hit("2", Evidence(FP, 40.0, 44.0, "speech", "S1: 8 of spades, 4 of clubs, 7 of hearts."), 0.7)]
QUESTION = "What is said about the young man, and to whom?"


def scripted(first: str, pick: str, written: str) -> ScriptedChat:
    """A model that answers the open prompt with `first`, the pick prompt with `pick`, the one-item prompt with
    `written`."""
    def reply(prompt: str) -> str:
        if "Which one evidence item answers" in prompt:
            return pick
        if "This evidence answers the question" in prompt:
            return written
        return first
    return ScriptedChat(replies=reply)


def test_a_refusal_with_the_answer_shown_is_rechecked_and_written_from_the_item_it_picks() -> None:
    llm = scripted("The video does not say.", "[2]", "Marianne says it, to Elinor.")
    answer = Reasoner(HashEmbedder(), llm).answer(QUESTION, FILM)
    assert answer.text == "Marianne says it, to Elinor."
    assert [c.start for c in answer.citations] == [25.0]  # the line with the words, not a neighbour
    assert answer.details["open"] == "rechecked" and answer.details["picked"] == 2
    one_item = llm.prompts[-1].split("Question:")[0]
    assert "MARIANNE" in one_item and "8 of spades" not in one_item  # written from the picked item alone
    assert llm.prompts[0].split("Question:")[0] == llm.prompts[1].split("Question:")[0]  # the pick reuses the prefix


def test_a_pick_that_writes_nothing_usable_quotes_the_item_with_its_time() -> None:
    llm = scripted("I cannot tell from the evidence; it does not say.", "3", "The video does not say.")
    answer = Reasoner(HashEmbedder(), llm).answer("Which playing cards are named?", FILM)
    assert "8 of spades, 4 of clubs, 7 of hearts" in answer.text and "00:00:40" in answer.text
    assert answer.details["open"] == "quoted" and [c.start for c in answer.citations] == [40.0]


def test_does_not_say_stays_when_the_model_finds_no_item() -> None:
    llm = scripted("The video does not say.", "[0]", "unused")
    answer = Reasoner(HashEmbedder(), llm).answer("How much did the train tickets cost?", FILM)
    assert answer.text == NOT_SAID and answer.details["picked"] == 0
    assert len(llm.prompts) == 2  # the answer prompt and the pick: nothing written from an item


def test_an_answer_with_an_unsupported_sentence_is_trimmed_not_swapped_for_a_line() -> None:
    llm = ScriptedChat(replies=["Marianne says it to Elinor [2]. Then a speedboat blocks the traffic jam downtown."])
    answer = Reasoner(HashEmbedder(), llm).answer(QUESTION, FILM)
    assert answer.text == "Marianne says it to Elinor."
    assert answer.details.get("trimmed") is True and [c.start for c in answer.citations] == [25.0]


def test_a_made_up_answer_is_rechecked_and_an_item_found_for_it_or_none() -> None:
    llm = scripted("A speedboat with five people blocks the road [3].", "[0]", "unused")
    answer = Reasoner(HashEmbedder(), llm).answer("What happens on the road?", FILM)
    assert answer.text == NOT_SAID and answer.details["picked"] == 0
    llm = scripted("The train tickets cost 50 pounds.", "[0]", "unused")  # only the number is new, and made up
    assert Reasoner(HashEmbedder(), llm).answer("How much did the train tickets cost?", FILM).text == NOT_SAID
    llm = scripted("The cards named are the 8 of spades and the 9 of diamonds.", "[3]", "The 8 of spades.")
    answer = Reasoner(HashEmbedder(), llm).answer("Which playing cards are named?", FILM)
    assert answer.details["open"] == "rechecked" and answer.text == "The 8 of spades."  # the 9 was made up


def test_reading_replies() -> None:
    assert refuses("The video does not say.") and refuses("The video does not say how long [1] [2] [3].", "How long?")
    assert not refuses("It does not say more. The fox is red [2].", "What colour is the fox?")
    assert picked_item("[3]", 5) == 3 and picked_item("3", 5) == 3 and picked_item("Item [2].", 5) == 2
    assert picked_item("[0]", 5) is None and picked_item("none", 5) is None and picked_item("[9]", 5) is None
    assert picked_item("[2] and [3]", 5) is None  # one item asked for; two is not a pick
    assert trim_to_supported("The fox is red. Zebras fly home.", ["the red fox"]) == "The fox is red."
    assert trim_to_supported("Zebras fly home.", ["the red fox"]) == ""


def test_compact_evidence_lines_cost_fewer_tokens_and_name_only_the_sources_shown() -> None:
    from vidseek.pipeline.prompting import estimate_tokens, evidence_section, for_prompt, line

    items = [h.evidence for h in FILM]
    for e in items:
        assert estimate_tokens(line(1, e, compact=True)) < estimate_tokens(line(1, e)) - 3  # 12 time digits -> 6
    assert line(1, Evidence(FP, 3725.0, 3731.0, "ocr", "EXIT")).startswith("[1] 01:02:05-01:02:11 ocr")
    assert line(1, Evidence(FP, 3725.0, 3731.0, "ocr", "EXIT"), compact=True).startswith("[1] 1:02:05-1:02:11 ocr")
    assert line(1, items[1], compact=True).endswith('subtitle (speaker MARIANNE): "He is not an ill-disposed young '
                                                   'man, Elinor."')  # the listener's name stays in the words
    section = evidence_section(items[1:], compact=True)
    assert "subtitle:" in section and "speech:" in section and "detector" not in section  # no objects shown
    assert len(evidence_section(items, compact=True)) < len(evidence_section(items))
    many = [Hit(str(n), Evidence(FP, 60.0 * n, 60.0 * n + 5, "speech", f"S1: line number {n} of the talk"), 0.5)
            for n in range(40)]
    assert len(for_prompt(many, 300, compact=True)) > len(for_prompt(many, 300))  # more lines fit a budget


def test_a_hedge_before_the_answer_is_dropped_and_the_answer_kept() -> None:
    reply = ("The video does not say who is told that. The evidence shows that Martha is told that her brother "
             "should stop worrying. The evidence items are.")
    hits = FILM + [Hit("3", Evidence(FP, 50.0, 54.0, "speech", "S3: Martha, your brother should stop worrying."), 0.6)]
    llm = ScriptedChat(replies=[reply])
    answer = Reasoner(HashEmbedder(), llm).answer("Who is told that her brother should stop worrying?", hits)
    assert answer.text == "The evidence shows that Martha is told that her brother should stop worrying."
    assert [c.start for c in answer.citations] == [50.0] and len(llm.prompts) == 1  # no re-check needed
    assert not refuses(reply) and refuses("The video does not say who is told that.", "Who is told that?")


def test_an_answer_written_from_the_picked_item_must_take_its_new_words_from_that_item() -> None:
    llm = scripted("The video does not say.", "[3]", "They must wait approximately three hours at the harbour.")
    answer = Reasoner(HashEmbedder(), llm).answer("Which playing cards are named?", FILM)
    assert answer.details["open"] == "quoted" and "8 of spades" in answer.text and "harbour" not in answer.text


# --- the packaged model (Qwen2.5-Coder-1.5B on llama.cpp), on lines from the benchmark film's platform scene ---
PLATFORM = [(150, 153, "ocr", "CHAPTER FIVE: PLATFORM THREE"),
            (154, 160, "speech", "S4: Are you two looking for a dog? One came running along this platform about an "
                                 "hour ago."),
            (160, 164, "speech", "S1: Yes! A brown and white dog with one white ear. Is he all right?"),
            (160, 170, "objects", "3 person"),
            (164, 171, "speech", "S4: He's fine. But he jumped onto the train to Holloway before I could catch him, "
                                 "so I phoned ahead."),
            (171, 174, "speech", "S2: He took a train? All by himself?"),
            (174, 180, "speech", "S4: The guard at Holloway has got him in her office. She gave him a bowl of water "
                                 "and a biscuit."),
            (180, 186, "speech", "S1: A biscuit. Of course she did. Thank you so much, Sam. When does the next train "
                                 "go?"),
            (186, 191, "speech", "S4: In twenty minutes, from this platform. I'll let her know that you are on your "
                                 "way."),
            (192, 196, "caption", "horses standing in a field")]


@pytest.fixture(scope="module")
def packaged_reasoner() -> Reasoner:
    from vidseek.pipeline.llm import load_llm

    return Reasoner(HashEmbedder(), load_llm())


def test_the_packaged_model_answers_an_open_question_it_used_to_call_unsaid(packaged_reasoner: Reasoner) -> None:
    """Before the re-check the packaged model answered "The video does not say." here, with the line that
    answers it among the ten it was shown."""
    hits = [Hit(str(n), Evidence(FP, a, b, s, t), 0.5) for n, (a, b, s, t) in enumerate(PLATFORM)]
    answer = packaged_reasoner.answer("Once they know the dog is safe, how long must they wait to travel to him?",
                                      hits)
    assert "20" in answer.text or "twenty" in answer.text.lower(), answer.text
    assert [c.start for c in answer.citations] == [186.0]
    unsaid = packaged_reasoner.answer("How much did the train tickets cost?", hits)
    assert unsaid.text == NOT_SAID  # and nothing is found for what was never said


def test_an_item_the_model_does_not_think_answers_when_shown_alone_is_not_an_answer() -> None:
    """With log-probabilities, the picked item is put to the model alone ("Does this evidence answer the
    question?"): below ReasonerSettings.min_answers of "yes" the video does not say (a pick is made for
    unanswerable questions too)."""
    import math

    def verdict(yes: float):
        return lambda prompt: ({"yes": math.log(yes), "no": math.log(1 - yes)}
                               if "Does this evidence answer the question?" in prompt else {})

    for yes, expected in ((0.2, NOT_SAID), (0.4, "The cards are the 8 of spades, 4 of clubs and 7 of hearts.")):
        llm = scripted("The video does not say.", "[3]", "The cards are the 8 of spades, 4 of clubs and 7 of hearts.")
        llm.logprobs = verdict(yes)
        answer = Reasoner(HashEmbedder(), llm).answer("Which playing cards are named?", FILM)
        assert answer.text == expected and answer.details["answers"] == pytest.approx(yes)
        assert "8 of spades" in llm.scored[0] and "MARIANNE" not in llm.scored[0]  # the picked item alone
