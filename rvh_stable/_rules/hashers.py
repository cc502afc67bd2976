"""Hashers: the table of the names ``hasher=`` takes, and ``seed=``."""

from __future__ import annotations

from typing import NamedTuple

from .keys import _show_int, as_int


class HasherSpec(NamedTuple):
    """One row of :data:`HASHER_TABLE`: what a ``hasher=`` name is."""

    #: The seeds it takes, as ``[low, high)``, or None for a hasher without one.
    seeds: tuple[int, int] | None
    #: Where its answers come from, for help texts ("Guava's", "Go's hash/fnv").
    origin: str
    #: Its seeds in words, for help texts ("0 to 2**64-1"); "" without a seed.
    seed_words: str


#: The key hashers ``hasher=`` names: the one list of them.  Both cores, the
#: command line's ``--hasher`` (its choices and help) and the tests read it;
#: each C function is looked up in ``_c/hashers.h``'s table by this name.
#: The first is the default: XXH64 with seed 0.  Integer keys never go
#: through a hasher.
HASHER_TABLE: dict[str, HasherSpec] = {
    "xxh64": HasherSpec((0, 2**64), "XXH64, the default", "0 to 2**64-1 (default 0)"),
    # a Java int, as Guava's murmur3_128(int seed)
    "murmur3_128": HasherSpec((-(2**31), 2**31), "Guava's", "a Java int (default 0)"),
    "fnv1a_64": HasherSpec(None, "Go's hash/fnv", ""),
    "fnv1_64": HasherSpec(None, "Go's hash/fnv", ""),
    "crc64_xz": HasherSpec(None, "Go's hash/crc64, ECMA table", ""),
    "crc32": HasherSpec(None, "Go's hash/crc32, IEEE", ""),
}

HASHER_SEEDS: dict[str, tuple[int, int] | None] = {
    name: spec.seeds for name, spec in HASHER_TABLE.items()
}

HASHERS = tuple(HASHER_TABLE)

DEFAULT_HASHER = HASHERS[0]

_SEED_TEXT = {0: "0", 2**64: "2**64", -(2**31): "-2**31", 2**31: "2**31"}


def resolve_hasher(hasher: object, seed: object) -> tuple[str, int]:
    """``(hasher, seed)`` checked: the hasher's name and the seed as an int
    (0 where none was given).  Raises TypeError or ValueError naming the
    argument and what it may be."""
    names = ", ".join(repr(name) for name in HASHERS)
    if not isinstance(hasher, str):
        raise TypeError(f"hasher must be a str, one of {names}, got {type(hasher).__name__}")
    if hasher not in HASHER_SEEDS:
        raise ValueError(f"hasher must be one of {names}, got {hasher!r}")
    bounds = HASHER_SEEDS[hasher]
    if seed is None:
        return hasher, 0
    if bounds is None:
        raise ValueError(f"seed: the {hasher} hasher takes no seed, got seed={seed!r}")
    value = as_int(seed)
    if value is None:
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    low, high = bounds
    if not low <= value < high:
        raise ValueError(
            f"seed must be an int in [{_SEED_TEXT[low]}, {_SEED_TEXT[high]}) for the {hasher} "
            f"hasher, got {_show_int(value)}"
        )
    return hasher, value
