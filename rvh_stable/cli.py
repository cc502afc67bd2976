"""Command line of rvh_stable: ``rvh-stable``.

``rvh-stable`` (the console script), ``python -m rvh_stable``,
``python -m rvh_stable.cli`` and ``python -m rvh_stable.app_stable`` all run
:func:`main`.  It hashes one key (``--key``) or a stream of keys, one per line
(``--keys-file PATH``, or stdin), with the core the package picked.  Like the
asyncio layer, it never computes or validates anything itself: it parses the
command line, calls ``jump_hash`` / ``jump_hash_many`` (or their asyncio
twins under ``--async``) and turns the core's ValueError/TypeError into a
one-line message on stderr with exit status 1.

Input is UTF-8; a byte order mark at the very start of the stream is
skipped, and a line may hold at most :data:`MAX_LINE_BYTES` bytes (1 MiB).
A non-blocking stdin is waited for, never taken to have ended when it is
only empty for a moment.  ``--key`` is read as the bytes typed, as UTF-8,
whatever the locale.

Exit status: 0 on success; 1 for a bad ``--buckets``, an invalid key or line
(the message names the line), a line over the length limit, input that
cannot be read (``--keys-file`` or stdin) or output that cannot be written
(a closed stdout, a full disk): one line on stderr, no traceback.  Also 1,
quietly, for output cut short by a closed pipe (the Python documentation's
recipe for SIGPIPE); 2 for a usage error (argparse); 130 on Ctrl-C, the
output ending with a whole line.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import importlib
import json
import logging
import os
import platform
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, Protocol, TypeAlias

from . import _rules
from ._core import IMPLEMENTATION, jump_hash, jump_hash_many
from ._version import __version__

__all__ = ["CHUNK_BYTES", "MAX_LINE_BYTES", "main"]

PROG = "rvh-stable"

#: A stream is read this many bytes at a time (at most; less from a pipe or a
#: terminal, whatever is there), cut at the last line ending, hashed with one
#: jump_hash_many call and written out before the next read.  Memory stays
#: flat whatever the number of lines: ~256 KiB of text is ~20k short keys.
CHUNK_BYTES = 1 << 18

#: The longest line accepted, in bytes, its line ending ("\n" or "\r\n") not
#: counted.  Without a bound, a stream without line endings (``/dev/zero``, a
#: binary file) would be gathered into memory until the process dies.  A key
#: of a mebibyte is already far past any sensible key; the bound keeps the
#: peak memory a few MiB whatever the input.
MAX_LINE_BYTES = 1 << 20

Key: TypeAlias = int | str

#: What --int-key accepts: an optional sign, then decimal digits or 0x and hex
#: digits.  Stricter than int(), which would also take spaces, underscores and
#: non-ASCII digits.
_INT_TEXT = re.compile(r"([+-]?)(?:0[xX]([0-9a-fA-F]+)|([0-9]+))")

#: Decimal integers with more significant digits than this are not converted:
#: it is int()'s default limit (CPython refuses longer ones, as the conversion
#: takes quadratic time), and anything past 20 digits is out of every range
#: the core accepts anyway.  Hex digits convert in linear time: no limit.
_MAX_DECIMAL_DIGITS = 4300

#: UTF-8's byte order mark, which Windows tools write at the start of a file.
_BOM = b"\xef\xbb\xbf"

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


class CliError(Exception):
    """A user error, reported as one line on stderr with exit status 1."""


def _show(text: str) -> str:
    """repr() of a user's text, cut short so that a message stays one line."""
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


class _HugeInt(Exception):
    """A decimal integer with too many digits to convert (see _MAX_DECIMAL_DIGITS).

    It is an integer, out of range: it gets the core's range error, with the
    value described by its number of digits, as the core describes a large
    int by its number of bits.
    """

    def __init__(self, negative: bool, digits: int) -> None:
        super().__init__(negative, digits)
        self.shown = f"{'-' if negative else ''}<an int of {digits} decimal digits>"
        # A value the core can show (it describes ints over 256 bits by their
        # size, without str()), and out of range wherever this one is.
        self.stand_in = (-1 if negative else 1) * 10**_MAX_DECIMAL_DIGITS

    def reason(self, check: Callable[[int], object]) -> str:
        """The error ``check`` raises for this value: its rule, this value's description."""
        try:
            check(self.stand_in)
        except (ValueError, TypeError) as exc:
            rule, got, _ = str(exc).rpartition(", got ")
            return f"{rule}{got}{self.shown}" if got else str(exc)
        return f"got {self.shown}"  # not reached: no core takes a 4301-digit int


