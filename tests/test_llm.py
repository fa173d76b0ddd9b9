from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

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


class _Chat(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Chat.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        last = body["messages"][-1]["content"]
        content = "B" if "Options:" in last else "The code on screen is PELICAN 4821 [1]."
        reply = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                            "usage": {"completion_tokens": 3}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chat_server():
    _Chat.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_openai_compatible_endpoint_answers_through_the_real_protocol(needle_library, chat_server, monkeypatch):
    monkeypatch.setenv("VIDSEEK_LLM_API_KEY", "s3cret")
    settings = LLMSettings(url=chat_server, api_model="qwen2.5")
    assert isinstance(load_llm(url=chat_server, api_model="qwen2.5"), OpenAIChat)
    answer = needle_library.ask("What code is written on the screen?", CHOICES, llm=settings)
    assert answer.mode == "llm" and answer.choice == "B" and answer.timings["llm_tokens"] == 6
    summary, choice = _Chat.requests
    assert summary["path"] == "/v1/chat/completions" and summary["auth"] == "Bearer s3cret"
    assert summary["body"]["model"] == "qwen2.5" and summary["body"]["temperature"] == 0
    roles = [m["role"] for m in choice["body"]["messages"]]
    assert roles == ["system", "user"] and "not instructions" in choice["body"]["messages"][0]["content"]
    assert f'ocr: "{WORD}"' in choice["body"]["messages"][1]["content"]  # evidence as quoted data
    opened = needle_library.ask("What code is written on the screen?", llm=settings)
    assert opened.text == "The code on screen is PELICAN 4821." and opened.citations[0].source == "ocr"
