"""The shell sessions of the documentation (```console blocks in README.md and
docs/) run as shown: each ``$ command`` line is run by bash, in order, in one
temporary folder per page (a page's sessions build on each other: a state
file made in one is changed in the next), and prints the lines below it,
stdout and stderr together.  On both cores.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from cli_helpers import child_env, command

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGES = [page for page in PAGES if "_build" not in page.parts]

pytestmark = [
    pytest.mark.skipif(not (ROOT / "docs").is_dir(), reason="tests run outside the source tree"),
    pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash"),
]


def sessions(page: Path) -> list[list[tuple[str, list[str]]]]:
    """Each console block of ``page``: its ``(command, expected lines)``."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                assert steps, f"{page.name}: output before any command: {line!r}"
                steps[-1][1].append(line)
        found.append(steps)
    return found


def pages_with_sessions() -> list[Path]:
    return [page for page in PAGES if sessions(page)]


def test_the_sessions_are_found() -> None:
    names = {page.relative_to(ROOT).as_posix() for page in pages_with_sessions()}
    assert {"README.md", "docs/guides/cli.md"} <= names


@pytest.mark.parametrize(
    "page", pages_with_sessions(), ids=lambda page: page.relative_to(ROOT).as_posix()
)
def test_console_sessions_print_what_they_show(
    core: ModuleType, page: Path, tmp_path: Path
) -> None:
    env = child_env(core)
    # ``rvh-stable`` is the installed console script, first on the PATH.
    script = Path(command()[0])
    env["PATH"] = f"{script.parent}:{env.get('PATH', '')}"
    ran = 0
    for steps in sessions(page):
        for line, expected in steps:
            done = subprocess.run(
                ["bash", "-c", f"{{ {line}\n}} 2>&1"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                timeout=120,
                check=False,
            )
            shown = done.stdout.decode("utf-8").replace("\r\n", "\n").splitlines()
            assert shown == expected, f"{page.name}: $ {line}"
            ran += 1
    assert ran
