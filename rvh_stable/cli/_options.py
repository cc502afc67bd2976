"""Options more than one command can take, and the checks of their values.

The lists (hashers, their seeds, algorithms, loop variants) come from ``_rules``, the
one place that names them; the values are checked by the core, whose
message the CliError carries.
"""

from __future__ import annotations

import argparse
import os
import unicodedata
from typing import Any

from .. import _rules
from . import _common
from ._common import CliError, UsageError, reason, show
from ._keys import HugeInt, as_typed, parse_int

#: The loop when --variant is not given: the paper's.
DEFAULT_VARIANT = _rules.DEFAULT_VARIANT
#: The algorithm when --algorithm is not given: jump hash.
DEFAULT_ALGORITHM = _rules.DEFAULT_ALGORITHM


def _listed(items: list[str]) -> str:
    """ "a, b or c"."""
    return " or ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def _hasher_help() -> str:
    names = [f"{name} ({spec.origin})" for name, spec in _rules.HASHER_TABLE.items()]
    return (
        f"how a key's UTF-8 bytes become a 64-bit integer: {_listed(names)}; "
        "--int-key keys are their own integer whatever the hasher"
    )


def _seed_help() -> str:
    seeded = [
        f"{name} {spec.seed_words}"
        for name, spec in _rules.HASHER_TABLE.items()
        if spec.seeds is not None
    ]
    others = "; the other hashers take none" if len(seeded) < len(_rules.HASHER_TABLE) else ""
    return f"the hasher's seed: {', '.join(seeded)}{others}"


def _table_help(table: dict[str, str], default: str) -> str:
    shown = []
    for name, words in table.items():
        if name == default:
            words = f"default; {words}" if words else "default"
        shown.append(f"{name} ({words})" if words else name)
    return _listed(shown)


def add_hash_options(parser: argparse.ArgumentParser, *, variant: bool = True) -> None:
    """--hasher, --seed and (unless ``variant`` is False) --algorithm and
    --variant: how keys become buckets."""
    parser.add_argument(
        "--hasher",
        choices=_rules.HASHERS,
        default=_rules.DEFAULT_HASHER,
        help=_hasher_help(),
    )
    parser.add_argument("--seed", metavar="S", help=_seed_help())
    if not variant:
        return
    parser.add_argument(
        "--algorithm",
        choices=_rules.ALGORITHMS,
        default=DEFAULT_ALGORITHM,
        help=f"the algorithm: {_table_help(_rules.ALGORITHM_TABLE, DEFAULT_ALGORITHM)}",
    )
    parser.add_argument(
        "--variant",
        choices=_rules.VARIANTS,
        default=DEFAULT_VARIANT,
        help=f"jump's loop: {_table_help(_rules.VARIANT_TABLE, DEFAULT_VARIANT)}",
    )


def parse_buckets(text: str) -> int:
    """``--buckets`` as an int the core accepts, or CliError with the core's message."""
    try:
        value = parse_int(text)
    except HugeInt as huge:
        raise CliError(f"--buckets: {huge.reason(check_buckets)}") from None
    if value is None:
        raise CliError(f"--buckets must be an integer, got {show(text)}")
    try:
        check_buckets(value)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--buckets: {exc}") from None
    return value


def check_buckets(value: int) -> object:
    """The core validates num_buckets, and hashes nothing."""
    return _common.core.jump_hash_many((), value)


