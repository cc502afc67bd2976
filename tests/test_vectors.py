"""Known-answer vectors: the contract that makes the package "stable".

The paper's loop on the recorded reference rows and string keys, and the
vectors other libraries publish (tests/data/README.md says where each file
comes from); Guava's loop has its own in tests/test_variants.py.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

MASK64 = 2**64 - 1
DATA = Path(__file__).parent / "data"


def test_vector_files_cover_every_kind(jump_rows: list[tuple[int, int, int, str]]) -> None:
    kinds = Counter(kind for *_, kind in jump_rows)
    assert set(kinds) == {"edge", "random", "adversarial"}
    assert kinds["adversarial"] >= 100
    assert len(jump_rows) >= 3000


def test_jump_reference_rows(core: ModuleType, jump_rows: list[tuple[int, int, int, str]]) -> None:
    wrong = [
        (key, n, expected, core.jump_hash(key, n))
        for key, n, expected, _ in jump_rows
        if core.jump_hash(key, n) != expected
    ]
    assert wrong == []


def test_jump_reference_rows_as_negative_int64(
    core: ModuleType, jump_rows: list[tuple[int, int, int, str]]
) -> None:
    # Keys at or above 2**63 are also reachable as negative int64 (Java long).
    wrong = [
        (key, n)
        for key, n, expected, _ in jump_rows
        if key >= 2**63 and core.jump_hash(key - 2**64, n) != expected
    ]
    assert wrong == []


def test_jump_reference_rows_in_batches(
    core: ModuleType, jump_rows: list[tuple[int, int, int, str]]
) -> None:
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, expected, _ in jump_rows:
        by_n.setdefault(n, []).append((key, expected))
    for n, pairs in by_n.items():
        keys = [k for k, _ in pairs]
        assert core.jump_hash_many(keys, n) == [b for _, b in pairs], n


def test_jump_reference_rows_in_numpy_batches(
    core: ModuleType, jump_rows: list[tuple[int, int, int, str]]
) -> None:
    np = pytest.importorskip("numpy")
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, expected, _ in jump_rows:
        by_n.setdefault(n, []).append((key, expected))
    for n, pairs in by_n.items():
        # Repeated so that every batch is long enough for the lockstep kernel,
        # and so that lanes finish and refill at different points.
        reps = 1 + 100 // len(pairs)
        keys = np.array([k for k, _ in pairs] * reps, dtype=np.uint64)
        got = core.jump_hash_many(keys, n, threads=2)
        assert got.tolist() == [b for _, b in pairs] * reps, n
        assert core.jump_hash_many(keys[::-1], n).tolist() == [b for _, b in pairs][::-1] * reps


def test_hash_key_of_int_rows(core: ModuleType, jump_rows: list[tuple[int, int, int, str]]) -> None:
    for key, *_ in jump_rows:
        assert core.hash_key(key) == key
        if key >= 2**63:
            assert core.hash_key(key - 2**64) == key


def test_string_rows(core: ModuleType, str_rows: list[dict[str, Any]]) -> None:
    wrong = []
    for row in str_rows:
        key, n = row["key"], row["num_buckets"]
        data = key.encode("utf-8")
        for form in (key, data, bytearray(data), memoryview(data)):
            if core.hash_key(form) != row["key_hash"] or core.jump_hash(form, n) != row["bucket"]:
                wrong.append((key, type(form).__name__))
    assert wrong == []


def test_string_rows_in_batches(core: ModuleType, str_rows: list[dict[str, Any]]) -> None:
    by_n: dict[int, list[dict[str, Any]]] = {}
    for row in str_rows:
        by_n.setdefault(row["num_buckets"], []).append(row)
    for n, rows in by_n.items():
        expected = [r["bucket"] for r in rows]
        assert core.jump_hash_many([r["key"] for r in rows], n) == expected
        assert core.jump_hash_many([r["key"].encode() for r in rows], n) == expected


def test_string_rows_include_hard_cases(str_rows: list[dict[str, Any]]) -> None:
    keys = {row["key"] for row in str_rows}
    assert any(len(k) >= 1000 for k in keys)
    assert any("\x00" in k for k in keys)
    assert any(not k.isascii() for k in keys)
    assert any(len(k.encode()) >= 32 for k in keys) and any(len(k.encode()) < 8 for k in keys)


def test_published_vectors(
    core: ModuleType, published_rows: list[tuple[int, int, int, str]]
) -> None:
    sources = {source.split(":")[0] for *_, source in published_rows}
    assert {"guava", "go-jump", "lithammer", "issue"} <= sources
    wrong = [row for row in published_rows if core.jump_hash(row[0], row[1]) != row[2]]
    assert wrong == []


def published(key_type: str) -> list[dict[str, str]]:
    with open(DATA / "interop_published.csv", encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["key_type"] == key_type]


def test_interop_published_vectors(core: ModuleType) -> None:
    # lithammer/go-jump-consistent-hash's HashString vectors (the paper's loop
    # over CRC-32, CRC-64 and FNV hashes), Guava's HashingTest (its loop) and
    # ClickHouse's tests (the paper's loop).
    rows = published("str")
    assert len(rows) == 6 and {r["variant"] for r in rows} == {"paper"}
    for row in rows:
        got = core.jump_hash(row["key"], int(row["num_buckets"]), hasher=row["hasher"])
        assert got == int(row["bucket"]), row
    rows = published("int")
    assert {r["variant"] for r in rows} == {"paper", "guava"} and len(rows) == 32
    for row in rows:
        key, n, variant = int(row["key"]), int(row["num_buckets"]), row["variant"]
        assert core.jump_hash(key, n, variant=variant) == int(row["bucket"]), row


@pytest.mark.parametrize(
    ("key", "n", "bucket"),
    [(42, 57, 43), (-42, 57, 8), (2**64 - 42, 57, 8), (1, 1, 0), (0xDEAD10CC, 666, 361)],
)
def test_headline_vectors(core: ModuleType, key: int, n: int, bucket: int) -> None:
    assert core.jump_hash(key, n) == bucket


def test_a_product_exactly_on_num_buckets_ends_the_loop(
    core: ModuleType, landing_keys: list[tuple[int, int]]
) -> None:
    # j == num_buckets is not < num_buckets: the loop ends and the answer is
    # the previous b, 0 here, as in the paper's `while (j < num_buckets)`.
    # One bucket more and the key moves on.  Hand-derived answers (see the
    # landing_keys fixture), for a boundary random keys essentially never reach.
    np = pytest.importorskip("numpy")
    filler = [(i * 0x9E3779B97F4A7C15) % 2**64 for i in range(40)]
    for key, n in landing_keys:
        assert core.jump_hash(key, n) == 0, (key, n)
        assert core.jump_hash(key, n + 1) == n, (key, n)
        # In a batch, among other keys, at every lane position.
        batch = filler[:17] + [key] * 13 + filler[17:]
        expected = [core.jump_hash(k, n) for k in batch]
        assert expected[17:30] == [0] * 13
        assert core.jump_hash_many(batch, n) == expected
        assert core.jump_hash_many(np.array(batch, dtype=np.uint64), n).tolist() == expected
