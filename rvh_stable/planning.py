"""Which keys move when a cluster changes: ``plan`` and its ``Plan``.

Each side is a bucket count (jump hash over that many buckets) or a
``Router`` (its own nodes, hasher and seed); the plan places every key on
both sides with the core the package picked and compares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from . import _rules
from ._core import core as _picked_core
from .router import Key, Router

__all__ = ["Plan", "plan"]

#: The core module rvh_stable._core picked at import: its jump_hash_many
#: places keys on a bucket-count side (the tests swap in each core).
_core: Any = _picked_core


class Plan:
    """What moves when a cluster changes from ``before`` to ``after``
    (``rvh_stable.plan`` makes it).

    ``total`` keys were placed; ``moved`` of them change owner (``fraction`` of
    all); ``flows`` counts them per ``(from, to)`` pair, largest first; the
    owners are bucket numbers for a bucket count and node names for a router.
    ``moved_keys()`` yields the keys that move, and ``plot(path)`` draws the
    flows as a PNG chart (needs matplotlib: ``pip install 'rvh-stable[plot]'``).
    """

    def __init__(self, keys: Any, before: list[Any], after: list[Any]) -> None:
        self._keys = keys
        self._moves = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        self.total = len(before)
        self.moved = len(self._moves)
        self.fraction = self.moved / self.total if self.total else 0.0
        counts = Counter((before[i], after[i]) for i in self._moves)
        self.flows: dict[tuple[Any, Any], int] = dict(counts.most_common())

    def moved_keys(self) -> Iterator[Any]:
        """The keys that change owner, in their order among the keys."""
        keys = self._keys
        for i in self._moves:
            yield keys[i]

    def __repr__(self) -> str:
        return f"Plan(total={self.total}, moved={self.moved}, fraction={self.fraction:.4f})"

    def plot(self, path: str, *, top: int = 20) -> None:
        """Write a PNG bar chart of the ``top`` largest flows to ``path``."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError(
                "Plan.plot needs matplotlib: pip install 'rvh-stable[plot]'"
            ) from None
        flows = list(self.flows.items())[:top]
        labels = [f"{a} -> {b}" for (a, b), _ in flows][::-1]
        counts = [count for _, count in flows][::-1]
        fig, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(flows) + 1.5)))
        try:
            ax.barh(labels, counts, color="#4c72b0")
            ax.set_xlabel("keys")
            ax.set_title(
                f"{self.moved:,} of {self.total:,} keys move ({self.fraction:.1%}); "
                f"the {len(flows)} largest flows"
            )
            fig.tight_layout()
            fig.savefig(path, format="png")
        finally:
            plt.close(fig)


def _owners(side: Router | int, keys: Any, name: str, options: dict[str, Any]) -> list[Any]:
    if isinstance(side, Router):
        return side.nodes_for(keys)
    if _rules.is_bool(side) or type(side) is not int:
        raise TypeError(
            f"{name} must be a bucket count (int) or a Router, got {type(side).__name__}"
        )
    found = _core.jump_hash_many(keys, side, **options)
    return found if isinstance(found, list) else found.tolist()


def plan(
    before: Router | int,
    after: Router | int,
    keys: Iterable[Key] | Any,
    *,
    hasher: str = "xxh64",
    seed: int | None = None,
) -> Plan:
    """plan(before, after, keys, *, hasher="xxh64", seed=None) -> Plan

    Which of ``keys`` change owner from ``before`` to ``after``, each a bucket
    count (jump_hash with ``hasher`` and ``seed``) or a Router (its own).
    ``keys`` is anything jump_hash_many takes; an iterator is read once, into
    a list the plan keeps for ``moved_keys()``.
    """
    _rules.resolve_hasher(hasher, seed)
    if not hasattr(keys, "__getitem__") or isinstance(keys, (str, bytes)):
        _rules.check_keys(keys)
        keys = list(keys)
    options = {"hasher": hasher, "seed": seed}
    return Plan(
        keys, _owners(before, keys, "before", options), _owners(after, keys, "after", options)
    )
