"""pymemcache's ``HashClient`` routed by a ``Router``:
``HashClient(servers, hasher=rvh_stable.pymemcache.Hasher)``.

pymemcache's ``HashClient`` takes a ``hasher``: a class it calls with no
arguments, then drives with three methods.  Its names for servers are
``"host:port"`` strings (a ``(host, port)`` tuple or a ``"host:port"`` string
in the server list; a Unix socket is its path), and keys reach the hasher
as the caller gave them, ``str`` or ``bytes``, without the client's
``key_prefix``:

* ``add_node(name)`` for each server, in the order of the server list (and
  for a server added later with ``add_server``), and again when a server it
  marked dead is retried after ``dead_timeout``;
* ``remove_node(name)`` when it marks a server dead (after
  ``retry_attempts`` failures, or at the first with ``retry_attempts=0``),
  and from ``remove_server``;
* ``get_node(key)``: the name of the key's server, or None when none is left.

``Hasher`` maps them onto a router: a name it has never seen joins the
cluster (``Router.add``: it takes the next slot, so slots follow the order
of the server list); ``remove_node`` marks the server down for this client
(``Router.down``), and ``add_node`` of a down server brings it back
(``Router.up``).  Placement depends only on which servers are down, never
on the order in which they failed or came back, and only a failed server's
keys move (each to a live server), so a flap of several servers loses no
placement and clients that saw the same failures in different orders agree.

Every client must list its servers in the same order: the i-th server gets
slot i.  Two clients whose lists differ in order give the same slot to
different servers, and disagree on the keys of every such slot (swapping
two of four servers: half of the keys; a reversed list of four: all of
them).  Append a new server at the end of every client's list.

This module does not import pymemcache (nothing of it is needed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from . import _rules
from .router import Key, Router

__all__ = ["Hasher"]


def _checked_weights(
    weights: Mapping[str, int] | None, hasher: str, seed: int | None
) -> dict[str, int]:
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise TypeError(
            "weights must be a mapping of server names ('host:port') to int weights >= 1, "
            f"got {type(weights).__name__}"
        )
    # The router's own checks, with its messages: names str, weights ints >= 1.
    Router(weights, hasher=hasher, seed=seed)
    return dict(weights)


class Hasher:
    """Hasher(*, hasher="xxh64", seed=None, weights=None)

    A hasher for pymemcache's ``HashClient(servers, hasher=Hasher)``: keys go
    to servers as ``self.router.node_for(key)`` names them.  ``hasher`` and
    ``seed`` are the router's (``jump_hash``'s); ``weights`` maps server
    names (``"host:port"``) to int weights >= 1, for servers that should
    take more keys (a server it does not name has weight 1).  HashClient
    calls its hasher with no arguments: pass ``Hasher.with_options(...)`` to
    give these.

    ``router`` is the ``Router`` behind it: its ``down_nodes`` are the
    servers this client has marked dead.
    """

    __slots__ = ("_weights", "router")

    def __init__(
        self,
        *,
        hasher: str = _rules.DEFAULT_HASHER,
        seed: int | None = None,
        weights: Mapping[str, int] | None = None,
    ) -> None:
        self._weights = _checked_weights(weights, hasher, seed)
        self.router = Router((), hasher=hasher, seed=seed)

    @classmethod
    def with_options(
        cls,
        *,
        hasher: str = _rules.DEFAULT_HASHER,
        seed: int | None = None,
        weights: Mapping[str, int] | None = None,
    ) -> Callable[[], Hasher]:
        """with_options(*, hasher="xxh64", seed=None, weights=None) -> callable

        A callable with no arguments that makes a ``Hasher`` with these
        options, to pass as ``HashClient(servers, hasher=...)``.  The options
        are checked here, so a bad one raises now rather than inside
        HashClient's constructor.
        """
        checked = cls(hasher=hasher, seed=seed, weights=weights)._weights  # a copy
        return functools.partial(cls, hasher=hasher, seed=seed, weights=checked)

    def add_node(self, node: str) -> None:
        """A server joins, or comes back: a new name is added to the router
        (the next slot); a down one is brought back up; one already routed to
        is left as it is."""
        router = self.router
        if node not in router:
            router.add(node, weight=self._weights.get(node, 1))
        elif node in router.down_nodes:
            router.up(node)

    def remove_node(self, node: str) -> None:
        """A server is marked dead: its keys go to the live servers until
        ``add_node`` brings it back.  ValueError for a name never added (as
        pymemcache's own hasher)."""
        if node not in self.router:
            raise ValueError(
                f"node {node!r} was never added, so it cannot be removed; "
                f"the nodes are {self.router.nodes}"
            )
        self.router.down(node)

    def get_node(self, key: Key) -> str | None:
        """The name of ``key``'s server, or None when every server is down
        (or none was added): HashClient then raises its "All servers seem to
        be down" error, or returns the default with ``ignore_exc=True``.  A
        key the key rules refuse (an empty one) raises their ValueError."""
        try:
            return self.router.node_for(key)
        except LookupError as exc:
            if type(exc) is not LookupError:  # a KeyError is a bug, not "no server"
                raise
            return None

    def __repr__(self) -> str:
        down = sorted(self.router.down_nodes)
        return f"<rvh_stable.pymemcache.Hasher nodes={self.router.nodes} down={down}>"
