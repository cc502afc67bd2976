"""Every command of the command line, from its table: the same frame, the same writer.

Each test iterates ``rvh_stable.cli._commands.COMMANDS``, so a new command
is covered as soon as it has a row there and its arguments in RUNS below
(``test_every_command_has_a_run`` fails until it does).  The behaviour
tests run over both cores (the ``core`` fixture).
"""

from __future__ import annotations

import argparse
import errno
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cli_helpers import ByteStdin, assert_error, child_env, command, main_in_process, rvh, text

from rvh_stable import _rules, cli
from rvh_stable.cli import _commands, _output

#: For each command, arguments with which it reads keys from stdin and writes
#: lines: what a failing stdout is tried on.
RUNS: dict[str, list[str]] = {
    "hash": ["-b", "10"],
    "plan": ["--from", "3", "--to", "4", "--keys-file", "-"],
    "state": ["new", "--nodes", "a,b=2"],
}

KEYS = b"a\nb\nc\n"

CLI_SOURCE = Path(cli.__file__).parent


def argv_of(name: str) -> list[str]:
    """The command line of RUNS[name]: its word, unless it is the default."""
    word = [] if name == _commands.DEFAULT else [name]
    return [*word, *RUNS[name]]


@pytest.fixture(params=sorted(_commands.COMMANDS))
def name(request: pytest.FixtureRequest) -> str:
    """Each command of the table."""
    value: str = request.param
    return value


def test_every_command_has_a_run() -> None:
    assert set(RUNS) == set(_commands.COMMANDS)
    assert _commands.DEFAULT in _commands.COMMANDS


def test_each_run_writes_its_lines(core: ModuleType, name: str) -> None:
    """What the failure tests below break: a run that succeeds and writes to stdout."""
    done = rvh(core, *argv_of(name), stdin=KEYS)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.endswith(b"\n") and len(done.stdout) > 2


# --- output that cannot be written: the same for every command ----------------------


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell: `>&-`")
def test_closed_stdout(core: ModuleType, name: str) -> None:
    """`rvh-stable ... >&-`: one line, exit 1 (plan ended in a traceback before issue 20)."""
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *command(), *argv_of(name)],
        input=KEYS,
        stderr=subprocess.PIPE,
        env=child_env(core),
        timeout=120,
        check=False,
    )
    assert b"Traceback" not in done.stderr
    assert assert_error(done) == "rvh-stable: error: cannot write to stdout: it is closed\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_disk(core: ModuleType, name: str) -> None:
    """`rvh-stable ... > /dev/full`: every write fails with ENOSPC."""
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [*command(), *argv_of(name)],
            input=KEYS,
            stdout=full,
            stderr=subprocess.PIPE,
            env=child_env(core),
            timeout=120,
            check=False,
        )
    assert b"Traceback" not in done.stderr
    message = f"cannot write to stdout: {os.strerror(errno.ENOSPC)}"
    assert assert_error(done) == f"rvh-stable: error: {message}\n"


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell: `>&-`, /dev/full")
def test_help_and_version_fail_on_a_closed_or_full_stdout(core: ModuleType, name: str) -> None:
    """argparse ignores a failed write: --help and --version exited 0 with
    their text lost (issue 22, item 13); they go through the one writer now."""
    word = [] if name == _commands.DEFAULT else [name]
    for flag in ["--help"] + (["--version"] if not word else []):
        argv = [*command(), *word, flag]
        closed = subprocess.run(
            ["sh", "-c", 'exec "$@" >&-', "sh", *argv],
            stderr=subprocess.PIPE,
            env=child_env(core),
            timeout=120,
            check=False,
        )
        assert assert_error(closed) == "rvh-stable: error: cannot write to stdout: it is closed\n"
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                argv,
                stdout=full,
                stderr=subprocess.PIPE,
                env=child_env(core),
                timeout=120,
                check=False,
            )
        message = f"cannot write to stdout: {os.strerror(errno.ENOSPC)}"
        assert assert_error(done) == f"rvh-stable: error: {message}\n"
        shown = rvh(core, *word, flag)
        assert (shown.returncode, shown.stderr) == (0, b"") and shown.stdout.endswith(b"\n")


