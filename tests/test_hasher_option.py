"""hasher=, seed= and variant=: the same buckets as the Go and Java services, in both cores.

The vectors were recorded from the real libraries by tools/interop.sh
(tests/data/README.md says how): Go 1.19's hash/crc32, hash/crc64, hash/fnv
and cespare/xxhash with the paper's loop, and Guava 31.1's murmur3_128.
"""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
import subprocess
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rvh_stable import _hashers, _rules, aio

DATA = Path(__file__).parent / "data"
HASHERS = ["xxh64", "murmur3_128", "fnv1a_64", "fnv1_64", "crc64_xz", "crc32"]


def jsonl(name: str) -> list[dict[str, Any]]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def key_of(row: dict[str, Any]) -> str | bytes:
    return bytes.fromhex(row["bytes_hex"]) if "bytes_hex" in row else row["key"]


def test_the_hasher_names_are_the_rules() -> None:
    assert list(_rules.HASHERS) == HASHERS
    assert _rules.DEFAULT_HASHER == "xxh64"


def test_go_hashers(core: ModuleType) -> None:
    rows = jsonl("interop_go_hashers.jsonl")
    assert {row["hasher"] for row in rows} == {"xxh64", "fnv1a_64", "fnv1_64", "crc64_xz", "crc32"}
    checked = 0
    for row in rows:
        key = key_of(row)
        if not key:  # an empty key is an error here: see test_empty_keys_stay_errors
            continue
        hasher = row["hasher"]
        assert core.hash_key(key, hasher=hasher) == row["key_hash"], row
        assert core.jump_hash(key, row["num_buckets"], hasher=hasher) == row["bucket"], row
        checked += 1
    assert checked > 1900
    by_hasher: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in rows:
        if key_of(row):
            by_hasher.setdefault((row["hasher"], row["num_buckets"]), []).append(row)
    for (hasher, n), group in by_hasher.items():
        got = core.jump_hash_many([key_of(r) for r in group], n, hasher=hasher)
        assert got == [r["bucket"] for r in group], (hasher, n)


def test_the_pure_hashers_on_every_go_row_even_empty_ones() -> None:
    for row in jsonl("interop_go_hashers.jsonl"):
        key = key_of(row)
        data = key.encode() if isinstance(key, str) else key
        if row["hasher"] == "xxh64":
            assert _hashers.xxh64(data) == row["key_hash"]
        else:
            assert getattr(_hashers, row["hasher"])(data) == row["key_hash"], row


def test_guava_murmur3(core: ModuleType) -> None:
    rows = jsonl("interop_guava_murmur3.jsonl")
    seeds = set()
    for row in rows:
        if row["kind"] == "lone_surrogate":
            # Java hashes an unpaired surrogate as "?"; such a str is an error
            # here (it has no UTF-8), and its bytes give Java's hash.
            data = bytes.fromhex(row["java_utf8_hex"])
            with pytest.raises(ValueError, match="encodable as UTF-8"):
                core.hash_key(row["key"], hasher="murmur3_128", seed=row["seed"])
        else:
            data = key_of(row)  # type: ignore[assignment]
        if not data:
            assert _hashers.murmur3_128(b"", row["seed"]) == row["murmur3_128_padToLong"]
            continue
        seeds.add(row["seed"])
        got = core.hash_key(data, hasher="murmur3_128", seed=row["seed"])
        assert got == row["murmur3_128_padToLong"], row
    assert min(seeds) == -(2**31) and max(seeds) == 2**31 - 1 and -1 in seeds


def published(key_type: str) -> list[dict[str, str]]:
    with open(DATA / "interop_published.csv", encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["key_type"] == key_type]


def test_published_vectors(core: ModuleType) -> None:
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


def guava_rows() -> list[tuple[int, int, int, str]]:
    with open(DATA / "interop_guava_consistent.csv", newline="") as f:
        return [
            (int(r["key"]), int(r["num_buckets"]), int(r["bucket"]), r["kind"])
            for r in csv.DictReader(f)
        ]


def test_guava_consistent_hash(core: ModuleType) -> None:
    rows = guava_rows()
    assert len(rows) > 5000
    differ = 0
    for key, n, bucket, kind in rows:
        assert core.jump_hash(key, n, variant="guava") == bucket, (key, n, kind)
        assert core.jump_hash(key - 2**64 * (key >> 63), n, variant="guava") == bucket
        differ += core.jump_hash(key, n) != bucket
    # The keys where Guava's loop and the paper's part are there, and many.
    assert differ > 800


