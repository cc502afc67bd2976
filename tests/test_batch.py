"""jump_hash_many: element i equals jump_hash(keys[i], n), for every kind of input.

Lists, tuples, iterables, ``array.array`` and NumPy arrays (every integer
dtype, byte order and stride; object, string and masked arrays), ``threads=``,
and large inputs: ``num_buckets = 2**31-1``, a batch of one repeated key,
keys at both ends of the range, and (slow) a 50M-key array within memory.
Arrow input is in test_arrow.py; what a bad element raises in
test_errors.py.
"""

from __future__ import annotations

import array
import os
import random
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from helpers import TRACED, Index, np

from rvh_stable import _rules

MAX_BUCKETS = 2**31 - 1

INT_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]


def needs_numpy() -> Any:
    return pytest.importorskip("numpy")


def is_pure(core: ModuleType) -> bool:
    """True for the pure core, and for a traced compiled core: both get small inputs."""
    return TRACED or bool(core.IMPLEMENTATION == "python")


def one_by_one(core: ModuleType, keys: Any, n: int) -> list[int]:
    return [core.jump_hash(k, n) for k in keys]


def random_u64(count: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(64) for _ in range(count)]


def test_list_tuple_generator(core: ModuleType) -> None:
    keys = random_u64(500)
    expected = one_by_one(core, keys, 1000)
    assert core.jump_hash_many(keys, 1000) == expected
    assert core.jump_hash_many(tuple(keys), 1000) == expected
    assert core.jump_hash_many((k for k in keys), 1000) == expected
    assert core.jump_hash_many(iter(keys), 1000) == expected
    assert core.jump_hash_many(range(0, 100), 7) == one_by_one(core, range(100), 7)
    assert core.jump_hash_many(dict.fromkeys(keys), 1000) == expected


def test_result_is_a_list_of_ints(core: ModuleType) -> None:
    result = core.jump_hash_many([1, 2, 3], 10)
    assert type(result) is list
    assert all(type(b) is int for b in result)


def test_mixed_key_kinds(core: ModuleType) -> None:
    keys: list[Any] = [
        1,
        -1,
        2**64 - 1,
        "tx42",
        b"tx42",
        bytearray(b"ab"),
        memoryview(b"cd"),
        "ключ",
        Index(99),
        0,
    ]
    assert core.jump_hash_many(keys, 12345) == one_by_one(core, keys, 12345)


def test_empty_input(core: ModuleType) -> None:
    assert core.jump_hash_many([], 10) == []
    assert core.jump_hash_many((), 10) == []
    assert core.jump_hash_many(iter(()), 10) == []
    assert core.jump_hash_many(array.array("q"), 10) == []


@pytest.mark.parametrize("typecode", list("bBhHiIlLqQ"))
def test_array_array(core: ModuleType, typecode: str) -> None:
    info = array.array(typecode).itemsize * 8
    low = -(2 ** (info - 1)) if typecode.islower() else 0
    high = 2 ** (info - 1) - 1 if typecode.islower() else 2**info - 1
    rng = random.Random(typecode)
    values = [low, high, 0, 1] + [rng.randint(low, high) for _ in range(300)]
    keys = array.array(typecode, values)
    result = core.jump_hash_many(keys, 1000)
    assert type(result) is list
    assert result == one_by_one(core, values, 1000)
    assert core.jump_hash_many(memoryview(keys), 1000) == result


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_numpy_integer_dtypes(core: ModuleType, dtype: str) -> None:
    np = pytest.importorskip("numpy")
    info = np.iinfo(dtype)
    rng = np.random.default_rng(2014)
    values = rng.integers(info.min, info.max, size=1000, dtype=dtype, endpoint=True)
    values[:2] = [info.min, info.max]
    result = core.jump_hash_many(values, 1000)
    assert isinstance(result, np.ndarray)
    assert result.dtype == np.int64
    assert result.shape == values.shape
    assert result.tolist() == one_by_one(core, values.tolist(), 1000)


@pytest.mark.parametrize("dtype", [">i2", ">u4", ">i8", ">u8", "<i4", "<u8"])
def test_numpy_explicit_byte_orders(core: ModuleType, dtype: str) -> None:
    np = pytest.importorskip("numpy")
    values = np.array([0, 1, 2, 100, 12345, -1 if dtype[1] == "i" else 7], dtype=dtype)
    assert core.jump_hash_many(values, 77).tolist() == one_by_one(core, values.tolist(), 77)


