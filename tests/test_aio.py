"""The asyncio API gives the sync calls' results and errors, inline or in an executor.

Every test runs over both cores: the ``acore`` fixture switches the one
reference ``rvh_stable.aio`` calls through (``aio._core``) to each of them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from types import ModuleType
from typing import Any, TypeVar

import pytest
from helpers import TRACED, any_outcome, any_outcome_async, loop_ticks

import rvh_stable
from rvh_stable import aio
from rvh_stable.aio import async_jump_hash, async_jump_hash_many, jump_hash_async

T = TypeVar("T")

KEYS: list[Any] = [
    0,
    1,
    42,
    -42,
    2**64 - 1,
    -(2**63),
    "tx42",
    "TX12345",
    "ключ",
    "🔑",
    b"tx42",
    bytearray(b"ab"),
    memoryview(b"cd"),
    "x" * 100,
]


@pytest.fixture
def acore(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Each core, with the asyncio layer switched to it."""
    monkeypatch.setattr(aio, "_core", core)
    return core


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that counts what it is given, and on which threads it ran."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0
        self.threads: set[int] = set()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self.submitted += 1

        def call() -> T:
            self.threads.add(threading.get_ident())
            return fn(*args, **kwargs)

        return super().submit(call)


@pytest.fixture
def pool() -> Iterator[CountingExecutor]:
    with CountingExecutor() as executor:
        yield executor


# --- single keys ----------------------------------------------------------------


def test_alias_is_the_same_function() -> None:
    assert jump_hash_async is async_jump_hash


def test_the_layer_runs_the_core_the_package_picked() -> None:
    assert aio._core.IMPLEMENTATION == rvh_stable.IMPLEMENTATION
    assert aio._core.jump_hash is rvh_stable.jump_hash
    assert aio._core.jump_hash_many is rvh_stable.jump_hash_many


@pytest.mark.parametrize("num_buckets", [1, 7, 1000, 2**31 - 1])
def test_single_key_results(acore: ModuleType, num_buckets: int) -> None:
    async def main() -> list[int]:
        return [await async_jump_hash(k, num_buckets) for k in KEYS]

    assert run(main()) == [acore.jump_hash(k, num_buckets) for k in KEYS]
    assert run(jump_hash_async(42, 57)) == 43


def test_single_key_runs_inline_by_default(acore: ModuleType, pool: CountingExecutor) -> None:
    async def main() -> int:
        asyncio.get_running_loop().set_default_executor(pool)
        return await async_jump_hash("tx42", 1000)

    assert run(main()) == acore.jump_hash("tx42", 1000)
    assert pool.submitted == 0


def test_executor_path(acore: ModuleType, pool: CountingExecutor) -> None:
    async def main() -> list[int]:
        return [await async_jump_hash(k, 1000, executor=pool) for k in KEYS]

    assert run(main()) == [acore.jump_hash(k, 1000) for k in KEYS]
    assert pool.submitted == len(KEYS)
    assert threading.get_ident() not in pool.threads


BAD_SINGLE: list[tuple[Any, Any]] = [
    ("tx42", 0),
    ("tx42", -1),
    ("tx42", 2**31),
    ("tx42", 2**80),
    ("tx42", "7"),
    ("tx42", 7.0),
    ("tx42", True),
    ("tx42", None),
    ("", 7),
    (b"", 7),
    (2**64, 7),
    (-(2**63) - 1, 7),
    (1.5, 7),
    (None, 7),
    (True, 7),
    ("\ud800", 7),
    (["tx42"], 7),
]


@pytest.mark.parametrize(("key", "num_buckets"), BAD_SINGLE)
def test_single_key_errors_are_the_sync_ones(
    acore: ModuleType, pool: CountingExecutor, key: Any, num_buckets: Any
) -> None:
    expected = any_outcome(acore.jump_hash, key, num_buckets)
    assert expected[0] in ("ValueError", "TypeError")

    async def main() -> list[tuple[str, Any]]:
        coro = async_jump_hash(key, num_buckets)  # nothing is raised before the await
        return [
            await any_outcome_async(coro),
            await any_outcome_async(async_jump_hash(key, num_buckets, executor=pool)),
        ]

    assert run(main()) == [expected, expected]


