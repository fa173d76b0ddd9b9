"""A real llama.cpp OpenAI-compatible server (xllamacpp's) on loopback, in a process of its own.

    python tests/llm_server.py MODEL.gguf API_KEY

Prints the base URL once the model is loaded, then serves until its standard input closes.
"""

from __future__ import annotations

import sys

import xllamacpp


def main() -> None:
    params = xllamacpp.CommonParams()
    params.model.path = sys.argv[1]
    params.n_ctx = 4096
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.warmup = False
    params.verbosity = -1
    params.api_keys = [sys.argv[2]]
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    sys.stdin.read()
    del server


if __name__ == "__main__":
    main()
