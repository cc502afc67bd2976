"""The default command, typed without a command word: keys to buckets or nodes.

``rvh-stable -b N`` hashes one key (``--key``) or a stream of keys, one per
line (``--keys-file PATH``, or stdin), with the core the package picked, and
writes one line per key: its bucket (``jump_hash``), or with ``--nodes`` /
``--state`` the node a Router sends it to.  Like the asyncio layer, it never
computes or validates anything itself: it calls ``jump_hash`` /
``jump_hash_many`` (or their asyncio twins under ``--async``, or the
Router's ``node_for`` / ``nodes_for``) and turns the core's ValueError or
TypeError into a CliError.  A stream is hashed a chunk at a time, so memory
stays flat whatever its length.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeAlias

from .._version import __version__
from . import _commands, _common
from ._common import LEVELS, PROG, CliError
from ._input import MAX_LINE_BYTES, Chunk, line_chunks
from ._keys import HugeInt, Key, as_typed, check_key, int_key_error, parse_int, parse_keys
from ._options import add_hash_options, parse_buckets, parse_hash_options, parse_router
from ._output import KeyLines

# Its own name, as before the command line became a package: --level's lines
# start with "rvh_stable.cli:".
log = logging.getLogger("rvh_stable.cli")

EXAMPLES = """\
examples:
  $ rvh-stable --key TX12345 --buckets 7
  0
  $ rvh-stable --int-key -k 42 -b 57
  43
  $ rvh-stable --key=-0x2a --int-key -b 57      # values starting with '-' need '='
  8
  $ printf 'tx42\\ntx43\\nuser:1001\\n' | rvh-stable -b 16
  11
  0
  13
  $ printf 'tx42\\ntx43\\n' | rvh-stable -b 16 --with-key
  tx42\t11
  tx43\t0
  $ printf 'tx42\\n' | rvh-stable -b 16 --format json
  {"key": "tx42", "bucket": 11}
  $ rvh-stable -b 16 --keys-file keys.txt --async --level debug
  $ rvh-stable --key user:42 --nodes db-a,db-b,db-c
  db-a
  $ rvh-stable --key user:42 --nodes db-a=2,db-b=1 --format json
  {"key": "user:42", "node": "db-a"}
  $ rvh-stable plan --from 10 --to 12
  $ rvh-stable plan --from before.json --to after.json --keys-file keys.txt --plot flows.png

Keys are strings: the bucket of a line is jump_hash(line, N), the line without
its ending (\\n or \\r\\n) and nothing else stripped; input is UTF-8, and a
byte order mark at the very start of the input is skipped.
"""

_LIMITS = f"A line may hold at most {MAX_LINE_BYTES} bytes (1 MiB); a longer one is an error.\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Map keys to buckets with Jump Consistent Hash (stable across processes, "
            "platforms and Python versions). One key with --key; otherwise one key "
            "per line from --keys-file or stdin, one output line per input line."
            + _commands.others_help()
        ),
        epilog=EXAMPLES + _LIMITS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "-k", "--key", help="the key to hash, a string (see --int-key); omit it to read a stream"
    )
    source.add_argument(
        "--keys-file",
        metavar="PATH",
        help="read keys one per line from PATH; '-' (the default without --key) is stdin",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("-b", "--buckets", metavar="N", help="number of buckets, 1 to 2**31-1")
    target.add_argument(
        "--nodes",
        metavar="A,B,...",
        help="route to named nodes (rvh_stable.Router, MementoHash) and print node names: "
        "names separated by commas, each optionally NAME=WEIGHT (default weight 1)",
    )
    target.add_argument(
        "--state",
        metavar="FILE",
        help="route with the router whose state Router.to_json() wrote to FILE "
        "(its hasher and seed come with it)",
    )
    parser.add_argument(
        "--int-key",
        action="store_true",
        help="parse each key as an integer (decimal, or 0x hex; an optional sign) "
        "and hash it by the integer rule",
    )
    add_hash_options(parser)
    parser.add_argument(
        "-a",
        "--async",
        dest="use_async",
        action="store_true",
        help="compute through the asyncio API (same answers)",
    )
    parser.add_argument(
        "--with-key", action="store_true", help="write 'key<TAB>bucket' instead of the bucket"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='output format: text (default), or JSON lines {"key": ..., "bucket": ...}',
    )
    parser.add_argument(
        "-l",
        "--level",
        choices=tuple(LEVELS),
        default="warn",
        help="logging on stderr: debug (core, version, timing; asyncio debug mode "
        "with --async), info (timing), warn (default: nothing on success)",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PROG} {__version__} ({_common.core.IMPLEMENTATION} core)",
    )
    return parser


def _single(args: argparse.Namespace, n: int, out: KeyLines, debug: bool) -> None:
    text = as_typed(args.key)
    key: Key
    if args.int_key:
        try:
            value = parse_int(text)
        except HugeInt as huge:
            raise CliError(f"--key: {huge.reason(check_key)}") from None
        if value is None:
            raise CliError(f"--key: {int_key_error(text)}")
        key = value
    else:
        key = text
    bucket: int | str
    try:
        if args.router is not None:
            bucket = args.router.node_for(key)
        elif args.use_async:
            import asyncio

            from ..aio import async_jump_hash

            bucket = asyncio.run(async_jump_hash(key, n, **args.hash_options), debug=debug)
        else:
            bucket = _common.core.jump_hash(key, n, **args.hash_options)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--key: {exc}") from None
    out.write([text], [key], [bucket])


def _emit(
    out: KeyLines,
    first: int,
    lines: list[str],
    keys: list[Key],
    buckets: Sequence[int | str],
    error: CliError | None,
) -> int:
    """Write a chunk's lines up to the first invalid one; raise its error if any."""
    out.write(lines, keys, buckets)
    log.debug("lines %d-%d: %d keys hashed", first, first + len(lines) - 1, len(buckets))
    if error is not None:
        raise error
    return len(buckets)