def test_guava_batches(core: ModuleType) -> None:
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, bucket, _ in guava_rows():
        by_n.setdefault(n, []).append((key, bucket))
    for n, pairs in by_n.items():
        keys, want = [k for k, _ in pairs], [b for _, b in pairs]
        assert core.jump_hash_many(keys, n, variant="guava") == want, n
        assert core.jump_hash_many(iter(keys), n, variant="guava") == want, n
    np = pytest.importorskip("numpy")
    rows = guava_rows()
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
        with pytest.raises(kind, match=message):
            call()


@pytest.mark.parametrize("hasher", HASHERS)
def test_int_keys_ignore_the_hasher(core: ModuleType, hasher: str) -> None:
    seed = 7 if hasher in ("xxh64", "murmur3_128") else None
    for key in (0, 42, -1, 2**64 - 1):
        assert core.hash_key(key, hasher=hasher, seed=seed) == key % 2**64
        assert core.jump_hash(key, 1000, hasher=hasher, seed=seed) == core.jump_hash(key, 1000)
    assert core.jump_hash_many([1, 2], 10, hasher=hasher, seed=seed) == core.jump_hash_many(
        [1, 2], 10
    )


def test_defaults_are_the_default(core: ModuleType) -> None:
    for key in ("tx42", b"tx42", "ключ"):
        assert core.jump_hash(key, 1000, hasher="xxh64") == core.jump_hash(key, 1000)
        assert core.jump_hash(key, 1000, hasher="xxh64", seed=0) == core.jump_hash(key, 1000)
        assert core.hash_key(key, hasher="murmur3_128") == core.hash_key(
            key, hasher="murmur3_128", seed=0
        )
    assert core.hash_key("tx42", hasher="xxh64", seed=1) != core.hash_key("tx42")


def test_empty_keys_stay_errors(core: ModuleType) -> None:
    for hasher in HASHERS:
        with pytest.raises(ValueError, match="must not be empty"):
            core.jump_hash("", 10, hasher=hasher)


BAD = [
    ({"hasher": "md5"}, ValueError, "hasher must be one of 'xxh64', 'murmur3_128', "),
    ({"hasher": 5}, TypeError, "hasher must be a str, one of 'xxh64'"),
    ({"hasher": "crc32", "seed": 1}, ValueError, "seed: the crc32 hasher takes no seed"),
    ({"seed": -1}, ValueError, r"seed must be an int in \[0, 2\*\*64\) for the xxh64"),
    ({"seed": 2**64}, ValueError, "seed must be an int in"),
    ({"hasher": "murmur3_128", "seed": 2**31}, ValueError, r"\[-2\*\*31, 2\*\*31\)"),
    ({"hasher": "murmur3_128", "seed": -(2**31) - 1}, ValueError, "murmur3_128 hasher, got"),
    ({"seed": True}, TypeError, "seed must be an int, got bool"),
    ({"seed": "1"}, TypeError, "seed must be an int, got str"),
]


@pytest.mark.parametrize(("options", "kind", "message"), BAD)
def test_bad_options(
    cores: tuple[ModuleType, ModuleType], options: dict[str, Any], kind: type, message: str
) -> None:
    seen = set()
    for core in cores:
        for call in (
            partial(core.jump_hash, "k", 10, **options),
            partial(core.jump_hash, 5, 10, **options),  # checked for int keys too
            partial(core.hash_key, "k", **options),
            partial(core.jump_hash_many, ["k"], 10, **options),
            partial(core.jump_hash_many, [], 10, **options),
        ):
            with pytest.raises(kind, match=message) as info:
                call()
            seen.add(str(info.value))
    assert len(seen) == 1  # one message, from every entry point of both cores


def test_the_async_api_passes_them_on(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aio, "_core", core)

    async def main() -> tuple[int, list[int], int]:
        one = await aio.async_jump_hash("localhost", 10, hasher="crc32")
        many = await aio.async_jump_hash_many(["localhost"] * 5000, 10, hasher="crc32")
        guava = await aio.async_jump_hash(8733038231761546088, 2**30, variant="guava")
        return one, many, guava

    one, many, guava = asyncio.run(main())
    assert one == 9 and many == [9] * 5000 and guava == 48
    with pytest.raises(ValueError, match="takes no seed"):
        asyncio.run(aio.async_jump_hash("k", 10, hasher="fnv1_64", seed=3))


