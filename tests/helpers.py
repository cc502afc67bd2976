"""Helpers shared by the test files and the fuzz harness (tests/fuzz/fuzz_jump.py).

Imported as ``helpers``: the ``pythonpath`` option in pyproject.toml puts
tests/ on sys.path (``--import-mode=importlib`` puts nothing there), a run
without that configuration (a copy of tests/ elsewhere) gets tests/ from
pytest's default import mode, and the fuzz harness adds it itself when it
runs as a script.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

np: Any
try:
    import numpy

    np = numpy
except ImportError:  # NumPy is optional at run time (the i686 wheels are tested without it)
    np = None

KEY_MIN = -(2**63)
KEY_LIMIT = 2**64  # keys are ints in [KEY_MIN, KEY_LIMIT)
MAX_BUCKETS = 2**31 - 1
# Every integer dtype in every byte order: little, big and native ("<i1" ... "=u8").
INT_DTYPES_EVERY_ORDER = [o + k + s for o in "<>=" for k in "iu" for s in "1248"]

# The only exceptions the API documents.
DOCUMENTED_ERRORS: tuple[type[Exception], ...] = (TypeError, ValueError)


class Index:
    """Not an int, but has __index__ (like NumPy scalars): accepted as the int it returns."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"Index({self.value})"


def _outcome(
    errors: tuple[type[Exception], ...],
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[str, Any]:
    try:
        result = func(*args, **kwargs)
    except errors as exc:
        return type(exc).__name__, str(exc)
    return _ok(result)


def _ok(result: Any) -> tuple[str, Any]:
    if np is not None and isinstance(result, np.ndarray):
        # Comparable with ==, and the dtype is part of the answer.
        return "ndarray", (result.dtype.str, result.shape, result.tolist())
    return "ok", result


def outcome(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """``func(*args, **kwargs)`` as a comparable value.

    ``("ok", result)``, ``("ndarray", (dtype.str, shape, values as lists))``
    for a NumPy result, or ``(exception type name, message)`` for the
    documented ``TypeError`` and ``ValueError`` (subclasses included).  Any
    other exception escapes: the API raises no other, so it fails the test.
    """
    return _outcome(DOCUMENTED_ERRORS, func, args, kwargs)


def any_outcome(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """Like :func:`outcome`, but any ``Exception`` becomes ``(type name, message)``.

    For tests that only hold two calls to the same outcome (the compiled core
    to the pure one, the async API to the sync one), whatever was raised.
    """
    return _outcome((Exception,), func, args, kwargs)


async def any_outcome_async(coro: Coroutine[Any, Any, Any]) -> tuple[str, Any]:
    """:func:`any_outcome` of an awaited coroutine."""
    try:
        result = await coro
    except Exception as exc:
        return type(exc).__name__, str(exc)
    return _ok(result)


# Under line tracing (tools/coverage.sh) the compiled core runs ~100x slower,
# and the big inputs shrink: coverage needs the paths, not the volume.
TRACED = sys.gettrace() is not None or "coverage" in sys.modules


def longest_stall(work: Callable[[], object]) -> tuple[float, float]:
    """(seconds ``work`` took, longest gap another Python thread saw meanwhile)."""
    stamps: list[float] = []
    started = threading.Event()
    done = threading.Event()

    def tick() -> None:
        started.set()
        while not done.is_set():
            stamps.append(time.perf_counter())

    ticker = threading.Thread(target=tick)
    ticker.start()
    started.wait()
    time.sleep(0.01)
    try:
        start = time.perf_counter()
        work()
        end = time.perf_counter()
    finally:
        done.set()
        ticker.join()
    inside = [start] + [t for t in stamps if start <= t <= end] + [end]
    return end - start, max(b - a for a, b in itertools.pairwise(inside))


async def loop_ticks(work: Coroutine[Any, Any, Any]) -> tuple[Any, float, float, int]:
    """(``await work``'s result, seconds it took, the longest gap a coroutine
    that sleeps 1 ms in a loop saw meanwhile, the ticks it made meanwhile)."""
    ticks: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    started = time.perf_counter()
    try:
        result = await work
    finally:
        ended = time.perf_counter()
        stop.set()
        await task
    during = [started] + [t for t in ticks if started < t < ended] + [ended]
    gap = max(b - a for a, b in itertools.pairwise(during))
    return result, ended - started, gap, len(during) - 2


def guide_block(guide: str, marker: str) -> str:
    """The ``python`` code block that follows the line ``marker`` in the
    guide ``docs/guides/<guide>`` (a recipe the tests execute, so the
    documentation cannot drift); the test skips outside the source tree."""
    import re
    from pathlib import Path

    import pytest

    page = Path(__file__).resolve().parent.parent / "docs" / "guides" / guide
    if not page.exists():
        pytest.skip(f"the recipe is read from docs/guides/{guide}, outside the source tree")
    found = re.search(re.escape(marker) + r"\n```python\n(.*?)```", page.read_text("utf-8"), re.S)
    assert found, f"no python block after {marker!r} in {page}"
    return found.group(1)
