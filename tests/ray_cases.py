"""The guide's Ray Data recipe, run as written on a local Ray: the cases
tests/test_ray.py runs in a child process inside a network namespace of its
own, where the only interface is loopback (Ray 2.60 binds its servers to
every interface it finds and offers no option to keep them on 127.0.0.1).
The fixture checks that every listening socket is on loopback.

One Ray instance for the module (``num_cpus=2``, no dashboard, no usage
report), shut down at its end; its workers get a PYTHONHASHSEED other than
this process's.  The recipe's ``rvh_stable`` is the core the test names: the
recipe's function carries it to the workers (pickled by reference), so each
worker imports that core.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import servers
from helpers import guide_block

ray: Any = servers.require_module("ray")
pa: Any = servers.require_module("pyarrow")
pq: Any = servers.require_module("pyarrow.parquet")

N = 16
PROBE = "rvh-stable: which seed?"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    seed = "7" if os.environ.get("PYTHONHASHSEED") != "7" else "8"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(
            num_cpus=2,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            runtime_env={"env_vars": {"PYTHONHASHSEED": seed}},
        )
        try:
            assert not [a for a in listening() if not is_loopback(a)], listening()
            yield ray
        finally:
            ray.shutdown()


def listening() -> list[str]:
    """The local addresses of this namespace's listening TCP sockets, as
    /proc/net/tcp and tcp6 give them (hex)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A":  # LISTEN
                    found.append(fields[1].split(":")[0])
    return found


def is_loopback(address: str) -> bool:
    if len(address) == 8:  # IPv4, the bytes in host order: 127.x.x.x ends in 7F
        return address.endswith("7F")
    loopback6 = "00000000000000000000000001000000"  # ::1
    mapped = "0000000000000000FFFF0000"  # ::ffff:a.b.c.d, then the IPv4 word
    return address == loopback6 or (address.startswith(mapped) and address.endswith("7F"))


def on_a_worker(source: str, *args: Any) -> Any:
    """Runs the function ``f`` that ``source`` defines in a Ray task.  Defined
    in a module of no file, it is pickled by value, as a recipe's is."""
    namespace: dict[str, Any] = {"__name__": "rvh_stable_ray_probe"}
    exec(source, namespace)
    return ray.get(ray.remote(namespace["f"]).remote(*args))


def test_the_guide_recipe(local_ray: Any, core: ModuleType, tmp_path: Path) -> None:
    assert on_a_worker("def f(s):\n    return hash(s)\n", PROBE) != hash(PROBE)
    users = [f"user:{i * 7919 % 100_003}" if i % 3 else f"ключ-{i}-🙂" for i in range(4000)]
    table = pa.table({"user": users, "row": list(range(len(users)))})
    ds = local_ray.data.from_arrow([table.slice(0, 1500), table.slice(1500)])  # two blocks
    of_shard: dict[int, Counter[str]] = {i: Counter() for i in range(N)}
    for user, i in zip(users, core.jump_hash_many(users, N), strict=True):
        of_shard[i][user] += 1
    assert all(of_shard.values())

    code = guide_block("columns.md", "<!-- tests/ray_cases.py runs the next block -->")
    assert '"by_shard/"' in code
    code = code.replace('"by_shard/"', repr(str(tmp_path / "by_shard")))
    namespace = {"__name__": "readme_ray_recipe", "rvh_stable": core, "ds": ds}
    exec(compile(code, "docs/guides/columns.md (Ray recipe)", "exec"), namespace)

    # The recipe's function, on the workers, is the core's jump_hash_many.
    assert on_a_worker(
        "def f(c):\n    return c.__name__, c.jump_hash_many(['x', 'y'], 16)\n", core
    ) == (core.__name__, core.jump_hash_many(["x", "y"], 16))
    rows: list[int] = []
    for i in range(N):
        found = pq.read_table(tmp_path / "by_shard" / f"shard={i}")
        assert Counter(found["user"].to_pylist()) == of_shard[i], i
        rows += found["row"].to_pylist()
    assert sorted(rows) == list(range(len(users)))  # every row once
