"""rvh_stable.dask on a real cluster, and the README's Polars recipe.

The cluster is distributed.LocalCluster(processes=True, n_workers=2): two
worker processes started fresh, each with its own PYTHONHASHSEED and its own
import of rvh_stable (the core this test names, through
RVH_STABLE_NO_EXTENSIONS in their environment).
"""

from __future__ import annotations

from collections import Counter
from types import ModuleType
from typing import Any

import pytest

import rvh_stable.dask as rdask

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


def frame(rows: int) -> Any:
    users = [f"user:{i * 7919 % 100_003}" for i in range(rows)]
    return pd.DataFrame({"user": users, "id": np.arange(rows, dtype=np.int64) * 31 - 5000,
                         "cat": pd.Series(users, dtype="category")})  # fmt: skip


def test_on_a_local_cluster(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdask, "_core", core)
    # The workers inherit this environment: no fixed hash seed, and the core.
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    monkeypatch.setenv("RVH_STABLE_NO_EXTENSIONS", "1" if core.IMPLEMENTATION == "python" else "0")
    local = frame(20_000)
    ddf = dd.from_pandas(local, npartitions=7)
    n = 16
    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        implementations = client.run(lambda: __import__("rvh_stable").IMPLEMENTATION)
        assert set(implementations.values()) == {core.IMPLEMENTATION}
        # The workers hash str with another seed than this process (distributed
        # gives its workers a PYTHONHASHSEED of their own): the shards below
        # agree all the same.
        seeds = client.run(lambda: hash("rvh-stable: which seed?"))
        assert hash("rvh-stable: which seed?") not in set(seeds.values())

        for column, options in (
            ("user", {}),
            ("id", {}),
            ("cat", {}),
            ("user", {"hasher": "crc32"}),
        ):
            got = rdask.assign_shard(ddf, column, n, **options).compute()
            want = core.jump_hash_many(list(local[column]), n, **options)
            assert got["shard"].dtype == np.int32
            assert got["shard"].tolist() == want, column  # row for row, in order
            for name in local.columns:  # and the rows themselves, unchanged
                assert got[name].tolist() == local[name].tolist()

        sharded = rdask.shard(ddf, "user", n, out="s")
        assert sharded.npartitions == n
        parts = client.compute([sharded.get_partition(i) for i in range(n)], sync=True)
        counts: Counter[int] = Counter(core.jump_hash_many(list(local["user"]), n))
        for i, part in enumerate(parts):
            assert set(part["s"]) <= {i} and len(part) == counts[i], i
        assert sorted(pd.concat(parts)["user"]) == sorted(local["user"])


def test_bad_arguments(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rdask, "_core", core)
    ddf = dd.from_pandas(frame(10), npartitions=2)
    bad: list[tuple[Any, type[BaseException], str]] = [
        (lambda: rdask.assign_shard(ddf, "nope", 4), ValueError, "column must name a column"),
        (lambda: rdask.assign_shard(ddf, "user", 0), ValueError, "num_buckets"),
        (lambda: rdask.assign_shard(ddf, "user", 4, hasher="md5"), ValueError, "hasher"),
        (lambda: rdask.shard(ddf, "user", 4, out=3), TypeError, "out must be a str"),  # type: ignore[arg-type]
    ]
    for call, kind, message in bad:
        with pytest.raises(kind, match=message):
            call()


def test_the_polars_recipe(core: ModuleType) -> None:
    # README, "Columns and clusters": Polars hands each batch over as Arrow.
    df = pl.DataFrame({"user": [f"user:{i}" for i in range(5000)]})
    out = df.with_columns(
        pl.col("user")
        .map_batches(lambda s: pl.Series(core.jump_hash_many(s, 16)), return_dtype=pl.Int64)
        .cast(pl.Int32)
        .alias("shard")
    )
    assert out["shard"].to_list() == core.jump_hash_many(df["user"].to_list(), 16)
