"""The documentation's redis-py recipe, run as written against three real Redis servers.

The recipe is the code block after the marker line in the guide "Many
clients, no coordinator" (docs/guides/clients.md); it is read from there and executed, so the
documentation cannot drift from what is tested.  The servers are
redis-server processes on 127.0.0.1 (tests/servers.py).  Every test runs on
both cores (``router_core``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import servers
from servers import Server

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guides" / "clients.md"
MARKER = "<!-- tests/test_redis.py runs the next block -->"

if not GUIDE.exists():
    pytest.skip(
        "the recipe is read from docs/guides/clients.md, outside the source tree",
        allow_module_level=True,
    )

redis: Any = servers.require_module("redis")

KEYS = [f"user:{i}" for i in range(2000)]
DATA = {key: f"value of {key}".encode() for key in KEYS}
TIMEOUT = 0.2


def recipe() -> Any:
    """The recipe's ``ShardedRedis``, from the guide."""
    found = re.search(
        re.escape(MARKER) + r"\n```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S
    )
    assert found, f"no python block after {MARKER!r} in {GUIDE}"
    namespace: dict[str, Any] = {"__name__": "readme_redis_recipe"}
    exec(compile(found.group(1), f"{GUIDE} (redis recipe)", "exec"), namespace)
    return namespace["ShardedRedis"]


@pytest.fixture(scope="module")
def redis_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    with servers.running("redis", 3, tmp_path_factory.mktemp("redis")) as group:
        yield group


@pytest.fixture
def redis_servers(redis_pool: list[Server]) -> list[Server]:
    """Three redis-server processes, running and empty."""
    for server in redis_pool:
        server.reset()
    return redis_pool


def sharded(group: list[Server]) -> Any:
    return recipe()([s.name for s in group], timeout=TIMEOUT)


def held_by(server: Server) -> set[str]:
    """The keys ``server`` holds, read from it directly."""
    direct = redis.Redis(*server.address, socket_timeout=1)
    try:
        return {key.decode() for key in direct.keys("*")}
    finally:
        direct.close()


def test_round_trip_each_key_on_the_server_the_router_names(
    router_core: ModuleType, redis_servers: list[Server]
) -> None:
    store = sharded(redis_servers)
    assert store.router.nodes == [s.name for s in redis_servers]
    store.set_many(DATA)
    assert store.get_many(KEYS) == [DATA[key] for key in KEYS]
    assert store.get_many(["user:none", KEYS[5], KEYS[5]]) == [None, DATA[KEYS[5]], DATA[KEYS[5]]]
    assert store.get_many([]) == []
    home = dict(zip(KEYS, store.router.nodes_for(KEYS), strict=True))
    for server in redis_servers:
        expected = {key for key in KEYS if home[key] == server.name}
        assert 500 < len(expected) < 850
        assert held_by(server) == expected
    assert store.router.down_nodes == frozenset()


def test_a_killed_server_moves_its_keys_alone_and_they_come_home(
    router_core: ModuleType, redis_servers: list[Server]
) -> None:
    store = sharded(redis_servers)
    store.set_many(DATA)
    home = dict(zip(KEYS, store.router.nodes_for(KEYS), strict=True))
    dead, *live = redis_servers
    its_keys = [key for key in KEYS if home[key] == dead.name]

    dead.kill()
    # Its keys are misses (nothing is stored where they go now); the
    # others' are hits, where they were.
    assert store.get_many(KEYS) == [None if home[k] == dead.name else DATA[k] for k in KEYS]
    assert store.router.down_nodes == {dead.name}
    now = dict(zip(KEYS, store.router.nodes_for(KEYS), strict=True))
    assert all(now[k] == home[k] for k in KEYS if home[k] != dead.name)
    assert {now[k] for k in its_keys} == {s.name for s in live}
    store.set_many({key: DATA[key] for key in its_keys})
    assert store.get_many(KEYS) == [DATA[key] for key in KEYS]
    for server in live:
        assert held_by(server) == {k for k in KEYS if now[k] == server.name}

    assert store.bring_back() == []  # still dead
    assert store.router.down_nodes == {dead.name}

    dead.restart()  # empty, on the same port
    assert store.bring_back() == [dead.name]
    assert store.router.down_nodes == frozenset()
    assert store.router.nodes_for(KEYS) == [home[k] for k in KEYS]
    assert store.get_many(its_keys) == [None] * len(its_keys)  # lost with the kill
    store.set_many({key: DATA[key] for key in its_keys})
    assert held_by(dead) == set(its_keys)
    assert store.get_many(KEYS) == [DATA[key] for key in KEYS]


def test_a_server_that_times_out_is_down_until_it_answers(
    router_core: ModuleType, redis_servers: list[Server]
) -> None:
    store = sharded(redis_servers)
    store.set_many(DATA)
    home = dict(zip(KEYS, store.router.nodes_for(KEYS), strict=True))
    slow = redis_servers[1]

    slow.pause()  # connections open, nothing answered: TimeoutError
    assert store.get_many(KEYS) == [None if home[k] == slow.name else DATA[k] for k in KEYS]
    assert store.router.down_nodes == {slow.name}
    assert store.bring_back() == []

    slow.resume()  # it kept its data
    assert store.bring_back() == [slow.name]
    assert store.get_many(KEYS) == [DATA[key] for key in KEYS]
    assert store.router.nodes_for(KEYS) == [home[k] for k in KEYS]


def test_with_every_server_down_a_batch_raises_lookup_error(
    router_core: ModuleType, redis_servers: list[Server]
) -> None:
    store = sharded(redis_servers)
    store.set_many(DATA)
    for server in redis_servers:
        server.kill()
    with pytest.raises(LookupError):
        store.get_many(KEYS)
    assert store.router.down_nodes == {s.name for s in redis_servers}
    for server in redis_servers:
        server.restart()
    assert sorted(store.bring_back()) == sorted(s.name for s in redis_servers)
    assert store.get_many(KEYS[:10]) == [None] * 10


def test_the_recipe_is_in_the_guide() -> None:
    # The block the tests run is the one after the marker, in the recipe's section.
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## redis-py: a recipe") :]
    assert MARKER in section
    assert recipe().__name__ == "ShardedRedis"
