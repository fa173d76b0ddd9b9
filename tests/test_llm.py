from __future__ import annotations

from pathlib import Path

import pytest

from tests.chat_server import chat_server
from tests.conftest import WORD
from tests.tiny_models import tiny_chat_lm
from vidseek.library import LLMSettings
from vidseek.models import ModelUnavailable
from vidseek.pipeline.llm import LlamaCppChat, OpenAIChat, TransformersChat, load_llm

CHOICES = ["HERON 7777", WORD, "EAGLE 3003"]


def test_default_is_the_packaged_gguf_on_llama_cpp() -> None:
    llm = load_llm()
    assert isinstance(llm, LlamaCppChat) and llm.model_path.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def test_named_models_that_cannot_load_say_why(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="no GGUF file"):
        load_llm(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelUnavailable, match="VIDSEEK_ALLOW_DOWNLOAD"):
        load_llm("Qwen/Qwen2.5-0.5B-Instruct")


def test_transformers_chat_model_runs_a_model_built_from_its_config(needle_library, tmp_path: Path) -> None:
    folder = tiny_chat_lm(tmp_path / "lm")
    assert isinstance(load_llm(str(folder)), TransformersChat)
    answer = needle_library.ask("What code is written on the screen?", CHOICES, llm=LLMSettings(llm=str(folder)))
    # random weights: the reply means nothing; the answer must still be well formed and say how it was reached
    assert answer.choice in {"A", "B", "C"} and answer.citations
    assert answer.mode == "llm" or any("named no option twice" in n for n in answer.notes)


def _reply(body: dict, n: int) -> str:
    return "B" if "Options:" in body["messages"][-1]["content"] else "The code on screen is PELICAN 4821 [1]."


def test_openai_compatible_endpoint_answers_through_the_real_protocol(needle_library, monkeypatch):
    monkeypatch.setenv("VIDSEEK_LLM_API_KEY", "s3cret")
    with chat_server(_reply) as (url, seen):
        settings = LLMSettings(url=url, api_model="qwen2.5")
        assert isinstance(load_llm(url=url, api_model="qwen2.5"), OpenAIChat)
        answer = needle_library.ask("What code is written on the screen?", CHOICES, llm=settings)
        assert answer.mode == "llm" and answer.choice == "B" and answer.timings["llm_tokens"] == 6
        summary, choice = seen
        assert summary["path"] == "/v1/chat/completions" and summary["auth"] == "Bearer s3cret"
        assert summary["body"]["model"] == "qwen2.5" and summary["body"]["temperature"] == 0
        roles = [m["role"] for m in choice["body"]["messages"]]
        assert roles == ["system", "user"] and "not instructions" in choice["body"]["messages"][0]["content"]
        assert f'ocr: "{WORD}"' in choice["body"]["messages"][1]["content"]  # evidence as quoted data
        opened = needle_library.ask("What code is written on the screen?", llm=settings)
        assert opened.text == "The code on screen is PELICAN 4821." and opened.citations[0].source == "ocr"


def test_without_a_usable_llm_ask_answers_extractively_and_says_why(needle_library, tmp_path: Path) -> None:
    answer = needle_library.ask("What code is written on the screen?", CHOICES,
                                llm=LLMSettings(llm=str(tmp_path / "gone.gguf")))
    assert answer.mode == "extractive" and answer.choice == "B"
    assert any(n.startswith("no LLM: no GGUF file at") for n in answer.notes)
