"""Rules and error messages shared by both cores.

Both cores (the compiled ``_jump`` and the pure-Python ``stable``) call into
this module for everything that is *not* on the hot path: building error
messages, resolving ``threads`` and classifying a buffer's format.  Keeping it
in one place is what makes the two cores raise the same exceptions with the
same words.
"""

from __future__ import annotations

import operator
import os
import sys
from typing import NamedTuple, NoReturn, TypeVar

#: Largest accepted bucket count.  The paper's function returns an ``int32_t``
#: and its loop compares ``j`` against it, so 2**31-1 is the natural bound; it
#: is also the largest value Java's ``int`` and Go's ``int32`` callers can pass.
MAX_BUCKETS = 2**31 - 1

#: Integer keys are accepted in ``[KEY_MIN, KEY_LIMIT)``: every int64 and every
#: uint64.  Negative keys are used as their two's complement.
KEY_MIN = -(2**63)
KEY_LIMIT = 2**64

#: A batch on an array is split across threads only in chunks of at least this
#: many keys; below it the cost of starting a thread (~50 us) outweighs the work.
MIN_KEYS_PER_THREAD = 1 << 16

_NATIVE_BIG = sys.byteorder == "big"
_BIG_ENDIAN_PREFIX = {"@": _NATIVE_BIG, "=": _NATIVE_BIG, "<": False, ">": True, "!": True}

_KEY_KINDS = "an int, str, bytes, bytearray or memoryview"

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


class HasherSpec(NamedTuple):
    """One row of :data:`HASHER_TABLE`: what a ``hasher=`` name is."""

    #: The seeds it takes, as ``[low, high)``, or None for a hasher without one.
    seeds: tuple[int, int] | None
    #: Where its answers come from, for help texts ("Guava's", "Go's hash/fnv").
    origin: str
    #: Its seeds in words, for help texts ("0 to 2**64-1"); "" without a seed.
    seed_words: str


#: The key hashers ``hasher=`` names: the one list of them.  Both cores, the
#: command line's ``--hasher`` (its choices and help) and the tests read it;
#: each C function is looked up in ``_c/hashers.h``'s table by this name.
#: The first is the default: XXH64 with seed 0.  Integer keys never go
#: through a hasher.
HASHER_TABLE: dict[str, HasherSpec] = {
    "xxh64": HasherSpec((0, 2**64), "XXH64, the default", "0 to 2**64-1 (default 0)"),
    # a Java int, as Guava's murmur3_128(int seed)
    "murmur3_128": HasherSpec((-(2**31), 2**31), "Guava's", "a Java int (default 0)"),
    "fnv1a_64": HasherSpec(None, "Go's hash/fnv", ""),
    "fnv1_64": HasherSpec(None, "Go's hash/fnv", ""),
    "crc64_xz": HasherSpec(None, "Go's hash/crc64, ECMA table", ""),
    "crc32": HasherSpec(None, "Go's hash/crc32, IEEE", ""),
}
HASHER_SEEDS: dict[str, tuple[int, int] | None] = {
    name: spec.seeds for name, spec in HASHER_TABLE.items()
}
HASHERS = tuple(HASHER_TABLE)
DEFAULT_HASHER = HASHERS[0]

_SEED_TEXT = {0: "0", 2**64: "2**64", -(2**31): "-2**31", 2**31: "2**31"}


def resolve_hasher(hasher: object, seed: object) -> tuple[str, int]:
    """``(hasher, seed)`` checked: the hasher's name and the seed as an int
    (0 where none was given).  Raises TypeError or ValueError naming the
    argument and what it may be."""
    names = ", ".join(repr(name) for name in HASHERS)
    if not isinstance(hasher, str):
        raise TypeError(f"hasher must be a str, one of {names}, got {type(hasher).__name__}")
    if hasher not in HASHER_SEEDS:
        raise ValueError(f"hasher must be one of {names}, got {hasher!r}")
    bounds = HASHER_SEEDS[hasher]
    if seed is None:
        return hasher, 0
    if bounds is None:
        raise ValueError(f"seed: the {hasher} hasher takes no seed, got seed={seed!r}")
    value = as_int(seed)
    if value is None:
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    low, high = bounds
    if not low <= value < high:
        raise ValueError(
            f"seed must be an int in [{_SEED_TEXT[low]}, {_SEED_TEXT[high]}) for the {hasher} "
            f"hasher, got {_show_int(value)}"
        )
    return hasher, value


#: The loops ``variant=`` names: the paper's (the default), or Guava's
#: ``Hashing.consistentHash``, which differs on rare keys.
VARIANTS = ("paper", "guava")


