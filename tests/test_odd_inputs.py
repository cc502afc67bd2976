"""Odd inputs get the same answer or the same error from both cores.

Subclasses that override how they present their data, buffers that are not
contiguous, keys whose own __index__ fails, absurd thread counts, and NumPy
masked arrays.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from helpers import np

from rvh_stable import _rules

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


def test_xxh64_of_a_strided_array_is_of_its_bytes_in_order(core: ModuleType) -> None:
    if np is None:
        pytest.skip("needs NumPy")
    data = np.arange(40, dtype=np.uint8)[::3]
    assert not data.flags.c_contiguous
    assert core.xxh64(data) == core.xxh64(data.tobytes())
    two_d = np.arange(24, dtype=np.uint16).reshape(4, 6).T
    assert core.xxh64(two_d) == core.xxh64(two_d.tobytes())


def test_a_released_memoryview_is_still_an_error(core: ModuleType) -> None:
    view = memoryview(b"abc")
    view.release()
    with pytest.raises(ValueError, match="released"):
        core.xxh64(view)


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
