"""rvh_stable.plan, Plan and Tally: which keys move, read by position and a chunk at a time.

Every test runs on both cores through the ``router_core`` fixture (conftest.py):
a bucket-count side is the core's jump_hash_many, a router side its
MementoTable.  The expected answers come from the one-key lookups
(``jump_hash(key, n)``, ``Router.node_for``), key by key, never from a plan.
"""

from __future__ import annotations

import array
import gc
import sys
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rvh_stable import planning
from rvh_stable.planning import Tally, describe, describe_change, plan
from rvh_stable.router import Router

STR_KEYS = [f"user:{i}" for i in range(300)] + ["ключ", "日本"]
INT_KEYS = [i * 7919 - 1000 for i in range(302)]


def owner_of(side: Router | int, core: ModuleType) -> Callable[[Any], Any]:
    """One key's owner, by the one-key lookup."""
    if isinstance(side, Router):
        return side.node_for
    return lambda key: core.jump_hash(key, side)


def expected_moves(
    before: Router | int, after: Router | int, keys: list[Any], core: ModuleType
) -> list[tuple[Any, Any, Any]]:
    old, new = owner_of(before, core), owner_of(after, core)
    return [(k, old(k), new(k)) for k in keys if old(k) != new(k)]


# --- every input jump_hash_many takes, read by position ----------------------------------
#
# Each builder gives (the input, its keys in the core's order as Python objects).


def pandas_series(keys: list[Any], index: list[Any]) -> Any:
    pd = pytest.importorskip("pandas")
    return pd.Series(keys, index=index)


def builders() -> dict[str, Callable[[list[Any]], Any]]:
    def numpy_array(keys: list[Any]) -> Any:
        np = pytest.importorskip("numpy")
        return np.array(keys, dtype=object if isinstance(keys[0], str) else np.int64)

    def numpy_2d(keys: list[Any]) -> Any:
        return numpy_array(keys).reshape(2, -1)  # C order: row by row

    def pyarrow_array(keys: list[Any]) -> Any:
        return pytest.importorskip("pyarrow").array(keys)

    def pyarrow_chunked(keys: list[Any]) -> Any:
        pa = pytest.importorskip("pyarrow")
        return pa.chunked_array([keys[:5], keys[5:100], [], keys[100:]])

    def polars_series(keys: list[Any]) -> Any:
        return pytest.importorskip("polars").Series(keys)

    def pandas_arrow(keys: list[Any]) -> Any:
        pytest.importorskip("pyarrow")
        pd = pytest.importorskip("pandas")
        dtype = "string[pyarrow]" if isinstance(keys[0], str) else "int64[pyarrow]"
        return pd.Series(keys, dtype=dtype, index=range(len(keys) - 1, -1, -1))

    return {
        "list": list,
        "tuple": tuple,
        "generator": lambda keys: (k for k in keys),
        "dict": lambda keys: dict.fromkeys(keys, "a value"),  # iterates its keys
        "numpy": numpy_array,
        "numpy-2d": numpy_2d,
        # The index of a Series is labels, not positions: descending, shuffled, strings.
        "series-descending": lambda keys: pandas_series(keys, list(range(len(keys)))[::-1]),
        "series-shuffled": lambda keys: pandas_series(
            keys, [(i * 37) % len(keys) for i in range(len(keys))]
        ),
        "series-str-index": lambda keys: pandas_series(keys, [f"row{i}" for i in range(len(keys))]),
        "series-arrow": pandas_arrow,
        "pyarrow": pyarrow_array,
        "pyarrow-chunked": pyarrow_chunked,
        "polars": polars_series,
    }


BUILDERS = builders()
INT_ONLY: dict[str, Callable[[list[int]], Any]] = {
    "array.array": lambda keys: array.array("q", keys),
    "memoryview": lambda keys: memoryview(array.array("q", keys)),
}


