"""Key and num_buckets rules, and their errors (tests/tables.py's BAD_KEYS), case by case."""

from __future__ import annotations

import enum
import sysconfig
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any

import pytest
from helpers import Index
from tables import BAD_KEYS


def _param_id(value: object) -> str | None:
    # pytest's default id calls str(), which refuses ints above 4300 digits.
    if isinstance(value, int) and value.bit_length() > 128:
        return f"int_{value.bit_length()}_bits"
    return None


class Color(enum.IntEnum):
    RED = 7


class StrKey(str):
    pass


class BytesKey(bytes):
    pass


def test_result_is_in_range(core: ModuleType) -> None:
    for n in (1, 2, 3, 10, 1000, 2**16, 2**31 - 1):
        for key in range(-50, 50):
            bucket = core.jump_hash(key, n)
            assert type(bucket) is int
            assert 0 <= bucket < n


def test_one_bucket_is_always_zero(core: ModuleType) -> None:
    for key in (0, 1, -1, 2**64 - 1, "x", b"y"):
        assert core.jump_hash(key, 1) == 0


@pytest.mark.parametrize("key", [0, 1, 2**31 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1])
def test_int_keys_are_uint64(core: ModuleType, key: int) -> None:
    assert core.hash_key(key) == key


@pytest.mark.parametrize("key", [-1, -2, -42, -(2**31), -(2**63)])
def test_negative_int_keys_are_twos_complement(core: ModuleType, key: int) -> None:
    assert core.hash_key(key) == key + 2**64
    for n in (2, 57, 1000, 2**31 - 1):
        assert core.jump_hash(key, n) == core.jump_hash(key + 2**64, n)


def test_index_objects_count_as_ints(core: ModuleType) -> None:
    assert core.jump_hash(Index(42), 57) == 43
    assert core.jump_hash(Index(-42), 57) == 8
    assert core.jump_hash(Color.RED, 100) == core.jump_hash(7, 100)
    assert core.hash_key(Index(2**64 - 1)) == 2**64 - 1
    assert core.jump_hash(42, Index(57)) == 43


