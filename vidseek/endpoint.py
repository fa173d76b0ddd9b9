"""The one client for OpenAI-compatible /chat/completions endpoints (Ollama, vLLM, a llama.cpp server),
shared by the LLM backend and the captioner so both fail the same way: a BackendFailure naming the endpoint
and what went wrong, in one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

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
            reason = f"HTTP {exc.response.status_code}: {exc.response.text[:160].strip()}"
        else:
            reason = str(exc)[:200] or type(exc).__name__
        return BackendFailure(f"the endpoint {self.url} failed ({reason})")

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """The whole reply as JSON (with `choices[0].message`). Raises BackendFailure."""
        try:
            reply = requests.post(self.url, json={**body, "stream": False}, headers=self.headers, timeout=self.timeout)
            reply.raise_for_status()
            data = reply.json()
            data["choices"][0]["message"]  # noqa: B018  (a reply without it is a failure too)
            return data
        except (requests.RequestException, KeyError, IndexError, TypeError, ValueError) as exc:
            raise self._failed(exc) from exc

    @contextmanager
    def stream(self, body: dict[str, Any]) -> Iterator[Iterator[str]]:
        """The reply's server-sent event payloads (the JSON after `data:`), up to `[DONE]`. Raises BackendFailure."""
        try:
            reply = requests.post(self.url, json={**body, "stream": True}, headers=self.headers, timeout=self.timeout,
                                  stream=True)
            reply.raise_for_status()
        except requests.RequestException as exc:
            raise self._failed(exc) from exc

        def payloads() -> Iterator[str]:
            try:
                for line in reply.iter_lines(decode_unicode=True):
                    if not line or not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        return
                    yield payload
            except requests.RequestException as exc:
                raise self._failed(exc) from exc

        with reply:
            yield payloads()
