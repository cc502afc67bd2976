"""Both cores against an independent C reference of the paper's loop.

The C function below is the loop of Lamping and Veach's Figure 1, written out
here independently of the package (it converts ``(k >> 33) + 1`` straight from
uint64 to double, as the README's spec does, where the compiled core goes
through int64).  The test compiles it with the system C compiler into a shared
library, with the flags that keep IEEE double semantics, and calls it through
ctypes on whole NumPy arrays, so millions of pairs cost well under a second.

Random ``(key, num_buckets)`` pairs are drawn from a seeded generator: keys
uniform over ``[0, 2**64)`` plus small keys and keys near both ends of the
range, bucket counts log-uniform over ``[1, 2**31-1]`` plus the edges.  Each
core is checked through ``jump_hash_many`` on NumPy arrays (uint64 and the
same bits as int64) and through ``jump_hash`` on a sample.  10**5 pairs run in
the default test run, 10**7 with ``pytest -m slow``.
"""

from __future__ import annotations

import ctypes
import sys
from types import ModuleType
from typing import Any

import pytest
from c_driver import I686_CFLAGS, PROJECT_CFLAGS, SETUP_PY, CDrivers

# NumPy is optional at run time: the i686 and win32 wheels are tested without it.
np = pytest.importorskip("numpy")

REFERENCE_C = r"""
#include <stddef.h>
#include <stdint.h>

/* Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
 * Figure 1, in C: the step is (b + 1) * (2**31 / double((k >> 33) + 1)). */
static int32_t jump(uint64_t key, int32_t num_buckets) {
    int64_t b = -1, j = 0;
    while (j < num_buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (int32_t)b;
}

int32_t ref_jump(uint64_t key, int32_t num_buckets) {
    return jump(key, num_buckets);
}

void ref_jump_many(const uint64_t *keys, const int32_t *num_buckets,
                   int32_t *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        out[i] = jump(keys[i], num_buckets[i]);
    }
}
"""

MAX_BUCKETS = 2**31 - 1

# Under line tracing (tools/coverage.sh) the compiled core runs ~100x slower,
# and the big inputs shrink: coverage needs the paths, not the volume.
TRACED = sys.gettrace() is not None or "coverage" in sys.modules


