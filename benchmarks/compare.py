"""rvh_stable against its peers: the ratio table, targets P1-P7, and a chart.

    pip install -e '.[bench]' && python benchmarks/compare.py [--quick] [--no-chart]

Every figure is a median over rounds in which the implementations run one
after the other, interleaved: on a shared machine the absolute times drift by
1.5x, the ratios measured side by side do not.  The batch kernel is picked
when ``rvh_stable._jump`` is imported (``RVH_STABLE_KERNEL``), so each kernel
runs in a child process of its own, and each round asks the children in turn.
Prints:

1. ns per key for each implementation at n = 10, 1000 and 10**6;
2. targets P1-P7 and the memory goals of the performance issue, R1-R4 of
   the router issue (Router lookups against jump_hash and uhashring), R5-R6
   of the client-side issue (lookups with nodes down; keys that move beyond
   the changed node's own), A1-A4
   of the Arrow issue (Arrow and Polars input against lists), and I1-I3
   of the interoperability issue (the Guava variant per call and on each
   batch kernel, every hasher per call), J1-J3 of the JumpBackHash issue
   (``algorithm="jumpback"`` against jump per call and on a uint64 array:
   benchmarks/targets_jumpback.py), and K1 of the kernels issue (the
   AVX2 kernel against SSE2; a FAIL where the CPU has AVX2 and the build
   has no AVX2 kernel, and a line saying why elsewhere), each with its ratio and
   PASS or FAIL (the kernels against the divider's bound: tools/divider.sh);

and writes ``benchmarks/results/ns_per_key.png`` (ns per key against n) and
``benchmarks/results/compare.txt`` (this output).  Exits with status 1 when a
target fails, so the command itself is the check.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import io
import os
import platform
import random
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from contextlib import ExitStack, redirect_stdout, suppress
from functools import partial
from pathlib import Path
from typing import Any, Literal, NamedTuple

import jump  # jump-consistent-hash
import numpy as np
import xxhash
from uhashring import HashRing  # the ketama ring Python users reach for

try:  # the Arrow targets (A1-A4) need them; the rest does not
    import polars
    import pyarrow
except ImportError:  # pragma: no cover
    pyarrow = polars = None

from rvh_stable import _jump as fast
from rvh_stable import _rules, router
from rvh_stable import stable as pure

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets_jumpback as jumpback
from peers import CScalar, check_peers, naive_jump, numpy_jump
from timing import batch_ns, interleaved, per_call_ns

RESULTS = Path(__file__).resolve().parent / "results"
KERNEL: str = fast.KERNEL  # picked at import: RVH_STABLE_KERNEL, else the best for this CPU
SEED = 2014  # the keys of every table
HASHERS = _rules.HASHERS
MULT_KEYS = [0x9E3779B97F4A7C15, 123456789123456789, 2**63 + 12345, 424242]
STR_KEYS = ["user:1001", "TX12345-abcdef", "order-9f8e7d", "sku_000042"]
ELEVEN_BYTE_KEYS = ["user:000042", "order-98765", "sku-1234567", "ab:cd:ef:01"]


def calls(func_name: str, keys: list[Any], wrap: str = "{}") -> str:
    """Statements calling func_name(key, n) for each key; ``wrap`` may dress
    the key (``"x({}.encode())"``) or add arguments after it (``"{}, variant='guava'"``),
    which then come before n: they are keywords.  ``"{}#"`` calls func_name(key)."""
    if wrap == "{}#":
        return "; ".join(f"{func_name}({k!r})" for k in keys)
    if ", " in wrap:  # keyword arguments after the key: n goes positionally first
        key_part, extra = wrap.split(", ", 1)
        return "; ".join(f"{func_name}({key_part.format(repr(k))}, n, {extra})" for k in keys)
    return "; ".join(f"{func_name}({wrap.format(repr(k))}, n)" for k in keys)


def uint64_keys(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.integers(0, 2**64, size=size, dtype=np.uint64)


def shared_memory() -> str | None:
    """A folder in memory for the kernel workers' keys file, where there is one."""
    return "/dev/shm" if os.path.isdir("/dev/shm") else None


