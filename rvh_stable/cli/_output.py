"""The one writer: everything a command prints goes through :func:`write`.

So every command fails the same way when its output cannot be written: a
closed stdout (``>&-``), a full disk (``> /dev/full``), EIO, a non-blocking
stdout whose reader lags: a CliError ("cannot write to stdout: ..."), which
the frame reports as one line on stderr with exit status 1.  A reader that
went away (``| head -1``) is a BrokenPipeError, which the frame ends quietly.

Output is UTF-8 whatever the locale says, and a write is never cut by Ctrl-C
in the middle of a line (see :func:`_whole_lines`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import IO

from ._common import CliError, reason
from ._keys import Key

#: A str as a JSON string, non-ASCII kept as is (the output is UTF-8).  A bound
#: encode() goes straight to the C encoder: several times faster than
#: json.dumps(), which builds an encoder on every call with ensure_ascii=False.
_json_string = json.JSONEncoder(ensure_ascii=False).encode


def write(data: bytes) -> None:
    """Write ``data`` (whole lines, UTF-8) to stdout and flush it.

    Raises CliError when it cannot be written, BrokenPipeError when the
    reader went away, KeyboardInterrupt after the write on Ctrl-C.
    """
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
        # EAGAIN (a non-blocking stdout whose reader lags), EIO, ...  Should
        # the buffer still hold bytes, the flush at exit would fail again and
        # print a second message: as after EPIPE, stdout becomes devnull.
        silence_stdout()
        raise CliError(f"cannot write to stdout: {reason(exc)}") from None
    except ValueError:
        if not getattr(stdout, "closed", False):
            raise
        # "I/O operation on closed file": an embedding application closed it.
        raise CliError("cannot write to stdout: it is closed") from None


def silence_stdout() -> None:
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


class KeyLines:
    """One line per key: its bucket (or node), with its key, or as JSON."""

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
        write((body + "\n").encode("utf-8"))


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
