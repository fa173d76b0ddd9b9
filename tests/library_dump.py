"""Everything a library holds, in a form two libraries can be compared by (exactly)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from vidseek.library import Library
from vidseek.store.base import EvidenceFilter

VIDSEEK = [sys.executable, "-m", "vidseek"]


def dump(library: Path) -> dict:
    """Per video: its record's completeness, its cached evidence, and its rows in the store."""
    lib = Library(library)
    out: dict = {}
    for record in lib.videos():
        fp = record.video.fingerprint
        rows = sorted((i, e.to_dict()) for i, e in lib.store.get(EvidenceFilter(videos=(fp,))))
        out[Path(record.video.path).name] = {
            "complete": record.complete,
            "evidence": [e.to_dict() for e in lib.cache.evidence(fp)],
            "store": rows,
            "listed": [(v.evidence, v.sources) for v in lib.store.list_videos([fp])],
        }
    return out


def index_command(video: Path, library: Path, *extra: str) -> list[str]:
    return [*VIDSEEK, "index", str(video), "-L", str(library), "--device", "cpu", *extra]


def run_index(video: Path, library: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(index_command(video, library, *extra), capture_output=True, text=True, timeout=600)
