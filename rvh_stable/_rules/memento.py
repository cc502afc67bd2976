"""MementoHash tables (the lookups of rvh_stable.Router): their arguments, checked."""

from __future__ import annotations

from typing import NoReturn

from .algorithms import MAX_BUCKETS


def check_memento(size: object, replacers: object, names: object) -> tuple[int, dict[int, int]]:
    """The arguments of a core's ``MementoTable``, checked: ``(size, replacers)``.

    ``size`` is the bucket array's size, an int in ``[0, MAX_BUCKETS]``;
    ``replacers`` maps each removed bucket to its replacer, both ints in
    ``[0, size)``; ``names`` is a tuple of ``size`` entries, a str for each
    working bucket and None for each removed one.  rvh_stable.Router builds
    these; a table that breaks them would send keys nowhere, so both cores
    refuse it.
    """
    if type(size) is not int or not 0 <= size <= MAX_BUCKETS:
        raise ValueError(f"size must be an int in [0, {MAX_BUCKETS}], got {size!r}")
    if not isinstance(replacers, dict):
        raise TypeError(f"replacers must be a dict, got {type(replacers).__name__}")
    if type(names) is not tuple or len(names) != size:
        raise ValueError(f"names must be a tuple of size ({size}) entries")
    table: dict[int, int] = {}
    for bucket, replacer in replacers.items():
        if type(bucket) is not int or type(replacer) is not int:
            raise TypeError("replacers must map int buckets to int replacers")
        if not (0 <= bucket < size and 0 <= replacer < size):
            raise ValueError(
                f"replacers: bucket {bucket} -> {replacer} is outside [0, size={size})"
            )
        table[bucket] = replacer
    # Memento gives the k-th removed bucket the replacer size - k (the buckets
    # then working, minus one), and never gives the first one size - 1 (that
    # is a plain shrink of the array): any such table comes from a history of
    # removals, whose lookups end.
    if sorted(table.values()) != list(range(size - len(table), size)) or (
        table and table.get(size - 1) == size - 1
    ):
        raise ValueError("replacers: not the replacers of a history of removals")
    for bucket, name in enumerate(names):
        removed = bucket in table
        if removed != (name is None) or not (name is None or type(name) is str):
            raise ValueError(
                f"names[{bucket}] must be None for a removed bucket and a str for a working one"
            )
    return size, table


def check_down(down: object, names: tuple[str | None, ...]) -> frozenset[int]:
    """The slots of the nodes a core's ``MementoTable`` is told are down:
    ``down`` is a frozenset of node names, each one that owns a slot in
    ``names`` (rvh_stable.Router.down builds it)."""
    if type(down) is not frozenset:
        raise TypeError(f"down must be a frozenset of node names, got {type(down).__name__}")
    slots = frozenset(slot for slot, name in enumerate(names) if name in down)
    known = {names[slot] for slot in slots}
    for name in down:
        if name not in known:
            raise ValueError(f"down: {name!r} is not the name of a node in the table")
    return slots


def raise_no_nodes() -> NoReturn:
    raise LookupError("the router has no nodes: add one before looking a key up")


def raise_all_down() -> NoReturn:
    raise LookupError(
        "every node of the router is down: bring one up (Router.up) before looking a key up"
    )
