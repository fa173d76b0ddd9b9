"""Benchmarks read from their published files: one module per benchmark, one entry each in BENCHMARKS.

Adding one: a module with a reader that turns the benchmark's rows into BenchQuestions (base.py), and its
`BENCHMARK` listed here. `vidseek eval --benchmark NAME FILE --videos DIR` (run.py) does the rest.
"""

from __future__ import annotations

from vidseek.errors import BadRequest
from vidseek.evalsets import egoschema, lvbench, mlvu, nextqa, videomme
from vidseek.evalsets.base import BenchFile, Benchmark, BenchQuestion, FormatError

BENCHMARKS: dict[str, Benchmark] = {m.BENCHMARK.name: m.BENCHMARK for m in (videomme, lvbench, mlvu, egoschema, nextqa)}

__all__ = ["BENCHMARKS", "BenchFile", "BenchQuestion", "Benchmark", "FormatError", "get"]


def get(name: str) -> Benchmark:
    """The benchmark of that name. Raises ValueError naming the ones there are."""
    try:
        return BENCHMARKS[name.lower()]
    except KeyError:
        raise BadRequest(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}") from None
