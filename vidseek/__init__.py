"""vidseek: answer questions about long videos, with the moments that prove each answer."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vidseek.errors import VideoError, VidseekError

if TYPE_CHECKING:
    from vidseek.extractors import Extractor, ExtractorSettings, register_extractor
    from vidseek.library import Library
    from vidseek.pipeline.index import IndexOptions, IndexReport
    from vidseek.types import Evidence, Segment, Video

__version__ = "0.2.0"  # pyproject.toml reads it; CHANGELOG.md says what changed

# The public names, imported on first use (PEP 562) rather than with the package: `import vidseek` (and so
# `vidseek --help`) costs no numpy, decoder or model library; `from vidseek import Library` works as before.
_LAZY = {
    "Extractor": "vidseek.extractors", "ExtractorSettings": "vidseek.extractors",
    "register_extractor": "vidseek.extractors", "Library": "vidseek.library",
    "IndexOptions": "vidseek.pipeline.index", "IndexReport": "vidseek.pipeline.index",
    "Evidence": "vidseek.types", "Segment": "vidseek.types", "Video": "vidseek.types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vidseek' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def index(path: str, library: str | None = None, **kwargs) -> IndexReport:
    """Index one video into a library (the default one when none is named)."""
    from vidseek.library import Library

    return Library(library).index(path, **kwargs)


__all__ = [
    "Evidence", "Extractor", "ExtractorSettings", "IndexOptions", "IndexReport", "Library", "Segment", "Video",
    "VideoError", "VidseekError", "index", "register_extractor",
]
