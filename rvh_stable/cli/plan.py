"""``rvh-stable plan``: which keys move when a cluster changes.

``--from`` and ``--to`` are each a bucket count or a router state file
(``Router.to_json()``); the keys are ``--keys-file`` (or stdin with "-"), or
``--sample`` made-up ones.  It prints how many keys move, the fraction, and
the largest flows (``rvh_stable.planning.plan``), as text or JSON, and with
``--plot`` draws the flows as a PNG chart (matplotlib).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from . import _output
from ._common import PROG, CliError, reason
from ._input import line_chunks
from ._keys import HugeInt, Key, parse_int, parse_keys
from ._options import check_buckets

#: How many made-up keys are planned for without --keys-file.
PLAN_SAMPLE = 100_000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} plan",
        description=(
            "Which keys move when a cluster changes: --from and --to are each a bucket "
            "count or a router state file (Router.to_json()). Prints how many keys move, "
            "the fraction, and the largest flows."
        ),
        epilog=(
            "Without --keys-file, the keys are key-0, key-1, ... (--sample of them): the "
            "fraction that moves is that of any large set of keys."
        ),
    )
    parser.add_argument("--from", dest="before", required=True, metavar="N|STATE")
    parser.add_argument("--to", dest="after", required=True, metavar="N|STATE")
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
    parser.add_argument("--plot", metavar="PNG", help="also draw the flows as a PNG chart")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(level="warn")  # the frame's logging: warnings only
    return parser


def _side(text: str, flag: str) -> Any:
    """A bucket count, or the Router of a state file."""
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
    from ..router import Router

    try:
        with open(text, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise CliError(
            f"{flag}: not a bucket count, and cannot read {text!r}: {reason(exc)}"
        ) from None
    try:
        return Router.from_json(data)
    except ValueError as exc:
        raise CliError(f"{flag}: {text!r}: {exc}") from None


def _keys(args: argparse.Namespace) -> list[Key]:
    if args.keys_file is None:
        if args.sample < 0:
            raise CliError(f"--sample must be >= 0, got {args.sample}")
        return [f"key-{i}" for i in range(args.sample)]
    keys: list[Key] = []
    with line_chunks(args.keys_file, "no stdin to read keys from") as chunks:
        for first, lines in chunks:
            parsed, error = parse_keys(lines, first, args.int_key)
            if error is not None:
                raise error
            keys += parsed
    return keys


def _report(result: Any, top: int, fmt: str) -> str:
    """What plan prints: the counts and the ``top`` largest flows, as text or JSON."""
    flows = list(result.flows.items())[: max(top, 0)]
    if fmt == "json":
        return json.dumps(
            {
                "total": result.total,
                "moved": result.moved,
                "fraction": result.fraction,
                "flows": [{"from": a, "to": b, "keys": c} for (a, b), c in flows],
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
    keys = _keys(args)
    from ..planning import plan

    try:
        result = plan(before, after, keys)
    except (ValueError, TypeError, LookupError) as exc:
        index = getattr(exc, "index", None)
        where = f"line {index + 1}: " if index is not None and args.keys_file else ""
        raise CliError(f"{where}{exc}") from None
    _output.write((_report(result, args.top, args.format) + "\n").encode("utf-8"))
    if args.plot:
        try:
            result.plot(args.plot)
        except ImportError as exc:
            raise CliError(f"--plot: {exc}") from None
        except OSError as exc:
            raise CliError(f"--plot: cannot write {args.plot!r}: {reason(exc)}") from None
    return 0
