#!/usr/bin/env bash
# Build the film set (benchmarks/film), index it with the default models and score it: extractive, then one eval per LLM.
#   bash benchmarks/film/run.sh [--seed N] [--llm NAME]... [EXTRA EVAL ARGS]
# Each `--llm NAME` is one more eval with `vidseek eval --llm NAME`; any other argument goes to every eval
# (e.g. `--k 16 --circular`). Needs the voices of docs/eval.md (Piper, festival HTS, flite, Kokoro, a real recording:
# bash benchmarks/fetch_voices.sh) and darknet's sample photos (/usr/share/darknet/data).
# Leaves benchmarks/film/out-SEED/{film.mp4,questions.json,subtitles/,library/,report-*.json} and prints the tables.
exec bash "$(dirname "$0")/../run_set.sh" film "$@"
