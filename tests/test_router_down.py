"""Router.down / up: this client's view of failures, on both cores.

Placement must be a function of the router's state and its down set alone,
never of the order of events; only the keys of the node that changed move;
and every lookup (node_for, nodes_for, slot_for, slots_for, replicas_for,
group) honours the down set.  The reference below is the detour as
``_c/detour.h`` specifies it, written out from the JSON state with xxhash
and the paper's jump loop of tests/reference.py.
"""

from __future__ import annotations

import json
import os
import pickle
import random
from collections import Counter
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import jump

from rvh_stable.router import Router

np = pytest.importorskip("numpy")
pa = pytest.importorskip("pyarrow")
xxhash = pytest.importorskip("xxhash")

SETTINGS = settings(
    max_examples=int(os.environ.get("RVH_STABLE_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
MASK = (1 << 64) - 1
KEYS = [f"user:{i}" for i in range(20_000)]


# --- the reference ------------------------------------------------------------------


class Reference:
    """The lookup of a router's JSON state, down set included, written out."""

    def __init__(self, router: Router) -> None:
        state = json.loads(router.to_json(include_down=True))
        self.size = state["size"]
        self.slots: list[str | None] = state["slots"]
        self.replacer = {slot: self.size - k - 1 for k, slot in enumerate(state["removed"])}
        self.down = {s for s, name in enumerate(self.slots) if name in set(state["down"])}

    def memento(self, h: int, data: bytes) -> int:
        b = jump(h, self.size)
        r = self.replacer.get(b, -1)
        while r >= 0:
            b = xxhash.xxh64_intdigest(data, b) % r
            rr = self.replacer.get(b, -1)
            while rr >= r:
                b, rr = rr, self.replacer.get(rr, -1)
            r = rr
        return b

    def slot(self, key: str) -> int:
        data = key.encode()
        h = xxhash.xxh64_intdigest(data)
        s = self.memento(h, data)
        state = h
        for _ in range(64):
            if s not in self.down:
                return s
            state = (state + 0x9E3779B97F4A7C15) & MASK
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            z ^= z >> 31
            s = self.memento(z, z.to_bytes(8, "little"))
        while s in self.down or self.slots[s] is None:
            s = (s + 1) % self.size
        return s


def cluster(n: int = 12, weights: bool = False) -> Router:
    names = [f"cache-{i}" for i in range(n)]
    return Router({name: 1 + i % 3 for i, name in enumerate(names)} if weights else names)


# --- order never matters ----------------------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Two random histories of down/up events over 7 of the 8 nodes that end
    with the same down set, which leaves at least one node up."""
    names = [f"cache-{i}" for i in range(8) if i != 5]
    target = draw(st.sets(st.sampled_from(names), max_size=6))

    def history() -> list[tuple[str, str]]:
        events: list[tuple[str, str]] = []
        down: set[str] = set()
        for _ in range(draw(st.integers(0, 12))):
            name = draw(st.sampled_from(names))
            events.append(("up", name) if name in down else ("down", name))
            down ^= {name}
        for name in draw(st.permutations(sorted(down ^ target))):
            events.append(("up", name) if name in down else ("down", name))
            down ^= {name}
        assert down == target
        return events

    return history(), history()


@SETTINGS
@given(pair=histories())
def test_histories_that_reach_the_same_down_set_agree(
    router_core: ModuleType, pair: tuple[list[tuple[str, str]], list[tuple[str, str]]]
) -> None:
    routers = []
    for events in pair:
        r = Router({f"cache-{i}": 1 + i % 2 for i in range(8)})
        r.remove("cache-5")  # a real removal, before and after the events
        for op, name in events:
            getattr(r, op)(name)
        routers.append(r)
    first, second = routers
    assert first.down_nodes == second.down_nodes
    assert first == second
    # 20,000 keys in C; the pure core, 50 times slower, checks 2,000 of them.
    keys = KEYS if router_core.IMPLEMENTATION == "cython" else KEYS[:2000]
    assert first.nodes_for(keys) == second.nodes_for(keys)
    assert first.slots_for(KEYS[:2000]) == [first.slot_for(k) for k in KEYS[:2000]]


def test_placement_follows_the_reference(router_core: ModuleType) -> None:
    r = cluster(12, weights=True)
    r.remove("cache-4")
    r.add("cache-x", 2)
    for name in ("cache-1", "cache-7", "cache-9"):
        r.down(name)
    reference = Reference(r)
    expected = [reference.slot(k) for k in KEYS[:5000]]
    assert r.slots_for(KEYS[:5000]) == expected
    assert [r.slot_for(k) for k in KEYS[:5000]] == expected
    names = json.loads(r.to_json())["slots"]
    assert r.nodes_for(KEYS[:5000]) == [names[s] for s in expected]


def test_the_tail_of_a_detour_walks_the_slots(router_core: ModuleType) -> None:
    """With all but one slot's node down, a key whose 64 draws all miss goes
    on along the slots; the reference and both cores agree."""
    r = Router([f"n{i}" for i in range(40)])
    for i in range(39):
        r.down(f"n{i}")
    assert set(r.nodes_for(KEYS[:3000])) == {"n39"}
    reference = Reference(r)
    assert r.slots_for(KEYS[:300]) == [reference.slot(k) for k in KEYS[:300]]


def test_cores_agree_on_every_input_kind(cores: tuple[ModuleType, ModuleType]) -> None:
    compiled, pure = cores
    names = tuple(f"n{i}" for i in range(20))
    replacers = {3: 19, 11: 18}
    slots = tuple(None if i in replacers else name for i, name in enumerate(names))
    down = frozenset({"n0", "n7", "n12"})
    tables = [c.MementoTable(20, replacers, slots, down=down) for c in (compiled, pure)]
    ints = np.arange(-3000, 3000, dtype=np.int64) * 7919
    makers: list[Any] = [
        lambda: KEYS[:4000],
        lambda: iter(KEYS[:4000]),
        lambda: ints,
        lambda: pa.array(KEYS[:4000]),
        lambda: ints.tolist(),
    ]
    for make in makers:
        found = [list(t.slots_for(make())) for t in tables]
        assert found[0] == found[1]
        plain = list(compiled.MementoTable(20, replacers, slots).slots_for(make()))
        changed = {p for p, f in zip(plain, found[0], strict=True) if p != f}
        assert changed and {slots[p] for p in changed} <= down
    assert tables[0].nodes_for(ints, threads=2) == tables[1].nodes_for(ints)
    assert not {slots[s] for s in tables[0].slots_for(ints)} & down


# --- only the changed node's keys move ----------------------------------------------------


def test_a_failure_and_a_recovery_move_only_the_changed_nodes_keys(
    router_core: ModuleType,
) -> None:
    rng = random.Random(7)
    r = cluster(12)
    for name in ("cache-2", "cache-5", "cache-8"):
        r.down(name)
    before = r.nodes_for(KEYS)
    r.down("cache-10")
    during = r.nodes_for(KEYS)
    moved = [i for i, (a, b) in enumerate(zip(before, during, strict=True)) if a != b]
    assert moved and all(before[i] == "cache-10" for i in moved)  # 0 extra keys move
    assert "cache-10" not in during
    r.up("cache-10")
    assert r.nodes_for(KEYS) == before  # and all come back
    victim = rng.choice(["cache-2", "cache-5", "cache-8"])
    r.up(victim)
    after = r.nodes_for(KEYS)
    back = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert back and all(after[i] == victim for i in back)


def test_a_flap_returns_every_key_home(router_core: ModuleType) -> None:
    r = cluster(4)
    home = r.nodes_for(KEYS)
    r.down("cache-1")
    r.down("cache-2")
    r.up("cache-1")  # first out, first back: pymemcache's order
    r.up("cache-2")
    assert r.nodes_for(KEYS) == home
    assert r.down_nodes == frozenset()


def test_detoured_keys_spread_by_weight(router_core: ModuleType) -> None:
    r = cluster(12, weights=True)
    for name in ("cache-0", "cache-4", "cache-8"):
        r.down(name)
    loads = Counter(r.nodes_for(KEYS))
    up = {n: r.weight(n) for n in r.nodes if n not in r.down_nodes}
    total = sum(up.values())
    for name, weight in up.items():
        share = len(KEYS) * weight / total
        assert abs(loads[name] - share) < 0.1 * share + 40, (name, loads[name], share)


# --- the API ------------------------------------------------------------------------


def test_down_and_up_errors(router_core: ModuleType) -> None:
    r = cluster(3)
    with pytest.raises(KeyError, match="no node named 'nope'"):
        r.down("nope")
    with pytest.raises(KeyError, match="no node named 'nope'"):
        r.up("nope")
    with pytest.raises(ValueError, match="'cache-1' is not down"):
        r.up("cache-1")
    with pytest.raises(TypeError, match="node name must be a str"):
        r.down(3)  # type: ignore[arg-type]
    r.down("cache-1")
    r.down("cache-1")  # already down: nothing happens
    assert r.down_nodes == frozenset({"cache-1"})
    r.down("cache-0")
    r.down("cache-2")
    for lookup in (r.node_for, r.slot_for):
        with pytest.raises(LookupError, match="every node of the router is down"):
            lookup("k")
    for many in (r.nodes_for, r.slots_for, r.group):
        with pytest.raises(LookupError, match="every node of the router is down"):
            many(["k"])
    with pytest.raises(LookupError, match="every node of the router is down"):
        r.replicas_for("k", 1)
    r.up("cache-2")
    assert r.node_for("k") == "cache-2"


def test_remove_and_add_of_a_down_node(router_core: ModuleType) -> None:
    r = cluster(4)
    r.down("cache-3")
    r.remove("cache-3")
    assert r.down_nodes == frozenset()
    r.add("cache-3")
    assert "cache-3" not in r.down_nodes
    assert "cache-3" in set(r.nodes_for(KEYS[:2000]))
    r.down("cache-1")
    r.add("cache-9")  # a cluster change keeps the down set
    assert r.down_nodes == frozenset({"cache-1"})
    assert "cache-1" not in set(r.nodes_for(KEYS[:2000]))


def test_replicas_for_holds_only_nodes_that_are_up(router_core: ModuleType) -> None:
    r = cluster(6)
    r.down("cache-2")
    r.down("cache-4")
    for key in KEYS[:300]:
        replicas = r.replicas_for(key, 4)
        assert replicas[0] == r.node_for(key)
        assert not set(replicas) & r.down_nodes and len(set(replicas)) == 4
    with pytest.raises(
        ValueError, match=r"k must be in \[1, 4\] \(the number of nodes that are up\)"
    ):
        r.replicas_for("k", 5)


def test_group_equals_nodes_for(router_core: ModuleType) -> None:
    r = cluster(5)
    r.down("cache-3")
    ints = np.arange(5000, dtype=np.uint64) * np.uint64(2654435761)
    series = pytest.importorskip("pandas").Series(KEYS[:3000], index=range(3000, 0, -1))
    cases: list[tuple[Any, list[Any]]] = [
        (KEYS[:3000], KEYS[:3000]),
        (iter(KEYS[:3000]), KEYS[:3000]),
        (tuple(KEYS[:3000]), KEYS[:3000]),
        (ints, ints.tolist()),
        (pa.array(KEYS[:3000]), KEYS[:3000]),
        (pa.chunked_array([KEYS[:1000], KEYS[1000:3000]]), KEYS[:3000]),
        (series, KEYS[:3000]),
    ]
    for keys, listed in cases:
        groups = r.group(keys)
        nodes = r.nodes_for(listed)
        assert list(groups) == [n for n in r.nodes if n in set(nodes)]
        for name, members in groups.items():
            assert members == [k for k, n in zip(listed, nodes, strict=True) if n == name]
    assert r.group([]) == {}
    with pytest.raises(TypeError, match="single str"):
        r.group("abc")


def test_the_down_set_in_json_copy_and_pickle(router_core: ModuleType) -> None:
    r = cluster(4)
    r.down("cache-2")
    r.down("cache-0")
    assert "down" not in json.loads(r.to_json())
    data = json.loads(r.to_json(include_down=True))
    assert data["down"] == ["cache-0", "cache-2"]
    back = Router.from_json(r.to_json(include_down=True))
    assert back == r and back.down_nodes == r.down_nodes
    assert Router.from_json(r.to_json()).down_nodes == frozenset()
    assert Router.from_json(r.to_json()) != r
    for other in (r.copy(), pickle.loads(pickle.dumps(r))):
        assert other == r and other.nodes_for(KEYS[:2000]) == r.nodes_for(KEYS[:2000])
    assert "down=['cache-0', 'cache-2']" in repr(r)
    with pytest.raises(TypeError, match="include_down must be a bool"):
        r.to_json(include_down=1)  # type: ignore[arg-type]
    for bad in (["nope"], "cache-1", ["cache-1", "cache-1"], [["cache-1"]], [1]):
        data = json.loads(r.to_json())
        data["down"] = bad
        with pytest.raises(ValueError, match="router state: field 'down'"):
            Router.from_json(json.dumps(data))


def test_table_refuses_a_bad_down_set(core: ModuleType) -> None:
    with pytest.raises(TypeError, match="down must be a frozenset of node names"):
        core.MementoTable(2, {}, ("a", "b"), down={"a"})
    with pytest.raises(ValueError, match="down: 'c' is not the name of a node"):
        core.MementoTable(2, {}, ("a", "b"), down=frozenset({"c"}))
