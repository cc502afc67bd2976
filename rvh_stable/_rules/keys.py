"""Keys: what a key may be, and the errors about one key or one element of a batch."""

from __future__ import annotations

import operator
from typing import NoReturn, TypeVar

#: Integer keys are accepted in ``[KEY_MIN, KEY_LIMIT)``: every int64 and every
#: uint64.  Negative keys are used as their two's complement.
KEY_MIN = -(2**63)

KEY_LIMIT = 2**64

_KEY_KINDS = "an int, str, bytes, bytearray or memoryview"


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


def raise_index_failed(exc: Exception, index: int, key: object) -> NoReturn:
    """A batch element's own ``__index__`` raised TypeError or ValueError: the
    same error, named by its place like every other element's error."""
    kind = ValueError if isinstance(exc, ValueError) else TypeError
    raise _placed(kind(f"{_prefix(index)}{exc}"), index, key) from exc


def raise_data_type(data: object) -> NoReturn:
    raise TypeError(f"data must be a bytes-like object, got {type(data).__name__}")
