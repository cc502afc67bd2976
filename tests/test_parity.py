"""The compiled core and the pure twin give the same answers and the same errors."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import pytest
from helpers import any_outcome


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