def _parse_int(text: str) -> int | None:
    """The integer ``text`` spells (decimal, or 0x hex; optional sign), or None.

    Raises _HugeInt for a decimal of more than _MAX_DECIMAL_DIGITS significant
    digits; leading zeros do not count ("000...042" is 42 however long).
    """
    match = _INT_TEXT.fullmatch(text)
    if match is None:
        return None
    sign, hex_digits, decimal = match.groups()
    negative = sign == "-"
    if hex_digits is not None:
        value = int(hex_digits, 16)
    else:
        digits = decimal.lstrip("0") or "0"
        if len(digits) > _MAX_DECIMAL_DIGITS:
            raise _HugeInt(negative, len(digits))
        try:
            value = int(digits)
        except ValueError:  # a lower limit, set with sys.set_int_max_str_digits()
            raise _HugeInt(negative, len(digits)) from None
    return -value if negative else value


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
    parser.add_argument(
        "--hasher",
        choices=_rules.HASHERS,
        default=_rules.DEFAULT_HASHER,
        help="how a key's UTF-8 bytes become a 64-bit integer: xxh64 (default), "
        "murmur3_128 (Guava's), fnv1a_64, fnv1_64, crc64_xz or crc32 (Go's hash/...); "
        "--int-key keys are their own integer whatever the hasher",
    )
    parser.add_argument(
        "--seed",
        metavar="S",
        help="the hasher's seed: xxh64 0 to 2**64-1 (default 0), murmur3_128 a Java int "
        "(default 0); the other hashers take none",
    )
    parser.add_argument(
        "--variant",
        choices=_rules.VARIANTS,
        default="paper",
        help="the loop: paper (default; Go's jump, ClickHouse) or guava "
        "(Guava's Hashing.consistentHash, which differs on rare keys)",
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


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes | None: ...


class _TextAsBytes:
    """A text-only stdin (no ``.buffer``: an embedding application's
    io.StringIO) read as UTF-8 bytes, so that it takes the same path as bytes.

    "surrogatepass" encodes every str: a lone surrogate (what a non-UTF-8
    byte becomes in text decoded with "surrogateescape") turns into bytes that
    are not UTF-8, and its line gets the usual "not valid UTF-8" error.
    """

    def __init__(self, text: IO[str]) -> None:
        self.text = text

    def read(self, size: int, /) -> bytes | None:
        chunk: str | None = self.text.read(size)
        return None if chunk is None else chunk.encode("utf-8", "surrogatepass")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _fileno(stream: object) -> int | None:
    fileno = getattr(stream, "fileno", None)
    if fileno is None:
        return None
    try:
        return int(fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation (io.BytesIO's) is both
        return None


def _blocks(stream: _Readable, cannot: str) -> Iterator[bytes]:
    """The bytes of ``stream`` up to its end, in non-empty blocks of at most
    min(CHUNK_BYTES, MAX_LINE_BYTES) bytes (whatever is there, from a pipe).

    A read that fails is a CliError, "``cannot``: reason".  An empty read
    from a non-blocking file descriptor (O_NONBLOCK, set on a pipe by
    whoever shares it) is no end of input: it is waited for (see _wait_read).
    """
    # read1: one read from the file, not as many as it takes to fill size.
    read = getattr(stream, "read1", None) or stream.read
    # No larger: a line inside one block is then never over the limit, and
    # only a line gathered across blocks has to be measured (_read_chunks).
    size = min(CHUNK_BYTES, MAX_LINE_BYTES)
    while True:
        block: bytes | None
        try:
            block = read(size)
        except BlockingIOError:  # O_NONBLOCK and nothing there yet
            block = None
        except OSError as exc:  # EIO, EBADF (a write-only stdin), ...
            raise CliError(f"{cannot}: {_reason(exc)}") from None
        if not block:
            # BufferedReader.read1() returns b"" both at the end and, on an
            # O_NONBLOCK descriptor, when the pipe is empty for now (Python
            # 3.11); None or BlockingIOError mean the latter.
            fd = _fileno(stream)
            if block is not None and (fd is None or _blocking(fd)):
                return
            block = _wait_read(fd, size, cannot)
            if not block:
                return
        yield block


def _blocking(fd: int) -> bool:
    """False only for a descriptor known to be non-blocking."""
    get_blocking = getattr(os, "get_blocking", None)  # on Windows since Python 3.12
    try:
        return True if get_blocking is None else bool(get_blocking(fd))
    except OSError:  # Windows tells only of pipes: a file or a console is blocking
        return True


def _wait_read(fd: int | None, size: int, cannot: str) -> bytes:
    """Wait until ``fd`` is readable, then read it: data, or b"" at the end.

    The descriptor is read itself, not through its buffered reader (whose
    buffer is empty: its read returned nothing): os.read raises
    BlockingIOError when there is no data yet and returns b"" only at the
    end, so the two cannot be confused.  Where select() cannot wait on the
    descriptor (a pipe on Windows, a descriptor past FD_SETSIZE), or there is
    no descriptor at all, this fails loudly: it never ends the input early.
    """
    import select  # only here: most runs never wait, and it is an extension module to load

    while True:
        if fd is None:
            raise CliError(
                f"{cannot}: it is non-blocking and has no data yet, and there is no file "
                "descriptor to wait on"
            )
        try:
            select.select([fd], [], [])
        except (OSError, ValueError) as exc:
            raise CliError(
                f"{cannot}: it is non-blocking and has no data yet, and select() cannot "
                f"wait for it here ({exc})"
            ) from None
        try:
            return os.read(fd, size)
        except BlockingIOError:  # another reader of the same pipe took the data: wait again
            continue
        except OSError as exc:
            raise CliError(f"{cannot}: {_reason(exc)}") from None


def _without_bom(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """``blocks`` with a UTF-8 byte order mark at the very start dropped.

    Only there: a U+FEFF later in the stream is part of its line.  A pipe
    may deliver the mark's three bytes in more than one read, so the head is
    gathered until it is three bytes long or can no longer be a mark.
    """
    head = b""
    for block in blocks:
        head += block
        if len(head) >= len(_BOM) or not _BOM.startswith(head):
            break
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    if head:
        yield head
    yield from blocks


def _too_long(number: int) -> CliError:
    return CliError(
        f"line {number}: longer than the limit of {MAX_LINE_BYTES} bytes (1 MiB) for a line"
    )


def _read_chunks(blocks: Iterator[bytes]) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(number of the first line, lines)`` for each block of ``blocks``.

    A line longer than a block is gathered whole, up to MAX_LINE_BYTES.  Only
    the line ending is stripped: "\\n", or "\\r\\n".  Invalid UTF-8 or a
    line over the limit raises CliError, after the lines before it have been
    yielded.
    """
    number = 1
    pending: list[bytes] = []  # the start of line ``number``: no "\n" yet
    pending_size = 0
    for block in _without_bom(blocks):
        end = block.rfind(b"\n")
        if end < 0:
            pending.append(block)
            pending_size += len(block)
            # + 1: the last byte may be the "\r" of a "\r\n", which is not counted.
            if pending_size > MAX_LINE_BYTES + 1:
                raise _too_long(number)
            continue
        # Only the first line can be over the limit: any other lies inside
        # one block, which is no longer than the limit (see _blocks).
        first_end = block.find(b"\n")
        if pending_size + first_end > MAX_LINE_BYTES:
            line = b"".join(pending) + block[:first_end]
            if len(line.removesuffix(b"\r")) > MAX_LINE_BYTES:
                raise _too_long(number)
        pending.append(block[:end])
        data = b"".join(pending)
        pending = [block[end + 1 :]]
        pending_size = len(pending[0])
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
        if len(tail) > MAX_LINE_BYTES:
            raise _too_long(number)
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
        try:
            value = _parse_int(text)
        except _HugeInt as huge:
            return keys, CliError(f"line {first + len(keys)}: {huge.reason(_check_key)}")
        if value is None:
            return keys, CliError(f"line {first + len(keys)}: {_int_key_error(text)}")
        keys.append(value)
    return keys, None


def _check_key(value: int) -> object:
    """Hash ``value`` alone: the core's error for it, if it is not a valid key."""
    return jump_hash(value, 1)


# --- output -------------------------------------------------------------------


class _Output:
    """Writes one line per key to stdout, as UTF-8 whatever the locale says."""

    def __init__(self, fmt: str, with_key: bool, int_key: bool, nodes: bool = False) -> None:
        self.fmt = fmt
        self.with_key = with_key
        self.int_key = int_key
        self.nodes = nodes  # the results are node names (--nodes, --state)

    def write(
        self, texts: Sequence[str], keys: Sequence[Key], buckets: Sequence[int | str]
    ) -> None:
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
            if self.nodes:
                body = "\n".join(
                    f'{{"key": {k}, "node": {_json_string(b)}}}'
                    for k, b in zip(shown, buckets, strict=True)
                )
            else:
                body = "\n".join(
                    f'{{"key": {k}, "bucket": {b}}}' for k, b in zip(shown, buckets, strict=True)
                )
        elif self.with_key:  # the key as given; a key's own tabs stay, so split on the last
            body = "\n".join(f"{t}\t{b}" for t, b in zip(texts, buckets, strict=True))
        else:
            body = "\n".join(map(str, buckets))
        data = (body + "\n").encode("utf-8")
        stdout = sys.stdout
        if stdout is None:  # started with its stdout closed (`>&-`), or by pythonw
            raise CliError("cannot write to stdout: it is closed")
        try:
            _whole_lines(lambda: _put(stdout, data))
        except BrokenPipeError:
            raise  # the reader went away: main() ends quietly
        except OSError as exc:
            # Windows reports a pipe whose reader went away as EINVAL.
            if os.name == "nt" and exc.errno == errno.EINVAL:
                raise BrokenPipeError(errno.EPIPE, "stdout was closed") from exc
            # ENOSPC (a full disk, /dev/full), EBADF (stdout open read-only),
            # EAGAIN (a non-blocking stdout whose reader lags), ...  Should the
            # buffer still hold bytes, the flush at exit would fail again and
            # print a second message: as after EPIPE, stdout becomes devnull.
            _silence_stdout()
            raise CliError(f"cannot write to stdout: {_reason(exc)}") from None
        except ValueError:
            if not getattr(stdout, "closed", False):
                raise
            # "I/O operation on closed file": an embedding application closed it.
            raise CliError("cannot write to stdout: it is closed") from None


def _put(stdout: IO[str], data: bytes) -> None:
    """Write ``data`` to ``stdout`` and flush it: as bytes to its buffer if it has one."""
    buffer: IO[bytes] | None = getattr(stdout, "buffer", None)
    if buffer is None:  # a text-only sys.stdout (an embedding application's)
        stdout.write(data.decode("utf-8"))
        stdout.flush()
        return
    stdout.flush()  # whatever an embedding application wrote as text goes first
    view = memoryview(data)
    while view:
        # Less than all may be taken: BufferedWriter.write() returns a short
        # count when a signal handler ran after a partial write(2) to a pipe
        # (seen on CPython 3.11: the rest was silently not written), and an
        # unbuffered FileIO whenever write(2) does.  So: write the rest.
        written: int | None = buffer.write(view)
        if not written:  # a non-blocking FileIO that takes nothing now
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        view = view[written:]
    buffer.flush()


def _whole_lines(write: Callable[[], None]) -> None:
    """Run ``write`` with Ctrl-C held back until it returns, then raise it.

    Why: a chunk's lines go out in one write of complete lines, but a write
    to a pipe whose reader lags is cut short by a signal: the kernel returns
    what it took so far (the pipe's 64 KiB, rarely a line boundary), and
    BufferedWriter checks for signals before it writes the rest, so the
    KeyboardInterrupt would leave half a line as the end of the output.
    Catching KeyboardInterrupt around the write cannot help: the bytes are
    already gone.  So SIGINT's handler is swapped, for the write, for one
    that only notes the signal; the write finishes the chunk (a whole line
    ends it) and the KeyboardInterrupt is raised after it: main() exits with
    130 after the last whole line.  The cost is two sigaction() calls per
    chunk.  The price: if the reader stops reading, Ctrl-C waits with the
    write (the reader usually gets the same Ctrl-C; SIGTERM still ends it).

    Only where Python itself would raise KeyboardInterrupt: in the main
    thread, with the default handler installed.  An application's own
    handler is left alone; in other threads no KeyboardInterrupt arrives.
    """
    noted: list[int] = []
    held = False
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ):
        with contextlib.suppress(ValueError):  # a subinterpreter: it has no signal handlers
            signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
            held = True
    try:
        write()
    finally:
        if held:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if noted:
        raise KeyboardInterrupt


# --- the work -----------------------------------------------------------------


def _parse_buckets(text: str) -> int:
    """``--buckets`` as an int the core accepts, or CliError with the core's message."""
    try:
        value = _parse_int(text)
    except _HugeInt as huge:
        raise CliError(f"--buckets: {huge.reason(_check_buckets)}") from None
    if value is None:
        raise CliError(f"--buckets must be an integer, got {_show(text)}")
    try:
        _check_buckets(value)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--buckets: {exc}") from None
    return value


def _check_buckets(value: int) -> object:
    """The core validates num_buckets, and hashes nothing."""
    return jump_hash_many((), value)


def _parse_hash_options(args: argparse.Namespace) -> dict[str, Any]:
    """``--hasher``, ``--seed`` and ``--variant`` as keyword arguments of the core's calls
    (none for the defaults), checked by the core, or CliError with its message."""
    options: dict[str, Any] = {}
    if args.hasher != _rules.DEFAULT_HASHER:
        options["hasher"] = args.hasher
    if args.variant != "paper":
        options["variant"] = args.variant
    if args.seed is not None:
        try:
            seed = _parse_int(args.seed)
        except _HugeInt as huge:
            seed = huge.stand_in  # out of every seed range: the core's range error
        if seed is None:
            raise CliError(f"--seed must be an integer, got {_show(args.seed)}")
        options["seed"] = seed
    try:
        jump_hash_many((), 1, **options)  # the core checks them, and hashes nothing
    except (ValueError, TypeError) as exc:
        raise CliError(f"--seed: {exc}".replace("--seed: seed", "--seed")) from None
    return options


def _parse_router(args: argparse.Namespace) -> Any:
    """The Router of ``--nodes`` or ``--state``, or None for ``--buckets``."""
    if args.nodes is None and args.state is None:
        return None
    from .router import Router

    which = "--nodes" if args.nodes is not None else "--state"
    if args.use_async:
        raise CliError(f"--async applies to --buckets, not to {which}")
    if args.variant != "paper":
        raise CliError(
            f"--variant applies to --buckets, not to {which} (routers run the paper's loop)"
        )
    if args.state is not None:
        if args.hasher != _rules.DEFAULT_HASHER or args.seed is not None:
            raise CliError(
                "--state: the state sets the hasher and seed; --hasher and --seed go with --nodes"
            )
        path = args.state
        try:
            with open(path, "rb") as f:
                text = f.read()
        except OSError as exc:
            raise CliError(f"--state: cannot read {path!r}: {_reason(exc)}") from None
        try:
            router = Router.from_json(text)
        except ValueError as exc:
            raise CliError(f"--state: {path!r}: {exc}") from None
    else:
        options = _parse_hash_options(args)
        weights: dict[str, int] = {}
        for part in _as_typed(args.nodes).split(","):
            name, equals, weight_text = part.partition("=")
            weight = _parse_int(weight_text) if equals else 1
            if not name:
                raise CliError(f"--nodes: an empty node name in {_show(args.nodes)}")
            if weight is None:
                raise CliError(
                    f"--nodes: the weight of {name!r} must be an integer, got {_show(weight_text)}"
                )
            if name in weights:
                raise CliError(f"--nodes: duplicate node name {name!r}")
            weights[name] = weight
        try:
            router = Router(weights, **options)
        except (ValueError, TypeError) as exc:
            raise CliError(f"--nodes: {exc}") from None
    if not len(router):
        raise CliError(f"{which}: the router has no nodes")
    return router


def _as_typed(arg: str) -> str:
    """A command-line argument as the UTF-8 bytes that were typed, whatever the locale.

    On POSIX, Python decodes argv with the locale's encoding: under LC_ALL=C
    "ключ" arrives as surrogate escapes of its bytes (which the core refuses),
    under a Latin-1 locale as other characters.  os.fsencode() undoes that
    decoding, giving back the bytes, which are then read as UTF-8, as the
    input is.  Bytes that are not UTF-8 stay surrogate escapes, as Python
    gives them in a UTF-8 locale, and the core refuses them with its own
    message.  A str that the locale cannot encode did not come from it (a
    caller of main() passed text): it is kept.  Windows passes argv as
    Unicode: nothing to undo.
    """
    if os.name == "nt":
        return arg
    try:
        typed = os.fsencode(arg)
    except UnicodeEncodeError:
        return arg
    return typed.decode("utf-8", "surrogateescape")


def _single(args: argparse.Namespace, n: int, out: _Output, debug: bool) -> None:
    text = _as_typed(args.key)
    key: Key
    if args.int_key:
        try:
            value = _parse_int(text)
        except _HugeInt as huge:
            raise CliError(f"--key: {huge.reason(_check_key)}") from None
        if value is None:
            raise CliError(f"--key: {_int_key_error(text)}")
        key = value
    else:
        key = text
    bucket: int | str
    try:
        if args.router is not None:
            bucket = args.router.node_for(key)
        elif args.use_async:
            import asyncio

            from .aio import async_jump_hash

            bucket = asyncio.run(async_jump_hash(key, n, **args.hash_options), debug=debug)
        else:
            bucket = jump_hash(key, n, **args.hash_options)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--key: {exc}") from None
    out.write([text], [key], [bucket])


def _emit(
    out: _Output,
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
        stdin = sys.stdin
        if stdin is None:  # started without a stdin (pythonw, a closed fd 0)
            raise CliError("no stdin to read keys from: give --key or --keys-file")
        buffer: IO[bytes] | None = getattr(stdin, "buffer", None)
        source = _TextAsBytes(stdin) if buffer is None else buffer
        return _stream_from(source, "cannot read stdin", args, n, out, debug)
    cannot = f"--keys-file: cannot read {path!r}"
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise CliError(f"{cannot}: {_reason(exc)}") from None
    with stream:
        return _stream_from(stream, cannot, args, n, out, debug)


def _stream_from(
    stream: _Readable,
    cannot: str,
    args: argparse.Namespace,
    n: int,
    out: _Output,
    debug: bool,
) -> int:
    chunks = _read_chunks(_blocks(stream, cannot))
    if args.router is not None:
        nodes_for = args.router.nodes_for
        return _stream_loop(chunks, n, args.int_key, out, lambda keys, n: nodes_for(keys))
    if not args.use_async:
        return _stream_loop(
            chunks, n, args.int_key, out, functools.partial(jump_hash_many, **args.hash_options)
        )
    # The same loop, each chunk hashed through the asyncio API on one event
    # loop.  Reading the input blocks the loop, which has nothing else to run.
    import asyncio

    from .aio import async_jump_hash_many

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


def _run(args: argparse.Namespace) -> int:
    debug = args.level == "debug"
    log.debug(
        "rvh_stable %s, core IMPLEMENTATION=%r, Python %s, %s API",
        __version__,
        IMPLEMENTATION,
        platform.python_version(),
        "asyncio (debug mode)" if args.use_async else "sync",
    )
    args.router = _parse_router(args)
    n = 0 if args.router is not None else _parse_buckets(args.buckets)
    if args.router is None:
        args.hash_options = _parse_hash_options(args)
    out = _Output(args.format, args.with_key, args.int_key, nodes=args.router is not None)
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


# --- plan: which keys move ----------------------------------------------------------

PLAN_SAMPLE = 100_000


def _build_plan_parser() -> argparse.ArgumentParser:
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
    return parser


def _plan_side(text: str, flag: str) -> Any:
    """A bucket count, or the Router of a state file."""
    try:
        value = _parse_int(text)
    except _HugeInt as huge:
        raise CliError(f"{flag}: {huge.reason(_check_buckets)}") from None
    if value is not None:
        try:
            _check_buckets(value)
        except (ValueError, TypeError) as exc:
            raise CliError(f"{flag}: {exc}") from None
        return value
    from .router import Router

    try:
        with open(text, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise CliError(
            f"{flag}: not a bucket count, and cannot read {text!r}: {_reason(exc)}"
        ) from None
    try:
        return Router.from_json(data)
    except ValueError as exc:
        raise CliError(f"{flag}: {text!r}: {exc}") from None


def _plan_keys(args: argparse.Namespace) -> list[Key]:
    if args.keys_file is None:
        if args.sample < 0:
            raise CliError(f"--sample must be >= 0, got {args.sample}")
        return [f"key-{i}" for i in range(args.sample)]
    if args.keys_file == "-":
        if sys.stdin is None:
            raise CliError("no stdin to read keys from")
        buffer: IO[bytes] | None = getattr(sys.stdin, "buffer", None)
        stream: _Readable = _TextAsBytes(sys.stdin) if buffer is None else buffer
        cannot = "cannot read stdin"
        return _collect_keys(stream, cannot, args.int_key)
    cannot = f"--keys-file: cannot read {args.keys_file!r}"
    try:
        with open(args.keys_file, "rb") as f:
            return _collect_keys(f, cannot, args.int_key)
    except OSError as exc:
        raise CliError(f"{cannot}: {_reason(exc)}") from None


def _collect_keys(stream: _Readable, cannot: str, int_key: bool) -> list[Key]:
    keys: list[Key] = []
    for first, lines in _read_chunks(_blocks(stream, cannot)):
        parsed, error = _parse_keys(lines, first, int_key)
        if error is not None:
            raise error
        keys += parsed
    return keys


def _run_plan(argv: Sequence[str]) -> int:
    args = _build_plan_parser().parse_args(argv)
    before = _plan_side(args.before, "--from")
    after = _plan_side(args.after, "--to")
    keys = _plan_keys(args)
    from .planning import plan

    try:
        result = plan(before, after, keys)
    except (ValueError, TypeError, LookupError) as exc:
        index = getattr(exc, "index", None)
        where = f"line {index + 1}: " if index is not None and args.keys_file else ""
        raise CliError(f"{where}{exc}") from None
    flows = list(result.flows.items())[: max(args.top, 0)]
    if args.format == "json":
        body = json.dumps(
            {
                "total": result.total,
                "moved": result.moved,
                "fraction": result.fraction,
                "flows": [{"from": a, "to": b, "keys": c} for (a, b), c in flows],
            },
            ensure_ascii=False,
        )
    else:
        lines = [f"moved {result.moved} of {result.total} keys ({result.fraction:.2%})"]
        if flows:
            lines.append(f"largest flows ({len(flows)} of {len(result.flows)}):")
            lines += [f"  {a} -> {b}\t{c}" for (a, b), c in flows]
        body = "\n".join(lines)
    _put(sys.stdout, (body + "\n").encode("utf-8"))
    if args.plot:
        try:
            result.plot(args.plot)
        except ImportError as exc:
            raise CliError(f"--plot: {exc}") from None
        except OSError as exc:
            raise CliError(f"--plot: cannot write {args.plot!r}: {_reason(exc)}") from None
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
    """After a failed write (EPIPE, ENOSPC, ...): point stdout at devnull, so
    that the flush at exit is quiet too."""
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
    None; strings as sys.argv holds them) and return its exit status: 0 on
    success, 1 for an invalid argument, key or line, a line over
    MAX_LINE_BYTES, or input or output that fails (one line on stderr, naming
    the line of a stream), or for output cut short by a closed pipe
    (quietly), 2 for a usage error, 130 on Ctrl-C.  ``--help`` lists the
    options, with examples.  Keys come from ``sys.stdin``: its ``.buffer``,
    or, for a text-only stream (io.StringIO), its text.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    planning = argv[:1] == ["plan"]
    try:
        if planning:
            plan_parser = _build_plan_parser()
            plan_parser.parse_args(argv[1:])  # usage errors first, as for hashing
            args = argparse.Namespace(level="warn")
        else:
            args = _build_parser().parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), usage errors (2)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    saved = _log_to_stderr(args.level)
    try:
        return _run_plan(argv[1:]) if planning else _run(args)
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
