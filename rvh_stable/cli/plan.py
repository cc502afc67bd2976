"""``rvh-stable plan``: which keys move when a cluster changes.

``--from`` and ``--to`` are each a bucket count, a router state file
(``Router.to_json()``) or a node spec (``a,b=2,c``), read in that order:
an integer is a bucket count; else an existing file is a state file (an
existing file wins over a spec of the same spelling); else a text with a
"," or "=" is a node spec; else it names a file that cannot be read (a
single node is ``a=1``).  Both sides are bucket counts or both routers
(exit 2 otherwise).  The keys are ``--keys-file`` (or stdin with "-"), or
``--sample`` made-up ones, read and placed a chunk at a time
(``planning.Tally``): memory stays flat whatever their number.  It prints
how many keys move, the fraction and the largest flows, as text or JSON;
with ``--moved-keys``, instead, one line per moved key, written as the keys
are read; ``--plot`` draws the plan as a PNG (matplotlib).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from . import _output
from ._common import PROG, CliError, UsageError, reason, show
from ._input import line_chunks
from ._keys import HugeInt, Key, parse_int, parse_keys
from ._options import check_buckets, read_state, router_of_spec

#: How many made-up keys are planned for without --keys-file.
PLAN_SAMPLE = 100_000

#: Made-up keys are generated this many at a time (input is read by CHUNK_BYTES).
SAMPLE_CHUNK = 65_536

#: A chunk of keys: the number of its first line, the lines, the keys.
KeyChunk = tuple[int, list[str], list[Key]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} plan",
        description=(
            "Which keys move when a cluster changes. --from and --to are each a bucket "
            "count, a router state file (Router.to_json(), rvh-stable state) or a node "
            "list (a,b=2,c), both bucket counts or both routers. Prints how many keys "
            "move, the fraction, and the largest flows."
        ),
        epilog=(
            "A side is read as: an integer, a bucket count; else an existing file, a "
            "state file (it wins over a node list spelled the same); else a text with "
            "',' or '=', a node list (one node: NAME=1). Without --keys-file, the keys "
            "are key-0, key-1, ... (--sample of them): the fraction that moves is that "
            "of any large set of keys. --moved-keys prints KEY<TAB>FROM<TAB>TO for each "
            "key that moves, in the keys' order, as they are read, instead of the "
            "summary (a key's own tabs stay: split on the last two)."
        ),
    )
    parser.add_argument("--from", dest="before", required=True, metavar="N|STATE|NODES")
    parser.add_argument("--to", dest="after", required=True, metavar="N|STATE|NODES")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--keys-file", metavar="PATH", help="keys one per line ('-': stdin), as for hashing"
    )
    source.add_argument(
        "--sample",
        metavar="COUNT",
        type=int,
        default=PLAN_SAMPLE,
        help=f"without --keys-file: plan for key-0 .. key-(COUNT-1) (default {PLAN_SAMPLE})",
    )
    parser.add_argument("--int-key", action="store_true", help="parse each key as an integer")
    parser.add_argument("--top", type=int, default=10, metavar="K", help="flows to print (10)")
    parser.add_argument(
        "--moved-keys",
        action="store_true",
        help="print each moved key with its old and new owner instead of the summary",
    )
    parser.add_argument(
        "--plot",
        metavar="PNG",
        help=(
            "also draw the loads and the flows as a chart: PNG, or the format of the "
            "name's suffix (.svg, .pdf)"
        ),
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(level="warn")  # the frame's logging: warnings only
    return parser


def _side(text: str, flag: str) -> Any:
    """A bucket count, or the Router of a state file or of a node spec (see the docstring)."""
    try:
        value = parse_int(text)
    except HugeInt as huge:
        raise CliError(f"{flag}: {huge.reason(check_buckets)}") from None
    if value is not None:
        try:
            check_buckets(value)
        except (ValueError, TypeError) as exc:
            raise CliError(f"{flag}: {exc}") from None
        return value
    if os.path.exists(text):
        router = read_state(text, flag)
    elif "," in text or "=" in text:
        router = router_of_spec(text, flag)
    else:
        try:
            with open(text, "rb"):
                pass
            why = "it vanished"  # not reached unless the file appeared just now
        except OSError as exc:
            why = reason(exc)
        except ValueError as exc:  # a NUL in the name (main() given a str)
            why = str(exc)
        raise CliError(
            f"{flag}: {show(text)} is not a bucket count, not a node list (it has no ',' "
            f"or '=': a,b or a=1), and cannot be read as a state file: {why}"
        )
    if not len(router):
        raise CliError(f"{flag}: the router has no nodes")
    return router


def _chunks(args: argparse.Namespace) -> Iterator[KeyChunk]:
    """The keys, a chunk at a time: (first line's number, lines, keys)."""
    if args.keys_file is None:
        if args.sample < 0:
            raise CliError(f"--sample must be >= 0, got {args.sample}")
        for start in range(0, args.sample, SAMPLE_CHUNK):
            texts = [f"key-{i}" for i in range(start, min(start + SAMPLE_CHUNK, args.sample))]
            yield start + 1, texts, list(texts)
        return
    with line_chunks(args.keys_file, "no stdin to read keys from") as chunks:
        for first, lines in chunks:
            keys, error = parse_keys(lines, first, args.int_key)
            if keys:
                yield first, lines, keys
            if error is not None:
                raise error


class _MovedLines:
    """``--moved-keys``: one line per moved key, KEY<TAB>FROM<TAB>TO, or JSON."""

    def __init__(self, fmt: str, int_key: bool) -> None:
        self.fmt = fmt
        self.int_key = int_key

    def write(
        self, moves: list[tuple[int, Any, Any]], texts: Sequence[str], keys: Sequence[Key]
    ) -> None:
        if not moves:
            return
        if self.fmt == "json":
            shown = [
                json.dumps(
                    {"key": keys[i] if self.int_key else texts[i], "from": a, "to": b},
                    ensure_ascii=False,
                )
                for i, a, b in moves
            ]
        else:
            shown = [f"{texts[i]}\t{a}\t{b}" for i, a, b in moves]
        _output.write(("\n".join(shown) + "\n").encode("utf-8"))


def _summary(result: Any, top: int, fmt: str) -> str:
    """What plan prints: the counts and the ``top`` largest flows, as text or JSON."""
    flows = list(result.flows.items())[: max(top, 0)]
    if fmt == "json":
        return json.dumps(
            {
                "before": result.labels[0],
                "after": result.labels[1],
                "change": result.change,
                "total": result.total,
                "moved": result.moved,
                "fraction": result.fraction,
                "flows": [{"from": a, "to": b, "keys": c} for (a, b), c in flows],
                "loads": [
                    {"owner": owner, "before": b, "after": a}
                    for owner, (b, a) in result.loads.items()
                ],
            },
            ensure_ascii=False,
        )
    lines = [f"moved {result.moved} of {result.total} keys ({result.fraction:.2%})"]
    if flows:
        lines.append(f"largest flows ({len(flows)} of {len(result.flows)}):")
        lines += [f"  {a} -> {b}\t{c}" for (a, b), c in flows]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Plan what ``args`` (from :func:`build_parser`) asks for; 0 when all went well."""
    before = _side(args.before, "--from")
    after = _side(args.after, "--to")
    if isinstance(before, int) is not isinstance(after, int):
        kinds = ["a bucket count" if isinstance(s, int) else "a router" for s in (before, after)]
        raise UsageError(
            f"--from is {kinds[0]} and --to {kinds[1]}: a plan compares two bucket counts "
            "or two routers (a router's nodes are not jump's buckets)"
        )
    from ..planning import Tally

    tally = Tally(before, after)
    moved = _MovedLines(args.format, args.int_key) if args.moved_keys else None
    for first, texts, keys in _chunks(args):
        try:
            moves = tally.add(keys)
        except (ValueError, TypeError, LookupError) as exc:
            index = getattr(exc, "index", None)
            if index is None:  # not about one key
                raise CliError(str(exc)) from None
            # As hashing does: the keys before the bad one are planned and written.
            if moved is not None:
                moved.write(tally.add(keys[:index]), texts, keys)
            why = str(exc).removeprefix(f"keys[{index}]: ")
            raise CliError(f"line {first + index}: {why}") from None
        if moved is not None:
            moved.write(moves, texts, keys)
    result = tally.plan()
    if moved is None:
        _output.write((_summary(result, args.top, args.format) + "\n").encode("utf-8"))
    if args.plot is not None:
        try:
            result.plot(args.plot)
        except (ImportError, ValueError) as exc:
            raise CliError(f"--plot: {exc}") from None
        except OSError as exc:
            raise CliError(f"--plot: cannot write {args.plot!r}: {reason(exc)}") from None
    return 0
