"""No leaks: many calls of each kind, error paths included, leave RSS flat.

Every call gets fresh input objects (new strings, bytes, lists and arrays), so
a reference or a buffer that a core forgot to release would keep them alive.
Each kind is warmed up first (free lists, caches, interned objects), then
``calls`` calls must grow the resident set by less than 1 MB, and Python's
count of allocated blocks (``sys.getallocatedblocks``, exact for leaked
objects) by less than one per 100 calls.  The default run makes 20,000 calls
of each kind on the compiled core and 2,000 on the pure one; the slow test a
million on the compiled core (where reference counting is written by hand) and
100,000 on the pure one.  ``pytest tests/test_leaks.py -m slow -s`` prints the
figures.
"""

from __future__ import annotations

import array
import gc
import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
from helpers import Index, np

LIMIT = 2**20  # bytes of RSS growth allowed per kind


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        pass
    resource = pytest.importorskip("resource")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # a peak: only grows
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def skip_if_rss_is_meaningless() -> None:
    if sys.platform == "win32":
        pytest.skip("RSS is read from /proc or getrusage")
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("AddressSanitizer's quarantine holds freed memory: RSS says nothing")
    if sys.gettrace() is not None or "coverage" in sys.modules:
        pytest.skip("coverage's tracer grows with every traced line")


