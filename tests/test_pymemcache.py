"""rvh_stable.pymemcache.Hasher in pymemcache's HashClient, over real memcached servers.

The servers are memcached processes on 127.0.0.1 (tests/servers.py); a
server "fails" by being paused (SIGSTOP: it keeps its data, and answers
nothing), and HashClient's own dead-server logic (``retry_attempts``,
``retry_timeout``, ``dead_timeout``, ``ignore_exc``) decides when it is dead
and when to retry it.  That logic reads ``time.time()``; the tests give it a
clock they move by hand, so which server comes back first is decided, not
raced.  Every test runs on both cores (``router_core``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import servers
from servers import Server

from rvh_stable import Router
from rvh_stable.pymemcache import Hasher

HashClient: Any = servers.require_module("pymemcache.client.hash").HashClient
Client: Any = servers.require_module("pymemcache.client.base").Client
hash_module: Any = servers.require_module("pymemcache.client.hash")

KEYS = [f"user:{i}" for i in range(2000)]
#: Short socket timeouts: a paused server costs this per request.
TIMEOUT = 0.1
RETRY_TIMEOUT = 1.0
DEAD_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def memcached_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    with servers.running("memcached", 4, tmp_path_factory.mktemp("memcached")) as group:
        yield group


@pytest.fixture
def memcached(memcached_pool: list[Server]) -> list[Server]:
    """Four memcached servers, running and empty."""
    for server in memcached_pool:
        server.reset()
    return memcached_pool


class Clock:
    """A stand-in for pymemcache.client.hash's ``time`` module: ``time()``
    returns ``now``, which the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(hash_module, "time", clock)
    return clock


