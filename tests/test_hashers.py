"""The key hashers of issue 12, in both forms, before they are wired in.

rvh_stable/_hashers.py (pure Python, the specification) against published
check values and independent implementations (zlib, the xxhash package),
and rvh_stable/_c/hashers.h and the seeded XXH64 of _c/xxh64.h against
the pure forms, through a small C driver compiled here.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import xxhash

from rvh_stable import _hashers

HERE = Path(__file__).resolve().parent
HEADERS = HERE.parent / "rvh_stable" / "_c"
STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"]
PURE: dict[str, Callable[[bytes, int], int]] = {
    "fnv1_64": lambda data, seed: _hashers.fnv1_64(data),
    "fnv1a_64": lambda data, seed: _hashers.fnv1a_64(data),
    "crc32": lambda data, seed: _hashers.crc32(data),
    "crc64_xz": lambda data, seed: _hashers.crc64_xz(data),
    "murmur3_128": _hashers.murmur3_128,
    "xxh64": lambda data, seed: xxhash.xxh64_intdigest(data, seed),
}


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


def c_results(lines: list[str], tmp_path: Path) -> list[int]:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc")
    exe = tmp_path / "hashers_check"
    build = subprocess.run(
        [gcc, *STRICT, str(HERE / "c" / "hashers_check.c"), "-o", str(exe)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    out = subprocess.run(
        [str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True
    )
    return [int(v) for v in out.stdout.split()]


@pytest.mark.skipif(not HEADERS.exists(), reason="needs the source tree")
def test_c_hashers_match_the_pure_ones(tmp_path: Path) -> None:
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
    assert c_results(lines, tmp_path) == expected
