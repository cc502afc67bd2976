"""variant=: the paper's loop (the default) and Guava's ``consistentHash``, in both cores.

Guava's loop differs from the paper's on rare keys: its answers, recorded
from Guava 31.1 by tools/interop.sh (tests/data/README.md says how), one
key at a time, in batches, after Guava's murmur3_128, and through the C
single-key loops of _c/jump_guava.h (tests/c/guava_check.c).  Every batch
kernel runs the same rows in tests/test_kernels.py.
"""

from __future__ import annotations

import json
import subprocess
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from c_driver import CDrivers

DATA = Path(__file__).parent / "data"
GuavaRows = list[tuple[int, int, int, str]]


def jsonl(name: str) -> list[dict[str, Any]]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def key_of(row: dict[str, Any]) -> str | bytes:
    return bytes.fromhex(row["bytes_hex"]) if "bytes_hex" in row else row["key"]


def test_guava_consistent_hash(core: ModuleType, guava_rows: GuavaRows) -> None:
    rows = guava_rows
    assert len(rows) > 5000
    differ = 0
    for key, n, bucket, kind in rows:
        assert core.jump_hash(key, n, variant="guava") == bucket, (key, n, kind)
        assert core.jump_hash(key - 2**64 * (key >> 63), n, variant="guava") == bucket
        differ += core.jump_hash(key, n) != bucket
    # The keys where Guava's loop and the paper's part are there, and many.
    assert differ > 800


def test_guava_batches(core: ModuleType, guava_rows: GuavaRows) -> None:
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, bucket, _ in guava_rows:
        by_n.setdefault(n, []).append((key, bucket))
    for n, pairs in by_n.items():
        keys, want = [k for k, _ in pairs], [b for _, b in pairs]
        assert core.jump_hash_many(keys, n, variant="guava") == want, n
        assert core.jump_hash_many(iter(keys), n, variant="guava") == want, n
    np = pytest.importorskip("numpy")
    rows = guava_rows
    keys = np.array([k for k, *_ in rows] * 40, dtype=np.uint64)  # > 65,536: two threads
    for n in (2, 1000, 2**31 - 1):
        want = [core.jump_hash(int(k), n, variant="guava") for k in keys[:6000]]
        got = core.jump_hash_many(keys, n, variant="guava", threads=2)
        assert got[:6000].tolist() == want
        assert got.tolist() == core.jump_hash_many(keys.astype(">u8"), n, variant="guava").tolist()


def test_guava_murmur3_buckets(core: ModuleType) -> None:
    # Guava's consistentHash(murmur3_128(seed).hashString(key, UTF_8), n).
    for row in jsonl("interop_guava_murmur3.jsonl"):
        key = key_of(row)
        if row["kind"] == "lone_surrogate" or not key:
            continue
        got = core.jump_hash(
            key, row["num_buckets"], hasher="murmur3_128", seed=row["seed"], variant="guava"
        )
        assert got == row["bucket"], row


@pytest.mark.parametrize(
    ("variant", "kind", "message"),
    [
        ("java", ValueError, "variant must be one of 'paper', 'guava', got 'java'"),
        (None, TypeError, "variant must be a str, one of 'paper', 'guava', got NoneType"),
    ],
)
def test_bad_variant(core: ModuleType, variant: Any, kind: type, message: str) -> None:
    for call in (
        partial(core.jump_hash, "k", 10, variant=variant),
        partial(core.jump_hash, 5, 10, variant=variant),
        partial(core.jump_hash_many, [1], 10, variant=variant),
        partial(core.jump_hash_many, [], 10, variant=variant),
    ):
        with pytest.raises(kind) as info:
            call()
        assert type(info.value) is kind and str(info.value) == message


def test_c_guava_single_key_loop(c_drivers: CDrivers, guava_rows: GuavaRows) -> None:
    # tests/c/guava_check.c: the recorded answers through the quick single-key
    # loop and Guava's plain loop; then the quick step against Guava's on
    # steps built to land on or next to an integer.  (Every batch kernel runs
    # the same rows in tests/test_kernels.py::test_every_kernel_in_c.)
    exe = c_drivers.build("guava_check.c")
    rows = "".join(f"{key},{n},{bucket}\n" for key, n, bucket, _ in guava_rows)
    out = subprocess.run(
        [str(exe), "200000"], input=rows, capture_output=True, text=True, check=True
    )
    checked, wrong_quick, wrong_plain, steps, wrong_steps, paper_differs = map(
        int, out.stdout.split()
    )
    assert checked == len(guava_rows)
    assert (wrong_quick, wrong_plain, wrong_steps) == (0, 0, 0)
    assert steps > 400_000
    assert paper_differs > 100  # steps where the quick step's shortcut had to give way
