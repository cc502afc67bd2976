"""The timing helpers of benchmarks/compare.py and the modules it imports.

Every figure is a median over rounds in which the jobs run one after the
other (``interleaved``): on a shared machine absolute times drift, ratios
measured side by side much less.
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from typing import Any


def per_call_ns(stmt: str, names: dict[str, Any], calls_per_stmt: int, number: int) -> float:
    """ns per call of a statement string (no lambda: its call would be timed too)."""
    timer = timeit.Timer(stmt, globals=names)
    return min(timer.repeat(repeat=3, number=number)) / (number * calls_per_stmt) * 1e9


def interleaved(jobs: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Run every job once per round, in turn; the median of each job's results."""
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(rounds):
        for name, job in jobs.items():
            samples[name].append(job())
    return {name: statistics.median(values) for name, values in samples.items()}


def batch_ns(func: Callable[[], Any], count: int) -> Callable[[], float]:
    """A job: ns per key of one call of ``func`` over ``count`` keys."""

    def job() -> float:
        start = timeit.default_timer()
        func()
        return (timeit.default_timer() - start) / count * 1e9

    return job
