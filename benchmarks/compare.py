"""rvh_stable against its peers: the ratio table, targets P1-P7, and a chart.

    pip install -e '.[bench]' && python benchmarks/compare.py [--quick] [--no-chart]

Every figure is a median over rounds in which the implementations run one
after the other, interleaved, in this one process: on a shared machine the
absolute times drift by 1.5x, the ratios measured side by side do not.
Prints:

1. ns per key for each implementation at n = 10, 1000 and 10**6;
2. targets P1-P7 and the memory goals of the performance issue, each with
   its ratio and PASS or FAIL;

and writes ``benchmarks/results/ns_per_key.png`` (ns per key against n) and
``benchmarks/results/compare.txt`` (this output).  Exits with status 1 when a
target fails, so the command itself is the check.
"""

from __future__ import annotations

import argparse
import gc
import io
import platform
import statistics
import sys
import timeit
import tracemalloc
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import jump  # jump-consistent-hash
import numpy as np
import xxhash

from rvh_stable import _jump as fast
from rvh_stable import stable as pure

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import CScalar, check_peers, naive_jump, numpy_jump

RESULTS = Path(__file__).resolve().parent / "results"
KERNEL: str = getattr(fast, "_BATCH_KERNEL", "unknown")  # picked at import for this CPU
MULT_KEYS = [0x9E3779B97F4A7C15, 123456789123456789, 2**63 + 12345, 424242]
STR_KEYS = ["user:1001", "TX12345-abcdef", "order-9f8e7d", "sku_000042"]


def per_call_ns(stmt: str, names: dict[str, Any], calls_per_stmt: int, number: int) -> float:
    """ns per call of a statement string (no lambda: its call would be timed too)."""
    timer = timeit.Timer(stmt, globals=names)
    return min(timer.repeat(repeat=3, number=number)) / (number * calls_per_stmt) * 1e9


def interleaved(jobs: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Run every job once per round, in turn; the median of each job's results."""
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(rounds):
        for name, job in jobs.items():
            samples[name].append(job())
    return {name: statistics.median(values) for name, values in samples.items()}


def batch_ns(func: Callable[[], Any], count: int) -> Callable[[], float]:
    def job() -> float:
        start = timeit.default_timer()
        func()
        return (timeit.default_timer() - start) / count * 1e9

    return job


def calls(func_name: str, keys: list[Any], wrap: str = "{}") -> str:
    return "; ".join(f"{func_name}({wrap.format(repr(k))}, n)" for k in keys)


class Bench:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.rounds = 3 if quick else 7
        self.size = 200_000 if quick else 1_000_000
        self.cscalar = CScalar()
        check_peers(fast, jump.hash, self.cscalar)
        rng = np.random.default_rng(2014)
        self.array = rng.integers(0, 2**64, size=self.size, dtype=np.uint64)
        self.big = rng.integers(0, 2**64, size=4 * self.size, dtype=np.uint64)
        self.ints = self.array.tolist()
        self.strs = [f"user:{i}:{i * 7919 % 100003}" for i in range(self.size)]
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
        """ns per key of each batch kernel this build and CPU have, on the array."""
        array = self.array
        kernels: list[str] = getattr(fast, "_batch_kernels", lambda: [])()
        found = {}

        def with_kernel(name: str, n: int) -> Callable[[], float]:
            def job() -> float:
                previous = fast._use_batch_kernel(name)  # type: ignore[attr-defined]
                try:
                    return batch_ns(lambda: fast.jump_hash_many(array, n), array.size)()
                finally:
                    fast._use_batch_kernel(previous)  # type: ignore[attr-defined]

            return job

        for n in (10, 1000, 10**6):
            found[n] = interleaved({name: with_kernel(name, n) for name in kernels}, self.rounds)
        return found

    def threads_speedup(self) -> float:
        big = self.big
        times = interleaved(
            {
                "1": batch_ns(lambda: fast.jump_hash_many(big, 1000, threads=1), big.size),
                "2": batch_ns(lambda: fast.jump_hash_many(big, 1000, threads=2), big.size),
            },
            self.rounds,
        )
        return times["1"] / times["2"]

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

    t10, t1k = tables[10], tables[1000]
    ok = []
    print("\ntargets (ratios of medians measured side by side)")
    for n, t in ((10, t10), (1000, t1k)):
        ok.append(
            ratio_row(
                "P1",
                t["rvh_stable jump_hash(int), per call"] / t["jump.hash(int), per call"],
                1.0,
                True,
                f"jump_hash(int) / jump.hash, n={n}",
            )
        )
    ok.append(
        ratio_row(
            "P2",
            t1k["rvh_stable jump_hash(str), per call"]
            / t1k["jump.hash(xxh64(s.encode())), per call"],
            0.6,
            True,
            "jump_hash(str) / jump.hash(xxh64(s.encode())), n=1000",
        )
    )
    ok.append(
        ratio_row(
            "P3",
            t1k["rvh_stable array, threads=1"] / t1k["C scalar loop over the array"],
            0.6,
            True,
            "jump_hash_many(uint64 array, threads=1) / C scalar loop, n=1000",
        )
    )
    ok.append(
        ratio_row(
            "P4",
            bench.threads_speedup(),
            1.6,
            False,
            f"threads=1 time / threads=2 time, {bench.big.size:,} keys (aim 1.8)",
        )
    )
    ok.append(
        ratio_row(
            "P5",
            t1k["rvh_stable list of ints"] / t1k["[jump.hash(k, n) for k in list]"],
            0.5,
            True,
            "jump_hash_many(list of ints) / [jump.hash(k) for k in list], n=1000",
        )
    )
    ok.append(
        ratio_row(
            "P6",
            t1k["rvh_stable list of strs"] / t1k["[jump.hash(xxh64(s.encode()), n) for s]"],
            0.4,
            True,
            "jump_hash_many(list of strs) / [jump.hash(xxh64(s.encode())) ...], n=1000",
        )
    )
    ok.append(
        ratio_row(
            "P7",
            t1k["pure core jump_hash(int), per call"] / t1k["naive pure-Python loop"],
            1.0,
            True,
            "pure jump_hash(int) / naive loop, n=1000",
        )
    )
    ok.append(
        ratio_row(
            "P7s",
            t1k["pure core jump_hash(str), per call"] / t1k["naive pure-Python loop"],
            2.5,
            True,
            "pure jump_hash(str) / naive loop (int), n=1000",
        )
    )
    by_n = bench.kernels()
    print(
        "\nbatch kernels: jump_hash_many(uint64 array, threads=1), ns per key"
        f" (this CPU's pick: {KERNEL})\n{'':<42}" + "".join(f"{f'n={n}':>11}" for n in by_n)
    )
    for name in by_n[10]:
        print(f"{name:<42}" + "".join(f"{by_n[n][name]:>11.1f}" for n in by_n))
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
    args = parser.parse_args()
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
