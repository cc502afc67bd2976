"""Fuzz harness: jump_hash, jump_hash_many, hash_key and xxh64 on hostile input.

Each input's bytes choose a function, keys and a bucket count (ints in and
around ``[-2**63, 2**64)``, huge ints, text with lone surrogates, bytes,
bytearrays, strided memoryviews, bools, floats, None, objects with
``__index__``, NumPy scalars, and batches as lists, tuples, generators,
``array.array`` and NumPy arrays of every integer dtype, byte order, stride and
shape).  ``check_input`` runs the call on every core given and asserts:

* no crash, and no exception other than the documented ``TypeError`` and
  ``ValueError``;
* the cores agree: the same result, or the same exception type and message;
* results are in range, and a batch equals its keys hashed one at a time.

Long run with atheris (libFuzzer), from the repository's top folder::

    pip install atheris
    python tests/fuzz/fuzz_jump.py -atheris_runs=10000000 -max_len=512 [CORPUS_DIR]

``-max_total_time=SECONDS`` bounds it by time instead; every libFuzzer option
works.  A failing input is written to ``crash-<sha1>``; replay it with
``python tests/fuzz/fuzz_jump.py crash-<sha1>``.  Coverage feedback comes from
the Python code (this harness, the pure core, the shared rules); to instrument
the compiled core as well, build it under clang with
``CFLAGS="-fsanitize=fuzzer-no-link"``, and combine with ``tools/asan.sh``'s
build to catch memory errors while fuzzing.

Without atheris the file still runs: ``python tests/fuzz/fuzz_jump.py
--runs 100000 --seed 1`` feeds seeded random bytes through the same check,
and ``tests/test_fuzz.py`` does a few thousand of them in the normal test run.
"""

from __future__ import annotations

import argparse
import array
import enum
import importlib
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

# tests/helpers.py is shared with the test suite.  Under pytest tests/ is on
# sys.path already; run as a script, only this folder is.
TESTS_DIR = str(Path(__file__).resolve().parent.parent)
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

# np is None without NumPy: array inputs are then skipped.
from helpers import (  # noqa: E402
    INT_DTYPES_EVERY_ORDER,
    KEY_LIMIT,
    KEY_MIN,
    MAX_BUCKETS,
    Index,
    np,
    outcome,
)

EDGES = [KEY_MIN - 1, KEY_MIN, -1, 0, 1, 2**31 - 1, 2**63 - 1, 2**63, KEY_LIMIT - 1, KEY_LIMIT]


class Shard(enum.IntEnum):
    A = 3
    BIG = 2**64


