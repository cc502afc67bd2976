"""The command line against hostile arguments (issue 22, items 7-12 and 18):
one line on stderr and exit 1 or 2, within bounded time and memory, never a
traceback.  Both cores, through the ``router_core`` fixture."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

import pytest
from cli_helpers import assert_error, rvh

from rvh_stable.router import MAX_SLOTS, Router


def test_a_weight_of_thousands_of_digits(router_core: ModuleType) -> None:
    done = rvh(router_core, "--key", "x", "--nodes", "a=" + "9" * 5000)
    assert_error(
        done,
        f"--nodes: weight of node 'a' must be an int in [1, {MAX_SLOTS}], "
        "got <an int of 5000 decimal digits>",
    )


def test_a_huge_weight_is_refused_at_once(router_core: ModuleType) -> None:
    done = rvh(router_core, "--key", "x", "--nodes", "a,b=2000000000")
    assert_error(done, f"weight of node 'b' must be an int in [1, {MAX_SLOTS}], got 2000000000")


def test_a_deeply_nested_state(router_core: ModuleType, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 3000 + "]" * 3000)
    for args in (["--key", "x", "--state", str(deep)], ["plan", "--from", str(deep), "--to", "3"]):
        assert_error(rvh(router_core, *args), "JSON nested too deep")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_state_file_is_not_read_whole(router_core: ModuleType) -> None:
    done = rvh(router_core, "--key", "x", "--state", "/dev/zero")
    assert_error(done, "--state: '/dev/zero' is larger than 64 MiB: not a router state")


def test_a_state_is_not_read_from_stdin(router_core: ModuleType) -> None:
    done = rvh(router_core, "--key", "x", "--state", "-", stdin=b"")
    assert_error(done, "--state: a state is read from a file, not from stdin ('-')")


@pytest.mark.skipif(os.name == "nt", reason="POSIX arguments are bytes")
def test_a_node_name_that_is_not_utf8(router_core: ModuleType) -> None:
    done = rvh(router_core, "--key", "x", "--nodes", b"a\xff,c")
    assert_error(done, "--nodes: node name 'a\\udcff' cannot be written as UTF-8")


@pytest.mark.parametrize("name", ["a\nb", "a\tb", "a\rb", "a\x1bb"])
def test_node_names_the_lines_cannot_carry(
    router_core: ModuleType, tmp_path: Path, name: str
) -> None:
    """A newline made 5 lines of 4 keys; a tab broke --with-key's last-tab rule."""
    expected = f"node name {name!r} has a control character"
    done = rvh(router_core, "--nodes", f"{name},c", stdin=b"k1\nk2\n")
    assert_error(done, f"--nodes: {expected}")
    assert done.stdout == b""
    assert_error(rvh(router_core, "state", "new", "--nodes", f"{name},c"), expected)
    state = tmp_path / "state.json"
    state.write_text(Router([name, "c"]).to_json(), encoding="utf-8")
    assert_error(rvh(router_core, "--key", "x", "--state", str(state)), expected)
    assert_error(rvh(router_core, "plan", "--from", str(state), "--to", "a,c"), expected)
    assert_error(rvh(router_core, "state", "show", str(state)), expected)


def test_a_router_refuses_a_name_utf8_cannot_carry(router_core: ModuleType) -> None:
    with pytest.raises(ValueError, match="node name 'a\\\\udcff' cannot be written as UTF-8"):
        Router(["a\udcff"])
    r = Router(["a"])
    with pytest.raises(ValueError, match="cannot be written as UTF-8"):
        r.add("\ud800")
    data = json.loads(r.to_json())
    text = json.dumps({**data, "nodes": ["\udcff"], "slots": ["\udcff"]})
    with pytest.raises(ValueError, match="field 'nodes' must hold UTF-8 text"):
        Router.from_json(text)


def test_plot_names(router_core: ModuleType, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    assert_error(
        rvh(router_core, "plan", "--from", "3", "--to", "4", "--plot", ""),
        "--plot: path must be a non-empty str",
    )
    assert_error(
        rvh(router_core, "plan", "--from", "3", "--to", "4", "--plot", str(tmp_path / "x.xyz")),
        "--plot: cannot draw a chart as .xyz",
    )
    for suffix, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")):
        path = tmp_path / f"chart{suffix}"
        done = rvh(router_core, "plan", "--from", "3", "--to", "4", "--plot", str(path))
        assert done.returncode == 0, done.stderr
        assert path.read_bytes().startswith(magic)
