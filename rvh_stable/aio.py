"""asyncio layer of rvh_stable, over whichever core the package picked.

The coroutines here call the core's ``jump_hash`` and ``jump_hash_many``; they
never compute or validate anything themselves, so their results and their
exceptions (type and message) are the sync calls', raised from the ``await``.

Where the work runs, and why:

* One key is hashed inline, on the event loop's thread.  It costs about 0.1 us
  with the compiled core (about 3 us with the pure one), while a round trip
  through ``loop.run_in_executor`` costs 55-100 us on the machine this was
  measured on (benchmarks/bench_aio_cli.py): handing it to a thread would cost
  several hundred times the work, and the loop is blocked for far less than
  any scheduling slice.
* ``executor=`` (any ``concurrent.futures.Executor``) forces
  ``loop.run_in_executor(executor, ...)``, for callers who want the
  computation off the loop's thread whatever it costs.
* A batch of at most ``INLINE_BATCH_MAX[core]`` keys runs inline for the same
  reason: 2048 keys with the compiled core, 32 with the pure one, sizes at
  which the work costs about one executor round trip (~60 us).  Larger
  batches, and iterables without ``len()``, go to the loop's default executor
  (or the one given).  The compiled core hashes integer arrays with the GIL
  released, so the loop keeps running while a NumPy batch of millions of keys
  is hashed; Python objects (lists of str, the pure core) need the GIL, which
  the worker thread hands back to the loop every ``sys.getswitchinterval()``
  (5 ms by default).
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from typing import Any, Final, Protocol, TypeAlias, cast

from ._core import core as _picked_core
from ._rules import DEFAULT_HASHER as _DEFAULT_HASHER

__all__ = ["INLINE_BATCH_MAX", "async_jump_hash", "async_jump_hash_many", "jump_hash_async"]

Key: TypeAlias = int | str | bytes | bytearray | memoryview


class _Core(Protocol):
    """What this layer uses of a core module (``rvh_stable._jump`` or ``.stable``)."""

    @property
    def IMPLEMENTATION(self) -> str: ...

    def jump_hash(
        self,
        key: Key,
        num_buckets: int,
        *,
        hasher: str = ...,
        seed: int | None = None,
        variant: str = ...,
        algorithm: str = ...,
    ) -> int: ...

    def jump_hash_many(
        self,
        keys: Any,
        num_buckets: int,
        *,
        threads: int | None = 1,
        hasher: str = ...,
        seed: int | None = None,
        variant: str = ...,
        algorithm: str = ...,
    ) -> Any: ...


#: The core module ``rvh_stable._core`` picked at import time.  Every call
#: goes through this one reference, which is what lets the tests run this
#: layer over both cores.
_core: _Core = cast(_Core, _picked_core)

#: Largest batch, per core (``IMPLEMENTATION``), that ``async_jump_hash_many``
#: hashes inline when no ``executor`` is given.  Each is about 60 us of work
#: (2048 str keys: ~60 us compiled; 32: 60-90 us pure), the cost of one
#: ``run_in_executor`` round trip: below it a thread costs more than it saves.
INLINE_BATCH_MAX: Final[Mapping[str, int]] = {"cython": 2048, "python": 32}


def _check_executor(executor: object) -> None:
    if not isinstance(executor, Executor):
        raise TypeError(
            f"executor must be a concurrent.futures.Executor or None, got {type(executor).__name__}"
        )


def _batch_size(keys: object) -> int | None:
    """The number of keys in ``keys``, or None when it cannot be known up front."""
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(keys, numpy.ndarray):
        return int(keys.size)  # len() of an N-d array counts rows, not keys
    try:
        return len(keys)  # type: ignore[arg-type]
    except TypeError:
        return None


def _hash_options(hasher: str, seed: int | None, variant: str, algorithm: str) -> dict[str, Any]:
    """The keyword arguments to pass on: none for the defaults, so that the
    compiled core's fast entry takes the call."""
    if hasher is _DEFAULT_HASHER and seed is None and variant is _PAPER and algorithm is _JUMP:
        return {}
    return {"hasher": hasher, "seed": seed, "variant": variant, "algorithm": algorithm}


