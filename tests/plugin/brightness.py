"""An extra evidence source for the registry test: how bright each segment's middle frame is. It lives in the
test folder and reaches vidseek only through the `vidseek.extractors` entry point group, like any plugin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vidseek.errors import BadRequest
from vidseek.extractors import FRAMES, Chunk, Extractor, Options, option
from vidseek.types import Evidence, Video


@dataclass(frozen=True)
class BrightnessOptions(Options):
    brightness_threshold: float = option(0.5, "Mean level (0-1) above which a frame is called bright.")

    def validate(self) -> None:
        if not 0 <= self.brightness_threshold <= 1:
            raise BadRequest(f"brightness: the threshold must be from 0 to 1, not {self.brightness_threshold}")


class BrightnessExtractor(Extractor):
    """'bright' or 'dark' per segment, from the mean pixel level of its middle frame."""

    name = "brightness"
    source = "brightness"
    needs = frozenset({FRAMES})
    options_type = BrightnessOptions
    colour = "#f1c40f"

    def __init__(self, brightness_threshold: float = 0.5, device: str = "auto"):
        self.threshold = brightness_threshold

    def config(self) -> dict[str, Any]:
        return {"threshold": self.threshold}

    def run(self, video: Video, chunk: Chunk) -> Iterable[Evidence]:
        found = []
        for segment in chunk.segments:
            frames = segment.middle_frames(1)
            if frames:
                level = float(frames[0].image.mean()) / 255
                word = "bright" if level > self.threshold else "dark"
                found.append(Evidence(video.fingerprint, segment.start, segment.end, self.source,
                                      f"a {word} picture (level {level:.2f})", extractor=self.name,
                                      extractor_version=self.version))
        return found