def is_guava(variant: object) -> bool:
    """``variant=`` checked: True for Guava's loop, False for the paper's."""
    names = ", ".join(repr(name) for name in VARIANTS)
    if not isinstance(variant, str):
        raise TypeError(f"variant must be a str, one of {names}, got {type(variant).__name__}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {names}, got {variant!r}")
    return variant == "guava"


def _prefix(index: int) -> str:
    return "" if index < 0 else f"keys[{index}]: "


def _show_int(value: int) -> str:
    # str() of an int above 4300 digits raises its own ValueError on modern
    # Pythons, so very large values are described by their size instead.
    if value.bit_length() > 256:
        sign = "-" if value < 0 else ""
        return f"{sign}<an int of {value.bit_length()} bits>"
    return str(value)


_E = TypeVar("_E", bound=Exception)


def _placed(exc: _E, index: int, key: object) -> _E:
    """An error about ``keys[index]`` of a batch carries its place.

    It keeps its class (ValueError or TypeError) and its "keys[i]: "
    message, and gains ``.index`` (i) and ``.key`` (the element as given),
    so that a caller can find the bad element without parsing the message.
    Errors about a single key (index < 0) have neither attribute.
    """
    if index >= 0:
        exc.index = index  # type: ignore[attr-defined]
        exc.key = key  # type: ignore[attr-defined]
    return exc


def raise_key_type(key: object, index: int = -1) -> NoReturn:
    raise _placed(
        TypeError(f"{_prefix(index)}key must be {_KEY_KINDS}, got {type(key).__name__}"),
        index,
        key,
    )


def raise_key_range(value: int, index: int = -1, key: object = None) -> NoReturn:
    """``value`` is out of range; ``key`` is the element it came from, if not itself."""
    raise _placed(
        ValueError(
            f"{_prefix(index)}key must be an int in [-2**63, 2**64), got {_show_int(value)}"
        ),
        index,
        value if key is None else key,
    )


def raise_key_empty(key: object, index: int = -1) -> NoReturn:
    raise _placed(
        ValueError(f"{_prefix(index)}key must not be empty, got an empty {type(key).__name__}"),
        index,
        key,
    )


def raise_key_encoding(exc: UnicodeEncodeError, index: int = -1, key: object = None) -> NoReturn:
    raise _placed(
        ValueError(
            f"{_prefix(index)}key str must be encodable as UTF-8, got one with "
            f"{exc.reason} at position {exc.start}"
        ),
        index,
        exc.object if key is None else key,
    ) from exc


def is_bool(value: object) -> bool:
    """True for ``bool`` and for NumPy's bool scalar.

    Older NumPy releases (2.2 among them) let ``numpy.bool_`` act as an index (with a
    DeprecationWarning); it is refused here on every NumPy version alike.
    """
    cls = type(value)
    return isinstance(value, bool) or (
        cls.__module__ == "numpy" and cls.__name__ in ("bool", "bool_")
    )


def as_int(value: object) -> int | None:
    """``value`` as an int if it is one (or has ``__index__``), None otherwise.

    A bool is not an int here: ``True`` as a key or a count is a bug.
    """
    if is_bool(value) or not hasattr(type(value), "__index__"):
        return None
    return operator.index(value)  # type: ignore[arg-type]


def check_buckets(num_buckets: object) -> int:
    """Return ``num_buckets`` as an int, or raise TypeError/ValueError."""
    value = as_int(num_buckets)
    if value is None:
        raise TypeError(f"num_buckets must be an int, got {type(num_buckets).__name__}")
    if not 1 <= value <= MAX_BUCKETS:
        raise ValueError(f"num_buckets must be in [1, 2**31-1], got {_show_int(value)}")
    return value


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

    A str/bytes/bytearray is one key, not a batch.  A NumPy masked array
    would be read without its mask, so masked-out keys would be hashed as if
    they were there.
    """
    if isinstance(keys, (str, bytes, bytearray)):
        raise TypeError(
            f"keys must be a collection of keys, got a single {type(keys).__name__}; "
            "use jump_hash() for one key, or wrap it in a list"
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


def raise_index_failed(exc: Exception, index: int, key: object) -> NoReturn:
    """A batch element's own ``__index__`` raised TypeError or ValueError: the
    same error, named by its place like every other element's error."""
    kind = ValueError if isinstance(exc, ValueError) else TypeError
    raise _placed(kind(f"{_prefix(index)}{exc}"), index, key) from exc


def raise_data_type(data: object) -> NoReturn:
    raise TypeError(f"data must be a bytes-like object, got {type(data).__name__}")


def raise_keys_ndim(ndim: int) -> NoReturn:
    raise TypeError(
        f"keys array must have 1 dimension (NumPy arrays: 1 or more), got {ndim} dimensions"
    )