def test_numpy_scalars_count_as_ints(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    assert core.jump_hash(np.int64(42), np.int32(57)) == 43
    assert core.jump_hash(np.uint64(2**64 - 1), 10) == core.jump_hash(-1, 10)
    assert core.jump_hash(np.int8(-42), 57) == 8
    with pytest.raises(TypeError, match="key must be"):
        core.jump_hash(np.float64(1.0), 10)
    with pytest.raises(TypeError, match="key must be"):
        core.jump_hash(np.bool_(True), 10)
    with pytest.raises(TypeError, match="num_buckets must be an int"):
        core.jump_hash(1, np.bool_(True))


def test_str_and_bytes_agree(core: ModuleType) -> None:
    for text in ("tx42", "TX12345", "ключ", "键", "🔑", "e\u0301", "a\x00b", "x" * 1000):
        data = text.encode("utf-8")
        expected = core.jump_hash(text, 1000)
        assert core.jump_hash(data, 1000) == expected
        assert core.jump_hash(bytearray(data), 1000) == expected
        assert core.jump_hash(memoryview(data), 1000) == expected
        assert core.jump_hash(StrKey(text), 1000) == expected
        assert core.jump_hash(BytesKey(data), 1000) == expected
        assert core.hash_key(text) == core.xxh64(data)


def test_memoryview_keys_hash_their_bytes_in_order(core: ModuleType) -> None:
    data = b"0123456789abcdef"
    assert core.hash_key(memoryview(data)[::2]) == core.hash_key(data[::2])
    assert core.hash_key(memoryview(data).cast("B", (4, 4))) == core.hash_key(data)


def test_str_is_not_its_text_repr(core: ModuleType) -> None:
    # "42" is a string key: it hashes its bytes, not the integer 42.
    assert core.hash_key("42") != 42
    assert core.hash_key("42") == core.xxh64(b"42")


# Subclasses that override how they present their data are hashed by their value.

TX42 = 626  # jump_hash("tx42", 1000), the README's example


class LoudStr(str):
    def encode(self, *args: Any, **kwargs: Any) -> bytes:
        return b"not the string"


class LoudBytes(bytes):
    def __bytes__(self) -> bytes:
        return b"not these bytes"


class LoudBytearray(bytearray):
    def __bytes__(self) -> bytes:
        return b"not these bytes"


@pytest.mark.parametrize(
    "key", [LoudStr("tx42"), LoudBytes(b"tx42"), LoudBytearray(b"tx42")], ids=type
)
def test_subclasses_are_hashed_by_their_value(core: ModuleType, key: object) -> None:
    assert core.jump_hash(key, 1000) == TX42
    assert core.jump_hash_many([key], 1000) == [TX42]
    assert core.hash_key(key) == core.hash_key("tx42")


def test_a_non_ascii_str_subclass(core: ModuleType) -> None:
    key = LoudStr("клиент-42")
    assert core.jump_hash(key, 1000) == core.jump_hash("клиент-42", 1000)


# --- the error table ------------------------------------------------------------

BAD_KEY_PARAMS = [pytest.param(*bad, id=bad.id) for bad in BAD_KEYS]


@pytest.mark.parametrize(("name", "make", "exc", "message"), BAD_KEY_PARAMS)
def test_bad_keys(
    core: ModuleType, name: str, make: Callable[[], object], exc: type[Exception], message: str
) -> None:
    key = make()
    with pytest.raises(exc) as info:
        core.jump_hash(key, 10)
    assert type(info.value) is exc
    assert str(info.value) == message, name
    with pytest.raises(exc) as info:
        core.hash_key(key)
    assert str(info.value) == message, name


def test_lone_surrogate_error_chains_the_encode_error(core: ModuleType) -> None:
    with pytest.raises(ValueError) as info:
        core.jump_hash("\ud800", 10)
    assert isinstance(info.value.__cause__, UnicodeEncodeError)


_RANGE = "num_buckets must be in [1, 2**31-1], got"
_TYPE = "num_buckets must be an int, got"
# Whole messages: each names the argument, what it may be, and what it got.
BAD_BUCKETS: list[tuple[Any, type[Exception], str]] = [
    (0, ValueError, f"{_RANGE} 0"),
    (-1, ValueError, f"{_RANGE} -1"),
    (2**31, ValueError, f"{_RANGE} 2147483648"),
    (2**64, ValueError, f"{_RANGE} 18446744073709551616"),
    (10**5000, ValueError, f"{_RANGE} <an int of 16610 bits>"),
    (Index(0), ValueError, f"{_RANGE} 0"),
    (True, TypeError, f"{_TYPE} bool"),
    (10.0, TypeError, f"{_TYPE} float"),
    ("10", TypeError, f"{_TYPE} str"),
    (None, TypeError, f"{_TYPE} NoneType"),
]


@pytest.mark.parametrize(("n", "exc", "message"), BAD_BUCKETS, ids=_param_id)
def test_bad_num_buckets(core: ModuleType, n: Any, exc: type[Exception], message: str) -> None:
    for call in (
        partial(core.jump_hash, 1, n),
        partial(core.jump_hash, "k", n),
        partial(core.jump_hash_many, [1, 2], n),
        partial(core.jump_hash_many, [], n),
    ):
        with pytest.raises(exc) as info:
            call()
        assert type(info.value) is exc and str(info.value) == message


def test_num_buckets_is_checked_before_the_key(core: ModuleType) -> None:
    with pytest.raises(ValueError, match="num_buckets"):
        core.jump_hash(None, 0)


def test_largest_bucket_count(core: ModuleType) -> None:
    n = 2**31 - 1
    buckets = [core.jump_hash(k, n) for k in range(1000)]
    assert all(0 <= b < n for b in buckets)
    assert max(buckets) > n // 2


def test_keyword_arguments(core: ModuleType) -> None:
    assert core.jump_hash(key=42, num_buckets=57) == 43
    assert core.jump_hash_many(keys=[42], num_buckets=57, threads=1) == [43]
    with pytest.raises(TypeError):
        core.jump_hash_many([42], 57, 1)  # threads is keyword-only


# Ints at the edges of CPython's 30-bit digits and of the key range: the
# compiled core reads exact ints straight from their digits on its fast path
# (positional (int, int) calls) and converts them in general code otherwise
# (keywords, __index__ objects, batches).  Every form must agree.
EDGE_KEYS = [0, 1, 2**30 - 1, 2**30, 2**60 - 1, 2**60, 2**63 - 1, 2**63, 2**64 - 1]
EDGE_KEYS += [-k for k in EDGE_KEYS[1:7]] + [-(2**63) + 1, -(2**63)]
EDGE_BUCKETS = [1, 2, 2**30 - 1, 2**30, 2**31 - 1]


def test_every_call_form_agrees_at_the_int_edges(core: ModuleType) -> None:
    for n in EDGE_BUCKETS:
        for key in EDGE_KEYS:
            expected = core.jump_hash(key=key, num_buckets=n)
            assert core.jump_hash(key, n) == expected, (key, n)
            assert core.jump_hash(Index(key), Index(n)) == expected, (key, n)
            assert core.jump_hash_many([key], n) == [expected], (key, n)
            assert core.jump_hash(key % 2**64, n) == expected, (key, n)


@pytest.mark.parametrize("key", [2**64, 2**64 + 2**60, 2**90, -(2**63) - 1, -(2**64), -(2**90)])
def test_keys_just_outside_the_range_fail_in_every_call_form(core: ModuleType, key: int) -> None:
    calls: list[Callable[[], object]] = [
        lambda: core.jump_hash(key, 10),
        lambda: core.jump_hash(key=key, num_buckets=10),
        lambda: core.jump_hash_many([key], 10),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"key must be an int in \[-2\*\*63, 2\*\*64\)"):
            call()


@pytest.mark.parametrize("n", [0, -1, -(2**30), 2**31, 2**32, 2**60, 2**64])
def test_bucket_counts_just_outside_the_range_fail_in_every_call_form(
    core: ModuleType, n: int
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: core.jump_hash(5, n),
        lambda: core.jump_hash("k", n),
        lambda: core.jump_hash(key=5, num_buckets=n),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"num_buckets must be in \[1, 2\*\*31-1\]"):
            call()


def test_compiled_results_share_one_int_per_bucket(compiled_core: ModuleType) -> None:
    # With up to 65,536 buckets, results come from one table of int objects,
    # as CPython shares the ints up to 256: a result costs no allocation.
    jh, many = compiled_core.jump_hash, compiled_core.jump_hash_many
    filled, capacity = compiled_core._shared_bucket_ints()
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        # Free-threaded builds keep no table: it would need the GIL.
        assert (filled, capacity) == (0, 0)
        assert jh(42, 5000) == jh(key=42, num_buckets=5000)
        return
    first: dict[int, int] = {}
    for key in range(20_000):
        for result in (jh(key, 5000), jh(f"k{key}", 5000)):
            assert first.setdefault(result, result) is result
    assert len(first) > 4900  # nearly every bucket was seen, most of them many times
    assert all(first[b] is b for b in many(list(range(20_000)), 5000))
    filled, capacity = compiled_core._shared_bucket_ints()
    assert capacity == 65536
    # More buckets than the table holds: every result is a new int, and the
    # table does not grow, not even for the results below 65,536.
    for n in (capacity + 1, 10**6, 2**31 - 1):
        assert jh(1, n) is not jh(1, n)
        assert many([1, 1], n)[0] is not many([1], n)[0]
    fresh = many(list(range(1_000_000, 1_020_000)), 100_000)
    assert sum(b < capacity for b in fresh) > 10_000
    assert compiled_core._shared_bucket_ints()[0] == filled
