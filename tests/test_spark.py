"""rvh_stable.spark on a real Spark, and the guide's Spark recipe.

One SparkSession for the module: ``local[2]``, bound to 127.0.0.1, no UI,
its Python workers running this interpreter (``PYSPARK_PYTHON``).  Spark
takes each UDF's worker environment from ``SparkContext.environment`` when
the UDF is built, and starts one set of workers per environment: each test
sets the core there (``RVH_STABLE_NO_EXTENSIONS``, so the workers import the
core the test names) and a ``PYTHONHASHSEED`` other than this process's.

Without Java or PySpark the tests skip and say why; with ``CI`` set they
fail (tests/servers.py).  Jobs are few (each costs seconds): every key
column and option is computed in one select.
"""

from __future__ import annotations

import importlib
import operator
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import servers
from helpers import guide_block

import rvh_stable.spark as rspark
from rvh_stable import _rules

pyspark: Any = servers.require_module("pyspark")
pa: Any = servers.require_module("pyarrow")
pq: Any = servers.require_module("pyarrow.parquet")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    servers.missing("Java is not installed (Spark needs it: openjdk-17-jre-headless)")

N = 16
PROBE = "rvh-stable: which seed?"
ROWS = 3000


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    with pytest.MonkeyPatch.context() as patch:
        # The workers must import this rvh_stable: run them on this Python.
        patch.setenv("PYSPARK_PYTHON", sys.executable)
        session = (
            SparkSession.builder.master("local[2]")
            .appName("rvh_stable tests")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()


@pytest.fixture
def workers(spark: Any, core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``spark``, its UDFs built from here on running ``core`` on workers whose
    PYTHONHASHSEED is not this process's; checked on the workers."""
    monkeypatch.setattr(rspark, "_core", core)
    environment = spark.sparkContext.environment
    pure = "1" if core.IMPLEMENTATION == "python" else "0"
    monkeypatch.setitem(environment, "RVH_STABLE_NO_EXTENSIONS", pure)
    seed = "7" if os.environ.get("PYTHONHASHSEED") != "7" else "8"
    monkeypatch.setitem(environment, "PYTHONHASHSEED", seed)
    context = spark.sparkContext
    implementation = context.parallelize(["rvh_stable"], 1).map(importlib.import_module)
    seen = context.union(
        [
            implementation.map(operator.attrgetter("IMPLEMENTATION")),
            context.parallelize([PROBE], 1).map(hash),
        ]
    ).collect()
    assert seen[0] == core.IMPLEMENTATION
    assert seen[1] != hash(PROBE)  # the workers hash str with another seed
    return spark


def keys_frame(spark: Any) -> Any:
    """str (with non-ASCII), binary (with zero bytes), long (every sign, both
    ends of the range) and int columns, ROWS rows."""
    longs = [-(2**63), 2**63 - 1, -1, 0]
    rows = [
        (
            f"user:{i * 7919 % 100_003}" if i % 3 else f"ключ-{i}-🙂",
            bytes([i % 256, 0, 255, i % 7]) * (1 + i % 3),
            longs[i] if i < len(longs) else (i * 0x9E3779B97F4A7C15) % 2**64 - 2**63,
            i - ROWS // 2,
        )
        for i in range(ROWS)
    ]
    return spark.createDataFrame(rows, "user string, raw binary, id long, small int")


def option_sets() -> list[dict[str, Any]]:
    every_hasher: list[dict[str, Any]] = [{"hasher": name} for name in _rules.HASHERS]
    return [
        *every_hasher,
        {"seed": 2**64 - 1},
        {"hasher": "murmur3_128", "seed": -(2**31)},
        *({"variant": name} for name in _rules.VARIANTS),
        {"threads": 2},
        {"algorithm": "jumpback"},
        {"algorithm": "jumpback", "hasher": "murmur3_128", "seed": 9},
    ]


def test_assign_shard_row_for_row(workers: Any, core: ModuleType) -> None:
    df = keys_frame(workers)
    checks = [(c, o) for c in ("user", "raw") for o in option_sets()]
    ints: list[dict[str, Any]] = [{}, {"variant": "guava"}, {"algorithm": "jumpback"}]
    checks += [(c, o) for c in ("id", "small") for o in ints]
    out = df
    for number, (column, options) in enumerate(checks):
        out = rspark.assign_shard(out, column, N, out=f"s{number}", **options)
    assert out.schema["s0"].dataType.typeName() == "integer"
    rows = out.collect()  # one job for every column and option
    for number, (column, options) in enumerate(checks):
        want = core.jump_hash_many([row[column] for row in rows], N, **options)
        assert [row[f"s{number}"] for row in rows] == want, (column, options)
    # The rows themselves are unchanged, in order.
    assert [tuple(row)[:4] for row in rows] == [tuple(row) for row in df.collect()]


def test_the_guide_recipe(workers: Any, core: ModuleType, tmp_path: Path) -> None:
    from pyspark.sql.functions import spark_partition_id

    df = keys_frame(workers)
    users = [row.user for row in df.select("user").collect()]
    of_shard: dict[int, Counter[str]] = {i: Counter() for i in range(N)}
    for user, i in zip(users, core.jump_hash_many(users, N), strict=True):
        of_shard[i][user] += 1
    assert all(of_shard.values())  # every shard holds rows: every partition is tested

    # The JVM's working directory is this process's at its start, not
    # tmp_path: the recipe's folders are given as absolute paths.
    code = guide_block("columns.md", "<!-- tests/test_spark.py runs the next block -->")
    for folder in ("by_shard/", "parts/"):
        assert f'"{folder}"' in code
        code = code.replace(f'"{folder}"', repr(str(tmp_path / folder)))
    exec(compile(code, "docs/guides/columns.md (Spark recipe)", "exec"), {"df": df})
    for i in range(N):
        found = pq.read_table(tmp_path / "by_shard" / f"shard={i}")
        assert Counter(found["user"].to_pylist()) == of_shard[i], i
        files = sorted((tmp_path / "parts").glob(f"part-{i:05d}-*.parquet"))
        part = pa.concat_tables([pq.read_table(f) for f in files])
        assert Counter(part["user"].to_pylist()) == of_shard[i], i
        assert set(part["shard"].to_pylist()) == {i}

    placed = rspark.shard(df, "user", N, out="s")
    assert placed.rdd.getNumPartitions() == N
    pairs = placed.groupBy(spark_partition_id().alias("p"), "s").count().collect()
    assert sorted((row.p, row.s, row["count"]) for row in pairs) == [
        (i, i, sum(of_shard[i].values())) for i in range(N)
    ]


def test_the_ways_for_older_pyspark(workers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # PySpark before 4.1 has no arrow_udf and no repartitionById: the same
    # Spark, told not to use them, takes the pandas_udf and RDD ways, with
    # the same rows in the same partitions, and the same null error.
    from pyspark.sql.functions import spark_partition_id

    df = keys_frame(workers)
    checks: list[tuple[str, dict[str, Any]]] = [
        ("user", {}),
        ("raw", {"hasher": "murmur3_128", "seed": 5}),
        ("id", {}),
        ("small", {"variant": "guava"}),
    ]

    def placed() -> list[Any]:
        out = df
        for number, (column, options) in enumerate(checks):
            out = rspark.assign_shard(out, column, N, out=f"s{number}", **options)
        out = rspark.shard(out, "user", N, out="p")
        return sorted(out.withColumn("part", spark_partition_id()).collect())

    from pyspark.util import PythonEvalType

    def kind() -> int:
        return int(rspark._udf({"column": "user", "n": N, "options": {}}).evalType)

    assert kind() == PythonEvalType.SQL_SCALAR_ARROW_UDF
    newest = placed()
    monkeypatch.setattr(rspark, "USE_NEWEST", False)
    assert kind() == PythonEvalType.SQL_SCALAR_PANDAS_UDF
    older = placed()
    assert older == newest
    rows = df.collect()
    for number, (column, options) in enumerate(checks):
        want = sorted(
            zip(
                [r[column] for r in rows],
                rspark._core.jump_hash_many([r[column] for r in rows], N, **options),
                strict=True,
            )
        )
        assert sorted((r[column], r[f"s{number}"]) for r in older) == want, column
    assert all(r.part == r.p for r in older)
    nulls = workers.createDataFrame([("a",), (None,)], "who string")
    with pytest.raises(Exception, match="column 'who' holds a null"):
        rspark.assign_shard(nulls, "who", N).collect()


def test_a_null_key_fails_the_job_naming_the_column(workers: Any) -> None:
    df = workers.createDataFrame([("a",), (None,), ("b",)], "who string")
    with pytest.raises(Exception, match="column 'who' holds a null") as failed:
        rspark.assign_shard(df, "who", N).collect()
    assert "ValueError" in str(failed.value)


def test_bad_arguments(spark: Any, core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # Refused on the driver, before any job.
    monkeypatch.setattr(rspark, "_core", core)
    df = spark.createDataFrame([("a", 1.5)], "user string, score double")
    bad: list[tuple[Any, type[BaseException], str]] = [
        (lambda: rspark.assign_shard(df, "nope", 4), ValueError, "column must name a column"),
        (lambda: rspark.assign_shard(df, "user", 0), ValueError, "num_buckets"),
        (lambda: rspark.assign_shard(df, "user", 4, hasher="md5"), ValueError, "hasher"),
        (lambda: rspark.shard(df, "user", 4, out=3), TypeError, "out must be a str"),  # type: ignore[arg-type]
        (lambda: rspark.shard(df, "score", 4), TypeError, "column 'score' must be of a key type"),
    ]
    for call, kind, message in bad:
        with pytest.raises(kind, match=message):
            call()
