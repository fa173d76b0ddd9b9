"""LLM backends behind langchain-core's chat-model interface, chosen through one registry.

The packaged default is Qwen2.5-Coder-1.5B-Instruct (GGUF, joined from wheel parts and verified by hash)
run in-process by xllamacpp's prebuilt llama.cpp. `--llm` also takes `qwen0.5b`, `smollm2`, any GGUF file
or a transformers model; `--llm-url` any OpenAI-compatible endpoint. The llama.cpp and endpoint backends
stream: `stream()` yields the reply as it is generated, which `vidseek ask` prints so a 10 s answer never
looks frozen (the others hand `stream()` their whole reply at once, langchain's default).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from vidseek import models
from vidseek.endpoint import ChatEndpoint
from vidseek.errors import BackendFailure

DEFAULT_LLM = "qwen1.5b"  # chosen by measurement: docs/models.md, benchmarks/RESULTS.md
MAX_TOKENS = 160
TOP_LOGPROBS = 20  # first-token alternatives asked for when scoring option letters (OpenAI allows up to 20)
CONTEXT = 4096
HTTP_TIMEOUT_S = 300
CHARS_PER_TOKEN = 16  # a reply's characters read per token asked for (English tokens average about 4)
BYTES_PER_TOKEN = 1024  # and its bytes on the wire, where each streamed token comes wrapped in JSON


def _roles(messages: list[BaseMessage]) -> list[dict[str, str]]:
    names = {"human": "user", "ai": "assistant", "system": "system"}
    return [{"role": names.get(m.type, "user"), "content": str(m.content)} for m in messages]


def _result(text: str, tokens: int = 0, prompt_tokens: int = 0) -> ChatResult:
    usage = {"completion_tokens": tokens, "prompt_tokens": prompt_tokens}
    return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text.strip(), response_metadata=usage))],
                      llm_output=usage)


def _chunk(text: str, tokens: int = 0) -> ChatGenerationChunk:
    return ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata={"completion_tokens": tokens}))


def _delta_text(data: dict[str, Any]) -> str:
    """The text of one streamed chat-completion chunk (OpenAI's format, which llama.cpp also speaks)."""
    return "".join((c.get("delta") or {}).get("content") or "" for c in data.get("choices") or [])


def first_token_logprobs(reply: dict[str, Any]) -> dict[str, float]:
    """The top log-probabilities of a chat completion's first token, by its text stripped of spaces (the best
    of " B" and "B"): OpenAI's `logprobs.content[0].top_logprobs`, which llama.cpp also writes. Empty when the
    backend sent none."""
    choices = reply.get("choices") or [{}]
    content = ((choices[0] or {}).get("logprobs") or {}).get("content") or []
    best: dict[str, float] = {}
    for entry in (content[0].get("top_logprobs") or []) if content else []:
        token, value = str(entry.get("token", "")).strip(), entry.get("logprob")
        if token and isinstance(value, (int, float)) and value > best.get(token, float("-inf")):
            best[token] = float(value)
    return best


def _raise_if_error(reply: dict[str, Any]) -> None:
    if "error" in reply:
        raise BackendFailure(f"llama.cpp: {reply['error'].get('message', reply['error'])}")


def threads() -> int:
    """CPU threads for a local model: $VIDSEEK_THREADS when set (to leave cores to other work), else every core."""
    return int(os.environ.get("VIDSEEK_THREADS") or 0) or os.cpu_count() or 1


class XLlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by xllamacpp (prebuilt llama.cpp; nothing is compiled at install).

    llama.cpp's server core also listens on a loopback port; it is given a random API key that nobody
    learns, so only this process can use it. The prompt prefix is cached between calls, so a second prompt
    over the same evidence costs only its new tokens.
    """

    model_path: str
    max_tokens: int = MAX_TOKENS
    n_ctx: int = CONTEXT
    gpu_layers: int = 0
    _server: Any = None
    _lock: Any = None

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    def _load(self) -> Any:
        if self._server is None:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = self.model_path
            params.n_ctx = self.n_ctx
            params.n_parallel = 1
            params.cpuparams.n_threads = threads()
            params.cpuparams_batch.n_threads = threads()
            params.n_gpu_layers = self.gpu_layers
            params.warmup = False
            params.verbosity = -1
            params.api_keys = [secrets.token_hex(24)]
            params.sampling.seed = 0
            self._server = xllamacpp.Server(params)
            self._lock = threading.Lock()
        return self._server

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"messages": _roles(messages), "temperature": 0.0, "max_tokens": self.max_tokens,
                                "cache_prompt": True}
        if stop:
            body["stop"] = stop
        return body

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        server = self._load()
        with self._lock:
            reply = server.handle_chat_completions(self._request(messages, stop))
        _raise_if_error(reply)
        usage = reply.get("usage") or {}
        return _result(reply["choices"][0]["message"].get("content") or "", usage.get("completion_tokens", 0),
                       usage.get("prompt_tokens", 0))

    def next_token_logprobs(self, messages: list[BaseMessage]) -> tuple[dict[str, float], int]:
        """The log-probabilities of the reply's first token (its TOP_LOGPROBS likeliest), and the prompt's
        tokens: one token generated, so scoring an option letter costs the prompt's new tokens only."""
        server = self._load()
        body = {**self._request(messages, None), "max_tokens": 1, "logprobs": True, "top_logprobs": TOP_LOGPROBS}
        with self._lock:
            reply = server.handle_chat_completions(body)
        _raise_if_error(reply)
        return first_token_logprobs(reply), int((reply.get("usage") or {}).get("prompt_tokens", 0) or 0)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        # llama.cpp calls back from its own thread; the chunks are handed over through a queue
        import queue

        server = self._load()
        chunks: queue.Queue[Any] = queue.Queue()
        done = object()

        def work() -> None:
            try:
                with self._lock:
                    server.handle_chat_completions({**self._request(messages, stop), "stream": True}, chunks.put)
            except Exception as exc:  # handed to the caller's thread
                chunks.put(exc)
            chunks.put(done)

        threading.Thread(target=work, daemon=True).start()
        while (item := chunks.get()) is not done:
            if isinstance(item, Exception):
                raise item
            _raise_if_error(item)
            if text := _delta_text(item):
                yield _chunk(text, 1)


class LlamaCppChat(BaseChatModel):
    """A GGUF model run by llama-cpp-python (optional: it compiles at install; `pip install 'vidseek[llama]'`)."""

    model_path: str
    max_tokens: int = MAX_TOKENS
    n_ctx: int = CONTEXT
    _llama: Any = None

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=threads(),
                                verbose=False, seed=0)
        reply = self._llama.create_chat_completion(messages=_roles(messages), temperature=0.0,
                                                   max_tokens=self.max_tokens, stop=stop)
        return _result(reply["choices"][0]["message"]["content"] or "",
                       reply.get("usage", {}).get("completion_tokens", 0))


