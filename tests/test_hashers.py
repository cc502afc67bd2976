"""Key hashers: hasher= and seed=, in both cores, and their pure and C forms.

Every list of "all hashers" here is ``rvh_stable._rules.HASHER_TABLE``:
a hasher added there is covered by these tests, or fails them until its
vectors and its pure form exist.

* The same key hashes as the Go and Java services: vectors recorded from
  the real libraries by tools/interop.sh (tests/data/README.md says how):
  Go 1.19's hash/crc32, hash/crc64, hash/fnv and cespare/xxhash, and Guava
  31.1's murmur3_128.
* rvh_stable/_hashers.py (pure Python, the specification) against published
  check values and independent implementations (zlib, the xxhash package).
* rvh_stable/_c/hashers.h and the seeded XXH64 of _c/xxh64.h against the
  pure forms, through tests/c/hashers_check.c.
* hasher= and seed= errors, the same from every entry point of both cores.
"""

from __future__ import annotations

import json
import random
import subprocess
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from c_driver import CDrivers
from helpers import np
from reference import jump

from rvh_stable import _hashers, _rules

DATA = Path(__file__).parent / "data"
HASHERS = _rules.HASHERS


def pure_hasher(name: str) -> Callable[[bytes, int], int]:
    """``name``'s pure form in rvh_stable._hashers, as ``f(data, seed)``."""
    func = getattr(_hashers, name)
    if _rules.HASHER_TABLE[name].seeds is None:
        return lambda data, seed: int(func(data))
    return lambda data, seed: int(func(data, seed))


xxhash: Any
try:
    import xxhash
except ImportError:  # a test requirement, absent where the i686 wheels are tested
    xxhash = None

# Each hasher's pure form, but XXH64's is the xxhash package's where it is
# installed: an independent implementation (test_pure_xxh64_is_the_xxhash_packages
# holds rvh_stable._hashers.xxh64 to it).
PURE: dict[str, Callable[[bytes, int], int]] = {name: pure_hasher(name) for name in HASHERS}
if xxhash is not None:
    PURE["xxh64"] = xxhash.xxh64_intdigest


def jsonl(name: str) -> list[dict[str, Any]]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def key_of(row: dict[str, Any]) -> str | bytes:
    return bytes.fromhex(row["bytes_hex"]) if "bytes_hex" in row else row["key"]


def recorded_hashers() -> set[str]:
    """The hashers with vectors recorded from another library."""
    go = {row["hasher"] for row in jsonl("interop_go_hashers.jsonl")}
    guava = {"murmur3_128"} if jsonl("interop_guava_murmur3.jsonl") else set()
    return go | guava


def test_the_hasher_names_are_the_rules() -> None:
    # The one list: HASHERS is the table's names, in its order, the first the
    # default; every name has a pure form and vectors from another library.
    assert HASHERS == tuple(_rules.HASHER_TABLE) == tuple(_rules.HASHER_SEEDS)
    assert _rules.DEFAULT_HASHER == HASHERS[0] == "xxh64"
    assert recorded_hashers() == set(HASHERS)
    for name in HASHERS:
        assert callable(getattr(_hashers, name, None)), f"no pure {name} in rvh_stable._hashers"


def test_go_hashers(core: ModuleType) -> None:
    rows = jsonl("interop_go_hashers.jsonl")
    # Every hasher but Guava's murmur3_128 (test_guava_murmur3).
    assert {row["hasher"] for row in rows} == set(HASHERS) - {"murmur3_128"}
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


@pytest.mark.parametrize("hasher", HASHERS)
def test_int_keys_ignore_the_hasher(core: ModuleType, hasher: str) -> None:
    seed = 7 if hasher in ("xxh64", "murmur3_128") else None
    for key in (0, 42, -1, 2**64 - 1):
        assert core.hash_key(key, hasher=hasher, seed=seed) == key % 2**64
        assert core.jump_hash(key, 1000, hasher=hasher, seed=seed) == jump(key % 2**64, 1000)
    want = [jump(1, 10), jump(2, 10)]
    assert core.jump_hash_many([1, 2], 10, hasher=hasher, seed=seed) == want


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


