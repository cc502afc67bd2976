"""``rvh-stable state``: make, change and show a router state file, on both cores.

A change is checked against the library making the same change
(``Router.add``/``remove``, ``to_json``); ``show`` against what the README's
slot rules say by hand.  Every failure leaves the file as it was.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cli_helpers import assert_error, core_message, main_in_process, rvh, text

from rvh_stable.router import Router


def new_state(core: ModuleType, path: Path, *args: str) -> None:
    done = rvh(core, "state", "new", *args)
    assert (done.returncode, done.stderr) == (0, b""), text(done.stderr)
    path.write_bytes(done.stdout)


def state_of(path: Path) -> Router:
    return Router.from_json(path.read_bytes())


def test_new(router_core: ModuleType) -> None:
    done = rvh(router_core, "state", "new", "--nodes", "db-a,db-b=2,ж")
    assert done.returncode == 0
    assert done.stdout == (Router({"db-a": 1, "db-b": 2, "ж": 1}).to_json() + "\n").encode()
    done = rvh(router_core, "state", "new", "--nodes", "a,b", "--hasher", "crc32")
    assert Router.from_json(done.stdout) == Router(["a", "b"], hasher="crc32")
    done = rvh(router_core, "state", "new", "--nodes", "a", "--seed", "0x2a")
    assert json.loads(done.stdout)["seed"] == 42
    for args, parts in [
        (["--nodes", "a,,b"], ["--nodes: an empty node name"]),
        (["--nodes", "a,a"], ["--nodes: duplicate node name 'a'"]),
        (["--nodes", "a=0"], [f"--nodes: {core_message(Router, {'a': 0})}"]),
        (["--nodes", "a=w"], ["--nodes: the weight of 'a' must be an integer"]),
        (["--nodes", "a", "--seed", "x"], ["--seed must be an integer"]),
        (["--nodes", "a", "--hasher", "crc32", "--seed", "1"], ["crc32"]),
    ]:
        done = rvh(router_core, "state", "new", *args)
        assert done.stdout == b""
        assert_error(done, *parts)
    assert rvh(router_core, "state", "new").returncode == 2  # --nodes is required
    assert rvh(router_core, "state").returncode == 2  # an action is required


def test_add_and_remove_change_the_file_as_the_library_does(
    router_core: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "cluster.json"
    new_state(router_core, path, "--nodes", "a,b=2,c", "--hasher", "fnv1a_64")
    want = Router({"a": 1, "b": 2, "c": 1}, hasher="fnv1a_64")
    for args, changes in [
        (["remove", str(path), "b"], [("remove", "b", 0)]),
        (["add", str(path), "d=3"], [("add", "d", 3)]),
        (["add", str(path), "e,f=2"], [("add", "e", 1), ("add", "f", 2)]),
        (["remove", str(path), "a,e"], [("remove", "a", 0), ("remove", "e", 0)]),
    ]:
        done = rvh(router_core, "state", *args)
        assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
        for action, name, weight in changes:
            if action == "add":
                want.add(name, weight)
            else:
                want.remove(name)
        assert path.read_text(encoding="utf-8") == want.to_json() + "\n"
        assert state_of(path) == want
    assert sorted(os.listdir(tmp_path)) == ["cluster.json"]  # no temporary file left


def test_errors_leave_the_file_as_it_was(router_core: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    new_state(router_core, path, "--nodes", "a,b")
    original = path.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "rvh_stable.router"}', encoding="utf-8")
    for args, parts in [
        (["remove", str(path), "zz"], ["remove: no node named 'zz'", "its nodes: a, b"]),
        (["remove", str(path), "a,zz"], ["no node named 'zz'"]),  # all or nothing
        (["remove", str(path), "a=1"], ["remove: takes node names, not weights"]),
        (["add", str(path), "b"], ["add: node 'b' is already in the router"]),
        (["add", str(path), "c,c"], ["add: duplicate node name 'c'"]),
        (["add", str(path), "c=0"], [f"add: {core_message(Router, {'c': 0})}"]),
        (["add", str(path), "c=x"], ["add: the weight of 'c' must be an integer"]),
        (["add", str(path), "c,=2"], ["add: an empty node name"]),
        (["add", str(tmp_path / "none.json"), "c"], ["cannot read", "none.json"]),
        (["add", str(bad), "c"], ["bad.json", "router state: field"]),
        (["show", str(bad)], ["router state: field"]),
        (["add", str(tmp_path), "c"], ["cannot read"]),  # a folder
    ]:
        done = rvh(router_core, "state", *args)
        assert done.stdout == b""
        assert_error(done, *parts)
        assert path.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["bad.json", "cluster.json"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits and symbolic links")
def test_a_change_keeps_the_mode_and_follows_a_link(
    router_core: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "cluster.json"
    new_state(router_core, path, "--nodes", "a,b")
    path.chmod(0o640)
    inode = path.stat().st_ino
    assert rvh(router_core, "state", "add", str(path), "c").returncode == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode  # a new file took its name: the old one was never rewritten
    link = tmp_path / "current.json"
    link.symlink_to(path.name)
    assert rvh(router_core, "state", "remove", str(link), "a").returncode == 0
    assert link.is_symlink() and state_of(path).nodes == ["b", "c"]


# --- atomic writes, in this process ----------------------------------------------------------


def run_state(core: ModuleType, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "stdin", None)  # a change reads no keys
    return main_in_process(core, monkeypatch, "state", *args)


def test_the_new_state_reaches_the_disk_before_it_takes_the_name(
    router_core: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(Router(["a", "b"]).to_json(), encoding="utf-8")
    calls: list[tuple[str, Any]] = []
    fsync, replace = os.fsync, os.replace

    def logged_fsync(fd: int) -> None:
        calls.append(("fsync", path.read_bytes()))
        fsync(fd)

    def logged_replace(source: Any, target: Any) -> None:
        calls.append(("replace", Path(target).name))
        replace(source, target)

    monkeypatch.setattr(os, "fsync", logged_fsync)
    monkeypatch.setattr(os, "replace", logged_replace)
    assert run_state(router_core, monkeypatch, "add", str(path), "c") == 0
    old = Router(["a", "b"]).to_json().encode()
    assert calls[:2] == [("fsync", old), ("replace", "cluster.json")]
    if os.name != "nt":  # then the folder, so that the rename is on the disk too
        assert calls[2][0] == "fsync" and len(calls) == 3
    assert capsys.readouterr() == ("", "")


def test_a_failed_write_leaves_the_file_and_no_temporary(
    router_core: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(Router(["a", "b"]).to_json(), encoding="utf-8")
    original = path.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    assert run_state(router_core, monkeypatch, "add", str(path), "c") == 1
    err = capsys.readouterr().err
    assert err == (
        f"rvh-stable: error: cannot write {str(path)!r}: {os.strerror(errno.ENOSPC)}; "
        "it is unchanged\n"
    )
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["cluster.json"]


def test_a_file_changed_meanwhile_is_not_overwritten(
    router_core: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Another writer replaced the file after it was read: its change is kept."""
    path = tmp_path / "cluster.json"
    path.write_text(Router(["a", "b"]).to_json(), encoding="utf-8")
    theirs = Router(["a", "b", "x"]).to_json()
    fsync = os.fsync

    def meanwhile(fd: int) -> None:
        fsync(fd)
        if path.read_text(encoding="utf-8") != theirs:
            other = tmp_path / "theirs.tmp"
            other.write_text(theirs, encoding="utf-8")
            os.replace(other, path)

    monkeypatch.setattr(os, "fsync", meanwhile)
    assert run_state(router_core, monkeypatch, "remove", str(path), "b") == 1
    assert "changed while this ran" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == theirs
    assert os.listdir(tmp_path) == ["cluster.json"]


