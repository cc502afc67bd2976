"""rvh_stable.Router (MementoHash over named, weighted nodes); plans are tests/test_plan.py.

Every test runs on both cores through the ``router_core`` fixture (conftest.py): the
router's lookups are the core's MementoTable (C in the compiled core), and
both must give the answers of the reference model below, which is the
paper's description written out in the simplest way, on the jump loop and
key hashes of tests/reference.py (never the cores' own).
"""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import jump, key_u64

from rvh_stable.router import Router

np = pytest.importorskip("numpy")
xxhash = pytest.importorskip("xxhash")

SETTINGS = settings(
    max_examples=int(os.environ.get("RVH_STABLE_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# --- the reference model ----------------------------------------------------------


class Memento:
    """MementoHash as the issue and the paper describe it, on a dict."""

    def __init__(self, n: int) -> None:
        self.n, self.last = n, n
        self.table: dict[int, tuple[int, int]] = {}

    def replacer(self, b: int) -> int:
        entry = self.table.get(b)
        return entry[0] if entry else -1

    def lookup(self, key_hash: int, data: bytes) -> int:
        b = jump(key_hash, self.n)
        r = self.replacer(b)
        while r >= 0:
            b = xxhash.xxh64_intdigest(data, b) % r
            rr = self.replacer(b)
            while rr >= r:
                b, rr = rr, self.replacer(rr)
            r = rr
        return b

    def remove(self, b: int) -> None:
        if not self.table and b == self.n - 1:
            self.n = self.last = b
            return
        self.table[b] = (self.n - len(self.table) - 1, self.last)
        self.last = b

    def add(self) -> int:
        b = self.last
        self.last = self.table.pop(b)[1] if self.table else b + 1
        self.n = max(self.n, b + 1)
        return b


def key_bytes(key: Any) -> bytes:
    if isinstance(key, str):
        return key.encode()
    if isinstance(key, bytes):
        return key
    return int(key % 2**64).to_bytes(8, "little")


KEYS: list[Any] = [f"user:{i}" for i in range(400)] + [b"b%d" % i for i in range(100)]
KEYS += [i * 7919 for i in range(200)] + [-5, 2**64 - 1, "ключ", "日本"]


# --- the published vectors and the model ------------------------------------------


def test_the_papers_engine_vectors(router_core: ModuleType) -> None:
    # Generated with a port of the C++ engine of the paper's authors' group
    # (the table): XXH64 seed 0, the paper's loop, then
    # XXH64(key, seed=b) % replacer.
    keys = [f"key-{i}" for i in range(5)]
    r = Router([f"n{i}" for i in range(10)])
    assert r.slots_for(keys) == [9, 3, 5, 7, 6]
    r.remove("n3")
    assert r.slots_for(keys) == [9, 4, 5, 7, 6]
    r.remove("n7")
    assert r.slots_for(keys) == [9, 4, 5, 4, 6]
    assert [r.node_for(k) for k in keys] == ["n9", "n4", "n5", "n4", "n6"]
    r.add("n7")
    assert json.loads(r.to_json())["slots"][7] == "n7"  # Memento's add() gave back slot 7
    assert [r.slot_for(k) for k in keys] == [9, 4, 5, 7, 6]


def random_history(rng: random.Random, model: Memento, steps: int) -> None:
    for _ in range(steps):
        live = [b for b in range(model.n) if b not in model.table]
        if len(live) > 1 and rng.random() < 0.6:
            model.remove(rng.choice(live))
        else:
            model.add()


def test_tables_follow_the_model(router_core: ModuleType) -> None:
    rng = random.Random(13)
    for trial in range(150):
        model = Memento(rng.randrange(1, 80))
        random_history(rng, model, rng.randrange(0, 60))
        names = tuple(None if b in model.table else f"n{b}" for b in range(model.n))
        table = router_core.MementoTable(model.n, {b: e[0] for b, e in model.table.items()}, names)
        want = [model.lookup(key_u64(k), key_bytes(k)) for k in KEYS]
        assert table.slots_for(KEYS) == want, trial
        assert [table.slot_for(k) for k in KEYS] == want
        assert table.nodes_for(iter(KEYS)) == [names[s] for s in want]


def test_array_batches(router_core: ModuleType) -> None:
    rng = random.Random(3)
    model = Memento(500)
    random_history(rng, model, 200)
    names = tuple(None if b in model.table else f"n{b}" for b in range(model.n))
    table = router_core.MementoTable(model.n, {b: e[0] for b, e in model.table.items()}, names)
    keys = np.random.default_rng(1).integers(0, 2**64, size=70_000, dtype=np.uint64)
    want = [model.lookup(int(k), key_bytes(int(k))) for k in keys[:3000]]
    got = table.slots_for(keys, threads=2)  # > 65,536 keys: two jobs
    assert isinstance(got, np.ndarray) and got.dtype == np.int64
    assert got[:3000].tolist() == want
    assert table.slots_for(keys.astype(">u8"))[:3000].tolist() == want
    assert table.slots_for(keys[:3000:2]).tolist() == want[::2]  # a strided view
    signed = keys[:3000].astype(np.int64)  # negatives: their two's complement
    assert table.slots_for(signed).tolist() == want
    assert table.nodes_for(keys[:3000]) == [names[s] for s in want]
    assert table.slots_for(keys[:3000].reshape(50, 60)).shape == (50, 60)
    assert table.slots_for(list(keys[:3000].tolist())) == want


# --- the router ------------------------------------------------------------------


def test_weights_take_consecutive_slots(router_core: ModuleType) -> None:
    r = Router({"a": 2, "b": 1, "c": 3})
    assert json.loads(r.to_json())["slots"] == ["a", "a", "b", "c", "c", "c"]
    assert r.nodes == ["a", "b", "c"] and len(r) == 3 and "b" in r and "z" not in r
    assert [r.weight(n) for n in r.nodes] == [2, 1, 3]
    share = Counter(r.nodes_for([f"k{i}" for i in range(60_000)]))
    for name, weight in (("a", 2), ("b", 1), ("c", 3)):
        assert abs(share[name] / 60_000 - weight / 6) < 0.01


def test_defaults_and_hasher(router_core: ModuleType) -> None:
    keys = KEYS[:300]
    r = Router([f"n{i}" for i in range(37)], hasher="crc32")
    assert r.slots_for(keys) == [jump(key_u64(k, "crc32"), 37) for k in keys]
    r = Router([f"n{i}" for i in range(37)], hasher="xxh64", seed=9)
    assert r.slots_for(keys) == [jump(key_u64(k, seed=9), 37) for k in keys]
    assert r.hasher == "xxh64" and r.seed == 9


names_st = st.lists(st.sampled_from([f"node-{i}" for i in range(12)]), min_size=2, unique=True)


@SETTINGS
@given(
    nodes=st.dictionaries(
        st.sampled_from([f"node-{i}" for i in range(10)]), st.integers(1, 4), min_size=2
    ),
    victim=st.integers(0, 100),
    seed=st.integers(0, 2**32),
)
def test_removing_moves_exactly_its_keys_and_adding_back_restores(
    router_core: ModuleType, nodes: dict[str, int], victim: int, seed: int
) -> None:
    rng = random.Random(seed)
    r = Router(nodes)
    # Some history first: a node out and back, another out.
    names = list(nodes)
    if len(names) > 2:
        out = rng.choice(names)
        r.remove(out)
        names.remove(out)
    keys = [f"k{rng.getrandbits(40)}" for _ in range(600)]
    before = r.nodes_for(keys)
    x = names[victim % len(names)]
    state = r.to_json()
    r.remove(x)
    after = r.nodes_for(keys)
    for b, a in zip(before, after, strict=True):
        assert (b == a) if b != x else (a != x)
    r.add(x, weight=nodes[x])
    assert r.nodes_for(keys) == before
    assert json.loads(r.to_json())["slots"] == json.loads(state)["slots"]


def test_removed_keys_spread_in_proportion_to_weight(router_core: ModuleType) -> None:
    r = Router({"a": 1, "b": 3, "c": 2, "x": 2})
    keys = [f"k{i}" for i in range(80_000)]
    before = r.nodes_for(keys)
    r.remove("x")
    moved = Counter(a for b, a in zip(before, r.nodes_for(keys), strict=True) if b == "x")
    total = sum(moved.values())
    for name, weight in (("a", 1), ("b", 3), ("c", 2)):
        assert abs(moved[name] / total - weight / 6) < 0.02, moved


def test_a_joining_node_takes_its_share(router_core: ModuleType) -> None:
    r = Router({f"n{i}": 2 for i in range(5)})  # W = 10
    keys = [f"k{i}" for i in range(60_000)]
    before = r.nodes_for(keys)
    r.add("new", weight=3)
    after = r.nodes_for(keys)
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert all(a == "new" for _, a in moved)  # keys move only to the new node
    assert abs(len(moved) / len(keys) - 3 / 13) < 0.01


def test_remove_frees_highest_first_and_add_takes_the_last_freed(
    router_core: ModuleType,
) -> None:
    r = Router({"a": 2, "b": 2, "c": 2})
    r.remove("c")  # the last slots: the array shrinks, no entry is left
    assert json.loads(r.to_json())["size"] == 4
    assert json.loads(r.to_json())["removed"] == []
    r.remove("a")  # slots 1 then 0
    assert json.loads(r.to_json())["removed"] == [1, 0]
    r.add("d")  # takes slot 0, the last freed
    assert json.loads(r.to_json())["slots"] == ["d", None, "b", "b"]
    r.add("e", weight=3)  # slot 1, then two new slots at the end
    assert json.loads(r.to_json())["slots"] == ["d", "e", "b", "b", "e", "e"]


# --- replicas ----------------------------------------------------------------------


def test_replicas(router_core: ModuleType) -> None:
    r = Router({f"n{i}": 1 + i % 3 for i in range(8)})
    for key in KEYS[:200]:
        reps = r.replicas_for(key, 4)
        assert len(set(reps)) == 4 and reps[0] == r.node_for(key)
        assert r.replicas_for(key, 1) == [reps[0]]
        assert r.replicas_for(key, 3) == reps[:3]
    assert len(r.replicas_for("k", 8)) == 8


@SETTINGS
@given(count=st.integers(4, 9), k=st.integers(1, 3), victim=st.integers(0, 50), seed=st.integers())
def test_replicas_change_by_one_node(
    router_core: ModuleType, count: int, k: int, victim: int, seed: int
) -> None:
    rng = random.Random(seed)
    r = Router({f"n{i}": rng.randint(1, 3) for i in range(count)})
    keys = [f"k{rng.getrandbits(32)}" for _ in range(150)]
    before = {key: r.replicas_for(key, k) for key in keys}
    x = f"n{victim % count}"
    weight = r.weight(x)
    r.remove(x)
    for key in keys:
        after = r.replicas_for(key, k)
        if x in before[key]:
            assert set(before[key]) - set(after) == {x}
            assert len(set(after) - set(before[key])) == 1
        else:
            assert after == before[key]
    r.add(x, weight=weight)
    assert {key: r.replicas_for(key, k) for key in keys} == before


# --- state: JSON, copy, equality, pickle ----------------------------------------------


def test_json_round_trip(router_core: ModuleType) -> None:
    r = Router({"\u03b1": 2, "b": 1, "c": 3, "d": 1}, hasher="murmur3_128", seed=-5)
    r.remove("b")
    r.remove("\u03b1")
    r.add("e", weight=2)
    again = Router.from_json(r.to_json())
    assert again == r and again.to_json() == r.to_json()
    assert again.nodes_for(KEYS) == r.nodes_for(KEYS)
    assert r.copy() == r and r.copy() is not r
    assert pickle.loads(pickle.dumps(r)) == r
    other = r.copy()
    other.add("z")
    assert other != r and r.nodes_for(KEYS) == again.nodes_for(KEYS)
    # Memento's table is rebuilt from the slots and the removal order alone.
    assert Router.from_json(again.to_json()).slots_for(KEYS) == r.slots_for(KEYS)


def test_a_state_gives_the_same_answers_in_another_process(router_core: ModuleType) -> None:
    r = Router({f"db-{i}": 1 + i % 2 for i in range(9)})
    r.remove("db-3")
    r.remove("db-7")
    keys = [f"user:{i}" for i in range(500)]
    code = (
        "import json, sys; from rvh_stable import Router; "
        "data = json.load(sys.stdin); "
        "print(json.dumps(Router.from_json(data['state']).nodes_for(data['keys'])))"
    )
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        if router_core.IMPLEMENTATION == "python":
            env["RVH_STABLE_NO_EXTENSIONS"] = "1"
        done = subprocess.run(
            [sys.executable, "-c", code],
            input=json.dumps({"state": r.to_json(), "keys": keys}),
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).parent / "data",
            check=True,
        )
        assert json.loads(done.stdout) == r.nodes_for(keys)


def good_state() -> dict[str, Any]:
    r = Router({"a": 2, "b": 1, "c": 1})
    r.remove("a")
    state: dict[str, Any] = json.loads(r.to_json())
    return state


BAD_STATES = [
    ("format", "x", "field 'format'"),
    ("version", 2, "field 'version'"),
    ("version", True, "field 'version'"),
    ("hasher", "md5", "field 'hasher'"),
    ("seed", -1, "field 'seed'"),
    ("size", -1, "field 'size'"),
    ("size", 3, "field 'slots'"),
    ("nodes", ["b", "b"], "field 'nodes'"),
    ("nodes", ["b", 1], "field 'nodes'"),
    ("nodes", ["b", "c", "q"], "field 'nodes'"),
    ("slots", [None, None, "b", "zz"], "field 'slots'"),
    ("slots", "abc", "field 'slots'"),
    ("removed", [1], "field 'removed'"),
    ("removed", [1, 0, 0], "field 'removed'"),
    ("removed", [0, 7], "field 'removed'"),
    ("removed", [1.0, 0], "field 'removed'"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_STATES)
def test_bad_states_name_the_field(field: str, value: Any, message: str) -> None:
    state = good_state()
    state[field] = value
    with pytest.raises(ValueError, match=message):
        Router.from_json(json.dumps(state))


def test_bad_state_shapes() -> None:
    state = good_state()
    for text, message in (
        ("not json", "not JSON"),
        ("[1]", "JSON object"),
        (json.dumps({**state, "extra": 1}), "field 'extra' is not known"),
        (json.dumps({k: v for k, v in state.items() if k != "slots"}), "'slots' is missing"),
    ):
        with pytest.raises(ValueError, match=message):
            Router.from_json(text)
    # The last slot first would have been a shrink, not an entry.
    r = Router(["a", "b", "c"])
    r.remove("a")
    data = json.loads(r.to_json())
    data.update(nodes=["a", "b"], slots=["a", "b", None], removed=[2])
    with pytest.raises(ValueError, match="field 'removed'"):
        Router.from_json(json.dumps(data))


# --- errors leave the router as it was ------------------------------------------------


def test_errors(router_core: ModuleType) -> None:
    r: Any = Router({"a": 1, "b": 2})  # Any: the calls below break the types on purpose
    state = r.to_json()
    bad: list[tuple[Any, type[BaseException], str]] = [
        (lambda: r.remove("zz"), KeyError, "no node named 'zz'"),
        (lambda: r.add("a"), ValueError, "node 'a' is already in the router"),
        (
            lambda: r.add("c", weight=0),
            ValueError,
            "weight of node 'c' must be an int in \\[1, 1048576\\]",
        ),
        (lambda: r.add("c", weight=True), TypeError, "weight of node 'c' must be an int"),
        (
            lambda: r.add("c", weight=1.5),
            TypeError,
            "must be an int in \\[1, 1048576\\], got float",
        ),
        (lambda: r.add(5), TypeError, "node name must be a str, got int"),
        (lambda: r.remove(None), TypeError, "node name must be a str"),
        (lambda: r.replicas_for("k", 3), ValueError, r"k must be in \[1, 2\]"),
        (lambda: r.replicas_for("k", 0), ValueError, "k must be in"),
        (lambda: r.replicas_for("k", True), TypeError, "k must be an int"),
        (lambda: r.weight("q"), KeyError, "no node named 'q'"),
        (lambda: r.node_for(1.5), TypeError, "key must be"),
        (lambda: r.node_for(""), ValueError, "must not be empty"),
    ]
    for call, kind, message in bad:
        with pytest.raises(kind, match=message):
            call()
        assert r.to_json() == state
    with pytest.raises(ValueError, match="must not be empty") as info:
        r.nodes_for(["x", ""])
    assert info.value.index == 1  # type: ignore[attr-defined]


def test_constructor_errors(router_core: ModuleType) -> None:
    for nodes, kind, message in [
        (["a", "a"], ValueError, "duplicate node name 'a'"),
        (["a", 3], TypeError, "node name must be a str, got int"),
        ({"a": 0}, ValueError, "weight of node 'a' must be an int in \\[1, 1048576\\], got 0"),
        ({"a": False}, TypeError, "got bool"),
        ("abc", TypeError, "nodes must be an iterable of names"),
        (None, TypeError, "nodes must be an iterable of names"),
    ]:
        with pytest.raises(kind, match=message):
            Router(nodes)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="hasher must be one of"):
        Router(["a"], hasher="md5")


def test_an_empty_router(router_core: ModuleType) -> None:
    r = Router()
    for call in (
        lambda: r.node_for("k"),
        lambda: r.slot_for("k"),
        lambda: r.nodes_for(["k"]),
        lambda: r.slots_for(np.arange(3)),
        lambda: r.replicas_for("k", 1),
    ):
        with pytest.raises((LookupError, ValueError), match=r"no nodes|k must be in"):
            call()
    r.add("a")
    r.add("b")
    r.remove("a")
    r.remove("b")
    assert len(r) == 0
    with pytest.raises(LookupError, match="the router has no nodes"):
        r.node_for("k")
    r.add("c")
    assert r.node_for("k") == "c"


# --- threads ---------------------------------------------------------------------------


def test_lookups_during_changes_see_whole_states(router_core: ModuleType) -> None:
    # Readers' batches run on one table each: every answer list is that of a
    # whole state, never a mix.  Memento's changes undo last in, first out,
    # so undoing the changes passes through the same states.
    keys = [f"k{i}" for i in range(3000)]
    r = Router({f"n{i}": 1 for i in range(12)})
    changes = [("remove", f"n{i}") for i in (3, 7, 1, 11)] + [("add", "n11"), ("add", "n1")]
    undo = {"remove": "add", "add": "remove"}
    states = [r.copy()]
    for op, name in changes:
        states.append(states[-1].copy())
        getattr(states[-1], op)(name)
    valid = {tuple(s.nodes_for(keys)) for s in states}
    seen: list[tuple[str, ...]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.append(tuple(r.nodes_for(keys)))
            seen.append(tuple(r.node_for(k) for k in keys[:50]) + tuple(keys[50:]))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(20):
        for op, name in changes:
            getattr(r, op)(name)
        for op, name in reversed(changes):
            getattr(r, undo[op])(name)
    stop.set()
    for t in threads:
        t.join()
    whole = [answer for answer in seen if answer[50:] != tuple(keys[50:])]
    assert whole and all(answer in valid for answer in whole)
    singles = {k: {s.node_for(k) for s in states} for k in keys[:50]}
    for answer in seen:
        if answer[50:] == tuple(keys[50:]):
            assert all(answer[i] in singles[k] for i, k in enumerate(keys[:50]))
    assert r == states[0]
