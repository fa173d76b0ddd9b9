#!/usr/bin/env bash
# Installs vidseek and every default model into .venv (offline-capable afterwards).
# Debian/Ubuntu: espeak-ng is only needed by the tests and benchmarks that synthesise speech.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v espeak-ng >/dev/null; then
  apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]'
echo "installed: $(.venv/bin/vidseek --help >/dev/null && echo vidseek OK)"
