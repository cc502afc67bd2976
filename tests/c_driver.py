"""The C drivers of tests/c/, built with the project's flags, once a session.

Tests get a :class:`CDrivers` from the session fixture ``c_drivers``
(tests/conftest.py) and call :meth:`CDrivers.build` with a driver's file
name and any flags of their own; the first call compiles it, the others
get the same executable.  With no C compiler, or without the source tree
(the headers are not installed with the package), the test is skipped and
says why; a driver that fails to compile fails the test, with the
compiler's errors.

The compiler is ``$CC`` (split like a shell word list), else the first of
gcc, clang and cc on PATH.  The drivers include the package's headers by
name, from the one folder rvh_stable/_c.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
#: The drivers' sources.
SOURCES = HERE / "c"
#: The package's C headers (absent from an installed package).
HEADERS = HERE.parent / "rvh_stable" / "_c"
#: The vector files the drivers read.
DATA = HERE / "data"
SETUP_PY = HERE.parent / "setup.py"

#: setup.py's flags for GCC and clang (BuildExt.build_extensions): IEEE double
#: arithmetic as the reference computes it, no fused multiply-add, no
#: reordering.  test_reference_c.py checks that setup.py still passes them.
PROJECT_CFLAGS = ("-O3", "-ffp-contract=off", "-fno-fast-math")
#: What setup.py adds for 32-bit x86, where x87 registers would round otherwise.
I686_CFLAGS = ("-msse2", "-mfpmath=sse")
#: What every driver is held to: C99 with every warning an error.
STRICT_CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror")


def find_compiler() -> list[str] | None:
    """The C compiler's command: ``$CC``, else gcc, clang or cc; None if none."""
    if os.environ.get("CC", "").strip():
        return shlex.split(os.environ["CC"])
    for name in ("gcc", "clang", "cc"):
        path = shutil.which(name)
        if path is not None:
            return [path]
    return None


class CDrivers:
    """Builds drivers into one folder, each (source, flags) once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.built: dict[tuple[str, tuple[str, ...]], Path] = {}

    def build(
        self,
        source: str,
        *flags: str,
        code: str | None = None,
        shared: bool = False,
        strict: bool = True,
        skip_unless_built: str | None = None,
    ) -> Path:
        """The executable (or, with ``shared``, the shared library) built from
        tests/c/``source``, or from ``code`` saved as ``source`` (a driver of
        its own, which needs no source tree), with
        :data:`PROJECT_CFLAGS`, :data:`STRICT_CFLAGS` unless ``strict`` is
        False, and ``flags`` last (so they may override an earlier one).

        A failed build fails the test, unless ``skip_unless_built`` says why
        this machine may lack what the flags need: then it skips with that
        reason and the compiler's errors.
        """
        if code is None and not HEADERS.exists():
            pytest.skip("needs the source tree (rvh_stable/_c is not installed)")
        compiler = find_compiler()
        if compiler is None:
            pytest.skip("needs a C compiler: $CC, gcc, clang or cc")
        command = [*PROJECT_CFLAGS, *(STRICT_CFLAGS if strict else ()), *flags]
        if shared:
            command += ["-fPIC", "-shared"]
        key = (source if code is None else f"{source}\n{code}", tuple(command))
        if key in self.built:
            return self.built[key]
        if code is None:
            path = SOURCES / source
        else:
            path = self.folder / source
            path.write_text(code)
        include = [f"-I{HEADERS}"] if HEADERS.exists() else []
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:12]
        suffix = ".so" if shared else ".exe" if os.name == "nt" else ""
        output = self.folder / f"{Path(source).stem}_{digest}{suffix}"
        done = subprocess.run(
            [*compiler, *command, *include, str(path), "-o", str(output)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            if skip_unless_built is not None:
                pytest.skip(f"{skip_unless_built}: {done.stderr}")
            pytest.fail(f"{source} did not build:\n{done.stderr}", pytrace=False)
        self.built[key] = output
        return output
