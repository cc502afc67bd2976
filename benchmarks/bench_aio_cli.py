"""What the asyncio layer and the command line cost, measured in one process.

    pip install -e '.[test]' && python benchmarks/bench_aio_cli.py

Prints, for the figures quoted in docs/performance.md and in issue 3:

1. the cost of ``await async_jump_hash(k, n)`` against ``jump_hash(k, n)``,
   both called from the same coroutine (each core);
2. the cost of the ``executor=`` path (a ``run_in_executor`` round trip);
3. the largest gap a coroutine that sleeps 1 ms in a loop sees while a
   20-million-key NumPy batch runs through ``async_jump_hash_many`` (and, for
   scale, how long the batch would block the loop if it ran inline);
   and the same for a list of as many Python ints, which needs the GIL;
4. lines per second of ``rvh-stable``'s stream mode on a 2-million-line file,
   and the peak RSS of that process: wall clock (start-up included) and the
   "took X seconds" the command logs at ``--level info``;
5. how long after a SIGINT a batch raises KeyboardInterrupt, for arrays (one
   thread and two), lists and an endless iterable, each core.

Per-call figures are medians over several rounds, with the variants
interleaved in each round: absolute times drift on a shared machine, figures
measured side by side do not.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

import rvh_stable
from rvh_stable import _jump, aio, stable
from rvh_stable.aio import async_jump_hash, async_jump_hash_many

N = 1000


# --- 1 and 2: per-call costs -------------------------------------------------------


async def per_call(keys: list[Any], executor: Executor | None = None) -> float:
    """Seconds per ``await async_jump_hash(key, N, executor=executor)``."""
    started = time.perf_counter()
    for key in keys:
        await async_jump_hash(key, N, executor=executor)
    return (time.perf_counter() - started) / len(keys)


async def per_call_sync(keys: list[Any], jump_hash: Callable[[Any, int], int]) -> float:
    """Seconds per ``jump_hash(key, N)``: in a coroutine too, to pay for the same loop."""
    started = time.perf_counter()
    for key in keys:
        jump_hash(key, N)
    return (time.perf_counter() - started) / len(keys)


async def call_costs(rounds: int) -> None:
    print("1. await async_jump_hash(k, 1000) against jump_hash(k, 1000), ns per call")
    print(f"   {'core':<8} {'key':<4} {'jump_hash':>10} {'await async':>12} {'difference':>11}")
    keys_by_kind: dict[str, list[Any]] = {
        "int": list(range(10**12, 10**12 + 100_000)),
        "str": [f"user:{i}" for i in range(100_000)],
    }
    for core in (_jump, stable):
        aio._core = core
        for kind, keys in keys_by_kind.items():
            sample = keys if core is _jump else keys[:10_000]
            sync: list[float] = []
            async_: list[float] = []
            for _ in range(rounds):
                sync.append(await per_call_sync(sample, core.jump_hash))
                async_.append(await per_call(sample))
            s, a = statistics.median(sync) * 1e9, statistics.median(async_) * 1e9
            print(f"   {core.IMPLEMENTATION:<8} {kind:<4} {s:>10.0f} {a:>12.0f} {a - s:>+11.0f}")
    aio._core = _jump

    print("\n2. the executor= path (compiled core), us per call")
    keys = keys_by_kind["str"][:5000]
    with ThreadPoolExecutor(max_workers=1) as one, ThreadPoolExecutor(max_workers=4) as four:
        rows: dict[str, list[float]] = {"inline": [], "1 thread": [], "4 threads": []}
        gathered: dict[str, list[float]] = {"1 thread": [], "4 threads": []}
        for _ in range(rounds):
            rows["inline"].append(await per_call(keys))
            for name, pool in (("1 thread", one), ("4 threads", four)):
                rows[name].append(await per_call(keys, pool))
                started = time.perf_counter()
                await asyncio.gather(*(async_jump_hash(k, N, executor=pool) for k in keys))
                gathered[name].append((time.perf_counter() - started) / len(keys))
        for name, values in rows.items():
            line = f"   {name:<10} one await at a time: {statistics.median(values) * 1e6:8.2f} us"
            if name in gathered:
                line += (
                    f"   gather of {len(keys)}: {statistics.median(gathered[name]) * 1e6:6.2f} us"
                )
            print(line)


# --- 3: the event loop during a 20M-key batch --------------------------------------------


async def loop_gaps(batch: Callable[[], Coroutine[Any, Any, Any]]) -> tuple[float, int, float]:
    """(largest gap between ticks, ticks, batch seconds) while ``batch`` runs."""
    ticks: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.001)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    await batch()
    ended = time.perf_counter()
    stop.set()
    await task
    during = [started] + [t for t in ticks if started < t < ended] + [ended]
    return max(b - a for a, b in itertools.pairwise(during)), len(during) - 2, ended - started


async def responsiveness(count: int, rounds: int) -> None:
    print(
        f"\n3. a 1 ms ticker while {count:,} NumPy uint64 keys are hashed (compiled core): "
        f"the largest gap in {rounds} rounds, the median batch time"
    )
    keys = np.arange(count, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rvh_stable.jump_hash_many(keys, N)  # warm-up: the first batch pays for page faults
    ints = keys.tolist()

    async def inline() -> None:
        rvh_stable.jump_hash_many(keys, N)

    variants: dict[str, Callable[[], Coroutine[Any, Any, Any]]] = {
        "no batch, sleep 0.5 s": functools.partial(asyncio.sleep, 0.5),
        "await async_jump_hash_many, threads=1": functools.partial(
            async_jump_hash_many, keys, N, threads=1
        ),
        "await async_jump_hash_many, threads=2": functools.partial(
            async_jump_hash_many, keys, N, threads=2
        ),
        "await async_jump_hash_many, list of ints": functools.partial(
            async_jump_hash_many, ints, N
        ),
        "for scale: jump_hash_many inline": inline,
    }
    results: dict[str, list[tuple[float, int, float]]] = {name: [] for name in variants}
    for _ in range(rounds):  # interleaved
        for name, batch in variants.items():
            results[name].append(await loop_gaps(batch))
    for name, runs in results.items():
        gap = max(r[0] for r in runs)
        ticks = statistics.median(r[1] for r in runs)
        took = statistics.median(r[2] for r in runs)
        print(
            f"   {name:<38} largest gap {gap * 1e3:6.1f} ms  "
            f"(median {took:.2f} s, {ticks:.0f} ticks)"
        )


# --- 4: the stream mode ------------------------------------------------------------------


# Runs rvh-stable's main() and reports the process's own peak RSS (VmHWM,
# Linux): ru_maxrss would start from this benchmark's peak, which Linux
# carries over fork and exec.
CLI_PROBE = """\
import sys
from rvh_stable.cli import main
status = main(sys.argv[1:])
try:
    with open("/proc/self/status") as f:
        hwm = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
