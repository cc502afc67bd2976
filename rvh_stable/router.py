"""Named nodes on MementoHash: ``Router``.  (Which keys move, ``plan``, is
in ``planning.py``.)

Jump hash numbers its buckets 0..n-1 and can only add or remove the last
one.  MementoHash (Coluzzi, Brocco, Antonucci, Leidi; IEEE/ACM Transactions
on Networking 2024, arXiv 2306.09783) keeps jump's lookup and lets any bucket
be removed, remembering one entry per removed bucket.  A ``Router`` puts
named nodes with weights on Memento's buckets ("slots"):

* The nodes of the initial list take slots 0, 1, 2, ... in order; a node of
  weight w takes w consecutive slots.
* ``remove(name)`` frees the node's slots, highest first (so a node at the end
  of the array shrinks it, as jump does, and leaves no entry behind).
* ``add(name, weight)`` takes w slots, one at a time: each is the most
  recently freed slot (Memento restores removed buckets last in, first out),
  or a new slot at the end when none is free.  Adding a node back right after
  removing it gives it the very slots it had.

``down(name)`` and ``up(name)`` are not changes of the cluster but this
client's view of it (a server it cannot reach): a key whose slot belongs to
a down node takes a detour (``_c/detour.h``) that depends only on which
nodes are down, never on the order in which they went down or came back.

This file is the bookkeeping: which slot belongs to which node, Memento's
removal history, the JSON state and replicas.  The lookups run in
the core the package picked (``_core.MementoTable``: C in the compiled core,
``_c/memento.h``, and Python in the pure one); a router builds a new,
immutable table for each change and swaps it in, so a lookup on another
thread sees the state before a change or after it, never half of it.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import _rules
from ._core import core as _picked_core

#: The ``format`` and ``version`` fields of ``Router.to_json()``.
FORMAT = "rvh_stable.router"
FORMAT_VERSION = 1

Key = int | str | bytes | bytearray | memoryview

#: The core module rvh_stable._core picked at import: its MementoTable runs
#: the lookups.  (The tests swap in each core in turn.)
_core: Any = _picked_core

#: The most slots a router holds, all nodes together (so the most weight one
#: node may have): a slot costs two pointers, and a state file one entry.
MAX_SLOTS = 1 << 20

_FIELDS = ("format", "version", "hasher", "seed", "size", "nodes", "slots", "removed")


def _check_name(name: object, what: str = "node name") -> str:
    if type(name) is not str:
        raise TypeError(f"{what} must be a str, got {type(name).__name__}")
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate: no UTF-8 text (a state file, a reply) can carry it.
            raise ValueError(f"{what} {name!r} cannot be written as UTF-8") from None
    return name


def _check_weight(weight: object, name: str) -> int:
    if _rules.is_bool(weight) or type(weight) is not int:
        raise TypeError(
            f"weight of node {name!r} must be an int in [1, {MAX_SLOTS}], "
            f"got {type(weight).__name__}"
        )
    if not 1 <= weight <= MAX_SLOTS:
        shown = weight if weight.bit_length() < 64 else f"an int of {weight.bit_length()} bits"
        raise ValueError(f"weight of node {name!r} must be an int in [1, {MAX_SLOTS}], got {shown}")
    return weight


def _whole(keys: object) -> bool:
    """Whether a batch's lookups may read ``keys`` as they are: an Arrow
    column or a buffer, which give the same keys each time they are read."""
    if _rules.is_arrow(keys):
        return True
    try:
        memoryview(keys)  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


class _State:
    """One state of a router: Memento's bookkeeping and the slots' owners.

    ``removed`` maps each removed slot to ``(replacer, previous)`` in the
    order of removal (dicts keep it); ``last`` is the slot the next add
    restores (``size`` when none is removed).
    """

    __slots__ = ("last", "removed", "size", "slots", "weights")

    def __init__(self) -> None:
        self.size = 0
        self.slots: list[str | None] = []
        self.removed: dict[int, tuple[int, int]] = {}
        self.last = 0
        self.weights: dict[str, int] = {}  # the nodes, in the order they joined

    def copy(self) -> _State:
        other = _State()
        other.size, other.last = self.size, self.last
        other.slots = list(self.slots)
        other.removed = dict(self.removed)
        other.weights = dict(self.weights)
        return other

    # Memento's two operations, as the paper gives them.

    def free(self, slot: int) -> None:
        """Memento's remove(slot)."""
        if not self.removed and slot == self.size - 1:  # the last slot: jump's own shrink
            self.size = self.last = slot
            del self.slots[slot]
            return
        self.removed[slot] = (self.size - len(self.removed) - 1, self.last)
        self.last = slot
        self.slots[slot] = None

    def take(self) -> int:
        """Memento's add(): the slot it restores, or a new one at the end."""
        slot = self.last
        if self.removed:
            self.last = self.removed.pop(slot)[1]
        else:
            self.last = slot + 1
        if slot >= self.size:
            self.size = slot + 1
            self.slots.append(None)
        return slot

    def add(self, name: str, weight: int) -> None:
        if self.size + max(0, weight - len(self.removed)) > MAX_SLOTS:
            raise ValueError(f"a router holds at most {MAX_SLOTS} slots in all (MAX_SLOTS)")
        for _ in range(weight):
            self.slots[self.take()] = name
        self.weights[name] = weight

    def remove(self, name: str) -> None:
        for slot in sorted(
            (s for s, owner in enumerate(self.slots) if owner == name), reverse=True
        ):
            self.free(slot)
        del self.weights[name]


