"""An error about one element of a batch carries its place, in both cores.

The exception for ``keys[i]`` keeps its class (ValueError or TypeError,
exactly) and its "keys[i]: " message, and has ``.index == i`` and ``.key``,
the element as given.  An error about a single key has neither attribute.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import pytest
from helpers import Index

from rvh_stable import aio

BAD_KEYS: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("empty str", lambda: "", ValueError, "key must not be empty, got an empty str"),
    ("empty bytes", lambda: b"", ValueError, "key must not be empty, got an empty bytes"),
    ("empty bytearray", bytearray, ValueError, "key must not be empty, got an empty bytearray"),
    (
        "empty memoryview",
        lambda: memoryview(b""),
        ValueError,
        "key must not be empty, got an empty memoryview",
    ),
    ("int too big", lambda: 2**64, ValueError, "key must be an int in [-2**63, 2**64), got"),
    ("int too small", lambda: -(2**63) - 1, ValueError, "key must be an int in [-2**63, 2**64)"),
    (
        "__index__ too big",
        lambda: Index(2**70),
        ValueError,
        "key must be an int in [-2**63, 2**64)",
    ),
    ("float", lambda: 1.5, TypeError, "key must be an int, str, bytes, bytearray or memoryview"),
    ("None", lambda: None, TypeError, "key must be an int, str, bytes"),
    ("bool", lambda: True, TypeError, "key must be an int, str, bytes"),
    ("lone surrogate", lambda: "a\ud800", ValueError, "key str must be encodable as UTF-8"),
]


def batch_error(run: Callable[[], Any]) -> BaseException:
    with pytest.raises((ValueError, TypeError)) as info:
        run()
    return info.value


@pytest.mark.parametrize("where", [0, 3, 1023, 1024, 5000])
@pytest.mark.parametrize(("name", "make", "kind", "reason"), BAD_KEYS)
def test_a_bad_element_carries_its_place(
    core: ModuleType,
    where: int,
    name: str,
    make: Callable[[], object],
    kind: type[Exception],
    reason: str,
) -> None:
    bad = make()
    keys: list[object] = [f"k{i}" for i in range(where)] + [bad] + [7, "x", b"y"]
    inputs: list[Callable[[], Iterable[object]]] = [
        lambda: keys,
        lambda: tuple(keys),
        lambda: iter(keys),
        lambda: (k for k in keys),
    ]
    for make_input in inputs:
        exc = batch_error(functools.partial(core.jump_hash_many, make_input(), 10))
        assert type(exc) is kind, name
        assert str(exc).startswith(f"keys[{where}]: {reason}"), str(exc)
        assert exc.index == where  # type: ignore[attr-defined]
        assert exc.key is bad  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "make", "kind", "reason"), BAD_KEYS)
def test_a_single_key_error_has_no_place(
    core: ModuleType, name: str, make: Callable[[], object], kind: type[Exception], reason: str
) -> None:
    for call in (lambda: core.jump_hash(make(), 10), lambda: core.hash_key(make())):
        exc = batch_error(call)
        assert type(exc) is kind, name
        assert str(exc).startswith(reason), str(exc)
        assert not hasattr(exc, "index") and not hasattr(exc, "key")


def test_object_arrays_give_the_flat_index(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    keys = np.array([["a", "b", "c"], ["d", "", "f"]], dtype=object)
    exc = batch_error(lambda: core.jump_hash_many(keys, 10))
    assert type(exc) is ValueError
    assert str(exc) == "keys[4]: key must not be empty, got an empty str"
    assert (exc.index, exc.key) == (4, "")  # type: ignore[attr-defined]


def test_errors_that_are_not_about_one_element_have_no_place(core: ModuleType) -> None:
    for call in (
        lambda: core.jump_hash_many(["a"], 0),
        lambda: core.jump_hash_many(["a"], 10, threads=0),
        lambda: core.jump_hash_many("abc", 10),
        lambda: core.jump_hash_many(5, 10),
    ):
        exc = batch_error(call)
        assert not hasattr(exc, "index"), exc


def test_the_async_batch_raises_the_same_error(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aio, "_core", core)
    for size in (10, 10_000):  # inline, and in the executor
        keys = ["k"] * size + [b""]
        exc = batch_error(functools.partial(asyncio.run, aio.async_jump_hash_many(keys, 10)))
        assert type(exc) is ValueError
        assert (exc.index, exc.key) == (size, b"")  # type: ignore[attr-defined]