def test_broken_pipe(core: ModuleType, name: str) -> None:
    """`rvh-stable ... | head -1` whose reader is gone before the first line: exit 1, quietly.

    The child waits for its keys on stdin; the read end of its stdout is
    closed before they are sent, so its first write finds no reader.  As for
    hashing since issue 11, a closed pipe ends quietly (the Python
    documentation's recipe for SIGPIPE): no message, no traceback.
    """
    child = subprocess.Popen(
        [*command(), *argv_of(name)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(core),
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    child.stdout.close()
    child.stdin.write(KEYS)
    child.stdin.close()
    errors = child.stderr.read()
    child.stderr.close()
    assert (child.wait(timeout=120), errors) == (1, b"")


class FailingStdout:
    """A sys.stdout whose every write fails with ``errno`` (EIO: a hung-up terminal)."""

    def __init__(self, code: int) -> None:
        self.buffer = self
        self.code = code
        self.written = 0

    def write(self, data: Any) -> int:
        self.written += 1
        raise OSError(self.code, os.strerror(self.code))

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("code", [errno.EIO, errno.EAGAIN, errno.EBADF])
def test_write_error(
    core: ModuleType,
    name: str,
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stdout = FailingStdout(code)
    monkeypatch.setattr(sys, "stdin", ByteStdin(KEYS))
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main_in_process(core, monkeypatch, *argv_of(name)) == 1
    assert stdout.written == 1  # the first write failed, and nothing was tried after it
    err = capsys.readouterr().err
    assert err == f"rvh-stable: error: cannot write to stdout: {os.strerror(code)}\n"


def test_stdout_closed_by_the_application(
    core: ModuleType,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """main() embedded, with a sys.stdout that is None, or closed."""
    for stdout in (None, open(os.devnull, "w")):
        if stdout is not None:
            stdout.close()
        monkeypatch.setattr(sys, "stdin", ByteStdin(KEYS))
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main_in_process(core, monkeypatch, *argv_of(name)) == 1
        assert (
            capsys.readouterr().err == "rvh-stable: error: cannot write to stdout: it is closed\n"
        )


# --- the frame ------------------------------------------------------------------------


def test_frame_turns_any_os_error_into_one_line(
    core: ModuleType,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An OSError no command caught is still one line, naming its file, and exit 1."""
    module = _commands.load(name)

    def failing(args: argparse.Namespace) -> int:
        raise OSError(errno.EIO, os.strerror(errno.EIO), "state.json")

    monkeypatch.setattr(module, "run", failing)
    assert main_in_process(core, monkeypatch, *argv_of(name)) == 1
    assert capsys.readouterr().err == (
        f"rvh-stable: error: 'state.json': {os.strerror(errno.EIO)}\n"
    )


def test_arguments_are_parsed_once(
    core: ModuleType, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[list[str]] = []
    parse = argparse.ArgumentParser.parse_known_args

    def counting(self: argparse.ArgumentParser, args: Any = None, namespace: Any = None) -> Any:
        calls.append(list(args))
        return parse(self, args, namespace)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", counting)
    monkeypatch.setattr(sys, "stdin", ByteStdin(KEYS))
    assert main_in_process(core, monkeypatch, *argv_of(name)) == 0
    # A command of actions (state new|add|...) has argparse parse the words
    # after its action with the action's own parser: that is argparse's
    # second call, not a second parse.
    parser = _commands.load(name).build_parser()
    actions = any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    assert calls == [RUNS[name]] + ([RUNS[name][1:]] if actions else [])
    assert capsys.readouterr().out.endswith("\n")


def test_help(core: ModuleType, name: str) -> None:
    word = [] if name == _commands.DEFAULT else [name]
    done = rvh(core, *word, "--help")
    assert (done.returncode, done.stderr) == (0, b"")
    assert text(done.stdout).startswith(f"usage: {' '.join(['rvh-stable', *word])} ")


def test_default_help_lists_the_other_commands(core: ModuleType) -> None:
    shown = text(rvh(core, "--help").stdout)
    others = [word for word in _commands.COMMANDS if word != _commands.DEFAULT]
    assert others
    for word in others:
        assert f"  {word}  " in shown and _commands.COMMANDS[word].summary in shown


def test_only_a_first_word_names_a_command(core: ModuleType) -> None:
    """A key spelled like a command is a key."""
    for word in _commands.COMMANDS:
        done = rvh(core, "--key", word, "-b", "1000")
        assert (done.returncode, done.stdout) == (0, f"{core.jump_hash(word, 1000)}\n".encode())
    # The default's own word names no command: it is a stray argument.
    assert rvh(core, _commands.DEFAULT, "-b", "3", stdin=b"").returncode == 2


# --- one table per list ---------------------------------------------------------------------


def hash_option(flag: str) -> argparse.Action:
    parser = _commands.load(_commands.DEFAULT).build_parser()
    return next(a for a in parser._actions if flag in a.option_strings)


def test_hasher_choices_and_help_read_the_table() -> None:
    hasher = hash_option("--hasher")
    assert tuple(hasher.choices or ()) == tuple(_rules.HASHER_TABLE)
    assert hasher.default == next(iter(_rules.HASHER_TABLE))
    for hasher_name, spec in _rules.HASHER_TABLE.items():
        assert f"{hasher_name} ({spec.origin})" in (hasher.help or "")
    seed_help = hash_option("--seed").help or ""
    for hasher_name, spec in _rules.HASHER_TABLE.items():
        assert (f"{hasher_name} {spec.seed_words}" in seed_help) is (spec.seeds is not None)
    variant = hash_option("--variant")
    assert tuple(variant.choices or ()) == _rules.VARIANTS
    assert variant.default == _rules.DEFAULT_VARIANT


def cli_modules() -> list[Path]:
    return sorted(CLI_SOURCE.glob("*.py"))


# --- the package's shape (the package-wide rules: tests/test_structure.py) -------------


def test_every_row_is_a_module_with_a_parser_and_a_run() -> None:
    for word, row in _commands.COMMANDS.items():
        assert (CLI_SOURCE / f"{row.module}.py").exists(), word
        module = _commands.load(word)
        parser = module.build_parser()
        assert parser.prog == ("rvh-stable" if word == _commands.DEFAULT else f"rvh-stable {word}")
        assert callable(module.run)


def test_one_writer() -> None:
    """Only _output touches sys.stdout; the commands write through _output.write."""
    for path in cli_modules():
        source = path.read_text(encoding="utf-8")
        if path.name != "_output.py":
            assert "sys.stdout" not in source, path.name
            assert "print(" not in source, path.name
    assert callable(_output.write)
