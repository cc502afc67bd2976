"""Key hashers other services use, in pure Python: the readable specification.

The hashers ``hasher=`` names (``_rules.HASHER_TABLE`` is the list of them):
each function maps bytes to the unsigned 64-bit integer a peer library feeds
its jump loop.  The pure core (``stable.py``) hashes str and bytes keys with
them; ``rvh_stable/_c/hashers.h`` is their C twin, which the compiled core
uses, and the tests hold the two to each other and to recorded vectors.
Tables, not bit loops: the CRCs are table-driven, as in their specifications.

- ``xxh64``: XXH64 (Yann Collet's published algorithm) with a 64-bit seed;
  seed 0 is the hash of every str and bytes key by default.
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

__all__ = ["crc32", "crc64_xz", "fnv1_64", "fnv1a_64", "murmur3_128", "xxh64"]

_MASK64 = 0xFFFFFFFFFFFFFFFF

# --- XXH64 ----------------------------------------------------------------------

_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P4 = 0x85EBCA77C2B2AE63
_P5 = 0x27D4EB2F165667C5
_unpack_stripe = struct.Struct("<4Q").unpack_from
_unpack_u64 = struct.Struct("<Q").unpack_from
_unpack_u32 = struct.Struct("<I").unpack_from


def _round(acc: int, lane: int) -> int:
    acc = (acc + lane * _P2) & _MASK64
    acc = ((acc << 31) | (acc >> 33)) & _MASK64
    return (acc * _P1) & _MASK64


def xxh64(data: bytes, seed: int = 0) -> int:
    """XXH64 of ``data`` with ``seed`` in [0, 2**64), unsigned 64-bit."""
    size = len(data)
    pos = 0
    if size >= 32:
        v1 = (seed + _P1 + _P2) & _MASK64
        v2 = (seed + _P2) & _MASK64
        v3 = seed
        v4 = (seed - _P1) & _MASK64
        while pos <= size - 32:
            a, b, c, d = _unpack_stripe(data, pos)
            v1 = _round(v1, a)
            v2 = _round(v2, b)
            v3 = _round(v3, c)
            v4 = _round(v4, d)
            pos += 32
        h = (
            ((v1 << 1) | (v1 >> 63))
            + ((v2 << 7) | (v2 >> 57))
            + ((v3 << 12) | (v3 >> 52))
            + ((v4 << 18) | (v4 >> 46))
        ) & _MASK64
        for v in (v1, v2, v3, v4):
            h = ((h ^ _round(0, v)) * _P1 + _P4) & _MASK64
    else:
        h = (seed + _P5) & _MASK64
    h = (h + size) & _MASK64
    while pos + 8 <= size:
        h ^= _round(0, _unpack_u64(data, pos)[0])
        h = ((((h << 27) | (h >> 37)) & _MASK64) * _P1 + _P4) & _MASK64
        pos += 8
    if pos + 4 <= size:
        h ^= (_unpack_u32(data, pos)[0] * _P1) & _MASK64
        h = ((((h << 23) | (h >> 41)) & _MASK64) * _P2 + _P3) & _MASK64
        pos += 4
    while pos < size:
        h ^= (data[pos] * _P5) & _MASK64
        h = ((((h << 11) | (h >> 53)) & _MASK64) * _P1) & _MASK64
        pos += 1
    h ^= h >> 33
    h = (h * _P2) & _MASK64
    h ^= h >> 29
    h = (h * _P3) & _MASK64
    h ^= h >> 32
    return h


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
