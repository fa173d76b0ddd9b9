"""The reasoner: answers from retrieved evidence, with an LLM (summarize-then-answer when asked) checked by
the extractive scores, or extractively without one. Prompts and reply parsing live in prompting.py, the
scoring in extractive.py; this module decides between them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from vidseek.pipeline.citing import carriers, unnamed_speakers
from vidseek.pipeline.extractive import (
    MIN_SUPPORT,
    best_evidence,
    by_count,
    by_order,
    cite,
    rule_name,
    score_options,
    supported_share,
    trim_to_supported,
)
from vidseek.pipeline.open_answer import picked_item, quoted_lines, refuses, without_refusals
from vidseek.pipeline.prompting import (
    LETTERS,
    NOT_SAID,
    cited_numbers,
    estimate_tokens,
    evidence_block,
    evidence_section,
    for_prompt,
    options_block,
    parse_choice,
    prompt,
    quote,
    split_choices,
    without_item_numbers,
)
from vidseek.pipeline.retrieve import Hit
from vidseek.pipeline.who_said import Attribution, attribute, wants_listener
from vidseek.store.embeddings import Embedder
from vidseek.text import clipped, content_words
from vidseek.types import Answer, Evidence, format_time, short_time

T = TypeVar("T")

if TYPE_CHECKING:  # langchain-core is imported where an LLM is used: an extractive answer needs none of it
    from langchain_core.language_models.chat_models import BaseChatModel


@dataclass(frozen=True)
class ReasonerSettings:
    """How the LLM is used. The defaults are the measured best on 2 CPU cores (benchmarks/RESULTS.md,
    docs/asking.md): prompt length is most of the answer time, so the evidence has a token budget."""

    evidence_tokens: int = 650  # evidence in one prompt, as estimate_tokens counts them
    summarize: bool = False  # summarize-then-answer (LLoVi): one more generation before the answer
    overrule_margin: float = 0.25  # an extractive lead this large over the runner-up overrules the LLM's letter
    rules: bool = True  # the order, count and who-said rules (each fires on its own question shape only)
    option_orders: int = 4  # multiple choice weighed in this many rotations of the options (at most one per
    # option), their letter probabilities averaged; a backend without log-probabilities writes one letter
    option_checks: bool = False  # each option also asked about alone (yes/no), its share added to the letters
    compact: bool = True  # evidence lines with short times ("1:05-1:11"), the speaker apart from the words, and a
    # legend of the sources shown only
    min_answers: float = 0.35  # a re-checked pick whose "does this answer?" share of yes is below this: not said


class Reasoner:
    """Turns retrieved hits into an Answer; `llm` None means extractive only."""

    def __init__(self, embedder: Embedder, llm: BaseChatModel | None = None, unavailable: str | None = None,
                 settings: ReasonerSettings | None = None):
        self.embedder = embedder
        self.llm = llm
        self.unavailable = unavailable  # why there is no LLM, when one was asked for
        self.settings = settings or ReasonerSettings()
        self.tokens_used = 0
        self.prompt_tokens = 0  # as the backend counted them, where it says
        self.weighs = True  # options are weighed by letter log-probabilities until the backend gives none

    @staticmethod
    def _messages(text: str) -> list[Any]:
        from langchain_core.messages import HumanMessage, SystemMessage

        return [SystemMessage(prompt("system")), HumanMessage(text)]

    def _chat(self, llm: BaseChatModel, text: str, on_text: Callable[[str], None] | None = None) -> str:
        messages = self._messages(text)
        if on_text is None:
            reply = llm.invoke(messages)
            self._count(reply)
            return str(reply.content).strip()
        parts = []
        for chunk in llm.stream(messages):
            self._count(chunk)
            if piece := str(chunk.content):
                parts.append(piece)
                on_text(piece)
        return "".join(parts).strip()

    def _count(self, message: Any) -> None:
        usage = getattr(message, "response_metadata", {}) or {}
        self.tokens_used += int(usage.get("completion_tokens", 0) or 0)
        self.prompt_tokens += int(usage.get("prompt_tokens", 0) or 0)

    # --- the two modes -------------------------------------------------------------------------------------
    def answer(self, question: str, hits: Sequence[Hit], choices: Sequence[str] | None = None,
               paths: dict[str, str] | None = None, on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer from the hits. `on_text` receives the LLM's final reply as it is generated (for a terminal)."""
        started = time.perf_counter()
        result = Answer(question=question, text="", evidence=[h.evidence for h in hits],
                        mode="llm" if self.llm else "extractive")
        if not hits:
            result.text = "The indexed evidence holds nothing about this question."
            result.notes.append("no evidence retrieved")
            return result
        try:
            self._reason(result, question, hits, choices, self.llm, on_text)
        except Exception as exc:  # an endpoint down, a prompt past the context: the evidence still answers
            if self.llm is None:
                raise
            result.mode, result.citations, result.details = "extractive", [], {}
            self._reason(result, question, hits, choices, None, None)
            result.notes.append(f"the LLM failed ({type(exc).__name__}: {clipped(str(exc), 200)}); answered "
                                "extractively")
        result.citations = [replace(c, path=(paths or {}).get(c.fingerprint, "")) for c in result.citations]
        result.timings["answer"] = time.perf_counter() - started
        return result

    def _reason(self, result: Answer, question: str, hits: Sequence[Hit], choices: Sequence[str] | None,
                llm: BaseChatModel | None, on_text: Callable[[str], None] | None) -> None:
        compact = self.settings.compact
        shown = for_prompt(hits, self.settings.evidence_tokens, compact)
        evidence = evidence_section([h.evidence for h in shown], compact)
        notes = ""
        if llm is not None and self.settings.summarize:
            summary = self._chat(llm, prompt("summarize").format(question=question, evidence=evidence))
            notes = f"Notes on the evidence (written from it, also data): {quote(summary, 800)}\n\n"
        said = attribute(question, [h.evidence for h in hits], self.embedder)
        if choices:
            self._choose(result, question, choices, hits, llm, [h.evidence for h in shown], notes, evidence, said)
        elif said is not None and self.settings.rules:  # "Who says …?": the speaker on the line (who_said.py)
            result.text = said.answer(wants_listener(question))
            result.citations = [cite(said.item)]
            result.details["rule"] = "who said"
            result.notes.append("answered from the speaker written on the line that says it")
        elif llm is not None:
            reply = self._chat(llm, prompt("answer_open").format(question=question, notes=notes, evidence=evidence),
                               on_text)
            self._open(result, question, hits, shown, reply, llm, evidence)
        else:
            result.text, cited = best_evidence(self.embedder, question, hits)
            result.citations = [cite(h.evidence) for h in cited]

    def _open(self, result: Answer, question: str, hits: Sequence[Hit], shown: Sequence[Hit], reply: str,
              llm: BaseChatModel, evidence: str) -> None:
        """An open answer from the LLM's reply, cited on the items whose words carry it. A refusal is checked
        by asking which item answers (pipeline/open_answer.py): "the video does not say" only when it names
        none. An answer is trimmed to its sentences the evidence supports (words and numbers); with none left it
        was made up, and the same question is asked: which item answers?"""
        used = cited_numbers(reply, len(shown))
        if refuses(reply, question):
            result.notes.append("the LLM said the video does not say; asked which item answers")
            self._recheck(result, question, shown, llm, evidence)
            return
        text = without_refusals(reply, question) or without_item_numbers(reply)
        sources = [question, *(h.evidence.text for h in shown), *item_times(h.evidence for h in shown)]
        result.details["support"] = round(supported_share(text, sources), 3)
        trimmed = trim_to_supported(text, sources)
        if not trimmed:  # made up (its words or its numbers are not in the evidence): which item answers, if any?
            result.notes.append(f"the LLM's answer was not in the evidence ({text[:80]!r}); asked which item "
                                "answers instead")
            self._recheck(result, question, shown, llm, evidence)
            return
        if trimmed != text:
            result.details["trimmed"] = True
            text = trimmed
        # cited where the answer's words are, among what it named first (pipeline/citing.py)
        cited = carriers(text, question, [shown[n - 1] for n in used], shown) or \
            best_evidence(self.embedder, question, hits)[1]
        result.text = unnamed_speakers(text, [h.evidence for h in cited], [h.evidence for h in shown])
        result.citations = [cite(h.evidence) for h in cited]

    def _recheck(self, result: Answer, question: str, shown: Sequence[Hit], llm: BaseChatModel,
                 evidence: str) -> None:
        """After a refusal or a made-up answer: which item answers? None: the video does not say. An item: it
        and the two shown items that best match the question (embedding and shared words) are each put to the
        model alone — "Does this evidence answer the question?" — where the backend gives log-probabilities;
        the likeliest answers, unless none reaches `min_answers` (then the video does not say). A 1.5B model
        picks item [1] when unsure; judging one line at a time it does better. Then the answer is written from
        that item alone, or, when that is a refusal too or not in its words, the item is quoted with its time."""
        pick = picked_item(self._chat(llm, prompt("answer_pick").format(question=question, evidence=evidence)),
                           len(shown))
        result.details["picked"] = pick or 0
        item = shown[pick - 1] if pick else None
        if item is not None:
            candidates = [item] + [h for h in best_evidence(self.embedder, question, shown, 2)[1] if h is not item]
            verdicts = [self._yes(llm, prompt("answer_verify").format(
                question=question, evidence=evidence_section([h.evidence], self.settings.compact)))
                for h in candidates]
            if all(v is not None for v in verdicts):
                best = max(range(len(candidates)), key=verdicts.__getitem__)
                result.details["answers"] = verdicts[best]
                item = candidates[best] if verdicts[best] >= self.settings.min_answers else None
        if item is None:
            result.text = NOT_SAID
            result.notes.append("the retrieved evidence does not hold the answer")
            result.details["open"] = "not said"
            return
        alone = evidence_section([item.evidence], self.settings.compact)
        reply = without_item_numbers(self._chat(llm, prompt("answer_from").format(question=question,
                                                                                  evidence=alone)))
        written = without_refusals(reply, question)
        if supported_share(" ".join(content_words(written) - content_words(question)), [item.evidence.text]) < \
                MIN_SUPPORT:  # what it adds to the question must come from the item it picked
            written = ""
        if written:
            result.text = unnamed_speakers(written, [item.evidence], [h.evidence for h in shown])
            result.details["open"] = "rechecked"
        else:
            result.text = quoted_lines([item.evidence])
            result.details["open"] = "quoted"
        result.notes.append(f"the LLM named item [{pick}] as the one that answers; answered from "
                            f"{cite(item.evidence).label()}")
        result.citations = [cite(item.evidence)]

    def _choose(self, result: Answer, question: str, choices: Sequence[str], hits: Sequence[Hit],
                llm: BaseChatModel | None, shown: Sequence[Evidence], notes: str, evidence: str,
                said: Attribution | None = None) -> None:
        scores = score_options(self.embedder, choices, hits)
        order = sorted(range(len(choices)), key=lambda i: -scores[i].score)
        margin = scores[order[0]].score - (scores[order[1]].score if len(order) > 1 else 0.0)
        extractive = LETTERS[order[0]]
        details: dict[str, Any] = {"extractive": extractive, "margin": round(margin, 3)}
        rule, counted = by_order(question, scores), []
        if rule is None:
            rule, counted = by_count(question, choices, hits)
        if rule is None and said is not None and (rule := said.option(choices)) is not None:
            counted = [h for h in hits if h.evidence == said.item]
        if rule is not None:
            details["rule"] = LETTERS[rule]
        choice = LETTERS[rule] if rule is not None and self.settings.rules else extractive
        if llm is not None:
            options = options_block(choices, shown)
            reply = ""
            picked = self._weigh(llm, question, choices, shown, notes, evidence, details)
            if picked is None:  # a backend without log-probabilities: the written letter
                reply = self._chat(llm, prompt("answer_choice").format(
                    question=question, options=options, notes=notes, evidence=evidence))
                picked = parse_choice(reply, choices)
                if picked is None:
                    reply = self._chat(llm, prompt("answer_choice_retry").format(
                        question=question, options=options, evidence=evidence,
                        letters=", ".join(LETTERS[: len(choices)])))
                    picked = parse_choice(reply, choices)
            details["llm"] = picked
            if picked is None:
                result.mode = "extractive"
                result.notes.append(f"the LLM's reply named no option twice ({reply[:80]!r}); scored extractively")
            elif rule is not None and self.settings.rules:
                if picked != choice:
                    name = "speaker of the line that says it" if counted and said else rule_name(question)
                    result.notes.append(f"the LLM chose {picked}; the {name} found in the evidence "
                                        f"gives {choice}; kept {choice}")
            elif picked != extractive and margin >= self.settings.overrule_margin:
                result.notes.append(f"the LLM chose {picked}, but the evidence backs {extractive} clearly; "
                                    f"kept {extractive}")
            else:
                choice = picked
        if margin < 0.02 and (llm is None or result.mode == "extractive"):
            result.notes.append("the evidence barely separates the options; low confidence")
        result.details.update(details)
        index = LETTERS.index(choice)
        result.choice = choice
        result.text = f"{choice}) {choices[index]}"
        backing = scores[index].hit or max(hits, key=lambda h: h.score)
        used_rule = rule is not None and self.settings.rules and choice == LETTERS[rule]
        result.citations = [cite(h.evidence) for h in counted if used_rule] or [cite(backing.evidence)]


    def _weigh(self, llm: BaseChatModel, question: str, choices: Sequence[str], shown: Sequence[Evidence],
               notes: str, evidence: str, details: dict[str, Any]) -> str | None:
        """The option the LLM gives the most probability, averaged over rotations of the options' order; None
        when the backend gives no log-probabilities. A small model favours a letter position (on a short film
        8 of 11 wrong picks were B); each rotation moves every option through the positions, and averaging the
        probabilities cancels the position's share (permutation debiasing). Each rotation generates one token
        and re-reads only the question and options: the evidence comes first and llama.cpp caches it."""
        n = min(len(choices), len(LETTERS))
        if n < 2:
            return None
        totals = [0.0] * n
        votes = []
        rotations = max(1, min(self.settings.option_orders, n))
        for shift in range(rotations):
            order = [(i + shift) % n for i in range(n)]
            rotated = [choices[i] for i in order]
            shares = self._first_token(llm, prompt("answer_choice").format(
                question=question, options=options_block(rotated, shown), notes=notes, evidence=evidence),
                lambda logprobs: letter_shares(logprobs, n))
            if shares is None:  # no letter likely first, or no log-probabilities: a written reply
                return None
            for position, share in enumerate(shares):
                totals[order[position]] += share / rotations
            votes.append(LETTERS[order[max(range(n), key=shares.__getitem__)]])
        details["votes"] = "".join(votes)
        details["option_shares"] = [round(t, 3) for t in totals]
        if self.settings.option_checks and (yes := self._check_each(llm, question, choices[:n], evidence, details)):
            norm = sum(yes) or 1.0
            totals = [t + y / norm for t, y in zip(totals, yes)]  # the two views, each summing to one, added
        return LETTERS[max(range(n), key=totals.__getitem__)]

    def _check_each(self, llm: BaseChatModel, question: str, choices: Sequence[str], evidence: str,
                    details: dict[str, Any]) -> list[float] | None:
        """Each option asked about on its own ("Proposed answer: …  right? yes or no"), its share of "yes"
        against "no" as the first token: no letter, so no letter position to favour. None when the backend gives
        no log-probabilities or neither word is likely."""
        yes = []
        for option in choices:
            share = self._yes(llm, prompt("answer_check").format(
                question=question, option=quote(option, 200)[1:-1], evidence=evidence))
            if share is None:
                return None
            yes.append(share)
        details["yes"] = [round(y, 3) for y in yes]
        return yes

    def _yes(self, llm: BaseChatModel, text: str) -> float | None:
        """The model's share of "yes" against "no" as the first token of its reply to a yes/no prompt; None
        where the backend gives no log-probabilities or neither word is likely."""
        share = self._first_token(llm, text, yes_share)
        return None if share is None else round(share, 3)

    def _first_token(self, llm: BaseChatModel, text: str, read: Callable[[dict[str, float]], T | None]) -> T | None:
        """What `read` makes of the log-probabilities of the reply's first token (one token generated, the
        prompt's new tokens read); None when it makes nothing of them or the backend gives none — a backend
        that sent none is not asked again."""
        scorer = getattr(llm, "next_token_logprobs", None)
        if scorer is None or not self.weighs:
            return None
        logprobs, tokens = scorer(self._messages(text))
        found = read(logprobs)
        if found is None:
            self.weighs = bool(logprobs)
            return None
        self.prompt_tokens += tokens
        self.tokens_used += 1
        return found


