"""Arrow arrays as Python values, for the pure core: the readable form of
``_c/arrow.h``.

An object that exports the Arrow PyCapsule interface (``__arrow_c_stream__``
or ``__arrow_c_array__``: pyarrow arrays, Polars series, Arrow-backed pandas
series) hands over C structs (the Arrow C data interface); this module reads
them with ctypes, so the pure core needs neither pyarrow nor a compiler.
Every key type the compiled core reads is read here to the Python value the
same key would be given as: an int, a str (utf8 types), bytes (binary types
and a utf8 key that is not valid UTF-8: its bytes are the key, as they are
for the compiled core), or None for a null.  Dictionary-encoded arrays are
decoded.  A key a malformed array puts outside its buffers is a
:class:`Malformed`, checked as ``_c/arrow_checks.h`` checks it, before any
read: the interface gives no buffer sizes, so an unchecked read could crash.
"""

from __future__ import annotations

import ctypes
from typing import Any

from . import _rules

__all__ = ["Malformed", "check_key", "read_keys"]


class _Schema(ctypes.Structure):
    pass


_Schema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_void_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.POINTER(_Schema)),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]


class _Array(ctypes.Structure):
    pass


_Array._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.POINTER(_Array)),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]


class _Stream(ctypes.Structure):
    pass


_GET_SCHEMA = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_Stream), ctypes.POINTER(_Schema))
_GET_NEXT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_Stream), ctypes.POINTER(_Array))
_GET_ERROR = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.POINTER(_Stream))
_Stream._fields_ = [
    ("get_schema", _GET_SCHEMA),
    ("get_next", _GET_NEXT),
    ("get_last_error", _GET_ERROR),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
]

_RELEASE_SCHEMA = ctypes.CFUNCTYPE(None, ctypes.POINTER(_Schema))
_RELEASE_ARRAY = ctypes.CFUNCTYPE(None, ctypes.POINTER(_Array))
_RELEASE_STREAM = ctypes.CFUNCTYPE(None, ctypes.POINTER(_Stream))

_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


_STRUCT_NAMES = {_Schema: "ArrowSchema", _Array: "ArrowArray", _Stream: "ArrowArrayStream"}


def _moved(capsule: object, name: bytes, kind: type[ctypes.Structure]) -> Any:
    """The struct in ``capsule``, moved out of it (the capsule's copy is
    marked released, as the interface's consumers do); ValueError when it was
    released already (read before: its memory may be freed)."""
    source = kind.from_address(_capsule_pointer(capsule, name))
    if not source.release:
        _rules.raise_arrow_released(_STRUCT_NAMES[kind])
    mine = kind()
    ctypes.pointer(mine)[0] = source
    source.release = None
    return mine


def _release(struct: Any, kind: Any) -> None:
    if struct.release:
        kind(struct.release)(ctypes.byref(struct))


class Malformed:
    """A key that a malformed array puts outside its buffers (never read):
    ``problem`` is a key of ``_rules.ARROW_MALFORMED``."""

    __slots__ = ("problem",)

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def __repr__(self) -> str:
        return f"Malformed({self.problem!r})"


def check_key(key: object, index: int) -> None:
    """ValueError for keys[index] of :func:`read_keys` that is no key: a null
    or a :class:`Malformed` one."""
    if key is None:
        _rules.raise_key_null(index)
    if isinstance(key, Malformed):
        _rules.raise_arrow_malformed(index, key.problem)


_BACKWARDS, _OUTSIDE, _VIEW, _INDEX = (
    Malformed(p) for p in ("backwards", "outside", "view", "index")
)


def _string_at(address: int, size: int) -> bytes:
    return ctypes.string_at(address, size) if size else b""


def _lacks_buffers(array: Any, layout: str) -> bool:
    """Whether ``array`` lacks a buffer its layout reads (as
    rvh_arrow_column_init says)."""
    needed = 2 if layout == "int" else 3
    if array.n_buffers < needed or not array.buffers:
        return True
    return array.length > 0 and not array.buffers[1]


def _offsets_reader(array: Any, kind: _rules.ArrowKeyType) -> Any:
    """A function of element j (offset included): its bytes, or a Malformed
    when its offsets are not within ``low <= start <= end <= high``, the
    bounds of the array's range (arrow_checks.h: rvh_arrow_range_bad)."""
    width = ctypes.c_int32 if kind.layout == "bytes" else ctypes.c_int64
    size, offsets, data = ctypes.sizeof(width), array.buffers[1], array.buffers[2]

    def offset(j: int) -> int:
        return int(width.from_address(offsets + j * size).value)

    low, high = 0, 0
    if array.length > 0:
        low = max(offset(array.offset), 0)
        high = offset(array.offset + array.length) if data else 0

    def read(j: int) -> bytes | Malformed:
        start, end = offset(j), offset(j + 1)
        if start > end:
            return _BACKWARDS
        if start < low or end > high:
            return _OUTSIDE
        return _string_at(data + start, end - start)

    return read


