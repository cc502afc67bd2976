"""Every batch kernel of the compiled core gives the scalar loop's answers.

The compiled core hashes batches with the best kernel its build and CPU
have: AVX-512 (x86-64, GCC or clang, a CPU with AVX-512 F and DQ), SSE2 (any
x86) or the portable lockstep kernel.  The import picks one; these tests run
every kernel available here, switched in turn, against the reference vectors,
against single calls (the scalar loop) and at every batch length around the
kernels' widths and thresholds.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

np = pytest.importorskip("numpy")

ALL_KERNELS = ["portable", "sse2", "avx512"]


@pytest.fixture(params=ALL_KERNELS)
def kernel(request: pytest.FixtureRequest, compiled_core: ModuleType) -> Iterator[ModuleType]:
    """The compiled core with one batch kernel in use; the import's choice after."""
    name = request.param
    if name not in compiled_core._batch_kernels():
        pytest.skip(f"no {name} kernel in this build or on this CPU")
    previous = compiled_core._use_batch_kernel(name)
    try:
        yield compiled_core
    finally:
        compiled_core._use_batch_kernel(previous)


def random_keys(count: int, seed: int) -> Any:
    return np.random.default_rng(seed).integers(0, 2**64, size=count, dtype=np.uint64)


def test_kernel_choice_is_reported_and_checked(compiled_core: ModuleType) -> None:
    assert compiled_core._BATCH_KERNEL in compiled_core._batch_kernels()
    with pytest.raises(ValueError, match="batch kernel 'nope' is not available"):
        compiled_core._use_batch_kernel("nope")


def test_reference_rows(kernel: ModuleType, jump_rows: list[tuple[int, int, int, str]]) -> None:
    # Each row's key among other keys, in batches long enough for every
    # kernel, at a position that moves with n.
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, bucket, _ in jump_rows:
        by_n.setdefault(n, []).append((key, bucket))
    filler = random_keys(300, 1).tolist()
    for n, pairs in by_n.items():
        keys = [k for k, _ in pairs] * 3 + filler
        expected = [b for _, b in pairs] * 3 + [kernel.jump_hash(k, n) for k in filler]
        shift = n % len(keys)
        keys = keys[shift:] + keys[:shift]
        expected = expected[shift:] + expected[:shift]
        assert kernel.jump_hash_many(np.array(keys, dtype=np.uint64), n).tolist() == expected, n


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1000, 65536, 10**6, 2**31 - 1])
def test_random_keys_match_single_calls(kernel: ModuleType, n: int) -> None:
    keys = random_keys(50_000, n)
    expected = [kernel.jump_hash(k, n) for k in keys.tolist()]
    assert kernel.jump_hash_many(keys, n).tolist() == expected
    assert kernel.jump_hash_many(keys, n, threads=2).tolist() == expected
    assert kernel.jump_hash_many(keys.tolist(), n) == expected
    assert kernel.jump_hash_many(keys.astype(">u8"), n).tolist() == expected


@pytest.mark.parametrize("n", [1, 7, 1000, 2**31 - 1])
def test_every_length_around_the_kernel_widths(kernel: ModuleType, n: int) -> None:
    # Below, at and above: 12 and 24 (SSE2), 64 and 256 (AVX-512), 16 (portable).
    keys = random_keys(700, 7)
    expected = [kernel.jump_hash(k, n) for k in keys.tolist()]
    for length in range(len(keys) + 1):
        start = len(keys) - length
        assert kernel.jump_hash_many(keys[start:], n).tolist() == expected[start:], length
        assert kernel.jump_hash_many(keys[:length], n).tolist() == expected[:length], length


def test_products_exactly_on_num_buckets(
    kernel: ModuleType, landing_keys: list[tuple[int, int]]
) -> None:
    filler = random_keys(400, 3).tolist()
    for key, n in landing_keys:
        for count in (13, 77):
            keys = filler[:150] + [key] * count + filler[150:]
            got = kernel.jump_hash_many(np.array(keys, dtype=np.uint64), n).tolist()
            assert got[150 : 150 + count] == [0] * count, (key, n)
            assert got == [kernel.jump_hash(k, n) for k in keys], (key, n)