class Router:
    """Router(nodes=(), *, hasher="xxh64", seed=None)

    Named nodes on MementoHash.  ``nodes`` is an iterable of names (weight 1
    each) or a mapping of names to int weights >= 1.  ``hasher`` and ``seed``
    are jump_hash's: how a str or bytes key becomes the integer that Memento's
    jump lookup is fed.

    Lookups (the methods of the current immutable table; thread-safe):

    * ``node_for(key)``: the key's node; ``nodes_for(keys, threads=1)``: a
      list of them, taking keys as jump_hash_many does;
    * ``slot_for(key)``, ``slots_for(keys, threads=1)``: Memento's buckets.

    Changes of the cluster: ``add(name, weight=1)``, ``remove(name)``.  This
    client's view of failures: ``down(name)``, ``up(name)``, ``down_nodes``.
    Also ``len``, ``in``, ``nodes``, ``weight(name)``, ``group(keys)``,
    ``replicas_for(key, k)``, ``copy()``, ``==``, ``to_json(include_down=False)``
    and ``Router.from_json(text)``.
    """

    node_for: Callable[[Key], str]
    nodes_for: Callable[..., list[str]]
    slot_for: Callable[[Key], int]
    slots_for: Callable[..., Any]

    def __init__(
        self,
        nodes: Iterable[str] | Mapping[str, int] = (),
        *,
        hasher: str = "xxh64",
        seed: int | None = None,
    ) -> None:
        _, effective = _rules.resolve_hasher(hasher, seed)
        self._hasher = hasher
        # An int-like seed (a NumPy integer) is kept as the int it stands for,
        # so that to_json, copy and pickling take it.
        self._seed = None if seed is None else effective
        self._lock = threading.Lock()
        if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
            raise TypeError(
                "nodes must be an iterable of names or a mapping of names to weights, "
                f"got {type(nodes).__name__}"
            )
        if isinstance(nodes, (set, frozenset)):
            raise TypeError(
                "nodes must be ordered (a list or a mapping): the slots follow their order, "
                f"and a {type(nodes).__name__}'s order changes with PYTHONHASHSEED"
            )
        pairs = list(nodes.items()) if isinstance(nodes, Mapping) else [(name, 1) for name in nodes]
        state = _State()
        for name, weight in pairs:
            _check_name(name)
            _check_weight(weight, name)
            if name in state.weights:
                raise ValueError(f"duplicate node name {name!r}")
            state.add(name, weight)
        self._commit(state, frozenset())

    # --- the state and its lookups ------------------------------------------------

    def _commit(self, state: _State, down: frozenset[str] | None = None) -> None:
        """Build the table of ``state`` with ``down`` (the router's down set by
        default) down; only then make them the router's (a failure leaves the
        router as it was)."""
        down = self._view[1] & set(state.weights) if down is None else down
        table = _core.MementoTable(
            state.size,
            {slot: entry[0] for slot, entry in state.removed.items()},
            tuple(state.slots),
            hasher=self._hasher,
            seed=self._seed,
            down=down,
        )
        # The router's one record of its state: a lookup that reads more
        # than the table reads it in one load.
        self._view: tuple[_State, frozenset[str], Any] = (state, down, table)
        # Each lookup is one bound method of one table: a call sees one state.
        self.node_for = table.node_for
        self.nodes_for = table.nodes_for
        self.slot_for = table.slot_for
        self.slots_for = table.slots_for

    @property
    def _state(self) -> _State:
        return self._view[0]

    @property
    def _down(self) -> frozenset[str]:
        return self._view[1]

    def add(self, name: str, weight: int = 1) -> None:
        """Add node ``name`` with ``weight`` slots (the most recently freed
        ones first).  It takes about weight / (total weight) of the keys, all
        from the other nodes in proportion to theirs."""
        _check_name(name)
        _check_weight(weight, name)
        with self._lock:
            if name in self._state.weights:
                raise ValueError(f"node {name!r} is already in the router")
            state = self._state.copy()
            state.add(name, weight)
            self._commit(state)

    def remove(self, name: str) -> None:
        """Remove node ``name``: exactly its keys move, to the other nodes in
        proportion to their weights."""
        _check_name(name)
        with self._lock:
            if name not in self._state.weights:
                raise KeyError(f"no node named {name!r} in the router")
            state = self._state.copy()
            state.remove(name)
            self._commit(state)

    def down(self, name: str) -> None:
        """This client stops routing to node ``name`` (it cannot reach it):
        its keys take their detours, and no other key moves.  Not a change of
        the cluster: ``to_json()`` leaves it out unless asked.  KeyError for an
        unknown node; nothing happens if it is down already."""
        _check_name(name)
        with self._lock:
            if name not in self._state.weights:
                raise KeyError(f"no node named {name!r} in the router")
            if name not in self._down:
                self._commit(self._state, self._down | {name})

    def up(self, name: str) -> None:
        """This client routes to node ``name`` again: exactly the keys whose
        detours it ends come back to it.  KeyError for an unknown node,
        ValueError if it is not down."""
        _check_name(name)
        with self._lock:
            if name not in self._state.weights:
                raise KeyError(f"no node named {name!r} in the router")
            if name not in self._down:
                raise ValueError(f"node {name!r} is not down")
            self._commit(self._state, self._down - {name})

    @property
    def down_nodes(self) -> frozenset[str]:
        """The names of the nodes that are down (``down``), in this client's view."""
        return self._down

    def group(self, keys: Any, *, threads: int | None = 1) -> dict[str, list[Any]]:
        """For each node that gets any of ``keys``, the keys routed to it, in
        their input order: ``{node: [key, ...]}``, nodes in the router's
        order.  ``keys`` is anything ``nodes_for`` takes; the keys are listed
        as Python objects (an array's elements, an Arrow array's values)."""
        listed = _rules.key_list(keys)
        state, _, table = self._view  # one state for the whole batch
        # An Arrow column or an array is placed as it is (the fast path);
        # anything else from its list, so that the keys are read once.
        found = table.nodes_for(keys if _whole(keys) else listed, threads=threads)
        groups: dict[str, list[Any]] = {name: [] for name in state.weights}
        for key, name in zip(listed, found, strict=True):
            groups[name].append(key)
        return {name: got for name, got in groups.items() if got}

    # --- the container -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._state.weights)

    def __contains__(self, name: object) -> bool:
        return name in self._state.weights

    @property
    def nodes(self) -> list[str]:
        """The node names, in the order they joined."""
        return list(self._state.weights)

    @property
    def hasher(self) -> str:
        """The name of the key hasher, as given (``jump_hash``'s ``hasher``)."""
        return self._hasher

    @property
    def seed(self) -> int | None:
        """The hasher's seed, as given (None: the hasher's default)."""
        return self._seed

    def weight(self, name: str) -> int:
        """The weight (number of slots) of node ``name``."""
        try:
            return self._state.weights[name]
        except KeyError:
            raise KeyError(f"no node named {name!r} in the router") from None

    def copy(self) -> Router:
        """An independent router in the same state, down nodes included."""
        return Router.from_json(self.to_json(include_down=True))

    def __eq__(self, other: object) -> bool:
        """Routers are equal when they place every key alike, now and after
        any same changes: same hasher and seed, same slots, same removal
        history."""
        if not isinstance(other, Router):
            return NotImplemented
        # The same placement now and after any same changes: the order in
        # which nodes joined (``nodes``) is not part of it; the down set is.
        mine, theirs = self._canonical(True), other._canonical(True)
        del mine["nodes"], theirs["nodes"]
        # seed=None is the hasher's own default: compare the seeds in effect.
        for side in (mine, theirs):
            side["seed"] = _rules.resolve_hasher(side["hasher"], side["seed"])[1]
        mine["down"], theirs["down"] = set(mine["down"]), set(theirs["down"])
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        weights = self._state.weights
        shown = ", ".join(f"{name!r}: {w}" for name, w in weights.items())
        down = f", down={sorted(self._down)!r}" if self._down else ""
        return f"Router({{{shown}}}, hasher={self._hasher!r}{down})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Router.from_json, (self.to_json(include_down=True),))

    # --- replicas ------------------------------------------------------------------

    def replicas_for(self, key: Key, k: int) -> list[str]:
        """``k`` distinct nodes for ``key``, all up; the first is ``node_for(key)``.

        The others are the best k - 1 of the remaining nodes that are up, by
        weighted rendezvous (highest random weight): with h the key's 64-bit
        integer (``hash_key`` with the router's hasher and seed), node X of
        weight w scores the largest of ``XXH64(h as 8 little-endian bytes + i
        as 4 little-endian bytes + X's UTF-8)`` for i in [0, w); higher scores
        come first, and equal ones in the order of the names' UTF-8.  So
        removing node X changes only the lists that hold X, each by one node (X
        out, one in), and adding X back restores them.  ``k`` is in [1, the
        number of nodes that are up].
        """
        if _rules.is_bool(k) or type(k) is not int:
            raise TypeError(f"k must be an int, got {type(k).__name__}")
        state, down, table = self._view  # one state, even with no GIL
        weights = {name: w for name, w in state.weights.items() if name not in down}
        first = table.node_for(key)  # LookupError with no node up
        if not 1 <= k <= len(weights):
            raise ValueError(
                f"k must be in [1, {len(weights)}] (the number of nodes that are up), got {k}"
            )
        if k == 1:
            return [first]
        prefix = _core.hash_key(key, hasher=self._hasher, seed=self._seed).to_bytes(8, "little")
        xxh64 = _core.xxh64

        def rank(name: str) -> tuple[int, bytes]:
            data = name.encode("utf-8")
            best = max(xxh64(prefix + i.to_bytes(4, "little") + data) for i in range(weights[name]))
            return -best, data

        others = sorted((name for name in weights if name != first), key=rank)
        return [first, *others[: k - 1]]

    # --- the state as JSON ---------------------------------------------------------

    def _canonical(self, include_down: bool = False) -> dict[str, Any]:
        state, down_set, _ = self._view
        down = {"down": [n for n in state.weights if n in down_set]} if include_down else {}
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "hasher": self._hasher,
            "seed": self._seed,
            "size": state.size,
            "nodes": list(state.weights),
            "slots": list(state.slots),
            "removed": list(state.removed),
            **down,
        }

    def to_json(self, *, include_down: bool = False) -> str:
        """The router's state as JSON text (``Router.from_json`` reads it):

        ``{"format": "rvh_stable.router", "version": 1, "hasher": ..., "seed":
        ..., "size": n, "nodes": [names in the order they joined], "slots":
        [the node of each of the n slots, null where removed], "removed":
        [the removed slots, oldest removal first]}``.  The slots and the
        removal order rebuild Memento's table: the k-th removed slot (from 1)
        has the replacer n - k.  A node's weight is its number of slots.

        The down set is this client's view, not the cluster's: with
        ``include_down=True`` (only) the object ends with ``"down": [the
        names of the down nodes, in the order of nodes]``.
        """
        if type(include_down) is not bool:
            raise TypeError(f"include_down must be a bool, got {type(include_down).__name__}")
        with self._lock:
            data = self._canonical(include_down)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Router:
        """The router ``to_json`` wrote; ValueError naming the field for a bad state."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"router state: not JSON text: {exc}") from None
        except RecursionError:
            raise ValueError("router state: not a router state: JSON nested too deep") from None
        if not isinstance(data, dict):
            raise ValueError("router state: must be a JSON object")
        unknown = sorted(set(data) - set(_FIELDS) - {"down"})
        missing = [field for field in _FIELDS if field not in data]
        if unknown or missing:
            raise ValueError(
                f"router state: field {(unknown or missing)[0]!r} is "
                f"{'not known' if unknown else 'missing'}"
            )

        def bad(field: str, why: str) -> ValueError:
            return ValueError(f"router state: field {field!r} {why}")

        if data["format"] != FORMAT:
            raise bad("format", f"must be {FORMAT!r}")
        if data["version"] != FORMAT_VERSION or _rules.is_bool(data["version"]):
            raise bad("version", f"must be {FORMAT_VERSION} (this version of rvh_stable reads it)")
        try:
            _rules.resolve_hasher(data["hasher"], data["seed"])
        except (TypeError, ValueError) as exc:
            raise bad("hasher" if "hasher" in str(exc).split()[0] else "seed", str(exc)) from None
        size, nodes, slots, removed = data["size"], data["nodes"], data["slots"], data["removed"]
        if type(size) is not int or not 0 <= size <= MAX_SLOTS:
            raise bad("size", f"must be an int in [0, {MAX_SLOTS}] (MAX_SLOTS)")
        if not isinstance(nodes, list) or any(type(n) is not str for n in nodes):
            raise bad("nodes", "must be a list of str")
        for name in nodes:
            try:
                _check_name(name)
            except ValueError as exc:
                raise bad("nodes", f"must hold UTF-8 text: {exc}") from None
        if len(set(nodes)) != len(nodes):
            raise bad("nodes", "must not name a node twice")
        if not isinstance(slots, list) or len(slots) != size:
            raise bad("slots", "must be a list of size entries")
        known = set(nodes)
        if any(s is not None and type(s) is not str for s in slots):
            raise bad("slots", "must hold only names from nodes, or null")
        owned = Counter(slots)  # linear time: a state file is input from elsewhere
        if any(s is not None and s not in known for s in owned):
            raise bad("slots", "must hold only names from nodes, or null")
        if known - set(owned):
            raise bad("nodes", "must each own at least one slot")
        if not isinstance(removed, list) or any(
            type(s) is not int or not 0 <= s < size for s in removed
        ):
            raise bad("removed", "must be a list of slots in [0, size)")
        if len(set(removed)) != len(removed) or set(removed) != {
            i for i, s in enumerate(slots) if s is None
        }:
            raise bad("removed", "must list each null slot once")
        if removed and removed[0] == size - 1:
            raise bad("removed", "must not start with the last slot (that one shrinks size)")
        state = _State()
        state.size, state.slots, state.last = size, list(slots), size
        for k, slot in enumerate(removed):
            state.removed[slot] = (size - k - 1, state.last)
            state.last = slot
        for name in nodes:
            state.weights[name] = owned[name]
        down = data.get("down", [])
        if not isinstance(down, list) or any(
            type(name) is not str or name not in state.weights for name in down
        ):
            raise bad("down", "must be a list of names from nodes")
        if len(set(down)) != len(down):
            raise bad("down", "must not name a node twice")
        router = cls.__new__(cls)
        router._hasher, router._seed = data["hasher"], data["seed"]
        router._lock = threading.Lock()
        router._commit(state, frozenset(down))
        return router


__all__ = ["FORMAT", "FORMAT_VERSION", "MAX_SLOTS", "Key", "Router"]
