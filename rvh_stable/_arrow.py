"""Arrow arrays as Python values, for the pure core: the readable form of
``_c/arrow.h``.

An object that exports the Arrow PyCapsule interface (``__arrow_c_stream__``
or ``__arrow_c_array__``: pyarrow arrays, Polars series, Arrow-backed pandas
series) hands over C structs (the Arrow C data interface); this module reads
them with ctypes, so the pure core needs neither pyarrow nor a compiler.
Every key type the compiled core reads is read here to the Python value the
same key would be given as: an int, a str (utf8 types), bytes (binary types),
or None for a null.  Dictionary-encoded arrays are decoded.
"""

from __future__ import annotations

import ctypes
from typing import Any

from . import _rules

__all__ = ["read_keys"]


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


def _moved(capsule: object, name: bytes, kind: type[ctypes.Structure]) -> Any:
    """The struct in ``capsule``, moved out of it (the capsule's copy is
    marked released, as the interface's consumers do)."""
    source = kind.from_address(_capsule_pointer(capsule, name))
    mine = kind()
    ctypes.pointer(mine)[0] = source
    source.release = None
    return mine


def _release(struct: Any, kind: Any) -> None:
    if struct.release:
        kind(struct.release)(ctypes.byref(struct))


def _string_at(address: int, size: int) -> bytes:
    return ctypes.string_at(address, size) if size else b""


def _values(
    array: Any, kind: _rules.ArrowKeyType, dictionary_values: list[Any] | None
) -> list[Any]:
    """The keys of one array of type ``kind``; with ``dictionary_values``,
    ``kind`` is its indices' type."""
    length, offset = array.length, array.offset
    buffers = array.buffers
    validity = buffers[0] if array.null_count != 0 else None

    def valid(i: int) -> bool:
        if not validity:
            return True
        bit = offset + i
        return bool((ctypes.c_uint8.from_address(validity + (bit >> 3)).value >> (bit & 7)) & 1)

    if dictionary_values is not None:  # dictionary indices
        indices = _ints(buffers[1], offset, length, kind.width, kind.signed)
        return [dictionary_values[indices[i]] if valid(i) else None for i in range(length)]
    if kind.layout == "int":
        values = _ints(buffers[1], offset, length, kind.width, kind.signed)
        return [values[i] if valid(i) else None for i in range(length)]
    found: list[Any] = []
    for i in range(length):
        if not valid(i):
            found.append(None)
            continue
        j = offset + i
        if kind.layout in ("bytes", "large"):
            width = ctypes.c_int32 if kind.layout == "bytes" else ctypes.c_int64
            start = width.from_address(buffers[1] + j * ctypes.sizeof(width)).value
            end = width.from_address(buffers[1] + (j + 1) * ctypes.sizeof(width)).value
            data = _string_at(buffers[2] + start, end - start)
        else:  # a view: length, then 12 inline bytes, or a prefix, a buffer and an offset
            view = buffers[1] + 16 * j
            size = ctypes.c_int32.from_address(view).value
            if size <= 12:
                data = _string_at(view + 4, size)
            else:
                which = ctypes.c_int32.from_address(view + 8).value
                at = ctypes.c_int32.from_address(view + 12).value
                data = _string_at(buffers[2 + which] + at, size)
        found.append(data.decode("utf-8", "surrogateescape") if kind.text else data)
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
    return _values(array, indices, _values(array.dictionary.contents, kind, None))


def read_keys(obj: Any) -> list[Any]:
    """The keys of an Arrow-exporting object, in order, as Python values
    (None for a null); TypeError naming the Arrow type for one no key has."""
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
