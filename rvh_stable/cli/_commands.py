"""The table of commands: a command is a module of this package and a row here.

A command module has:

* ``build_parser()``: its argparse parser (``prog`` "rvh-stable WORD"), which
  parses its arguments, once; every Namespace it returns has ``level``
  (--level's choice, or "warn"), which sets the logging on stderr;
* ``run(args)``: does the work and returns the exit status.  It writes
  through ``_output.write`` only, reads keys through ``_input.line_chunks``,
  and raises CliError for whatever the user should fix (UsageError, exit
  status 2, for arguments that do not go together): the frame in
  ``cli/__init__.py`` turns that, and output that cannot be written, into
  one line on stderr.

Modules are imported when their command runs, not before.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import NamedTuple, Protocol, cast


class CommandModule(Protocol):
    """What a command module provides (see the module docstring)."""

    def build_parser(self) -> argparse.ArgumentParser: ...

    def run(self, args: argparse.Namespace) -> int: ...


class Command(NamedTuple):
    """A row of :data:`COMMANDS`."""

    #: The module of this package that runs it.
    module: str
    #: One line for the list of commands in --help.
    summary: str


#: Command word -> its module and what it does.
COMMANDS: dict[str, Command] = {
    "hash": Command("hashing", "map keys to buckets or nodes (the default: typed without a word)"),
    "plan": Command("plan", "which keys move when a cluster changes"),
    "state": Command("state", "make, change and show a router state file"),
}

#: The command run when the arguments start with no other command's word:
#: ``rvh-stable -b 7 --key x`` hashes; its word is not typed.
DEFAULT = "hash"


def pick(argv: Sequence[str]) -> tuple[str, list[str]]:
    """The command ``argv`` names by its first word, and the arguments that follow it.

    Only an exact first word names a command, and never the default's: a key
    or a file name comes after an option (``--key plan``), so it is never
    taken for one.
    """
    if argv and argv[0] in COMMANDS and argv[0] != DEFAULT:
        return argv[0], list(argv[1:])
    return DEFAULT, list(argv)


def load(name: str) -> CommandModule:
    """The module of command ``name``, imported now."""
    module = importlib.import_module(f".{COMMANDS[name].module}", __package__)
    return cast(CommandModule, module)


def others_help() -> str:
    """The commands typed with their word, for the default command's --help."""
    words = [word for word in COMMANDS if word != DEFAULT]
    if not words:
        return ""
    rows = "\n".join(f"  {word:<8}{COMMANDS[word].summary}" for word in words)
    return f"\n\nother commands (rvh-stable WORD --help):\n{rows}"
