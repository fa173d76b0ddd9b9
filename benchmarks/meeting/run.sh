#!/usr/bin/env bash
# Build the meeting set, index it with the default models and score it: extractive, then one eval per LLM.
#   bash benchmarks/meeting/run.sh [--seed N] [--llm NAME]... [EXTRA EVAL ARGS]
# Each `--llm NAME` is one more eval with `vidseek eval --llm NAME`; any other argument goes to every eval
# (e.g. `--k 16 --circular`). Needs the speech engines of docs/eval.md (flite, festival + HTS voice, espeak-ng, Piper).
# Leaves benchmarks/meeting/out-SEED/{meeting.mp4,questions.json,library/,report-*.json} and prints the tables.
exec bash "$(dirname "$0")/../run_set.sh" meeting "$@"
