"""The implementations rvh_stable is measured against, for the benchmarks.

- ``naive_jump``: the loop a Python user would write, masking to 64 bits and
  using the paper's float expression.
- ``numpy_jump``: NumPy code a user would write: the loop vectorized over an
  array, with a shrinking set of keys still in the loop.
- ``CScalar``: the paper's loop in plain C (``-O3 -ffp-contract=off``), one key
  after the other over an array, compiled on first use with the system C
  compiler and called through ctypes.
- ``jump.hash`` from the ``jump-consistent-hash`` package and a ketama ring
  from ``uhashring`` are imported by the callers (both are ``.[bench]``
  dependencies).

All of them compute the paper's function; ``check_peers`` asserts that they
agree with rvh_stable before anything is timed.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MASK64 = 0xFFFFFFFFFFFFFFFF


def naive_jump(key: int, num_buckets: int) -> int:
    key &= MASK64
    b, j = -1, 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & MASK64
        j = int((b + 1) * (2147483648.0 / ((key >> 33) + 1)))
    return b


def numpy_jump(keys: np.ndarray, num_buckets: int) -> np.ndarray:
    key = keys.astype(np.uint64)  # a copy: the loop updates it
    b = np.full(key.shape, -1, dtype=np.int64)
    j = np.zeros(key.shape, dtype=np.int64)
    active = np.arange(key.size)
    mult = np.uint64(2862933555777941757)
    one = np.uint64(1)
    shift = np.uint64(33)
    while active.size:
        b[active] = j[active]
        k = key[active] * mult + one  # uint64 arithmetic wraps
        key[active] = k
        d = ((k >> shift) + one).astype(np.float64)
        step = ((b[active] + 1) * (2147483648.0 / d)).astype(np.int64)
        j[active] = step
        active = active[step < num_buckets]
    return b


_C_SOURCE = r"""
#include <stdint.h>
#include <stddef.h>
static int32_t jump(uint64_t key, int32_t n) {
    int64_t b = -1, j = 0;
    while (j < n) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((b + 1) * (2147483648.0 / (double)((key >> 33) + 1)));
    }
    return (int32_t)b;
}
void scalar_loop(const uint64_t *keys, size_t count, int32_t n, int64_t *out) {
    for (size_t i = 0; i < count; i++) out[i] = jump(keys[i], n);
}
"""


class CScalar:
    """The plain C scalar loop over an array, built once per source version."""

    def __init__(self) -> None:
        cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            raise RuntimeError("the C scalar peer needs a C compiler (cc)")
        digest = hashlib.sha256(_C_SOURCE.encode()).hexdigest()[:12]
        folder = Path(tempfile.gettempdir()) / "rvh_stable_bench"
        folder.mkdir(exist_ok=True)
        lib = folder / f"cscalar_{digest}.so"
        if not lib.exists():
            src = folder / f"cscalar_{digest}.c"
            src.write_text(_C_SOURCE)
            subprocess.run(
                [cc, "-O3", "-ffp-contract=off", "-shared", "-fPIC", str(src), "-o", str(lib)],
                check=True,
            )
        self._fn = ctypes.CDLL(str(lib)).scalar_loop
        self._fn.restype = None
        self._fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int32, ctypes.c_void_p]

    def __call__(self, keys: np.ndarray, num_buckets: int, out: np.ndarray) -> np.ndarray:
        assert keys.dtype == np.uint64 and keys.flags.c_contiguous
        self._fn(keys.ctypes.data, keys.size, num_buckets, out.ctypes.data)
        return out


def check_peers(rvh: Any, jump_hash_peer: Any, cscalar: CScalar) -> None:
    """Every peer gives rvh_stable's answers (so the timings compare like with like)."""
    rng = np.random.default_rng(1406)
    keys = rng.integers(0, 2**64, size=2000, dtype=np.uint64)
    for n in (1, 10, 1000, 2**31 - 1):
        expected = rvh.jump_hash_many(keys, n)
        assert (numpy_jump(keys, n) == expected).all()
        assert (cscalar(keys, n, np.empty(keys.size, np.int64)) == expected).all()
        sample = keys[:200].tolist()
        assert [naive_jump(k, n) for k in sample] == expected[:200].tolist()
        assert [jump_hash_peer(k, n) for k in sample] == expected[:200].tolist()
