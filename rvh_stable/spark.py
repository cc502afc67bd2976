"""Shards on Spark: ``assign_shard`` and ``shard``
(``pip install 'rvh-stable[spark]'``, PySpark 3.5 or later; 4.1 or later is
faster).

Spark's own repartitioning does not put shard i in partition i:
``df.repartition(16, "shard")`` hashes the shard number again (Murmur3, modulo
16), so shards share partitions and others stay empty.  ``assign_shard``
computes each row's shard with ``jump_hash_many`` in an Arrow UDF on Spark's
Python workers: ``arrow_udf`` (PySpark 4.1+: each batch reaches the core as a
``pyarrow.Array``, read in place), else a ``pandas_udf`` whose Series is
turned into Arrow first.  ``shard`` then moves every row to the partition
numbered by its shard: ``repartitionById`` (PySpark 4.1+), else the RDD route
(``partitionBy`` with the shard as the partition, several times slower).
Both ways give the same rows in the same partitions; tests/test_spark.py runs
each on the same Spark.  Nothing depends on a worker's ``PYTHONHASHSEED``:
the answers are jump_hash's, in every process.

The workers import ``rvh_stable`` themselves: it must be installed in the
Python they run (``PYSPARK_PYTHON``), which is not this module's business.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from . import _rules
from ._core import core as _picked_core

__all__ = ["assign_shard", "shard"]

#: The core module rvh_stable._core picked at import.  The driver checks the
#: options with it; each worker uses its own module's (its own pick).
_core: Any = _picked_core

#: Spark's types of a key column, by their ``typeName()``: strings and
#: binaries are hashed like str and bytes keys, integers are keys as ints are
#: (Spark's long is signed: read as the same 64 bits, two's complement).
KEY_TYPES = ("string", "binary", "long", "integer", "short", "byte")


def _shards_of(keys: Any, *, column: str, n: int, options: dict[str, Any]) -> Any:
    """One Arrow batch of the key column -> its shards, an int32 Arrow array:
    the arrow_udf way (PySpark 4.1+).  Runs on a Spark worker."""
    import pyarrow

    if keys.null_count:
        raise ValueError(
            f"column {column!r} holds a null: a shard key must not be null; "
            "drop or fill the nulls first "
            f"(df.dropna(subset=[{column!r}]) or df.fillna(...))"
        )
    return pyarrow.array(_core.jump_hash_many(keys, n, **options), type=pyarrow.int32())


def _shards_of_series(keys: Any, *, column: str, n: int, options: dict[str, Any]) -> Any:
    """One pandas batch of the key column -> its shards, an int32 Series:
    the pandas_udf way (PySpark before 4.1), through the Arrow way.  Runs on
    a Spark worker."""
    import pandas
    import pyarrow

    # As Arrow (None and NaN become nulls), the batch is read in place like
    # arrow_udf's; a long column stays int64: its negative values are keys
    # as negative ints are.
    shards = _shards_of(pyarrow.Array.from_pandas(keys), column=column, n=n, options=options)
    return pandas.Series(shards.to_numpy(), dtype="int32")


#: Whether to use PySpark 4.1's arrow_udf and repartitionById where present
#: (tests switch it off to run the other way on the same Spark).
USE_NEWEST = True


def _udf(function_kwargs: dict[str, Any]) -> Any:
    """The UDF that computes the shard column, the fastest way this PySpark has."""
    try:
        from pyspark.sql.pandas.functions import PandasUDFType, pandas_udf
    except ImportError as error:  # no PySpark, or one without pandas UDFs
        raise ImportError(
            "rvh_stable.spark needs PySpark 3.5 or later: pip install 'rvh-stable[spark]'"
        ) from error
    newest: Any = None
    if USE_NEWEST:
        try:
            from pyspark.sql.pandas.functions import ArrowUDFType, arrow_udf
        except ImportError:  # PySpark before 4.1
            pass
        else:
            newest = (arrow_udf, _shards_of, ArrowUDFType.SCALAR)
    maker, body, kind = newest or (pandas_udf, _shards_of_series, PandasUDFType.SCALAR)
    with warnings.catch_warnings():
        # The UDF type is given, not inferred from type hints (a partial has
        # none); PandasUDFType's own deprecation is PySpark's, not the user's.
        warnings.filterwarnings("ignore", "It is preferred to specify type hints", UserWarning)
        warnings.filterwarnings("ignore", "In Python 3.6", UserWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        return maker(functools.partial(body, **function_kwargs), "int", kind)


def _checked(df: Any, column: object, n: object, out: object, options: dict[str, Any]) -> int:
    if type(column) is not str or column not in df.columns:
        raise ValueError(f"column must name a column of the DataFrame, got {column!r}")
    if type(out) is not str:
        raise TypeError(f"out must be a str (the new column's name), got {type(out).__name__}")
    kind = df.schema[column].dataType.typeName()
    if kind not in KEY_TYPES:
        raise TypeError(
            f"column {column!r} must be of a key type ({', '.join(KEY_TYPES)}), got {kind}"
        )
    num_buckets = _rules.check_buckets(n)
    _core.jump_hash_many((), num_buckets, **options)  # the core checks the options
    return num_buckets


def assign_shard(df: Any, column: str, n: int, *, out: str = "shard", **hash_options: Any) -> Any:
    """assign_shard(df, column, n, *, out="shard", **hash_options) -> pyspark DataFrame

    ``df`` with an int column ``out`` (Spark's ``IntegerType``, in ``[0, n)``):
    ``jump_hash_many(df[column], n, **hash_options)``, row for row, computed
    on the workers an Arrow batch at a time.  ``column`` is a string, binary
    or integer column; ``hash_options`` are those jump_hash_many takes
    (``hasher=``, ``seed=``, ``variant=``, ``algorithm=``, ``threads=``).  A null key fails
    the job with a ``ValueError`` that says null and names the column.
    """
    n = _checked(df, column, n, out, hash_options)
    udf = _udf({"column": column, "n": n, "options": dict(hash_options)})
    return df.withColumn(out, udf(df[column]))


def shard(df: Any, column: str, n: int, *, out: str = "shard", **hash_options: Any) -> Any:
    """shard(df, column, n, *, out="shard", **hash_options) -> pyspark DataFrame

    ``assign_shard``'s result in exactly ``n`` partitions: partition i holds
    every row whose shard (the column ``out``) is i, and no other (an empty
    shard is an empty partition).  Ready for ``foreachPartition`` or a sink
    that writes one file per partition.
    """
    marked = assign_shard(df, column, n, out=out, **hash_options)
    if USE_NEWEST and hasattr(marked, "repartitionById"):
        return marked.repartitionById(n, out)
    # The RDD route: the shard is the partition (partitionBy's function is
    # the identity), then back to a DataFrame of the same schema.
    where = marked.columns.index(out)
    pairs = marked.rdd.map(lambda row: (row[where], row))
    placed = pairs.partitionBy(n, _identity).values()
    return marked.sparkSession.createDataFrame(placed, marked.schema)


def _identity(shard: int) -> int:
    return shard
