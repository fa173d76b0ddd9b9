#!/usr/bin/env bash
# Fetch the footage, build a needle-in-a-haystack set, index it with the default models and score it.
#   bash benchmarks/niah/run.sh [MINUTES] [SEED]      (default 10 minutes, seed 0)
# Leaves benchmarks/niah/out-MINUTES/{haystack.mp4,questions.json,report-*.json} and prints the tables.
# PYTHON names another interpreter (default .venv/bin/python); vidseek runs as `$PYTHON -m vidseek`, so
# PYTHONPATH=/some/checkout picks which tree is measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes="${1:-10}"
seed="${2:-0}"
out="benchmarks/niah/out-$minutes"
py="${PYTHON:-.venv/bin/python}"
bash examples/get_trailer.sh >/dev/null
$py -m benchmarks.niah.generate --minutes "$minutes" --seed "$seed" --out "$out"
export VIDSEEK_LIBRARY="$out/library"
/usr/bin/time -f "index: %e s, peak %M KB" $py -m vidseek index "$out/haystack.mp4"
echo "== extractive"
$py -m vidseek eval "$out/questions.json" --no-llm --out "$out/report-extractive.json"
echo "== extractive, circular"
$py -m vidseek eval "$out/questions.json" --no-llm --circular --out "$out/report-extractive-circular.json"
echo "== the packaged LLM (Qwen2.5-Coder-1.5B)"
$py -m vidseek eval "$out/questions.json" --out "$out/report-llm.json"
