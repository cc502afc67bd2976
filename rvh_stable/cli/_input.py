"""Reading keys: a stream of lines, from ``--keys-file`` or stdin, in chunks.

Input is UTF-8; a byte order mark at the very start of the stream is
skipped, and a line may hold at most :data:`MAX_LINE_BYTES` bytes (1 MiB).
A non-blocking stdin is waited for, never taken to have ended when it is
only empty for a moment.  Every failure is a CliError naming what could not
be read, or the line that is wrong.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import IO, Protocol, TypeAlias

from ._common import CliError, reason

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


#: UTF-8's byte order mark, which Windows tools write at the start of a file.
_BOM = b"\xef\xbb\xbf"

#: A chunk: the number of its first line, and its lines, without their endings.
Chunk: TypeAlias = tuple[int, list[str]]


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
            raise CliError(f"{cannot}: {reason(exc)}") from None
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
            raise CliError(f"{cannot}: {reason(exc)}") from None


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


def _read_chunks(blocks: Iterator[bytes]) -> Iterator[Chunk]:
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


@contextlib.contextmanager
def line_chunks(path: str | None, no_stdin: str) -> Iterator[Iterator[Chunk]]:
    """The chunks of lines of ``path`` (stdin for None or "-"), as (first line's number, lines).

    Every command reads its keys through here.  ``no_stdin`` is the message
    for a process started without a stdin (pythonw, a closed fd 0).  Keys come
    from ``sys.stdin``: its ``.buffer``, or, for a text-only stream
    (io.StringIO), its text.  The file is closed when the block ends.
    """
    if path is None or path == "-":
        stdin = sys.stdin
        if stdin is None:
            raise CliError(no_stdin)
        buffer: IO[bytes] | None = getattr(stdin, "buffer", None)
        source: _Readable = _TextAsBytes(stdin) if buffer is None else buffer
        yield _read_chunks(_blocks(source, "cannot read stdin"))
        return
    cannot = f"--keys-file: cannot read {path!r}"
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise CliError(f"{cannot}: {reason(exc)}") from None
    with stream:
        yield _read_chunks(_blocks(stream, cannot))
