"""What every part of the command line shares: its name, its error, the core.

Nothing here reads or writes: the frame (``cli/__init__.py``) reports a
:class:`CliError`, ``_output`` writes, ``_input`` reads.
"""

from __future__ import annotations

import logging

from .._core import core as _picked_core

PROG = "rvh-stable"

#: The core the command line computes with: the one rvh_stable._core picked.
#: Every part calls it through this name (``_common.core.jump_hash(...)``),
#: so that a test can run main() in its process with the other core.
core = _picked_core


class CliError(Exception):
    """A user error, reported as one line on stderr with exit status 1."""


class UsageError(CliError):
    """Arguments that do not go together (``plan --from 10 --to state.json``):
    reported as argparse reports its own usage errors, the command's usage
    line and the message, with exit status 2."""


def show(text: str) -> str:
    """repr() of a user's text, cut short so that a message stays one line."""
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def reason(exc: OSError) -> str:
    """What went wrong, as the system words it ("No space left on device")."""
    return exc.strerror or str(exc)


#: --level's choices, and the logging level each sets on stderr.
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING}
