"""Which files a batch indexes: paths and folders from the command line, a glob, a manifest file."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from vidseek.errors import BadRequest

# what a folder is searched for when no --glob is given (audio too: speech-only files are worth indexing)
MEDIA_SUFFIXES = (
    ".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".wmv", ".flv", ".3gp",
    ".mp3", ".wav", ".m4a", ".flac", ".ogg", ".opus",
)


def read_manifest(path: str | os.PathLike[str]) -> list[Path]:
    """Paths listed in a manifest: .csv with a `path` column (else the first column), or one path per line.

    Relative paths are taken from the manifest's folder; blank lines and lines starting with # are skipped.
    """
    manifest = Path(path)
    if not manifest.is_file():
        raise BadRequest(f"manifest '{manifest}' does not exist")
    text = manifest.read_text(encoding="utf-8-sig")
    if manifest.suffix.lower() == ".csv":
        rows = [r for r in csv.reader(text.splitlines()) if r and r[0].strip() and not r[0].startswith("#")]
        header = [c.strip().lower() for c in rows[0]] if rows else []
        column = header.index("path") if "path" in header else 0
        names = [r[column].strip() for r in rows[1 if "path" in header else 0:] if len(r) > column]
    else:
        names = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [p if p.is_absolute() else manifest.parent / p for p in map(Path, names)]


def _in_folder(folder: Path, glob: str | None) -> list[Path]:
    if glob:
        return sorted(p for p in folder.rglob(glob) if p.is_file())
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MEDIA_SUFFIXES)


def collect(sources: Sequence[str | os.PathLike[str]], glob: str | None = None,
            manifest: str | os.PathLike[str] | None = None) -> list[Path]:
    """Every file to index, in order, each once. A named file is kept even if missing or oddly named, so the
    batch reports it; a folder contributes its media files (or those matching the glob), recursively."""
    named = [Path(s) for s in sources] + (read_manifest(manifest) if manifest else [])
    found: list[Path] = []
    for path in named:
        found.extend(_in_folder(path, glob) if path.is_dir() else [path])
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique
