"""Command line of rvh_stable: ``rvh-stable``.

``rvh-stable`` (the console script), ``python -m rvh_stable``,
``python -m rvh_stable.cli`` and ``python -m rvh_stable.app_stable`` all run
:func:`main`.  It hashes one key (``--key``) or a stream of keys, one per line
(``--keys-file PATH``, or stdin), with the core the package picked.  Like the
asyncio layer, it never computes or validates anything itself: it parses the
command line, calls ``jump_hash`` / ``jump_hash_many`` (or their asyncio
twins under ``--async``) and turns the core's ValueError/TypeError into a
one-line message on stderr with exit status 1.

Exit status: 0 on success; 1 for a bad ``--buckets``, an invalid key or line
(the message names the line), an unreadable ``--keys-file``, or output cut
short by a closed pipe (quietly: the Python documentation's recipe for
SIGPIPE); 2 for a usage error (argparse); 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import logging
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, TypeAlias

from ._core import IMPLEMENTATION, jump_hash, jump_hash_many
from ._version import __version__

__all__ = ["CHUNK_BYTES", "main"]

PROG = "rvh-stable"

#: A stream is read this many bytes at a time (at most; less from a pipe or a
#: terminal, whatever is there), cut at the last line ending, hashed with one
#: jump_hash_many call and written out before the next read.  Memory stays
#: flat whatever the number of lines: ~256 KiB of text is ~20k short keys.
CHUNK_BYTES = 1 << 18

Key: TypeAlias = int | str

#: What --int-key accepts: an optional sign, then decimal digits or 0x and hex
#: digits.  Stricter than int(), which would also take spaces, underscores and
#: non-ASCII digits.
_INT_TEXT = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|[0-9]+)")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING}

log = logging.getLogger("rvh_stable.cli")

#: A str as a JSON string, non-ASCII kept as is (the output is UTF-8).  A bound
#: encode() goes straight to the C encoder: several times faster than
#: json.dumps(), which builds an encoder on every call with ensure_ascii=False.
_json_string = json.JSONEncoder(ensure_ascii=False).encode

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

Keys are strings: the bucket of a line is jump_hash(line, N), the line without
its ending (\\n or \\r\\n) and nothing else stripped; input is UTF-8.
"""


class CliError(Exception):
    """A user error, reported as one line on stderr with exit status 1."""


def _show(text: str) -> str:
    """repr() of a user's text, cut short so that a message stays one line."""
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def _parse_int(text: str) -> int | None:
    """The integer ``text`` spells (decimal, or 0x hex; optional sign), or None."""
    if _INT_TEXT.fullmatch(text) is None:
        return None
    try:
        return int(text, 16 if "x" in text or "X" in text else 10)
    except ValueError:  # more decimal digits than int() converts (4300)
        return None


def _int_key_error(text: str) -> str:
    return f"key must be an integer (decimal, or hex with 0x) with --int-key, got {_show(text)}"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Map keys to buckets with Jump Consistent Hash (stable across processes, "
            "platforms and Python versions). One key with --key; otherwise one key "
            "per line from --keys-file or stdin, one output line per input line."
        ),
        epilog=EXAMPLES,
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
    parser.add_argument(
        "-b", "--buckets", required=True, metavar="N", help="number of buckets, 1 to 2**31-1"
    )
    parser.add_argument(
        "--int-key",
        action="store_true",
        help="parse each key as an integer (decimal, or 0x hex; an optional sign) "
        "and hash it by the integer rule",
    )
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
        choices=tuple(_LEVELS),
        default="warn",
        help="logging on stderr: debug (core, version, timing; asyncio debug mode "
        "with --async), info (timing), warn (default: nothing on success)",
    )
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__} ({IMPLEMENTATION} core)"
    )
    return parser


# --- input --------------------------------------------------------------------


def _split_lines(text: str) -> list[str]:
    """Lines of ``text``, each of which was followed by "\\n", without "\\n" or "\\r\\n"."""
    lines = text.split("\n")
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines


def _utf8_error(data: bytes, exc: UnicodeDecodeError, number: int) -> tuple[int, CliError]:
    """Where the bad line starts in ``data``, and the error naming its number."""
    start = data.rfind(b"\n", 0, exc.start) + 1
    line = number + data.count(b"\n", 0, start)
    return start, CliError(
        f"line {line}: key is not valid UTF-8 ({exc.reason} at byte {exc.start - start})"
    )


