"""Which keys move when a cluster changes: ``plan``, its ``Plan``, and ``Tally``.

Each side is a bucket count (jump hash over that many buckets) or a
``Router`` (its own nodes, hasher and seed); both sides are the same kind.
The keys are read a chunk at a time (:data:`CHUNK` keys, by position:
``_positional``), each chunk placed on both sides with the core the package
picked (``jump_hash_many``, ``Router.nodes_for``) and counted: totals, the
flows per ``(from, to)``, each owner's load before and after.  Only the keys
that move are kept, so a plan over an iterator of any length holds the moved
keys and nothing else.  ``Tally`` is that counting, a chunk at a time, for a
caller that streams the moved keys itself and keeps none (``rvh-stable
plan``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import _positional, _rules
from ._core import core as _picked_core
from .router import Key, Router

__all__ = ["CHUNK", "Plan", "Tally", "describe", "describe_change", "plan"]

#: The core module rvh_stable._core picked at import: its jump_hash_many
#: places keys on a bucket-count side (the tests swap in each core).
_core: Any = _picked_core

#: Keys placed at a time: large enough that a chunk costs one call of the
#: core per side, small enough that the chunk's owners (two lists of 64 Ki
#: references, ~1 MiB) are all the plan holds besides the moved keys.
CHUNK = 65_536

#: A router is named by its nodes up to this many, spelled in up to this
#: many characters (else by their number): a label fits a title's line.
_NAMED_NODES = 8
_NAMED_CHARS = 48

Move = tuple[Any, Any, Any]


def describe(side: Router | int) -> str:
    """What a side is, in words for a title: "12 buckets", "nodes a,b=2,c (c down)",
    or past eight nodes (or 48 characters of them) their number, "30 nodes (2 down)"."""
    if not isinstance(side, Router):
        return f"{side} bucket{'' if side == 1 else 's'}"
    nodes = side.nodes
    down = [name for name in nodes if name in side.down_nodes]
    if not nodes:
        return "no nodes"
    spelled = ",".join(
        name if side.weight(name) == 1 else f"{name}={side.weight(name)}" for name in nodes
    )
    if len(nodes) > _NAMED_NODES or len(spelled) > _NAMED_CHARS:
        return f"{len(nodes)} nodes" + (f" ({len(down)} down)" if down else "")
    return f"nodes {spelled}" + (f" ({','.join(down)} down)" if down else "")


def _names(names: list[str]) -> str:
    spelled = ",".join(names)
    if len(names) <= _NAMED_NODES and len(spelled) <= _NAMED_CHARS:
        return spelled
    return f"{len(names)} nodes"


def describe_change(before: Router | int, after: Router | int) -> str:
    """What changed between two routers, in words: "removed b; added e; c down";
    "" for bucket counts (their labels say it)."""
    if not (isinstance(before, Router) and isinstance(after, Router)):
        return ""
    parts = []
    removed = [n for n in before.nodes if n not in after]
    added = [n for n in after.nodes if n not in before]
    kept = [n for n in after.nodes if n in before]
    if removed:
        parts.append(f"removed {_names(removed)}")
    if added:
        parts.append(f"added {_names(added)}")
    for name in kept:
        if before.weight(name) != after.weight(name):
            parts.append(f"weight of {name} {before.weight(name)} → {after.weight(name)}")
    went_down = [n for n in kept if n in after.down_nodes and n not in before.down_nodes]
    came_up = [n for n in kept if n in before.down_nodes and n not in after.down_nodes]
    if went_down:
        parts.append(f"{_names(went_down)} down")
    if came_up:
        parts.append(f"{_names(came_up)} up again")
    if (before.hasher, before.seed) != (after.hasher, after.seed):
        parts.append("another hasher or seed")
    if not parts:
        parts.append("no change" if before == after else "same nodes, other slots")
    return "; ".join(parts)


def _check_side(side: object, name: str) -> None:
    if isinstance(side, Router):
        return
    if _rules.is_bool(side) or type(side) is not int:
        raise TypeError(
            f"{name} must be a bucket count (int) or a Router, got {type(side).__name__}"
        )
    _rules.check_buckets(side)


class Tally:
    """Tally(before, after, *, hasher="xxh64", seed=None)

    A plan counted a chunk at a time: ``add(keys)`` places a chunk on both
    sides, counts it and returns its moves; ``plan(moves)`` is the ``Plan``
    of everything added.  The sides are checked here, as ``plan`` checks
    them; a router's state is taken now (later changes to it do not count).
    """

    def __init__(
        self,
        before: Router | int,
        after: Router | int,
        *,
        hasher: str = "xxh64",
        seed: int | None = None,
    ) -> None:
        _rules.resolve_hasher(hasher, seed)
        _check_side(before, "before")
        _check_side(after, "after")
        if isinstance(before, Router) is not isinstance(after, Router):
            kinds = [
                "a Router" if isinstance(s, Router) else "a bucket count" for s in (before, after)
            ]
            raise TypeError(
                "before and after must both be bucket counts or both Routers (a router's "
                f"nodes are not jump's buckets), got {kinds[0]} and {kinds[1]}"
            )
        # One consistent state of each router, whatever changes it later.
        before, after = (s.copy() if isinstance(s, Router) else s for s in (before, after))
        self.labels = (describe(before), describe(after))
        self.change = describe_change(before, after)
        self.total = 0
        self._place = (_placer(before, hasher, seed), _placer(after, hasher, seed))
        nodes = [n for side in (before, after) if isinstance(side, Router) for n in side.nodes]
        self._nodes = list(dict.fromkeys(nodes))
        self._loads: tuple[Counter[Any], Counter[Any]] = (Counter(), Counter())
        self._flows: Counter[tuple[Any, Any]] = Counter()

    def add(self, keys: Any) -> list[tuple[int, Any, Any]]:
        """Place ``keys`` (one chunk: a list, an array or a column) on both
        sides and count them; ``(position in keys, from, to)`` for each key
        that moves, in order.  A chunk the core refuses counts nothing."""
        before = self._place[0](keys)
        after = self._place[1](keys)
        self.total += len(before)
        self._loads[0].update(before)
        self._loads[1].update(after)
        moves = [(i, a, b) for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        self._flows.update((a, b) for _, a, b in moves)
        return moves

    def loads(self) -> dict[Any, tuple[int, int]]:
        """Each owner's number of keys ``(before, after)``: every node of a
        router side, in the routers' order, then every bucket that got keys."""
        before, after = self._loads
        rest = sorted((set(before) | set(after)).difference(self._nodes))
        return {owner: (before[owner], after[owner]) for owner in [*self._nodes, *rest]}

    def plan(self, moves: list[Move] | None = None) -> Plan:
        """The Plan of everything added; ``moves``: its ``(key, from, to)``
        (None: the Plan keeps no moved keys, and ``moves()`` says so)."""
        return Plan(self, moves)


