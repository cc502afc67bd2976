"""Pure-Python core of rvh_stable: the readable specification.

This module is the twin of the compiled ``rvh_stable._jump``: same names, same
results, same exceptions.  It is used when the extension is missing, or when
``RVH_STABLE_NO_EXTENSIONS=1`` is set, and it is the reference the tests hold
the compiled core to.

How a key becomes the 64-bit integer the algorithm is fed (``hash_key``):

* ``int`` in ``[-2**63, 2**64)``: the value modulo 2**64 (two's complement for
  negatives, like Java's ``long`` and Go's ``uint64(int64(k))``).
* ``str``: XXH64, seed 0, of its UTF-8 encoding.
* ``bytes``, ``bytearray``, ``memoryview``: XXH64, seed 0, of the bytes.

Python's built-in ``hash()`` is never used: it is randomized per process for
``str`` and ``bytes``, so it would send the same key to different buckets in
different processes.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable, Iterable
from functools import partial
from math import floor as _floor
from typing import Any

from . import _arrow, _hashers, _ieee, _jumpback, _rules

__all__ = [
    "IMPLEMENTATION",
    "KERNEL",
    "KERNELS",
    "MAX_BUCKETS",
    "MementoTable",
    "hash_key",
    "jump_hash",
    "jump_hash_many",
    "xxh64",
]

IMPLEMENTATION = "python"
#: This core has no batch kernels: batches run the loop below, in Python.
KERNEL = "python"
KERNELS = ("python",)
MAX_BUCKETS = _rules.MAX_BUCKETS

_MASK64 = 0xFFFFFFFFFFFFFFFF
_KEY_MIN = _rules.KEY_MIN
_KEY_LIMIT = _rules.KEY_LIMIT

# --- XXH64 ------------------------------------------------------------------


def xxh64(data: bytes | bytearray | memoryview) -> int:
    """xxh64(data) -> int

    XXH64 with seed 0 of the bytes of ``data`` (any bytes-like object), as an
    unsigned 64-bit integer in ``[0, 2**64)``; equal to
    ``xxhash.xxh64_intdigest(data)``.
    """
    if not isinstance(data, bytes):
        try:
            data = memoryview(data).tobytes()
        except TypeError:
            _rules.raise_data_type(data)
    return _xxh64(data)


_xxh64 = _hashers.xxh64
_DEFAULT = _rules.DEFAULT_HASHER
_PAPER = "paper"
_GUAVA = "guava"
_JUMP = "jump"

# --- key -> uint64 ------------------------------------------------------------


def _byte_hasher(hasher: object, seed: object) -> Callable[[bytes], int]:
    """The function from a str or bytes key's bytes to its uint64, for
    ``hasher=`` and ``seed=`` (checked by _rules.resolve_hasher): the
    function of _hashers that has the hasher's name (_rules.HASHER_TABLE),
    with the seed where the hasher takes one."""
    name, value = _rules.resolve_hasher(hasher, seed)
    if name == _rules.DEFAULT_HASHER and value == 0:
        return _xxh64
    function: Callable[..., int] = getattr(_hashers, name)
    if _rules.HASHER_SEEDS[name] is None:
        return function
    return partial(function, seed=value)


def _bytes_key(data: bytes, key: object, index: int, hash_bytes: Callable[[bytes], int]) -> int:
    if not data:
        _rules.raise_key_empty(key, index)
    return hash_bytes(data)


def _key_to_u64(key: object, index: int = -1, hash_bytes: Callable[[bytes], int] = _xxh64) -> int:
    """The uint64 fed to the jump loop; ``index`` >= 0 names a batch element.

    ``hash_bytes`` hashes a str's UTF-8 or a bytes-like key's bytes
    (_byte_hasher); an int key is its own 64-bit pattern whatever the hasher.
    """
    kind = type(key)
    if kind is int:
        if _KEY_MIN <= key < _KEY_LIMIT:  # type: ignore[operator]
            return key & _MASK64  # type: ignore[operator]
        _rules.raise_key_range(key, index)  # type: ignore[arg-type]
    if isinstance(key, str):
        # str.encode, not key.encode: a subclass's override must not change
        # the bytes hashed (the compiled core reads the string itself).
        try:
            data = str.encode(key, "utf-8")
        except UnicodeEncodeError as exc:
            _rules.raise_key_encoding(exc, index, key)
        return _bytes_key(data, key, index, hash_bytes)
    if isinstance(key, (bytes, bytearray, memoryview)):
        # The buffer's bytes, in logical order; not bytes(key), which would
        # call a subclass's __bytes__.
        data = key if type(key) is bytes else memoryview(key).tobytes()
        return _bytes_key(data, key, index, hash_bytes)
    try:
        value = _rules.as_int(key)
    except (TypeError, ValueError) as exc:  # the key's own __index__ failed
        if index < 0:
            raise
        _rules.raise_index_failed(exc, index, key)
    if value is None:
        _rules.raise_key_type(key, index)
    if not _KEY_MIN <= value < _KEY_LIMIT:
        _rules.raise_key_range(value, index, key)
    return value & _MASK64


def hash_key(
    key: int | str | bytes | bytearray | memoryview,
    *,
    hasher: str = "xxh64",
    seed: int | None = None,
) -> int:
    """hash_key(key, *, hasher="xxh64", seed=None) -> int

    The unsigned 64-bit integer, in ``[0, 2**64)``, that the jump loop is fed
    for ``key``: an int modulo 2**64, or the hash (by default XXH64, seed 0)
    of a string's UTF-8 bytes or of a bytes-like key.
    """
    return _key_to_u64(key, -1, _byte_hasher(hasher, seed))


# --- the jump loop ------------------------------------------------------------


def jump_hash(
    key: int | str | bytes | bytearray | memoryview,
    num_buckets: int,
    *,
    hasher: str = "xxh64",
    seed: int | None = None,
    variant: str = "paper",
    algorithm: str = "jump",
) -> int:
    """jump_hash(key, num_buckets, *, hasher="xxh64", seed=None, variant="paper", algorithm="jump") -> int

    The bucket of ``key``, in ``[0, num_buckets)``, by Lamping and Veach's
    Jump Consistent Hash.  ``num_buckets`` is an int in ``[1, 2**31-1]``.
    ``hasher`` and ``seed`` choose how a str or bytes key becomes an integer;
    ``variant="guava"`` runs Guava's consistentHash loop instead of the paper's.
    ``algorithm="jumpback"`` runs Ertl's JumpBackHash instead (as hash4j).
    """  # noqa: E501 (the signature line, one line for autodoc)
    # Literal bounds (2**31 - 1 and 2**64) load faster than module globals.
    if type(num_buckets) is not int or not 0 < num_buckets <= 2147483647:
        num_buckets = _rules.check_buckets(num_buckets)
    # The default hasher needs no look-up (an identity test: another equal
    # str takes the general way, to the same function).
    hash_bytes = _xxh64 if hasher is _DEFAULT and seed is None else _byte_hasher(hasher, seed)
    # The loop is checked before the key, as the compiled core does.
    loop = None if variant is _PAPER and algorithm is _JUMP else _loop(algorithm, variant)
    if type(key) is int and 0 <= key < 18446744073709551616:
        k = key
    else:
        k = _key_to_u64(key, -1, hash_bytes)
    if loop is not None:
        return loop(k, num_buckets)
    # The paper's loop, step for step, on a uint64 held in a Python int.  The
    # step must be computed as (b + 1) * (2**31 / double(d)) in IEEE double,
    # in this order: the division rounds once, the product rounds again, and
    # rare keys land on the other side of an integer if either rounding is
    # skipped or merged (((b + 1) << 31) // d, or (b + 1) * 2**31 / d, both
    # fail the adversarial vectors).  Python floats are IEEE doubles, and
    # float / int and float * int convert the int exactly (it is < 2**53).
    # The product is written float * int: IEEE multiplication is commutative,
    # so the result is the paper's (b + 1) * q to the bit, and float.__mul__
    # runs directly instead of after int.__mul__ declines.  The product is
    # positive, so floor() truncates it exactly as the paper's cast to int64
    # does, and math.floor is a cheaper call than int().
    b = -1
    j = 0
    while j < num_buckets:
        b = j
        k = (k * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        j = _floor(2147483648.0 / ((k >> 33) + 1) * (b + 1))
    return b


def _jump_hash_exact(
    key: int | str | bytes | bytearray | memoryview,
    num_buckets: int,
    *,
    hasher: str = "xxh64",
    seed: int | None = None,
    variant: str = "paper",
    algorithm: str = "jump",
) -> int:
    # jump_hash with the loop in integers (rvh_stable/_ieee.py): the same two
    # IEEE roundings, emulated, for a build whose floats round twice.  The
    # argument handling is jump_hash's, repeated rather than shared: a helper
    # would cost the float loop a call on every key.
    if type(num_buckets) is not int or not 0 < num_buckets <= 2147483647:
        num_buckets = _rules.check_buckets(num_buckets)
    hash_bytes = _xxh64 if hasher is _DEFAULT and seed is None else _byte_hasher(hasher, seed)
    # The loop is checked before the key, as the compiled core does.
    loop = None if variant is _PAPER and algorithm is _JUMP else _loop(algorithm, variant)
    if type(key) is int and 0 <= key < 18446744073709551616:
        k = key
    else:
        k = _key_to_u64(key, -1, hash_bytes)
    if loop is not None:
        return loop(k, num_buckets)
    return _ieee.jump_exact(k, num_buckets)


_jump_hash_exact.__doc__ = jump_hash.__doc__


def _jump_guava(key: int, num_buckets: int) -> int:
    """Guava's Hashing.consistentHash(long, int) for the uint64 ``key``.

    Guava's loop (recorded answers: tests/data/interop_guava_consistent.csv)
    differs from the paper's in three ways, each kept here:

    - one rounding: d / 2**31 is exact, so the step is (candidate + 1) * 2**31
      / d rounded once, where the paper rounds the quotient, then the product;
    - Java's int overflow: d = (state >> 33) + 1 = 2**31 wraps to -2**31, the
      step is negative and the loop ends;
    - Java's cast from double to int saturates (never decisive: 2**31 - 1 is
      never below num_buckets).
    """
    candidate = 0
    while True:
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        d = (key >> 33) + 1
        if d == 2147483648:
            d = -2147483648
        step = (candidate + 1) / (d / 2147483648.0)
        nxt = 2147483647 if step >= 2147483647.0 else int(step)  # the step is never NaN
        if nxt < 0 or nxt >= num_buckets:
            return candidate
        candidate = nxt


def _loop(algorithm: object, variant: object) -> Callable[[int, int], int]:
    """The loop ``algorithm=`` and ``variant=`` name (checked by _rules), as a
    function of a uint64 and the bucket count: jump_hash for the paper's (on
    an x87 build the exact one), Guava's, or JumpBackHash (_jumpback.py)."""
    loop = _rules.pick_loop(algorithm, variant)
    if loop == _PAPER:
        return jump_hash
    return _jumpback.jumpback if loop == "jumpback" else _jump_guava