def checkpoint() -> None:
    """Nothing, in Python bytecode: the compiled core calls it between blocks of
    a long batch that holds the GIL, so that the interpreter runs the signal
    handlers and hands the GIL over there, as it does in any Python loop."""


def requested_kernel(names: list[str], usable: list[str]) -> str | None:
    """The batch kernel RVH_STABLE_KERNEL names, or None when it is unset or empty.

    ``names`` are every kernel the compiled core knows, ``usable`` those this
    build and CPU can run.  A name that is neither, or a kernel that cannot
    run here, is an error: the core never falls back to another kernel
    without being asked.
    """
    name = os.environ.get("RVH_STABLE_KERNEL", "")
    if not name:
        return None
    if name not in names:
        raise ValueError(
            f"RVH_STABLE_KERNEL must be one of {', '.join(names)} (or unset: the fastest "
            f"here), got {name!r}"
        )
    if name not in usable:
        raise ValueError(
            f"RVH_STABLE_KERNEL={name}: this build or this CPU cannot run the {name} kernel; "
            f"it can run {', '.join(usable)} (or unset RVH_STABLE_KERNEL: the fastest here)"
        )
    return name


# --- MementoHash tables (the lookups of rvh_stable.Router) ---------------------


def check_memento(size: object, replacers: object, names: object) -> tuple[int, dict[int, int]]:
    """The arguments of a core's ``MementoTable``, checked: ``(size, replacers)``.

    ``size`` is the bucket array's size, an int in ``[0, MAX_BUCKETS]``;
    ``replacers`` maps each removed bucket to its replacer, both ints in
    ``[0, size)``; ``names`` is a tuple of ``size`` entries, a str for each
    working bucket and None for each removed one.  rvh_stable.Router builds
    these; a table that breaks them would send keys nowhere, so both cores
    refuse it.
    """
    if type(size) is not int or not 0 <= size <= MAX_BUCKETS:
        raise ValueError(f"size must be an int in [0, {MAX_BUCKETS}], got {size!r}")
    if not isinstance(replacers, dict):
        raise TypeError(f"replacers must be a dict, got {type(replacers).__name__}")
    if type(names) is not tuple or len(names) != size:
        raise ValueError(f"names must be a tuple of size ({size}) entries")
    table: dict[int, int] = {}
    for bucket, replacer in replacers.items():
        if type(bucket) is not int or type(replacer) is not int:
            raise TypeError("replacers must map int buckets to int replacers")
        if not (0 <= bucket < size and 0 <= replacer < size):
            raise ValueError(
                f"replacers: bucket {bucket} -> {replacer} is outside [0, size={size})"
            )
        table[bucket] = replacer
    # Memento gives the k-th removed bucket the replacer size - k (the buckets
    # then working, minus one), and never gives the first one size - 1 (that
    # is a plain shrink of the array): any such table comes from a history of
    # removals, whose lookups end.
    if sorted(table.values()) != list(range(size - len(table), size)) or (
        table and table.get(size - 1) == size - 1
    ):
        raise ValueError("replacers: not the replacers of a history of removals")
    for bucket, name in enumerate(names):
        removed = bucket in table
        if removed != (name is None) or not (name is None or type(name) is str):
            raise ValueError(
                f"names[{bucket}] must be None for a removed bucket and a str for a working one"
            )
    return size, table


def raise_no_nodes() -> NoReturn:
    raise LookupError("the router has no nodes: add one before looking a key up")


# --- Arrow input (the PyCapsule interface) -----------------------------------------


class ArrowKeyType(NamedTuple):
    """One row of :data:`ARROW_KEY_TYPES`: how keys of an Arrow type are laid out."""

    #: Arrow's name for the type.
    name: str
    #: "int": fixed-width integers; "bytes": int32 offsets and data;
    #: "large": int64 offsets and data; "view": 16-byte views and data buffers.
    layout: str
    #: An integer's width in bytes (0 for the others), and whether it is signed.
    width: int
    signed: bool
    #: The keys are strings (their UTF-8 is hashed as a str key's), not binaries.
    text: bool


#: The Arrow key types both cores read, by format string: the one list of
#: them.  Both cores and the error that refuses other types read it; a
#: dictionary's indices must be of an "int" layout and its values of any.
ARROW_KEY_TYPES: dict[str, ArrowKeyType] = {
    "c": ArrowKeyType("int8", "int", 1, True, False),
    "C": ArrowKeyType("uint8", "int", 1, False, False),
    "s": ArrowKeyType("int16", "int", 2, True, False),
    "S": ArrowKeyType("uint16", "int", 2, False, False),
    "i": ArrowKeyType("int32", "int", 4, True, False),
    "I": ArrowKeyType("uint32", "int", 4, False, False),
    "l": ArrowKeyType("int64", "int", 8, True, False),
    "L": ArrowKeyType("uint64", "int", 8, False, False),
    "u": ArrowKeyType("utf8", "bytes", 0, False, True),
    "U": ArrowKeyType("large_utf8", "large", 0, False, True),
    "vu": ArrowKeyType("utf8_view", "view", 0, False, True),
    "z": ArrowKeyType("binary", "bytes", 0, False, False),
    "Z": ArrowKeyType("large_binary", "large", 0, False, False),
    "vz": ArrowKeyType("binary_view", "view", 0, False, False),
}