@pytest.fixture(params=[7, planning.CHUNK])
def chunk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Plans read 7 keys at a time (chunk boundaries everywhere), or the default."""
    size: int = request.param
    monkeypatch.setattr(planning, "CHUNK", size)
    return size


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_moves_read_every_input_by_position(router_core: ModuleType, chunk: int, kind: str) -> None:
    for keys in (STR_KEYS, INT_KEYS):
        batch = BUILDERS[kind](keys)
        p = plan(10, 12, batch)
        want = expected_moves(10, 12, keys, router_core)
        assert list(p.moves()) == want
        assert list(p.moved_keys()) == [k for k, _, _ in want]
        assert all(type(k) is type(keys[0]) for k in p.moved_keys())  # Python objects
        assert (p.total, p.moved) == (len(keys), len(want))
    a = Router({"a": 1, "b": 2, "c": 1})
    b = a.copy()
    b.remove("b")
    p = plan(a, b, BUILDERS[kind](STR_KEYS))
    assert list(p.moves()) == expected_moves(a, b, STR_KEYS, router_core)


@pytest.mark.parametrize("kind", sorted(INT_ONLY))
def test_moves_read_integer_buffers_by_position(
    router_core: ModuleType, chunk: int, kind: str
) -> None:
    p = plan(10, 13, INT_ONLY[kind](INT_KEYS))
    assert list(p.moves()) == expected_moves(10, 13, INT_KEYS, router_core)


def test_plan_of_bucket_counts(router_core: ModuleType) -> None:
    keys = [f"k{i}" for i in range(20_000)]
    p = plan(10, 12, keys)
    want = expected_moves(10, 12, keys, router_core)
    assert p.total == 20_000 and p.moved == len(want) and p.fraction == len(want) / 20_000
    assert abs(p.fraction - 2 / 12) < 0.01
    assert list(p.moves()) == want
    assert p.flows == dict(Counter((a, b) for _, a, b in want).most_common())
    assert all(b < 10 <= a for b, a in p.flows)  # growing: keys move only to new buckets
    counts = list(p.flows.values())
    assert counts == sorted(counts, reverse=True)
    before = Counter(router_core.jump_hash(k, 10) for k in keys)
    after = Counter(router_core.jump_hash(k, 12) for k in keys)
    assert p.loads == {b: (before[b], after[b]) for b in range(12)}
    assert list(p.loads) == list(range(12))  # buckets in order
    assert p.labels == ("10 buckets", "12 buckets") and p.change == ""
    assert list(plan(10, 12, iter(keys)).moves()) == want  # an iterator is read once
    seeded = plan(10, 12, keys, hasher="fnv1a_64", seed=None)
    assert seeded.moved == sum(
        router_core.jump_hash(k, 10, hasher="fnv1a_64")
        != router_core.jump_hash(k, 12, hasher="fnv1a_64")
        for k in keys
    )


def test_plan_of_routers(router_core: ModuleType) -> None:
    a = Router([f"n{i}" for i in range(6)])
    b = a.copy()
    b.remove("n2")
    b.add("n9", 2)
    keys = [f"k{i}" for i in range(30_000)]
    p = plan(a, b, keys)
    want = expected_moves(a, b, keys, router_core)
    assert list(p.moves()) == want
    assert p.loads == {
        n: (sum(a.node_for(k) == n for k in keys), sum(b.node_for(k) == n for k in keys))
        for n in [*a.nodes, "n9"]
    }
    assert p.labels == ("nodes n0,n1,n2,n3,n4,n5", "nodes n0,n1,n3,n4,n5,n9=2")
    assert p.change == "removed n2; added n9"
    down = a.copy()
    down.down("n1")  # this client's view: only n1's keys take their detours
    p = plan(a, down, keys)
    assert list(p.moves()) == expected_moves(a, down, keys, router_core)
    assert {src for src, _ in p.flows} == {"n1"} and p.loads["n1"][1] == 0
    assert p.change == "n1 down"
    same = plan(a, a, keys)
    assert (same.moved, same.flows, same.change) == (0, {}, "no change")


def test_an_empty_plan(router_core: ModuleType) -> None:
    p = plan(3, 4, [])
    assert (p.total, p.moved, p.fraction, p.flows, p.loads, list(p.moves())) == (
        0,
        0,
        0.0,
        {},
        {},
        [],
    )
    r = Router(["a", "b"])
    assert plan(r, r, iter([])).loads == {"a": (0, 0), "b": (0, 0)}  # a router's nodes, always


def test_a_plan_keeps_only_the_moved_keys(
    router_core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An iterator is read a chunk at a time, and a key that stays is let go.

    The keys are objects with __index__ (which the key rules accept), so
    that weak references tell which of them are still alive: while the
    generator runs, and once the plan is made.  A plan that read the keys
    into a list first would hold every one of them.
    """
    monkeypatch.setattr(planning, "CHUNK", 10)

    class Key:
        def __init__(self, value: int) -> None:
            self.value = value

        def __index__(self) -> int:
            return self.value

    alive: weakref.WeakSet[Key] = weakref.WeakSet()
    most_alive = 0

    def keys() -> Iterator[Key]:
        nonlocal most_alive
        for i in range(2000):
            if i % 100 == 0:
                gc.collect()
            most_alive = max(most_alive, len(alive))
            key = Key(i * 2654435761 % 2**63)
            alive.add(key)
            yield key

    p = plan(20, 21, keys())
    gc.collect()
    assert p.total == 2000 and 0 < p.moved < 400
    assert len(alive) == p.moved  # the moved keys, kept for moves(); no other
    assert {id(k) for k in p.moved_keys()} == {id(k) for k in alive}
    # While reading: the moved keys so far, the chunk, and one more at most.
    assert most_alive <= p.moved + 2 * 10 + 1