class Reference:
    """The compiled C reference, called on NumPy arrays."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._one = lib.ref_jump
        self._one.argtypes = [ctypes.c_uint64, ctypes.c_int32]
        self._one.restype = ctypes.c_int32
        self._many = lib.ref_jump_many
        self._many.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        self._many.restype = None

    def one(self, key: int, n: int) -> int:
        return int(self._one(key, n))

    def many(self, keys: Any, ns: Any) -> Any:
        keys = np.ascontiguousarray(keys, dtype=np.uint64)
        ns = np.ascontiguousarray(ns, dtype=np.int32)
        assert keys.shape == ns.shape
        out = np.empty(keys.shape, dtype=np.int32)
        self._many(keys.ctypes.data, ns.ctypes.data, out.ctypes.data, keys.size)
        return out


@pytest.fixture(scope="module")
def reference(c_drivers: CDrivers) -> Reference:
    if sys.platform == "win32":
        pytest.skip("needs a C compiler (cc or gcc) to build the C reference")
    # PROJECT_CFLAGS: -ffp-contract=off, no fused multiply-add; -fno-fast-math,
    # IEEE order kept.
    library = c_drivers.build(
        "reference.c",
        code=REFERENCE_C,
        shared=True,
        skip_unless_built="the C compiler cannot build the C reference here",
    )
    return Reference(ctypes.CDLL(str(library)))


def test_the_drivers_build_with_setup_pys_flags() -> None:
    # The C drivers (tests/c_driver.py) and this reference are built with the
    # flags setup.py gives the compiled core, so they compute as it does.
    if not SETUP_PY.exists():
        pytest.skip("needs the source tree")
    setup_text = SETUP_PY.read_text()
    assert f"flags = {list(PROJECT_CFLAGS)!r}".replace("'", '"') in setup_text
    assert f"flags += {list(I686_CFLAGS)!r}".replace("'", '"') in setup_text
    assert "-ffp-contract=off" in PROJECT_CFLAGS and "-fno-fast-math" in PROJECT_CFLAGS


def random_pairs(seed: int, groups: int, per_group: int) -> tuple[Any, Any]:
    """``groups`` bucket counts, each with ``per_group`` keys: shapes (groups, per_group)."""
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 2**64, size=(groups, per_group), dtype=np.uint64, endpoint=False)
    # A few of each group's keys are small or near either end of the range.
    edge = max(1, per_group // 16)
    keys[:, :edge] = rng.integers(0, 4096, size=(groups, edge), dtype=np.uint64)
    keys[:, edge : 2 * edge] = np.uint64(2**64 - 1) - rng.integers(
        0, 4096, size=(groups, edge), dtype=np.uint64
    )
    keys[:, 2 * edge : 3 * edge] = np.uint64(2**63) + rng.integers(
        -2048, 2048, size=(groups, edge), dtype=np.int64
    ).astype(np.uint64)
    logs = rng.uniform(0.0, np.log(MAX_BUCKETS), size=groups)
    ns = np.clip(np.exp(logs).astype(np.int64), 1, MAX_BUCKETS)
    ns[:8] = [1, 2, 3, 7, 1000, 65536, MAX_BUCKETS - 1, MAX_BUCKETS][: min(8, groups)]
    return keys, ns


def check_against_reference(
    core: ModuleType, reference: Reference, seed: int, groups: int, per_group: int, sample: int
) -> int:
    keys, ns = random_pairs(seed, groups, per_group)
    expected = reference.many(keys, np.repeat(ns[:, None], per_group, axis=1))
    signed = keys.view(np.int64)
    checked = 0
    for g in range(groups):
        n = int(ns[g])
        got = core.jump_hash_many(keys[g], n)
        assert got.dtype == np.int64
        mismatch = np.flatnonzero(got != expected[g])
        assert mismatch.size == 0, [(int(keys[g][i]), n) for i in mismatch[:5]]
        if core.IMPLEMENTATION == "cython" or g % 8 == 0:
            # The same 64-bit patterns as int64: two's complement keys.
            assert np.array_equal(core.jump_hash_many(signed[g], n), expected[g]), n
        checked += per_group
    # One key at a time, with the key as a Python int (negative half the time).
    rng = np.random.default_rng(seed + 1)
    for flat in rng.integers(0, keys.size, size=sample):
        g, i = divmod(int(flat), per_group)
        key, n = int(keys[g, i]), int(ns[g])
        want = int(expected[g, i])
        assert core.jump_hash(key, n) == want, (key, n)
        assert core.jump_hash(key - 2**64 if key >= 2**63 else key, n) == want, (key, n)
    return checked


def test_the_reference_matches_the_papers_cpp(
    reference: Reference, jump_rows: list[tuple[int, int, int, str]]
) -> None:
    # The reference itself is checked against answers of the paper's C++ code.
    keys = np.array([k for k, *_ in jump_rows], dtype=np.uint64)
    ns = np.array([n for _, n, *_ in jump_rows], dtype=np.int32)
    expected = np.array([b for _, _, b, _ in jump_rows], dtype=np.int32)
    assert len(jump_rows) > 100
    assert np.array_equal(reference.many(keys, ns), expected)
    for key, n, bucket, _ in jump_rows[:50]:
        assert reference.one(key, n) == bucket


def test_1e5_random_pairs(core: ModuleType, reference: Reference) -> None:
    per_group = 40 if TRACED else 400
    checked = check_against_reference(core, reference, 20140609, 250, per_group, sample=2000)
    assert checked == 250 * per_group


@pytest.mark.slow
def test_1e7_random_pairs(core: ModuleType, reference: Reference) -> None:
    assert check_against_reference(core, reference, 4242, 1000, 10_000, sample=20_000) == 10**7


def test_threads_agree_with_the_reference(core: ModuleType, reference: Reference) -> None:
    keys, ns = random_pairs(7, 3, 140_000 if TRACED else 300_000)
    for g, n in enumerate(ns.tolist()):
        if core.IMPLEMENTATION == "python" and g > 0:
            break  # the pure core computes on one thread anyway
        want = reference.many(keys[g], np.full(keys.shape[1], n, dtype=np.int32))
        assert np.array_equal(core.jump_hash_many(keys[g], n, threads=3), want)