# --- show, and the down set ------------------------------------------------------------------


def test_show(router_core: ModuleType, tmp_path: Path) -> None:
    """The README's rules: a node of weight w takes w consecutive slots in the
    initial order; remove frees its slots highest first; add takes the most
    recently freed slot, then new ones at the end."""
    path = tmp_path / "cluster.json"
    new_state(router_core, path, "--nodes", "a,b=2,c,d", "--seed", "7")
    done = rvh(router_core, "state", "show", str(path))
    assert text(done.stdout) == (
        "hasher xxh64, seed 7\n"
        "4 nodes, 5 slots, 0 removed, 0 down\n"
        "node\tweight\tslots\tstate\n"
        "a\t1\t0\tup\n"
        "b\t2\t1-2\tup\n"
        "c\t1\t3\tup\n"
        "d\t1\t4\tup\n"
        "removed slots (oldest first): none\n"
    )
    assert rvh(router_core, "state", "remove", str(path), "b").returncode == 0  # frees 2, then 1
    assert rvh(router_core, "state", "add", str(path), "e").returncode == 0  # takes 1
    done = rvh(router_core, "state", "show", str(path))
    assert text(done.stdout).splitlines()[1:] == [
        "4 nodes, 5 slots, 1 removed, 0 down",
        "node\tweight\tslots\tstate",
        "a\t1\t0\tup",
        "c\t1\t3\tup",
        "d\t1\t4\tup",
        "e\t1\t1\tup",
        "removed slots (oldest first): 2",
    ]
    done = rvh(router_core, "state", "show", str(path), "--format", "json")
    assert json.loads(done.stdout) == {
        "hasher": "xxh64",
        "seed": 7,
        "size": 5,
        "nodes": [
            {"name": "a", "weight": 1, "slots": [0], "down": False},
            {"name": "c", "weight": 1, "slots": [3], "down": False},
            {"name": "d", "weight": 1, "slots": [4], "down": False},
            {"name": "e", "weight": 1, "slots": [1], "down": False},
        ],
        "removed": [2],
        "down": [],
    }