def test_executor_must_be_an_executor(acore: ModuleType) -> None:
    message = "executor must be a concurrent.futures.Executor or None, got str"
    with pytest.raises(TypeError, match=message):
        run(async_jump_hash("tx42", 10, executor="pool"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=message):
        run(async_jump_hash_many(["tx42"], 10, executor="pool"))  # type: ignore[arg-type]


def test_gather_of_thousands_of_calls(acore: ModuleType, pool: CountingExecutor) -> None:
    rng = random.Random(3)
    keys: list[Any] = [rng.getrandbits(64) for _ in range(3000)]
    keys += [f"user:{i}" for i in range(3000)]

    async def main() -> tuple[list[int], list[int]]:
        inline = await asyncio.gather(*(async_jump_hash(k, 12345) for k in keys))
        threaded = await asyncio.gather(
            *(async_jump_hash(k, 12345, executor=pool) for k in keys[::6])
        )
        return list(inline), list(threaded)

    inline, threaded = run(main())
    expected = acore.jump_hash_many(keys, 12345)
    assert inline == expected
    assert threaded == expected[::6]
    assert pool.submitted == len(keys[::6])


def test_process_pool_executor(acore: ModuleType) -> None:
    # Any Executor: the core's functions pickle by reference, so the child
    # process imports and runs the same core.
    context = multiprocessing.get_context("spawn")

    async def main() -> tuple[int, list[int]]:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
            one = await async_jump_hash("tx42", 1000, executor=executor)
            many = await async_jump_hash_many(["tx42", 42, "ключ"], 1000, executor=executor)
            return one, many

    assert run(main()) == (
        acore.jump_hash("tx42", 1000),
        acore.jump_hash_many(["tx42", 42, "ключ"], 1000),
    )


# --- batches --------------------------------------------------------------------


def test_batch_results(acore: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    limit = aio.INLINE_BATCH_MAX[acore.IMPLEMENTATION]
    small = KEYS[:limit]
    large = [f"k{i}" for i in range(limit * 3)] + KEYS
    array = np.arange(-500, 5000, dtype=np.int64).reshape(11, 500)

    async def main() -> list[Any]:
        return [
            await async_jump_hash_many(small, 1000),
            await async_jump_hash_many(large, 1000),
            await async_jump_hash_many((k for k in large), 1000),
            await async_jump_hash_many(array, 1000, threads=2),
            await async_jump_hash_many(array[:1, :3], 1000),
            await async_jump_hash_many([], 1000),
        ]

    got = run(main())
    assert got[0] == acore.jump_hash_many(small, 1000)
    assert got[1] == got[2] == acore.jump_hash_many(large, 1000)
    assert isinstance(got[3], np.ndarray)
    assert got[3].shape == array.shape
    assert (got[3] == acore.jump_hash_many(array, 1000)).all()
    assert got[4].tolist() == acore.jump_hash_many(array[:1, :3], 1000).tolist()
    assert got[5] == []


def test_small_batches_run_inline_large_ones_in_an_executor(
    acore: ModuleType, pool: CountingExecutor
) -> None:
    np = pytest.importorskip("numpy")
    limit = aio.INLINE_BATCH_MAX[acore.IMPLEMENTATION]
    keys = [f"k{i}" for i in range(limit + 1)]

    async def submitted(make: Callable[[], Any], **kwargs: Any) -> int:
        """How many jobs the executors got for a batch of make()'s keys."""
        before = pool.submitted
        result = await async_jump_hash_many(make(), 77, **kwargs)
        expected = acore.jump_hash_many(make(), 77)
        assert np.asarray(result).tolist() == np.asarray(expected).tolist()
        return pool.submitted - before

    async def main() -> list[int]:
        asyncio.get_running_loop().set_default_executor(pool)
        return [
            await submitted(lambda: keys[:limit]),  # at the limit: inline
            await submitted(lambda: keys),  # one more: the loop's default executor
            await submitted(lambda: np.arange(limit, dtype=np.uint64)),  # counted in keys
            await submitted(lambda: np.arange(limit + 1, dtype=np.uint64)),
            await submitted(lambda: np.zeros((2, limit // 2 + 1), dtype=np.int32)),  # .size
            await submitted(lambda: iter(keys[:3])),  # no len(): not known to be small
            await submitted(lambda: keys[:3], executor=pool),  # executor= always uses it
        ]

    assert run(main()) == [0, 1, 0, 1, 1, 1, 1]
    assert threading.get_ident() not in pool.threads


BAD_BATCHES: list[tuple[Any, Any, Any]] = [
    (["a"], 0, 1),
    (["a"], "7", 1),
    ([], 2**31, 1),
    (["a", ""], 7, 1),
    ([1, 2, 2**64], 7, 1),
    ([1, None], 7, 1),
    ("abc", 7, 1),
    (b"abc", 7, 1),
    (5, 7, 1),
    (["a"], 7, 0),
    (["a"], 7, "2"),
]


@pytest.mark.parametrize(("keys", "num_buckets", "threads"), BAD_BATCHES)
def test_batch_errors_are_the_sync_ones(
    acore: ModuleType, pool: CountingExecutor, keys: Any, num_buckets: Any, threads: Any
) -> None:
    expected = any_outcome(acore.jump_hash_many, keys, num_buckets, threads=threads)
    assert expected[0] in ("ValueError", "TypeError")
    padding = ["pad"] * (aio.INLINE_BATCH_MAX[acore.IMPLEMENTATION] + 1)
    if isinstance(keys, list):  # the same error, from a batch too large to run inline
        large = padding + keys
        large_expected = any_outcome(acore.jump_hash_many, large, num_buckets, threads=threads)
    else:
        large, large_expected = keys, expected

    async def main() -> list[tuple[str, Any]]:
        return [
            await any_outcome_async(async_jump_hash_many(keys, num_buckets, threads=threads)),
            await any_outcome_async(async_jump_hash_many(large, num_buckets, threads=threads)),
            await any_outcome_async(
                async_jump_hash_many(keys, num_buckets, threads=threads, executor=pool)
            ),
        ]

    assert run(main()) == [expected, large_expected, expected]


# --- the loop stays responsive ------------------------------------------------------


def test_loop_stays_responsive_during_a_large_batch(acore: ModuleType) -> None:
    """A 1 ms ticker keeps ticking while a large NumPy batch runs.

    Not a tight timing assertion: an inline batch would stop the ticker for
    the whole batch (no tick, one gap as long as the batch); the bounds only
    ask for a few ticks and no gap of half the batch's length.  The 20M-key
    figure with the 20 ms bound is measured by benchmarks/bench_aio_cli.py.
    """
    np = pytest.importorskip("numpy")
    # About 0.3-0.5 s of work for each core on one thread.
    count = 6_000_000 if acore.IMPLEMENTATION == "cython" else 200_000
    keys = np.arange(count, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)

    result, took, largest_gap, ticks = run(loop_ticks(async_jump_hash_many(keys, 1000)))
    assert result[:1000].tolist() == acore.jump_hash_many(keys[:1000], 1000).tolist()
    assert ticks >= 5, f"{ticks} ticks in {took:.3f} s"
    assert largest_gap < took / 2, f"gap {largest_gap:.3f} s"


# --- the package's exports ------------------------------------------------------------


def test_the_loop_runs_during_an_async_list_batch(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The loop keeps running while a batch that needs the GIL runs in the executor.
    if TRACED:
        pytest.skip("line tracing (coverage) takes the GIL on every traced line")
    monkeypatch.setattr(aio, "_core", core)
    keys = list(range(2 * 10**7 if core.IMPLEMENTATION == "cython" else 3 * 10**5))

    _, took, gap, _ = asyncio.run(loop_ticks(aio.async_jump_hash_many(keys, 1000)))
    assert took > 0.1, took
    assert gap < max(0.05, took / 4), (gap, took)


def test_hasher_seed_and_variant_are_passed_on(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aio, "_core", core)

    async def main() -> tuple[int, list[int], int]:
        one = await aio.async_jump_hash("localhost", 10, hasher="crc32")
        many = await aio.async_jump_hash_many(["localhost"] * 5000, 10, hasher="crc32")
        guava = await aio.async_jump_hash(8733038231761546088, 2**30, variant="guava")
        return one, many, guava

    one, many, guava = asyncio.run(main())
    assert one == 9 and many == [9] * 5000 and guava == 48
    with pytest.raises(ValueError, match="takes no seed"):
        asyncio.run(aio.async_jump_hash("k", 10, hasher="fnv1_64", seed=3))


def test_package_exports_the_async_api() -> None:
    assert rvh_stable.async_jump_hash is async_jump_hash
    assert rvh_stable.jump_hash_async is async_jump_hash
    assert rvh_stable.async_jump_hash_many is async_jump_hash_many
    assert {"async_jump_hash", "jump_hash_async", "async_jump_hash_many"} <= set(rvh_stable.__all__)
