"""Long batches stay interruptible (Ctrl-C), in both cores.

Ctrl-C (SIGINT) during a batch raises KeyboardInterrupt within a few
milliseconds of work, for arrays (hashed without the GIL, on one thread or
several), lists and endless iterables; helper threads are stopped and
joined before the exception leaves jump_hash_many.  That a batch of Python
objects hands the GIL to other threads, and to an asyncio loop, is in
test_concurrency.py and test_aio.py.

The bounds are loose (machines here are shared); the measured figures are
printed by benchmarks/bench_aio_cli.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers import TRACED

NEUTRAL_CWD = Path(__file__).parent / "data"

pytestmark = pytest.mark.skipif(
    TRACED, reason="line tracing (coverage) takes the GIL on every traced line"
)

CHILD = Path(__file__).parent / "interrupt_child.py"


def interrupt(core: ModuleType, kind: str, size: int, threads: int = 1) -> tuple[float, int]:
    """(seconds from SIGINT to KeyboardInterrupt, threads alive then) of a child's batch."""
    done = subprocess.run(
        [sys.executable, str(CHILD), core.__name__, kind, str(size), str(threads)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=NEUTRAL_CWD,
        env={k: v for k, v in os.environ.items() if k != "RVH_STABLE_NO_EXTENSIONS"},
    )
    assert done.returncode == 0, done.stderr
    late, alive = done.stdout.split()
    return float(late), int(alive)


def big(core: ModuleType, compiled: int, pure: int) -> int:
    """A size that takes seconds for this core."""
    return compiled if core.IMPLEMENTATION == "cython" else pure


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_an_array_batch(core: ModuleType, threads: int) -> None:
    pytest.importorskip("numpy")
    # 10**8 keys at 2**31-1 buckets: over a second on any kernel.
    late, alive = interrupt(core, "array", big(core, 10**8, 10**6), threads)
    assert late < 0.25, late
    assert alive == 1  # the main thread alone: every helper was joined


def test_ctrl_c_stops_a_list_batch(core: ModuleType) -> None:
    late, alive = interrupt(core, "list", big(core, 6 * 10**7, 10**6))
    assert late < 0.25, late
    assert alive == 1


def test_ctrl_c_stops_an_endless_iterable(core: ModuleType) -> None:
    # itertools.count() never ends: without a check the batch runs until
    # memory runs out.
    late, alive = interrupt(core, "count", 0)
    assert late < 0.25, late
    assert alive == 1
