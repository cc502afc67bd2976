"""Shards on a Dask cluster: ``assign_shard`` and ``shard``
(``pip install 'rvh-stable[dask]'``).

The engines' own repartitioning does not put shard i in partition i: Dask's
``shuffle(on="shard", npartitions=n)`` hashes the value modulo the partition
count, which leaves partitions empty and puts several shards in one.  These
two functions compute each row's shard with ``jump_hash_many`` (through the
Arrow path for Arrow-backed columns: pandas 3's default ``str``, ``ArrowDtype``,
``category``) in every partition, on the workers, and ``shard`` then moves
every row to the partition numbered by its shard.  Nothing depends on a
worker's ``PYTHONHASHSEED``: the answers are jump_hash's, in every process.
"""

from __future__ import annotations

from typing import Any

from . import _rules
from ._core import core as _picked_core

__all__ = ["assign_shard", "shard"]

#: The core module rvh_stable._core picked at import (the tests swap in each).
_core: Any = _picked_core


def _keys_of(column: Any) -> Any:
    """A pandas column as jump_hash_many takes it fastest: itself when it is
    read through Arrow, its NumPy array for a NumPy integer dtype, else itself
    (its Python values, one by one)."""
    if _rules.is_arrow(column):
        return column
    values = column.to_numpy()
    return values if values.dtype.kind in "iu" else column


def _assign(frame: Any, column: str, n: int, out: str, options: dict[str, Any]) -> Any:
    import numpy

    shards = _core.jump_hash_many(_keys_of(frame[column]), n, **options)
    return frame.assign(**{out: numpy.asarray(shards, dtype=numpy.int32)})


def _checked(ddf: Any, column: object, n: object, out: object, options: dict[str, Any]) -> int:
    if type(column) is not str or column not in ddf.columns:
        raise ValueError(f"column must name a column of the DataFrame, got {column!r}")
    if type(out) is not str:
        raise TypeError(f"out must be a str (the new column's name), got {type(out).__name__}")
    num_buckets = _rules.check_buckets(n)
    _core.jump_hash_many((), num_buckets, **options)  # the core checks the options
    return num_buckets


def assign_shard(ddf: Any, column: str, n: int, *, out: str = "shard", **hash_options: Any) -> Any:
    """assign_shard(ddf, column, n, *, out="shard", **hash_options) -> dask DataFrame

    ``ddf`` with an int32 column ``out``: ``jump_hash_many(ddf[column], n,
    **hash_options)``, computed partition by partition.  ``hash_options`` are
    those jump_hash_many takes (``hasher=``, ``seed=``, ``variant=``,
    ``algorithm=``, ``threads=``).
    """
    import pandas

    n = _checked(ddf, column, n, out, hash_options)
    meta = ddf._meta.assign(**{out: pandas.Series([], dtype="int32")})
    return ddf.map_partitions(_assign, column, n, out, hash_options, meta=meta)


def shard(ddf: Any, column: str, n: int, *, out: str = "shard", **hash_options: Any) -> Any:
    """shard(ddf, column, n, *, out="shard", **hash_options) -> dask DataFrame

    The rows of ``ddf`` in exactly ``n`` partitions: partition i holds every
    row whose shard (``assign_shard``'s column ``out``) is i, and no other.
    The shard is also the index (a sorted one, with known divisions).
    """
    assigned = assign_shard(ddf, column, n, out=out, **hash_options)
    return assigned.set_index(out, divisions=[*range(n), n - 1], drop=False)