def _views_reader(array: Any) -> Any:
    """As _offsets_reader, for views: a view's bytes are within its data
    buffer's size, the array's last buffer (rvh_arrow_view_bad)."""
    buffers, n_data = array.buffers, array.n_buffers - 3
    sizes = buffers[array.n_buffers - 1]

    def read(j: int) -> bytes | Malformed:
        view = buffers[1] + 16 * j
        length, which, at = (ctypes.c_int32.from_address(view + k).value for k in (0, 8, 12))
        if length < 0:
            return _VIEW
        if length <= 12:
            return _string_at(view + 4, length)
        if not (0 <= which < n_data and at >= 0 and buffers[2 + which]):
            return _VIEW
        if at + length > ctypes.c_int64.from_address(sizes + 8 * which).value:
            return _VIEW
        return _string_at(buffers[2 + which] + at, length)

    return read


def _as_text(data: bytes) -> str | bytes:
    """A utf8 key's value: its str, or its bytes when they are not UTF-8
    (hashed as they are, as the compiled core hashes them)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _values(
    array: Any, kind: _rules.ArrowKeyType, dictionary_values: list[Any] | None
) -> list[Any]:
    """The keys of one array of type ``kind``; with ``dictionary_values``,
    ``kind`` is its indices' type."""
    length, offset = array.length, array.offset
    if _lacks_buffers(array, kind.layout):
        _rules.raise_arrow_failed("an array lacks its buffers")
    buffers = array.buffers
    validity = buffers[0] if array.null_count != 0 else None

    def valid(i: int) -> bool:
        if not validity:
            return True
        bit = offset + i
        return bool((ctypes.c_uint8.from_address(validity + (bit >> 3)).value >> (bit & 7)) & 1)

    if dictionary_values is not None:  # dictionary indices
        indices = _ints(buffers[1], offset, length, kind.width, kind.signed)
        entries = dictionary_values

        def entry(i: int) -> Any:  # a negative index is out of range too, as in C
            if not valid(i):
                return None
            return entries[indices[i]] if 0 <= indices[i] < len(entries) else _INDEX

        return [entry(i) for i in range(length)]
    if kind.layout == "int":
        values = _ints(buffers[1], offset, length, kind.width, kind.signed)
        return [values[i] if valid(i) else None for i in range(length)]
    read = _views_reader(array) if kind.layout == "view" else _offsets_reader(array, kind)
    found: list[Any] = []
    for i in range(length):
        data = read(offset + i) if valid(i) else None
        if kind.text and isinstance(data, bytes):
            found.append(_as_text(data))
        else:
            found.append(data)
    return found


def _ints(address: int, offset: int, length: int, size: int, signed: bool) -> list[int]:
    if not length:
        return []
    data = _string_at(address + offset * size, length * size)
    return [
        int.from_bytes(data[k : k + size], "little", signed=signed)
        for k in range(0, len(data), size)
    ]


def _checked_types(schema: Any) -> tuple[_rules.ArrowKeyType, _rules.ArrowKeyType | None]:
    """The type of the keys, and of a dictionary's indices (None without one)."""
    fmt = schema.format.decode("utf-8")
    if schema.dictionary:
        value_fmt = schema.dictionary.contents.format.decode("utf-8")
        return _rules.arrow_key_type(fmt, value_fmt), _rules.ARROW_KEY_TYPES[fmt]
    return _rules.arrow_key_type(fmt), None


def _array_values(array: Any, schema: Any) -> list[Any]:
    kind, indices = _checked_types(schema)
    if indices is None:
        return _values(array, kind, None)
    if not array.dictionary:
        _rules.raise_arrow_failed("a dictionary array lacks its dictionary")
    return _values(array, indices, _values(array.dictionary.contents, kind, None))


def read_keys(obj: Any) -> list[Any]:
    """The keys of an Arrow-exporting object, in order, as Python values
    (None for a null, a Malformed for a key outside the array's buffers:
    :func:`check_key` raises for both); TypeError naming the Arrow type for
    one no key has; ValueError for a capsule read before."""
    values: list[Any] = []
    if hasattr(type(obj), "__arrow_c_stream__"):
        stream = _moved(obj.__arrow_c_stream__(), b"arrow_array_stream", _Stream)
        schema = _Schema()
        try:
            if stream.get_schema(ctypes.byref(stream), ctypes.byref(schema)) != 0:
                _rules.raise_arrow_failed(
                    (stream.get_last_error(ctypes.byref(stream)) or b"").decode()
                )
            try:
                _checked_types(schema)
                while True:
                    array = _Array()
                    if stream.get_next(ctypes.byref(stream), ctypes.byref(array)) != 0:
                        error = stream.get_last_error(ctypes.byref(stream)) or b""
                        _rules.raise_arrow_failed(error.decode())
                    if not array.release:
                        break
                    try:
                        values += _array_values(array, schema)
                    finally:
                        _release(array, _RELEASE_ARRAY)
            finally:
                _release(schema, _RELEASE_SCHEMA)
        finally:
            _release(stream, _RELEASE_STREAM)
        return values
    schema_capsule, array_capsule = obj.__arrow_c_array__()
    schema = _moved(schema_capsule, b"arrow_schema", _Schema)
    try:
        array = _moved(array_capsule, b"arrow_array", _Array)
        try:
            return _array_values(array, schema)
        finally:
            _release(array, _RELEASE_ARRAY)
    finally:
        _release(schema, _RELEASE_SCHEMA)