#: Names of other common Arrow formats, for the error that refuses them.
_ARROW_OTHER_TYPES = {
    "n": "null", "b": "bool", "e": "halffloat", "f": "float", "g": "double",
    "tdD": "date32", "tdm": "date64", "tts": "time32[s]", "ttm": "time32[ms]",
    "ttu": "time64[us]", "ttn": "time64[ns]", "+l": "list", "+L": "large_list",
    "+s": "struct", "+m": "map", "+vl": "list_view",
}  # fmt: skip


def arrow_type_name(fmt: str) -> str:
    """A readable name for an Arrow format string."""
    if fmt in ARROW_KEY_TYPES:
        return ARROW_KEY_TYPES[fmt].name
    if fmt in _ARROW_OTHER_TYPES:
        return _ARROW_OTHER_TYPES[fmt]
    for prefix, name in (("ts", "timestamp"), ("tD", "duration"), ("d:", "decimal"),
                         ("w:", "fixed_size_binary"), ("+w:", "fixed_size_list")):  # fmt: skip
        if fmt.startswith(prefix):
            return name
    return f"format {fmt!r}"


def is_arrow(keys: object) -> bool:
    """Whether ``keys`` is read through the Arrow PyCapsule interface: it has
    ``__arrow_c_stream__`` or ``__arrow_c_array__``, and is not a NumPy array or
    a pandas object of a NumPy or object dtype (those keep their own paths)."""
    kind = type(keys)
    if not (hasattr(kind, "__arrow_c_stream__") or hasattr(kind, "__arrow_c_array__")):
        return False
    if kind.__module__.split(".")[0] == "pandas":
        numpy = sys.modules.get("numpy")
        dtype = getattr(keys, "dtype", None)
        if dtype is None or (numpy is not None and isinstance(dtype, numpy.dtype)):
            return False
    return True


def arrow_key_type(fmt: str, value_fmt: str | None = None) -> ArrowKeyType:
    """The row of ``fmt`` (of ``value_fmt``, the values, for a dictionary,
    whose indices ``fmt`` must be integers); TypeError for any other type."""
    if value_fmt is not None:
        if ARROW_KEY_TYPES.get(fmt, _NOT_INT).layout != "int" or value_fmt not in ARROW_KEY_TYPES:
            raise_arrow_type(fmt, value_fmt)
        return ARROW_KEY_TYPES[value_fmt]
    if fmt not in ARROW_KEY_TYPES:
        raise_arrow_type(fmt)
    return ARROW_KEY_TYPES[fmt]


_NOT_INT = ArrowKeyType("", "", 0, False, False)


def _arrow_types_in_words() -> str:
    """ARROW_KEY_TYPES in words: '(large_)utf8, utf8_view, ..., int8 to int64 or
    uint8 to uint64'."""
    names = [t.name for t in ARROW_KEY_TYPES.values() if t.layout != "int"]
    for large in [n for n in names if n.startswith("large_")]:
        names.remove(large)
        names[names.index(large[len("large_") :])] = "(large_)" + large[len("large_") :]
    ints = [t for t in ARROW_KEY_TYPES.values() if t.layout == "int"]
    ranges = [
        f"{kind[0].name} to {kind[-1].name}"
        for kind in ([t for t in ints if t.signed], [t for t in ints if not t.signed])
    ]
    return ", ".join([*names, ranges[0]]) + " or " + ranges[1]


_ARROW_TYPES_IN_WORDS = _arrow_types_in_words()


def raise_arrow_type(fmt: str, value_fmt: str | None = None) -> NoReturn:
    shown = arrow_type_name(fmt)
    if value_fmt is not None:
        shown = f"dictionary<values={arrow_type_name(value_fmt)}, indices={shown}>"
    raise TypeError(
        f"keys: Arrow type {shown} cannot be hashed; Arrow keys must be "
        f"{_ARROW_TYPES_IN_WORDS}, or a dictionary of one of them"
    )


def raise_key_null(index: int) -> NoReturn:
    raise _placed(
        ValueError(f"keys[{index}]: a null key (Arrow null, None) cannot be hashed"), index, None
    )


def raise_arrow_failed(what: str) -> NoReturn:
    raise ValueError(f"keys: the Arrow producer failed: {what}")
