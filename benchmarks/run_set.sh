#!/usr/bin/env bash
# Build one realistic question set (meeting, film or lecture), index it with the default models and score it:
# extractive, then one eval per LLM. Each set's run.sh calls this with its name.
#   bash benchmarks/run_set.sh SET [--seed N] [--llm NAME]... [EXTRA EVAL ARGS]
# Each `--llm NAME` is one more eval with `vidseek eval --llm NAME`; any other argument goes to every eval
# (e.g. `--k 16 --circular`). Leaves benchmarks/SET/out-SEED/{SET.mp4,questions.json,library/,report-*.json}.
set -euo pipefail
cd "$(dirname "$0")/.."
name="$1"; shift
seed=0
llms=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed="$2"; shift 2 ;;
    --llm) llms+=("$2"); shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done
out="benchmarks/$name/out-$seed"
py=.venv/bin/python
$py -m "benchmarks.$name.generate" --seed "$seed" --out "$out"  # the same bytes for a seed: the index is reused
export VIDSEEK_LIBRARY="$out/library"
/usr/bin/time -f "index: %e s, peak %M KB" .venv/bin/vidseek index "$out/$name.mp4"
echo "== extractive"
.venv/bin/vidseek eval "$out/questions.json" --no-llm --out "$out/report-extractive.json" ${extra[@]+"${extra[@]}"}
for llm in ${llms[@]+"${llms[@]}"}; do
  echo "== $llm"
  tag="$(printf '%s' "$(basename "$llm")" | tr -c 'A-Za-z0-9._-' '_')"
  .venv/bin/vidseek eval "$out/questions.json" --llm "$llm" --out "$out/report-$tag.json" ${extra[@]+"${extra[@]}"}
done
