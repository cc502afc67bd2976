"""Batches: what may be a batch of keys, buffer formats, ``threads``, and the
checkpoint a long batch that holds the GIL calls."""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

from .arrow import is_arrow
from .keys import _show_int, as_int

#: A batch on an array is split across threads only in chunks of at least this
#: many keys; below it the cost of starting a thread (~50 us) outweighs the work.
MIN_KEYS_PER_THREAD = 1 << 16

_NATIVE_BIG = sys.byteorder == "big"

_BIG_ENDIAN_PREFIX = {"@": _NATIVE_BIG, "=": _NATIVE_BIG, "<": False, ">": True, "!": True}

#: Buffer format letters (after the byte-order prefix) that hold integers.
INT_FORMATS = frozenset("bBhHiIlLqQnN")

_REJECTED_FORMATS = {
    "?": "bool",
    "e": "float",
    "f": "float",
    "d": "float",
    "g": "float",
    "F": "complex",
    "D": "complex",
    "G": "complex",
    "Zf": "complex",
    "Zd": "complex",
    "Zg": "complex",
}


def resolve_threads(threads: object) -> int:
    """Return the number of threads a batch may use (>= 1).

    More threads than the CPUs this process may run on cannot make the work
    faster, so a larger count is capped to that number: ``threads=10**6``
    must not start a million threads.
    """
    if threads is None:
        return available_cpus()
    value = as_int(threads)
    if value is None:
        raise TypeError(f"threads must be None or an int >= 1, got {type(threads).__name__}")
    if value < 1:
        raise ValueError(f"threads must be None or an int >= 1, got {_show_int(value)}")
    return value if value == 1 else min(value, available_cpus())


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        count = process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


def check_keys(keys: object) -> None:
    """Refuse what must not be taken as a batch of keys.

    A str/bytes/bytearray is one key, not a batch, and so is a pyarrow
    scalar (whose buffer would be read as int8 keys).  A NumPy masked array
    would be read without its mask, so masked-out keys would be hashed as if
    they were there.
    """
    if isinstance(keys, (str, bytes, bytearray)):
        raise TypeError(
            f"keys must be a collection of keys, got a single {type(keys).__name__}; "
            "use jump_hash() for one key, or wrap it in a list"
        )
    pa = sys.modules.get("pyarrow")  # no Arrow scalar exists before it is imported
    if pa is not None and isinstance(keys, pa.Scalar):
        raise TypeError(
            "keys must be a collection of keys, got a single pyarrow scalar "
            f"({type(keys).__name__}); use jump_hash(scalar.as_py()) for one key, "
            "or pass an array"
        )
    ma = sys.modules.get("numpy.ma")  # no masked array exists before it is imported
    if ma is not None and isinstance(keys, ma.MaskedArray):
        raise TypeError(
            "keys must not be a NumPy masked array: its mask would be ignored; "
            "pass keys.compressed() (the unmasked keys) or keys.filled(value)"
        )


def raise_keys_not_iterable(keys: object) -> NoReturn:
    raise TypeError(
        f"keys must be an iterable of keys or an array of integers, got {type(keys).__name__}"
    )


def classify_format(fmt: str, itemsize: int) -> tuple[bool, bool] | None:
    """Classify a buffer's struct format.

    Returns ``(signed, big_endian)`` for an integer format, ``None`` for a
    format whose elements are handled one by one like any other sequence
    (object arrays, NumPy string arrays), and raises TypeError for float,
    complex and bool arrays.
    """
    big_endian = _BIG_ENDIAN_PREFIX.get(fmt[:1])
    if big_endian is None:
        big_endian = _NATIVE_BIG
    else:
        fmt = fmt[1:]
    if fmt in INT_FORMATS:
        if itemsize not in (1, 2, 4, 8):
            raise TypeError(f"keys array must hold 1, 2, 4 or 8-byte integers, got {itemsize}-byte")
        return fmt.islower(), big_endian
    kind = _REJECTED_FORMATS.get(fmt)
    if kind is not None:
        raise TypeError(f"keys array must hold integers, got {kind} (buffer format {fmt!r})")
    return None


def raise_keys_ndim(ndim: int) -> NoReturn:
    raise TypeError(
        f"keys array must have 1 dimension (NumPy arrays: 1 or more), got {ndim} dimensions"
    )


def checkpoint() -> None:
    """Nothing, in Python bytecode: the compiled core calls it between blocks of
    a long batch that holds the GIL, so that the interpreter runs the signal
    handlers and hands the GIL over there, as it does in any Python loop."""


def key_list(keys: object) -> list[Any]:
    """The keys of a batch (anything jump_hash_many takes) as a list of Python
    objects, by position: a list itself, an array's or a Series' elements in
    order (never by label), an Arrow array's values, an iterator read once."""
    check_keys(keys)
    if type(keys) is list:
        return keys
    for method in ("to_pylist", "tolist", "to_list"):  # Arrow, NumPy/pandas/buffers, Polars
        convert = getattr(keys, method, None)
        if callable(convert):
            if method == "tolist" and getattr(keys, "ndim", 1) > 1:
                keys = keys.ravel()  # type: ignore[attr-defined]
                convert = keys.tolist  # type: ignore[attr-defined]
            listed = convert()
            if isinstance(listed, list):
                return listed
    if is_arrow(keys):
        import pyarrow

        return pyarrow.array(keys).to_pylist()  # type: ignore[no-any-return]
    try:
        return list(keys)  # type: ignore[call-overload,no-any-return]
    except TypeError:
        raise_keys_not_iterable(keys)
