"""The shape the package keeps: plain C headers, one core selector, data flowing down.

- Every header under rvh_stable/_c/ but the CPython glue is plain C: it
  compiles alone as C99 with every warning an error, and never includes
  Python.h.  The glue is the headers of _c/py/: they are the only ones that
  include Python.h, no plain header includes one of them, and they compile
  alone too, with Python.h.
- A header names the headers it includes relative to itself, so that no
  build needs an -I flag to find them; none is above 350 lines.
- Compilers and CPUs are told apart in _c/platform.h alone: no other header
  tests a compiler or an architecture, or spells an attribute or a CPU probe.
- No module of the package imports the package face (rvh_stable/__init__.py)
  back, and only rvh_stable/_core.py reads RVH_STABLE_NO_EXTENSIONS.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

import rvh_stable

SOURCE = Path(__file__).resolve().parent.parent / "rvh_stable"
C_DIR = SOURCE / "_c"
HEADERS = sorted(C_DIR.rglob("*.h"))
GLUE_DIR = C_DIR / "py"
PLATFORM = C_DIR / "platform.h"
MAX_HEADER_LINES = 350
STRICT_C99 = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-fsyntax-only"]
QUOTED_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
# What only platform.h may say: compiler and architecture tests, attribute
# and inlining spellings, pragmas, the CPU probes' instructions.
PLATFORM_WORDS = re.compile(
    r"__GNUC__|__clang__|_MSC_VER|__x86_64__|__aarch64__|_M_X64|_M_AMD64|_M_ARM64|__SSE2__"
    r"|_M_IX86_FP|__attribute__|__declspec|__forceinline|_Pragma|\bcpuid|\bxgetbv"
)

pytestmark = pytest.mark.skipif(not HEADERS, reason="needs the source tree")


def is_glue(header: Path) -> bool:
    return GLUE_DIR in header.parents


def plain_headers() -> list[Path]:
    return [h for h in HEADERS if not is_glue(h)]


def test_only_the_glue_headers_include_python() -> None:
    names = {h.relative_to(C_DIR).as_posix() for h in HEADERS}
    assert {"jump.h", "xxh64.h", "platform.h", "kernels/table.h", "py/fast_entry.h"} <= names
    for header in HEADERS:
        includes_python = "#include <Python.h>" in header.read_text()
        assert includes_python is is_glue(header), header.relative_to(C_DIR)


def test_includes_are_relative_and_plain_headers_never_include_the_glue() -> None:
    checked = 0
    for header in HEADERS:
        for name in QUOTED_INCLUDE.findall(header.read_text()):
            target = (header.parent / name).resolve()
            assert target in HEADERS, (header.relative_to(C_DIR), name)
            assert is_glue(header) or not is_glue(target), (header.relative_to(C_DIR), name)
            checked += 1
    assert checked > 20


def test_no_header_is_too_long() -> None:
    lines = {h.relative_to(C_DIR).as_posix(): len(h.read_text().splitlines()) for h in HEADERS}
    assert {name: n for name, n in lines.items() if n > MAX_HEADER_LINES} == {}


def test_only_platform_h_tells_compilers_and_cpus_apart() -> None:
    assert PLATFORM_WORDS.search(PLATFORM.read_text())
    for header in HEADERS:
        if header != PLATFORM:
            found = PLATFORM_WORDS.findall(header.read_text())
            assert not found, (header.relative_to(C_DIR), found)


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
        assert done.returncode == 0, (header.relative_to(C_DIR), done.stderr)


def test_glue_headers_compile_alone_with_python_h() -> None:
    gcc = shutil.which("gcc")
    python_h = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if gcc is None or not python_h.exists():
        pytest.skip("needs gcc and Python.h")
    glue = [h for h in HEADERS if is_glue(h)]
    assert glue
    for header in glue:
        # -isystem: Python's own headers are not held to these warnings.
        done = subprocess.run(
            [gcc, *STRICT_C99, "-isystem", str(python_h.parent), "-x", "c", str(header)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (header.relative_to(C_DIR), done.stderr)


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
                elif node.module is None and path.parents[node.level - 1] == top:
                    # "from . import x" of the top package: x must be a
                    # submodule (a subpackage's own names, as cli's main, are
                    # not the face).
                    for alias in node.names:
                        assert alias.name in importable_names(top), (path.name, alias.name)
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