class Recording(Hasher):
    """A Hasher that records HashClient's calls to add_node and remove_node."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str]] = []

    def add_node(self, node: str) -> None:
        self.calls.append(("add", node))
        super().add_node(node)

    def remove_node(self, node: str) -> None:
        self.calls.append(("remove", node))
        super().remove_node(node)


class Naive(Recording):
    """What a hasher over a Router would do with remove and add alone:
    a dead server leaves the cluster, and a retried one joins it again."""

    __slots__ = ()

    def add_node(self, node: str) -> None:
        self.calls.append(("add", node))
        if node not in self.router:
            self.router.add(node)

    def remove_node(self, node: str) -> None:
        self.calls.append(("remove", node))
        self.router.remove(node)


def hash_client(group: list[Server], hasher: Any = Hasher, **options: Any) -> Any:
    settings: dict[str, Any] = {
        "connect_timeout": TIMEOUT,
        "timeout": TIMEOUT,
        "retry_attempts": 1,
        "retry_timeout": RETRY_TIMEOUT,
        "dead_timeout": DEAD_TIMEOUT,
        "ignore_exc": True,
        "default_noreply": False,
    }
    return HashClient([s.address for s in group], hasher=hasher, **settings | options)


def held_by(server: Server, keys: list[str], prefix: bytes = b"") -> set[str]:
    """The keys ``server`` holds, read from it directly."""
    direct = Client(server.address, connect_timeout=1, timeout=1)
    try:
        found = direct.get_many([prefix + key.encode() for key in keys])
    finally:
        direct.close()
    return {key.decode()[len(prefix) :] for key in found}


def fail_until_dead(client: Any, clock: Clock, server: Server, key: str) -> float:
    """Request ``key`` (one of ``server``'s, which is paused) until the client
    marks ``server`` dead, moving the clock past the retry timeout between
    requests; the time it was marked dead."""
    router = client.hasher.router
    for _ in range(10):
        assert client.get(key) is None  # ignore_exc: a failure reads as a miss
        if server.name in router.down_nodes or server.name not in router:  # (Naive removes)
            return clock.now
        clock.now += RETRY_TIMEOUT + 0.5
    raise AssertionError(f"{server.name} was never marked dead: {client.hasher!r}")


def request_at(client: Any, clock: Clock, when: float, key: str) -> None:
    """One request at time ``when``: HashClient first retries the servers
    dead for longer than dead_timeout."""
    clock.now = when
    client.get(key)


def changes(hasher: Recording) -> list[tuple[str, str]]:
    """The calls after the first add of each server."""
    return hasher.calls[len(hasher.router.nodes) :]


# --- Hasher alone: what HashClient's calls do --------------------------------------------


def test_hash_client_names_servers_host_port_in_list_order(router_core: ModuleType) -> None:
    # No server needed: HashClient connects on first use.
    client = HashClient(
        [("127.0.0.1", 11311), "127.0.0.1:11312", ("10.0.0.3", 11211)], hasher=Hasher
    )
    assert isinstance(client.hasher, Hasher)
    assert client.hasher.router.nodes == ["127.0.0.1:11311", "127.0.0.1:11312", "10.0.0.3:11211"]
    assert client.hasher.router == Router(client.hasher.router.nodes)
    key = "user:42"
    assert client.hasher.get_node(key) == Router(client.hasher.router.nodes).node_for(key)


def test_calls_map_to_add_down_up(router_core: ModuleType) -> None:
    hasher = Hasher()
    for name in ["a:1", "b:1", "c:1"]:
        hasher.add_node(name)
    before = {key: hasher.get_node(key) for key in KEYS}
    hasher.remove_node("b:1")
    assert hasher.router.down_nodes == frozenset({"b:1"})
    assert hasher.router.nodes == ["a:1", "b:1", "c:1"]  # still in the cluster
    during = {key: hasher.get_node(key) for key in KEYS}
    assert "b:1" not in during.values()
    assert all(during[k] == before[k] for k in KEYS if before[k] != "b:1")
    hasher.remove_node("b:1")  # marked dead again: nothing changes
    assert {key: hasher.get_node(key) for key in KEYS} == during
    hasher.add_node("b:1")  # retried
    assert hasher.router.down_nodes == frozenset()
    assert {key: hasher.get_node(key) for key in KEYS} == before
    hasher.add_node("b:1")  # added twice: a no-op, as pymemcache's own hasher
    assert {key: hasher.get_node(key) for key in KEYS} == before
    hasher.add_node("d:1")  # a new server joins the cluster
    assert hasher.router.nodes == ["a:1", "b:1", "c:1", "d:1"]


def test_no_server_left_is_none(router_core: ModuleType) -> None:
    hasher = Hasher()
    assert hasher.get_node("user:1") is None  # none added
    hasher.add_node("a:1")
    hasher.add_node("b:1")
    hasher.remove_node("a:1")
    assert hasher.get_node("user:1") == "b:1"
    hasher.remove_node("b:1")
    assert hasher.get_node("user:1") is None
    hasher.add_node("a:1")
    assert hasher.get_node("user:1") == "a:1"


def test_remove_of_an_unknown_node_is_a_value_error(router_core: ModuleType) -> None:
    hasher = Hasher()
    hasher.add_node("a:1")
    with pytest.raises(ValueError, match=r"node 'b:1' was never added.*\['a:1'\]"):
        hasher.remove_node("b:1")
    assert hasher.router.down_nodes == frozenset()


def test_bad_keys_raise_the_key_rules_errors(router_core: ModuleType) -> None:
    hasher = Hasher()
    hasher.add_node("a:1")
    with pytest.raises(ValueError, match="key must not be empty"):
        hasher.get_node("")
    with pytest.raises(TypeError, match="key must be"):
        hasher.get_node(None)  # type: ignore[arg-type]


def test_str_and_bytes_keys_go_to_the_same_server(router_core: ModuleType) -> None:
    hasher = Hasher()
    for i in range(5):
        hasher.add_node(f"10.0.0.{i}:11211")
    assert [hasher.get_node(k) for k in KEYS] == [hasher.get_node(k.encode()) for k in KEYS]


def test_with_options(router_core: ModuleType) -> None:
    weights = {"b:1": 3}
    make = Hasher.with_options(seed=7, weights=weights)
    weights["b:1"] = 1  # the options were taken when given
    hasher = make()
    for name in ["a:1", "b:1", "c:1"]:
        hasher.add_node(name)
    expected = Router({"a:1": 1, "b:1": 3, "c:1": 1}, seed=7)
    assert hasher.router == expected
    assert [hasher.get_node(k) for k in KEYS] == expected.nodes_for(KEYS)
    assert make() is not make()  # one hasher per client
    client = HashClient(["127.0.0.1:11311", "127.0.0.1:11312"], hasher=make)
    assert client.hasher.router.seed == 7


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"hasher": "nope"}, ValueError, "hasher"),
        ({"seed": "7"}, TypeError, "seed"),
        ({"weights": ["a:1"]}, TypeError, "weights must be a mapping"),
        (
            {"weights": {"a:1": 0}},
            ValueError,
            "weight of node 'a:1' must be an int in \\[1, 1048576\\]",
        ),
        (
            {"weights": {"a:1": 1.5}},
            TypeError,
            "weight of node 'a:1' must be an int in \\[1, 1048576\\]",
        ),
        ({"weights": {1: 1}}, TypeError, "node name must be a str"),
    ],
)
def test_bad_options_are_refused_at_once(
    router_core: ModuleType, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        Hasher.with_options(**options)
    with pytest.raises(error, match=match):
        Hasher(**options)


@pytest.mark.parametrize(
    "order",
    [(0, 1, 2, 3), (1, 0, 2, 3), (0, 2, 3, 1), (3, 2, 1, 0)],
)
def test_server_lists_in_another_order_disagree_on_the_moved_slots(
    router_core: ModuleType, order: tuple[int, ...]
) -> None:
    # The order rule: the i-th server of the list gets slot i.  A client whose
    # list is in another order gives some slots to other servers, and
    # disagrees on exactly the keys of those slots: their share of the keys.
    names = [f"10.0.0.{i}:11211" for i in range(4)]
    keys = [f"user:{i}" for i in range(20000)]
    one = HashClient(names, hasher=Hasher).hasher
    other = HashClient([names[i] for i in order], hasher=Hasher).hasher
    assert one.get_node(keys[0]) == one.router.node_for(keys[0])
    pairs = zip(one.router.nodes_for(keys), other.router.nodes_for(keys), strict=True)
    disagree = sum(mine != theirs for mine, theirs in pairs) / len(keys)
    moved_slots = sum(names[slot] != names[i] for slot, i in enumerate(order))
    slot_share = moved_slots / len(names)
    if moved_slots in (0, len(names)):
        assert disagree == slot_share  # none, or every key
    else:
        assert abs(disagree - slot_share) < 0.02, (disagree, slot_share)


def test_importing_rvh_stable_never_imports_pymemcache() -> None:
    code = (
        "import sys, rvh_stable, rvh_stable.pymemcache\n"
        "h = rvh_stable.pymemcache.Hasher(); h.add_node('a:1'); h.get_node('k')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pymemcache'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- real servers ----------------------------------------------------------------------------


def test_keys_land_on_the_server_the_router_names(
    router_core: ModuleType, memcached: list[Server]
) -> None:
    prefix = b"app:"
    client = hash_client(memcached, key_prefix=prefix)
    router = client.hasher.router
    assert router.nodes == [s.name for s in memcached]
    assert client.set_many({key: key.encode() for key in KEYS}) == []
    for server in memcached:
        # The hasher is given the key without the prefix; the server holds
        # the prefixed key.
        expected = {key for key in KEYS if router.node_for(key) == server.name}
        assert 300 < len(expected) < 700
        assert held_by(server, KEYS, prefix) == expected
    # str and bytes keys reach the same server.
    found = client.get_many([key.encode() for key in KEYS])
    assert found == {key.encode(): key.encode() for key in KEYS}
    # An empty key: pymemcache passes it (the prefix makes it a valid key),
    # the key rules refuse it, with their ValueError.
    with pytest.raises(ValueError, match="key must not be empty"):
        client.get("")


def flap(client: Any, clock: Clock, group: list[Server], together: bool) -> list[str]:
    """Two servers fail, one after the other, and come back: HashClient
    retries each dead_timeout after it was marked dead, so the first to fail
    is the first back (pymemcache's own order).  ``together``: both are back
    when the first retry comes, which brings both.  Returns the two names."""
    router = client.hasher.router

    def out() -> set[str]:  # the servers the client routes no key to
        down: frozenset[str] = router.down_nodes
        return {s.name for s in group} - set(router.nodes) | down

    a, b = group[1], group[2]
    home = dict(zip(KEYS, router.nodes_for(KEYS), strict=True))
    key_of = {s.name: next(k for k in KEYS if home[k] == s.name) for s in group}
    a.pause()
    a_died = fail_until_dead(client, clock, a, key_of[a.name])
    clock.now += 3
    b.pause()
    b_died = fail_until_dead(client, clock, b, key_of[b.name])
    assert out() == {a.name, b.name}
    # The live servers' keys stay put (hits); a's and b's go to them (misses).
    assert set(client.get_many(KEYS)) == {k for k in KEYS if home[k] not in (a.name, b.name)}
    assert b_died > a_died + 2
    a.resume()
    if together:
        b.resume()
        request_at(client, clock, b_died + DEAD_TIMEOUT + 1, key_of[a.name])
    else:
        request_at(client, clock, a_died + DEAD_TIMEOUT + 1, key_of[a.name])
        assert out() == {b.name}
        b.resume()
        # The next retry: dead_timeout after the last one.
        request_at(client, clock, clock.now + DEAD_TIMEOUT + 1, key_of[b.name])
    assert out() == set()
    expected = [("remove", a.name), ("remove", b.name), ("add", a.name), ("add", b.name)]
    assert changes(client.hasher) == expected
    clock.now += RETRY_TIMEOUT + 1  # past the retry timeout of their last failure
    return [a.name, b.name]


@pytest.mark.parametrize("together", [False, True], ids=["back-one-by-one", "back-together"])
def test_a_two_server_flap_loses_no_placement(
    router_core: ModuleType, memcached: list[Server], clock: Clock, together: bool
) -> None:
    client = hash_client(memcached, hasher=Recording)
    assert client.set_many({key: key.encode() for key in KEYS}) == []
    home = client.hasher.router.nodes_for(KEYS)
    a, b = memcached[1].name, memcached[2].name

    flap(client, clock, memcached, together)

    # After it, every key written before is a hit, on its own server.
    assert client.get_many(KEYS) == {key: key.encode() for key in KEYS}
    assert client.hasher.router.nodes_for(KEYS) == home
    assert {a, b} <= set(home)


def test_the_same_flap_through_remove_and_add_loses_the_two_servers_keys(
    router_core: ModuleType, memcached: list[Server], clock: Clock
) -> None:
    # The flap above, with a hasher that removes a dead server from the
    # cluster and adds it back: Memento restores the last removed slot
    # first, so a, back first, takes b's slot and b takes a's.  Every key of
    # a and b now goes to the other one: misses.  (What down/up prevents.)
    client = hash_client(memcached, hasher=Naive)
    assert client.set_many({key: key.encode() for key in KEYS}) == []
    home = dict(zip(KEYS, client.hasher.router.nodes_for(KEYS), strict=True))
    a, b = flap(client, clock, memcached, together=False)
    found = client.get_many(KEYS)
    assert set(found) == {key for key in KEYS if home[key] not in (a, b)}
    now = dict(zip(KEYS, client.hasher.router.nodes_for(KEYS), strict=True))
    assert all(now[key] == {a: b, b: a}[home[key]] for key in KEYS if home[key] in (a, b))


def test_two_clients_that_saw_failures_in_other_orders_agree(
    router_core: ModuleType, memcached: list[Server], clock: Clock
) -> None:
    one = hash_client(memcached, hasher=Recording, retry_attempts=0)
    two = hash_client(memcached, hasher=Recording, retry_attempts=0)
    assert one.set_many({key: key.encode() for key in KEYS}) == []
    home = one.hasher.router.nodes_for(KEYS)
    assert two.hasher.router.nodes_for(KEYS) == home
    a, b = memcached[0], memcached[3]
    key_of = {s.name: KEYS[home.index(s.name)] for s in (a, b)}
    a.pause()
    b.pause()
    # one finds a dead first, two finds b dead first.
    for client, first, second in ((one, a, b), (two, b, a)):
        clock.now += 1
        assert client.get(key_of[first.name]) is None
        clock.now += 1
        assert client.get(key_of[second.name]) is None
        assert changes(client.hasher) == [
            ("remove", first.name),
            ("remove", second.name),
        ]
    assert one.hasher.router.down_nodes == two.hasher.router.down_nodes == {a.name, b.name}
    assert one.hasher.router.nodes_for(KEYS) == two.hasher.router.nodes_for(KEYS)
    # What one writes for a's and b's keys meanwhile, two reads.
    stray = {k: b"during" for k, node in zip(KEYS, home, strict=True) if node in (a.name, b.name)}
    assert one.set_many(stray) == []
    assert two.get_many(list(stray)) == stray

    # Both come back, to each client in the order it found them dead.
    a.resume()
    b.resume()
    request_at(one, clock, clock.now + DEAD_TIMEOUT + 1, KEYS[0])
    request_at(two, clock, clock.now, KEYS[0])
    assert changes(one.hasher)[2:] == [("add", a.name), ("add", b.name)]
    assert changes(two.hasher)[2:] == [("add", b.name), ("add", a.name)]
    assert one.hasher.router.nodes_for(KEYS) == two.hasher.router.nodes_for(KEYS) == home
    clock.now += RETRY_TIMEOUT + 1
    # Home again: each server answers with what it held before the failures.
    expected = {key: key.encode() for key in KEYS}
    assert one.get_many(KEYS) == two.get_many(KEYS) == expected