def test_errors_name_the_key_in_the_whole_batch(
    router_core: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planning, "CHUNK", 7)
    keys: list[Any] = [f"k{i}" for i in range(30)]
    keys[23] = ""
    with pytest.raises(ValueError) as info:
        router_core.jump_hash_many(keys, 10)
    whole = str(info.value)
    assert whole.startswith("keys[23]: ")
    for side in (10, Router(["a", "b"])):
        with pytest.raises(ValueError) as got:
            plan(side, side, iter(keys))
        assert str(got.value) == whole
        assert (got.value.index, got.value.key) == (23, "")  # type: ignore[attr-defined]
    keys[23] = 1.5
    with pytest.raises(TypeError, match=r"^keys\[23\]: key must be an int"):
        plan(3, 4, keys)


def test_sides_are_checked(router_core: ModuleType) -> None:
    r = Router(["a"])
    for before, after, message in [
        ("10", 12, r"before must be a bucket count \(int\) or a Router, got str"),
        (10, True, r"after must be a bucket count \(int\) or a Router, got bool"),
        (10, r, "must both be bucket counts or both Routers.*got a bucket count and a Router"),
        (r, 10, "got a Router and a bucket count"),
    ]:
        with pytest.raises(TypeError, match=message):
            plan(before, after, ["x"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="num_buckets"):
        plan(0, 3, ["x"])
    with pytest.raises(ValueError, match="seed"):
        plan(3, 4, ["x"], hasher="crc32", seed=1)
    gen = (k for k in ["x", "y"])
    with pytest.raises(TypeError):
        plan(10, r, gen)
    assert next(gen) == "x"  # refused before a key was read


def test_labels_and_changes(router_core: ModuleType) -> None:
    assert (describe(1), describe(12)) == ("1 bucket", "12 buckets")
    r = Router({"a": 1, "b": 2, "c": 1})
    assert describe(r) == "nodes a,b=2,c"
    assert describe(Router([f"n{i}" for i in range(9)])) == "9 nodes"
    assert describe(Router()) == "no nodes"
    assert describe(Router([f"long-name-{i}" for i in range(5)])) == "5 nodes"  # > 48 chars
    down = Router(["a", "b", "c"])
    down.down("c")
    down.down("a")
    assert describe(down) == "nodes a,b,c (a,c down)"
    assert describe_change(Router(["a", "b", "c"]), down) == "a,c down"
    assert describe_change(down, Router(["a", "b", "c"])) == "a,c up again"
    many = Router([f"n{i}" for i in range(12)])
    many.down("n3")
    assert describe(many) == "12 nodes (1 down)"
    heavier = Router({"a": 1, "b": 3, "c": 1})
    assert describe_change(r, heavier) == "weight of b 2 → 3"
    assert describe_change(r, Router({"a": 1, "b": 2, "c": 1}, hasher="crc32")) == (
        "another hasher or seed"
    )
    other = Router({"c": 1, "a": 1, "b": 2})  # same nodes, other slots
    assert describe_change(r, other) == "same nodes, other slots"
    assert describe_change(3, 4) == ""


def test_a_tally_streams_and_takes_the_routers_state_now(router_core: ModuleType) -> None:
    a = Router(["a", "b", "c"])
    b = a.copy()
    b.remove("c")
    a_then, b_then = a.copy(), b.copy()
    tally = Tally(a, b)
    a.remove("a")  # later changes do not count
    b.add("z")
    moves: list[tuple[Any, Any, Any]] = []
    for start in range(0, len(STR_KEYS), 50):
        chunk = STR_KEYS[start : start + 50]
        moves += [(chunk[i], x, y) for i, x, y in tally.add(chunk)]
    result = tally.plan()
    assert moves == expected_moves(a_then, b_then, STR_KEYS, router_core)
    assert result.total == len(STR_KEYS) and result.moved == len(moves)
    assert tally.labels == ("nodes a,b,c", "nodes a,b")
    with pytest.raises(ValueError, match="kept no moved keys"):
        result.moves()


# --- the picture ---------------------------------------------------------------------------


def test_plot_draws_loads_flows_and_sides(
    router_core: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    drawn: list[Figure] = []
    save = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        drawn.append(self)
        save(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    a = Router(["cache-1", "cache-2", "cache-3"])
    b = a.copy()
    b.remove("cache-2")
    b.add("cache-4")
    c = a.copy()
    c.down("cache-2")
    keys = [f"k{i}" for i in range(5000)]
    for before, after in ((10, 12), (a, b), (a, c)):
        p = plan(before, after, keys)
        out = tmp_path / "plan.png"
        p.plot(str(out), top=5)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        fig = drawn.pop()
        title = fig.get_suptitle()
        joined = title.replace("\n", "")  # a long line is wrapped after a comma or before "→"
        assert p.labels[0] in joined and f"→ {p.labels[1]}" in joined
        assert f"{p.moved:,} of 5,000" in title and p.change in joined
        loads, flows = fig.axes
        heights = [bar.get_height() for bar in loads.patches]  # type: ignore[attr-defined]
        assert heights == [v[0] for v in p.loads.values()] + [v[1] for v in p.loads.values()]
        assert [t.get_text() for t in loads.get_xticklabels()] == [str(o) for o in p.loads]
        legend_box = loads.get_legend()
        assert legend_box is not None
        legend = [t.get_text() for t in legend_box.get_texts()]
        assert legend == [f"before: {p.labels[0]}", f"after: {p.labels[1]}"]
        shown = list(p.flows.items())[:5]
        widths = [bar.get_width() for bar in flows.patches]  # type: ignore[attr-defined]
        assert widths == [c for _, c in shown][::-1]
        written = [t.get_text() for t in flows.texts]  # each flow's count on its bar
        assert written == [f"{c:,}" for _, c in shown][::-1]


def test_plot_of_a_plan_where_nothing_moves(router_core: ModuleType, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "same.png"
    plan(5, 5, ["a", "b"]).plot(str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = plan(10, 13, [f"k{i}" for i in range(50)])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'rvh-stable\[plot\]'"):
        p.plot(str(tmp_path / "no.png"))
