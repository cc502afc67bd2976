"""Any batch of keys, read by position a chunk at a time (what ``plan`` streams).

``jump_hash_many`` takes lists, iterables, NumPy arrays, integer buffers and
Arrow columns; its i-th answer is for the i-th key *in that order*: the
order of iteration, a NumPy array's C order (``ravel``), an Arrow column's
rows.  Indexing ``keys[i]`` is not that order for every input: a pandas
Series reads a label (a sorted or string index gives other keys, or
KeyError), a dict a value.  So :func:`pieces` cuts the batch into chunks by
position, each of a kind the core takes the same way as the whole (a slice
of the array or column, or a list of the iterable's next keys), and gives
each chunk's keys as Python objects by position (``_rules.key_list``, as
``Router.group`` reads them), for the few that a caller keeps.
"""

from __future__ import annotations

import functools
import itertools
import sys
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from . import _rules


class Piece(NamedTuple):
    """A chunk of a batch: what the core places, and its keys by position."""

    #: The chunk, of a kind the core takes as it takes the whole batch.
    keys: Any
    #: The position of its first key in the batch.
    start: int
    #: Its keys as Python objects, in order (called only when some are kept).
    values: Callable[[], list[Any]]


def pieces(keys: Any, size: int) -> Iterator[Piece]:
    """The chunks of ``keys``, of at most ``size`` keys each, in order.

    An iterator is read as the chunks are asked for, never ahead of them.  An
    input the core would refuse (a single str, a 0-d array, a 2-d buffer, a
    non-iterable) is one piece, so that the core's own error comes out.
    """
    _rules.check_keys(keys)
    if _rules.is_arrow(keys):
        yield from _arrow_pieces(keys, size)
        return
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(keys, numpy.ndarray):
        if keys.ndim == 0:
            yield Piece(keys, 0, list)
            return
        flat = keys.ravel()  # the core's order for an N-d array (C order)
        yield from _sliced(flat, len(flat), size)
        return
    view = _buffer(keys)
    if view is not None:
        if view.ndim != 1:
            yield Piece(keys, 0, list)  # the core refuses it, with its message
            return
        yield from _sliced(view, len(view), size)
        return
    try:
        it = iter(keys)
    except TypeError:
        yield Piece(keys, 0, list)  # not iterable: the core's message
        return
    start = 0
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield Piece(chunk, start, functools.partial(_rules.key_list, chunk))
        start += len(chunk)


def _sliced(keys: Any, length: int, size: int) -> Iterator[Piece]:
    # An empty batch is one empty piece: the core still checks its type.
    for start in range(0, max(length, 1), size):
        chunk = keys[start : start + size]
        yield Piece(chunk, start, functools.partial(_rules.key_list, chunk))


def _buffer(keys: Any) -> memoryview | None:
    """A memoryview of ``keys`` (array.array, memoryview, ...), or None."""
    if isinstance(keys, memoryview):
        return keys
    try:
        return memoryview(keys)
    except TypeError:
        return None


def _as_pyarrow(keys: Any) -> Any:
    """A column given by the Arrow PyCapsule interface alone, as pyarrow's (no copy)."""
    try:
        import pyarrow
    except ImportError:
        raise TypeError(
            f"keys of type {type(keys).__name__} are read by position through pyarrow, "
            "which is not installed: pip install pyarrow, or pass a pyarrow or Polars column"
        ) from None
    if hasattr(type(keys), "__arrow_c_stream__"):
        return pyarrow.chunked_array(keys)
    return pyarrow.array(keys)


def _arrow_pieces(keys: Any, size: int) -> Iterator[Piece]:
    """An Arrow column in slices: pandas by ``iloc`` (a label never), pyarrow
    and Polars by their ``slice(offset, length)``, anything else through pyarrow."""
    if type(keys).__module__.split(".")[0] == "pandas":
        iloc = keys.iloc
        for start in range(0, max(len(keys), 1), size):
            chunk = iloc[start : start + size]
            yield Piece(chunk, start, functools.partial(_rules.key_list, chunk))
        return
    if not callable(getattr(keys, "slice", None)):
        keys = _as_pyarrow(keys)
    for start in range(0, max(len(keys), 1), size):
        chunk = keys.slice(start, size)
        yield Piece(chunk, start, functools.partial(_rules.key_list, chunk))
