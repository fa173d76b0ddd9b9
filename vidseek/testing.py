"""Small fakes shipped for tests of code that uses vidseek: a chat model that replies from a script and an
embedder that hashes words. They let orchestration (the Reasoner, the Library, a plugin's tests) run with no
weights; they are never used to judge answer quality.

    from vidseek.testing import HashEmbedder, ScriptedChat
    lib = Library(tmp_path, store="memory://t", embedder=HashEmbedder())
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from vidseek.text import content_words

DIMENSIONS = 384  # as the packaged MiniLM, so stores built with either accept the other's shape


class HashEmbedder:
    """Unit vectors from hashed content words: texts sharing words are near, others are not. Deterministic."""

    name = "hash-embedder"

    def __init__(self, dimensions: int = DIMENSIONS):
        self.dimensions = dimensions

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text) or {"_"}:
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                vectors[row, int.from_bytes(digest, "little") % self.dimensions] += 1.0
            vectors[row] /= np.linalg.norm(vectors[row])
        return vectors


class ScriptedChat(BaseChatModel):
    """A chat model whose replies are given: a list (one per call, the last repeated) or a function of the
    prompt text. Every prompt it was sent is kept in `prompts`, for tests that check what a model saw."""

    replies: list[str] | Callable[[str], str] = Field(default_factory=lambda: ["A"])
    prompts: list[str] = Field(default_factory=list)
    logprobs: Callable[[str], dict[str, float]] | None = None  # first-token log-probabilities for a prompt
    scored: list[str] = Field(default_factory=list)  # the prompts whose log-probabilities were asked for

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _reply(self, messages: list[BaseMessage]) -> str:
        text = "\n".join(str(m.content) for m in messages)
        self.prompts.append(text)
        if callable(self.replies):
            return self.replies(text)
        return self.replies[min(len(self.prompts), len(self.replies)) - 1]

    def next_token_logprobs(self, messages: list[BaseMessage]) -> tuple[dict[str, float], int]:
        """The scripted first-token log-probabilities (none unless `logprobs` is given: the caller then asks for
        a written reply, as with a backend that sends none)."""
        text = "\n".join(str(m.content) for m in messages)
        self.scored.append(text)
        return (self.logprobs(text) if self.logprobs else {}), len(text.split())

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        reply = self._reply(messages)
        usage = {"completion_tokens": len(reply.split()), "prompt_tokens": len(self.prompts[-1].split())}
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply, response_metadata=usage))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for piece in re.findall(r"\S+\s*|\s+", self._reply(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(piece, response_metadata={"completion_tokens": 1}))


__all__ = ["DIMENSIONS", "HashEmbedder", "ScriptedChat"]
