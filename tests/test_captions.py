from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.chat_server import chat_server
from tests.conftest import frames_chunk
from tests.tiny_models import tiny_blip
from vidseek import video
from vidseek.extractors.captions import CaptionExtractor
from vidseek.models import ModelUnavailable


def test_without_a_captioner_the_source_is_skipped_with_a_way_to_add_one(needle_video: Path) -> None:
    with pytest.raises(ModelUnavailable, match="--captioner"):
        CaptionExtractor(device="cpu").check(video.probe(needle_video))


def test_transformers_captioner_runs_a_model_built_from_its_config(needle_video: Path, tmp_path: Path) -> None:
    folder = tiny_blip(tmp_path / "blip")
    extractor = CaptionExtractor(str(folder), device="cpu")
    v = video.probe(needle_video)
    extractor.check(v)
    chunk = frames_chunk(needle_video, 10.0, 20.0)
    found = list(extractor.run(v, chunk))
    assert len(found) == len(chunk.segments)  # one caption per segment
    for item, seg in zip(found, chunk.segments):
        assert (item.start, item.end) == (round(seg.start, 2), round(seg.end, 2))
        assert item.source == "caption" and item.text
        assert seg.start <= item.meta["frame_time"] < seg.end


def test_openai_compatible_endpoint_gets_each_frame_as_an_image(needle_video: Path) -> None:
    with chat_server(lambda body, n: f"frame {n}") as (url, seen):
        extractor = CaptionExtractor(url=url, api_model="llava", api_key="k3y", device="cpu")
        v = video.probe(needle_video)
        extractor.check(v)
        chunk = frames_chunk(needle_video, 0.0, 10.0)
        found = list(extractor.run(v, chunk))
    assert [e.text for e in found] == [f"frame {i + 1}" for i in range(len(chunk.segments))]
    assert len(seen) == len(chunk.segments)
    request = seen[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer k3y"
    assert request["body"]["model"] == "llava"
    parts = request["body"]["messages"][0]["content"]
    assert parts[0]["type"] == "text"
    data_url = parts[1]["image_url"]["url"]
    assert data_url.startswith("data:image/jpeg;base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    assert picture.size == (640, 360)