def _fresh(text: str) -> str:
    """An equal str that is not the interned object a literal would be."""
    return "".join(list(text))


class _Name(str):
    pass


def test_every_keyword_path_gives_the_pure_answers(cores: tuple[ModuleType, ModuleType]) -> None:
    # The compiled jump_hash decides the common keyword calls in C (_c/py/fast_entry.h)
    # and hands the rest to its general path: each way must agree with the pure core.
    compiled, pure = cores
    options: list[dict[str, Any]] = [{}, {"variant": "guava"}, {"variant": "paper"}]
    for hasher, bounds in _rules.HASHER_SEEDS.items():
        options += [{"hasher": hasher}, {"hasher": hasher, "seed": None}]
        options.append({"hasher": _fresh(hasher), "variant": _fresh("guava")})
        options.append({"hasher": _Name(hasher)})
        if bounds is not None:
            low, high = bounds
            for seed in {low, low + 1, -1, 0, 1, 2**31 - 1, 2**32, high - 1}:
                if low <= seed < high:
                    options.append({"hasher": hasher, "seed": seed, "variant": "guava"})
                    options.append({"seed": seed, "hasher": hasher})
    keys: list[Any] = ["tx42", "user:0000042", "ключ", b"tx42", bytearray(b"ab"), 0, 7, -1]
    keys += [2**64 - 1, 4626093953513826134, 8733038231761546088]
    for opts in options:
        spelled = {_fresh(name): value for name, value in opts.items()}
        for key in keys:
            for n in (1, 2, 1000, 2**30, 2**31 - 1):
                want = pure.jump_hash(key, n, **opts)
                assert compiled.jump_hash(key, n, **opts) == want, (opts, key, n)
                assert compiled.jump_hash(key, n, **spelled) == want, (opts, key, n)
                assert compiled.jump_hash(key, num_buckets=n, **opts) == want


@pytest.mark.parametrize(
    "options",
    [
        {"hasher": "murmur3_128", "seed": 2**31},
        {"hasher": "murmur3_128", "seed": -(2**31) - 1},
        {"seed": -1},
        {"seed": 2**64},
        {"seed": -(2**63)},
        {"hasher": "crc32", "seed": 0},
        {"seed": True},
        {"hasher": "xxh64 "},
        {"variant": "Guava"},
        {"nope": 1},
    ],
)
def test_keyword_values_past_the_edges_are_errors(
    cores: tuple[ModuleType, ModuleType], options: dict[str, Any]
) -> None:
    messages = set()
    for core in cores:
        for key in ("tx42", 42):
            with pytest.raises((TypeError, ValueError)) as info:
                core.jump_hash(key, 10, **options)
            messages.add((type(info.value), str(info.value)))
    assert len(messages) == 1, messages


HEADERS = Path(__file__).resolve().parent.parent / "rvh_stable" / "_c"


@pytest.mark.skipif(not HEADERS.exists(), reason="needs the source tree")
def test_c_guava_single_key_loop(tmp_path: Path) -> None:
    # tests/c/guava_check.c: the recorded answers through the quick single-key
    # loop and Guava's plain loop; then the quick step against Guava's on
    # steps built to land on or next to an integer.  (Every batch kernel runs
    # the same rows in tests/test_kernels.py::test_every_kernel_in_c.)
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc")
    exe = tmp_path / "guava_check"
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off"]
    source = Path(__file__).parent / "c" / "guava_check.c"
    done = subprocess.run(
        [gcc, *flags, str(source), "-o", str(exe)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    rows = "".join(f"{key},{n},{bucket}\n" for key, n, bucket, _ in guava_rows())
    out = subprocess.run(
        [str(exe), "200000"], input=rows, capture_output=True, text=True, check=True
    )
    checked, wrong_quick, wrong_plain, steps, wrong_steps, paper_differs = map(
        int, out.stdout.split()
    )
    assert checked == len(guava_rows())
    assert (wrong_quick, wrong_plain, wrong_steps) == (0, 0, 0)
    assert steps > 400_000
    assert paper_differs > 100  # steps where the quick step's shortcut had to give way
