"""Per-call cost of jump_hash, both cores and the jump-consistent-hash package.

    pip install -e '.[bench]' && python benchmarks/percall.py

Each figure is the median of several rounds, and in each round the
implementations run one after the other, interleaved, in this one process:
absolute times on a shared machine drift, ratios measured side by side do not.
"""

from __future__ import annotations

import statistics
import timeit
from typing import Any

import jump  # jump-consistent-hash
import xxhash

from rvh_stable import _jump, stable

INT_KEY = 123456789123456789
STR_KEY = "TX12345-abcdef"


def per_call_ns(stmt: str, number: int, **names: Any) -> float:
    # A statement string, not a lambda: a wrapper call would add its own cost.
    timer = timeit.Timer(stmt, globals=names)
    return min(timer.repeat(repeat=3, number=number)) / number * 1e9


def main(rounds: int = 5) -> None:
    print(
        f"{'n':>8} | {'compiled':>9} {'jump.hash':>9} {'ratio':>6} | {'pure':>7} | "
        f"{'str compiled':>12} {'str peer':>9} {'ratio':>6}"
    )
    for n in (10, 1000, 10**6):
        samples: list[tuple[float, ...]] = []
        for _ in range(rounds):
            names = {"k": INT_KEY, "s": STR_KEY, "n": n, "x": xxhash.xxh64_intdigest}
            samples.append(
                (
                    per_call_ns("f(k, n)", 200_000, f=_jump.jump_hash, **names),
                    per_call_ns("f(k, n)", 200_000, f=jump.hash, **names),
                    per_call_ns("f(k, n)", 5_000, f=stable.jump_hash, **names),
                    per_call_ns("f(s, n)", 200_000, f=_jump.jump_hash, **names),
                    per_call_ns("f(x(s.encode()), n)", 200_000, f=jump.hash, **names),
                )
            )
        c, j, p, cs, js = (statistics.median(col) for col in zip(*samples, strict=True))
        print(
            f"{n:>8} | {c:>6.1f} ns {j:>6.1f} ns {c / j:>6.2f} | {p:>4.0f} ns | "
            f"{cs:>9.1f} ns {js:>6.1f} ns {cs / js:>6.2f}"
        )


if __name__ == "__main__":
    main()
