"""Build the sdist and the wheel, install them, and test what users get.

Slow (about a minute, with pip's cache warm): run with ``pytest -m slow``.
Needs the source tree and network access to the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT / "setup.py").exists(), reason="needs the source tree"),
]


def run(
    *cmd: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "RVH_STABLE_NO_EXTENSIONS"}
    environ.update(env or {})
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=environ, capture_output=True, text=True
    )


def venv(path: Path) -> Path:
    done = run(sys.executable, "-m", "venv", path)
    assert done.returncode == 0, done.stderr
    bindir = path / ("Scripts" if os.name == "nt" else "bin")
    return bindir / "python"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    out = tmp_path_factory.mktemp("dist")
    done = run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def only(folder: Path, pattern: str) -> Path:
    (found,) = folder.glob(pattern)
    return found


def test_wheel_contents(dist: Path) -> None:
    names = zipfile.ZipFile(only(dist, "*.whl")).namelist()
    assert any(n.startswith("rvh_stable/_jump.") and n.endswith((".so", ".pyd")) for n in names)
    for required in (
        "rvh_stable/_jump.pyi",
        "rvh_stable/py.typed",
        "rvh_stable/stable.py",
        "rvh_stable/__init__.py",
    ):
        assert required in names
    assert not [n for n in names if n.endswith((".pyx", ".c", ".h"))]
    assert not [n for n in names if n.startswith("tests/")]


def test_sdist_contents(dist: Path) -> None:
    sdist = only(dist, "*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for required in (
        "rvh_stable/_jump.pyx",
        *(h.relative_to(ROOT).as_posix() for h in (ROOT / "rvh_stable" / "_c").rglob("*.h")),
        "rvh_stable/stable.py",
        "rvh_stable/_jump.pyi",
        "tests/conftest.py",
        "tests/data/jump_reference.csv",
        "tests/data/str_keys_xxh64.jsonl",
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "pyproject.toml",
        "setup.py",
    ):
        assert required in names, required
    assert "rvh_stable/_jump.c" not in names


#: Left out of the runs against an installed build: they test pure-Python
#: layers over outside systems (a JVM, a Ray cluster, Sphinx over docs/, which
#: is not beside the copy) that the main run covers, and nothing in them
#: depends on how the compiled core was built.  About 3 minutes a run.
ELSEWHERE = ("test_spark.py", "test_ray.py", "test_docs.py", "test_docs_console.py")


def passes_the_suite_outside_the_tree(python: Path, tmp_path: Path, **env: str) -> None:
    """The default test run, from a copy of tests/, against what ``python`` has installed."""
    copy = tmp_path / "copy" / "tests"
    shutil.copytree(ROOT / "tests", copy)
    assert all((copy / name).is_file() for name in ELSEWHERE), ELSEWHERE
    ignored: list[str | Path] = [f"--ignore={copy / name}" for name in ELSEWHERE]
    tests = run(
        *(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *ignored, copy),
        cwd=tmp_path,
        env=env,
    )
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert " passed" in tests.stdout


def test_wheel_passes_the_test_suite_outside_the_tree(dist: Path, tmp_path: Path) -> None:
    python = venv(tmp_path / "venv")
    done = run(python, "-m", "pip", "install", "-q", f"{only(dist, '*.whl')}[test]")
    assert done.returncode == 0, done.stderr
    check = run(python, "-c", "import rvh_stable; print(rvh_stable.IMPLEMENTATION)", cwd=tmp_path)
    assert check.stdout.strip() == "cython", check.stderr
    passes_the_suite_outside_the_tree(python, tmp_path)


def install_sdist(dist: Path, tmp_path: Path, **env: str) -> tuple[Path, str]:
    """A fresh venv with the sdist installed under ``env``; pip's output."""
    python = venv(tmp_path / "venv")
    done = run(python, "-m", "pip", "install", only(dist, "*.tar.gz"), env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return python, done.stdout + done.stderr


def core_and_answer(python: Path, cwd: Path) -> list[str]:
    check = run(
        python,
        "-c",
        "import rvh_stable; print(rvh_stable.IMPLEMENTATION, rvh_stable.jump_hash('tx42', 1000))",
        cwd=cwd,
    )
    assert check.returncode == 0, check.stderr
    return check.stdout.split()


def test_sdist_install_builds_the_compiled_core(dist: Path, tmp_path: Path) -> None:
    python, _ = install_sdist(dist, tmp_path)
    assert core_and_answer(python, tmp_path) == ["cython", "626"]


def test_broken_compiler_fails_with_a_hint(dist: Path, tmp_path: Path) -> None:
    python = venv(tmp_path / "venv")
    done = run(python, "-m", "pip", "install", only(dist, "*.tar.gz"), env={"CC": "/bin/false"})
    assert done.returncode != 0
    assert "RVH_STABLE_NO_EXTENSIONS=1" in done.stdout + done.stderr


def test_pure_install_needs_no_compiler(dist: Path, tmp_path: Path) -> None:
    python, _ = install_sdist(dist, tmp_path, CC="/bin/false", RVH_STABLE_NO_EXTENSIONS="1")
    assert core_and_answer(python, tmp_path) == ["python", "626"]


PORTABLE_CFLAGS = "-DRVH_PUBLIC_INT_API -DRVH_NO_SIMD"


def test_the_portable_build_passes_the_suite(dist: Path, tmp_path: Path) -> None:
    # The compiled core reads exact ints from CPython's digits and, on x86,
    # hashes batches with SSE2.  Elsewhere it uses the public C API and a
    # portable kernel; these flags force both here, so that they are tested
    # on this machine before any interpreter or CPU needs them.
    python = venv(tmp_path / "venv")
    done = run(
        python,
        "-m",
        "pip",
        "install",
        "-q",
        f"{only(dist, '*.tar.gz')}[test]",
        env={"CFLAGS": PORTABLE_CFLAGS},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    check = run(
        python,
        "-c",
        "import rvh_stable._jump as m;print(m.IMPLEMENTATION, m._READS_INT_DIGITS, m.KERNEL)",
        cwd=tmp_path,
    )
    assert check.stdout.split() == ["cython", "False", "portable"], check.stderr
    # CFLAGS tells the suite which build to expect.
    passes_the_suite_outside_the_tree(python, tmp_path, CFLAGS=PORTABLE_CFLAGS)
