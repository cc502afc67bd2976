"""JumpBackHash against jump hash, side by side: the targets of issue 25.

    python benchmarks/jumpback.py [--quick]

Prints ns per call (``jump_hash(k, n)`` against ``jump_hash(k, n,
algorithm="jumpback")``) and ns per key of a uint64 NumPy array (the batch
kernel in use against JumpBackHash's batch loop) at n = 10, 1000 and 10**6,
each the median of rounds in which the two run one after the other (on a
shared machine absolute times drift, ratios measured side by side less), and
the targets:

- J1: per call at n = 10**6, jumpback <= 0.5 x jump;
- J2: uint64 array at n = 10**6, jumpback <= 0.5 x jump's kernel;
- J3: uint64 array at n = 1000, jumpback <= 1.0 x jump's kernel.

Exits with status 1 when a target fails.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

from rvh_stable import _jump as fast

SEED = 2503
NS = (10, 1000, 10**6)


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def per_call(keys: list[int], n: int, keyword: str) -> Callable[[], float]:
    # One statement of many calls: the loop's own cost is not timed.
    stmt = "; ".join(f"jump_hash({k}, n{keyword})" for k in keys)
    timer = timeit.Timer(stmt, globals={"jump_hash": fast.jump_hash, "n": n})

    def job() -> float:
        return min(timer.repeat(repeat=3, number=200)) / (200 * len(keys)) * 1e9

    return job


def per_key(keys: Any, n: int, algorithm: str) -> Callable[[], float]:
    def job() -> float:
        start = timeit.default_timer()
        fast.jump_hash_many(keys, n, algorithm=algorithm)
        return (timeit.default_timer() - start) / keys.size * 1e9

    return job


def side_by_side(jobs: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(rounds):
        for name, job in jobs.items():
            samples[name].append(job())
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer keys and rounds")
    quick = parser.parse_args().quick
    rng = np.random.default_rng(SEED)
    array = rng.integers(0, 2**64, size=10**5 if quick else 10**6, dtype=np.uint64)
    ints = [int(k) for k in array[:20]]
    rounds = 3 if quick else 9
    print(f"CPU: {cpu_name()}; batch kernel {fast.KERNEL}; Python {platform.python_version()}")
    print(
        f"{'n':>8} {'call jump':>10} {'jumpback':>9} {'ratio':>6}"
        f" {'array jump':>11} {'jumpback':>9} {'ratio':>6}   (ns)"
    )
    table: dict[int, dict[str, float]] = {}
    for n in NS:
        got = side_by_side(
            {
                "call jump": per_call(ints, n, ""),
                "call jumpback": per_call(ints, n, ", algorithm='jumpback'"),
                "array jump": per_key(array, n, "jump"),
                "array jumpback": per_key(array, n, "jumpback"),
            },
            rounds,
        )
        table[n] = got
        call = got["call jumpback"] / got["call jump"]
        batch = got["array jumpback"] / got["array jump"]
        print(
            f"{n:>8} {got['call jump']:>10.1f} {got['call jumpback']:>9.1f} {call:>6.2f}"
            f" {got['array jump']:>11.2f} {got['array jumpback']:>9.2f} {batch:>6.2f}"
        )
    targets = [
        ("J1 per call at n=10**6", "call", 10**6, 0.5),
        ("J2 uint64 array at n=10**6", "array", 10**6, 0.5),
        ("J3 uint64 array at n=1000", "array", 1000, 1.0),
    ]
    ok = True
    for name, kind, n, bound in targets:
        ratio = table[n][f"{kind} jumpback"] / table[n][f"{kind} jump"]
        passed = ratio <= bound
        ok &= passed
        print(f"{name}: jumpback/jump {ratio:.2f} (<= {bound}) {'PASS' if passed else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
