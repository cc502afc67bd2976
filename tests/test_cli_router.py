"""The command line's routers (--nodes, --state), on both cores (plan: test_cli_plan.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

from cli_helpers import (
    assert_error,
    assert_usage_error,
    lines_of,
    rvh,
    text,
)  # tests/ is on sys.path

from rvh_stable.router import Router

KEYS = [f"user:{i}" for i in range(300)] + ["ключ", "日本"]


def test_nodes_single_key(router_core: ModuleType) -> None:
    r = Router(["db-a", "db-b", "db-c"])
    done = rvh(router_core, "--key", "user:42", "--nodes", "db-a,db-b,db-c")
    assert done.returncode == 0 and text(done.stdout) == r.node_for("user:42") + "\n"
    r = Router({"db-a": 2, "db-b": 1}, hasher="crc32")
    done = rvh(
        router_core, "-k", "ключ", "--nodes", "db-a=2,db-b", "--hasher", "crc32", "--format", "json"
    )
    assert json.loads(done.stdout) == {"key": "ключ", "node": r.node_for("ключ")}


def test_nodes_stream(router_core: ModuleType) -> None:
    r = Router({"a": 1, "b": 3, "ж": 2}, seed=7)
    done = rvh(router_core, "--nodes", "a,b=3,ж=2", "--seed", "7", stdin=lines_of(KEYS))
    assert done.returncode == 0
    assert text(done.stdout).splitlines() == r.nodes_for(KEYS)
    done = rvh(
        router_core, "--nodes", "a,b=3,ж=2", "--seed", "7", "--with-key", stdin=lines_of(KEYS)
    )
    assert text(done.stdout).splitlines() == [
        f"{k}\t{n}" for k, n in zip(KEYS, r.nodes_for(KEYS), strict=True)
    ]
    done = rvh(router_core, "--nodes", "a,b", "--int-key", stdin=b"1\n-2\n0x10\n")
    assert text(done.stdout).splitlines() == Router(["a", "b"]).nodes_for([1, -2, 16])


def test_state_file(router_core: ModuleType, tmp_path: Path) -> None:
    r = Router({f"n{i}": 1 + i % 2 for i in range(7)}, hasher="fnv1a_64")
    r.remove("n2")
    state = tmp_path / "state.json"
    state.write_text(r.to_json(), encoding="utf-8")
    done = rvh(router_core, "--state", str(state), stdin=lines_of(KEYS))
    assert done.returncode == 0 and text(done.stdout).splitlines() == r.nodes_for(KEYS)
    done = rvh(router_core, "--state", str(state), "-k", "user:9", "--format", "json")
    assert json.loads(done.stdout)["node"] == r.node_for("user:9")


def test_router_errors(router_core: ModuleType, tmp_path: Path) -> None:
    bad_state = tmp_path / "bad.json"
    bad_state.write_text('{"format": "x"}', encoding="utf-8")
    empty = tmp_path / "empty.json"
    r = Router(["a"])
    r.remove("a")
    empty.write_text(r.to_json(), encoding="utf-8")
    for args, parts in [
        (["--nodes", "a,,b"], ["--nodes: an empty node name"]),
        (["--nodes", "a=0"], ["--nodes: weight of node 'a' must be an int in [1, 1048576], got 0"]),
        (["--nodes", "a=x"], ["--nodes: the weight of 'a' must be an integer"]),
        (["--nodes", "a,a"], ["--nodes: duplicate node name 'a'"]),
        (["--nodes", "a", "--hasher", "crc32", "--seed", "1"], ["seed", "crc32"]),
        (["--state", str(tmp_path / "none.json")], ["--state: cannot read"]),
        (["--state", str(bad_state)], ["--state:", "field"]),
        (["--state", str(empty)], ["--state: the router has no nodes"]),
    ]:
        assert_error(rvh(router_core, "-k", "x", *args), *parts)
    # Options that do not go together are usage errors, as argparse's own: exit 2.
    for args, part in [
        (["--nodes", "a", "--variant", "guava"], "--variant applies to --buckets, not to --nodes"),
        (["--nodes", "a", "--async"], "--async applies to --buckets, not to --nodes"),
        (["--state", str(empty), "--hasher", "crc32"], "the state sets the hasher"),
    ]:
        assert_usage_error(rvh(router_core, "-k", "x", *args), part)
    done = rvh(router_core, "--nodes", "a,b", stdin=b"ok\n\nnever\n")
    assert text(done.stdout) == Router(["a", "b"]).node_for("ok") + "\n"
    assert_error(done, "line 2:", "must not be empty")
    done = rvh(router_core, "-k", "x", "-b", "3", "--nodes", "a")
    assert done.returncode == 2  # one target only: argparse's usage error


def test_existing_invocations_still_work(router_core: ModuleType) -> None:
    done = rvh(router_core, "--key", "TX12345", "--buckets", "7")
    assert done.returncode == 0 and text(done.stdout) == f"{router_core.jump_hash('TX12345', 7)}\n"
