"""Command line of rvh_stable: ``rvh-stable``.

``rvh-stable`` (the console script), ``python -m rvh_stable``,
``python -m rvh_stable.cli`` and ``python -m rvh_stable.app_stable`` all run
:func:`main`.  Its commands (the table in ``_commands``, one module each):

* hashing, the default, typed without a command word (``hashing``): one key
  (``--key``) or a stream of keys, one per line (``--keys-file PATH``, or
  stdin), with the core the package picked.  Each key's line is its bucket
  among ``--buckets N`` (``jump_hash``, with ``--hasher``, ``--seed``,
  ``--algorithm`` and ``--variant`` passed to the core, through the asyncio API with
  ``--async``), or the node a Router sends it to: ``--nodes A,B=2,...``
  (names, each with an optional weight) or ``--state FILE`` (a state that
  ``Router.to_json()`` wrote, hasher and seed included).  ``--int-key``
  reads keys as integers; ``--with-key`` and ``--format json`` shape the
  lines; ``--level`` logs on stderr.
* ``plan --from SIDE --to SIDE`` (``plan``): how many keys move between
  two bucket counts or two routers (each side a count, a state file or a
  node list ``a,b=2,c``), and the largest flows, for the keys of
  ``--keys-file`` or ``--sample`` made-up ones, read a chunk at a time
  (``--int-key``, ``--top``, ``--format``, ``--plot PNG`` for a chart, and
  ``--moved-keys`` for one line per moved key, written as the keys are read).
* ``state new|add|remove|show`` (``state``): make a router state file
  (``state new --nodes a,b=2 > FILE``), change it in place atomically
  (``state add FILE d``, ``state remove FILE b``) and show it.

Like the asyncio layer, it never computes or validates anything itself: it
parses the command line, calls the core (``jump_hash`` / ``jump_hash_many``,
their asyncio twins, a Router) and turns the core's ValueError/TypeError
into a one-line message on stderr with exit status 1.

Input is UTF-8; a byte order mark at the very start of the stream is
skipped, and a line may hold at most :data:`MAX_LINE_BYTES` bytes (1 MiB).
A non-blocking stdin is waited for, never taken to have ended when it is
only empty for a moment.  ``--key`` and ``--nodes`` are read as the bytes
typed, as UTF-8, whatever the locale.

Exit status, for every command: 0 on success; 1 for a bad argument (a
``--buckets``, ``--seed`` or ``--nodes`` value, a state file), an invalid
key or line (the message names the line), a line over the length limit,
input that cannot be read (``--keys-file`` or stdin) or output that cannot
be written (a closed stdout, a full disk, EIO): one line on stderr, no
traceback.  Also 1, quietly, for output cut short by a closed pipe (the
Python documentation's recipe for SIGPIPE); 2 for a usage error, reported
as argparse reports its own (the usage, then one line): argparse's, and
arguments that do not go together (a UsageError: ``plan`` between a bucket
count and a router, ``--async``, ``--algorithm`` or ``--variant`` with a
router, ``--variant`` with ``--algorithm jumpback``, ``--hasher`` with
``--state``); 130 on Ctrl-C, the output ending with a whole line.

The parts: :func:`main` here is the one frame that turns every error into
that line; ``_commands`` is the table; ``hashing``, ``plan`` and ``state``
the commands; ``_options`` the options and checks they share; ``_keys`` the
keys; ``_input`` reads lines; ``_output`` is the one writer.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from collections.abc import Sequence

from . import _commands, _output
from ._common import LEVELS, PROG, CliError, UsageError, reason
from ._input import CHUNK_BYTES, MAX_LINE_BYTES

__all__ = ["CHUNK_BYTES", "MAX_LINE_BYTES", "main"]

_Saved = list[tuple[logging.Logger, logging.Handler, int, bool]]


def _log_to_stderr(level: str) -> _Saved:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    names = ["rvh_stable"] + (["asyncio"] if level == "debug" else [])
    saved: _Saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, handler, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(LEVELS[level])
        logger.propagate = False  # an embedding application's handlers would repeat it
    return saved


def _restore_logging(saved: _Saved) -> None:
    for logger, handler, level, propagate in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _error(message: str) -> int:
    """Report ``message`` as the one line on stderr; exit status 1."""
    one_line = message.replace("\n", " ")
    sys.stderr.write(f"{PROG}: error: {one_line}\n")
    return 1


def _show(text: str) -> int:
    """Write ``text`` with the one writer: 0, or the exit status of its failure."""
    try:
        _output.write(text.encode("utf-8"))
    except CliError as exc:
        return _error(str(exc))
    except BrokenPipeError:
        _output.silence_stdout()
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """main(argv=None) -> int

    Run the ``rvh-stable`` command line on ``argv`` (``sys.argv[1:]`` when
    None; strings as sys.argv holds them) and return its exit status: 0 on
    success, 1 for an invalid argument, key or line, a line over
    MAX_LINE_BYTES, or input or output that fails (one line on stderr, naming
    the line of a stream), or for output cut short by a closed pipe
    (quietly), 2 for a usage error (argparse's, or a UsageError: arguments
    that do not go together), 130 on Ctrl-C.  ``--help`` lists the
    options, with examples; ``plan --help`` those of plan.  Keys come from
    ``sys.stdin``: its ``.buffer``, or, for a text-only stream
    (io.StringIO), its text.
    """
    name, args_text = _commands.pick(list(sys.argv[1:] if argv is None else argv))
    command = _commands.load(name)
    printed = io.StringIO()  # argparse's --help and --version text, written below
    try:
        parser = command.build_parser()
        with contextlib.redirect_stdout(printed):
            args = parser.parse_args(args_text)
    except SystemExit as exc:  # --help and --version (0), usage errors (2)
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        if printed.getvalue():
            # Through the one writer, so that a closed stdout or a full disk
            # is exit 1 here too (argparse itself ignores a failed write).
            return _show(printed.getvalue()) or code
        return code
    saved = _log_to_stderr(args.level)
    try:
        return command.run(args)
    except UsageError as exc:  # as argparse's own: the usage line, the message, 2
        sys.stderr.write(parser.format_usage())
        sys.stderr.write(f"{parser.prog}: error: {str(exc).replace(chr(10), ' ')}\n")
        return 2
    except CliError as exc:
        return _error(str(exc))
    except BrokenPipeError:
        # The reader went away (`rvh-stable ... | head`): stop quietly, as the
        # Python documentation recommends for SIGPIPE.
        _output.silence_stdout()
        return 1
    except OSError as exc:  # any other: every input and output error is one line
        where = f"{exc.filename!r}: " if exc.filename else ""
        return _error(f"{where}{reason(exc)}")
    except KeyboardInterrupt:
        return 130
    finally:
        _restore_logging(saved)
