"""``rvh-stable plan``: its sides, its summary, --moved-keys, and flat memory, on both cores.

The expected answers come from the one-key lookups (``jump_hash(key, n)``,
``Router.node_for``), key by key.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cli_helpers import (
    ByteStdin,
    assert_error,
    assert_usage_error,
    child_env,
    command,
    core_message,
    lines_of,
    main_in_process,
    rvh,
    text,
)

from rvh_stable.router import Router

KEYS = [f"user:{i}" for i in range(300)] + ["ключ", "日本", "tab\tin key"]


def owners(side: Router | int, keys: list[Any], core: ModuleType) -> list[Any]:
    if isinstance(side, Router):
        return [side.node_for(k) for k in keys]
    return [core.jump_hash(k, side) for k in keys]


def moves_of(
    before: Router | int, after: Router | int, keys: list[Any], core: ModuleType
) -> list[tuple[Any, Any, Any]]:
    pairs = zip(keys, owners(before, keys, core), owners(after, keys, core), strict=True)
    return [(k, a, b) for k, a, b in pairs if a != b]


def state_file(path: Path, router: Router) -> str:
    path.write_text(router.to_json(), encoding="utf-8")
    return str(path)


def test_summary(router_core: ModuleType, tmp_path: Path) -> None:
    done = rvh(router_core, "plan", "--from", "10", "--to", "12", "--sample", "20000", "--top", "3")
    sample = [f"key-{i}" for i in range(20000)]
    moves = moves_of(10, 12, sample, router_core)
    flows = Counter((a, b) for _, a, b in moves).most_common()
    out = text(done.stdout).splitlines()
    assert done.returncode == 0
    assert out[0] == f"moved {len(moves)} of 20000 keys ({len(moves) / 20000:.2%})"
    assert out[1] == f"largest flows (3 of {len(flows)}):"
    assert out[2:] == [f"  {a} -> {b}\t{c}" for (a, b), c in flows[:3]]

    before = Router(["a", "b", "c", "d"])
    after = before.copy()
    after.remove("c")
    files = [state_file(tmp_path / f"{n}.json", r) for n, r in (("b", before), ("a", after))]
    keys_file = tmp_path / "keys.txt"
    keys_file.write_bytes(lines_of(KEYS))
    png = tmp_path / "flows.png"
    done = rvh(
        router_core, "plan", "--from", files[0], "--to", files[1], "--keys-file", str(keys_file),
        "--format", "json", "--plot", str(png),
    )  # fmt: skip
    assert done.returncode == 0, text(done.stderr)
    got = json.loads(done.stdout)
    moves = moves_of(before, after, KEYS, router_core)
    olds, news = (
        Counter(owners(before, KEYS, router_core)),
        Counter(owners(after, KEYS, router_core)),
    )
    assert got == {
        "before": "nodes a,b,c,d",
        "after": "nodes a,b,d",
        "change": "removed c",
        "total": len(KEYS),
        "moved": len(moves),
        "fraction": len(moves) / len(KEYS),
        "flows": [
            {"from": a, "to": b, "keys": c}
            for (a, b), c in Counter((a, b) for _, a, b in moves).most_common()
        ],
        "loads": [{"owner": n, "before": olds[n], "after": news[n]} for n in "abcd"],
    }
    assert png.read_bytes()[:4] == b"\x89PNG"
    done = rvh(router_core, "plan", "--from", "3", "--to", "4", "--keys-file", "-", stdin=b"x\ny\n")
    moved = len(moves_of(3, 4, ["x", "y"], router_core))
    assert text(done.stdout).startswith(f"moved {moved} of 2 keys")


# --- the sides: a bucket count, a state file or a node list ---------------------------


def test_node_lists(router_core: ModuleType) -> None:
    before, after = Router({"a": 1, "b": 2, "c": 1}), Router({"a": 1, "b": 2, "c": 1, "d": 3})
    done = rvh(
        router_core, "plan", "--from", "a,b=2,c", "--to", "a,b=2,c,d=3", "--keys-file", "-",
        "--moved-keys", stdin=lines_of(KEYS),
    )  # fmt: skip
    assert done.returncode == 0, text(done.stderr)
    want = moves_of(before, after, KEYS, router_core)
    assert want and all(b == "d" for _, _, b in want)  # a node joining takes keys only
    assert text(done.stdout).splitlines() == [f"{k}\t{a}\t{b}" for k, a, b in want]
    done = rvh(router_core, "plan", "--from", "solo=1", "--to", "solo,other", "--sample", "50")
    assert done.returncode == 0 and text(done.stdout).startswith("moved ")


def in_folder(
    core: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, Any]:
    """main(plan ...) in this process, in the current folder: its status, and
    its JSON summary, or what it wrote on stderr."""
    monkeypatch.setattr(sys, "stdin", ByteStdin(b"k1\nk2\nk3\n"))
    status = main_in_process(
        core, monkeypatch, "plan", *args, "--keys-file", "-", "--format", "json"
    )
    out, err = capsys.readouterr()
    return status, json.loads(out) if out else err


def test_an_existing_file_wins_over_a_node_list(
    router_core: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ "x,y" is a node list, unless a file of that name exists: then it is that state."""
    monkeypatch.chdir(tmp_path)
    state_file(tmp_path / "x,y", Router(["p", "q"]))
    status, got = in_folder(router_core, monkeypatch, capsys, "--from", "x,y", "--to", "x,y=2")
    assert status == 0
    assert (got["before"], got["after"]) == ("nodes p,q", "nodes x,y=2")
    os.remove("x,y")
    status, got = in_folder(router_core, monkeypatch, capsys, "--from", "x,y", "--to", "x,y=2")
    assert status == 0
    assert (got["before"], got["after"]) == ("nodes x,y", "nodes x,y=2")
    # A single word that names no file is not taken for a one-node list.
    status, err = in_folder(router_core, monkeypatch, capsys, "--from", "x", "--to", "x,y")
    assert status == 1
    assert err.startswith("rvh-stable: error: --from: 'x' is not a bucket count, not a node list")
    assert "a=1" in err and os.strerror(2) in err  # ENOENT, as the system says it
    # An integer is a bucket count, whatever files there are.
    state_file(tmp_path / "12", Router(["p"]))
    status, got = in_folder(router_core, monkeypatch, capsys, "--from", "10", "--to", "12")
    assert (status, got["after"]) == (0, "12 buckets")


