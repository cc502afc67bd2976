"""Picks the core, once: the compiled ``rvh_stable._jump`` or the pure twin.

The only reader of ``RVH_STABLE_NO_EXTENSIONS``.  The package face
(``rvh_stable/__init__.py``) and every layer (``aio``, ``cli``) import the
core from here, never from the face, so data flows one way: a layer, then
this module, then the core, then ``_rules`` and the C headers.

* ``RVH_STABLE_NO_EXTENSIONS`` set to anything but "" or "0": the pure core.
* Otherwise the compiled core, or the pure one when it is not installed.
  ``IMPLEMENTATION`` says which runs: ``"cython"`` or ``"python"``.

The compiled core reads ``RVH_STABLE_KERNEL`` itself, at its import, so that
the kernel is the one asked for however the core is imported.  With the pure
core picked, a kernel request cannot be honoured, and is refused here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ._rules import MAX_BUCKETS  # both cores take theirs from here

NO_EXTENSIONS = os.environ.get("RVH_STABLE_NO_EXTENSIONS", "") not in ("", "0")

# core: the core module in use, rvh_stable._jump or rvh_stable.stable.  Type
# checkers see the pure one, whose annotations the compiled one's stubs match.
if TYPE_CHECKING or NO_EXTENSIONS:
    from . import stable as core
else:
    try:
        from . import _jump as core
    except ImportError:
        from . import stable as core

__all__ = [
    "IMPLEMENTATION",
    "KERNEL",
    "MAX_BUCKETS",
    "core",
    "hash_key",
    "jump_hash",
    "jump_hash_many",
    "xxh64",
]

IMPLEMENTATION: str = core.IMPLEMENTATION
KERNEL: str = core.KERNEL
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
