"""The one client for OpenAI-compatible /chat/completions endpoints (Ollama, vLLM, a llama.cpp server),
shared by the LLM backend and the captioner so both fail the same way: a BackendFailure naming the endpoint
and what went wrong, in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3

from vidseek.errors import BackendFailure

HTTP_TIMEOUT_S = 300


class ChatEndpoint:
    """POSTs chat completion bodies to `URL/chat/completions`, with a Bearer key when one is given."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = HTTP_TIMEOUT_S):
        self.url = url.rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout

    def _failed(self, exc: Exception) -> BackendFailure:
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            reason = f"HTTP {exc.response.status_code}: {_head(exc.response)[:160].strip()}"
        else:
            reason = str(exc)[:200] or type(exc).__name__
        return BackendFailure(f"the endpoint {self.url} failed ({reason})")

    def complete(self, body: dict[str, Any], max_bytes: int | None = None) -> dict[str, Any]:
        """The whole reply as JSON (with `choices[0].message`). Raises BackendFailure, also for a reply over
        `max_bytes` (read no further: an endpoint that ignores max_tokens cannot fill the memory)."""
        try:
            reply = requests.post(self.url, json={**body, "stream": False}, headers=self.headers, timeout=self.timeout,
                                  stream=True)
            with reply:
                try:
                    reply.raise_for_status()
                except requests.HTTPError as exc:  # its text read here, before the connection closes
                    raise self._failed(exc) from exc
                raw = reply.raw.read(None if max_bytes is None else max_bytes + 1, decode_content=True)
            if max_bytes is not None and len(raw) > max_bytes:
                raise BackendFailure(f"the endpoint {self.url} failed (its reply is longer than {max_bytes:,} bytes: "
                                     "does it ignore max_tokens?)")
            data = json.loads(raw)
            data["choices"][0]["message"]  # noqa: B018  (a reply without it is a failure too)
            return data
        except (requests.RequestException, urllib3.exceptions.HTTPError, KeyError, IndexError, TypeError,
                ValueError) as exc:
            raise self._failed(exc) from exc

    @contextmanager
    def stream(self, body: dict[str, Any], max_bytes: int | None = None) -> Iterator[Iterator[str]]:
        """The reply's server-sent event payloads (the JSON after `data:`), up to `[DONE]`, or until `max_bytes`
        were read: then reading stops and the connection is closed (a line is never held longer than that
        either). Raises BackendFailure."""
        try:
            reply = requests.post(self.url, json={**body, "stream": True}, headers=self.headers, timeout=self.timeout,
                                  stream=True)
            reply.raise_for_status()
        except requests.RequestException as exc:
            raise self._failed(exc) from exc

        def payloads() -> Iterator[str]:
            try:
                for line in _lines(reply.iter_content(CHUNK), max_bytes):
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        return
                    yield payload
            except requests.RequestException as exc:
                raise self._failed(exc) from exc

        with reply:
            yield payloads()


CHUNK = 8192  # bytes read from a stream at a time


def _head(reply: requests.Response) -> str:
    """The start of an error reply's body, reading no more of it than that (the reply is streamed)."""
    try:
        return reply.raw.read(1024, decode_content=True).decode("utf-8", "replace")
    except (OSError, urllib3.exceptions.HTTPError, AttributeError):
        return ""


def _lines(pieces: Iterator[bytes], max_bytes: int | None) -> Iterator[str]:
    """The text lines of a byte stream, ending quietly once more than `max_bytes` came."""
    read = 0
    pending = b""
    for piece in pieces:
        read += len(piece)
        if max_bytes is not None and read > max_bytes:
            return
        *lines, pending = (pending + piece).split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r").decode("utf-8", "replace")
    if pending:
        yield pending.rstrip(b"\r").decode("utf-8", "replace")