def test_numpy_strided_and_reversed(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    base = np.array(random_u64(3000), dtype=np.uint64)
    for view in (base[::3], base[::-1], base[5:2000:7], base.view(np.int64)[1::2]):
        assert core.jump_hash_many(view, 999).tolist() == one_by_one(core, view.tolist(), 999)
    narrow = base.astype(np.uint32)[::5]
    assert core.jump_hash_many(narrow, 999).tolist() == one_by_one(core, narrow.tolist(), 999)


def test_numpy_does_not_modify_input(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    keys = np.arange(1000, dtype=np.int64)
    before = keys.copy()
    core.jump_hash_many(keys, 10)
    assert (keys == before).all()


def test_numpy_read_only_input(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    keys = np.arange(100, dtype=np.uint64)
    keys.flags.writeable = False
    assert core.jump_hash_many(keys, 10).tolist() == one_by_one(core, range(100), 10)


def test_numpy_multi_dimensional(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    keys = np.arange(60, dtype=np.int64).reshape(3, 4, 5)
    expected = np.array(one_by_one(core, range(60), 9)).reshape(3, 4, 5)
    assert (core.jump_hash_many(keys, 9) == expected).all()
    # Not C-contiguous: the result still follows the array's logical layout.
    transposed = keys.transpose(2, 0, 1)
    got = core.jump_hash_many(transposed, 9)
    assert got.shape == transposed.shape
    assert (got == expected.transpose(2, 0, 1)).all()


def test_numpy_object_and_string_arrays(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    strings = np.array(["tx42", "ключ", "b"])
    assert core.jump_hash_many(strings, 100).tolist() == one_by_one(
        core, ["tx42", "ключ", "b"], 100
    )
    objects = np.array([1, "a", b"b", 2**64 - 1], dtype=object)
    assert core.jump_hash_many(objects, 100).tolist() == one_by_one(core, objects.tolist(), 100)
    raw = np.array([b"ab", b"cd"])
    assert core.jump_hash_many(raw, 100).tolist() == one_by_one(core, [b"ab", b"cd"], 100)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex128", "bool"])
def test_numpy_float_and_bool_arrays_are_rejected(core: ModuleType, dtype: str) -> None:
    np = pytest.importorskip("numpy")
    kind = {"b": "bool", "c": "complex"}.get(np.dtype(dtype).kind, "float")
    with pytest.raises(TypeError, match=f"keys array must hold integers, got {kind}"):
        core.jump_hash_many(np.zeros(3, dtype=dtype), 10)


def test_float_array_array_is_rejected(core: ModuleType) -> None:
    with pytest.raises(TypeError, match="keys array must hold integers, got float"):
        core.jump_hash_many(array.array("d", [1.0]), 10)


def test_zero_dimensional_inputs_are_rejected(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    for keys in (np.array(5), np.int64(5), np.array("a")):
        with pytest.raises(TypeError, match="keys"):
            core.jump_hash_many(keys, 10)


def test_multi_dimensional_memoryview_is_rejected(core: ModuleType) -> None:
    grid = memoryview(array.array("q", range(6))).cast("B").cast("q", (2, 3))
    with pytest.raises(TypeError, match="keys array must have 1 dimension"):
        core.jump_hash_many(grid, 10)


@pytest.mark.parametrize("keys", ["tx42", b"tx42", bytearray(b"tx42")])
def test_a_single_str_or_bytes_is_not_a_batch(core: ModuleType, keys: Any) -> None:
    with pytest.raises(TypeError) as info:
        core.jump_hash_many(keys, 10)
    assert str(info.value) == (
        f"keys must be a collection of keys, got a single {type(keys).__name__}; "
        "use jump_hash() for one key, or wrap it in a list"
    )


@pytest.mark.parametrize("keys", [5, None, 1.5, object()])
def test_non_iterable_keys(core: ModuleType, keys: Any) -> None:
    with pytest.raises(TypeError) as info:
        core.jump_hash_many(keys, 10)
    assert str(info.value) == (
        f"keys must be an iterable of keys or an array of integers, got {type(keys).__name__}"
    )


def test_errors_raised_by_the_iterable_propagate(core: ModuleType) -> None:
    def keys() -> Iterator[int]:
        yield 1
        raise KeyError("from the generator")

    with pytest.raises(KeyError, match="from the generator"):
        core.jump_hash_many(keys(), 10)


# --- threads ----------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2, 3, 8, None])
def test_threads_give_identical_results(core: ModuleType, threads: int | None) -> None:
    np = pytest.importorskip("numpy")
    # Large enough that the compiled core really splits the work.
    keys = np.random.default_rng(3).integers(0, 2**64, size=300_000, dtype=np.uint64)
    single = core.jump_hash_many(keys, 1000) if core.IMPLEMENTATION == "cython" else None
    if single is None:
        keys = keys[:20_000]
        single = core.jump_hash_many(keys, 1000)
    assert (core.jump_hash_many(keys, 1000, threads=threads) == single).all()
    strided = keys[::3]
    assert (
        core.jump_hash_many(strided, 1000, threads=threads) == core.jump_hash_many(strided, 1000)
    ).all()


def test_threads_with_lists_and_array_array(core: ModuleType) -> None:
    keys = random_u64(70_000 if core.IMPLEMENTATION == "cython" else 5_000)
    expected = core.jump_hash_many(keys, 321)
    assert core.jump_hash_many(keys, 321, threads=4) == expected
    assert core.jump_hash_many(array.array("Q", keys), 321, threads=4) == expected


@pytest.mark.parametrize(
    ("threads", "exc", "message"),
    [
        (0, ValueError, "threads must be None or an int >= 1, got 0"),
        (-3, ValueError, "threads must be None or an int >= 1, got -3"),
        (True, TypeError, "threads must be None or an int >= 1, got bool"),
        (2.0, TypeError, "threads must be None or an int >= 1, got float"),
        ("2", TypeError, "threads must be None or an int >= 1, got str"),
    ],
)
def test_bad_threads(core: ModuleType, threads: Any, exc: type[Exception], message: str) -> None:
    # Whole messages: each names the argument, what it may be, and what it got.
    for keys in ([1], []):
        with pytest.raises(exc) as info:
            core.jump_hash_many(keys, 10, threads=threads)
        assert type(info.value) is exc and str(info.value) == message


def test_arrays_without_a_buffer_are_hashed_element_by_element(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    # NumPy refuses a buffer for datetime64 (ValueError): the elements are then
    # taken one by one, and are not valid keys.
    dates = np.array(["2026-11-27"], dtype="datetime64[D]")
    with pytest.raises(TypeError, match=r"^keys\[0\]: key must be .*got datetime64"):
        core.jump_hash_many(dates, 10)


@pytest.mark.parametrize("n", [1, 2, 10, 1000, 2**31 - 1])
def test_every_batch_length_matches_single_calls(core: ModuleType, n: int) -> None:
    # The batch kernels keep several keys in flight and finish the last ones
    # one by one; short batches take a scalar loop.  Every length from 0 up
    # to past several kernel widths, at every offset, gives the single-call
    # answers.
    np = pytest.importorskip("numpy")
    keys = [(i * 0x9E3779B97F4A7C15 + 12345) % 2**64 for i in range(150)]
    expected = [core.jump_hash(k, n) for k in keys]
    array = np.array(keys, dtype=np.uint64)
    for length in range(len(keys) + 1):
        assert core.jump_hash_many(keys[:length], n) == expected[:length], length
        start = len(keys) - length
        got = core.jump_hash_many(array[start:], n)
        assert got.tolist() == expected[start:], length


@pytest.mark.parametrize("threads", [3, 10**6, 2**63, 2**100])
def test_thread_counts_are_capped_to_the_cpus(core: ModuleType, threads: int) -> None:
    assert _rules.resolve_threads(threads) == min(threads, _rules.available_cpus())
    keys = list(range(1000))
    assert core.jump_hash_many(keys, 77, threads=threads) == core.jump_hash_many(keys, 77)
    if np is not None:
        array = np.arange(300_000, dtype=np.uint64)
        got = core.jump_hash_many(array, 77, threads=threads)
        assert got.tolist() == core.jump_hash_many(array, 77).tolist()


def test_threads_one_needs_no_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    # The default costs nothing: the CPUs are asked only for threads > 1.
    monkeypatch.setattr(_rules, "available_cpus", lambda: pytest.fail("asked"))
    assert _rules.resolve_threads(1) == 1


def test_masked_arrays_are_refused(core: ModuleType) -> None:
    if np is None:
        pytest.skip("needs NumPy")
    keys = np.ma.array([1, 2, 3], mask=[False, True, False])
    with pytest.raises(TypeError, match="masked array: its mask would be ignored"):
        core.jump_hash_many(keys, 10)
    assert core.jump_hash_many(keys.compressed(), 10).tolist() == core.jump_hash_many([1, 3], 10)


def test_numpy_byte_strings_lose_trailing_nuls(core: ModuleType) -> None:
    # NumPy's own semantics for "S" and "U" arrays, documented in the README:
    # an element reads back without its trailing NUL bytes.
    if np is None:
        pytest.skip("needs NumPy")
    keys = np.array([b"ab\x00", b"ab"], dtype="S3")
    got = core.jump_hash_many(keys, 1000).tolist()
    assert got[0] == got[1] == core.jump_hash(b"ab", 1000)


# --- large inputs -------------------------------------------------------------------


def test_the_largest_bucket_count(
    core: ModuleType, jump_rows: list[tuple[int, int, int, str]]
) -> None:
    rows = [(k, b) for k, n, b, _ in jump_rows if n == MAX_BUCKETS]
    assert rows
    keys = [k for k, _ in rows]
    want = [b for _, b in rows]
    assert [core.jump_hash(k, MAX_BUCKETS) for k in keys] == want
    assert core.jump_hash_many(keys, MAX_BUCKETS) == want
    assert core.jump_hash_many(array.array("Q", keys), MAX_BUCKETS) == want
    strs = [f"s{i}" for i in range(500)]
    got = core.jump_hash_many(strs, MAX_BUCKETS)
    assert all(0 <= b < MAX_BUCKETS for b in got)
    before = core.jump_hash_many(strs, MAX_BUCKETS - 1)
    assert all(g in (b, MAX_BUCKETS - 1) for g, b in zip(got, before, strict=True))


@pytest.mark.parametrize("n", [1, 1000, 65536, 65537, MAX_BUCKETS])
def test_one_key_repeated(core: ModuleType, n: int) -> None:
    count = 5000 if is_pure(core) else 300_000
    for key in (2**64 - 1, -(2**63), "tx42", b"\x00"):
        want = core.jump_hash(key, n)
        assert core.jump_hash_many([key] * count, n) == [want] * count
    np = pytest.importorskip("numpy")
    keys = np.full(count, 2**64 - 1, dtype=np.uint64)
    got = core.jump_hash_many(keys, n, threads=2)
    assert (got == core.jump_hash(2**64 - 1, n)).all()
    assert got.shape == (count,)


ENDS = [-(2**63), -(2**63) + 1, -2, -1, 0, 1, 2, 2**63 - 2, 2**63 - 1]


@pytest.mark.parametrize("n", [1, 2, 7, 1000, MAX_BUCKETS])
def test_keys_at_both_ends_of_the_range(core: ModuleType, n: int) -> None:
    unsigned = [k % 2**64 for k in ENDS]
    want = [core.jump_hash(k, n) for k in unsigned]
    assert [core.jump_hash(k, n) for k in ENDS] == want
    assert core.jump_hash_many(ENDS, n) == want
    assert core.jump_hash_many(array.array("q", ENDS), n) == want
    assert core.jump_hash_many(array.array("Q", unsigned), n) == want
    assert [core.hash_key(k) for k in ENDS] == unsigned
    for bad in (-(2**63) - 1, 2**64):
        with pytest.raises(ValueError, match=r"key must be an int in \[-2\*\*63, 2\*\*64\)"):
            core.jump_hash(bad, n)
    np = pytest.importorskip("numpy")
    assert core.jump_hash_many(np.array(ENDS, dtype=np.int64), n).tolist() == want
    assert core.jump_hash_many(np.array(unsigned, dtype=np.uint64), n).tolist() == want
    assert core.jump_hash_many(np.array(ENDS, dtype=">i8"), n).tolist() == want


def rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


@pytest.mark.slow
def test_a_50m_key_array_batch_within_memory(compiled_core: ModuleType) -> None:
    # Compiled core only: the pure one would need minutes and a list of 50M ints.
    np = needs_numpy()
    count = 50_000_000
    keys = np.arange(count, dtype=np.uint64)
    keys *= np.uint64(0x9E3779B97F4A7C15)  # spread them over the 64-bit range
    before = rss_bytes()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes() or 0)
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        got = compiled_core.jump_hash_many(keys, 1000, threads=2)
    finally:
        done.set()
        sampler.join()
    assert got.shape == (count,)
    assert got.dtype == np.int64
    output = count * 8
    if before is not None:
        # The output array is the only allocation (400 MB); the input is read in place.
        assert peak[0] - before <= output + 32 * 2**20, (before, peak[0])
    picks = np.random.default_rng(4).integers(0, count, size=20_000)
    for i in picks.tolist():
        assert got[i] == compiled_core.jump_hash(int(keys[i]), 1000)
    assert 0 <= got.min() and got.max() < 1000
    counts = np.bincount(got, minlength=1000)
    assert counts.min() > 0.95 * count / 1000
