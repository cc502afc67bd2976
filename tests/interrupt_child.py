"""A batch that SIGINTs itself: how long until KeyboardInterrupt arrives?

    python tests/interrupt_child.py CORE KIND SIZE THREADS [DELAY]

CORE is a core module (rvh_stable._jump or rvh_stable.stable); KIND is
"array" (NumPy uint64, SIZE keys), "list" (SIZE ints) or "count"
(itertools.count(), endless).  After DELAY seconds (default 0.3) of the
batch, a timer thread sends SIGINT to this process.  Prints the seconds from
the signal to the KeyboardInterrupt and the number of threads still alive
then (1: every helper thread was joined), or "finished" if the batch ended
first.  The batch has 2**31-1 buckets, or $BUCKETS, and the algorithm
$ALGORITHM (default jump).  Used by
tests/test_interrupt.py and benchmarks/bench_aio_cli.py.
"""

import importlib
import itertools
import os
import signal
import sys
import threading
import time


def main() -> None:
    core = importlib.import_module(sys.argv[1])
    kind, size, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.3
    keys: object
    if kind == "array":
        import numpy

        keys = numpy.arange(size, dtype=numpy.uint64)
    elif kind == "list":
        keys = [7] * size
    else:
        keys = itertools.count()
    fired: list[float] = []

    def fire() -> None:
        time.sleep(delay)
        fired.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=fire, daemon=True).start()
    try:
        n = int(os.environ.get("BUCKETS", 2**31 - 1))
        algorithm = os.environ.get("ALGORITHM", "jump")
        core.jump_hash_many(keys, n, threads=threads, algorithm=algorithm)
    except KeyboardInterrupt:
        print(f"{time.perf_counter() - fired[0]:.6f} {threading.active_count()}")
    else:
        print("finished")


if __name__ == "__main__":
    main()
