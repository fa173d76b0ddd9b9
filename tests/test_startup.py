"""What each command imports: the quick ones (help, ls, evidence, search, ask --no-llm) must not pay for
libraries they do not use (torch, transformers, langchain-core, the LLM runtime), checked in new processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import subtitled_library
from vidseek.testing import HashEmbedder

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "sentence_transformers", "langchain_core", "chromadb", "xllamacpp", "jax")

# runs the command as `vidseek` does, then reports which of the heavy libraries the process imported
_PROBE = """
import json, sys
watched = set(json.loads(sys.argv[2]))
sys.argv = ["vidseek", *json.loads(sys.argv[1])]
from vidseek.cli import main
try:
    main()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & watched)
print("\\n" + json.dumps({"code": code, "heavy": heavy}))
"""


def imported(*args: str) -> list[str]:
    """The heavy libraries a `vidseek ARGS` process imported (the command must succeed)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(list(args)), json.dumps(HEAVY)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] in (0, None), done.stdout[-2000:] + done.stderr[-2000:]
    return result["heavy"]


def test_help_imports_no_model_library() -> None:
    assert imported("--help") == []
    assert imported("ask", "--help") == []
    assert imported("index", "--help") == []  # the extractors' flags, without their models


def test_import_vidseek_is_light_and_its_names_still_resolve() -> None:
    code = ("import sys, vidseek; light = 'numpy' not in sys.modules; "
            "from vidseek import Library, Evidence, ExtractorSettings, IndexOptions, register_extractor; "
            "import vidseek as v; assert all(hasattr(v, n) for n in v.__all__); print(light)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"
    with pytest.raises(AttributeError):
        import vidseek

        vidseek.NoSuchName  # noqa: B018


def test_quick_commands_import_only_what_they_use(tmp_path: Path) -> None:
    video, library = subtitled_library(tmp_path, HashEmbedder())
    lib = str(library.path)
    assert imported("ls", "-L", lib) == ["chromadb"]  # the store lists the videos
    assert imported("evidence", str(video), "-L", lib) == []  # the evidence cache alone
    # a query is embedded in numpy (store/minilm.py) and BM25 leaves jax out
    assert imported("search", "ferry", "-L", lib) == ["chromadb"]
    assert imported("ask", str(video), "When does the ferry leave?", "--no-llm", "-L", lib) == ["chromadb"]


def test_numpy_minilm_gives_sentence_transformers_vectors() -> None:
    """Queries are embedded in numpy, the library's evidence by sentence-transformers: the two must agree."""
    from sentence_transformers import SentenceTransformer

    from vidseek import models
    from vidseek.store.minilm import NumpyMiniLM

    texts = ["When does the ferry to the island leave?", "x", "", "Ünïcödé façade – 12:30 PM!",
             "The harbour master, Ada Brooks, signs every departure. " * 40]  # past 256 tokens: truncated
    ours = NumpyMiniLM(models.minilm_dir()).encode(texts)
    theirs = SentenceTransformer(str(models.minilm_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    assert ours.shape == (5, 384) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-5
