"""rvh_stable: stable Jump Consistent Hash for Python.

Maps keys to shards with Lamping and Veach's Jump Consistent Hash, bit-exact
with the paper's C++ reference for integer keys and identical in every
process, platform and Python version for string keys (XXH64 of their UTF-8
bytes; Python's randomized ``hash()`` is never used).

The compiled core (``rvh_stable._jump``) is used when it is installed;
otherwise, or when ``RVH_STABLE_NO_EXTENSIONS=1`` is set in the environment
at import time, the pure-Python twin (``rvh_stable.stable``) is.
``IMPLEMENTATION`` says which one runs: ``"cython"`` or ``"python"``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stable import IMPLEMENTATION, MAX_BUCKETS, hash_key, jump_hash, jump_hash_many, xxh64
elif os.environ.get("RVH_STABLE_NO_EXTENSIONS", "") not in ("", "0"):
    from .stable import IMPLEMENTATION, MAX_BUCKETS, hash_key, jump_hash, jump_hash_many, xxh64
else:
    try:
        from ._jump import IMPLEMENTATION, MAX_BUCKETS, hash_key, jump_hash, jump_hash_many, xxh64
    except ImportError:
        from .stable import (
            IMPLEMENTATION,
            MAX_BUCKETS,
            hash_key,
            jump_hash,
            jump_hash_many,
            xxh64,
        )

from ._version import __version__

__all__ = [
    "IMPLEMENTATION",
    "MAX_BUCKETS",
    "__version__",
    "hash_key",
    "jump_hash",
    "jump_hash_many",
    "xxh64",
]
