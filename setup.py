"""Build the optional compiled core, rvh_stable._jump.

Everything else about the package lives in pyproject.toml.  This file only
says what pyproject.toml cannot: the extension, its compiler flags, and what
happens when it cannot be built.

* RVH_STABLE_NO_EXTENSIONS=1 skips the extension: a pure-Python install that
  needs no compiler and never imports Cython.
* Non-CPython interpreters (PyPy, GraalPy) skip it by themselves: there the
  pure-Python core is the fast one.
* Otherwise a failed compile fails the build, with a message that names
  RVH_STABLE_NO_EXTENSIONS=1.  There is no silent fallback: a user who asked
  for the compiled core must not get a slow package without being told.
"""

from __future__ import annotations

import glob
import os
import platform
import struct

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PURE_HINT = (
    "rvh_stable: the compiled core (rvh_stable._jump) failed to build. "
    "Install a C compiler and the Python headers, or set "
    "RVH_STABLE_NO_EXTENSIONS=1 to install the pure-Python core instead."
)


def _wants_extension() -> bool:
    if os.environ.get("RVH_STABLE_NO_EXTENSIONS", "") not in ("", "0"):
        return False
    return platform.python_implementation() == "CPython"


def _is_32bit_x86() -> bool:
    machine = platform.machine().lower()
    return struct.calcsize("P") == 4 and machine in ("i386", "i486", "i586", "i686", "x86")


class BuildExt(build_ext):
    """Set per-compiler flags, and turn a compile failure into a clear error."""

    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "msvc":
            # /fp:precise is MSVC's default and keeps IEEE double semantics;
            # say it anyway so nobody "optimizes" it to /fp:fast.
            flags = ["/O2", "/fp:precise"]
        else:
            # Never -ffast-math: it reorders floating-point operations and
            # changes answers.  -ffp-contract=off forbids fused multiply-add,
            # which would skip a rounding the reference performs.
            flags = ["-O3", "-ffp-contract=off", "-fno-fast-math"]
            if _is_32bit_x86():
                # x87's 80-bit registers round differently from IEEE double.
                flags += ["-msse2", "-mfpmath=sse"]
        for ext in self.extensions:
            ext.extra_compile_args = flags + list(ext.extra_compile_args)
        try:
            super().build_extensions()
        except Exception as exc:
            raise SystemExit(f"{PURE_HINT}\nThe error was: {exc}") from exc


def _extensions() -> list[Extension]:
    if not _wants_extension():
        return []
    from Cython.Build import cythonize

    directives = {"language_level": "3"}
    macros = []
    if os.environ.get("RVH_STABLE_CYTHON_TRACE") == "1":
        directives.update(linetrace=True, binding=True)
        macros = [("CYTHON_TRACE", "1"), ("CYTHON_TRACE_NOGIL", "1")]
    ext = Extension(
        "rvh_stable._jump",
        ["rvh_stable/_jump.pyx"],
        depends=sorted(
            glob.glob("rvh_stable/_c/**/*.h", recursive=True) + glob.glob("rvh_stable/_cy/*.pxi")
        ),
        define_macros=macros,
    )
    return cythonize([ext], compiler_directives=directives)


setup(
    ext_modules=_extensions(),
    cmdclass={"build_ext": BuildExt},
)