def answers_digest(keys: np.ndarray) -> str:
    """A fingerprint of jump_hash_many(keys, 1000): the same for every kernel."""
    return hashlib.sha256(fast.jump_hash_many(keys, 1000).tobytes()).hexdigest()[:16]


class KernelWorker:
    """A child process whose rvh_stable._jump runs one batch kernel, timed on request.

    The kernel is fixed when the child imports the module, so each kernel
    needs a process of its own; the parent asks the children in turn, round
    after round, as ``interleaved`` runs jobs.  One line each way: the child
    first says ``ready <its KERNEL> <answers_digest of its keys>``, then
    answers each ``<n> <variant>`` with the ns per key of
    ``jump_hash_many(keys, n, variant=variant)``;
    it exits at the end of its input.

    The keys are the parent's array, mapped from one file by every child:
    the same physical pages, so that the kernels read their input from the
    same caches, as they did when they all ran in one process.  (With a copy
    each, the children's three arrays evict one another, which adds about a
    nanosecond per key where a kernel needs only two or three.)
    """

    def __init__(self, kernel: str, keys_file: Path) -> None:
        self.kernel = kernel
        self._stderr = tempfile.TemporaryFile()  # a file, not a pipe: it never fills up
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--kernel-worker", str(keys_file)],
            env={**os.environ, "RVH_STABLE_KERNEL": kernel},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    def __enter__(self) -> KernelWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ready(self, digest: str) -> None:
        """Wait until the child has its keys; check its kernel and its answers."""
        reply = self._reply()
        expected = f"ready {self.kernel} {digest}"
        if reply != expected:
            raise RuntimeError(
                f"the worker for batch kernel {self.kernel!r} said {reply!r}, not {expected!r}"
            )

    def ns_per_key(self, n: int, variant: str = "paper") -> float:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(f"{n} {variant}\n")
            self._process.stdin.flush()
        except BrokenPipeError:
            raise self._died() from None
        return float(self._reply())

    def _reply(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise self._died()
        return line.rstrip("\n")

    def _died(self) -> RuntimeError:
        status = self._process.wait()
        self._stderr.seek(0)
        stderr = self._stderr.read().decode(errors="replace").rstrip()
        return RuntimeError(
            f"the worker for batch kernel {self.kernel!r} (RVH_STABLE_KERNEL={self.kernel}) "
            f"exited with status {status}" + (f", saying:\n{stderr}" if stderr else "")
        )

    def close(self) -> None:
        process = self._process
        assert process.stdin is not None and process.stdout is not None
        with suppress(BrokenPipeError):
            process.stdin.close()  # the end of its input: the child exits
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()
        self._stderr.close()


def kernel_worker(keys_file: str) -> int:
    """The child side of KernelWorker; its batch kernel is RVH_STABLE_KERNEL's."""
    keys = np.memmap(keys_file, dtype=np.uint64, mode="r")
    print("ready", fast.KERNEL, answers_digest(keys), flush=True)
    for line in sys.stdin:
        n, variant = line.split()
        call = partial(fast.jump_hash_many, keys, int(n), variant=variant)
        # One call untimed first: it brings this process's output pages back
        # into the caches, which the other workers' calls have just evicted.
        # In one process, each kernel's call reused the output memory its
        # predecessor had freed, still cached; this keeps the figures alike.
        call()
        print(batch_ns(call, keys.size)(), flush=True)
    return 0


class Bench:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.rounds = 3 if quick else 7
        self.size = 200_000 if quick else 1_000_000
        self.cscalar = CScalar()
        check_peers(fast, jump.hash, self.cscalar)
        rng = np.random.default_rng(SEED)
        self.array = uint64_keys(rng, self.size)
        self.big = uint64_keys(rng, 4 * self.size)
        self.ints = self.array.tolist()
        self.strs = [f"user:{i}:{i * 7919 % 100003}" for i in range(self.size)]
        self.short_strs = [f"user:{i}" for i in range(self.size)]  # 6-11 bytes (A1 short)
        self.small = self.ints[: self.size // 50]
        self.out = np.empty(self.size, dtype=np.int64)

    # --- ns per key, per implementation ------------------------------------

    def per_key(self, n: int) -> dict[str, float]:
        ints, strs, small, array = self.ints, self.strs, self.small, self.array
        names = {
            "f": fast.jump_hash,
            "g": jump.hash,
            "p": pure.jump_hash,
            "q": naive_jump,
            "x": xxhash.xxh64_intdigest,
            "n": n,
        }
        per_call = 100_000 if not self.quick else 20_000
        jobs: dict[str, Callable[[], float]] = {
            "rvh_stable jump_hash(int), per call": lambda: per_call_ns(
                calls("f", MULT_KEYS), names, 4, per_call
            ),
            "jump.hash(int), per call": lambda: per_call_ns(
                calls("g", MULT_KEYS), names, 4, per_call
            ),
            "rvh_stable jump_hash(str), per call": lambda: per_call_ns(
                calls("f", STR_KEYS), names, 4, per_call
            ),
            "jump_hash(int, variant='paper'), per call": lambda: per_call_ns(
                calls("f", MULT_KEYS, "{}, variant='paper'"), names, 4, per_call
            ),
            "jump_hash(int, variant='guava'), per call": lambda: per_call_ns(
                calls("f", MULT_KEYS, "{}, variant='guava'"), names, 4, per_call
            ),
            "jump_hash(11-byte str), per call": lambda: per_call_ns(
                calls("f", ELEVEN_BYTE_KEYS), names, 4, per_call
            ),
            **{
                f"jump_hash(11-byte str, hasher={h!r}), per call": partial(
                    per_call_ns,
                    calls("f", ELEVEN_BYTE_KEYS, f"{{}}, hasher={h!r}"),
                    names,
                    4,
                    per_call,
                )
                for h in HASHERS
            },
            "jump.hash(xxh64(s.encode())), per call": lambda: per_call_ns(
                calls("g", STR_KEYS, "x({}.encode())"), names, 4, per_call
            ),
            "rvh_stable array, threads=1": batch_ns(
                lambda: fast.jump_hash_many(array, n), array.size
            ),
            "rvh_stable array, threads=2": batch_ns(
                lambda: fast.jump_hash_many(array, n, threads=2), array.size
            ),
            "C scalar loop over the array": batch_ns(
                lambda: self.cscalar(array, n, self.out), array.size
            ),
            "NumPy vectorized (user code)": batch_ns(lambda: numpy_jump(array, n), array.size),
            "rvh_stable list of ints": batch_ns(lambda: fast.jump_hash_many(ints, n), len(ints)),
            "[jump.hash(k, n) for k in list]": batch_ns(
                lambda: [jump.hash(k, n) for k in ints], len(ints)
            ),
            "rvh_stable list of strs": batch_ns(lambda: fast.jump_hash_many(strs, n), len(strs)),
            "[jump.hash(xxh64(s.encode()), n) for s]": batch_ns(
                lambda: [jump.hash(xxhash.xxh64_intdigest(s.encode()), n) for s in strs], len(strs)
            ),
            "pure core jump_hash(int), per call": batch_ns(
                lambda: [pure.jump_hash(k, n) for k in small], len(small)
            ),
            "pure core jump_hash(str), per call": batch_ns(
                lambda: [pure.jump_hash(s, n) for s in strs[: len(small)]], len(small)
            ),
            "naive pure-Python loop": batch_ns(
                lambda: [naive_jump(k, n) for k in small], len(small)
            ),
        }
        return interleaved(jobs, self.rounds)

    # --- targets --------------------------------------------------------------

    def kernels(self) -> dict[int, dict[str, float]]:
        """ns per key of each batch kernel this build and CPU have, on the array,
        with the paper's loop (rows named after the kernel) and Guava's
        (``"<kernel>, variant='guava'"``)."""
        digest = answers_digest(self.array)
        with ExitStack() as stack:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=shared_memory())))
            keys_file = folder / "keys.u64"
            self.array.tofile(keys_file)
            workers = {
                name: stack.enter_context(KernelWorker(name, keys_file)) for name in fast.KERNELS
            }
            for worker in workers.values():
                worker.ready(digest)
            jobs = {
                n: {
                    f"{name}{label}": partial(worker.ns_per_key, n, variant)
                    for name, worker in workers.items()
                    for label, variant in (("", "paper"), (", variant='guava'", "guava"))
                }
                for n in (10, 1000, 10**6)
            }
            return {n: interleaved(jobs[n], self.rounds) for n in jobs}

    def threads(self, n: int) -> dict[str, float]:
        """ns per key of jump_hash_many(big array, n) with 1 and with 2 threads."""
        big = self.big
        return interleaved(
            {
                "threads=1": batch_ns(lambda: fast.jump_hash_many(big, n, threads=1), big.size),
                "threads=2": batch_ns(lambda: fast.jump_hash_many(big, n, threads=2), big.size),
            },
            self.rounds,
        )

    def router(self, n: int) -> dict[str, float]:
        """ns per key of Router lookups over ``n`` nodes (compiled core), whole
        and with every tenth node removed, beside jump_hash over n buckets and
        uhashring's ketama ring over the same names."""
        names = [f"node-{i}" for i in range(n)]
        router._core = fast
        whole, holes = router.Router(names), router.Router(names)
        for i in range(3, n, 10):
            holes.remove(names[i])
        ring = HashRing(nodes=names)
        glob = {"f": fast.jump_hash, "a": whole.node_for, "b": holes.node_for,
                "u": ring.get_node, "n": n}  # fmt: skip
        number = 20_000 if self.quick else 100_000
        strs = self.strs
        return interleaved(
            {
                "jump_hash(str, n), per call": lambda: per_call_ns(
                    calls("f", STR_KEYS), glob, 4, number
                ),
                "node_for(str), per call": lambda: per_call_ns(
                    calls("a", STR_KEYS, "{}#"), glob, 4, number
                ),
                "node_for(str), 10% removed, per call": lambda: per_call_ns(
                    calls("b", STR_KEYS, "{}#"), glob, 4, number
                ),
                "uhashring get_node(str), per call": lambda: per_call_ns(
                    calls("u", STR_KEYS, "{}#"), glob, 4, number // 20
                ),
                "jump_hash_many(list of strs, n)": batch_ns(
                    lambda: fast.jump_hash_many(strs, n), len(strs)
                ),
                "nodes_for(list of strs), 10% removed": batch_ns(
                    lambda: holes.nodes_for(strs), len(strs)
                ),
            },
            self.rounds,
        )

    def down(self, n: int) -> dict[str, float]:
        """ns per call of Router.node_for(str) over ``n`` nodes (compiled
        core), none down and 3 down (this client's view: Router.down), over
        2,000 keys so that the detoured ones (3%) count as often as they
        occur."""
        names = [f"node-{i}" for i in range(n)]
        router._core = fast
        whole, down = router.Router(names), router.Router(names)
        for i in (5, n // 2, n - 5):
            down.down(names[i])
        keys = [f"user:{i}" for i in range(2000)]
        glob = {"a": whole.node_for, "b": down.node_for, "K": keys}
        number = 10 if self.quick else 50
        return interleaved(
            {
                "node_for(str), none down, per call": lambda: per_call_ns(
                    "for k in K: a(k)", glob, len(keys), number
                ),
                "node_for(str), 3 down, per call": lambda: per_call_ns(
                    "for k in K: b(k)", glob, len(keys), number
                ),
            },
            self.rounds,
        )

    def movement(self, n: int) -> dict[str, float]:
        """Keys that move beyond the changed node's own, in the worst of 20
        random cases: ``n`` nodes with 3 down, a fourth goes down (keys that
        move but were not on it) and comes back (keys that move but not to
        it); 20,000 str keys, the compiled core."""
        rng = random.Random(SEED)
        router._core = fast
        keys = [f"user:{i}" for i in range(20_000)]
        worst = 0
        for _ in range(20):
            r = router.Router([f"node-{i}" for i in range(n)])
            *others, failing = rng.sample(r.nodes, 4)
            for name in others:
                r.down(name)
            before = r.nodes_for(keys)
            r.down(failing)
            during = r.nodes_for(keys)
            r.up(failing)
            after = r.nodes_for(keys)
            extra_down = sum(a != b and a != failing for a, b in zip(before, during, strict=True))
            extra_up = sum(a != b and b != failing for a, b in zip(during, after, strict=True))
            worst = max(worst, extra_down, extra_up)
        return {"extra keys moved": float(worst), "keys": float(len(keys))}

    def arrow(self, n: int) -> dict[str, float]:
        """ns per key of jump_hash_many over the same str keys as a list, as a
        pyarrow utf8 array (1 and 2 threads) and as a Polars Series; and over
        short keys (``f"user:{i}"``, 6-11 bytes) as a list and as an array."""
        if pyarrow is None or polars is None:
            raise SystemExit(
                "the Arrow targets need pyarrow and polars: pip install pyarrow polars"
            )
        strs, short = self.strs, self.short_strs
        array, series = pyarrow.array(strs), polars.Series(strs)
        short_array = pyarrow.array(short)
        return interleaved(
            {
                "list of str": batch_ns(lambda: fast.jump_hash_many(strs, n), len(strs)),
                "Arrow utf8, threads=1": batch_ns(lambda: fast.jump_hash_many(array, n), len(strs)),
                "list of short str": batch_ns(lambda: fast.jump_hash_many(short, n), len(short)),
                "Arrow utf8 short, threads=1": batch_ns(
                    lambda: fast.jump_hash_many(short_array, n), len(short)
                ),
                "Arrow utf8, threads=2": batch_ns(
                    lambda: fast.jump_hash_many(array, n, threads=2), len(strs)
                ),
                "Polars Series": batch_ns(lambda: fast.jump_hash_many(series, n), len(strs)),
            },
            self.rounds,
        )

    def arrow_memory(self) -> tuple[int, int]:
        """(peak bytes allocated during one call on the Arrow array, output bytes)."""
        array = pyarrow.array(self.strs)
        gc.collect()
        tracemalloc.start()
        result = fast.jump_hash_many(array, 1000)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak, result.nbytes

    def memory(self) -> dict[str, tuple[int, int]]:
        """(peak bytes allocated during the call, bytes of the output), per path."""
        found = {}
        for label, keys, output_bytes in (
            ("array path", self.array, self.array.size * 8),
            # A list's storage: one pointer per element (the ints are shared).
            ("list path", self.ints, len(self.ints) * 8),
        ):
            gc.collect()
            tracemalloc.start()
            result = fast.jump_hash_many(keys, 1000)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            del result
            found[label] = (peak, output_bytes)
        return found


class Target(NamedTuple):
    """A target of the performance issue: a ratio of two medians measured side by side.

    The ratio is ``numerator / denominator``, two rows of the ns-per-key table
    at ``n`` (or of ``table(bench, n)``, for a target measured on its own), and
    passes when ``ratio <= limit`` or ``ratio >= limit``, as ``sign`` says.
    ``detail`` may name ``{n}`` and ``{big}`` (the key count of ``Bench.big``).
    """

    label: str
    n: int
    sign: Literal["<=", ">="]
    limit: float
    numerator: str
    denominator: str
    detail: str
    table: Callable[[Bench, int], dict[str, float]] | None = None


# In the order they are printed.
TARGETS = (
    Target("P1", 10, "<=", 1.0,
           "rvh_stable jump_hash(int), per call", "jump.hash(int), per call",
           "jump_hash(int) / jump.hash, n={n}"),
    Target("P1", 1000, "<=", 1.0,
           "rvh_stable jump_hash(int), per call", "jump.hash(int), per call",
           "jump_hash(int) / jump.hash, n={n}"),
    Target("P2", 1000, "<=", 0.6,
           "rvh_stable jump_hash(str), per call", "jump.hash(xxh64(s.encode())), per call",
           "jump_hash(str) / jump.hash(xxh64(s.encode())), n={n}"),
    Target("P3", 1000, "<=", 0.6,
           "rvh_stable array, threads=1", "C scalar loop over the array",
           "jump_hash_many(uint64 array, threads=1) / C scalar loop, n={n}"),
    Target("P4", 1000, ">=", 1.6,
           "threads=1", "threads=2",
           "threads=1 time / threads=2 time, {big:,} keys (aim 1.8)", Bench.threads),
    Target("P5", 1000, "<=", 0.5,
           "rvh_stable list of ints", "[jump.hash(k, n) for k in list]",
           "jump_hash_many(list of ints) / [jump.hash(k) for k in list], n={n}"),
    Target("P6", 1000, "<=", 0.4,
           "rvh_stable list of strs", "[jump.hash(xxh64(s.encode()), n) for s]",
           "jump_hash_many(list of strs) / [jump.hash(xxh64(s.encode())) ...], n={n}"),
    Target("P7", 1000, "<=", 1.0,
           "pure core jump_hash(int), per call", "naive pure-Python loop",
           "pure jump_hash(int) / naive loop, n={n}"),
    Target("P7s", 1000, "<=", 2.5,
           "pure core jump_hash(str), per call", "naive pure-Python loop",
           "pure jump_hash(str) / naive loop (int), n={n}"),
    Target("I1", 1000, "<=", 1.15,
           "jump_hash(int, variant='guava'), per call", "jump_hash(int, variant='paper'), per call",
           "variant='guava' / variant='paper' per call, n={n} (see I1k)"),
    Target("R1", 100, "<=", 2.0,
           "node_for(str), per call", "jump_hash(str, n), per call",
           "Router.node_for(str) / jump_hash(str, n), {n} nodes, none removed", Bench.router),
    Target("R2", 100, "<=", 3.0,
           "node_for(str), 10% removed, per call", "jump_hash(str, n), per call",
           "Router.node_for(str) / jump_hash(str, n), {n} nodes, 10% removed", Bench.router),
    Target("R3", 100, "<=", 0.05,
           "node_for(str), 10% removed, per call", "uhashring get_node(str), per call",
           "Router.node_for(str) / uhashring HashRing.get_node, {n} nodes", Bench.router),
    Target("R4", 100, "<=", 2.0,
           "nodes_for(list of strs), 10% removed", "jump_hash_many(list of strs, n)",
           "Router.nodes_for(list of strs) / jump_hash_many(list of strs), {n} nodes, "
           "10% removed", Bench.router),
    Target("R5", 100, "<=", 1.1,
           "node_for(str), 3 down, per call", "node_for(str), none down, per call",
           "Router.node_for(str), 3 of {n} nodes down / none down", Bench.down),
    Target("R6", 12, "<=", 0.005,
           "extra keys moved", "keys",
           "keys moving beyond the changed node's own / all keys, worst of 20 cases: {n} "
           "nodes, 3 down, a fourth goes down and comes back", Bench.movement),
    Target("A1", 1000, "<=", 0.5,
           "Arrow utf8, threads=1", "list of str",
           "jump_hash_many(Arrow utf8 array) / jump_hash_many(the same keys as a list of str), "
           "n={n}", Bench.arrow),
    Target("A1", 1000, "<=", 0.5,
           "Arrow utf8 short, threads=1", "list of short str",
           "the same, keys f'user:{{i}}' (6-11 bytes), n={n}", Bench.arrow),
    Target("A2", 1000, ">=", 1.6,
           "Arrow utf8, threads=1", "Arrow utf8, threads=2",
           "Arrow utf8 array: threads=1 time / threads=2 time, n={n}", Bench.arrow),
    Target("A3", 1000, "<=", 1.25,
           "Polars Series", "Arrow utf8, threads=1",
           "jump_hash_many(Polars Series) / the same keys as a pyarrow array, n={n}", Bench.arrow),
    *(
        Target("I2", 1000, "<=", 1.3,
               f"jump_hash(11-byte str, hasher={h!r}), per call",
               "jump_hash(11-byte str, hasher='xxh64'), per call",
               f"hasher={h!r} / hasher='xxh64' (the default, named: the same call) per call, "
               "n={n} (see I2k)")
        for h in HASHERS[1:]
    ),
    *(
        Target(label, n, "<=", limit, numerator, denominator, detail, jumpback.table)
        for label, n, limit, numerator, denominator, detail in jumpback.TARGETS
    ),
)  # fmt: skip

# Printed without a verdict: what a call with a keyword costs against one
# without (I1 and I2 compare calls of the same shape: the variant's and the
# hasher's own cost).  CPython's keyword call alone is I1p and I2k.
PLAIN_INT_CALL = "rvh_stable jump_hash(int), per call"
INFO = (
    ("I1k", 1000, "jump_hash(int, variant='guava'), per call", PLAIN_INT_CALL,
     "variant='guava' / jump_hash(int) without a keyword, n={n}"),
    ("I1p", 1000, "jump_hash(int, variant='paper'), per call", PLAIN_INT_CALL,
     "variant='paper' / jump_hash(int) without a keyword: CPython's keyword call, n={n}"),
    ("I2k", 1000, "jump_hash(11-byte str, hasher='xxh64'), per call",
     "jump_hash(11-byte str), per call",
     "hasher='xxh64' / jump_hash(str) without a keyword: CPython's keyword call, n={n}"),
)  # fmt: skip


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo, or None where there is none."""
    with suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return None


def k1_unmeasured() -> tuple[bool, str]:
    """Why K1 (AVX2 against SSE2) is not measured in a build with no AVX2
    kernel, and whether that is right (False: the CPU has AVX2, so the build
    should have had the kernel; the test suite fails on it too)."""
    built = ", ".join(fast.KERNELS)
    if platform.machine().lower() not in ("x86_64", "amd64") or sys.maxsize <= 2**32:
        return True, f"not an x86-64 build: no AVX2 kernel here (kernels: {built})"
    flags = cpu_flags()
    if flags is None:
        return True, (
            f"no avx2 kernel in this build (kernels: {built}); no /proc/cpuinfo "
            "to tell whether this CPU has AVX2"
        )
    if not {"avx", "avx2", "popcnt"} <= flags:
        return True, f"this CPU has no AVX2 (kernels: {built})"
    return False, (
        f"this CPU has AVX2 but the build has no avx2 kernel (kernels: {built}); "
        "was it built with -DRVH_NO_AVX2?"
    )


def ratio_row(name: str, value: float, target: float, at_most: bool, detail: str) -> bool:
    ok = value <= target if at_most else value >= target
    sign = "<=" if at_most else ">="
    print(
        f"{name:<4} {value:6.2f}  (target {sign} {target:<4})  {'PASS' if ok else 'FAIL'}  {detail}"
    )
    return ok


def run(quick: bool, chart: bool) -> bool:
    bench = Bench(quick)
    print(
        f"rvh_stable {fast.__name__} ({KERNEL} batch kernel) vs peers: "
        f"{platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{'quick' if quick else 'full'} mode ({bench.size:,} keys, {bench.rounds} rounds)"
    )
    tables = {n: bench.per_key(n) for n in (10, 1000, 10**6)}
    names = list(tables[10])
    print(
        f"\nns per key (median of interleaved rounds)\n{'':<42}"
        + "".join(f"{f'n={n}':>11}" for n in tables)
    )
    for name in names:
        print(f"{name:<42}" + "".join(f"{tables[n][name]:>11.1f}" for n in tables))

    ok = []
    measured: dict[tuple[Callable[[Bench, int], dict[str, float]], int], dict[str, float]] = {}
    print("\ntargets (ratios of medians measured side by side)")
    for target in TARGETS:
        if target.table is None:
            table = tables[target.n]
        else:  # measured once for all the targets that read it
            if (target.table, target.n) not in measured:
                measured[target.table, target.n] = target.table(bench, target.n)
            table = measured[target.table, target.n]
        ok.append(
            ratio_row(
                target.label,
                table[target.numerator] / table[target.denominator],
                target.limit,
                target.sign == "<=",
                target.detail.format(n=target.n, big=bench.big.size),
            )
        )
    for label, n, numerator, denominator, detail in INFO:
        ratio = tables[n][numerator] / tables[n][denominator]
        print(f"{label:<4} {ratio:6.2f}  (no target)          {detail.format(n=n)}")
    by_n = bench.kernels()
    print(
        "\nbatch kernels: jump_hash_many(uint64 array, threads=1), ns per key"
        f" (this CPU's pick: {KERNEL})\n{'':<42}" + "".join(f"{f'n={n}':>11}" for n in by_n)
    )
    for name in by_n[10]:
        print(f"{name:<42}" + "".join(f"{by_n[n][name]:>11.1f}" for n in by_n))
    for name in fast.KERNELS:
        ok.append(
            ratio_row(
                "I3",
                by_n[1000][f"{name}, variant='guava'"] / by_n[1000][name],
                1.5,
                True,
                f"{name} kernel: array batch, variant='guava' / 'paper', n=1000",
            )
        )
    if "avx2" in fast.KERNELS:
        # The AVX2 width's quicker way here, dividing or by the reciprocal
        # (avx2-rcp, where the CPU has FMA): the pair the import chooses between.
        avx2 = [name for name in ("avx2", "avx2-rcp") if name in fast.KERNELS]
        for variant in ("", ", variant='guava'"):
            quicker = min(avx2, key=lambda name: by_n[1000][f"{name}{variant}"])
            ok.append(
                ratio_row(
                    "K1",
                    by_n[1000][f"{quicker}{variant}"] / by_n[1000][f"sse2{variant}"],
                    0.6,
                    True,
                    f"{quicker} / sse2 kernel{variant}: array batch, n=1000",
                )
            )
    else:
        good, why = k1_unmeasured()
        ok.append(good)
        print(f"K1   {'not measured' if good else 'FAIL'}  {why}")
    peak, output = bench.arrow_memory()
    good = peak <= output * 1.10
    ok.append(good)
    print(
        f"A4   peak {peak / 1e6:.2f} MB for {output / 1e6:.2f} MB of output "
        f"(target <= output + 10%)  {'PASS' if good else 'FAIL'}  tracemalloc, one Arrow batch"
    )
    print("\nmemory (tracemalloc peak during one call of 1000 buckets)")
    for label, (peak, output) in bench.memory().items():
        good = peak <= output * 1.15 + 64 * 1024
        ok.append(good)
        print(
            f"{label:<11} peak {peak / 1e6:8.2f} MB, output {output / 1e6:8.2f} MB  "
            f"{'PASS' if good else 'FAIL'}  (allowed: output + 15% + 64 KiB)"
        )
    if chart:
        draw_chart(bench)
    return all(ok)


def chart_jobs(
    bench: Bench, n: int, array: np.ndarray, ints: list[int], small: list[int], out: np.ndarray
) -> dict[str, Callable[[], float]]:
    return {
        "rvh_stable array, 1 thread": batch_ns(lambda: fast.jump_hash_many(array, n), array.size),
        "rvh_stable array, 2 threads": batch_ns(
            lambda: fast.jump_hash_many(array, n, threads=2), array.size
        ),
        "rvh_stable list of ints": batch_ns(lambda: fast.jump_hash_many(ints, n), len(ints)),
        "C scalar loop": batch_ns(lambda: bench.cscalar(array, n, out), array.size),
        "jump.hash per call (list comp.)": batch_ns(
            lambda: [jump.hash(k, n) for k in ints], len(ints)
        ),
        "NumPy vectorized": batch_ns(lambda: numpy_jump(array, n), array.size),
        "rvh_stable pure core": batch_ns(lambda: [pure.jump_hash(k, n) for k in small], len(small)),
        "naive pure-Python loop": batch_ns(lambda: [naive_jump(k, n) for k in small], len(small)),
    }


def draw_chart(bench: Bench) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [2, 10, 100, 1000, 10**4, 10**5, 10**6, 10**7, 2**31 - 1]
    array = bench.array[:200_000]
    out = np.empty(array.size, dtype=np.int64)
    ints = array.tolist()
    small = ints[:4000]
    series: dict[str, list[float]] = {}
    for n in sizes:
        jobs = chart_jobs(bench, n, array, ints, small, out)
        for name, value in interleaved(jobs, 3).items():
            series.setdefault(name, []).append(value)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    for name, values in series.items():
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("num_buckets (n)")
    ax.set_ylabel("ns per key (log scale)")
    ax.set_title(
        f"Jump hash cost per key: {platform.machine()} ({KERNEL} batch kernel), "
        f"Python {platform.python_version()}, 2 cores"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    RESULTS.mkdir(exist_ok=True)
    fig.savefig(RESULTS / "ns_per_key.png", dpi=110)
    print(f"\nchart written to {RESULTS / 'ns_per_key.png'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer keys and rounds")
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG chart")
    parser.add_argument("--kernel-worker", metavar="KEYS_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kernel_worker is not None:
        return kernel_worker(args.kernel_worker)
    buffer = io.StringIO()
    console = sys.stdout

    class Tee(io.TextIOBase):
        def write(self, text: str) -> int:
            console.write(text)
            console.flush()
            return buffer.write(text)

    with redirect_stdout(Tee()):
        ok = run(args.quick, not args.no_chart)
    if not args.quick:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "compare.txt").write_text(buffer.getvalue())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