def test_the_down_set_is_kept_and_shown(router_core: ModuleType, tmp_path: Path) -> None:
    r = Router({"a": 1, "b": 3, "c": 1})
    r.down("b")
    path = tmp_path / "cluster.json"
    path.write_text(r.to_json(include_down=True), encoding="utf-8")
    assert rvh(router_core, "state", "add", str(path), "d").returncode == 0
    r.add("d")
    assert json.loads(path.read_bytes())["down"] == ["b"]
    assert state_of(path).down_nodes == frozenset({"b"})
    assert path.read_text(encoding="utf-8") == r.to_json(include_down=True) + "\n"
    shown = text(rvh(router_core, "state", "show", str(path)).stdout).splitlines()
    assert shown[1] == "4 nodes, 6 slots, 0 removed, 1 down"
    assert shown[4] == "b\t3\t1-3\tdown"
    got = json.loads(rvh(router_core, "state", "show", str(path), "--format", "json").stdout)
    assert got["down"] == ["b"] and got["nodes"][1]["down"] is True
    # Removing a down node takes it out of the down set too; the field stays.
    assert rvh(router_core, "state", "remove", str(path), "b").returncode == 0
    assert json.loads(path.read_bytes())["down"] == []
    # A file without the field is written without it.
    plain = tmp_path / "plain.json"
    plain.write_text(Router(["a", "b"]).to_json(), encoding="utf-8")
    assert rvh(router_core, "state", "add", str(plain), "c").returncode == 0
    assert "down" not in json.loads(plain.read_bytes())


def test_a_state_file_is_what_the_other_commands_read(
    router_core: ModuleType, tmp_path: Path
) -> None:
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    new_state(router_core, before, "--nodes", "a,b,c")
    after.write_bytes(before.read_bytes())
    assert rvh(router_core, "state", "remove", str(after), "b").returncode == 0
    keys = [f"k{i}" for i in range(200)]
    done = rvh(router_core, "--state", str(after), stdin="".join(f"{k}\n" for k in keys).encode())
    assert text(done.stdout).splitlines() == state_of(after).nodes_for(keys)
    done = rvh(router_core, "plan", "--from", str(before), "--to", str(after), "--format", "json")
    assert json.loads(done.stdout)["change"] == "removed b"
