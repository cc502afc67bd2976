"""The consistent-hashing properties, measured on both cores.

* Monotonicity: when the bucket count grows from n to n+1, a key keeps its
  bucket or moves to the new bucket n, never elsewhere.
* Minimal movement: about 1/(n+1) of the keys move, within six standard
  deviations of the binomial count.
* Uniformity: a chi-square test at n = 7, 1000 and 65536, for int and string
  keys.  The statistic is computed here and compared with a conservative bound
  from its normal approximation (mean df, variance 2 df): it must lie within
  ``df +- 6 sqrt(2 df)``.  The lower bound catches a spread that is too even
  to be random (``key % n`` would pass any upper bound).

All keys come from seeded generators, so each run checks the same keys.
"""

from __future__ import annotations

import math
import sys
from types import ModuleType
from typing import Any

import pytest

# NumPy is optional at run time: the i686 and win32 wheels are tested without it.
np = pytest.importorskip("numpy")

MAX_BUCKETS = 2**31 - 1

# Under line tracing (tools/coverage.sh) the compiled core runs ~100x slower,
# and the big inputs shrink: coverage needs the paths, not the volume.
TRACED = sys.gettrace() is not None or "coverage" in sys.modules


def int_keys(count: int, seed: int) -> Any:
    return np.random.default_rng(seed).integers(
        0, 2**64, size=count, dtype=np.uint64, endpoint=False
    )


def str_keys(count: int, prefix: str = "user:") -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


def mixed_keys(count: int, seed: int) -> list[Any]:
    ints: list[int] = int_keys(count // 2, seed).tolist()
    signed = [k - 2**64 if k >= 2**63 else k for k in ints[: count // 4]]
    return signed + ints[count // 4 :] + str_keys(count - len(ints), "ключ-")


def is_fast(core: ModuleType) -> bool:
    return not TRACED and core.IMPLEMENTATION == "cython"


def buckets_of(core: ModuleType, keys: Any, n: int) -> Any:
    return np.asarray(core.jump_hash_many(keys, n), dtype=np.int64)


# --- monotonicity ---------------------------------------------------------------


def test_monotone_for_small_n(core: ModuleType) -> None:
    keys = mixed_keys(2000 if is_fast(core) else 800, 1)
    before = buckets_of(core, keys, 1)
    assert not before.any()
    for n in range(1, 300):
        after = buckets_of(core, keys, n + 1)
        moved = after != before
        assert (after[moved] == n).all(), n
        before = after


def test_monotone_for_random_large_n(core: ModuleType) -> None:
    keys = mixed_keys(400, 2)
    rng = np.random.default_rng(3)
    ns = [*rng.integers(1, MAX_BUCKETS, size=60).tolist(), MAX_BUCKETS - 1, 2**30, 65535]
    for n in ns:
        before = buckets_of(core, keys, n)
        after = buckets_of(core, keys, n + 1)
        moved = after != before
        assert (after[moved] == n).all(), n
        assert ((before >= 0) & (before < n)).all()


def test_growing_by_several_buckets_moves_keys_only_to_new_buckets(core: ModuleType) -> None:
    keys = mixed_keys(20_000, 4)
    before = buckets_of(core, keys, 10)
    after = buckets_of(core, keys, 20)
    moved = after != before
    assert ((after[moved] >= 10) & (after[moved] < 20)).all()
    # 10 of 20 buckets are new: half the keys move.
    assert_binomial(int(moved.sum()), len(keys), 10 / 20)


# --- minimal movement -----------------------------------------------------------


def assert_binomial(count: int, trials: int, p: float) -> None:
    """``count`` is within 6 standard deviations of Binomial(trials, p)."""
    mean = trials * p
    bound = 6 * math.sqrt(trials * p * (1 - p)) + 1
    assert abs(count - mean) <= bound, (count, mean, bound)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 100, 1000, 65535, 10**6, MAX_BUCKETS - 1])
def test_about_one_in_n_plus_one_keys_move(core: ModuleType, n: int) -> None:
    count = 200_000 if is_fast(core) else 20_000
    for keys in (int_keys(count, n), str_keys(count, f"{n}/")):
        before = buckets_of(core, keys, n)
        after = buckets_of(core, keys, n + 1)
        moved = after != before
        assert (after[moved] == n).all()
        assert_binomial(int(moved.sum()), count, 1 / (n + 1))


# --- uniformity -----------------------------------------------------------------


def chi_square(buckets: Any, n: int) -> float:
    counts = np.bincount(buckets, minlength=n)
    assert counts.size == n  # no bucket outside [0, n)
    expected = buckets.size / n
    return float(((counts - expected) ** 2).sum() / expected)


# Keys per test: at least 2 per bucket (the statistic's variance is 2 df
# whatever the count per bucket, so the bound still holds); fewer for the
# slower pure core, which test_parity holds to the same answers.
UNIFORMITY_KEYS = {
    "cython": {7: 70_000, 1000: 200_000, 65536: 16 * 65536},
    "python": {7: 35_000, 1000: 50_000, 65536: 2 * 65536},
}


@pytest.mark.parametrize("n", [7, 1000, 65536])
@pytest.mark.parametrize("kind", ["int", "str"])
def test_chi_square_uniformity(core: ModuleType, n: int, kind: str) -> None:
    count = UNIFORMITY_KEYS["cython" if is_fast(core) else "python"][n]
    keys: Any = int_keys(count, 65536 + n) if kind == "int" else str_keys(count, f"k{n}-")
    buckets = buckets_of(core, keys, n)
    df = n - 1
    stat = chi_square(buckets, n)
    bound = 6 * math.sqrt(2 * df)
    assert df - bound <= stat <= df + bound, (stat, df)


def test_chi_square_rejects_skewed_and_too_even_spreads() -> None:
    # The bound has teeth: a 2% skew and a round-robin spread both fail it.
    n, count = 1000, 200_000
    df, bound = n - 1, 6 * math.sqrt(2 * (n - 1))
    rng = np.random.default_rng(5)
    skewed = rng.integers(0, n, size=count)
    skewed[: count // 50] = 0
    assert chi_square(skewed, n) > df + bound
    assert chi_square(np.arange(count) % n, n) < df - bound
    fair = rng.integers(0, n, size=count)
    assert df - bound <= chi_square(fair, n) <= df + bound
