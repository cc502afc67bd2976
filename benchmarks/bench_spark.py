"""What rvh_stable.spark costs on a local Spark, against the other routes.

    pip install -e '.[test]' && python benchmarks/bench_spark.py --rows 1000000

Needs Java.  A ``local[2]`` session on 127.0.0.1 (UI off), its workers on
this Python.  The keys are ``"user:<i>"`` strings made by Spark itself, and
every variant is run to the end through the ``noop`` sink, so each figure is
the whole job.  Printed, in seconds (medians of ``--rounds``, the variants
interleaved in each round: absolute times drift on a shared machine, figures
measured side by side do not):

- ``scan``: the rows alone, for scale;
- ``xxhash64``: Spark's own ``pmod(xxhash64(user), 16)`` column, for scale
  (another hash: its shards are not jump_hash's);
- ``assign_shard``: ``rvh_stable.spark.assign_shard`` (an ``arrow_udf``);
- ``pandas_udf``: the same shards through a ``pandas_udf``, as the README's
  old recipe had it;
- ``shard``: ``rvh_stable.spark.shard`` (``repartitionById``);
- ``rdd_route``: ``assign_shard``'s rows keyed by shard and moved with
  ``rdd.partitionBy(16, lambda k: k)``, the README's old recipe.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import pandas as pd  # module level: the pandas_udf's type hints are read from here

N = 16


def session() -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def variants(spark: Any, rows: int) -> dict[str, Callable[[], object]]:
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.functions import pandas_udf

    import rvh_stable
    from rvh_stable.spark import assign_shard, shard

    df = spark.range(rows, numPartitions=2).select(F.concat(F.lit("user:"), "id").alias("user"))

    @pandas_udf("int")  # type: ignore[call-overload, untyped-decorator]
    def shard_of(users: pd.Series) -> pd.Series:
        return pd.Series(rvh_stable.jump_hash_many(users, N)).astype("int32")

    def run(frame: Any) -> None:
        frame.write.format("noop").mode("overwrite").save()

    def rdd_route() -> None:
        keyed = assign_shard(df, "user", N).rdd.keyBy(lambda row: row.shard)
        keyed.partitionBy(N, lambda k: k).foreachPartition(lambda part: None)

    return {
        "scan": lambda: run(df),
        "xxhash64": lambda: run(df.withColumn("shard", F.pmod(F.xxhash64("user"), F.lit(N)))),
        "assign_shard": lambda: run(assign_shard(df, "user", N)),
        "pandas_udf": lambda: run(df.withColumn("shard", shard_of("user"))),
        "shard": lambda: run(shard(df, "user", N)),
        "rdd_route": rdd_route,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="the variants to run (default: all)")
    args = parser.parse_args()
    spark = session()
    try:
        jobs = variants(spark, args.rows)
        if args.only:
            jobs = {name: jobs[name] for name in args.only}
        for job in jobs.values():  # warm up: workers started, code compiled
            job()
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for _ in range(args.rounds):
            for name, job in jobs.items():
                start = time.perf_counter()
                job()
                times[name].append(time.perf_counter() - start)
        print(f"{args.rows:,} rows, {N} shards, median of {args.rounds} (seconds):")
        for name, taken in times.items():
            print(f"  {name:<13} {statistics.median(taken):7.2f}   {taken}")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
