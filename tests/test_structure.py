"""The shape the package keeps: plain C headers, one core selector, data flowing down.

- Every header in rvh_stable/_c/ but the CPython glue is plain C: it
  compiles alone as C99 with every warning an error, and never includes
  Python.h.  The glue (pyglue.h) is the only one that does.
- No module of the package imports the package face (rvh_stable/__init__.py)
  back, and only rvh_stable/_core.py reads RVH_STABLE_NO_EXTENSIONS.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

import rvh_stable

SOURCE = Path(__file__).resolve().parent.parent / "rvh_stable"
HEADERS = sorted((SOURCE / "_c").glob("*.h"))
GLUE = "pyglue.h"
STRICT_C99 = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"]

pytestmark = pytest.mark.skipif(not HEADERS, reason="needs the source tree")


def plain_headers() -> list[Path]:
    return [h for h in HEADERS if h.name != GLUE]


def test_only_the_glue_header_includes_python() -> None:
    names = {h.name for h in HEADERS}
    assert GLUE in names and {"jump.h", "xxh64.h", "kernels.h"} <= names
    for header in HEADERS:
        includes_python = "#include <Python.h>" in header.read_text()
        assert includes_python is (header.name == GLUE), header.name


@pytest.mark.parametrize("flags", [[], ["-DRVH_NO_SIMD"], ["-DRVH_NO_AVX512"], ["-DRVH_NO_AVX2"]])
def test_plain_headers_compile_alone_as_c99(flags: list[str]) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc")
    for header in plain_headers():
        done = subprocess.run(
            [gcc, *STRICT_C99, *flags, "-x", "c", str(header)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (header.name, done.stderr)


def package_modules() -> list[Path]:
    return sorted(Path(rvh_stable.__file__).parent.glob("*.py"))


def test_no_module_imports_the_package_face() -> None:
    face = "rvh_stable"
    submodules = {p.stem for p in package_modules()} | {"_jump"}
    checked = 0
    for path in package_modules():
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] != face for alias in node.names), path.name
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    assert node.module is None or node.module.split(".")[0] != face, path.name
                elif node.module is None:  # "from . import x": x must be a submodule
                    for alias in node.names:
                        assert alias.name in submodules, (path.name, alias.name)
                checked += 1
    assert checked > 5


def test_only_the_selector_reads_the_core_switch() -> None:
    def reads_it(path: Path) -> bool:
        tree = ast.parse(path.read_text(), str(path))
        return any(
            isinstance(node, ast.Constant) and node.value == "RVH_STABLE_NO_EXTENSIONS"
            for node in ast.walk(tree)
        )

    assert [p.name for p in package_modules() if reads_it(p)] == ["_core.py"]