def _read_chunks(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(number of the first line, lines)`` for each chunk of ``stream``.

    At most CHUNK_BYTES are read at a time (a longer line is gathered whole).
    Only the line ending is stripped: "\\n", or "\\r\\n".  Invalid UTF-8
    raises CliError, after the chunk's lines before it have been yielded.
    """
    read = getattr(stream, "read1", stream.read)
    number = 1
    pending: list[bytes] = []
    while True:
        block = read(CHUNK_BYTES)
        if not block:
            break
        end = block.rfind(b"\n")
        if end < 0:
            pending.append(block)
            continue
        pending.append(block[:end])
        data = b"".join(pending)
        pending = [block[end + 1 :]]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            start, error = _utf8_error(data, exc, number)
            if start:  # a "\n" never sits inside a UTF-8 sequence: the part before is valid
                yield number, _split_lines(data[: start - 1].decode("utf-8"))
            raise error from None
        lines = _split_lines(text)
        yield number, lines
        number += len(lines)
    tail = b"".join(pending)
    if tail:  # a last line without a line ending: nothing to strip
        try:
            last = tail.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _utf8_error(tail, exc, number)[1] from None
        yield number, [last]


def _parse_keys(lines: list[str], first: int, int_key: bool) -> tuple[list[Key], CliError | None]:
    """The keys of ``lines``; with --int-key, those before the first bad one and its error."""
    if not int_key:
        return list(lines), None
    keys: list[Key] = []
    for text in lines:
        value = _parse_int(text)
        if value is None:
            return keys, CliError(f"line {first + len(keys)}: {_int_key_error(text)}")
        keys.append(value)
    return keys, None


# --- output -------------------------------------------------------------------


class _Output:
    """Writes one line per key to stdout, as UTF-8 whatever the locale says."""

    def __init__(self, fmt: str, with_key: bool, int_key: bool) -> None:
        self.fmt = fmt
        self.with_key = with_key
        self.int_key = int_key

    def write(self, texts: Sequence[str], keys: Sequence[Key], buckets: Sequence[int]) -> None:
        """Write the lines of the first len(buckets) keys (all but an invalid tail)."""
        count = len(buckets)
        if not count:
            return
        texts, keys = texts[:count], keys[:count]
        if self.fmt == "json":
            if self.int_key:  # the key is the integer that was hashed
                shown = [str(k) for k in keys]
            else:
                shown = list(map(_json_string, texts))
            body = "\n".join(
                f'{{"key": {k}, "bucket": {b}}}' for k, b in zip(shown, buckets, strict=True)
            )
        elif self.with_key:  # the key as given; a key's own tabs stay, so split on the last
            body = "\n".join(f"{t}\t{b}" for t, b in zip(texts, buckets, strict=True))
        else:
            body = "\n".join(map(str, buckets))
        data = (body + "\n").encode("utf-8")
        stdout = getattr(sys.stdout, "buffer", None)
        try:
            if stdout is not None:
                sys.stdout.flush()
                stdout.write(data)
                stdout.flush()
            else:  # a text-only sys.stdout (an embedding application's)
                sys.stdout.write(data.decode("utf-8"))
                sys.stdout.flush()
        except OSError as exc:
            # Windows reports a pipe whose reader went away as EINVAL.
            if os.name == "nt" and exc.errno == errno.EINVAL:
                raise BrokenPipeError(errno.EPIPE, "stdout was closed") from exc
            raise


# --- the work -----------------------------------------------------------------


def _parse_buckets(text: str) -> int:
    """``--buckets`` as an int the core accepts, or CliError with the core's message."""
    value = _parse_int(text)
    if value is None:
        raise CliError(f"--buckets must be an integer, got {_show(text)}")
    try:
        jump_hash_many((), value)  # the core validates num_buckets, and hashes nothing
    except (ValueError, TypeError) as exc:
        raise CliError(f"--buckets: {exc}") from None
    return value


def _single(args: argparse.Namespace, n: int, out: _Output, debug: bool) -> None:
    text: str = args.key
    key: Key
    if args.int_key:
        value = _parse_int(text)
        if value is None:
            raise CliError(f"--key: {_int_key_error(text)}")
        key = value
    else:
        key = text
    try:
        if args.use_async:
            import asyncio

            from .aio import async_jump_hash

            bucket = asyncio.run(async_jump_hash(key, n), debug=debug)
        else:
            bucket = jump_hash(key, n)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--key: {exc}") from None
    out.write([text], [key], [bucket])


def _emit(
    out: _Output,
    first: int,
    lines: list[str],
    keys: list[Key],
    buckets: Sequence[int],
    error: CliError | None,
) -> int:
    """Write a chunk's lines up to the first invalid one; raise its error if any."""
    out.write(lines, keys, buckets)
    log.debug("lines %d-%d: %d keys hashed", first, first + len(lines) - 1, len(buckets))
    if error is not None:
        raise error
    return len(buckets)


#: How a chunk's keys are hashed: jump_hash_many, or it through the asyncio API.
HashMany: TypeAlias = Callable[[list[Key], int], Sequence[int]]


def _hash_chunk(
    keys: list[Key], n: int, first: int, hash_many: HashMany
) -> tuple[Sequence[int], CliError | None]:
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
    chunks: Iterator[tuple[int, list[str]]],
    n: int,
    int_key: bool,
    out: _Output,
    hash_many: HashMany,
) -> int:
    count = 0
    for first, lines in chunks:
        keys, error = _parse_keys(lines, first, int_key)
        buckets, hash_error = _hash_chunk(keys, n, first, hash_many)
        count += _emit(out, first, lines, keys, buckets, hash_error or error)
    return count


