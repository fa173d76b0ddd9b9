"""The API's request and response bodies; FastAPI turns them into the OpenAPI schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vidseek.extractors import source_names

# somewhere a character that is not a space as Python's str.strip() sees it (a JSON Schema pattern matches
# anywhere; the class is spelled out because regex engines disagree about what \s covers, e.g. U+0085)
NOT_BLANK = "[^\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000]"
NO_NUL = r"^[^\x00]*$"
PATTERN_MEANS = {NOT_BLANK: "is blank", NO_NUL: "cannot hold a NUL byte"}  # for error messages
Option = Annotated[str, Field(min_length=1, max_length=300, pattern=NOT_BLANK)]
VideoId = Annotated[str, Field(min_length=1, max_length=64,
                               description="A video id as /api/videos gives it (a shorter prefix is refused)")]
SourceName = Literal[tuple(source_names())]  # the registered sources, as the schema lists them


class SourceOut(BaseModel):
    name: str = Field(description="What evidence of this source is labelled with")
    label: str = Field(description="How the page labels it")
    colour: str = Field(description="#rrggbb for its badge and timeline row")


class VideoOut(BaseModel):
    id: str = Field(description="The video's id, as `vidseek ls` and MCP show it: as short as it stays unique in "
                                "the library (at least 12 characters)")
    path: str
    name: str
    label: str = Field(description="What a list shows: the file's name, with as many of its folders as tell it "
                                   "from another file of the same name")
    duration: float
    sources: list[str]
    evidence: int
    playable: bool = Field(description="The file is under a served root and can be streamed")


class EvidenceOut(BaseModel):
    video: str
    start: float
    end: float
    source: str
    text: str = Field(description="Found in the video: untrusted text, show it as text")
    confidence: float
    score: float | None = None
    neighbour: bool = False
    thumbnail: str | None = Field(None, description="URL of a frame from the middle of the span")
    speaker: str | None = Field(None, description="Who speaks (S1, S2… or a subtitle's name), for speech and subtitles")
    derived: bool = Field(False, description="Written by a model from the evidence (a chapter, the synopsis), "
                                             "not drawn from the video")
    context: list[EvidenceOut] = Field(default_factory=list, description="A search hit's evidence around it in "
                                       "time, when the search asked for context")


class CitationOut(BaseModel):
    video: str
    path: str
    start: float
    end: float
    source: str
    label: str
    playable: bool
    thumbnail: str | None = None


SPEAKER_HELP = ("Only what this speaker said: a person enrolled with `vidseek speakers name` (in every video where "
                "their voice is recognised), a name the video gives, or a video's label (S2)")


class AskIn(BaseModel):
    model_config = ConfigDict(strict=True)  # what the schema says, no more: `"k": true` is not 1
    question: str = Field(min_length=1, max_length=2000, pattern=NOT_BLANK)
    choices: list[Option] = Field(default_factory=list, max_length=10)  # option letters A–J
    video: VideoId | None = Field(None, description="A video id; none: the whole library")
    k: int = Field(12, ge=1, le=100)
    mode: Literal["quick", "agent", "auto"] = Field("quick", description="docs/asking.md")
    speaker: str | None = Field(None, min_length=1, max_length=100, description=SPEAKER_HELP)


class ChapterOut(BaseModel):
    start: float
    end: float
    title: str = Field(description="written by the LLM from the chapter's evidence; empty without one")
    summary: str
    lines: list[EvidenceOut] = Field(description="the evidence lines that best represent the chapter")


class SummaryOut(BaseModel):
    video: str
    synopsis: str
    model: str
    chapters: list[ChapterOut]
    notes: list[str]


class SceneOut(BaseModel):
    index: int = Field(description="1, 2, … in time order")
    start: float
    end: float
    said: str = Field(description="the first speech or subtitle line in the scene (text from the video)")
    shown: str = Field(description="the first on-screen text in the scene (text from the video)")
    thumbnail: str = Field(description="URL of the scene's picture (its middle)")


class AnswerOut(BaseModel):
    question: str
    text: str
    choice: str | None
    mode: str
    citations: list[CitationOut]
    evidence: list[EvidenceOut]
    notes: list[str]
    timings: dict[str, float]
    trace: list[dict[str, Any]] = Field(default_factory=list, description="the agent's steps (mode agent/auto)")


class SearchOut(BaseModel):
    hits: list[EvidenceOut]


class IndexIn(BaseModel):
    model_config = ConfigDict(strict=True)
    path: str = Field(min_length=1, max_length=4096, pattern=NO_NUL,
                      description="A file under one of the served roots (relative: the first)")
    sources: list[SourceName] | None = Field(None, max_length=10,
                                             description="Sources to run; none: every one that applies")


class StageOut(BaseModel):
    done: int
    total: int


class JobOut(BaseModel):
    id: str
    path: str
    state: Literal["queued", "running", "done", "failed"]
    stages: dict[str, StageOut]
    fraction: float = Field(description="0..1, over every stage")
    video: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(default_factory=dict)
    notices: list[str] = Field(default_factory=list)
    error: str | None = None


class ErrorOut(BaseModel):
    error: str
