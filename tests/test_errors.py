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
from helpers import np
from tables import BAD_KEYS

from rvh_stable import aio

BAD_KEY_PARAMS = [pytest.param(*bad, id=bad.id) for bad in BAD_KEYS]


def batch_error(run: Callable[[], Any]) -> BaseException:
    with pytest.raises((ValueError, TypeError)) as info:
        run()
    return info.value


@pytest.mark.parametrize("where", [0, 3, 1023, 1024, 5000])
@pytest.mark.parametrize(("name", "make", "kind", "message"), BAD_KEY_PARAMS)
def test_a_bad_element_carries_its_place(
    core: ModuleType,
    where: int,
    name: str,
    make: Callable[[], object],
    kind: type[Exception],
    message: str,
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
        assert str(exc) == f"keys[{where}]: {message}", str(exc)
        assert exc.index == where  # type: ignore[attr-defined]
        assert exc.key is bad  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "make", "kind", "message"), BAD_KEY_PARAMS)
def test_bad_element_names_its_index(
    core: ModuleType, name: str, make: Callable[[], object], kind: type[Exception], message: str
) -> None:
    # After an int, a str and a bytes key, in a list, an iterator and a tuple.
    keys = [1, "a", b"b", make(), 5]
    for batch in (keys, iter(keys), tuple(keys)):
        with pytest.raises(kind) as info:
            core.jump_hash_many(batch, 10)
        assert type(info.value) is kind
        assert str(info.value) == f"keys[3]: {message}", name


@pytest.mark.parametrize(("name", "make", "kind", "message"), BAD_KEY_PARAMS)
def test_a_single_key_error_has_no_place(
    core: ModuleType, name: str, make: Callable[[], object], kind: type[Exception], message: str
) -> None:
    for call in (lambda: core.jump_hash(make(), 10), lambda: core.hash_key(make())):
        exc = batch_error(call)
        assert type(exc) is kind, name
        assert str(exc) == message, str(exc)
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


class BadIndex:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def __index__(self) -> int:
        raise self.exc


@pytest.mark.parametrize("exc", [TypeError("no index here"), ValueError("not now")])
def test_a_failing_index_is_named_by_its_place(core: ModuleType, exc: Exception) -> None:
    key = BadIndex(exc)
    with pytest.raises(type(exc)) as single:
        core.jump_hash(key, 10)
    assert single.value is exc  # one key: the key's own error, untouched
    with pytest.raises(type(exc)) as batch:
        core.jump_hash_many(["a", key], 10)
    assert type(batch.value) is type(exc)
    assert str(batch.value) == f"keys[1]: {exc}"
    assert (batch.value.index, batch.value.key) == (1, key)  # type: ignore[attr-defined]
    assert batch.value.__cause__ is exc


def test_numpy_arrays_as_keys_are_named_by_their_place(core: ModuleType) -> None:
    if np is None:
        pytest.skip("needs NumPy")
    with pytest.raises(TypeError) as info:
        core.jump_hash_many([1, np.array([1, 2])], 10)
    assert str(info.value).startswith("keys[1]: only integer scalar arrays")
    assert info.value.index == 1  # type: ignore[attr-defined]


def test_other_exceptions_from_index_pass_through(core: ModuleType) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        core.jump_hash_many([BadIndex(RuntimeError("boom"))], 10)
