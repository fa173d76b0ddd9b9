"""Evidence sources, found through one registry.

Adding a source is one module with an `Extractor` subclass (vidseek/extractors/base.py says what it
declares) and one registry entry: a line in BUILTINS for vidseek's own, or an entry point in the
`vidseek.extractors` group for a plugin package, e.g. in its pyproject.toml:

    [project.entry-points."vidseek.extractors"]
    faces = "vidseek_faces:FaceExtractor"

Built-ins are loaded exactly the way plugins are (a "module:Class" reference each). The CLI's flags, the
names `--sources` accepts, the cache's merge rule and the page's badges all come from here.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from importlib.metadata import entry_points
from typing import Any

from vidseek.errors import BadRequest
from vidseek.extractors.base import (
    AUDIO,
    FRAMES,
    Chunk,
    Extractor,
    NoOptions,
    Options,
    cache_key,
    merge_adjacent,
    option,
)
from vidseek.types import DERIVED_SOURCES, Evidence

log = logging.getLogger(__name__)

ENTRY_POINTS = "vidseek.extractors"
# In this order: it is the order sources run and are listed in.
BUILTINS = (
    "vidseek.extractors.subtitles:SubtitleExtractor",
    "vidseek.extractors.speech:SpeechExtractor",
    "vidseek.extractors.ocr:OcrExtractor",
    "vidseek.extractors.objects:ObjectsExtractor",
    "vidseek.extractors.tags:TagsExtractor",
    "vidseek.extractors.captions:CaptionExtractor",
)
ALIASES = {"captions": "caption", "subtitles": "subtitle", "object": "objects", "asr": "speech"}

_REGISTRY: dict[str, type[Extractor]] = {}
_loaded = False


def register_extractor(cls: type[Extractor]) -> type[Extractor]:
    """Add an extractor class to the registry (usable as a class decorator). Raises BadRequest for a class
    that is not an Extractor, or whose name or CLI flags are taken by another."""
    _load()  # the built-ins and plugins first, so a class named like one of them is refused, not let in
    if not (isinstance(cls, type) and issubclass(cls, Extractor)):
        raise BadRequest(f"{cls!r} is not a vidseek Extractor subclass")
    name = getattr(cls, "name", "")
    if not isinstance(name, str) or not name.isidentifier() or not getattr(cls, "source", ""):
        raise BadRequest(f"{cls.__qualname__}: an extractor needs a name (an identifier) and a source")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", str(cls.colour)):  # the page puts it into a style attribute
        raise BadRequest(f"{cls.__qualname__}: colour must be #rrggbb, not {cls.colour!r}")
    if _REGISTRY.get(name, cls) is not cls:
        raise BadRequest(f"two extractors are named {name!r}: {_REGISTRY[name].__qualname__} and {cls.__qualname__}")
    taken = {flag: other for other in _REGISTRY.values() if other is not cls for flag in option_flags(other)}
    clash = [f for f in option_flags(cls) if f in taken]
    if clash:
        raise BadRequest(f"{cls.__qualname__}: option --{clash[0]} is taken by {taken[clash[0]].__qualname__}")
    _REGISTRY[name] = cls
    return cls


def _load_reference(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for reference in BUILTINS:
        register_extractor(_load_reference(reference))
    for point in entry_points(group=ENTRY_POINTS):
        try:
            register_extractor(point.load())
        except Exception as exc:  # a broken plugin costs its own source, never vidseek
            log.warning("extractor plugin %s (%s) not loaded: %s", point.name, point.value, exc)


def registry() -> dict[str, type[Extractor]]:
    """Every registered extractor class by name, built-ins first, in the order they run."""
    _load()
    return dict(_REGISTRY)


def source_names() -> list[str]:
    """The names `--sources` accepts."""
    return list(registry())


def merge_gaps() -> dict[str, float]:
    """Sources whose evidence is joined across chunk borders, with the largest gap joined (seconds)."""
    return {cls.source: cls.merge_gap for cls in registry().values() if cls.merge_gap is not None}


def finishers() -> dict[str, Callable[[list[Evidence]], list[Evidence]]]:
    """Sources with a whole-video pass over their evidence when it is read (`Extractor.finish`)."""
    base = Extractor.finish.__func__  # type: ignore[attr-defined]
    return {cls.source: cls.finish for cls in registry().values() if cls.finish.__func__ is not base}  # type: ignore[attr-defined]


def page_sources() -> list[dict[str, str]]:
    """Each source's name, label and colour, for the page's badges and timeline rows (served by the API)."""
    seen: dict[str, dict[str, str]] = {}
    for cls in registry().values():
        seen.setdefault(cls.source, {"name": cls.source, "label": cls.label or cls.source.upper(),
                                     "colour": cls.colour})
    return list(seen.values())


def option_fields(cls: type[Extractor]) -> list[Any]:
    """The fields of an extractor's options that are command-line flags."""
    return [f for f in fields(cls.options_type) if "help" in f.metadata]


