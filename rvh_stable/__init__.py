"""rvh_stable: stable Jump Consistent Hash for Python.

Maps keys to shards with Lamping and Veach's Jump Consistent Hash, bit-exact
with the paper's C++ reference for integer keys and identical in every
process, platform and Python version for string keys (XXH64 of their UTF-8
bytes; Python's randomized ``hash()`` is never used).

The compiled core (``rvh_stable._jump``) is used when it is installed;
otherwise, or when ``RVH_STABLE_NO_EXTENSIONS=1`` is set in the environment
at import time, the pure-Python twin (``rvh_stable.stable``) is.
``IMPLEMENTATION`` says which one runs: ``"cython"`` or ``"python"``, and
``KERNEL`` which batch kernel (``RVH_STABLE_KERNEL`` picks one).  The choice
is made once, in ``rvh_stable._core``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._core import (
    IMPLEMENTATION,
    KERNEL,
    MAX_BUCKETS,
    hash_key,
    jump_hash,
    jump_hash_many,
    xxh64,
)
from ._version import __version__

if TYPE_CHECKING:
    from .aio import async_jump_hash, async_jump_hash_many, jump_hash_async
    from .cli import main
    from .planning import Plan, plan
    from .router import Router

# The layers (asyncio, the command line, the router and plans) are imported
# on first use, not here: asyncio alone takes ~30 ms to import, and a
# program that only hashes keys should not pay for the others.
_LAZY = {
    "async_jump_hash": "aio",
    "jump_hash_async": "aio",
    "async_jump_hash_many": "aio",
    "main": "cli",
    "Router": "router",
    "Plan": "planning",
    "plan": "planning",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "IMPLEMENTATION",
    "KERNEL",
    "MAX_BUCKETS",
    "Plan",
    "Router",
    "__version__",
    "async_jump_hash",
    "async_jump_hash_many",
    "hash_key",
    "jump_hash",
    "jump_hash_async",
    "jump_hash_many",
    "main",
    "plan",
    "xxh64",
]
