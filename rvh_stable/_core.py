"""Picks the core, once: the compiled ``rvh_stable._jump`` or the pure twin.

The only reader of ``RVH_STABLE_NO_EXTENSIONS``.  The package face
(``rvh_stable/__init__.py``) and every layer (``aio``, ``cli``) import the
core from here, never from the face, so data flows one way: a layer, then
this module, then the core, then ``_rules`` and the C headers.

* ``RVH_STABLE_NO_EXTENSIONS`` set to anything but "" or "0": the pure core.
* Otherwise the compiled core, or the pure one when it is not installed.
  ``IMPLEMENTATION`` says which runs: ``"cython"`` or ``"python"``.
* A fallback the user did not ask for warns (RuntimeWarning): a compiled
  core that is there but cannot be loaded (an isolated subinterpreter,
  another Python's build), or a source tree without a build shadowing the
  installed package.

The compiled core reads ``RVH_STABLE_KERNEL`` itself, at its import, so that
the kernel is the one asked for however the core is imported.  With the pure
core picked, a kernel request cannot be honoured, and is refused here.
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ._rules import MAX_BUCKETS  # both cores take theirs from here

NO_EXTENSIONS = os.environ.get("RVH_STABLE_NO_EXTENSIONS", "") not in ("", "0")

# core: the core module in use, rvh_stable._jump or rvh_stable.stable.  Type
# checkers see the pure one, whose annotations the compiled one's stubs match.


def _fallback_warning(reason: str) -> None:
    # A RuntimeWarning is shown by default: the package still works (the
    # pure core gives the same answers), but the user asked, by installing
    # it, for the fast one.
    warnings.warn(
        f"rvh_stable: {reason}; using the pure-Python core, which gives the same "
        "answers, much more slowly. Set RVH_STABLE_NO_EXTENSIONS=1 to choose it "
        "without this warning.",
        RuntimeWarning,
        stacklevel=3,
    )


if TYPE_CHECKING or NO_EXTENSIONS:
    from . import stable as core
else:
    try:
        # import_module, not "from . import _jump": that turns a missing
        # module into a plain ImportError, which would read as a failed load.
        core = importlib.import_module(f"{__package__}._jump")
    except ModuleNotFoundError as exc:
        from . import stable as core

        if exc.name != f"{__package__}._jump":
            _fallback_warning(f"the compiled core could not be loaded ({exc})")
        elif (Path(__file__).parent / "_jump.pyx").exists():
            # Installed packages carry no .pyx: this is a source tree on
            # sys.path (the current folder, say) shadowing an installed build.
            _fallback_warning(
                f"imported from the source tree {Path(__file__).parent}, where the "
                "compiled core is not built (run from another folder to import the "
                "installed package, or build it here: pip install -e .)"
            )
        # Otherwise a pure install (PyPy, or built with RVH_STABLE_NO_EXTENSIONS=1).
    except ImportError as exc:
        # Built but not loadable here: an isolated subinterpreter, another
        # Python's build, a missing shared library.
        from . import stable as core

        _fallback_warning(f"the compiled core could not be loaded ({exc})")

__all__ = [
    "IMPLEMENTATION",
    "KERNEL",
    "MAX_BUCKETS",
    "MementoTable",
    "core",
    "hash_key",
    "jump_hash",
    "jump_hash_many",
    "xxh64",
]

IMPLEMENTATION: str = core.IMPLEMENTATION
KERNEL: str = core.KERNEL
MementoTable = core.MementoTable
hash_key = core.hash_key
jump_hash = core.jump_hash
jump_hash_many = core.jump_hash_many
xxh64 = core.xxh64

if IMPLEMENTATION == "python" and os.environ.get("RVH_STABLE_KERNEL", ""):
    raise ValueError(
        f"RVH_STABLE_KERNEL={os.environ['RVH_STABLE_KERNEL']} picks a batch kernel of the "
        "compiled core, but the pure-Python core is in use ("
        + (
            "RVH_STABLE_NO_EXTENSIONS is set"
            if NO_EXTENSIONS
            else "the compiled core, rvh_stable._jump, is not installed"
        )
        + "); unset RVH_STABLE_KERNEL"
    )
