"""JumpBackHash against jump hash, side by side: targets J1-J3 of issue 25.

``table(bench, n)`` measures, interleaved in each round as every table of
benchmarks/compare.py is, ns per call of ``jump_hash(k, n)`` against
``jump_hash(k, n, algorithm="jumpback")`` (20 keys of the bench's array, one
statement of calls: the loop's own cost is not timed) and ns per key of
``jump_hash_many`` on the bench's uint64 array, with jump's batch kernel (the
one this process picked) against JumpBackHash's batch loop.  ``TARGETS``
holds the issue's bounds; compare.py checks them with its other targets, and
benchmarks/jumpback.py prints the table at several n with the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from timing import batch_ns, interleaved, per_call_ns

from rvh_stable import _jump as fast

CALL_JUMP = "jump_hash(int), per call"
CALL_BACK = "jump_hash(int, algorithm='jumpback'), per call"
ARRAY_JUMP = "uint64 array, jump"
ARRAY_BACK = "uint64 array, jumpback"
ROWS = (CALL_JUMP, CALL_BACK, ARRAY_JUMP, ARRAY_BACK)
CALL_KEYS = 20  # keys per call statement: jump's walk length varies per key
CALLS = 200  # times the statement runs in each of timeit's 3 repeats

# (label, n, limit, numerator, denominator, detail): each passes when
# numerator / denominator <= limit, the two rows of table(bench, n).
TARGETS = (
    ("J1", 10**6, 0.5, CALL_BACK, CALL_JUMP,
     "jump_hash(int, algorithm='jumpback') / jump_hash(int) per call, n={n}"),
    ("J2", 10**6, 0.5, ARRAY_BACK, ARRAY_JUMP,
     f"jump_hash_many(uint64 array): jumpback / jump's {fast.KERNEL} kernel, n={{n}}"),
    ("J3", 1000, 1.0, ARRAY_BACK, ARRAY_JUMP,
     f"jump_hash_many(uint64 array): jumpback / jump's {fast.KERNEL} kernel, n={{n}}"),
)  # fmt: skip


class Keys(Protocol):
    """What table() reads of compare.py's Bench (or of jumpback.py's keys)."""

    @property
    def array(self) -> np.ndarray: ...

    @property
    def rounds(self) -> int: ...


def jobs(array: np.ndarray, n: int) -> dict[str, Callable[[], float]]:
    """The four rows at ``n``, as jobs for ``interleaved``."""
    names = {"f": fast.jump_hash, "n": n}
    keys = [int(k) for k in array[:CALL_KEYS]]
    plain = "; ".join(f"f({k}, n)" for k in keys)
    back = "; ".join(f"f({k}, n, algorithm='jumpback')" for k in keys)
    return {
        CALL_JUMP: lambda: per_call_ns(plain, names, len(keys), CALLS),
        CALL_BACK: lambda: per_call_ns(back, names, len(keys), CALLS),
        ARRAY_JUMP: batch_ns(lambda: fast.jump_hash_many(array, n), array.size),
        ARRAY_BACK: batch_ns(
            lambda: fast.jump_hash_many(array, n, algorithm="jumpback"), array.size
        ),
    }


def table(bench: Keys, n: int) -> dict[str, float]:
    """ns per call or per key of each row at ``n``, medians of interleaved rounds."""
    return interleaved(jobs(bench.array, n), bench.rounds)
