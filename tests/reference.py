"""Independent forms of what the cores compute, for the tests' expected values.

Written here from the published descriptions, not from rvh_stable's code, so
that no expectation is the code under test's own answer:

* :func:`jump`: Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash
  Algorithm" (arXiv 1406.2294), Figure 1, in the paper's order of IEEE double
  operations (tests/test_seeded_hashing.py holds it to every row of
  tests/data/jump_reference.csv);
* :func:`key_u64`: the README's key rules (an int modulo 2**64; a str's UTF-8
  and a bytes-like key's bytes through the hasher), with XXH64 from the
  ``xxhash`` package and CRC-32 from zlib;
* :func:`seeded_rows`: tests/data/xxh64_seeded.jsonl, seeded XXH64 recorded
  from the ``xxhash`` package by tools/xxh64_seeded.py, for where that package
  is not installed;
* :func:`recorded_hashes`: every hasher's recorded key hashes (Go's and
  Guava's, tests/data/README.md), seeded ones included.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"

xxhash: Any
try:
    import xxhash
except ImportError:  # a test requirement, absent where the i686 wheels are tested
    xxhash = None


def jump(key: int, num_buckets: int) -> int:
    """The paper's ``JumpConsistentHash(key, num_buckets)`` for a 64-bit ``key``."""
    key %= 2**64
    b, j = -1, 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) % 2**64
        # double(b + 1) * (double(1LL << 31) / double((key >> 33) + 1)), truncated
        j = int(float(b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def key_bytes(key: object) -> bytes:
    """A str key's UTF-8, a bytes-like key's bytes."""
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, bytes | bytearray | memoryview):
        return bytes(key)
    raise TypeError(f"not a str or bytes key: {key!r}")


def key_u64(key: object, hasher: str = "xxh64", seed: int = 0) -> int:
    """The 64-bit integer a key becomes: ints as they are, the rest hashed."""
    if isinstance(key, int):
        return key % 2**64
    data = key_bytes(key)
    if hasher == "crc32":
        return zlib.crc32(data)
    if hasher == "xxh64":
        if xxhash is None:
            raise RuntimeError("the xxhash package is not installed")
        return int(xxhash.xxh64_intdigest(data, seed))
    raise ValueError(f"no independent form of {hasher!r} here")


def seeded_rows() -> list[tuple[str | bytes, int, int]]:
    """(key, seed, XXH64 of the key's bytes with that seed), as the xxhash package gave."""
    rows = []
    with open(DATA / "xxh64_seeded.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            key = bytes.fromhex(row["bytes_hex"]) if "bytes_hex" in row else row["key"]
            rows.append((key, row["seed"], row["key_hash"]))
    return rows


def _jsonl(name: str) -> list[dict[str, Any]]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def recorded_hashes(hasher: str, seed: int | None = None) -> dict[str | bytes, int]:
    """{key: its 64-bit hash} with ``hasher`` and ``seed`` (None: the default),
    as another library recorded it: Go's hash packages and cespare/xxhash
    (seed 0), Guava's murmur3_128 (its padToLong), the xxhash package (seeded
    XXH64).  Empty keys are left out (they are errors in rvh_stable)."""
    found: dict[str | bytes, int] = {}
    if hasher == "murmur3_128":
        for row in _jsonl("interop_guava_murmur3.jsonl"):
            if row.get("kind") != "lone_surrogate" and row["seed"] == (seed or 0):
                found[_key(row)] = row["murmur3_128_padToLong"]
    elif hasher == "xxh64" and seed:
        found.update({key: h for key, s, h in seeded_rows() if s == seed})
    elif not seed:
        for row in _jsonl("interop_go_hashers.jsonl"):
            if row["hasher"] == hasher:
                found[_key(row)] = row["key_hash"]
    found.pop("", None)
    found.pop(b"", None)
    if not found:
        raise LookupError(f"no recorded {hasher} hashes with seed {seed}")
    return found


def _key(row: dict[str, Any]) -> str | bytes:
    return bytes.fromhex(row["bytes_hex"]) if "bytes_hex" in row else str(row["key"])