# On a CPython whose floats are computed by the x87 unit (32-bit x86 without
# SSE2), float / and * round twice, to 64 bits and then to 53, and rare keys
# get another bucket than the paper's (or Guava's).  A probe at import finds
# out; there jump_hash and the Guava loop are the integer loops (about twice
# as slow), everywhere else the float loops above, with no test on their path.
if not _ieee.float_is_ieee_double():
    jump_hash = _jump_hash_exact
    _jump_guava = _ieee.guava_exact


# --- batches ------------------------------------------------------------------

_STRUCT_CODES = {1: "b", 2: "h", 4: "i", 8: "q"}


def _numpy_array_type() -> Any:
    numpy = sys.modules.get("numpy")
    return None if numpy is None else numpy.ndarray


def _int_buffer_values(keys: object, is_ndarray: bool) -> list[int] | None:
    """The integers held by a buffer-protocol ``keys``, as uint64 values.

    Returns None when ``keys`` is not an integer buffer and must be iterated
    like any other sequence.
    """
    try:
        view = memoryview(keys)  # type: ignore[arg-type]
    except (TypeError, BufferError):
        return None
    except ValueError:
        if isinstance(keys, memoryview):  # a released view: there are no keys to read
            raise
        return None  # e.g. NumPy datetime64 arrays: hashed element by element
    with view:
        layout = _rules.classify_format(view.format, view.itemsize)
        if layout is None:
            return None
        if view.ndim != 1 and not (is_ndarray and view.ndim >= 1):
            _rules.raise_keys_ndim(view.ndim)
        signed, big_endian = layout
        code = _STRUCT_CODES[view.itemsize]
        if not signed:
            code = code.upper()
        fmt = (">" if big_endian else "<") + code
        # tobytes() lays the elements out in C order whatever the strides.
        return [v & _MASK64 for (v,) in struct.iter_unpack(fmt, view.tobytes())]