def _stream(args: argparse.Namespace, n: int, out: _Output, debug: bool) -> int:
    path: str | None = args.keys_file
    if path is None or path == "-":
        if sys.stdin is None:  # started without a stdin (pythonw, a closed fd 0)
            raise CliError("no stdin to read keys from: give --key or --keys-file")
        return _stream_from(sys.stdin.buffer, args, n, out, debug)
    try:
        stream = open(path, "rb")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CliError(f"--keys-file: cannot read {path!r}: {reason}") from None
    with stream:
        return _stream_from(stream, args, n, out, debug)


def _stream_from(
    stream: IO[bytes], args: argparse.Namespace, n: int, out: _Output, debug: bool
) -> int:
    chunks = _read_chunks(stream)
    if not args.use_async:
        return _stream_loop(chunks, n, args.int_key, out, jump_hash_many)
    # The same loop, each chunk hashed through the asyncio API on one event
    # loop.  Reading the input blocks the loop, which has nothing else to run.
    import asyncio

    from .aio import async_jump_hash_many

    loop = asyncio.new_event_loop()
    loop.set_debug(debug)

    def hash_async(keys: list[Key], n: int) -> Sequence[int]:
        result: Sequence[int] = loop.run_until_complete(async_jump_hash_many(keys, n))
        return result

    try:
        return _stream_loop(chunks, n, args.int_key, out, hash_async)
    finally:
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def _run(args: argparse.Namespace) -> int:
    debug = args.level == "debug"
    log.debug(
        "rvh_stable %s, core IMPLEMENTATION=%r, Python %s, %s API",
        __version__,
        IMPLEMENTATION,
        platform.python_version(),
        "asyncio (debug mode)" if args.use_async else "sync",
    )
    n = _parse_buckets(args.buckets)
    out = _Output(args.format, args.with_key, args.int_key)
    if args.use_async:
        # Before the clock starts: importing asyncio alone takes ~30 ms.
        importlib.import_module("rvh_stable.aio")
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
        IMPLEMENTATION,
    )
    return 0


# --- main -----------------------------------------------------------------------


def _log_to_stderr(level: str) -> list[tuple[logging.Logger, logging.Handler, int, bool]]:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    names = ["rvh_stable"] + (["asyncio"] if level == "debug" else [])
    saved: list[tuple[logging.Logger, logging.Handler, int, bool]] = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, handler, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(_LEVELS[level])
        logger.propagate = False  # an embedding application's handlers would repeat it
    return saved


def _restore_logging(saved: list[tuple[logging.Logger, logging.Handler, int, bool]]) -> None:
    for logger, handler, level, propagate in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _silence_stdout() -> None:
    """After EPIPE: point stdout at devnull, so that the flush at exit is quiet too."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """main(argv=None) -> int

    Run the ``rvh-stable`` command line on ``argv`` (``sys.argv[1:]`` when
    None) and return its exit status: 0 on success, 1 for an invalid
    argument, key or line (one line on stderr, naming the line of a stream),
    or for output cut short by a closed pipe (quietly), 2 for a usage error,
    130 on Ctrl-C.  ``--help`` lists the options, with examples.
    """
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), usage errors (2)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    saved = _log_to_stderr(args.level)
    try:
        return _run(args)
    except CliError as exc:
        message = str(exc).replace("\n", " ")
        sys.stderr.write(f"{PROG}: error: {message}\n")
        return 1
    except BrokenPipeError:
        # The reader went away (`rvh-stable ... | head`): stop quietly, as the
        # Python documentation recommends for SIGPIPE.
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        _restore_logging(saved)


if __name__ == "__main__":
    raise SystemExit(main())