def test_a_bucket_count_and_a_router_are_a_usage_error(
    router_core: ModuleType, tmp_path: Path
) -> None:
    state = state_file(tmp_path / "s.json", Router(["a", "b"]))
    for sides, kinds in [
        (["--from", "10", "--to", "a,b"], "--from is a bucket count and --to a router"),
        (["--from", state, "--to", "3"], "--from is a router and --to a bucket count"),
    ]:
        done = rvh(router_core, "plan", *sides, "--keys-file", "-", stdin=b"k\n")
        assert_usage_error(done, kinds, "two bucket counts or two routers")


def test_side_errors(router_core: ModuleType, tmp_path: Path) -> None:
    empty = Router(["a"])
    empty.remove("a")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "x"}', encoding="utf-8")
    for args, parts in [
        (["--from", "0", "--to", "3"], ["--from:", "num_buckets"]),
        (["--from", "3", "--to", str(tmp_path / "no.json")], ["--to:", "is not a bucket count"]),
        (["--from", "a,a", "--to", "a"], ["--from: duplicate node name 'a'"]),
        (["--from", "a=0,b", "--to", "a,b"], [f"--from: {core_message(Router, {'a': 0})}"]),
        (["--from", "a,b", "--to", "a,=2"], ["--to: an empty node name"]),
        (["--from", state_file(tmp_path / "e.json", empty), "--to", "a,b"], ["no nodes"]),
        (["--from", str(bad), "--to", "a,b"], ["--from:", "field"]),
        (["--from", str(tmp_path), "--to", "a,b"], ["--from: cannot read"]),  # a folder
    ]:
        assert_error(rvh(router_core, "plan", *args, "--sample", "5"), *parts)