def _arrow_u64s(keys: object, hash_bytes: Callable[[bytes], int]) -> list[tuple[object, int]]:
    """Each key of an Arrow-exporting ``keys`` (read by _arrow) with its uint64;
    a null or a malformed key is a ValueError with its index, like an empty key."""
    found = []
    for i, key in enumerate(_arrow.read_keys(keys)):
        _arrow.check_key(key, i)
        found.append((key, _key_to_u64(key, i, hash_bytes)))
    return found


def _int64_array(values: list[int]) -> Any:
    """An int64 NumPy array of ``values`` (the list itself without NumPy)."""
    numpy: Any = sys.modules.get("numpy")
    if numpy is None:
        try:
            import numpy
        except ImportError:
            return values
    return numpy.array(values, dtype=numpy.int64)


def _iter_batch(
    keys: object, n: int, hash_bytes: Callable[[bytes], int], loop: Callable[[int, int], int]
) -> list[int]:
    try:
        iterator = iter(keys)  # type: ignore[call-overload]
    except TypeError:
        _rules.raise_keys_not_iterable(keys)
    return [loop(_key_to_u64(k, i, hash_bytes), n) for i, k in enumerate(iterator)]


def jump_hash_many(
    keys: Iterable[int | str | bytes | bytearray | memoryview] | Any,
    num_buckets: int,
    *,
    threads: int | None = 1,
    hasher: str = "xxh64",
    seed: int | None = None,
    variant: str = "paper",
    algorithm: str = "jump",
) -> Any:
    """jump_hash_many(keys, num_buckets, *, threads=1, hasher="xxh64", seed=None, variant="paper", algorithm="jump")

    ``[jump_hash(k, num_buckets, hasher=hasher, seed=seed, variant=variant,
    algorithm=algorithm) for k in keys]``, for an iterable of keys, an array
    of integers or Arrow columns: a list of ints in ``[0, num_buckets)``, except that a NumPy
    array gives an int64 NumPy array of the same shape, and Arrow columns an
    int64 NumPy array (a list where NumPy is not installed).  This pure core
    validates ``threads`` but computes on one thread: pure-Python arithmetic
    does not run in parallel under the GIL.
    """  # noqa: E501 (the signature line, one line for autodoc)
    n = _rules.check_buckets(num_buckets)
    _rules.resolve_threads(threads)
    hash_bytes = _byte_hasher(hasher, seed)
    loop = _loop(algorithm, variant)
    _rules.check_keys(keys)
    if _rules.is_arrow(keys):
        found = _arrow_u64s(keys, hash_bytes)
        return _int64_array([loop(k, n) for _, k in found])
    ndarray = _numpy_array_type()
    is_ndarray = ndarray is not None and isinstance(keys, ndarray)
    values = _int_buffer_values(keys, is_ndarray)
    if not is_ndarray:
        if values is None:
            return _iter_batch(keys, n, hash_bytes, loop)
        return [loop(k, n) for k in values]
    array: Any = keys
    if values is not None:
        result = [loop(k, n) for k in values]
    elif array.ndim == 0:
        _rules.raise_keys_ndim(0)
    else:
        result = _iter_batch(array.ravel(), n, hash_bytes, loop)
    numpy = sys.modules["numpy"]
    return numpy.array(result, dtype=numpy.int64).reshape(array.shape)


