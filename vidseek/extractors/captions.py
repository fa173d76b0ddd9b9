"""Captions: one sentence per segment from its middle frame.

Two backends: a transformers image-to-text model named by id or path (BLIP, Florence-2, SmolVLM, …),
or any OpenAI-compatible vision endpoint (Ollama, vLLM, llama.cpp server). No installable package
carries captioner weights, so with neither given the source is skipped and the index says how to add one.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from PIL import Image

from vidseek import models
from vidseek.endpoint import ChatEndpoint
from vidseek.extractors.base import FRAMES, Chunk, Extractor, Options, option
from vidseek.types import Evidence, Video

PROMPT = "Describe this video frame in one short sentence."
MAX_NEW_TOKENS = 40
HTTP_TIMEOUT_S = 120


class _Captioner(Protocol):
    def caption(self, images: Sequence[np.ndarray]) -> list[str]: ...


class _Transformers:
    """An image-to-text model from transformers; chat-style VLMs get the prompt as a user turn."""

    def __init__(self, model_id: str, device: str, prompt: str, batch_size: int):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.processor = AutoProcessor.from_pretrained(model_id)
        self.model = AutoModelForImageTextToText.from_pretrained(model_id).to(device).eval()
        self.device, self.prompt, self.batch_size = device, prompt, batch_size
        self.chat = bool(getattr(self.processor, "chat_template", None))

    def _inputs(self, pictures: list[Image.Image]) -> Any:
        if not self.chat:
            return self.processor(images=pictures, return_tensors="pt")
        turn = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": self.prompt}]}]
        text = self.processor.apply_chat_template(turn, add_generation_prompt=True)
        return self.processor(text=[text] * len(pictures), images=[[p] for p in pictures], return_tensors="pt")

    def caption(self, images: Sequence[np.ndarray]) -> list[str]:
        import torch

        out: list[str] = []
        for i in range(0, len(images), self.batch_size):
            pictures = [Image.fromarray(im) for im in images[i : i + self.batch_size]]
            inputs = self._inputs(pictures).to(self.device)
            with torch.inference_mode():
                ids = self.model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS, do_sample=False)
            if not self.model.config.is_encoder_decoder and "input_ids" in inputs:
                ids = ids[:, inputs["input_ids"].shape[1] :]  # decoder-only: drop the echoed prompt
            out.extend(t.strip() for t in self.processor.batch_decode(ids, skip_special_tokens=True))
        return out


class _Endpoint:
    """POST /chat/completions with the frame as a data: URL, one request per frame."""

    def __init__(self, url: str, model: str, api_key: str | None, prompt: str):
        self.endpoint = ChatEndpoint(url, api_key, HTTP_TIMEOUT_S)
        self.model, self.prompt = model, prompt

    def caption(self, images: Sequence[np.ndarray]) -> list[str]:
        return [self._one(image) for image in images]

    def _one(self, image: np.ndarray) -> str:
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="JPEG", quality=85)
        data_url = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
        body = {
            "model": self.model,
            "max_tokens": MAX_NEW_TOKENS,
            "temperature": 0,
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": self.prompt},
                {"type": "image_url", "image_url": {"url": data_url}},
            ]}],
        }
        return str(self.endpoint.complete(body)["choices"][0]["message"].get("content") or "").strip()


API_KEY_ENV = "VIDSEEK_CAPTIONER_API_KEY"  # read when the extractor is made, never kept in settings


@dataclass(frozen=True)
class CaptionOptions(Options):
    captioner: str | None = option(None, "Captioner: a transformers image-to-text model id or folder (BLIP, "
                                         "Florence-2, SmolVLM).")
    captioner_url: str | None = option(None, "OpenAI-compatible endpoint for captions, e.g. "
                                             "http://localhost:11434/v1 (Ollama).")
    captioner_model: str = option("default", "Model name sent to --captioner-url.")
    prompt: str = PROMPT
    batch_size: int = 8


class CaptionExtractor(Extractor):
    """A caption of each segment's middle frame."""

    name = "caption"
    version = "1"
    source = "caption"
    needs = frozenset({FRAMES})
    options_type = CaptionOptions
    colour = "#8e44ad"

    def __init__(
        self,
        model: str | None = None,
        url: str | None = None,
        api_model: str = "default",
        api_key: str | None = None,
        device: str = "auto",
        prompt: str = PROMPT,
        batch_size: int = 8,
    ):
        self.model = model
        self.url = url
        self.api_model = api_model
        self.api_key = api_key
        self.device = models.resolve_device(device)
        self.prompt = prompt
        self.batch_size = batch_size
        self.model_calls = 0
        self._captioner: _Captioner | None = None

    @classmethod
    def from_options(cls, options: Options, device: str) -> CaptionExtractor:
        assert isinstance(options, CaptionOptions)
        return cls(options.captioner, options.captioner_url, options.captioner_model, os.environ.get(API_KEY_ENV),
                   device, options.prompt, options.batch_size)

    def _model_id(self) -> str | None:
        if self.model is None and self.url is None and models.downloads_allowed():
            return models.DEFAULT_CAPTIONER
        return self.model

    def config(self) -> dict[str, Any]:
        if self.url:
            return {"url": self.url, "api_model": self.api_model, "prompt": self.prompt}
        return {"model": self._model_id(), "prompt": self.prompt}

    def check(self, video: Video) -> None:
        super().check(video)
        if self.url:
            return
        model_id = self._model_id()
        if model_id is None:
            raise models.ModelUnavailable(
                "no captioner installed; pass --captioner ID_OR_PATH or --captioner-url URL "
                f"(or set {models.ALLOW_DOWNLOAD_ENV}=1 to fetch {models.DEFAULT_CAPTIONER})"
            )
        models.require_local("captioner", model_id)

    def _load(self) -> _Captioner:
        if self._captioner is None:
            models.stay_offline()
            if self.url:
                self._captioner = _Endpoint(self.url, self.api_model, self.api_key, self.prompt)
            else:
                model_id = self._model_id()
                assert model_id is not None
                self._captioner = _Transformers(model_id, self.device, self.prompt, self.batch_size)
        return self._captioner

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        picks = [(seg, frames[0]) for seg in chunk.segments if (frames := seg.middle_frames(1))]
        if not picks:
            return []
        self.model_calls += 1
        texts = self._load().caption([frame.image for _, frame in picks])
        return [
            Evidence(
                fingerprint=video.fingerprint, start=round(seg.start, 2), end=round(seg.end, 2), source="caption",
                text=text, extractor=self.name, extractor_version=self.version,
                meta={"frame_time": round(frame.time, 2)},
            )
            for (seg, frame), text in zip(picks, texts)
            if text
        ]