except OSError:
    hwm = "0"
print("VmHWM", hwm, file=sys.stderr)
sys.exit(status)
"""


def stream_rates(lines: int, rounds: int) -> None:
    print(
        f"\n4. rvh-stable stream mode on a {lines:,}-line file (keys 'user:<12 digits>'), "
        "output to /dev/null"
    )
    print(f"   {'core':<8} {'options':<16} {'wall s':>7} {'lines/s (wall)':>15} "
          f"{'lines/s (took)':>15} {'peak RSS':>9}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "keys.txt"
        rng = np.random.default_rng(1)
        with open(path, "w", encoding="utf-8") as f:
            for block in np.array_split(rng.integers(10**11, 10**12, lines), 20):
                f.write("".join(f"user:{v}\n" for v in block.tolist()))
        variants = [[], ["--async"], ["--with-key"], ["--format", "json"]]
        for core, no_ext in (("cython", "0"), ("python", "1")):
            env = dict(os.environ, RVH_STABLE_NO_EXTENSIONS=no_ext)
            for options in variants if core == "cython" else variants[:1]:
                walls, tooks, rss = [], [], 0
                for _ in range(rounds if core == "cython" else 1):
                    with open(path, "rb") as stdin:
                        started = time.perf_counter()
                        done = subprocess.run(
                            [sys.executable, "-c", CLI_PROBE, "-b", str(N), "-l", "info",
                             *options],
                            stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, check=False,
                        )  # fmt: skip
                        walls.append(time.perf_counter() - started)
                    log = done.stderr.decode()
                    assert done.returncode == 0, log
                    took = re.search(r"took (\d+\.\d+) seconds", log)
                    hwm = re.search(r"VmHWM (\d+)", log)
                    assert took is not None and hwm is not None, log
                    tooks.append(float(took.group(1)))
                    rss = max(rss, int(hwm.group(1)))
                wall, took_s = statistics.median(walls), statistics.median(tooks)
                print(
                    f"   {core:<8} {' '.join(options) or '(buckets)':<16} {wall:>7.2f} "
                    f"{lines / wall:>15,.0f} {lines / took_s:>15,.0f} {rss / 1024:>6.0f} MB"
                )


# --- 5: Ctrl-C -----------------------------------------------------------------------

INTERRUPT_CHILD = Path(__file__).resolve().parent.parent / "tests" / "interrupt_child.py"


def interrupt_latency(rounds: int) -> None:
    print(
        "\n5. SIGINT 0.3 s into a batch at 2**31-1 buckets: ms until KeyboardInterrupt "
        f"(median and largest of {rounds})"
    )
    cases = [
        ("rvh_stable._jump", "array", 10**8, 1),
        ("rvh_stable._jump", "array", 10**8, 2),
        ("rvh_stable._jump", "list", 6 * 10**7, 1),
        ("rvh_stable._jump", "count", 0, 1),
        ("rvh_stable.stable", "array", 10**6, 1),
        ("rvh_stable.stable", "list", 10**6, 1),
        ("rvh_stable.stable", "count", 0, 1),
    ]
    for core, kind, size, threads in cases:
        late = []
        for _ in range(rounds):
            done = subprocess.run(
                [sys.executable, str(INTERRUPT_CHILD), core, kind, str(size), str(threads)],
                capture_output=True, text=True, check=True, timeout=120,
            )  # fmt: skip
            late.append(float(done.stdout.split()[0]) * 1e3)
        what = f"{core.split('.')[-1]:<7} {kind:<6} {size:>11,} keys, threads={threads}"
        print(f"   {what:<46} {statistics.median(late):8.2f} ms  (largest {max(late):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keys", type=int, default=20_000_000, help="keys in the NumPy batch")
    parser.add_argument("--lines", type=int, default=2_000_000, help="lines in the stream file")
    args = parser.parse_args()
    print(
        f"rvh_stable {rvh_stable.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, {rvh_stable.IMPLEMENTATION} core picked\n"
    )
    asyncio.run(call_costs(args.rounds))
    asyncio.run(responsiveness(args.keys, args.rounds))
    stream_rates(args.lines, args.rounds)
    interrupt_latency(args.rounds)


if __name__ == "__main__":
    main()
