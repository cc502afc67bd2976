"""Rules and error messages shared by both cores, one module per subject.

Both cores (the compiled ``_jump`` and the pure-Python ``stable``) call into
this module for everything that is *not* on the hot path: building error
messages, resolving ``threads`` and classifying a buffer's format.  Keeping it
in one place is what makes the two cores raise the same exceptions with the
same words.

The subjects: ``keys``, ``hashers`` (the table of ``hasher=`` names),
``algorithms`` (``num_buckets``, ``algorithm=``, ``variant=``, the kernel
request),
``batches``, ``arrow`` (the table of Arrow key types) and ``memento``.
Callers use this package's names (``_rules.check_buckets``), never a
module's: a rule can move between modules without a caller changing.
"""

from __future__ import annotations

from .algorithms import (
    ALGORITHM_TABLE,
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    DEFAULT_VARIANT,
    MAX_BUCKETS,
    VARIANT_TABLE,
    VARIANTS,
    check_buckets,
    is_guava,
    pick_loop,
    requested_kernel,
)
from .arrow import (
    ARROW_KEY_TYPES,
    ARROW_MALFORMED,
    ArrowKeyType,
    arrow_key_type,
    arrow_type_name,
    is_arrow,
    raise_arrow_failed,
    raise_arrow_malformed,
    raise_arrow_released,
    raise_arrow_type,
    raise_key_null,
)
from .batches import (
    INT_FORMATS,
    MIN_KEYS_PER_THREAD,
    available_cpus,
    check_keys,
    checkpoint,
    classify_format,
    key_list,
    raise_keys_ndim,
    raise_keys_not_iterable,
    resolve_threads,
)
from .hashers import (
    DEFAULT_HASHER,
    HASHER_SEEDS,
    HASHER_TABLE,
    HASHERS,
    HasherSpec,
    resolve_hasher,
)
from .keys import (
    KEY_LIMIT,
    KEY_MIN,
    as_int,
    is_bool,
    raise_data_type,
    raise_index_failed,
    raise_key_empty,
    raise_key_encoding,
    raise_key_range,
    raise_key_type,
)
from .memento import (
    check_down,
    check_memento,
    raise_all_down,
    raise_no_nodes,
)

__all__ = [
    "ALGORITHMS",
    "ALGORITHM_TABLE",
    "ARROW_KEY_TYPES",
    "ARROW_MALFORMED",
    "DEFAULT_ALGORITHM",
    "DEFAULT_HASHER",
    "DEFAULT_VARIANT",
    "HASHERS",
    "HASHER_SEEDS",
    "HASHER_TABLE",
    "INT_FORMATS",
    "KEY_LIMIT",
    "KEY_MIN",
    "MAX_BUCKETS",
    "MIN_KEYS_PER_THREAD",
    "VARIANTS",
    "VARIANT_TABLE",
    "ArrowKeyType",
    "HasherSpec",
    "arrow_key_type",
    "arrow_type_name",
    "as_int",
    "available_cpus",
    "check_buckets",
    "check_down",
    "check_keys",
    "check_memento",
    "checkpoint",
    "classify_format",
    "is_arrow",
    "is_bool",
    "is_guava",
    "key_list",
    "pick_loop",
    "raise_all_down",
    "raise_arrow_failed",
    "raise_arrow_malformed",
    "raise_arrow_released",
    "raise_arrow_type",
    "raise_data_type",
    "raise_index_failed",
    "raise_key_empty",
    "raise_key_encoding",
    "raise_key_null",
    "raise_key_range",
    "raise_key_type",
    "raise_keys_ndim",
    "raise_keys_not_iterable",
    "raise_no_nodes",
    "requested_kernel",
    "resolve_hasher",
    "resolve_threads",
]
