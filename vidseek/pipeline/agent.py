"""The agent: an LLM that looks things up before it answers (Deep Video Discovery's tool loop, on the local
model). It sees the question, the synopsis and the chapter list, and replies with one tool call at a time —
search, read a window, the chapters, the videos — for up to `max_steps` steps under a token budget, then
answers citing the numbered evidence the tools returned; the citations are checked against exactly that.

Tool calls are one JSON object in the model's reply, parsed from the reply only (its last top-level object,
never one inside a quotation or one written in the evidence): tool results enter the next prompt as quoted,
numbered evidence lines (prompting.quote), and lines that address the model are withheld (untrusted.py), so
text in a video can never issue a call.
A model that does not keep to the protocol (twice) is given up on; the caller answers single-shot instead.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from vidseek.pipeline.chapters import VideoSummary
from vidseek.pipeline.prompting import estimate_tokens, line, prompt, quote
from vidseek.pipeline.untrusted import LABEL, injection
from vidseek.store.base import evidence_id
from vidseek.types import Evidence, format_time

Tool = Literal["search", "read", "chapters", "videos"]
TOOLS: tuple[str, ...] = ("search", "read", "chapters", "videos")
PLACEHOLDERS = {"words to look for", "your words", "search words", "query"}  # example text small models copy
MAX_REPEATS = 2  # a call made before returns nothing new: after this many, the loop goes to the answer


class ProtocolError(ValueError):
    """A reply that is not one tool call or answer in the agent's format."""


@dataclass(frozen=True)
class ToolCall:
    """One call the model asked for, its arguments checked and times in seconds."""

    tool: Tool
    query: str = ""
    sources: tuple[str, ...] = ()
    start: float | None = None
    end: float | None = None
    video: int | None = None  # 1-based, in the videos() list: which video `read` reads


@dataclass(frozen=True)
class FinalReply:
    """The model's answer: its text and the evidence numbers it cites."""

    text: str
    cite: tuple[int, ...] = ()


@dataclass
class Step:
    """One step of the trace: what was asked, what came back (evidence numbers and lines), how long."""

    n: int
    action: str  # a tool's name, "answer", "malformed" or "limit"
    args: dict[str, Any] = field(default_factory=dict)
    returned: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    reply: str = ""
    seconds: float = 0.0
    prompt_tokens: int = 0


@dataclass(frozen=True)
class AgentSettings:
    """How far the agent may go: steps (tool calls), prompt tokens over all steps, evidence per prompt."""

    max_steps: int = 4
    token_budget: int = 9000  # estimated prompt tokens, all steps together
    evidence_tokens: int = 900  # gathered evidence shown in one prompt
    result_items: int = 8  # items one tool call returns at most
    first_items: int = 6  # of the question's own retrieval, shown before the first look-up


@dataclass
class AgentResult:
    """What the loop ends with: the gathered evidence (numbered from 1), the model's final reply (None when it
    gave up on the protocol), and the trace."""

    gathered: list[Evidence]
    final: FinalReply | None
    steps: list[Step]
    fallback: str = ""  # why the protocol was given up, when it was

    def trace(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.steps]


class AgentTools:
    """What the tools read: the caller (Library) gives these functions, scoped to the videos asked about."""

    def __init__(self, search: Callable[[str, Sequence[str], float | None, float | None], list[Evidence]],
                 read: Callable[[float, float, int | None], list[Evidence]],
                 videos: Callable[[], list[str]]):
        self.search = search
        self.read = read
        self.videos = videos


# --- parsing the model's reply ----------------------------------------------------------------------------
_FENCE = re.compile(r"```(?:json)?", re.IGNORECASE)


def _scan(text: str, start: int) -> tuple[list[tuple[int, int]], int]:
    """From the { at `start`: the balanced {...} spans closed on the way (strings respected), and where the
    scan stopped (the } closing `start`, or the end of the text). One pass: replies and evidence are bounded
    only by what an endpoint sends, and a retry from every { would be quadratic."""
    spans: list[tuple[int, int]] = []
    opened: list[int] = []
    inside = escaped = False
    for i in range(start, len(text)):
        c = text[i]
        if inside:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                inside = False
        elif c == '"':
            inside = True
        elif c == "{":
            opened.append(i)
        elif c == "}" and opened:
            spans.append((opened.pop(), i))
            if not opened:
                return spans, i
    return spans, len(text)


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if not kept or first > kept[-1][1]:
            kept.append((first, last))
    return kept


