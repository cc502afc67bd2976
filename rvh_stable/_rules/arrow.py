"""Arrow input (the PyCapsule interface): the table of key types both cores read,
and the errors about Arrow input."""

from __future__ import annotations

import sys
from typing import NamedTuple, NoReturn

from .keys import _placed


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
        indices = ARROW_KEY_TYPES.get(fmt)
        if indices is None or indices.layout != "int" or value_fmt not in ARROW_KEY_TYPES:
            raise_arrow_type(fmt, value_fmt)
        return ARROW_KEY_TYPES[value_fmt]
    if fmt not in ARROW_KEY_TYPES:
        raise_arrow_type(fmt)
    return ARROW_KEY_TYPES[fmt]


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


def raise_arrow_released(struct: str) -> NoReturn:
    """``struct`` ("ArrowSchema", "ArrowArray", "ArrowArrayStream"), taken
    from a capsule, was released: a consumer moved it out before (a capsule
    holds its struct for one reader), or its producer marked it so."""
    raise ValueError(
        f"keys: the Arrow {struct} was already released (a capsule can be read once): "
        "export the keys again"
    )


#: What is wrong with a malformed Arrow array, by the kind both cores report
#: (``_c/arrow_checks.h``'s RVH_ARROW_BAD_ names, in lower case): the
#: interface gives buffers without their sizes, so a producer's bad offsets,
#: views or indices are caught where the key is read.
ARROW_MALFORMED: dict[str, str] = {
    "backwards": "the Arrow array's offsets go backwards",
    "outside": "the Arrow array's offsets point outside its data",
    "view": "the Arrow array's view points outside its data buffers",
    "index": "the Arrow array's dictionary index is out of range",
}


def raise_arrow_malformed(index: int, problem: str) -> NoReturn:
    """keys[index] cannot be read: ``problem`` is a key of ARROW_MALFORMED."""
    raise _placed(
        ValueError(f"keys[{index}]: {ARROW_MALFORMED[problem]} (malformed array)"), index, None
    )
