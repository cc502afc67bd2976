"""The parity contract: the compiled core and the pure twin give the same
answers and the same errors.

Random keys, batches and bad inputs from a seeded generator, then Hypothesis:
every example is run through both cores; they must return the same result or
raise the same exception type with the same message, and the only exceptions
allowed are the documented ``TypeError`` and ``ValueError``.  The inputs cover
integers in and just outside ``[-2**63, 2**64)``, arbitrary text (lone
surrogates included), bytes-like keys, bucket counts in and outside
``[1, 2**31-1]``, and batches mixing all of them, as lists, tuples,
generators, ``array.array`` and NumPy arrays of every integer dtype, byte
order and stride.
"""

from __future__ import annotations

import array
import enum
import os
import random
from types import ModuleType
from typing import Any

import pytest
from helpers import (
    INT_DTYPES_EVERY_ORDER,
    KEY_LIMIT,
    KEY_MIN,
    MAX_BUCKETS,
    Index,
    any_outcome,
    np,
    outcome,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def random_key(rng: random.Random) -> Any:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.getrandbits(64)
    if choice == 1:
        return rng.randint(-(2**63), 2**63 - 1)
    if choice == 2:
        return rng.getrandbits(rng.randrange(1, 32))
    if choice == 3:
        return "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 70)))
    if choice == 4:
        return rng.randbytes(rng.randrange(1, 100))
    return rng.randbytes(rng.randrange(1, 40)).decode("latin-1")


def random_buckets(rng: random.Random) -> int:
    return rng.choice([1, 2, 3, 7, 10, 1000, 65536, 2**31 - 1, rng.randrange(1, 2**31)])


def test_random_keys_agree(cores: tuple[ModuleType, ModuleType]) -> None:
    fast, pure = cores
    rng = random.Random(20140609)
    for _ in range(20_000):
        key, n = random_key(rng), random_buckets(rng)
        assert fast.jump_hash(key, n) == pure.jump_hash(key, n), (key, n)
        assert fast.hash_key(key) == pure.hash_key(key), key


def test_random_batches_agree(cores: tuple[ModuleType, ModuleType]) -> None:
    fast, pure = cores
    rng = random.Random(7)
    for _ in range(50):
        keys = [random_key(rng) for _ in range(rng.randrange(0, 200))]
        n = random_buckets(rng)
        assert fast.jump_hash_many(keys, n) == pure.jump_hash_many(keys, n)


BAD_INPUTS: list[tuple[Any, Any]] = [
    (2**64, 10),
    (-(2**63) - 1, 10),
    (10**400, 10),
    ("", 10),
    (b"", 10),
    (bytearray(), 10),
    ("\ud800x", 10),
    (True, 10),
    (None, 10),
    (1.0, 10),
    ([1], 10),
    (object(), 10),
    (1, 0),
    (1, -5),
    (1, 2**31),
    (1, True),
    (1, 1.0),
    (1, "7"),
    (1, None),
    (None, 0),
]


@pytest.mark.parametrize(("key", "n"), BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_same_errors(cores: tuple[ModuleType, ModuleType], key: Any, n: Any) -> None:
    fast, pure = cores
    assert any_outcome(fast.jump_hash, key, n) == any_outcome(pure.jump_hash, key, n)
    assert any_outcome(fast.jump_hash_many, [0, key], n) == any_outcome(
        pure.jump_hash_many, [0, key], n
    )
    assert any_outcome(fast.hash_key, key) == any_outcome(pure.hash_key, key)
    assert any_outcome(fast.jump_hash, key, n)[0] != "ok"


@pytest.mark.parametrize(
    "keys",
    ["abc", b"abc", 5, None, [1, 2, ""], (x for x in [1, None])],
    ids=["str", "bytes", "int", "None", "list-with-empty", "generator-with-None"],
)
def test_same_batch_errors(cores: tuple[ModuleType, ModuleType], keys: Any) -> None:
    fast, pure = cores
    if not isinstance(keys, list | tuple | str | bytes | int | type(None)):
        keys = list(keys)
        first, second = iter(keys), iter(keys)
    else:
        first = second = keys
    assert any_outcome(fast.jump_hash_many, first, 10) == any_outcome(
        pure.jump_hash_many, second, 10
    )


def test_same_public_names(cores: tuple[ModuleType, ModuleType]) -> None:
    fast, pure = cores
    names = {"IMPLEMENTATION", "MAX_BUCKETS", "hash_key", "jump_hash", "jump_hash_many", "xxh64"}
    assert names <= set(dir(fast))
    assert names <= set(dir(pure))
    assert (fast.IMPLEMENTATION, pure.IMPLEMENTATION) == ("cython", "python")
    assert fast.MAX_BUCKETS == pure.MAX_BUCKETS == 2**31 - 1


# --- Hypothesis ----------------------------------------------------------------------

needs_numpy = pytest.mark.skipif(np is None, reason="needs NumPy")

# 300 examples a test keep the default run quick; for a longer search run e.g.
# RVH_STABLE_HYPOTHESIS_EXAMPLES=20000 pytest tests/test_parity.py
SETTINGS = settings(
    max_examples=int(os.environ.get("RVH_STABLE_HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
    # The `cores` fixture only hands out the two modules: nothing to reset per example.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


class Color(enum.IntEnum):
    RED = 1
    HUGE = 2**64 + 5


EDGE_INTS = [
    KEY_MIN - 1,
    KEY_MIN,
    KEY_MIN + 1,
    -1,
    0,
    1,
    2**31 - 1,
    2**31,
    2**32,
    2**63 - 1,
    2**63,
    KEY_LIMIT - 1,
    KEY_LIMIT,
    KEY_LIMIT + 1,
]

ints = st.one_of(
    st.integers(KEY_MIN, KEY_LIMIT - 1),
    st.integers(KEY_MIN - 2**16, KEY_MIN + 2**16),
    st.integers(KEY_LIMIT - 2**16, KEY_LIMIT + 2**16),
    st.sampled_from(EDGE_INTS),
    st.integers(),
    st.integers(2**64, 2**2000),
    st.integers(-(2**2000), KEY_MIN),
)

characters = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),  # lone surrogates: not encodable as UTF-8
    st.characters(max_codepoint=0x7F),
)
texts = st.text(characters, max_size=80)
blobs = st.binary(max_size=100)


def _view(data: bytes) -> memoryview:
    return memoryview(data)


def _strided_view(data: bytes) -> memoryview:
    return memoryview(data)[::2]


bytes_likes = st.one_of(
    blobs,
    blobs.map(bytearray),
    blobs.map(_view),
    blobs.map(_strided_view),
)
others = st.one_of(
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.sampled_from([Color.RED, Color.HUGE]),
    ints.map(Index),
    st.just([1]),
    st.just(()),
    st.just(object()),
    *(
        []
        if np is None
        else [
            st.integers(-(2**63), 2**63 - 1).map(np.int64),
            st.integers(0, 2**64 - 1).map(np.uint64),
            st.integers(0, 2**8 - 1).map(np.uint8),
        ]
    ),
)
keys = st.one_of(ints, texts, bytes_likes, others)

buckets = st.one_of(
    st.integers(1, MAX_BUCKETS),
    st.integers(1, 2000),
    st.sampled_from([1, 2, 7, 1000, 65536, MAX_BUCKETS - 1, MAX_BUCKETS]),
    st.integers(-(2**40), 0),
    st.integers(MAX_BUCKETS + 1, 2**70),
    st.sampled_from([MAX_BUCKETS + 1, 2**32, 2**63, 2**64, -(2**63), 10**400]),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.text(max_size=3),
    st.integers(0, 2**31).map(Index),
    *([] if np is None else [st.integers(-1, 2**31).map(np.int64)]),
)

threads = st.one_of(
    st.sampled_from([1, 2, 3, None]),
    st.integers(-3, 0),
    st.booleans(),
    st.floats(allow_nan=False),
)


def same(cores: tuple[ModuleType, ModuleType], name: str, *args: Any, **kwargs: Any) -> Any:
    fast, pure = cores
    got_fast = outcome(getattr(fast, name), *args, **kwargs)
    got_pure = outcome(getattr(pure, name), *args, **kwargs)
    assert got_fast == got_pure, (name, args, kwargs)
    return got_fast


@SETTINGS
@given(key=keys, n=buckets)
def test_jump_hash_and_hash_key_agree(
    cores: tuple[ModuleType, ModuleType], key: Any, n: Any
) -> None:
    kind, result = same(cores, "jump_hash", key, n)
    if kind == "ok":
        assert type(result) is int
        assert 0 <= result < int(n)
    kind_k, hashed = same(cores, "hash_key", key)
    if kind_k == "ok":
        assert type(hashed) is int
        assert 0 <= hashed < KEY_LIMIT
    if kind == "ok":
        assert kind_k == "ok"


@SETTINGS
@given(key=ints, n=st.integers(1, MAX_BUCKETS))
def test_int_keys_follow_the_range_rule(
    cores: tuple[ModuleType, ModuleType], key: int, n: int
) -> None:
    kind, result = same(cores, "jump_hash", key, n)
    if KEY_MIN <= key < KEY_LIMIT:
        assert kind == "ok"
        assert result == same(cores, "jump_hash", key % KEY_LIMIT, n)[1]
        assert same(cores, "hash_key", key) == ("ok", key % KEY_LIMIT)
    else:
        assert kind == "ValueError"
        assert "key must be an int in [-2**63, 2**64)" in result


@SETTINGS
@given(text=texts, n=st.integers(1, MAX_BUCKETS))
def test_text_keys(cores: tuple[ModuleType, ModuleType], text: str, n: int) -> None:
    kind, result = same(cores, "jump_hash", text, n)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        assert kind == "ValueError"
        assert "encodable as UTF-8" in result
        return
    if not data:
        assert kind == "ValueError"
        return
    assert kind == "ok"
    assert result == same(cores, "jump_hash", data, n)[1]


@SETTINGS
@given(data=blobs)
def test_xxh64_agrees(cores: tuple[ModuleType, ModuleType], data: bytes) -> None:
    import xxhash

    expected = ("ok", xxhash.xxh64_intdigest(data))
    assert same(cores, "xxh64", data) == expected
    assert same(cores, "xxh64", bytearray(data)) == expected
    assert same(cores, "xxh64", memoryview(data)) == expected
    strided = memoryview(data)[::3]
    assert same(cores, "xxh64", strided) == ("ok", xxhash.xxh64_intdigest(strided.tobytes()))


@SETTINGS
@given(batch=st.lists(keys, max_size=40), n=buckets, nthreads=threads, container=st.integers(0, 2))
def test_mixed_batches_agree(
    cores: tuple[ModuleType, ModuleType], batch: list[Any], n: Any, nthreads: Any, container: int
) -> None:
    def wrap() -> Any:
        if container == 0:
            return list(batch)
        if container == 1:
            return tuple(batch)
        return (k for k in batch)

    fast, pure = cores
    got = outcome(fast.jump_hash_many, wrap(), n, threads=nthreads)
    assert got == outcome(pure.jump_hash_many, wrap(), n, threads=nthreads)
    if got[0] == "ok":
        # A batch is exactly the keys one at a time.
        assert got[1] == [fast.jump_hash(k, n) for k in batch]
    elif got[0] == "ValueError" and got[1].startswith("keys["):
        index = int(got[1][5 : got[1].index("]")])
        single = outcome(fast.jump_hash, batch[index], n)
        assert single[0] == "ValueError"
        assert got[1] == f"keys[{index}]: {single[1]}"


@needs_numpy
@SETTINGS
@given(
    values=st.lists(st.integers(0, 2**64 - 1), max_size=40),
    dtype=st.sampled_from(INT_DTYPES_EVERY_ORDER),
    layout=st.sampled_from(["1d", "2d", "2d-transposed", "3d"]),
    n=buckets,
    nthreads=threads,
    step=st.sampled_from([1, 2, -1, -3]),
)
def test_numpy_integer_arrays_agree(
    cores: tuple[ModuleType, ModuleType],
    values: list[int],
    dtype: str,
    layout: str,
    n: Any,
    nthreads: Any,
    step: int,
) -> None:
    # Any bit pattern of the dtype: the uint64 values wrap when cast down.
    arr = np.array(values, dtype=np.uint64).astype(np.dtype(dtype))
    size = len(values) // 4 * 4
    if layout == "2d":
        arr = arr[:size].reshape(-1, 4)
    elif layout == "2d-transposed":
        arr = arr[:size].reshape(4, -1).T  # not C-contiguous
    elif layout == "3d":
        arr = arr[:size].reshape(2, -1, 2)
    view = arr[::step]
    kind, result = same(cores, "jump_hash_many", view, n, threads=nthreads)
    if kind == "ndarray":
        dtype_str, shape, values_out = result
        assert (np.dtype(dtype_str), shape) == (np.dtype(np.int64), view.shape)
        flat = np.asarray(values_out, dtype=np.int64).ravel()
        expected = [cores[1].jump_hash(int(k), n) for k in view.ravel()]
        assert flat.tolist() == expected
    # The same keys as a list and as array.array agree with the array path.
    if kind == "ndarray" and view.ndim == 1:
        as_list = same(cores, "jump_hash_many", [int(k) for k in view], n, threads=nthreads)
        assert as_list == ("ok", result[2])
        if view.dtype.isnative:
            code = {1: "b", 2: "h", 4: "i", 8: "q"}[view.dtype.itemsize]
            if view.dtype.kind == "u":
                code = code.upper()
            packed = array.array(code, view.tolist())
            assert same(cores, "jump_hash_many", packed, n) == ("ok", result[2])
            assert same(cores, "jump_hash_many", memoryview(packed), n) == ("ok", result[2])


@needs_numpy
@SETTINGS
@given(
    batch=st.lists(st.one_of(ints, texts, blobs, others), max_size=12),
    n=st.integers(1, MAX_BUCKETS),
)
def test_object_arrays_agree(
    cores: tuple[ModuleType, ModuleType], batch: list[Any], n: int
) -> None:
    arr = np.empty(len(batch), dtype=object)
    for i, key in enumerate(batch):
        arr[i] = key
    kind, result = same(cores, "jump_hash_many", arr, n)
    if kind == "ndarray":
        assert result[2] == [cores[1].jump_hash(k, n) for k in batch]


def test_empty_strided_memoryview_is_named_a_memoryview(
    cores: tuple[ModuleType, ModuleType],
) -> None:
    # Found by test_jump_hash_and_hash_key_agree: the compiled core copies a
    # non-contiguous memoryview to bytes before the emptiness check, and its
    # message then names the copy's type instead of the key's.
    key = memoryview(b"")[::2]
    expected = "key must not be empty, got an empty memoryview"
    for core in cores:
        assert outcome(core.hash_key, key) == ("ValueError", expected), core.__name__
        assert outcome(core.jump_hash, key, 10) == ("ValueError", expected), core.__name__
        assert outcome(core.jump_hash_many, [1, key], 10) == (
            "ValueError",
            f"keys[1]: {expected}",
        ), core.__name__


def test_released_memoryview_batch(cores: tuple[ModuleType, ModuleType]) -> None:
    # It has the buffer protocol but gives no buffer: both cores raise the
    # ValueError of the buffer request (iter() on it raises SystemError on 3.11).
    view = memoryview(b"abc")
    view.release()
    got = [outcome(core.jump_hash_many, view, 10) for core in cores]
    assert got[0] == got[1]
    assert got[0][0] == "ValueError"
    assert "released memoryview" in got[0][1]
