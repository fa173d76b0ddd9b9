"""Keep the terminal for vidseek's own output: model libraries log and warn about things a user cannot act on."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

# what model libraries say on every load or call that nobody using vidseek can act on (easyocr's quantized
# recogniser, its DataLoader on a machine without a GPU); matched by their text, so every other warning still
# reaches a program that uses vidseek
KNOWN_NOISE = (
    r"torch\.quantize_per_tensor",
    r"'pin_memory' argument is set as true but no accelerator",
)


def hush_model_noise() -> None:
    """Keep the Python API silent (issue 30): the known load-time warnings filtered, and download/loading bars
    of huggingface libraries off unless the program set HF_HUB_DISABLE_PROGRESS_BARS itself. Progress comes
    through a `progress` callback, diagnostics through `logging`."""
    for message in KNOWN_NOISE:
        warnings.filterwarnings("ignore", message=message)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when huggingface_hub is imported


def quiet_libraries() -> None:
    """Model libraries warn about things a user cannot act on; keep the terminal for vidseek's own output."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read when huggingface_hub is imported
    # "Loading weights" bars on every model load. Turned off here only in libraries already imported:
    # importing transformers to do it would cost every command a second (a command loads its models later,
    # and they then read the variable above).
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    for name in ("faster_whisper", "easyocr", "ultralytics", "transformers", "httpx"):
        logging.getLogger(name).setLevel(logging.ERROR)
    silence_native_stderr()


def to_log_file(path: Path) -> None:
    """Send this process's stdout/stderr (C++ libraries' logs included) to a file: a batch worker's chatter
    would otherwise tear through the driver's progress bars."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)



def silence_native_stderr() -> None:
    """Drop what C++ libraries write straight to file descriptor 2 (TensorFlow Lite's "Created XNNPACK
    delegate", absl's "All log messages before absl::InitializeLog()", mediapipe's feedback-manager
    warnings: on every index, nothing a user can act on) for the rest of the process. Python's own stderr
    (progress bars, vidseek's messages, tracebacks) goes on to the terminal through a copy of the
    descriptor. VIDSEEK_DEBUG=1 keeps everything; under a test runner's captured stderr nothing changes."""
    try:
        real = sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # a buffer, not a descriptor
        real = False
    if not real or os.environ.get("VIDSEEK_DEBUG"):
        return
    sys.stderr.flush()
    python_stderr = os.fdopen(os.dup(2), "w", buffering=1, encoding=sys.stderr.encoding,
                              errors=sys.stderr.errors)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    sys.stderr = python_stderr
