"""A Router's own input, from a caller or a state file from elsewhere: ordered
nodes, int-like seeds, bounded weights, linear-time and depth-safe state
reading.  Both cores, through ``router_core``."""

from __future__ import annotations

import json
import pickle
import time
from types import ModuleType

import pytest

from rvh_stable.router import MAX_SLOTS, Router

np = pytest.importorskip("numpy")
KEYS = [f"user:{i}" for i in range(2000)]


def test_an_unordered_node_collection_is_refused(router_core: ModuleType) -> None:
    for nodes in ({"a", "b", "c"}, frozenset({"a", "b"})):
        with pytest.raises(TypeError, match=r"nodes must be ordered .* PYTHONHASHSEED"):
            Router(nodes)
    assert Router({"a": 1, "b": 2}.keys()).nodes == ["a", "b"]  # a dict's keys keep their order


def test_an_int_like_seed_is_kept_as_an_int(router_core: ModuleType) -> None:
    r = Router(["a", "b", "c"], seed=np.uint64(5))
    assert type(r.seed) is int and r.seed == 5
    assert json.loads(r.to_json())["seed"] == 5
    assert r.copy() == r == pickle.loads(pickle.dumps(r))
    assert r.nodes_for(KEYS[:500]) == Router(["a", "b", "c"], seed=5).nodes_for(KEYS[:500])


def test_equality_compares_the_seed_in_effect(router_core: ModuleType) -> None:
    nodes = ["a", "b", "c"]
    assert Router(nodes, seed=0) == Router(nodes)
    assert Router(nodes, seed=0).nodes_for(KEYS[:500]) == Router(nodes).nodes_for(KEYS[:500])
    assert Router(nodes, seed=1) != Router(nodes)


def test_weights_and_slots_are_bounded(router_core: ModuleType) -> None:
    message = rf"weight of node 'b' must be an int in \[1, {MAX_SLOTS}\], got 2000000000"
    with pytest.raises(ValueError, match=message):
        Router(["a"]).add("b", 2_000_000_000)
    with pytest.raises(ValueError, match="got an int of 16610 bits"):
        Router({"a": 10**5000})
    r = Router({"a": MAX_SLOTS - 1})
    with pytest.raises(ValueError, match=f"a router holds at most {MAX_SLOTS} slots in all"):
        r.add("b", 2)
    r.add("b", 1)
    assert len(json.loads(r.to_json())["slots"]) == MAX_SLOTS
    data = json.loads(r.to_json())
    data["size"] += 1
    data["slots"].append("b")
    with pytest.raises(ValueError, match=r"field 'size' must be an int in \[0, 1048576\]"):
        Router.from_json(json.dumps(data))


def test_a_state_is_read_in_linear_time(router_core: ModuleType) -> None:
    """40,000 nodes took 23 s when every slot was looked up in the node list."""
    # Built as JSON: 5,715 removals, each building a new table, take minutes.
    size = 40_000
    removed = list(range(0, size, 7))
    gone = set(removed)
    names = [f"node-{i}" for i in range(size)]
    text = json.dumps(
        {
            **json.loads(Router().to_json()),
            "size": size,
            "nodes": [n for i, n in enumerate(names) if i not in gone],
            "slots": [None if i in gone else n for i, n in enumerate(names)],
            "removed": removed,
        }
    )
    start = time.perf_counter()
    r = Router.from_json(text)
    assert time.perf_counter() - start < 5  # about 0.2 s; 23 s when quadratic
    assert len(r) == size - len(removed) and r.weight("node-1") == 1


def test_a_deeply_nested_state_is_a_value_error(router_core: ModuleType) -> None:
    for text in ("[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000):
        with pytest.raises(ValueError, match="router state: "):
            Router.from_json(text)
    data = json.loads(Router(["a", "b"]).to_json())
    data["slots"] = [["a"], "b"]
    with pytest.raises(ValueError, match="field 'slots' must hold only names"):
        Router.from_json(json.dumps(data))


class _Remover:
    """An int key whose ``__index__`` removes a node the first time it is read:
    a change to the router in the middle of a call, which a free-threaded
    build can see at any point without a callback."""

    def __init__(self, router: Router, value: int) -> None:
        self.router, self.value, self.done = router, value, False

    def __index__(self) -> int:
        if not self.done:
            self.done = True
            self.router.remove(self.router.node_for(self.value))
        return self.value


def test_replicas_for_reads_one_state(router_core: ModuleType) -> None:
    # The list is the one the router gave when the call began, whatever
    # changes during the call: reading the table and the weights at two
    # moments (issue 22, item 20) put the removed node first and ranked
    # the others without it.
    for value in range(40):
        r = Router({**{f"n{i}": 1 for i in range(8)}, "n3": 3})
        k = 4 + value % 5  # up to every node
        want = r.copy().replicas_for(value, k)
        assert r.replicas_for(_Remover(r, value), k) == want  # type: ignore[arg-type]  # an __index__ key
        assert len(r.nodes) == 7  # the removal did happen, during the call
