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

#: Integer formats: (struct size, signed).
_INTS = {"c": (1, True), "C": (1, False), "s": (2, True), "S": (2, False),
         "i": (4, True), "I": (4, False), "l": (8, True), "L": (8, False)}  # fmt: skip


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


def _values(array: Any, fmt: str, value_fmt: str | None, dictionary_values: list[Any]) -> list[Any]:
    length, offset = array.length, array.offset
    buffers = array.buffers
    validity = buffers[0] if array.null_count != 0 else None

    def valid(i: int) -> bool:
        if not validity:
            return True
        bit = offset + i
        return bool((ctypes.c_uint8.from_address(validity + (bit >> 3)).value >> (bit & 7)) & 1)

    if value_fmt is not None:  # dictionary indices
        size, signed = _INTS[fmt]
        indices = _ints(buffers[1], offset, length, size, signed)
        return [dictionary_values[indices[i]] if valid(i) else None for i in range(length)]
    if fmt in _INTS:
        size, signed = _INTS[fmt]
        values = _ints(buffers[1], offset, length, size, signed)
        return [values[i] if valid(i) else None for i in range(length)]
    text = fmt in ("u", "U", "vu")
    found: list[Any] = []
    for i in range(length):
        if not valid(i):
            found.append(None)
            continue
        j = offset + i
        if fmt in ("u", "z", "U", "Z"):
            width = ctypes.c_int32 if fmt in ("u", "z") else ctypes.c_int64
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
        found.append(data.decode("utf-8", "surrogateescape") if text else data)
    return found


def _ints(address: int, offset: int, length: int, size: int, signed: bool) -> list[int]:
    if not length:
        return []
    data = _string_at(address + offset * size, length * size)
    return [
        int.from_bytes(data[k : k + size], "little", signed=signed)
        for k in range(0, len(data), size)
    ]


def _checked_formats(schema: Any) -> tuple[str, str | None]:
    fmt = schema.format.decode("utf-8")
    if schema.dictionary:
        value_fmt = schema.dictionary.contents.format.decode("utf-8")
        if fmt not in _INTS or value_fmt not in _rules.ARROW_KEY_TYPES:
            _rules.raise_arrow_type(fmt, value_fmt)
        return fmt, value_fmt
    if fmt not in _rules.ARROW_KEY_TYPES:
        _rules.raise_arrow_type(fmt)
    return fmt, None


def _array_values(array: Any, schema: Any) -> list[Any]:
    fmt, value_fmt = _checked_formats(schema)
    dictionary: list[Any] = []
    if value_fmt is not None:
        dictionary = _values(array.dictionary.contents, value_fmt, None, [])
    return _values(array, fmt, value_fmt, dictionary)


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
                _checked_formats(schema)
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