class TransformersChat(BaseChatModel):
    """Any transformers causal LM with a chat template (a hub id or a local folder)."""

    model_id: str
    device: str = "cpu"
    max_tokens: int = MAX_TOKENS
    _model: Any = None
    _tokenizer: Any = None

    @property
    def _llm_type(self) -> str:
        return "transformers"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if self._model is None:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_id)
            self._model = AutoModelForCausalLM.from_pretrained(self.model_id).to(self.device).eval()
        ids = self._tokenizer.apply_chat_template(_roles(messages), add_generation_prompt=True,
                                                  return_tensors="pt", return_dict=True).to(self.device)
        with torch.inference_mode():
            out = self._model.generate(**ids, max_new_tokens=self.max_tokens, do_sample=False)
        new = out[0, ids["input_ids"].shape[1]:]
        return _result(self._tokenizer.decode(new, skip_special_tokens=True), len(new))


class OpenAIChat(BaseChatModel):
    """An OpenAI-compatible /chat/completions endpoint: Ollama, vLLM, a llama.cpp server, …"""

    url: str
    model: str
    api_key: str | None = None
    max_tokens: int = MAX_TOKENS

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    def _body(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": _roles(messages), "temperature": 0,
                                "max_tokens": self.max_tokens}
        if stop:
            body["stop"] = stop
        return body

    @property
    def max_chars(self) -> int:
        """The most characters of a reply read: an endpoint may ignore max_tokens, and what it sends is read,
        shown while streamed and put into the answer."""
        return self.max_tokens * CHARS_PER_TOKEN

    @property
    def max_bytes(self) -> int:
        """The most bytes read from one reply, its JSON wrapping included (a stream wraps every token)."""
        return self.max_tokens * BYTES_PER_TOKEN + 65536

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        data = ChatEndpoint(self.url, self.api_key, HTTP_TIMEOUT_S).complete(self._body(messages, stop),
                                                                             self.max_bytes)
        usage = data.get("usage") or {}
        content = data["choices"][0]["message"].get("content") or ""
        return _result(str(content)[: self.max_chars], usage.get("completion_tokens", 0),
                       usage.get("prompt_tokens", 0))

    def next_token_logprobs(self, messages: list[BaseMessage]) -> tuple[dict[str, float], int]:
        """As XLlamaCppChat's; an endpoint that does not send log-probabilities gives none (the caller then asks
        for a written reply)."""
        body = {**self._body(messages, None), "max_tokens": 1, "logprobs": True, "top_logprobs": TOP_LOGPROBS}
        data = ChatEndpoint(self.url, self.api_key, HTTP_TIMEOUT_S).complete(body, self.max_bytes)
        return first_token_logprobs(data), int((data.get("usage") or {}).get("prompt_tokens", 0) or 0)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        left = self.max_chars
        with ChatEndpoint(self.url, self.api_key, HTTP_TIMEOUT_S).stream(self._body(messages, stop),
                                                                         self.max_bytes) as payloads:
            for payload in payloads:
                if text := _delta_text(json.loads(payload))[:left]:
                    yield _chunk(text, 1)
                    left -= len(text)
                if left <= 0:
                    return  # read no further: leaving closes the connection