#: How a chunk's keys are hashed: jump_hash_many, or it through the asyncio
#: API, or a router's nodes_for.
HashMany: TypeAlias = Callable[[list[Key], int], Sequence[int | str]]


def _hash_chunk(
    keys: list[Key], n: int, first: int, hash_many: HashMany
) -> tuple[Sequence[int | str], CliError | None]:
    """The buckets of ``keys``, whose first is line ``first``; on an invalid key,
    the buckets before it and its error, which names its line.

    The core's error for ``keys[i]`` carries ``.index``; its message starts with
    "keys[i]: ", which the line number replaces.
    """
    try:
        return hash_many(keys, n), None
    except (ValueError, TypeError) as exc:
        index = getattr(exc, "index", None)
        if index is None:  # not about one key: nothing to point at
            raise CliError(f"lines {first}-{first + len(keys) - 1}: {exc}") from None
        reason = str(exc).removeprefix(f"keys[{index}]: ")
        return hash_many(keys[:index], n), CliError(f"line {first + index}: {reason}")


def _stream_loop(
    chunks: Iterator[Chunk],
    n: int,
    int_key: bool,
    out: KeyLines,
    hash_many: HashMany,
) -> int:
    count = 0
    for first, lines in chunks:
        keys, error = parse_keys(lines, first, int_key)
        buckets, hash_error = _hash_chunk(keys, n, first, hash_many)
        count += _emit(out, first, lines, keys, buckets, hash_error or error)
    return count


def _stream(args: argparse.Namespace, n: int, out: KeyLines, debug: bool) -> int:
    no_stdin = "no stdin to read keys from: give --key or --keys-file"
    with line_chunks(args.keys_file, no_stdin) as chunks:
        return _stream_chunks(chunks, args, n, out, debug)


def _stream_chunks(
    chunks: Iterator[Chunk], args: argparse.Namespace, n: int, out: KeyLines, debug: bool
) -> int:
    if args.router is not None:
        nodes_for = args.router.nodes_for
        return _stream_loop(chunks, n, args.int_key, out, lambda keys, n: nodes_for(keys))
    if not args.use_async:
        hash_many = functools.partial(_common.core.jump_hash_many, **args.hash_options)
        return _stream_loop(chunks, n, args.int_key, out, hash_many)
    # The same loop, each chunk hashed through the asyncio API on one event
    # loop.  Reading the input blocks the loop, which has nothing else to run.
    import asyncio

    from ..aio import async_jump_hash_many

    loop = asyncio.new_event_loop()
    loop.set_debug(debug)

    def hash_async(keys: list[Key], n: int) -> Sequence[int]:
        result: Sequence[int] = loop.run_until_complete(
            async_jump_hash_many(keys, n, **args.hash_options)
        )
        return result

    try:
        return _stream_loop(chunks, n, args.int_key, out, hash_async)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def run(args: argparse.Namespace) -> int:
    """Hash what ``args`` (from :func:`build_parser`) asks for; 0 when all went well."""
    debug = args.level == "debug"
    log.debug(
        "rvh_stable %s, core IMPLEMENTATION=%r, Python %s, %s API",
        __version__,
        _common.core.IMPLEMENTATION,
        platform.python_version(),
        "asyncio (debug mode)" if args.use_async else "sync",
    )
    args.router = parse_router(args)
    n = 0 if args.router is not None else parse_buckets(args.buckets)
    if args.router is None:
        args.hash_options = parse_hash_options(args)
    out = KeyLines(args.format, args.with_key, args.int_key, nodes=args.router is not None)
    if args.use_async:
        # Before the clock starts: importing asyncio alone takes ~30 ms.
        importlib.import_module("..aio", __package__)
    started = time.perf_counter()
    if args.key is not None:
        _single(args, n, out, debug)
        count = 1
    else:
        count = _stream(args, n, out, debug)
    log.info(
        "took %.3f seconds (%d key%s, %s core)",
        time.perf_counter() - started,
        count,
        "" if count == 1 else "s",
        _common.core.IMPLEMENTATION,
    )
    return 0