def parse_hash_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--hasher``, ``--seed``, ``--algorithm`` and ``--variant`` as keyword arguments
    of the core's calls (none for the defaults), checked by the core, or CliError with
    its message."""
    options: dict[str, Any] = {}
    if args.hasher != _rules.DEFAULT_HASHER:
        options["hasher"] = args.hasher
    if getattr(args, "variant", DEFAULT_VARIANT) != DEFAULT_VARIANT:
        options["variant"] = args.variant
    if getattr(args, "algorithm", DEFAULT_ALGORITHM) != DEFAULT_ALGORITHM:
        if "variant" in options:
            raise UsageError(
                f"--variant applies to --algorithm {DEFAULT_ALGORITHM}, "
                f"not to --algorithm {args.algorithm}"
            )
        options["algorithm"] = args.algorithm
    if args.seed is not None:
        try:
            seed = parse_int(args.seed)
        except HugeInt as huge:
            seed = huge.stand_in  # out of every seed range: the core's range error
        if seed is None:
            raise CliError(f"--seed must be an integer, got {show(args.seed)}")
        options["seed"] = seed
    try:
        _common.core.jump_hash_many((), 1, **options)  # the core checks them, and hashes nothing
    except (ValueError, TypeError) as exc:
        raise CliError(f"--seed: {exc}".replace("--seed: seed", "--seed")) from None
    return options


def parse_router(args: argparse.Namespace) -> Any:
    """The Router of ``--nodes`` or ``--state``, or None for ``--buckets``."""
    if args.nodes is None and args.state is None:
        return None
    which = "--nodes" if args.nodes is not None else "--state"
    if args.use_async:
        raise UsageError(f"--async applies to --buckets, not to {which}")
    if args.variant != DEFAULT_VARIANT:
        raise UsageError(
            f"--variant applies to --buckets, not to {which} (routers run the paper's loop)"
        )
    if args.algorithm != DEFAULT_ALGORITHM:
        raise UsageError(
            f"--algorithm applies to --buckets, not to {which} (routers run jump hash)"
        )
    if args.state is not None:
        if args.hasher != _rules.DEFAULT_HASHER or args.seed is not None:
            raise UsageError(
                "--state: the state sets the hasher and seed; --hasher and --seed go with --nodes"
            )
        router = read_state(args.state, "--state")
    else:
        router = router_of_spec(args.nodes, "--nodes", parse_hash_options(args))
    if not len(router):
        raise CliError(f"{which}: the router has no nodes")
    return router


def parse_nodes(text: str, flag: str) -> dict[str, int]:
    """A node spec, ``a,b=2,c`` (names, each with an optional ``=WEIGHT``), as
    names to weights in order; CliError naming ``flag`` for an empty name, a
    weight that is not an integer or a name given twice.  Weights are the
    Router's to check (an int >= 1)."""
    weights: dict[str, int] = {}
    for part in as_typed(text).split(","):
        name, equals, weight_text = part.partition("=")
        try:
            weight = parse_int(weight_text) if equals else 1
        except HugeInt as huge:  # the Router's own error, the value by its digits
            from ..router import MAX_SLOTS

            raise CliError(
                f"{flag}: weight of node {name!r} must be an int in [1, {MAX_SLOTS}], "
                f"got {huge.shown}"
            ) from None
        if not name:
            raise CliError(f"{flag}: an empty node name in {show(text)}")
        if weight is None:
            raise CliError(
                f"{flag}: the weight of {name!r} must be an integer, got {show(weight_text)}"
            )
        if name in weights:
            raise CliError(f"{flag}: duplicate node name {name!r}")
        weights[name] = weight
    return weights


def printable(router: Any, flag: str) -> Any:
    """``router``, whose node names the output can carry: CliError naming
    ``flag`` and the name for one with a control character (a newline or a
    tab would break the lines the commands print)."""
    for name in router.nodes:
        if any(unicodedata.category(c) == "Cc" for c in name):
            raise CliError(
                f"{flag}: node name {name!r} has a control character: "
                "the output's lines cannot carry it"
            )
    return router


def router_of_spec(text: str, flag: str, options: dict[str, Any] | None = None) -> Any:
    """The Router of a node spec (see parse_nodes), with ``options`` (hasher, seed)."""
    from ..router import Router

    try:
        return printable(Router(parse_nodes(text, flag), **(options or {})), flag)
    except (ValueError, TypeError) as exc:
        raise CliError(f"{flag}: {exc}") from None


#: The most bytes a state file may have: 2**20 slots (the most a router
#: holds) with names of about 60 characters.  A larger file (or /dev/zero) is
#: refused before it is read whole.
MAX_STATE_BYTES = 64 << 20


def read_state_file(path: str, flag: str) -> tuple[Any, bytes, os.stat_result]:
    """The Router of state file ``path``, the file's bytes and its status,
    read once; CliError naming ``flag`` (when given) when it cannot be read,
    is larger than MAX_STATE_BYTES, is not a state, or names a node the
    output cannot carry."""
    from ..router import Router

    where = f"{flag}: " if flag else ""
    if path == "-":
        raise CliError(f"{where}a state is read from a file, not from stdin ('-')")
    try:
        with open(path, "rb") as f:
            seen = os.fstat(f.fileno())
            text = f.read(MAX_STATE_BYTES + 1)
    except OSError as exc:
        raise CliError(f"{where}cannot read {path!r}: {reason(exc)}") from None
    except ValueError as exc:  # a NUL in the name (main() given a str)
        raise CliError(f"{where}cannot read {path!r}: {exc}") from None
    if len(text) > MAX_STATE_BYTES:
        raise CliError(
            f"{where}{path!r} is larger than {MAX_STATE_BYTES >> 20} MiB: not a router state"
        )
    try:
        router = Router.from_json(text)
    except ValueError as exc:
        raise CliError(f"{where}{path!r}: {exc}") from None
    return printable(router, flag or path), text, seen


def read_state(path: str, flag: str) -> Any:
    """The Router of state file ``path`` (see read_state_file)."""
    return read_state_file(path, flag)[0]
