"""What the command line's tests share (tests/test_cli*.py): running it, and reading what it said.

Imported as ``cli_helpers`` (tests/ is on sys.path, see tests/helpers.py); a
test file never imports another test file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rvh_stable import cli
from rvh_stable.cli import _common

Arg = str | bytes

SCRIPT_NAME = "rvh-stable.exe" if os.name == "nt" else "rvh-stable"
# Next to the interpreter (a venv, Unix installs); on Windows outside a venv
# pip puts scripts in Scripts\, which sysconfig names.
SCRIPT = next(
    (
        path
        for path in (
            Path(sys.executable).parent / SCRIPT_NAME,
            Path(sysconfig.get_path("scripts")) / SCRIPT_NAME,
        )
        if path.exists()
    ),
    Path(sys.executable).parent / SCRIPT_NAME,
)


def command() -> list[str]:
    if not SCRIPT.exists():
        pytest.fail(
            f"the rvh-stable console script is missing ({SCRIPT}): install the package "
            "(pip install -e .) with the [project.scripts] entry "
            '`rvh-stable = "rvh_stable.cli:main"` in pyproject.toml'
        )
    return [str(SCRIPT)]


# A folder without the package in it, to run children from.
NEUTRAL_CWD = Path(__file__).resolve().parent / "data"


def child_env(core: ModuleType) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    env["RVH_STABLE_NO_EXTENSIONS"] = "1" if core.IMPLEMENTATION == "python" else "0"
    env["PYTHON_COLORS"] = "0"  # argparse colours its help on 3.14 when forced to
    env["PYTHONUTF8"] = "1"  # messages quote keys: let Windows' stderr be UTF-8 too
    return env


def text(data: bytes) -> str:
    """What argparse and logging wrote, with Windows' text-mode line endings undone."""
    return data.decode("utf-8").replace("\r\n", "\n")


def rvh(
    core: ModuleType,
    *args: Arg,
    stdin: bytes | None = None,
    entry: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*(entry or command()), *args],
        input=stdin,
        capture_output=True,
        env=env or child_env(core),
        timeout=120,
        check=False,
        # Not the source tree: `python -m` would import the package from
        # there, shadowing the installed build (which it is to test).
        cwd=NEUTRAL_CWD,
    )


def lines_of(keys: Sequence[str], endings: Sequence[str] = ("\n",)) -> bytes:
    return "".join(k + endings[i % len(endings)] for i, k in enumerate(keys)).encode()


def assert_error(done: subprocess.CompletedProcess[bytes], *parts: str) -> str:
    """Exit status 1, one line on stderr holding ``parts``, no traceback."""
    message = text(done.stderr)
    assert done.returncode == 1, message
    assert message.startswith("rvh-stable: error: "), message
    assert message.endswith("\n")
    assert message.count("\n") == 1, message
    for part in parts:
        assert part in message
    return message


def assert_usage_error(done: subprocess.CompletedProcess[bytes], *parts: str) -> str:
    """Exit status 2, as argparse reports a usage error: the usage, then one
    line holding ``parts``; nothing on stdout, no traceback."""
    *usage, error = text(done.stderr).splitlines()
    assert (done.returncode, done.stdout) == (2, b""), text(done.stderr)
    assert usage and usage[0].startswith("usage: rvh-stable"), usage
    assert error.startswith("rvh-stable") and ": error: " in error, error
    assert "Traceback" not in text(done.stderr)
    for part in parts:
        assert part in error
    return error


def core_message(func: Any, *args: Any) -> str:
    with pytest.raises((ValueError, TypeError)) as info:
        func(*args)
    return str(info.value)


def buckets_text(core: ModuleType, keys: Sequence[Any], n: int) -> bytes:
    """What the command line writes for ``keys``: one bucket a line."""
    return "".join(f"{b}\n" for b in core.jump_hash_many(list(keys), n)).encode()


def main_in_process(core: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """cli.main(args) in this process, computing with ``core`` (a core module, or
    anything with its jump_hash, jump_hash_many and IMPLEMENTATION)."""
    monkeypatch.setattr(_common, "core", core)
    return cli.main(list(args))


class ByteStdin:
    """A sys.stdin whose .buffer hands out the given pieces, one per read1().

    None is a read that finds no data yet, as on a non-blocking stream; after
    the pieces comes the end (b"").  There is no file descriptor.
    """

    def __init__(self, *pieces: bytes | None) -> None:
        self.buffer = self
        self.pieces = list(pieces)

    def read1(self, size: int = -1, /) -> bytes | None:
        return self.pieces.pop(0) if self.pieces else b""
