"""Evidence sources. Adding one: write a module with an Extractor class and list it in EXTRACTORS."""

from __future__ import annotations

from dataclasses import dataclass

from vidseek.extractors.base import Chunk, Extractor, cache_key, merge_adjacent
from vidseek.extractors.captions import CaptionExtractor
from vidseek.extractors.objects import ObjectsExtractor
from vidseek.extractors.ocr import OcrExtractor
from vidseek.extractors.speech import SpeechExtractor
from vidseek.extractors.subtitles import SubtitleExtractor

EXTRACTORS: dict[str, type] = {
    "subtitle": SubtitleExtractor,
    "speech": SpeechExtractor,
    "ocr": OcrExtractor,
    "objects": ObjectsExtractor,
    "caption": CaptionExtractor,
}

__all__ = [
    "EXTRACTORS", "CaptionExtractor", "Chunk", "Extractor", "ExtractorSettings", "ObjectsExtractor",
    "OcrExtractor", "build",
    "SpeechExtractor", "SubtitleExtractor", "cache_key", "merge_adjacent",
]


@dataclass
class ExtractorSettings:
    """The user's model choices for every source (None: the packaged default, where one exists)."""

    device: str = "auto"
    whisper_model: str | None = None
    language: str | None = None
    captioner: str | None = None
    captioner_url: str | None = None
    captioner_model: str = "default"
    captioner_api_key: str | None = None
    yolo: str | None = None
    ocr_languages: tuple[str, ...] = ("en",)
    subtitle_dirs: tuple[str, ...] = ()  # more folders to find VIDEO_NAME.srt in (Video-MME keeps them apart)


def build(sources: list[str] | None, settings: ExtractorSettings) -> list[Extractor]:
    """Extractors for the named sources (all when None), configured from the settings."""
    names = list(EXTRACTORS) if sources is None else sources
    unknown = [n for n in names if n not in EXTRACTORS]
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(EXTRACTORS)}")
    made: dict[str, Extractor] = {}
    for name in names:
        if name == "subtitle":
            made[name] = SubtitleExtractor(folders=settings.subtitle_dirs)
        elif name == "speech":
            made[name] = SpeechExtractor(settings.whisper_model, settings.device, settings.language)
        elif name == "ocr":
            made[name] = OcrExtractor(settings.ocr_languages, settings.device)
        elif name == "objects":
            made[name] = ObjectsExtractor(settings.yolo, settings.device)
        elif name == "caption":
            made[name] = CaptionExtractor(
                settings.captioner, settings.captioner_url, settings.captioner_model,
                settings.captioner_api_key, settings.device,
            )
    # subtitles first: whether a file has them decides whether speech runs
    return [made[n] for n in EXTRACTORS if n in made]
