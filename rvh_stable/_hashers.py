"""Key hashers other services use, in pure Python: the readable specification.

Groundwork for issue 12 (``hasher=``): each function maps bytes to the
unsigned 64-bit integer a peer library feeds its jump loop.  They are not yet
wired into ``jump_hash``; ``rvh_stable/_c/hashers.h`` is their C twin, and
tests/test_hashers.py holds the two to each other and to recorded vectors.
Tables, not bit loops: the CRCs are table-driven, as in their specifications.

- ``fnv1_64``, ``fnv1a_64``: FNV-1 and FNV-1a, 64-bit (Go's hash/fnv New64
  and New64a).
- ``crc32``: CRC-32/ISO-HDLC, as ``zlib.crc32`` and Go's crc32.ChecksumIEEE,
  zero-extended to 64 bits.
- ``crc64_xz``: CRC-64/XZ (Go's crc64 with the ECMA table); its check value,
  the CRC of b"123456789", is 0x995DC9BBDF1939FA.
- ``murmur3_128``: MurmurHash3 x64 128-bit, first 8 bytes little-endian, as
  Guava's ``Hashing.murmur3_128(seed).hashBytes(b).padToLong()`` taken
  unsigned.  Guava widens its int seed to a long with its sign, so a negative
  seed is not the same as its unsigned 32-bit pattern (which is what the
  reference C code and most ports take).
"""

from __future__ import annotations

import struct

__all__ = ["crc32", "crc64_xz", "fnv1_64", "fnv1a_64", "murmur3_128"]

_MASK64 = 0xFFFFFFFFFFFFFFFF

# --- FNV (Fowler, Noll, Vo), 64-bit ----------------------------------------------

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def fnv1_64(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h * _FNV_PRIME) & _MASK64) ^ byte
    return h


def fnv1a_64(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & _MASK64
    return h


# --- CRCs, reflected, table-driven --------------------------------------------------


def _reflected_table(poly: int) -> tuple[int, ...]:
    """The byte-at-a-time table of a reflected CRC with polynomial ``poly``."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (poly if crc & 1 else 0)
        table.append(crc)
    return tuple(table)


_CRC32_TABLE = _reflected_table(0xEDB88320)  # the IEEE 802.3 polynomial, reflected
_CRC64_TABLE = _reflected_table(0xC96C5795D7870F42)  # ECMA-182, reflected


def crc32(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC32_TABLE[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def crc64_xz(data: bytes) -> int:
    crc = _MASK64
    for byte in data:
        crc = (crc >> 8) ^ _CRC64_TABLE[(crc ^ byte) & 0xFF]
    return crc ^ _MASK64


# --- MurmurHash3 x64 128 (Austin Appleby), as Guava computes it ---------------------

_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F
_unpack_block = struct.Struct("<2Q").unpack_from


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK64


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _MASK64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _MASK64
    return k ^ (k >> 33)


def murmur3_128(data: bytes, seed: int = 0) -> int:
    """The first 64 bits (little-endian) of MurmurHash3 x64 128 of ``data``.

    ``seed`` is a Java int in [-2**31, 2**31): both halves of the state
    start at it widened with its sign to 64 bits, as Guava does.
    """
    h1 = h2 = seed & _MASK64
    size = len(data)
    end = size - size % 16
    for pos in range(0, end, 16):
        k1, k2 = _unpack_block(data, pos)
        h1 ^= (_rotl((k1 * _C1) & _MASK64, 31) * _C2) & _MASK64
        h1 = (_rotl(h1, 27) + h2) & _MASK64
        h1 = (h1 * 5 + 0x52DCE729) & _MASK64
        h2 ^= (_rotl((k2 * _C2) & _MASK64, 33) * _C1) & _MASK64
        h2 = (_rotl(h2, 31) + h1) & _MASK64
        h2 = (h2 * 5 + 0x38495AB5) & _MASK64
    tail = data[end:]
    k1 = int.from_bytes(tail[:8], "little")
    k2 = int.from_bytes(tail[8:], "little")
    if len(tail) > 8:
        h2 ^= (_rotl((k2 * _C2) & _MASK64, 33) * _C1) & _MASK64
    if tail:
        h1 ^= (_rotl((k1 * _C1) & _MASK64, 31) * _C2) & _MASK64
    h1 ^= size
    h2 ^= size
    h1 = (h1 + h2) & _MASK64
    h2 = (h2 + h1) & _MASK64
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    return (h1 + h2) & _MASK64
