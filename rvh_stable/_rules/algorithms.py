"""The algorithm's arguments: ``num_buckets``, ``algorithm=`` (jump hash or
JumpBackHash), ``variant=`` (jump's loop: the paper's or Guava's), and the
batch kernel ``RVH_STABLE_KERNEL`` asks for."""

from __future__ import annotations

import os

from .keys import _show_int, as_int

#: Largest accepted bucket count.  The paper's function returns an ``int32_t``
#: and its loop compares ``j`` against it, so 2**31-1 is the natural bound; it
#: is also the largest value Java's ``int`` and Go's ``int32`` callers can pass.
MAX_BUCKETS = 2**31 - 1


def check_buckets(num_buckets: object) -> int:
    """Return ``num_buckets`` as an int, or raise TypeError/ValueError."""
    value = as_int(num_buckets)
    if value is None:
        raise TypeError(f"num_buckets must be an int, got {type(num_buckets).__name__}")
    if not 1 <= value <= MAX_BUCKETS:
        raise ValueError(f"num_buckets must be in [1, 2**31-1], got {_show_int(value)}")
    return value


#: The loops ``variant=`` names, each with what it is (for help texts): the
#: paper's (the default), or Guava's ``Hashing.consistentHash``, which
#: differs on rare keys.  The one list of them.
VARIANT_TABLE: dict[str, str] = {
    "paper": "Go's jump, ClickHouse",
    "guava": "Guava's Hashing.consistentHash, which differs on rare keys",
}
VARIANTS = tuple(VARIANT_TABLE)
DEFAULT_VARIANT = VARIANTS[0]


def is_guava(variant: object) -> bool:
    """``variant=`` checked: True for Guava's loop, False for the paper's."""
    names = ", ".join(repr(name) for name in VARIANTS)
    if not isinstance(variant, str):
        raise TypeError(f"variant must be a str, one of {names}, got {type(variant).__name__}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {names}, got {variant!r}")
    return variant == "guava"


#: The algorithms ``algorithm=`` names, each with what it is (for help texts):
#: Lamping and Veach's jump hash (the default, with the loop ``variant=``
#: names), or Ertl's JumpBackHash, as hash4j's ``jumpBackHash`` with
#: SplitMix64.  They give different buckets: one is never the other's
#: replacement.  The one list of them.
ALGORITHM_TABLE: dict[str, str] = {
    "jump": "Lamping and Veach's Jump Consistent Hash",
    "jumpback": "Ertl's JumpBackHash, as hash4j's jumpBackHash: constant time at any n",
}
ALGORITHMS = tuple(ALGORITHM_TABLE)
DEFAULT_ALGORITHM = ALGORITHMS[0]
JUMPBACK = "jumpback"


def pick_loop(algorithm: object, variant: object) -> str:
    """``algorithm=`` and ``variant=`` checked: the loop they name, one of
    "paper", "guava" (jump hash's two loops) and "jumpback"."""
    names = ", ".join(repr(name) for name in ALGORITHMS)
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm must be a str, one of {names}, got {type(algorithm).__name__}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {names}, got {algorithm!r}")
    guava = is_guava(variant)
    if algorithm == JUMPBACK:
        if guava:
            raise ValueError(
                f"algorithm={JUMPBACK!r} has no variants: variant={variant!r} is a loop of "
                f"algorithm='jump' (leave variant= out, or pass algorithm='jump')"
            )
        return JUMPBACK
    return "guava" if guava else "paper"


def requested_kernel(names: list[str], usable: list[str]) -> str | None:
    """The batch kernel RVH_STABLE_KERNEL names, or None when it is unset or empty.

    ``names`` are every kernel the compiled core knows, ``usable`` those this
    build and CPU can run.  A name that is neither, or a kernel that cannot
    run here, is an error: the core never falls back to another kernel
    without being asked.
    """
    name = os.environ.get("RVH_STABLE_KERNEL", "")
    if not name:
        return None
    if name not in names:
        raise ValueError(
            f"RVH_STABLE_KERNEL must be one of {', '.join(names)} (or unset: the fastest "
            f"here), got {name!r}"
        )
    if name not in usable:
        raise ValueError(
            f"RVH_STABLE_KERNEL={name}: this build or this CPU cannot run the {name} kernel; "
            f"it can run {', '.join(usable)} (or unset RVH_STABLE_KERNEL: the fastest here)"
        )
    return name
