"""`.ci/run`: the README's test command word for word, and any failure ends the run.

The script is run for real on a copy of itself, with every program it calls
replaced by a stub on PATH that records its call and fails when asked to.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = ROOT / ".ci" / "run"
README = ROOT / "README.md"

pytestmark = [
    pytest.mark.skipif(not CI_RUN.exists(), reason="tests run outside the source tree"),
    pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash"),
]

# Each stub appends its name and arguments to $CI_LOG, then exits with the
# status in $FAIL_<name> (0 when unset). The `python3 -m venv` stub makes the
# activate script the README's command sources.
STUB = """#!/bin/sh
name=${0##*/}
echo "$name $*" >> "$CI_LOG"
if [ "$name" = python3 ] && [ "$1" = -m ] && [ "$2" = venv ]; then
    mkdir -p "$3/bin" && : > "$3/bin/activate"
fi
eval "status=\\${FAIL_$name:-0}"
exit "$status"
"""
STUBBED = ("python3", "pip", "pytest", "ruff", "mypy")


def readme_test_command() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    lines: list[str] = [line for block in blocks for line in block.splitlines()]
    commands = {line for line in lines if "'.[test]'" in line}
    assert len(commands) == 1, commands
    return commands.pop()


def test_ci_run_holds_the_readme_command_word_for_word() -> None:
    command = readme_test_command()
    lines = CI_RUN.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith(command)], command


def run_ci(tmp_path: Path, **fail: int) -> tuple[int, list[str]]:
    tree = tmp_path / "tree"
    (tree / ".ci").mkdir(parents=True)
    shutil.copy(CI_RUN, tree / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in STUBBED:
        (bin_dir / name).write_text(STUB, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    # Not root: the apt-get steps are skipped.
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n", encoding="utf-8")
    (bin_dir / "id").chmod(0o755)
    for tool in ("dirname", "rm", "mkdir", "bash"):
        found = shutil.which(tool)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    # tools/asan.sh (the sanitized Arrow run) is a stub too, run by bash.
    (tree / "tools").mkdir()
    (tree / "tools" / "asan.sh").write_text(
        '#!/bin/sh\necho "asan.sh $*" >> "$CI_LOG"\nexit "${FAIL_asan:-0}"\n', encoding="utf-8"
    )
    (tree / "tools" / "reciprocal_check.sh").write_text(
        '#!/bin/sh\necho "reciprocal_check.sh $*" >> "$CI_LOG"\nexit "${FAIL_reciprocal:-0}"\n',
        encoding="utf-8",
    )
    log = tmp_path / "calls.log"
    log.touch()
    env = {
        "PATH": str(bin_dir),
        "CI_LOG": str(log),
        "HOME": str(tmp_path),
        **{f"FAIL_{name}": str(status) for name, status in fail.items()},
    }
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run(
        [bash, str(tree / ".ci" / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert not done.stderr or "command not found" not in done.stderr, done.stderr
    return done.returncode, [line.split()[0] for line in log.read_text().splitlines()]


def test_ci_run_calls_every_step_when_all_pass(tmp_path: Path) -> None:
    # Also shows that the stubs, not the real tools, are what ran.
    status, calls = run_ci(tmp_path)
    assert status == 0
    assert calls == [
        "python3",
        "pip",
        "pytest",
        "pytest",
        "asan.sh",
        "reciprocal_check.sh",
        "pip",
        "pytest",
        "pip",
        "ruff",
        "ruff",
        "mypy",
    ]


@pytest.mark.parametrize("failing", ["python3", "pip", "pytest"])
def test_a_failure_in_the_readme_command_ends_the_run(tmp_path: Path, failing: str) -> None:
    status, calls = run_ci(tmp_path, **{failing: 7})
    assert status == 7
    # The failing program is the last one called: nothing after it ran.
    assert calls[-1] == failing
    assert calls.count(failing) == 1


def test_a_failing_sanitized_run_ends_the_run(tmp_path: Path) -> None:
    status, calls = run_ci(tmp_path, asan=5)
    assert (status, calls[-1]) == (5, "asan.sh")


@pytest.mark.parametrize(("status", "ends"), [(1, True), (2, False)])
def test_the_reciprocal_check_fails_the_run_on_a_difference(
    tmp_path: Path, status: int, ends: bool
) -> None:
    # 1: a quotient differs from the division; 2: this CPU runs no
    # reciprocal kernel, nothing to check, and the run goes on.
    code, calls = run_ci(tmp_path, reciprocal=status)
    assert (code != 0, calls[-1] == "reciprocal_check.sh") == (ends, ends)
    assert calls.count("reciprocal_check.sh") == 1


def test_a_failing_linter_ends_the_run(tmp_path: Path) -> None:
    status, calls = run_ci(tmp_path, mypy=3)
    assert status == 3
    assert calls[-1] == "mypy"
