"""``rvh-stable state``: a router state file (``Router.to_json()``), made, changed, shown.

* ``state new --nodes a,b=2,c [--hasher H] [--seed S]`` prints a new state
  on stdout (redirect it to a file);
* ``state add FILE NODES`` adds the nodes of a spec (``d`` or ``d=2,e``) and
  ``state remove FILE NAMES`` removes nodes (``c`` or ``c,d``), in place;
* ``state show FILE`` prints the hasher and seed, each node's weight and
  slots, the removed slots and the nodes that are down (``--format json``).

A change is all or nothing: the state is read and changed in memory (an
unknown node, a duplicate, a bad weight is an error before anything is
written), then written to a temporary file in the same directory, with the
file's permission bits, flushed to disk (fsync) and renamed over the file
(``os.replace``, atomic), so the file is at every moment the old state or
the new one, never half of one.  A symbolic link is followed: its target is
replaced.  A file that changed while the command ran is not overwritten
(that change would be lost): run it again.  The "down" field (the nodes a
client stopped routing to) is kept as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from typing import Any

from . import _output
from ._common import PROG, CliError, reason, show
from ._options import (
    add_hash_options,
    parse_hash_options,
    parse_nodes,
    read_state_file,
    router_of_spec,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} state",
        description=(
            "Make, change and show a router state file (Router.to_json(), which "
            "--state and plan --from/--to read). Changes are written atomically."
        ),
        epilog=(
            "examples:\n"
            "  $ rvh-stable state new --nodes db-a,db-b,db-c=2 > cluster.json\n"
            "  $ rvh-stable state add cluster.json db-d\n"
            "  $ rvh-stable state remove cluster.json db-b\n"
            "  $ rvh-stable state show cluster.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(level="warn")  # the frame's logging: warnings only
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = actions.add_parser(
        "new", help="print a new state (redirect it to a file)", description="Print a new state."
    )
    new.add_argument(
        "--nodes", required=True, metavar="A,B=2,...", help="node names, each with =WEIGHT or 1"
    )
    add_hash_options(new, variant=False)
    add = actions.add_parser(
        "add", help="add nodes to FILE", description="Add nodes to FILE, in place, atomically."
    )
    add.add_argument("file", metavar="FILE")
    add.add_argument("nodes", metavar="NAME[=WEIGHT][,...]", help="the nodes to add")
    remove = actions.add_parser(
        "remove",
        help="remove nodes from FILE",
        description="Remove nodes from FILE, in place, atomically: exactly their keys move.",
    )
    remove.add_argument("file", metavar="FILE")
    remove.add_argument("names", metavar="NAME[,...]", help="the nodes to remove")
    show = actions.add_parser(
        "show",
        help="print FILE's nodes, weights, slots, removed slots and down nodes",
        description="Print FILE's nodes, weights, slots, removed slots and down nodes.",
    )
    show.add_argument("file", metavar="FILE")
    show.add_argument("--format", choices=("text", "json"), default="text")
    for sub in (new, add, remove, show):
        sub.set_defaults(level="warn")
    return parser


def _state_text(router: Any, keep_down: bool) -> str:
    """``router``'s state file: its JSON, with its down nodes if it has any or
    the file had the field."""
    if keep_down or router.down_nodes:
        return str(router.to_json(include_down=True)) + "\n"
    return str(router.to_json()) + "\n"


def _has_down_field(text: bytes) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and "down" in data


def _write_atomically(path: str, data: bytes, seen: os.stat_result) -> None:
    """Replace ``path``'s contents with ``data``: a temporary file beside it,
    with its mode (and owner, where allowed), fsync, rename.  ``seen`` is the
    file's status when it was read: a file changed since is left alone."""
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    fd, temporary = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), seen.st_mode & 0o7777)
            if hasattr(os, "fchown") and (seen.st_uid, seen.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.fchown(f.fileno(), seen.st_uid, seen.st_gid)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        now = os.stat(target)
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (
            seen.st_ino,
            seen.st_size,
            seen.st_mtime_ns,
        ):
            raise CliError(f"{path!r} changed while this ran: nothing written; run it again")
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if os.name != "nt":  # the rename itself reaches the disk with its folder
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            with contextlib.suppress(OSError):  # some file systems cannot sync a folder
                os.fsync(folder_fd)
        finally:
            os.close(folder_fd)


def _load(path: str) -> tuple[Any, bytes, os.stat_result]:
    """The Router of state file ``path``, the file's bytes and its status, read once."""
    return read_state_file(path, "")


def _change(args: argparse.Namespace) -> int:
    path = args.file
    router, text, seen = _load(path)
    try:
        if args.action == "add":
            for name, weight in parse_nodes(args.nodes, "add").items():
                router.add(name, weight)
        else:
            if "=" in args.names:
                raise CliError(f"remove: takes node names, not weights, got {show(args.names)}")
            for name in parse_nodes(args.names, "remove"):
                router.remove(name)
    except KeyError as exc:  # str() of a KeyError is the repr of its message: use the message
        nodes = ", ".join(router.nodes) or "none"
        raise CliError(f"remove: {exc.args[0]} (its nodes: {nodes})") from None
    except (ValueError, TypeError) as exc:
        raise CliError(f"{args.action}: {exc}") from None
    data = _state_text(router, _has_down_field(text)).encode("utf-8")
    try:
        _write_atomically(path, data, seen)
    except OSError as exc:
        raise CliError(f"cannot write {path!r}: {reason(exc)}; it is unchanged") from None
    return 0


def _ranges(slots: list[int]) -> str:
    """Slot numbers as ranges: "0-3,7"."""
    parts: list[str] = []
    for slot in slots:
        if parts and slot == int(parts[-1].rpartition("-")[2]) + 1:
            parts[-1] = f"{parts[-1].partition('-')[0]}-{slot}"
        else:
            parts.append(str(slot))
    return ",".join(parts)


def _show(args: argparse.Namespace) -> int:
    router = _load(args.file)[0]
    data = json.loads(router.to_json())
    down = router.down_nodes
    slots: dict[str, list[int]] = {name: [] for name in router.nodes}
    for slot, owner in enumerate(data["slots"]):
        if owner is not None:
            slots[owner].append(slot)
    nodes = [
        {"name": name, "weight": router.weight(name), "slots": slots[name], "down": name in down}
        for name in router.nodes
    ]
    if args.format == "json":
        shown = {
            "hasher": router.hasher,
            "seed": router.seed,
            "size": data["size"],
            "nodes": nodes,
            "removed": data["removed"],
            "down": [name for name in router.nodes if name in down],
        }
        _output.write((json.dumps(shown, ensure_ascii=False) + "\n").encode("utf-8"))
        return 0
    seed = "none" if router.seed is None else router.seed
    lines = [
        f"hasher {router.hasher}, seed {seed}",
        f"{len(nodes)} node{'' if len(nodes) == 1 else 's'}, {data['size']} slots, "
        f"{len(data['removed'])} removed, {len(down)} down",
        "node\tweight\tslots\tstate",
    ]
    lines += [
        f"{n['name']}\t{n['weight']}\t{_ranges(n['slots'])}\t{'down' if n['down'] else 'up'}"
        for n in nodes
    ]
    removed = ",".join(map(str, data["removed"])) or "none"
    lines.append(f"removed slots (oldest first): {removed}")
    _output.write(("\n".join(lines) + "\n").encode("utf-8"))
    return 0


def run(args: argparse.Namespace) -> int:
    """Do the ``state`` action ``args`` (from :func:`build_parser`) names; 0 when all went well."""
    if args.action == "new":
        router = router_of_spec(args.nodes, "--nodes", parse_hash_options(args))
        _output.write(_state_text(router, False).encode("utf-8"))
        return 0
    if args.action == "show":
        return _show(args)
    return _change(args)
