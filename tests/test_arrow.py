"""Arrow input (the PyCapsule interface): pyarrow, Polars and pandas columns
hashed in place by the compiled core (_c/arrow.h) and read through ctypes by
the pure one (_arrow.py), with the answers and errors of the same keys as
Python values."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from rvh_stable import _arrow
from rvh_stable import router as router_module
from rvh_stable.router import Router

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")
pd = pytest.importorskip("pandas")

TEXT = ["a", "bb", "user:42", "x" * 40, "ключ", "日本", "twelve chars", "thirteen char"]


def columns() -> dict[str, tuple[Any, list[Any]]]:
    """Name -> (an Arrow-exporting column, the same keys as Python values)."""
    data = [f"k{i}" for i in range(300)]
    ints = [0, 1, -1, 2**62, -(2**63), 127, -128]
    found: dict[str, tuple[Any, list[Any]]] = {
        "utf8": (pa.array(TEXT), TEXT),
        "large_utf8": (pa.array(TEXT, type=pa.large_string()), TEXT),
        "utf8_view": (pa.array(TEXT, type=pa.string_view()), TEXT),
        "binary": (
            pa.array([t.encode() for t in TEXT], type=pa.binary()),
            [t.encode() for t in TEXT],
        ),
        "large_binary": (
            pa.array([t.encode() for t in TEXT], type=pa.large_binary()),
            [t.encode() for t in TEXT],
        ),
        "binary_view": (
            pa.array([t.encode() for t in TEXT], type=pa.binary_view()),
            [t.encode() for t in TEXT],
        ),
        "sliced": (pa.array(data).slice(7, 200), data[7:207]),
        "chunked": (pa.chunked_array([data[:100], [], data[100:]]), data),
        "dictionary": (pa.array(data * 3).dictionary_encode(), data * 3),
        "sliced dictionary": (
            pa.array(data * 3).dictionary_encode().slice(5, 50),
            (data * 3)[5:55],
        ),
        "empty": (pa.array([], type=pa.string()), []),
        "polars": (pl.Series(data), data),
        "polars categorical": (pl.Series(data * 2, dtype=pl.Categorical), data * 2),
        "pandas str": (pd.Series(data, dtype="str"), data),
        "pandas ArrowDtype": (pd.Series(data, dtype=pd.ArrowDtype(pa.string())), data),
        "pandas category": (pd.Series(data * 2, dtype="category"), data * 2),
        "pandas int64[pyarrow]": (pd.Series([1, 2, 3], dtype="int64[pyarrow]"), [1, 2, 3]),
    }
    for name, kind in [("int8", pa.int8()), ("int16", pa.int16()), ("int32", pa.int32()),
                       ("int64", pa.int64())]:  # fmt: skip
        values = [v for v in ints if -(2 ** (kind.bit_width - 1)) <= v < 2 ** (kind.bit_width - 1)]
        found[name] = (pa.array(values, type=kind), values)
    for name, kind in [("uint8", pa.uint8()), ("uint16", pa.uint16()), ("uint32", pa.uint32()),
                       ("uint64", pa.uint64())]:  # fmt: skip
        values = [0, 1, 2**kind.bit_width - 1, 77]
        found[name] = (pa.array(values, type=kind), values)
    return found


COLUMNS = columns()


@pytest.mark.parametrize("name", list(COLUMNS))
def test_the_answers_of_the_same_keys(core: ModuleType, name: str) -> None:
    column, keys = COLUMNS[name]
    for options in (
        {},
        {"hasher": "crc32"},
        {"variant": "guava", "hasher": "murmur3_128", "seed": -3},
    ):
        got = core.jump_hash_many(column, 1000, **options)
        assert isinstance(got, np.ndarray) and got.dtype == np.int64
        assert got.tolist() == core.jump_hash_many(keys, 1000, **options), options


def test_the_pure_reader_gives_the_values() -> None:
    for column, keys in COLUMNS.values():
        assert _arrow.read_keys(column) == keys


def test_threads(core: ModuleType) -> None:
    keys = [f"user:{i}" for i in range(150_000)]  # past 65,536 keys a thread
    column = pa.chunked_array([keys[:70_000], keys[70_000:]])
    want = core.jump_hash_many(keys, 77)
    assert core.jump_hash_many(column, 77, threads=2).tolist() == want
    assert core.jump_hash_many(column, 77, threads=None).tolist() == want


def placed_error(core: ModuleType, column: Any) -> tuple[type, str, Any]:
    with pytest.raises((ValueError, TypeError)) as info:
        core.jump_hash_many(column, 10)
    return type(info.value), str(info.value), getattr(info.value, "index", None)


NULLS = {
    "a null": (pa.array(["a", None, "c"]), 1),
    "a null first": (pa.array([None, "a"]), 0),
    "a null in the second chunk": (pa.chunked_array([["a", "b"], ["c", None]]), 3),
    "a null index": (pa.array(["a", None, "a"]).dictionary_encode(), 1),
    "a null dictionary entry": (
        pa.DictionaryArray.from_arrays(pa.array([0, 1, 1], pa.int8()), pa.array(["x", None])),
        1,
    ),
    "a null int": (pa.array([5, None], type=pa.int32()), 1),
    "pandas Int64 NA": (pd.Series([1, None], dtype="Int64"), 1),
    "polars null": (pl.Series(["a", "b", None]), 2),
    "a null after an empty key": (pa.array(["a", "", None]), 1),
}


@pytest.mark.parametrize("name", list(NULLS))
def test_nulls_and_empty_keys(cores: tuple[ModuleType, ModuleType], name: str) -> None:
    column, index = NULLS[name]
    compiled, pure = (placed_error(core, column) for core in cores)
    assert compiled == pure
    kind, message, at = compiled
    assert kind is ValueError and at == index
    assert ("null key" in message) or ("must not be empty" in message)


def test_empty_keys(cores: tuple[ModuleType, ModuleType]) -> None:
    for column, message in [
        (pa.array(["a", "b", ""]), "keys[2]: key must not be empty, got an empty str"),
        (pa.array(["a", "", "c", "d"]), "keys[1]: key must not be empty, got an empty str"),
        (pa.array(["a", "b", "c", ""]), "keys[3]: key must not be empty, got an empty str"),
        (pa.array(["", "b", "c", "d"]), "keys[0]: key must not be empty, got an empty str"),
        (
            pa.array([b"x", b""], type=pa.large_binary()),
            "keys[1]: key must not be empty, got an empty bytes",
        ),
        (pa.array(["", "a"]).dictionary_encode(), "keys[0]: key must not be empty"),
    ]:
        for core in cores:
            with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
                core.jump_hash_many(column, 10)


@pytest.mark.parametrize(
    ("column", "name"),
    [
        (pa.array([1.5, 2.0]), "double"),
        (pa.array([True]), "bool"),
        (pa.array([1], type=pa.timestamp("s")), "timestamp"),
        (pa.array([[1]]), "list"),
        (pa.array([1.5]).dictionary_encode(), "dictionary<values=double, indices=int32>"),
        (pa.array([{"a": 1}]), "struct"),
    ],
)
def test_other_types_are_refused(
    cores: tuple[ModuleType, ModuleType], column: Any, name: str
) -> None:
    errors = [placed_error(core, column) for core in cores]
    assert errors[0] == errors[1]
    kind, message, _ = errors[0]
    assert kind is TypeError and f"Arrow type {name} cannot be hashed" in message


def test_numpy_and_object_pandas_series_keep_their_paths(core: ModuleType) -> None:
    ints = pd.Series([1, 2, 3, -4], dtype="int64")
    mixed = pd.Series([1, "a", b"b"], dtype=object)
    assert list(core.jump_hash_many(ints, 10)) == core.jump_hash_many([1, 2, 3, -4], 10)
    assert core.jump_hash_many(mixed, 10) == core.jump_hash_many([1, "a", b"b"], 10)


def test_router_batches(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(router_module, "_core", core)
    r = Router({f"n{i}": 1 + i % 2 for i in range(9)})
    r.remove("n4")
    for name in ("utf8", "binary_view", "dictionary", "chunked", "int64", "uint64", "polars"):
        column, keys = COLUMNS[name]
        assert r.nodes_for(column) == r.nodes_for(keys), name
        got = r.slots_for(column)
        assert isinstance(got, np.ndarray) and got.tolist() == r.slots_for(keys), name
    keys = [f"user:{i}" for i in range(100_000)]
    assert r.nodes_for(pa.array(keys), threads=2) == r.nodes_for(keys)
    with pytest.raises(ValueError, match="null key") as info:
        r.nodes_for(pa.array(["a", None]))
    assert info.value.index == 1  # type: ignore[attr-defined]


def test_a_failing_producer(core: ModuleType) -> None:
    class Broken:
        def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
            raise RuntimeError("no stream today")

    with pytest.raises(RuntimeError, match="no stream today"):
        core.jump_hash_many(Broken(), 10)


def test_the_async_batch(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from rvh_stable import aio

    monkeypatch.setattr(aio, "_core", core)
    keys = [f"user:{i}" for i in range(20_000)]
    got = asyncio.run(aio.async_jump_hash_many(pa.array(keys), 64, hasher="fnv1a_64"))
    assert list(got) == core.jump_hash_many(keys, 64, hasher="fnv1a_64")


def test_an_arrow_scalar_is_one_key_not_a_batch(core: ModuleType) -> None:
    for scalar in (pa.scalar("tx42"), pa.scalar(b"tx42"), pa.scalar(7, pa.int64())):
        with pytest.raises(
            TypeError, match="keys must be a collection of keys, got a single pyarrow"
        ):
            core.jump_hash_many(scalar, 100)
        with pytest.raises(TypeError, match="got a single pyarrow scalar"):
            core.MementoTable(1, {}, ("a",)).nodes_for(scalar)
