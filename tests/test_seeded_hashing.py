"""seed= on XXH64, pinned in both cores to vectors from the xxhash package.

The parity tests hold the pure core to the compiled one; these hold each core,
alone, to XXH64 as the xxhash package computes it (recorded in
tests/data/xxh64_seeded.jsonl, so that they run where that package is not
installed), and each bucket to the paper's loop written out in
tests/reference.py.
"""

from __future__ import annotations

import random
from collections import defaultdict
from types import ModuleType
from typing import Any

import pytest
from helpers import np
from reference import jump, key_bytes, seeded_rows, xxhash

from rvh_stable import _hashers

ROWS = [(key, seed, want) for key, seed, want in seeded_rows() if key]
COUNTS = (1, 2, 7, 1000, 2**31 - 1)


def test_the_reference_jump_is_the_papers(
    jump_rows: list[tuple[int, int, int, str]],
    published_rows: list[tuple[int, int, int, str]],
) -> None:
    # Every reference row, the adversarial ones included: the expectations
    # below are only as good as this loop.
    for key, n, bucket, kind in jump_rows + published_rows:
        assert jump(key, n) == bucket, (key, n, kind)


def test_the_rows_cover_every_tail_and_the_seed_range() -> None:
    lengths = {len(key_bytes(key)) for key, _, _ in ROWS}
    assert set(range(1, 71)) <= lengths
    seeds = {seed for _, seed, _ in ROWS}
    assert {1, 2, 2**63, 2**64 - 1} <= seeds and len(seeds) > 100
    assert any(isinstance(key, bytes) for key, _, _ in ROWS)


def test_the_rows_are_the_xxhash_packages() -> None:
    if xxhash is None:
        pytest.skip("needs the xxhash package")
    for key, seed, want in seeded_rows():
        assert xxhash.xxh64_intdigest(key_bytes(key), seed) == want, (key, seed)


def test_the_pure_seeded_xxh64_is_the_rows() -> None:
    # rvh_stable._hashers.xxh64 is the specification the C is checked against.
    for key, seed, want in seeded_rows():
        assert _hashers.xxh64(key_bytes(key), seed) == want, (key, seed)


def test_seeded_keys(core: ModuleType) -> None:
    for key, seed, want in ROWS:
        forms: list[Any] = [key, key_bytes(key), bytearray(key_bytes(key))]
        for form in forms:
            assert core.hash_key(form, seed=seed) == want, (key, seed)
            assert core.hash_key(form, hasher="xxh64", seed=seed) == want, (key, seed)
        for n in COUNTS:
            assert core.jump_hash(key, n, seed=seed) == jump(want, n), (key, seed, n)
        assert core.jump_hash(key, 1000, hasher="xxh64", seed=seed) == jump(want, 1000)


def test_seeded_batches(core: ModuleType) -> None:
    by_seed: dict[int, list[tuple[str | bytes, int]]] = defaultdict(list)
    for key, seed, key_hash in ROWS:
        by_seed[seed].append((key, key_hash))
    rng = random.Random(22)
    for seed in [*rng.sample(sorted(by_seed), 40), 1, 2**64 - 1]:
        keys = [key for key, _ in by_seed[seed]]
        for n in COUNTS:
            want = [jump(h, n) for _, h in by_seed[seed]]
            assert core.jump_hash_many(keys, n, seed=seed) == want, (seed, n)
            assert core.jump_hash_many(iter(keys), n, seed=seed) == want, (seed, n)
            assert core.jump_hash_many(keys, n, seed=seed, threads=2) == want, (seed, n)
    # The same keys many times: the threaded and chunked paths of a big batch.
    seed = 2**63
    keys = [key for key, _ in by_seed[seed]] * 2000
    want = [jump(h, 1000) for _, h in by_seed[seed]] * 2000
    assert core.jump_hash_many(keys, 1000, seed=seed, threads=2) == want


def test_seeded_numpy_and_arrow_batches(core: ModuleType) -> None:
    keys = [key for key, seed, _ in ROWS if seed == 2**64 - 1 and isinstance(key, str)]
    want = [jump(h, 1000) for key, seed, h in ROWS if seed == 2**64 - 1 and isinstance(key, str)]
    assert len(keys) > 5
    if np is not None:
        array = np.array(keys, dtype=object)
        assert core.jump_hash_many(array, 1000, seed=2**64 - 1).tolist() == want
    try:
        import pyarrow as pa
    except ImportError:
        return
    got = core.jump_hash_many(pa.array(keys), 1000, seed=2**64 - 1)
    assert [int(b) for b in got] == want


def test_seeded_memento_tables(core: ModuleType) -> None:
    # With no bucket removed, a table's slot is the key's seeded jump.
    for n in (1, 5, 37):
        names = tuple(f"n{b}" for b in range(n))
        for seed in (1, 2**63, 2**64 - 1):
            rows = [(key, h) for key, s, h in ROWS if s == seed]
            table = core.MementoTable(n, {}, names, seed=seed)
            want = [jump(h, n) for _, h in rows]
            assert [table.slot_for(key) for key, _ in rows] == want, (n, seed)
            assert table.slots_for([key for key, _ in rows]) == want, (n, seed)
