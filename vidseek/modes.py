"""How `ask` answers: quick (one retrieval, one prompt), agent (the tool loop of pipeline/agent.py over the
video's chapters and synopsis), or auto (quick, then the agent when the quick answer found nothing or is weakly
supported: signs measured on the answer, not read from the wording).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from vidseek.errors import BadRequest
from vidseek.pipeline.agent import Agent, AgentSettings, AgentTools
from vidseek.pipeline.chapters import VideoSummary
from vidseek.pipeline.prompting import evidence_section
from vidseek.pipeline.retrieve import Hit, Retriever, in_time_order
from vidseek.store.base import EvidenceFilter, evidence_id
from vidseek.types import Answer, Evidence, format_time

if TYPE_CHECKING:
    from vidseek.library import Library, LLMSettings
    from vidseek.pipeline.index import Progress

Mode = Literal["quick", "agent", "auto"]
MODES: tuple[str, ...] = ("quick", "agent", "auto")
SUMMARIZED_VIDEOS = 3  # the agent builds chapters for at most this many videos per question (cached: once)
WEAK_SUPPORT = 0.75  # an open quick answer with less of its words in the evidence is weakly supported


def check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise BadRequest(f"mode must be quick, agent or auto, not {mode!r}")
    return mode  # type: ignore[return-value]


def needs_agent(answer: Answer, hits: Sequence[Hit], durations: dict[str, float]) -> str:
    """Why auto hands a quick answer to the agent ("" when it keeps it). A third sign, the best hits spread
    over the video, was measured and dropped: it fired on 12 of 13 NIAH needle questions (RESULTS.md).
    `hits` and `durations` stay for signs that need them."""
    if answer.details.get("open") == "not said":
        return "the quick answer found nothing"
    support = answer.details.get("support")
    if support is not None and support < WEAK_SUPPORT:
        return f"the quick answer is weakly supported ({support:.0%})"
    return ""


def _tools(lib: Library, videos: list[str], paths: dict[str, str], durations: dict[str, float]) -> AgentTools:
    retriever = Retriever(lib.store, lib.keyword, lib.embedder)

    def search(query: str, sources: Sequence[str], start: float | None, end: float | None) -> list[Evidence]:
        timed = start is not None or end is not None
        hits = retriever.search(query, 24 if timed else 8, videos, list(sources) or None, neighbours=False)
        window = EvidenceFilter(start=start, end=end)
        ranked = sorted((h for h in hits if window.admits(h.evidence)), key=lambda h: -h.score)
        return lib.named([h.evidence for h in ranked])  # enrolled voices by name (voiceprints.py)

    def read(start: float, end: float, video: int | None) -> list[Evidence]:
        fp = videos[(video or 1) - 1] if video and 1 <= video <= len(videos) else videos[0]
        rows = lib.store.get(EvidenceFilter(videos=(fp,), start=start, end=end))
        return lib.named(sorted((e for _, e in rows if not e.meta.get("derived")), key=lambda e: (e.start, e.end)))

    def listed() -> list[str]:
        return [f"{n}. {paths.get(fp, fp)} ({format_time(durations.get(fp, 0.0))})" for n, fp in enumerate(videos, 1)]

    return AgentTools(search, read, listed)


def agent_answer(lib: Library, question: str, choices: Sequence[str], videos: list[str] | None,
                 hits: list[Hit], llm: LLMSettings | None, settings: AgentSettings | None = None,
                 quick: Answer | None = None, progress: Progress | None = None) -> Answer:
    """Answer with the tool loop; a model that cannot follow it, or no LLM, answers single-shot with a note."""
    reasoner = lib.reasoner(llm)
    stored = lib.store.list_videos(videos) if videos else lib.store.list_videos()
    scope = videos or [v.fingerprint for v in stored]
    paths = {v.fingerprint: v.path for v in stored}
    durations = {v.fingerprint: v.duration for v in stored}

    def single_shot(note: str) -> Answer:
        answer = quick or reasoner.answer(question, hits, list(choices), paths)
        answer.notes.append(note)
        return answer

    if reasoner.llm is None or not scope:
        return single_shot("agent mode needs an LLM; answered single-shot")
    local = {r.video.fingerprint for r in lib.videos()}
    summaries: list[VideoSummary | None] = [
        lib.summary(fp, llm, build=n < SUMMARIZED_VIDEOS, progress=progress) if fp in local else None
        for n, fp in enumerate(scope)]
    agent = Agent(lambda text: reasoner._chat(reasoner.llm, text), _tools(lib, scope, paths, durations), settings,
                  progress)
    settings = agent.settings
    first = [h.evidence for h in sorted((h for h in hits if not h.neighbour), key=lambda h: -h.score)
             if not h.evidence.meta.get("derived")][: settings.first_items]
    result = agent.run(question, summaries, choices, sorted(first, key=lambda e: (e.fingerprint, e.start)))
    found = [Hit(evidence_id(e), e, 1.0) for e in result.gathered]
    if result.fallback:
        answer = single_shot(f"agent: {result.fallback}; answered single-shot")
    elif choices or result.final is None or not found:
        # options: the checked reasoner (letters, rules, the extractive overrule) picks over all that was found
        seen = {h.id for h in hits}
        pool = in_time_order(hits + [h for h in found if h.id not in seen]) if choices or not found else found
        answer = reasoner.answer(question, pool, list(choices), paths)
        answer.mode = "agent" if answer.mode == "llm" else answer.mode
    else:
        answer = Answer(question=question, text="", evidence=result.gathered, mode="agent")
        cited = "".join(f" [{n}]" for n in result.final.cite)
        reasoner._open(answer, question, found, found, result.final.text + cited, reasoner.llm,
                       evidence_section(result.gathered))
        answer.citations = [replace(c, path=paths.get(c.fingerprint, "")) for c in answer.citations]
    answer.details["trace"] = result.trace()
    answer.details["steps"] = sum(s.n > 0 and s.action not in {"answer", "malformed", "limit"} for s in result.steps)
    return answer


__all__ = ["MODES", "Mode", "agent_answer", "check_mode", "needs_agent"]