def test_key_errors(router_core: ModuleType, tmp_path: Path) -> None:
    for args, parts in [
        (["--sample", "-1"], ["--sample must be >= 0"]),
        (["--keys-file", str(tmp_path / "no")], ["cannot read"]),
        (["--keys-file", "-", "--int-key"], ["line 1:", "--int-key"]),
    ]:
        assert_error(
            rvh(router_core, "plan", "--from", "3", "--to", "4", *args, stdin=b"nope\n"), *parts
        )
    assert rvh(router_core, "plan", "--from", "3").returncode == 2


# --- --moved-keys -------------------------------------------------------------------------


def test_moved_keys(router_core: ModuleType, tmp_path: Path) -> None:
    want = moves_of(10, 13, KEYS, router_core)
    done = rvh(
        router_core, "plan", "--from", "10", "--to", "13", "--keys-file", "-", "--moved-keys",
        stdin=lines_of(KEYS),
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == b""
    lines = text(done.stdout).splitlines()
    assert lines == [f"{k}\t{a}\t{b}" for k, a, b in want]  # and no summary
    assert [line.rsplit("\t", 2)[0] for line in lines] == [k for k, _, _ in want]
    done = rvh(
        router_core, "plan", "--from", "10", "--to", "13", "--keys-file", "-", "--moved-keys",
        "--format", "json", stdin=lines_of(KEYS),
    )  # fmt: skip
    assert [json.loads(line) for line in text(done.stdout).splitlines()] == [
        {"key": k, "from": a, "to": b} for k, a, b in want
    ]
    ints = ["0x10", "-5", "17", *map(str, range(100, 400))]
    values = [int(t, 0) for t in ints]
    full = moves_of(10, 13, values, router_core)
    assert full
    texts = {v: t for t, v in zip(ints, values, strict=True)}
    for fmt in ("text", "json"):
        done = rvh(
            router_core, "plan", "--from", "10", "--to", "13", "--keys-file", "-", "--int-key",
            "--moved-keys", "--format", fmt, stdin=lines_of(ints),
        )  # fmt: skip
        lines = text(done.stdout).splitlines()
        if fmt == "text":  # the key as it was written
            assert lines == [f"{texts[v]}\t{a}\t{b}" for v, a, b in full]
        else:  # the integer
            assert [json.loads(line) for line in lines] == [
                {"key": v, "from": a, "to": b} for v, a, b in full
            ]
    png = tmp_path / "p.png"
    done = rvh(
        router_core, "plan", "--from", "a,b,c", "--to", "a,b", "--sample", "500", "--moved-keys",
        "--plot", str(png),
    )  # fmt: skip
    sample = [f"key-{i}" for i in range(500)]
    want = moves_of(Router(["a", "b", "c"]), Router(["a", "b"]), sample, router_core)
    assert text(done.stdout).splitlines() == [f"{k}\t{a}\t{b}" for k, a, b in want]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_moved_keys_before_a_bad_line_are_written(router_core: ModuleType) -> None:
    keys = [*KEYS[:200], "", *KEYS[200:]]
    done = rvh(
        router_core, "plan", "--from", "10", "--to", "13", "--keys-file", "-", "--moved-keys",
        stdin=lines_of(keys),
    )  # fmt: skip
    want = moves_of(10, 13, KEYS[:200], router_core)
    assert text(done.stdout).splitlines() == [f"{k}\t{a}\t{b}" for k, a, b in want]
    assert_error(done, "line 201:", "must not be empty")


@pytest.mark.skipif(os.name == "nt", reason="select() on a pipe")
def test_moved_keys_are_written_as_the_keys_are_read(router_core: ModuleType) -> None:
    """The first moved key's line comes out while stdin is still open."""
    first = [f"early:{i}" for i in range(50)]
    want = moves_of(3, 4, first, router_core)
    assert want
    child = subprocess.Popen(
        [*command(), "plan", "--from", "3", "--to", "4", "--keys-file", "-", "--moved-keys"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(router_core),
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(lines_of(first))
        child.stdin.flush()
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "no line before the end of the input"
        k, a, b = want[0]
        assert child.stdout.readline() == f"{k}\t{a}\t{b}\n".encode()
        child.stdin.write(b"late\n")
        child.stdin.close()
        rest = child.stdout.read()
    finally:
        if child.poll() is None and child.stdin.closed is False:
            child.kill()
    everything = moves_of(3, 4, [*first, "late"], router_core)
    assert text(rest).splitlines() == [f"{k}\t{a}\t{b}" for k, a, b in everything[1:]]
    assert child.wait(timeout=60) == 0


# --- memory ---------------------------------------------------------------------------------

#: Runs a command with COUNT keys of WIDTH bytes written to its stdin, and
#: prints its peak resident set in KiB (getrusage of the children: only it).
RSS_CHILD = """
import resource, subprocess, sys
count, width, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
pad = "k" * width
for start in range(0, count, 10000):
    block = "".join(f"{pad}{i}\\n" for i in range(start, min(count, start + 10000)))
    child.stdin.write(block.encode())
child.stdin.close()
assert child.wait() == 0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(peak // 1024 if sys.platform == "darwin" else peak)
"""


def peak_kib(core: ModuleType, count: int, width: int, *args: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, str(count), str(width), *command(), "plan", *args],
        capture_output=True,
        env=child_env(core),
        timeout=300,
        check=True,
    )
    return int(done.stdout)


def assert_flat(core: ModuleType, *args: str) -> None:
    """The peak over many keys is that over a hundred, within 5 MiB.  Holding
    the keys (a list of them and of their owners) costs 90 MiB more for 1M
    keys of 20 bytes (the compiled core), and 11 MiB more for 100k (the pure
    one, ~100 times slower); streaming them costs under 1 MiB."""
    count, width = (1_000_000, 20) if core.IMPLEMENTATION == "cython" else (100_000, 20)
    args = (*args, "--keys-file", "-")
    small = peak_kib(core, 100, width, *args)
    large = peak_kib(core, count, width, *args)
    assert large - small < 5 * 1024, (args, small, large)


@pytest.mark.skipif(os.name == "nt", reason="needs the resource module")
def test_plan_does_not_hold_the_keys(router_core: ModuleType, tmp_path: Path) -> None:
    """Memory stays flat whatever the number of keys, moved keys written as they go."""
    before = state_file(tmp_path / "b.json", Router(["a", "b", "c"]))
    assert_flat(router_core, "--from", before, "--to", "a,c,d", "--moved-keys")


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="needs the resource module")
@pytest.mark.parametrize("moved_keys", [[], ["--moved-keys"]])
@pytest.mark.parametrize("routers", [False, True])
def test_plan_does_not_hold_the_keys_whatever_the_sides(
    router_core: ModuleType, tmp_path: Path, moved_keys: list[str], routers: bool
) -> None:
    before = state_file(tmp_path / "b.json", Router(["a", "b", "c"]))
    sides = ["--from", before, "--to", "a,c,d"] if routers else ["--from", "10", "--to", "12"]
    assert_flat(router_core, *sides, *moved_keys)


def test_a_name_with_a_nul_is_one_line(
    router_core: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """main() given a str with a NUL (no shell passes one): an error, not a traceback."""
    monkeypatch.setattr(sys, "stdin", ByteStdin(b"k\n"))
    for args in (
        ["plan", "--from", "a,b", "--to", "x\0y", "--sample", "3"],
        ["plan", "--from", "a\0,b", "--to", "a,b", "--sample", "3"],  # a node named "a\0"
        ["--state", "x\0y", "-k", "k"],
        ["state", "show", "x\0y"],
    ):
        status = main_in_process(router_core, monkeypatch, *args)
        out, err = capsys.readouterr()
        if "a\0,b" in args:  # a name may hold any character: a valid plan
            assert status == 0 and out.startswith("moved ")
            continue
        assert (status, out) == (1, "")
        assert err.startswith("rvh-stable: error: ") and err.count("\n") == 1
        assert "null" in err