def _objects(text: str, prose_quotes: bool = True) -> list[str]:
    """The balanced {...} objects of a text that are not nested in another and (with `prose_quotes`) not inside
    a quotation in the prose around them: a reply's own JSON, not evidence it echoed ('It says "{...}"')."""
    found, quoted, i = [], False, 0
    while i < len(text):
        c = text[i]
        if c == '"':
            quoted = not quoted
        elif c == "{":
            spans, i = _scan(text, i)
            if not (quoted and prose_quotes):
                found.extend(text[a: b + 1] for a, b in _outermost(spans))
        i += 1
    return found


def _load(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        try:  # a small model's single quotes
            return json.loads(re.sub(r"'", '"', raw))
        except ValueError:
            return None


def parse_time(value: Any) -> float | None:
    """Seconds from 93, "93", "01:33" or "00:01:33"; None for none. ProtocolError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ProtocolError(f"not a time: {value!r}")
    if isinstance(value, (int, float)):
        return max(0.0, float(value))
    parts = str(value).strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ProtocolError(f"not a time: {value!r}") from None
    if len(numbers) > 3:
        raise ProtocolError(f"not a time: {value!r}")
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return max(0.0, seconds)


def _quoted_objects(texts: Sequence[str]) -> list[Any]:
    """The JSON objects written inside evidence texts (a tool call or answer shown or said in a video)."""
    return [d for t in texts for raw in _objects(t, prose_quotes=False) if isinstance(d := _load(raw), dict)]


def parse_reply(reply: str, evidence: Sequence[str] = ()) -> ToolCall | FinalReply:
    """The tool call or answer a reply ends with: its last top-level JSON object (the model's own final one).
    An object inside a quotation in the reply, or one equal to an object written in the `evidence` texts the
    model was shown, is echoed data and never taken (a bare {"tool": "videos"} excepted: any model writes that
    one itself, and it reads nothing). Raises ProtocolError when no object of its own is left."""
    objects = _objects(_FENCE.sub(" ", reply))
    if not objects:
        raise ProtocolError("no JSON object in the reply")
    echoed = [d for d in _quoted_objects([t for t in evidence if "{" in t]) if set(d) - {"tool", "name"}]
    parsed = [_load(raw) for raw in objects]
    own = [d for d in parsed if isinstance(d, dict) and d not in echoed]
    if not own:
        if any(isinstance(d, dict) for d in parsed):
            raise ProtocolError("the reply's only JSON object is one written in the evidence")
        raise ProtocolError("the reply's JSON does not parse")
    data = own[-1]
    if isinstance(data.get("args"), dict):  # {"tool": ..., "args": {...}} is read like the flat form
        data = {**data["args"], **{k: v for k, v in data.items() if k != "args"}}
    if "answer" in data and "tool" not in data:
        cite = data.get("cite", [])
        cite = cite if isinstance(cite, list) else [cite]
        numbers = tuple(int(n) for n in cite if isinstance(n, int) or (isinstance(n, str) and n.strip().isdigit()))
        return FinalReply(str(data["answer"]).strip(), numbers)
    tool = str(data.get("tool") or data.get("name") or "").strip().lower()
    if tool not in TOOLS:
        raise ProtocolError(f"unknown tool {tool!r}")
    query = str(data.get("query") or "").strip()
    if tool == "search" and not query:
        raise ProtocolError("search needs a query")
    if tool == "search" and (query.lower() in PLACEHOLDERS or query.startswith("<")):
        raise ProtocolError("the query is the example's placeholder: write the words to search for")
    given = data.get("sources") or []
    sources = tuple(str(s) for s in (given if isinstance(given, list) else [given]) if str(s).strip())
    start, end = parse_time(data.get("start")), parse_time(data.get("end"))
    if tool == "read" and (start is None or end is None):
        raise ProtocolError("read needs a start and an end")
    video = data.get("video")
    return ToolCall(tool, query[:200], sources, start, end,  # type: ignore[arg-type]
                    int(video) if isinstance(video, int) and not isinstance(video, bool) else None)


# --- the loop ---------------------------------------------------------------------------------------------
def _chapter_lines(summary: VideoSummary | None) -> list[str]:
    if summary is None:
        return []
    out = []
    for n, c in enumerate(summary.chapters, 1):
        text = f"{c.title}: {c.summary}" if c.title else " / ".join(e.text for e in c.lines)
        head = f"({LABEL})" if injection(text) else quote(text, 300)
        out.append(f"{n}. {format_time(c.start)}-{format_time(c.end)} {head}")
    return out


def chapter_evidence(summary: VideoSummary | None) -> list[Evidence]:
    """What `chapters()` returns as evidence: the LLM's chapter rows (derived), or, without LLM text, each
    chapter's representative lines (evidence as extracted)."""
    if summary is None:
        return []
    derived = [e for e in summary.derived_evidence() if e.source == "chapter"]
    return derived or [e for c in summary.chapters for e in c.lines]


def describe(call: ToolCall) -> str:
    """A tool call in a few words for a progress line: `search 'harbor master'`, `read 00:01:00–00:02:00`."""
    said = call.tool + (f" '{call.query[:60]}'" if call.query else "")
    if call.start is not None or call.end is not None:
        said += f" {format_time(call.start or 0.0)}–{format_time(call.end or 0.0)}"
    return said


class Agent:
    """Runs the tool loop with one chat function (prompt -> reply)."""

    def __init__(self, chat: Callable[[str], str], tools: AgentTools, settings: AgentSettings | None = None,
                 progress: Callable[[str, int, int], None] | None = None):
        self.chat = chat
        self.tools = tools
        self.settings = settings or AgentSettings()
        # told ("agent", steps done, the most there can be) before each LLM step and once at the end, and
        # ("step N: search 'x'", …) for each tool call it runs: a CPU LLM step takes seconds to a minute, and a
        # silent minute looks hung
        self.progress = progress or (lambda stage, done, total: None)

    def run(self, question: str, summaries: Sequence[VideoSummary | None], choices: Sequence[str] = (),
            first: Sequence[Evidence] = ()) -> AgentResult:
        """`first`: what the question's own retrieval found, shown before any look-up (step 0 of the trace),
        so the agent starts where the quick path ends."""
        try:
            return self._run(question, summaries, choices, first)
        finally:
            self.progress("agent", self.settings.max_steps + 1, self.settings.max_steps + 1)

    def _run(self, question: str, summaries: Sequence[VideoSummary | None], choices: Sequence[str],
             first: Sequence[Evidence]) -> AgentResult:
        s = self.settings
        result = AgentResult([], None, [])
        ids: dict[str, int] = {}
        if first:
            step = Step(0, "search", {"query": question[:200], "initial": True})
            for e in first:
                ids[evidence_id(e)] = len(result.gathered) + 1
                result.gathered.append(e)
                step.numbers.append(len(result.gathered))
            step.returned = [e.line()[:160] for e in first]
            result.steps.append(step)
        spent = 0.0
        malformed = 0
        repeats = 0
        done_calls: dict[ToolCall, int] = {}
        synopsis = " ".join(f"({LABEL})" if injection(x.synopsis) else quote(x.synopsis, 600)
                            for x in summaries if x is not None and x.synopsis) \
            or "(none written)"
        chapters = "\n".join(line for x in summaries for line in _chapter_lines(x)) or "(none)"
        options = "".join(f"\n{'ABCDEFGHIJ'[i]}) {quote(c, 200)}" for i, c in enumerate(choices))
        step_no = 0
        while True:
            last = step_no >= s.max_steps
            text = prompt("agent_final" if last else "agent").format(
                question=quote(question, 400)[1:-1], options=options, synopsis=synopsis, chapters=chapters,
                evidence=self._evidence_block(result.gathered), history=self._history(result.steps),
                left=s.max_steps - step_no)
            cost = estimate_tokens(text)
            if spent + cost > s.token_budget and not last:
                step_no = s.max_steps  # the budget is spent: straight to the answer
                continue
            spent += cost
            started = time.perf_counter()
            self.progress("agent", step_no, s.max_steps + 1)
            reply = self.chat(text)
            step = Step(len(result.steps) + (0 if first else 1), "answer", reply=reply[:300], prompt_tokens=int(cost))
            result.steps.append(step)
            try:
                parsed = parse_reply(reply, [e.text for e in result.gathered])
            except ProtocolError as exc:
                step.action, step.args = "malformed", {"error": str(exc)}
                step.seconds = round(time.perf_counter() - started, 3)
                malformed += 1
                if malformed >= 2 or last:
                    result.fallback = f"the LLM did not keep to the tool-call format ({exc}: {reply[:60]!r})"
                    return result
                continue
            if isinstance(parsed, FinalReply):
                known = tuple(n for n in parsed.cite if 1 <= n <= len(result.gathered))
                result.final = FinalReply(parsed.text, known)
                step.args = {"cite": list(known)}
                step.seconds = round(time.perf_counter() - started, 3)
                return result
            if last:  # a tool call where an answer was asked for: the gathered evidence answers
                step.action, step.args = "limit", {"asked": parsed.tool}
                step.seconds = round(time.perf_counter() - started, 3)
                return result
            step_no += 1
            step.action = parsed.tool
            step.args = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(parsed).items()
                         if v not in (None, (), "") and k != "tool"}
            if parsed in done_calls:  # nothing new can come back: said so in the history, not run again
                step.args["repeats"] = done_calls[parsed]
                step.seconds = round(time.perf_counter() - started, 3)
                repeats += 1
                if repeats >= MAX_REPEATS:
                    step_no = s.max_steps
                continue
            done_calls[parsed] = step.n
            self.progress(f"step {step.n}: {describe(parsed)}", step_no, s.max_steps + 1)
            found = self._call(parsed, summaries)
            for e in found:
                key = evidence_id(e)
                if key not in ids:
                    result.gathered.append(e)
                    ids[key] = len(result.gathered)
                step.numbers.append(ids[key])
            step.returned = [e.line()[:160] for e in found] if parsed.tool != "videos" else self.tools.videos()
            step.seconds = round(time.perf_counter() - started, 3)

    def _call(self, call: ToolCall, summaries: Sequence[VideoSummary | None]) -> list[Evidence]:
        n = self.settings.result_items
        if call.tool == "search":
            return self.tools.search(call.query, call.sources, call.start, call.end)[:n]
        if call.tool == "read":
            start, end = sorted((call.start or 0.0, call.end or 0.0))
            items = self.tools.read(start, end, call.video)
            if len(items) > n:  # evenly spaced: the whole window is seen
                items = [items[int(i * len(items) / n)] for i in range(n)]
            return items
        if call.tool == "chapters":
            return [e for x in summaries for e in chapter_evidence(x)]
        return []  # videos: listed in the trace and the history, not evidence

    def _evidence_block(self, gathered: list[Evidence]) -> str:
        """The gathered evidence with its numbers, newest kept when over the budget (numbers stay)."""
        lines, used = [], 0.0
        for n in range(len(gathered), 0, -1):
            text = line(n, gathered[n - 1])
            used += estimate_tokens(text) + 1
            if lines and used > self.settings.evidence_tokens:
                break
            lines.append(text)
        return "\n".join(reversed(lines)) or "(nothing yet)"

    def _history(self, steps: list[Step]) -> str:
        out = []
        for s in steps:
            if s.action == "malformed":
                out.append(f"{s.n}. (reply not in the format: {s.args.get('error')}; reply with one JSON object)")
            elif s.action == "videos":
                out.append(f"{s.n}. videos -> " + "; ".join(quote(v, 120) for v in s.returned))
            elif "repeats" in s.args:
                out.append(f"{s.n}. {s.action} again, as in step {s.args['repeats']}: nothing new (try another "
                           "look-up, or answer)")
            else:
                args = json.dumps(s.args, ensure_ascii=False)
                got = f"items [{', '.join(map(str, s.numbers))}]" if s.numbers else "nothing"
                out.append(f"{s.n}. {s.action} {args} -> {got}")
        return "\n".join(out) or "(none yet)"


__all__ = ["Agent", "AgentResult", "AgentSettings", "AgentTools", "FinalReply", "ProtocolError", "Step",
           "ToolCall", "chapter_evidence", "parse_reply", "parse_time"]