_PAPER = "paper"
_JUMP = "jump"


async def async_jump_hash(
    key: Key,
    num_buckets: int,
    *,
    executor: Executor | None = None,
    hasher: str = "xxh64",
    seed: int | None = None,
    variant: str = "paper",
    algorithm: str = "jump",
) -> int:
    """async_jump_hash(key, num_buckets, *, executor=None, hasher=..., seed=..., ...) -> int

    ``await``-able ``jump_hash(key, num_buckets, hasher=hasher, seed=seed,
    variant=variant, algorithm=algorithm)``:
    the bucket of ``key``, in
    ``[0, num_buckets)``, with the same result and the same exceptions, raised
    from the ``await``.  ``jump_hash_async`` is the same function.

    Without ``executor`` the key is hashed inline, on the loop's thread: that
    costs about 0.1 us (compiled core; about 3 us with the pure one), while a
    ``loop.run_in_executor`` round trip costs 55-100 us (measured), so a
    thread would cost hundreds of times the work and the loop is blocked for
    far less than any scheduling slice.  ``executor`` (any
    ``concurrent.futures.Executor``) forces ``loop.run_in_executor(executor,
    ...)``, for callers who want the work off the loop's thread anyway.
    """
    options = _hash_options(hasher, seed, variant, algorithm)
    if executor is None:
        return _core.jump_hash(key, num_buckets, **options)
    _check_executor(executor)
    loop = asyncio.get_running_loop()
    work = functools.partial(_core.jump_hash, key, num_buckets, **options)
    return await loop.run_in_executor(executor, work)


#: Alias of :func:`async_jump_hash`, for callers who name the sync call first.
jump_hash_async = async_jump_hash


async def async_jump_hash_many(
    keys: Iterable[Key] | Any,
    num_buckets: int,
    *,
    executor: Executor | None = None,
    threads: int | None = 1,
    hasher: str = "xxh64",
    seed: int | None = None,
    variant: str = "paper",
    algorithm: str = "jump",
) -> Any:
    """async_jump_hash_many(keys, num_buckets, *, executor=None, threads=1, hasher=..., ...)

    ``await``-able ``jump_hash_many(keys, num_buckets, threads=threads,
    hasher=hasher, seed=seed, variant=variant, algorithm=algorithm)`` ->
    list[int] | ndarray: the
    same result (a list of buckets in ``[0, num_buckets)``, or an int64 NumPy
    array for a NumPy array) and the same exceptions, raised from the ``await``.

    Without ``executor``, a batch of at most ``INLINE_BATCH_MAX[IMPLEMENTATION]``
    keys (2048 with the compiled core, 32 with the pure one: about 60 us of
    work, one executor round trip) is hashed inline.  Larger batches, and
    iterables without ``len()`` (generators), run in the loop's default
    executor, so the loop stays responsive: the compiled core hashes integer
    arrays with the GIL released.  Keep ``threads`` below the number of CPUs
    if the loop must stay responsive: hashing threads on every CPU can leave
    the loop's thread waiting for one (tens of ms, measured).  ``executor`` (any
    ``concurrent.futures.Executor``) is used for every batch, whatever its
    size; with a ``ProcessPoolExecutor`` the keys must be picklable.

    The batch is read by another thread while the coroutine waits: do not
    change ``keys`` until the ``await`` returns.  Cancelling the ``await``
    does not stop a batch that has started.
    """
    options = _hash_options(hasher, seed, variant, algorithm)
    if executor is None:
        size = _batch_size(keys)
        if size is not None and size <= INLINE_BATCH_MAX.get(_core.IMPLEMENTATION, 0):
            return _core.jump_hash_many(keys, num_buckets, threads=threads, **options)
    else:
        _check_executor(executor)
    loop = asyncio.get_running_loop()
    work = functools.partial(_core.jump_hash_many, keys, num_buckets, threads=threads, **options)
    return await loop.run_in_executor(executor, work)