class Source:
    """Reads choices from the fuzz bytes; returns zeros once they run out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        chunk = self.data[self.pos : self.pos + count]
        self.pos += len(chunk)
        return chunk

    def byte(self) -> int:
        chunk = self.take(1)
        return chunk[0] if chunk else 0

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size).ljust(size, b"\0"), "little")

    def below(self, limit: int) -> int:
        return self.uint(8) % limit if limit > 256 else self.byte() % limit

    def pick(self, options: Sequence[Any]) -> Any:
        return options[self.below(len(options))]


def make_int(src: Source) -> int:
    kind = src.below(5)
    if kind == 0:
        return KEY_MIN + src.uint(9) % (KEY_LIMIT - KEY_MIN)
    if kind == 1:
        return int(src.pick(EDGES)) + src.below(9) - 4
    if kind == 2:
        return src.uint(src.below(48) + 1) * (1 if src.byte() & 1 else -1)
    if kind == 3:
        return src.uint(2)
    return int.from_bytes(src.take(8).ljust(8, b"\0"), "little", signed=True)


def make_bytes(src: Source) -> bytes:
    return src.take(src.below(80))


def make_text(src: Source) -> str:
    raw = make_bytes(src)
    mode = src.below(3)
    if mode == 0:
        return raw.decode("utf-8", "surrogateescape")  # invalid bytes: lone U+DC80..U+DCFF
    if mode == 1:
        return raw.decode("latin-1")
    if len(raw) % 2:
        raw = raw[:-1]
    return raw.decode("utf-16-le", "surrogatepass")  # any code point, lone surrogates too


def make_key(src: Source) -> Any:
    kind = src.below(14)
    if kind <= 3:
        return make_int(src)
    if kind <= 6:
        return make_text(src)
    if kind == 7:
        return make_bytes(src)
    if kind == 8:
        return bytearray(make_bytes(src))
    if kind == 9:
        view = memoryview(make_bytes(src))
        return view[:: src.pick([1, 2, 3, -1, -2])]
    if kind == 10:
        return Index(make_int(src)) if src.byte() & 1 else src.pick(list(Shard))
    if kind == 11 and np is not None:
        value = make_int(src)
        if -(2**63) <= value < 2**63:
            return np.int64(value)
        return np.uint64(value % KEY_LIMIT)
    return src.pick([True, False, None, 1.0, float("nan"), [1], (), {}, object(), 1j])


def make_buckets(src: Source) -> Any:
    kind = src.below(10)
    if kind <= 3:
        return 1 + src.below(MAX_BUCKETS)
    if kind <= 5:
        return 1 + src.below(2000)
    if kind == 6:
        return src.pick([1, 2, 7, 1000, 65536, MAX_BUCKETS - 1, MAX_BUCKETS])
    if kind == 7:
        return src.pick([0, -1, MAX_BUCKETS + 1, 2**32, 2**64, -(2**63), 10**400])
    if kind == 8:
        return Index(src.below(2**32) - 5)
    return src.pick([True, False, None, 7.0, "7", b"7", [7]])


def make_threads(src: Source) -> Any:
    return src.pick([1, 1, 1, 2, 3, None, 0, -1, True, 1.5, "2"])


def make_batch(src: Source) -> Callable[[], Any]:
    """A factory: each core needs its own copy (generators are used up)."""
    kind = src.below(7)
    if kind <= 2 or (kind >= 5 and np is None):
        keys = [make_key(src) for _ in range(src.below(40))]
        wraps: list[Callable[[list[Any]], Any]] = [list, tuple, iter]
        wrap = wraps[kind % 3]
        return lambda: wrap(keys)
    if kind == 3:
        values = [src.uint(8) for _ in range(src.below(40))]
        code = src.pick("bBhHiIlLqQ")
        bits = array.array(code).itemsize * 8
        signed = code.islower()
        fixed = [_wrap(v, bits, signed) for v in values]
        return lambda: array.array(code, fixed)
    if kind == 4:
        single = src.pick(["abc", b"abc", bytearray(b"ab"), 5, None, memoryview(b"\x01\x02")])
        return lambda: single
    values = [src.uint(8) for _ in range(src.below(48))]
    dtype = (
        src.pick(INT_DTYPES_EVERY_ORDER) if kind == 5 else src.pick(["f8", "?", "O", "U3", "S3"])
    )
    step = src.pick([1, 1, 2, -1, -3])
    shape = src.below(4)

    def build() -> Any:
        arr = np.array(values, dtype=np.uint64).astype(dtype)
        size = len(values) // 4 * 4
        if shape == 1:
            arr = arr[:size].reshape(-1, 4)
        elif shape == 2:
            arr = arr[:size].reshape(4, -1).T
        elif shape == 3:
            arr = arr[:1].reshape(()) if size else arr
        return arr[::step] if arr.ndim else arr

    return build


def _wrap(value: int, bits: int, signed: bool) -> int:
    value %= 1 << bits
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def check_input(data: bytes, cores: Sequence[ModuleType]) -> str:
    """Run one fuzz input through every core; return the function it exercised."""
    src = Source(data)
    op: str = src.pick(["jump_hash", "jump_hash", "hash_key", "xxh64", "many", "many", "many"])
    n = make_buckets(src)
    if op == "many":
        factory = make_batch(src)
        threads = make_threads(src)
        results = [outcome(c.jump_hash_many, factory(), n, threads=threads) for c in cores]
    elif op == "jump_hash":
        key = make_key(src)
        results = [outcome(c.jump_hash, key, n) for c in cores]
    elif op == "hash_key":
        key = make_key(src)
        results = [outcome(c.hash_key, key) for c in cores]
    else:
        blob = make_key(src) if src.byte() & 1 else make_bytes(src)
        results = [outcome(c.xxh64, blob) for c in cores]
    for other, result in zip(cores[1:], results[1:], strict=True):
        assert result == results[0], (op, cores[0].__name__, other.__name__, results)
    kind, value = results[0]
    if kind == "ok" and op == "jump_hash":
        assert type(value) is int and 0 <= value < int(n)
    elif kind == "ok" and op in ("hash_key", "xxh64"):
        assert type(value) is int and 0 <= value < KEY_LIMIT
    elif kind in ("ok", "ndarray") and op == "many":
        if kind == "ndarray":
            dtype, _, nested = value
            assert np.dtype(dtype) == np.int64, dtype
            flat = _flatten(nested)
        else:
            flat = value
        assert all(type(b) is int and 0 <= b < int(n) for b in flat)
        batch = factory()
        if np is not None and isinstance(batch, np.ndarray):
            batch = batch.ravel().tolist()
        assert flat == [cores[0].jump_hash(k, n) for k in batch]
    return op


def _flatten(values: Any) -> list[int]:
    if isinstance(values, list):
        return [x for v in values for x in _flatten(v)]
    return [values]


def load_cores() -> list[ModuleType]:
    cores = [importlib.import_module("rvh_stable.stable")]
    try:
        cores.insert(0, importlib.import_module("rvh_stable._jump"))
    except ImportError:
        print("compiled core missing: fuzzing the pure core alone", file=sys.stderr)
    return cores


def run_seeded(runs: int, seed: int, cores: Sequence[ModuleType]) -> dict[str, int]:
    """Feed ``runs`` seeded random inputs (8-400 bytes) through ``check_input``."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    for _ in range(runs):
        data = rng.randbytes(rng.randrange(8, 400))
        op = check_input(data, cores)
        counts[op] = counts.get(op, 0) + 1
    return counts


def main(argv: list[str]) -> None:
    try:
        atheris = importlib.import_module("atheris")
    except ImportError:
        parser = argparse.ArgumentParser(description="seeded run without atheris")
        parser.add_argument("--runs", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=0)
        args = parser.parse_args(argv[1:])
        counts = run_seeded(args.runs, args.seed, load_cores())
        print(f"{args.runs} inputs, no failure: {counts}")
        return
    cores = load_cores()
    # Coverage feedback from every Python function loaded: this harness's
    # choices, the pure core and the shared rules.
    atheris.instrument_all()

    def test_one_input(data: bytes) -> None:
        check_input(data, cores)

    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