def _placer(side: Router | int, hasher: str, seed: int | None) -> Callable[[Any], list[Any]]:
    if isinstance(side, Router):
        return side.nodes_for
    core = _core

    def place(keys: Any) -> list[Any]:
        found = core.jump_hash_many(keys, side, hasher=hasher, seed=seed)
        return found if isinstance(found, list) else found.tolist()

    return place


class Plan:
    """What moves when a cluster changes from ``before`` to ``after``
    (``rvh_stable.plan`` makes it).

    ``total`` keys were placed; ``moved`` of them change owner (``fraction`` of
    all); ``flows`` counts them per ``(from, to)`` pair, largest first;
    ``loads`` gives each owner's keys ``(before, after)``; ``labels`` names
    the two sides ("10 buckets", "nodes a,b,c") and ``change`` says what
    changed between two routers ("removed b; added d"; "" for buckets).
    The owners are bucket numbers for bucket counts and node names for
    routers.  ``moves()``
    yields ``(key, from, to)`` for each key that moves, ``moved_keys()`` the
    keys alone, and ``plot(path)`` draws the loads and the flows as a PNG
    (needs matplotlib: ``pip install 'rvh-stable[plot]'``).
    """

    def __init__(self, tally: Tally, moves: list[Move] | None) -> None:
        self.labels: tuple[str, str] = tally.labels
        self.change: str = tally.change
        self.total: int = tally.total
        self.flows: dict[tuple[Any, Any], int] = dict(tally._flows.most_common())
        self.moved: int = sum(self.flows.values())
        self.fraction: float = self.moved / self.total if self.total else 0.0
        self.loads: dict[Any, tuple[int, int]] = tally.loads()
        self._moves = moves

    def moves(self) -> Iterator[Move]:
        """``(key, from, to)`` for each key that changes owner, in the keys' order."""
        if self._moves is None:
            raise ValueError("this Plan kept no moved keys (Tally.plan() was given none)")
        return iter(self._moves)

    def moved_keys(self) -> Iterator[Any]:
        """The keys that change owner, in the keys' order."""
        return (key for key, _, _ in self.moves())

    def __repr__(self) -> str:
        return (
            f"Plan({self.labels[0]!r} -> {self.labels[1]!r}, total={self.total}, "
            f"moved={self.moved}, fraction={self.fraction:.4f})"
        )

    def plot(self, path: str, *, top: int = 20) -> None:
        """Draw to ``path`` each owner's keys before and after, side by side,
        and the ``top`` largest flows with their counts: a PNG, or the format
        the name's suffix asks for (``.svg``, ``.pdf``, ...; none: PNG).
        ValueError for an empty path or a suffix matplotlib cannot write."""
        from ._plot import draw

        draw(self, path, top)


def _shifted(exc: Exception, offset: int) -> Exception:
    """The core's error about ``keys[i]`` of a chunk, about ``keys[offset + i]`` of the batch."""
    index = getattr(exc, "index", None)
    if index is None or not offset:
        return exc
    moved = type(exc)(str(exc).replace(f"keys[{index}]: ", f"keys[{index + offset}]: ", 1))
    moved.index = index + offset  # type: ignore[attr-defined]
    moved.key = getattr(exc, "key", None)  # type: ignore[attr-defined]
    return moved


def plan(
    before: Router | int,
    after: Router | int,
    keys: Iterable[Key] | Any,
    *,
    hasher: str = "xxh64",
    seed: int | None = None,
) -> Plan:
    """plan(before, after, keys, *, hasher="xxh64", seed=None) -> Plan

    Which of ``keys`` change owner from ``before`` to ``after``: both bucket
    counts (jump_hash with ``hasher`` and ``seed``) or both Routers (each its
    own).  ``keys`` is anything jump_hash_many takes, read once, by position,
    :data:`CHUNK` keys at a time; the Plan keeps the keys that move, not the
    others.
    """
    tally = Tally(before, after, hasher=hasher, seed=seed)
    moves: list[Move] = []
    for piece in _positional.pieces(keys, CHUNK):
        try:
            found = tally.add(piece.keys)
        except (ValueError, TypeError) as exc:
            shifted = _shifted(exc, piece.start)
            if shifted is exc:
                raise
            raise shifted from None
        if found:
            values = piece.values()
            moves += [(values[i], a, b) for i, a, b in found]
            del values  # not held past its chunk: only the moved keys stay
    return tally.plan(moves)