# --- the registry -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LLMRequest:
    """What the user asked for: a name/path/id (`--llm`), an endpoint (`--llm-url`), and the device."""

    target: str
    url: str | None = None
    api_model: str | None = None
    device: str = "auto"


@dataclass(frozen=True)
class Backend:
    """One way to run a chat model: `accepts` says whether it serves a request, `load` builds the model."""

    name: str
    accepts: Callable[[LLMRequest], bool]
    load: Callable[[LLMRequest], BaseChatModel]


BACKENDS: list[Backend] = []


def register_backend(backend: Backend) -> Backend:
    """Add a backend; the first registered that accepts a request serves it (built-ins register this way)."""
    BACKENDS.append(backend)
    return backend


def _gpu_layers(device: str) -> int:
    return 999 if models.resolve_device(device).startswith("cuda") else 0


def _load_gguf(request: LLMRequest) -> BaseChatModel:
    path = Path(request.target).expanduser()
    if not path.exists():
        raise models.ModelUnavailable(f"no GGUF file at '{request.target}'")
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:
            raise models.ModelUnavailable(
                "no llama.cpp runtime is installed (pip install xllamacpp); answering extractively") from exc
        return LlamaCppChat(model_path=str(path))
    return XLlamaCppChat(model_path=str(path), gpu_layers=_gpu_layers(request.device))


def _load_transformers(request: LLMRequest) -> BaseChatModel:
    models.require_local("LLM", request.target)
    return TransformersChat(model_id=request.target, device=models.resolve_device(request.device))


register_backend(Backend(
    "openai-compatible", lambda r: bool(r.url),
    lambda r: OpenAIChat(url=r.url or "", model=r.api_model or "default",
                         api_key=os.environ.get("VIDSEEK_LLM_API_KEY"))))
register_backend(Backend("gguf", lambda r: r.target.endswith(".gguf"), _load_gguf))
register_backend(Backend("transformers", lambda r: True, _load_transformers))


def packaged_path(name: str) -> str:
    """The file behind a packaged model's name (qwen1.5b, qwen0.5b, smollm2)."""
    if name == "smollm2":
        return str(models.smollm2_gguf())
    return str(models.packaged_gguf(name))


PACKAGED_NAMES = ("qwen1.5b", "qwen0.5b", "smollm2")


def load_llm(llm: str | None = None, url: str | None = None, api_model: str | None = None,
             device: str = "auto") -> BaseChatModel:
    """The chat model the user named (a packaged name, a GGUF file, a transformers id/folder, an endpoint),
    else the packaged default. Raises ModelUnavailable when none can run."""
    if not url:
        models.stay_offline()
    target = llm or DEFAULT_LLM
    if not url and target.lower() in PACKAGED_NAMES:
        target = packaged_path(target.lower())
    request = LLMRequest(target, url, api_model, device)
    backend = next(b for b in BACKENDS if b.accepts(request))
    return backend.load(request)