# --- MementoHash lookups (rvh_stable.Router) -------------------------------------


def _rehash_bytes(key: object, k: int) -> bytes:
    """The bytes Memento's rehash reads for a key whose uint64 is ``k``
    (already checked by _key_to_u64): a str's UTF-8, a bytes-like key's bytes,
    and for an int key the 8 little-endian bytes of its 64-bit pattern."""
    if isinstance(key, str):
        return str.encode(key, "utf-8")
    if isinstance(key, (bytes, bytearray, memoryview)):
        return key if type(key) is bytes else memoryview(key).tobytes()
    return k.to_bytes(8, "little")


_ARROW = object()  # MementoTable._slots' mark for Arrow input

# A detour's draws (_c/detour.h: RVH_DETOUR_TRIES and SplitMix64).
_DETOUR_TRIES = 64
_GOLDEN_GAMMA = _jumpback.GOLDEN_GAMMA
_splitmix64_mix = _jumpback.splitmix64_mix


class MementoTable:
    """MementoTable(size, replacers, names, *, hasher="xxh64", seed=None, down=frozenset())

    The lookups of one state of a rvh_stable.Router, which builds it (the
    arguments are those _rules.check_memento checks): MementoHash over a
    bucket array of ``size`` buckets, ``replacers`` mapping each removed
    bucket to its replacer, ``names`` the node name of each bucket (None for a
    removed one).  Immutable: the router builds a new table for each change.

    A key's bucket: ``b = jump_hash(key, size, hasher=hasher, seed=seed)``;
    while b is removed, with replacer r, ``b = XXH64(rehash bytes, seed=b) %
    r``, then on along the replacers of the buckets reached while they are at
    least r (the loop in ``_c/memento.h``).  The rehash bytes are a str's
    UTF-8, a bytes-like key's bytes, and an int key's 64-bit pattern as 8
    little-endian bytes, whatever the hasher.

    ``down`` names the nodes this client routes around: a key whose slot is
    theirs takes the first slot of its detour that is up (``_detour``; the
    specification is ``_c/detour.h``).
    """

    __slots__ = ("_down", "_hash_bytes", "_names", "_replacers", "live", "size", "up")

    def __init__(
        self,
        size: int,
        replacers: dict[int, int],
        names: tuple[str | None, ...],
        *,
        hasher: str = "xxh64",
        seed: int | None = None,
        down: frozenset[str] = frozenset(),
    ) -> None:
        self.size, self._replacers = _rules.check_memento(size, replacers, names)
        self._down = _rules.check_down(down, names)
        self._names = names
        self._hash_bytes = _byte_hasher(hasher, seed)
        #: The number of working buckets, and of those whose node is up.
        self.live = size - len(self._replacers)
        self.up = self.live - len(self._down)

    def _check_up(self) -> None:
        if self.up == 0:
            if self.live == 0:
                _rules.raise_no_nodes()
            _rules.raise_all_down()

    def _detour(self, k: int, s: int) -> int:
        """The slot of a key whose uint64 is ``k`` and whose own slot ``s`` is
        down: the first slot that is up among the Memento slots of the int
        keys SplitMix64 draws from state ``k`` (64 of them), then the slots
        after the last one, in order, wrapping around."""
        down, state = self._down, k
        for _ in range(_DETOUR_TRIES):
            state = (state + _GOLDEN_GAMMA) & _MASK64
            h = _splitmix64_mix(state)
            s = self._resolve(h, h, jump_hash(h, self.size))
            if s not in down:
                return s
        while True:
            s = s + 1 if s + 1 < self.size else 0
            if s not in down and s not in self._replacers:
                return s

    def _route(self, key: object, k: int) -> int:
        s = self._resolve(key, k, jump_hash(k, self.size))
        return self._detour(k, s) if s in self._down else s

    def _resolve(self, key: object, k: int, b: int) -> int:
        replacers = self._replacers
        r = replacers.get(b, -1)
        if r < 0:
            return b
        data = _rehash_bytes(key, k)
        while r >= 0:
            b = _hashers.xxh64(data, seed=b) % r
            rr = replacers.get(b, -1)
            while rr >= r:
                b = rr
                rr = replacers.get(b, -1)
            r = rr
        return b

    def slot_for(self, key: int | str | bytes | bytearray | memoryview) -> int:
        """The working bucket (a router's slot) of ``key``."""
        self._check_up()
        return self._route(key, _key_to_u64(key, -1, self._hash_bytes))

    def node_for(self, key: int | str | bytes | bytearray | memoryview) -> str:
        """The node name of ``key``'s slot."""
        return self._names[self.slot_for(key)]  # type: ignore[return-value]

    def _slots(self, keys: object, threads: int | None) -> tuple[list[int], Any]:
        _rules.resolve_threads(threads)
        self._check_up()
        _rules.check_keys(keys)
        hash_bytes, route = self._hash_bytes, self._route
        if _rules.is_arrow(keys):
            found = _arrow_u64s(keys, hash_bytes)
            return [route(key, k) for key, k in found], _ARROW
        ndarray = _numpy_array_type()
        array: Any = keys if ndarray is not None and isinstance(keys, ndarray) else None
        values = _int_buffer_values(keys, array is not None)
        if values is not None:
            return [route(k, k) for k in values], array
        if array is not None:
            if array.ndim == 0:
                _rules.raise_keys_ndim(0)
            keys = array.ravel()
        try:
            iterator = iter(keys)  # type: ignore[call-overload]
        except TypeError:
            _rules.raise_keys_not_iterable(keys)
        slots = []
        for i, key in enumerate(iterator):
            slots.append(route(key, _key_to_u64(key, i, hash_bytes)))
        return slots, array

    def slots_for(self, keys: Any, *, threads: int | None = 1) -> Any:
        """``[slot_for(k) for k in keys]``, taking keys as jump_hash_many does;
        a NumPy array gives an int64 array of its shape."""
        slots, array = self._slots(keys, threads)
        if array is None:
            return slots
        if array is _ARROW:
            return _int64_array(slots)
        numpy = sys.modules["numpy"]
        return numpy.array(slots, dtype=numpy.int64).reshape(array.shape)

    def nodes_for(self, keys: Any, *, threads: int | None = 1) -> list[str]:
        """``[node_for(k) for k in keys]``, taking keys as jump_hash_many does."""
        names = self._names
        return [names[s] for s in self._slots(keys, threads)[0]]  # type: ignore[misc]