def expect(exc: type[Exception], func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        func(*args, **kwargs)
    except exc:
        return
    raise AssertionError(f"{func.__name__}{args} did not raise {exc.__name__}")


def failing_keys(i: int) -> Iterator[int]:
    yield i
    raise KeyError(i)


def kinds(core: ModuleType, np: Any) -> dict[str, tuple[Callable[[int], object], int]]:
    """name -> (one call for counter i, how many of the run's calls to make: 1/x)."""
    jh, many, hk, xx = core.jump_hash, core.jump_hash_many, core.hash_key, core.xxh64
    big = 2**64 - 1
    table: dict[str, tuple[Callable[[int], object], int]] = {
        # Results.
        "jump_hash(int)": (lambda i: jh(i * 0x9E3779B97F4A7C15 % 2**64, 1000), 1),
        "jump_hash(negative int)": (lambda i: jh(-i - 10**6, 1000), 1),
        "jump_hash(str ascii)": (lambda i: jh(f"key-{i}", 1000), 1),
        "jump_hash(str non-ascii)": (lambda i: jh(f"ключ-{i}", 1000), 1),
        "jump_hash(bytes)": (lambda i: jh(b"k%d" % i, 1000), 1),
        "jump_hash(bytearray)": (lambda i: jh(bytearray(b"k%d" % i), 1000), 1),
        "jump_hash(memoryview)": (lambda i: jh(memoryview(b"k%d" % i), 1000), 1),
        "jump_hash(strided memoryview)": (lambda i: jh(memoryview(b"k%dxy" % i)[::2], 1000), 1),
        "jump_hash(__index__)": (lambda i: jh(Index(i), Index(1000)), 1),
        "hash_key(str)": (lambda i: hk(f"ключ-{i}"), 1),
        "hash_key(int)": (lambda i: hk(big - i), 1),
        "xxh64(bytes)": (lambda i: xx(b"%d" % i * 5), 1),
        "xxh64(strided memoryview)": (lambda i: xx(memoryview(b"%d" % i * 5)[::3]), 1),
        "many(list)": (lambda i: many([i, -i, f"s{i}", b"b%d" % i, big - i], 10**6), 1),
        "many(list, shared buckets)": (lambda i: many(list(range(i, i + 300)), 100), 10),
        "many(tuple)": (lambda i: many((i, f"t{i}"), 10), 1),
        "many(generator)": (lambda i: many((k for k in (i, f"g{i}")), 10), 1),
        "many(array.array)": (lambda i: many(array.array("q", [i, -i, 7]), 10), 1),
        "many(memoryview of bytes)": (lambda i: many(memoryview(b"%d" % i), 10), 1),
        "jump_hash(jumpback)": (lambda i: jh(f"key-{i}", 1000, algorithm="jumpback"), 1),
        "many(list, jumpback)": (lambda i: many([i, f"s{i}"], 10**6, algorithm="jumpback"), 1),
        # Errors.
        "error: key above range": (lambda i: expect(ValueError, jh, 2**64 + i, 10), 1),
        "error: key below range": (lambda i: expect(ValueError, jh, -(2**63) - 1 - i, 10), 1),
        "error: huge int key": (lambda i: expect(ValueError, jh, 10**400 + i, 10), 1),
        "error: empty str": (lambda i: expect(ValueError, jh, "", 10), 1),
        "error: empty bytes": (lambda i: expect(ValueError, jh, b"", 10), 1),
        "error: empty bytearray": (lambda i: expect(ValueError, jh, bytearray(), 10), 1),
        "error: empty strided memoryview": (
            lambda i: expect(ValueError, hk, memoryview(b"")[::2]),
            1,
        ),
        "error: lone surrogate": (lambda i: expect(ValueError, jh, f"a{i}\ud800", 10), 1),
        "error: bool key": (lambda i: expect(TypeError, jh, True, 10), 1),
        "error: None key": (lambda i: expect(TypeError, hk, None), 1),
        "error: float key": (lambda i: expect(TypeError, jh, i + 0.5, 10), 1),
        "error: __index__ out of range": (lambda i: expect(ValueError, jh, Index(-(2**70)), 10), 1),
        "error: buckets 0": (lambda i: expect(ValueError, jh, i, 0), 1),
        "error: buckets 2**31": (lambda i: expect(ValueError, jh, i, 2**31 + i), 1),
        "error: buckets huge": (lambda i: expect(ValueError, jh, i, 10**400), 1),
        "error: buckets bool": (lambda i: expect(TypeError, jh, i, True), 1),
        "error: buckets str": (lambda i: expect(TypeError, jh, i, f"{i}"), 1),
        "error: many(single str)": (lambda i: expect(TypeError, many, f"s{i}", 10), 1),
        "error: many(not iterable)": (lambda i: expect(TypeError, many, i, 10), 1),
        "error: many(bad element)": (lambda i: expect(TypeError, many, [i, f"{i}", None], 10), 1),
        "error: many(element out of range)": (
            lambda i: expect(ValueError, many, [f"{i}", 2**64 + i], 10),
            1,
        ),
        "error: many(empty element)": (lambda i: expect(ValueError, many, [i, b""], 10), 1),
        "error: many(iterable raises)": (lambda i: expect(KeyError, many, failing_keys(i), 10), 1),
        "error: many(float array.array)": (
            lambda i: expect(TypeError, many, array.array("d", [i]), 10),
            1,
        ),
        "error: many(2-d memoryview)": (
            lambda i: expect(
                TypeError, many, memoryview(b"%04d" % (i % 10000)).cast("B", (2, 2)), 10
            ),
            1,
        ),
        "error: many(threads=0)": (lambda i: expect(ValueError, many, [i], 10, threads=0), 1),
        "error: many(threads=True)": (lambda i: expect(TypeError, many, [i], 10, threads=True), 1),
        "error: many(threads=float)": (lambda i: expect(TypeError, many, [i], 10, threads=1.5), 1),
        "error: many(buckets bad)": (lambda i: expect(ValueError, many, [i], -i), 1),
        "error: jumpback with guava": (
            lambda i: expect(ValueError, jh, i, 10, algorithm="jumpback", variant="guava"),
            1,
        ),
        "error: many(unknown algorithm)": (
            lambda i: expect(ValueError, many, [i], 10, algorithm=f"x{i}"),
            1,
        ),
        "error: xxh64(int)": (lambda i: expect(TypeError, xx, i), 1),
        "error: xxh64(str)": (lambda i: expect(TypeError, xx, f"{i}"), 1),
    }
    if np is not None:
        table.update(
            {
                "many(ndarray uint64)": (
                    lambda i: many(np.arange(i, i + 16, dtype=np.uint64), 10),
                    1,
                ),
                "many(ndarray >i4 strided)": (
                    lambda i: many(np.arange(i, i + 32, dtype=">i4")[::3], 10),
                    1,
                ),
                "many(ndarray 2-d, F order: copied)": (
                    lambda i: many(np.asfortranarray(np.arange(i, i + 12).reshape(3, 4)), 10),
                    1,
                ),
                "many(ndarray object)": (
                    lambda i: many(np.array([f"o{i}", i], dtype=object), 10),
                    1,
                ),
                "many(ndarray threads=2, 2 jobs)": (
                    lambda i: many(np.arange(i, i + 2**17, dtype=np.uint64), 10, threads=2),
                    2000,
                ),
                "jump_hash(numpy scalar)": (lambda i: jh(np.uint64(i), np.int64(1000)), 1),
                "error: many(float ndarray)": (
                    lambda i: expect(TypeError, many, np.full(4, i, dtype=np.float64), 10),
                    1,
                ),
                "error: many(bool ndarray)": (
                    lambda i: expect(TypeError, many, np.zeros(4, dtype=bool), 10),
                    1,
                ),
                "error: many(0-d ndarray)": (
                    lambda i: expect(TypeError, many, np.array(i, dtype=np.int64), 10),
                    1,
                ),
                "error: many(object ndarray, bad element)": (
                    lambda i: expect(TypeError, many, np.array([i, None], dtype=object), 10),
                    1,
                ),
            }
        )
    return table


def measure(call: Callable[[int], object], calls: int) -> tuple[int, int]:
    """(RSS growth in bytes, growth of Python's allocated blocks) over ``calls`` calls."""
    for i in range(max(1, calls // 10)):
        call(i)
    gc.collect()
    before, blocks = rss_bytes(), sys.getallocatedblocks()
    for i in range(calls):
        call(i)
    gc.collect()
    return rss_bytes() - before, sys.getallocatedblocks() - blocks


def fill_shared_bucket_table(core: ModuleType) -> None:
    """Fill the compiled core's table of bucket ints, which grows up to its bound.

    Results below 65,536 are shared int objects, made on first use and kept;
    once all of them exist, a call that allocates a block has leaked it.
    """
    if not hasattr(core, "_shared_bucket_ints"):
        return
    filled, capacity = core._shared_bucket_ints()  # (0, 0) on free-threaded builds
    start = 0
    while filled < capacity and start < 50 * capacity:
        core.jump_hash_many(range(start, start + 4 * capacity), capacity)
        start += 4 * capacity
        filled, capacity = core._shared_bucket_ints()
    assert filled == capacity


def run_all(core: ModuleType, calls: int) -> dict[str, tuple[int, int]]:
    skip_if_rss_is_meaningless()
    fill_shared_bucket_table(core)
    growth = {}
    for name, (call, divisor) in kinds(core, np).items():
        growth[name] = measure(call, max(1, calls // divisor))
    print(f"\n{core.__name__}: growth per kind over {calls:,} calls: RSS (KiB), Python blocks")
    for name, (grew, blocks) in growth.items():
        print(f"  {name:45} {grew / 1024:8.1f} {blocks:6d}")
    worst = max(g for g, _ in growth.values()) / 1024
    print(f"  worst RSS growth {worst:.1f} KiB; total RSS {rss_bytes() / 2**20:.1f} MiB")
    return growth


def check(growth: dict[str, tuple[int, int]], calls: int) -> None:
    # RSS: the criterion.  Allocated blocks: exact for objects leaked by
    # a missing decref, even where freed heap from earlier tests hides RSS growth.
    too_big = {k: v for k, v in growth.items() if v[0] >= LIMIT or v[1] >= max(100, calls // 100)}
    assert not too_big, too_big


def test_every_kind_of_call_is_covered(core: ModuleType) -> None:
    # Each kind really does what its name says: results, or the error expected.
    for name, (call, _) in kinds(core, np).items():
        result = call(3)
        if name.startswith("error"):
            assert result is None, name
        else:
            assert result is not None, name


def test_the_measure_sees_a_leak() -> None:
    skip_if_rss_is_meaningless()
    sink: list[bytes] = []
    # 128 calls that each keep 1 MiB of written bytes alive: far more than any
    # memory an earlier test may have freed for reuse, so RSS must grow.  (Not
    # bytes(n): calloc'd pages that are never written do not count in RSS.)
    rss, blocks = measure(lambda i: sink.append(b"x" * (1 << 20) + bytes([i % 256])), 128)
    assert rss > LIMIT
    assert blocks >= 128
    # One small object a call: too little for RSS to show reliably, but every block counts.
    assert measure(lambda i: sink.append(f"x{i}".encode()), 20_000)[1] >= 20_000


def test_no_leaks_quick(core: ModuleType) -> None:
    calls = 20_000 if core.IMPLEMENTATION == "cython" else 2_000
    check(run_all(core, calls), calls)


@pytest.mark.slow
def test_no_leaks_a_million_calls(core: ModuleType) -> None:
    calls = 1_000_000 if core.IMPLEMENTATION == "cython" else 100_000
    check(run_all(core, calls), calls)
