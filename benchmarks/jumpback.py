"""JumpBackHash against jump hash at n = 10, 1000 and 10**6: the table and J1-J3.

    python benchmarks/jumpback.py [--quick]

The rows and the targets are benchmarks/targets_jumpback.py's, which
``python benchmarks/compare.py`` checks with its other targets; this prints
the ns table as well, with the ratio of each pair.  Exits with status 1 when
a target fails.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets_jumpback as jb

from rvh_stable import _jump as fast

SEED = 2503
NS = (10, 1000, 10**6)


class Keys(NamedTuple):
    array: np.ndarray
    rounds: int


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer keys and rounds")
    quick = parser.parse_args().quick
    rng = np.random.default_rng(SEED)
    size = 10**5 if quick else 10**6
    keys = Keys(rng.integers(0, 2**64, size=size, dtype=np.uint64), 3 if quick else 9)
    print(f"CPU: {cpu_name()}; batch kernel {fast.KERNEL}; Python {platform.python_version()}")
    print(
        f"{'n':>8} {'call jump':>10} {'jumpback':>9} {'ratio':>6}"
        f" {'array jump':>11} {'jumpback':>9} {'ratio':>6}   (ns)"
    )
    tables = {n: jb.table(keys, n) for n in NS}
    for n, got in tables.items():
        call = got[jb.CALL_BACK] / got[jb.CALL_JUMP]
        batch = got[jb.ARRAY_BACK] / got[jb.ARRAY_JUMP]
        print(
            f"{n:>8} {got[jb.CALL_JUMP]:>10.1f} {got[jb.CALL_BACK]:>9.1f} {call:>6.2f}"
            f" {got[jb.ARRAY_JUMP]:>11.2f} {got[jb.ARRAY_BACK]:>9.2f} {batch:>6.2f}"
        )
    ok = True
    for label, n, limit, numerator, denominator, detail in jb.TARGETS:
        ratio = tables[n][numerator] / tables[n][denominator]
        ok &= ratio <= limit
        verdict = "PASS" if ratio <= limit else "FAIL"
        print(f"{label} {ratio:.2f} (<= {limit}) {verdict}  {detail.format(n=n)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
