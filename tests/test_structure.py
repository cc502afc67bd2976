"""The shape the package keeps: plain C headers, one core selector, data flowing down.

- Every header in rvh_stable/_c/ but the CPython glue is plain C: it
  compiles alone as C99 with every warning an error, and never includes
  Python.h.  The glue (pyglue.h) is the only one that does.
- No module of the package imports the package face (rvh_stable/__init__.py)
  back, and only rvh_stable/_core.py reads RVH_STABLE_NO_EXTENSIONS.
"""

from __future__ import annotations

import ast
import re
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
    return sorted(Path(rvh_stable.__file__).parent.rglob("*.py"))


def importable_names(folder: Path) -> set[str]:
    """The modules and packages ``from . import x`` can name in ``folder``."""
    names = {p.stem for p in folder.glob("*.py")}
    names |= {p.parent.name for p in folder.glob("*/__init__.py")}
    return names | ({"_jump"} if folder == SOURCE else set())


def test_no_module_imports_the_package_face() -> None:
    face = "rvh_stable"
    top = Path(rvh_stable.__file__).parent
    checked = 0
    for path in package_modules():
        if path == top / "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] != face for alias in node.names), path.name
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    assert node.module is None or node.module.split(".")[0] != face, path.name
                elif node.module is None:  # "from . import x": x must be a submodule
                    folder = path.parents[node.level - 1]
                    for alias in node.names:
                        assert alias.name in importable_names(folder), (path.name, alias.name)
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


# --- seams: the batch engine, the tables, the size of a room ---------------------------

PARTS = SOURCE / "_cy"

#: Words that name an input format or an algorithm.  The batch engine runs a
#: key source through a batch function and a step after it, given to it: a
#: new input or a new algorithm is a new part, not an edit to the engine.
ENGINE_MUST_NOT_NAME = [
    "arrow", "numpy", "ndarray", "memoryview", "iter", "unicode", "str key", "bytes key",
    "jump", "guava", "paper", "memento", "router", "xxh", "hasher",
]  # fmt: skip


def test_the_batch_engine_names_no_input_format_or_algorithm() -> None:
    engine = (PARTS / "engine.pxi").read_text().lower()
    named = [word for word in ENGINE_MUST_NOT_NAME if word in engine]
    assert named == []
    # ...and the parts that are input formats or algorithms are rooms of
    # their own, which the engine's subclasses live in.
    for part in ("iterable.pxi", "buffer.pxi", "arrow.pxi", "memento.pxi"):
        assert (PARTS / part).exists(), part
    assert "(_KeySource)" in (PARTS / "buffer.pxi").read_text()
    assert "(_KeySource)" in (PARTS / "arrow.pxi").read_text()
    assert "(_After)" in (PARTS / "memento.pxi").read_text()


def test_the_compiled_face_only_includes_its_parts() -> None:
    face = (SOURCE / "_jump.pyx").read_text()
    included = re.findall(r'^include "_cy/([a-z_]+\.pxi)"', face, flags=re.M)
    assert sorted(included) == sorted(p.name for p in PARTS.glob("*.pxi"))
    defines = re.findall(r"^(?:def|cdef|cpdef|class|@)\S*", face, flags=re.M)
    assert defines == []


def package_sources(*patterns: str) -> list[Path]:
    return sorted(p for pattern in patterns for p in SOURCE.rglob(pattern))


def literal_strings(path: Path) -> list[str]:
    if path.suffix == ".py":
        return [
            node.value
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
    return re.findall(r'"([^"\\\n]*)"', path.read_text())


def test_hasher_names_are_spelled_in_one_table() -> None:
    from rvh_stable import _rules

    # The table; and the pure hashers, which are its names' functions.  The
    # default's name is also every signature's default value (hasher="xxh64").
    named_by_the_table = {SOURCE / "_rules" / "hashers.py", SOURCE / "_hashers.py"}
    others = [name for name in _rules.HASHERS if name != _rules.DEFAULT_HASHER]
    spelled = {
        path.relative_to(SOURCE).as_posix()
        for path in package_sources("*.py", "*.pyx", "*.pxi")
        if path not in named_by_the_table
        for text in literal_strings(path)
        if any(re.search(rf"\b{name}\b", text) for name in others)
    }
    assert spelled == set()
    # The C table is looked up by these names, and holds no other.
    c_names = set(re.findall(r'\{\s*"([a-z0-9_]+)"', (SOURCE / "_c" / "hashers.h").read_text()))
    assert c_names == set(_rules.HASHERS)


def test_arrow_types_are_spelled_in_one_table() -> None:
    # The tell-tales of a list of Arrow formats written out again: a view
    # type's format, or two string/binary formats side by side.
    pattern = re.compile(r"""(["'])v[uz]\1|(["'])[uUzZ]\2,\s*(["'])[uUzZ]\3""")
    table = SOURCE / "_rules" / "arrow.py"
    assert pattern.search(table.read_text())
    spelled = [
        path.relative_to(SOURCE).as_posix()
        for path in package_sources("*.py", "*.pyx", "*.pxi")
        if path != table and pattern.search(path.read_text())
    ]
    assert spelled == []


#: A room this big has no seams left inside: split it by capability.
MAX_LINES = {".py": 600, ".pyx": 600, ".pxi": 600, ".h": 350}


def test_no_room_of_the_package_is_too_big() -> None:
    sizes = {
        path.relative_to(SOURCE).as_posix(): len(path.read_text().splitlines())
        for path in package_sources(*(f"*{suffix}" for suffix in MAX_LINES))
    }
    too_big = {name: lines for name, lines in sizes.items() if lines > MAX_LINES[Path(name).suffix]}
    assert len(sizes) > 20
    assert too_big == {}