def letter_shares(logprobs: dict[str, float], n: int) -> list[float] | None:
    """The probability of each of the first n option letters as the reply's first token, normalised over
    them; None when none of the letters is among the log-probabilities given (a letter missing from them is
    rarer than the least likely one listed)."""
    letters = LETTERS[:n]
    given = [logprobs.get(letter) for letter in letters]
    if all(v is None for v in given):
        return None
    floor = min(logprobs.values()) - 1.0
    weights = [math.exp((v if v is not None else floor) - max(x for x in given if x is not None)) for v in given]
    total = sum(weights)
    return [w / total for w in weights]


def item_times(items: Iterable[Evidence]) -> list[str]:
    """The items' times as the prompts show them (both forms): an answer may give a time it read there."""
    return [f"{format_time(e.start)} {format_time(e.end)} {short_time(e.start)} {short_time(e.end)}" for e in items]


def yes_share(logprobs: dict[str, float]) -> float | None:
    """P(yes) / (P(yes) + P(no)) of a first token, over its spellings ("yes", "Yes"); None when neither is
    among the log-probabilities given."""
    def total(word: str) -> float:
        return sum(math.exp(v) for k, v in logprobs.items() if k.lower() == word)

    yes, no = total("yes"), total("no")
    return yes / (yes + no) if yes + no > 0 else None


def check_citations(answer: Answer) -> None:
    """Every citation must be the span of evidence that was retrieved for this answer."""
    spans = {(e.fingerprint, e.start, e.end, e.source) for e in answer.evidence}
    for c in answer.citations:
        if (c.fingerprint, c.start, c.end, c.source) not in spans:
            raise AssertionError(f"citation {c.label()} is not among the retrieved evidence")


__all__ = ["LETTERS", "NOT_SAID", "Reasoner", "ReasonerSettings", "check_citations", "estimate_tokens",
           "evidence_block", "for_prompt", "options_block", "parse_choice", "quote", "split_choices"]
