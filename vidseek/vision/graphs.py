"""ONNX graphs that vidseek derives from packaged weights, kept in the model cache under a key of what they
were derived from.

Why: building them costs more than reading them. YOLOv3-tiny's graph from its Darknet files, its int8 copy
(calibrated: ~3 s) and EfficientNet-Lite0's export from torch took about a second of each index run
between them, an eighth of what the picture sources cost a 10-minute video; read from the cache they take
milliseconds, and `onnx` is not even imported. The key names the source files' pinned SHA-256s, the code
that builds the graph (a version) and the library versions that shape the result, so a changed input
builds anew. A file is written under a temporary name and renamed: processes that build at once never see
half of one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable

from vidseek import models


def cached(name: str, key: str, build: Callable[[], bytes]) -> bytes:
    """The graph `name` for `key` from the model cache, else `build()` written there first."""
    target = models.cache_dir() / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.onnx"
    try:
        return target.read_bytes()
    except FileNotFoundError:
        pass
    graph = build()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{name}-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(graph)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return graph


def source_key(*packaged: str) -> str:
    """The pinned SHA-256s of packaged files, as part of a key (models.PACKAGED_FILES)."""
    return " ".join(f"{name}={models.PACKAGED_FILES[name].sha256}" for name in packaged)