def option_flags(cls: type[Extractor]) -> list[str]:
    return [f.metadata.get("flag") or f.name.replace("_", "-") for f in option_fields(cls)]


def parse_sources(text: str | list[str] | None) -> list[str] | None:
    """Source names from `--sources a,b` (aliases such as 'subtitles' allowed); None: every source."""
    if not text:
        return None
    parts = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    names = [ALIASES.get(n.strip(), n.strip()) for n in parts if n.strip()]
    return names or None


def check_filter(sources: Iterable[str] | None, derived: bool = True) -> None:
    """A filter names sources that exist: an unknown one would silently match nothing (a search that finds
    nothing, exit 0). `derived`: the rows a model wrote (chapter, synopsis) may be named too. The CLI, MCP
    and export refuse with this one message."""
    known = [*source_names(), *(sorted(DERIVED_SOURCES) if derived else [])]
    unknown = [name for name in sources or [] if name not in known]
    if unknown:
        raise BadRequest(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(known)}")


def source_filter(text: str | list[str] | None) -> list[str] | None:
    """`--source` as given on the command line (aliases allowed), checked: None when not given."""
    names = parse_sources(text)
    check_filter(names)
    return names


@dataclass
class ExtractorSettings:
    """The user's choices for every source: the device, and each extractor's options (its defaults where none
    are given). Picklable: batch workers on other processes and machines build their extractors from it."""

    device: str = "auto"
    options: dict[str, Options] = field(default_factory=dict)  # by extractor name

    def options_for(self, cls: type[Extractor]) -> Options:
        given = self.options.get(cls.name)
        if given is None:
            return cls.options_type()
        if not isinstance(given, cls.options_type):
            raise BadRequest(f"options for {cls.name} must be {cls.options_type.__name__}, not {type(given).__name__}")
        return given

    @classmethod
    def from_flags(cls, device: str, values: dict[str, Any]) -> ExtractorSettings:
        """Settings from the CLI's flag values (by field name), each given to the extractor that declares it."""
        options: dict[str, Options] = {}
        for name, ext in registry().items():
            mine = {f.name: values[f.name] for f in option_fields(ext) if f.name in values}
            if mine:
                options[name] = ext.options_type(**mine)
        return cls(device=device, options=options)


def build(sources: list[str] | None, settings: ExtractorSettings) -> list[Extractor]:
    """Extractors for the named sources (all when None), configured from the settings, in registry order.
    Raises BadRequest for a name that is not registered."""
    known = registry()
    names = list(known) if sources is None else sources
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadRequest(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return [cls.from_options(settings.options_for(cls), settings.device) for n, cls in known.items() if n in names]


def __getattr__(name: str) -> Any:
    # the built-in classes, imported on first use (vidseek.extractors.SpeechExtractor) rather than at import
    for reference in BUILTINS:
        if reference.endswith(f":{name}"):
            return _load_reference(reference)
    raise AttributeError(f"module 'vidseek.extractors' has no attribute {name!r}")


__all__ = [
    "ALIASES", "AUDIO", "BUILTINS", "ENTRY_POINTS", "FRAMES", "Chunk", "Extractor", "ExtractorSettings",
    "NoOptions", "Options", "build", "cache_key", "finishers", "merge_adjacent", "merge_gaps", "option",
    "option_fields",
    "option_flags", "page_sources", "parse_sources", "register_extractor", "registry", "source_names",
]
