"""vidseek: answer questions about long videos, with the moments that prove each answer."""

from vidseek.errors import VideoError, VidseekError
from vidseek.extractors import Extractor, ExtractorSettings, register_extractor
from vidseek.library import Library
from vidseek.pipeline.index import IndexOptions, IndexReport
from vidseek.types import Evidence, Segment, Video

__version__ = "0.2.0"  # pyproject.toml reads it; CHANGELOG.md says what changed


def index(path: str, library: str | None = None, **kwargs) -> IndexReport:
    """Index one video into a library (the default one when none is named)."""
    return Library(library).index(path, **kwargs)


__all__ = [
    "Evidence", "Extractor", "ExtractorSettings", "IndexOptions", "IndexReport", "Library", "Segment", "Video",
    "VideoError", "VidseekError", "index", "register_extractor",
]