NAMES = "'xxh64', 'murmur3_128', 'fnv1a_64', 'fnv1_64', 'crc64_xz', 'crc32'"
XXH64_SEEDS = "seed must be an int in [0, 2**64) for the xxh64 hasher, got"
NO_SEED = "seed: the crc32 hasher takes no seed, got seed=1"
MURMUR3_SEEDS = "seed must be an int in [-2**31, 2**31) for the murmur3_128 hasher, got"
# Whole messages: each names the argument, what it may be, and what it got.
BAD = [
    ({"hasher": "md5"}, ValueError, f"hasher must be one of {NAMES}, got 'md5'"),
    ({"hasher": 5}, TypeError, f"hasher must be a str, one of {NAMES}, got int"),
    ({"hasher": "crc32", "seed": 1}, ValueError, NO_SEED),
    ({"seed": -1}, ValueError, f"{XXH64_SEEDS} -1"),
    ({"seed": 2**64}, ValueError, f"{XXH64_SEEDS} 18446744073709551616"),
    ({"hasher": "murmur3_128", "seed": 2**31}, ValueError, f"{MURMUR3_SEEDS} 2147483648"),
    ({"hasher": "murmur3_128", "seed": -(2**31) - 1}, ValueError, f"{MURMUR3_SEEDS} -2147483649"),
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
            with pytest.raises(kind) as info:
                call()
            assert type(info.value) is kind
            seen.add(str(info.value))
    assert seen == {message}  # one message, from every entry point of both cores


def _fresh(text: str) -> str:
    """An equal str that is not the interned object a literal would be."""
    return "".join(list(text))


class _Name(str):
    pass


def test_every_keyword_path_gives_the_pure_answers(cores: tuple[ModuleType, ModuleType]) -> None:
    # The compiled jump_hash decides the common keyword calls in C (_c/pyglue.h)
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


def test_xxh64_matches_xxhash_package(core: ModuleType) -> None:
    xxhash = pytest.importorskip("xxhash")
    import random

    rng = random.Random(1406)
    # Every length through several stripes, so each tail path is exercised.
    for size in range(0, 300):
        data = rng.randbytes(size)
        assert core.xxh64(data) == xxhash.xxh64_intdigest(data), size
    assert core.xxh64(b"") == 0xEF46DB3751D8E999
    assert core.xxh64(bytearray(b"abc")) == xxhash.xxh64_intdigest(b"abc")
    assert core.xxh64(memoryview(b"abcdefgh")[::2]) == xxhash.xxh64_intdigest(b"aceg")
    with pytest.raises(TypeError, match="data must be a bytes-like object, got str"):
        core.xxh64("abc")


def test_xxh64_of_a_strided_array_is_of_its_bytes_in_order(core: ModuleType) -> None:
    if np is None:
        pytest.skip("needs NumPy")
    data = np.arange(40, dtype=np.uint8)[::3]
    assert not data.flags.c_contiguous
    assert core.xxh64(data) == core.xxh64(data.tobytes())
    two_d = np.arange(24, dtype=np.uint16).reshape(4, 6).T
    assert core.xxh64(two_d) == core.xxh64(two_d.tobytes())


def test_a_released_memoryview_is_still_an_error(core: ModuleType) -> None:
    view = memoryview(b"abc")
    view.release()
    with pytest.raises(ValueError, match="released"):
        core.xxh64(view)


def samples(seed: int) -> list[bytes]:
    """Every length up to 70 (each murmur3 and XXH64 tail), some longer, and text."""
    rng = random.Random(seed)
    data = [rng.randbytes(n) for n in range(71)] + [rng.randbytes(rng.randrange(71, 600))]
    return data + [s.encode() for s in ("localhost", "ёлка", "ветер", "中国", "日本", "𝄞 clef")]


def test_published_check_values() -> None:
    # The CRC catalogue's check input; FNV's own test values (draft-eastlake-fnv).
    assert _hashers.crc64_xz(b"123456789") == 0x995DC9BBDF1939FA
    assert _hashers.crc32(b"123456789") == 0xCBF43926
    assert _hashers.fnv1_64(b"") == _hashers.fnv1a_64(b"") == 0xCBF29CE484222325
    assert _hashers.fnv1_64(b"a") == 0xAF63BD4C8601B7BE
    assert _hashers.fnv1a_64(b"a") == 0xAF63DC4C8601EC8C
    assert _hashers.fnv1a_64(b"foobar") == 0x85944171F73967E8
    assert _hashers.fnv1_64(b"foobar") == 0x340D8765A4DDA9C2


def test_pure_xxh64_is_the_xxhash_packages() -> None:
    xxhash = pytest.importorskip("xxhash")
    for seed in (0, 1, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15):
        for data in samples(seed % 97):
            assert _hashers.xxh64(data, seed) == xxhash.xxh64_intdigest(data, seed)


def test_pure_crc32_is_zlibs() -> None:
    for data in samples(1):
        assert _hashers.crc32(data) == zlib.crc32(data)


def test_murmur3_seed_is_widened_with_its_sign() -> None:
    # Guava's rule: the int seed -1 starts both halves at 2**64 - 1, which is
    # not what the unsigned 32-bit pattern 2**32 - 1 gives.
    data = b"tx42"
    assert _hashers.murmur3_128(data, -1) != _hashers.murmur3_128(data, 2**32 - 1)
    assert _hashers.murmur3_128(b"", 0) == 0  # every step of an empty input is 0


def c_results(c_drivers: CDrivers, lines: list[str]) -> list[int]:
    exe = c_drivers.build("hashers_check.c")
    out = subprocess.run(
        [str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True
    )
    return [int(v) for v in out.stdout.split()]


def test_c_hashers_match_the_pure_ones(c_drivers: CDrivers) -> None:
    # Every hasher of the table, through _c/hashers.h's table of C functions.
    seeds = {
        "murmur3_128": [0, 1, -1, 42, -(2**31), 2**31 - 1, -123456789],
        "xxh64": [0, 1, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15],
    }
    lines: list[str] = []
    expected: list[int] = []
    for name, pure in PURE.items():
        for seed in seeds.get(name, [0]):
            for data in samples(len(lines)):
                lines.append(f"{name} {seed} {data.hex() or '-'}")
                expected.append(pure(data, seed))
    assert c_results(c_drivers, lines) == expected
