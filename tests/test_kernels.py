"""Every batch kernel of the compiled core gives the scalar loop's answers.

The compiled core hashes batches with the kernel RVH_STABLE_KERNEL names, or
else the fastest its build and CPU have: AVX-512 (x86-64, GCC or clang, a CPU
with AVX-512 F and DQ), SSE2 (any x86) or the portable lockstep kernel.  The
kernel is picked once, at import, so each kernel runs here in a child
process started with RVH_STABLE_KERNEL set to it; the answers it gives are
checked in this process against the reference vectors, against single calls
(the scalar loop) and at every batch length around the kernels' widths and
thresholds.
"""

from __future__ import annotations

import csv
import os
import pickle
import platform
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import pytest

np = pytest.importorskip("numpy")

ALL_KERNELS = ["portable", "neon", "sse2", "avx2", "avx512"]
# The kernels a build for this machine's architecture has (the others are
# not compiled in): each runs below, skipped only where this CPU lacks it.
ARM = platform.machine().lower() in ("aarch64", "arm64")
ARCH_KERNELS = ["portable", "neon"] if ARM else ["portable", "sse2", "avx2", "avx512"]

# Run children from a folder without the package, so they import the installed one.
NEUTRAL_CWD = Path(__file__).parent / "data"

# The child: reads pickled batches of jump_hash_many calls, each (keys, n,
# threads) or (keys, n, threads, variant), from stdin and answers each with
# the pickled results.  Frames are a 4-byte length and a pickle.
WORKER = """
import pickle, struct, sys
import rvh_stable._jump as core
out = sys.stdout.buffer
out.write(core.KERNEL.encode() + b"\\n"); out.flush()
while True:
    head = sys.stdin.buffer.read(4)
    if not head:
        break
    calls = pickle.loads(sys.stdin.buffer.read(struct.unpack("<I", head)[0]))
    results = []
    for keys, n, threads, *variant in calls:
        got = core.jump_hash_many(keys, n, threads=threads, variant=(variant or ["paper"])[0])
        results.append(got if isinstance(got, list) else got.tolist())
    data = pickle.dumps(results)
    out.write(struct.pack("<I", len(data)) + data)
    out.flush()
"""


def child_env(**env: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k != "RVH_STABLE_NO_EXTENSIONS"}
    environ.update(env)
    return environ


class KernelProcess:
    """A child process whose compiled core runs one batch kernel."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env(RVH_STABLE_KERNEL=name),
            cwd=NEUTRAL_CWD,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout
        assert self.stdout.readline().decode().strip() == name  # the kernel it runs

    def many(self, calls: list[tuple[Any, ...]]) -> list[list[int]]:
        """[jump_hash_many(keys, n, threads=threads[, variant=variant]) for each
        call], as lists."""
        data = pickle.dumps(calls)
        self.stdin.write(struct.pack("<I", len(data)) + data)
        self.stdin.flush()
        size = struct.unpack("<I", self.stdout.read(4))[0]
        results: list[list[int]] = pickle.loads(self.stdout.read(size))
        return results

    def close(self) -> None:
        self.stdin.close()
        assert self.process.wait(timeout=60) == 0


@pytest.fixture(scope="module")
def processes() -> Iterator[dict[str, KernelProcess]]:
    """The module's kernel processes, started on first use, closed at its end."""
    started: dict[str, KernelProcess] = {}
    yield started
    for process in started.values():
        process.close()


@pytest.fixture(params=ARCH_KERNELS)
def kernel(
    request: pytest.FixtureRequest, compiled_core: ModuleType, processes: dict[str, KernelProcess]
) -> KernelProcess:
    """A child process whose compiled core runs one kernel (skipped where
    this build or CPU lacks it)."""
    name = request.param
    if name not in compiled_core.KERNELS:
        pytest.skip(f"no {name} kernel in this build or on this CPU")
    if name not in processes:
        processes[name] = KernelProcess(name)
    return processes[name]


def random_keys(count: int, seed: int) -> Any:
    return np.random.default_rng(seed).integers(0, 2**64, size=count, dtype=np.uint64)


def test_kernels_are_reported(compiled_core: ModuleType) -> None:
    import rvh_stable

    assert rvh_stable.KERNEL == compiled_core.KERNEL
    assert compiled_core.KERNEL == compiled_core.KERNELS[-1]  # the fastest, unasked
    assert compiled_core.KERNELS[0] == "portable"  # it runs everywhere
    assert set(compiled_core.KERNELS) <= set(ALL_KERNELS)


def import_error(**env: str) -> str:
    """stderr of a child that imports the compiled core with ``env``; it must fail."""
    done = subprocess.run(
        [sys.executable, "-c", "import rvh_stable._jump"],
        env=child_env(**env),
        capture_output=True,
        text=True,
        cwd=NEUTRAL_CWD,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_an_unknown_kernel_is_refused_at_import(compiled_core: ModuleType) -> None:
    assert import_error(RVH_STABLE_KERNEL="avx9") == (
        "ValueError: RVH_STABLE_KERNEL must be one of portable, neon, sse2, avx2, avx512 "
        "(or unset: the fastest here), got 'avx9'"
    )


def test_a_kernel_this_machine_lacks_is_refused_at_import(compiled_core: ModuleType) -> None:
    missing = [name for name in ALL_KERNELS if name not in compiled_core.KERNELS]
    if not missing:
        pytest.skip("this build and CPU run every kernel (the portable build checks this)")
    assert import_error(RVH_STABLE_KERNEL=missing[-1]) == (
        f"ValueError: RVH_STABLE_KERNEL={missing[-1]}: this build or this CPU cannot run the "
        f"{missing[-1]} kernel; it can run {', '.join(compiled_core.KERNELS)} "
        "(or unset RVH_STABLE_KERNEL: the fastest here)"
    )


def test_kernel_request_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    # The rule the compiled core applies at import, in this process.
    from rvh_stable import _rules

    names, usable = ["portable", "sse2", "avx512"], ["portable", "sse2"]
    monkeypatch.delenv("RVH_STABLE_KERNEL", raising=False)
    assert _rules.requested_kernel(names, usable) is None
    monkeypatch.setenv("RVH_STABLE_KERNEL", "")
    assert _rules.requested_kernel(names, usable) is None
    monkeypatch.setenv("RVH_STABLE_KERNEL", "sse2")
    assert _rules.requested_kernel(names, usable) == "sse2"
    monkeypatch.setenv("RVH_STABLE_KERNEL", "avx512")
    with pytest.raises(
        ValueError, match=r"cannot run the avx512 kernel; it can run portable, sse2"
    ):
        _rules.requested_kernel(names, usable)
    monkeypatch.setenv("RVH_STABLE_KERNEL", "SSE2")  # names are exact
    with pytest.raises(ValueError, match=r"must be one of portable, sse2, avx512 .*got 'SSE2'"):
        _rules.requested_kernel(names, usable)


def test_reference_rows(
    kernel: KernelProcess, cores: tuple[ModuleType, ModuleType], jump_rows: list[Any]
) -> None:
    # Each row's key among other keys, in batches long enough for every
    # kernel, at a position that moves with n.
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, bucket, _ in jump_rows:
        by_n.setdefault(n, []).append((key, bucket))
    filler = random_keys(300, 1).tolist()
    calls, wanted = [], []
    for n, pairs in by_n.items():
        keys = [k for k, _ in pairs] * 3 + filler
        expected = [b for _, b in pairs] * 3 + [cores[1].jump_hash(k, n) for k in filler]
        shift = n % len(keys)
        calls.append((np.array(keys[shift:] + keys[:shift], dtype=np.uint64), n, 1))
        wanted.append(expected[shift:] + expected[:shift])
    assert kernel.many(calls) == wanted


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1000, 65536, 10**6, 2**31 - 1])
def test_random_keys_match_single_calls(
    kernel: KernelProcess, compiled_core: ModuleType, n: int
) -> None:
    keys = random_keys(50_000, n)
    expected = [compiled_core.jump_hash(k, n) for k in keys.tolist()]
    calls = [(keys, n, 1), (keys, n, 2), (keys.tolist(), n, 1), (keys.astype(">u8"), n, 1)]
    assert kernel.many(calls) == [expected] * len(calls)


@pytest.mark.parametrize("n", [1, 7, 1000, 2**31 - 1])
def test_every_length_around_the_kernel_widths(
    kernel: KernelProcess, compiled_core: ModuleType, n: int
) -> None:
    # Below, at and above: 12 and 24 (SSE2), 64 and 256 (AVX-512), 16 (portable).
    keys = random_keys(700, 7)
    expected = [compiled_core.jump_hash(k, n) for k in keys.tolist()]
    calls, wanted = [], []
    for length in range(len(keys) + 1):
        start = len(keys) - length
        calls += [(keys[start:], n, 1), (keys[:length], n, 1)]
        wanted += [expected[start:], expected[:length]]
    assert kernel.many(calls) == wanted


def test_products_exactly_on_num_buckets(
    kernel: KernelProcess, compiled_core: ModuleType, landing_keys: list[tuple[int, int]]
) -> None:
    filler = random_keys(400, 3).tolist()
    calls, wanted = [], []
    for key, n in landing_keys:
        for count in (13, 77):
            keys = filler[:150] + [key] * count + filler[150:]
            calls.append((np.array(keys, dtype=np.uint64), n, 1))
            wanted.append([compiled_core.jump_hash(k, n) for k in keys])
            assert wanted[-1][150 : 150 + count] == [0] * count, (key, n)
    assert kernel.many(calls) == wanted


# --- Guava's loop (variant="guava") on every kernel -------------------------------


def guava_rows() -> list[tuple[int, int, int]]:
    path = Path(__file__).parent / "data" / "interop_guava_consistent.csv"
    with open(path, newline="") as f:
        return [(int(r["key"]), int(r["num_buckets"]), int(r["bucket"])) for r in csv.DictReader(f)]


def test_guava_rows(kernel: KernelProcess, cores: tuple[ModuleType, ModuleType]) -> None:
    # Guava's recorded answers (the keys where its loop and the paper's part
    # among them), each among other keys in batches long enough for every kernel.
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, bucket in guava_rows():
        by_n.setdefault(n, []).append((key, bucket))
    filler = random_keys(300, 2).tolist()
    calls, wanted = [], []
    for n, pairs in by_n.items():
        keys = [k for k, _ in pairs] * 3 + filler
        expected = [b for _, b in pairs] * 3
        expected += [cores[1].jump_hash(k, n, variant="guava") for k in filler]
        shift = n % len(keys)
        calls.append((np.array(keys[shift:] + keys[:shift], dtype=np.uint64), n, 1, "guava"))
        wanted.append(expected[shift:] + expected[:shift])
    assert kernel.many(calls) == wanted


@pytest.mark.parametrize("n", [1, 7, 1000, 2**31 - 1])
def test_guava_at_every_length(kernel: KernelProcess, compiled_core: ModuleType, n: int) -> None:
    keys = random_keys(700, 11)
    expected = [compiled_core.jump_hash(k, n, variant="guava") for k in keys.tolist()]
    calls: list[tuple[Any, ...]] = []
    wanted = []
    for length in range(len(keys) + 1):
        calls += [(keys[len(keys) - length :], n, 1, "guava"), (keys[:length], n, 1, "guava")]
        wanted += [expected[len(keys) - length :], expected[:length]]
    assert kernel.many(calls) == wanted


@pytest.mark.parametrize("n", [2, 1000, 2**31 - 1])
def test_guava_random_keys_match_single_calls(
    kernel: KernelProcess, compiled_core: ModuleType, n: int
) -> None:
    keys = random_keys(50_000, n + 1)
    expected = [compiled_core.jump_hash(k, n, variant="guava") for k in keys.tolist()]
    calls = [(keys, n, 1, "guava"), (keys, n, 2, "guava"), (keys.tolist(), n, 1, "guava")]
    assert kernel.many(calls) == [expected] * len(calls)


# --- every kernel in C, and NEON under emulation ------------------------------------

HEADERS = Path(__file__).resolve().parent.parent / "rvh_stable" / "_c"
DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.skipif(not HEADERS.exists(), reason="needs the source tree")
@pytest.mark.parametrize("build", [[], ["-DRVH_NO_AVX512"], ["-DRVH_NO_AVX2"], ["-DRVH_NO_SIMD"]])
def test_every_kernel_in_c(tmp_path: Path, build: list[str]) -> None:
    # tests/c/kernels_check.c: the reference rows and Guava's recorded rows in
    # full batches, and random keys at every length from 0 to 400, for each
    # kernel this build and CPU run, against the scalar loops.
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc")
    exe = tmp_path / "kernels_check"
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-ffp-contract=off", *build]
    done = subprocess.run(
        [gcc, *flags, str(Path(__file__).parent / "c" / "kernels_check.c"),
         "-o", str(exe)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = subprocess.run(
        [str(exe), str(DATA / "jump_reference.csv"), str(DATA / "interop_guava_consistent.csv")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout
    lines = out.stdout.splitlines()
    ran = [line.split(":")[0] for line in lines[:-1]]
    assert ran[0] == "portable" and (build == ["-DRVH_NO_SIMD"]) == (ran == ["portable"])
    if build == ["-DRVH_NO_AVX2"]:
        assert "avx2" not in ran
    assert lines[-1] == f"checked {3_683_400 * len(ran)} keys"


@pytest.mark.skipif(not HEADERS.exists(), reason="needs the source tree")
def test_neon_under_emulation(tmp_path: Path) -> None:
    # tools/aarch64.sh: the NEON and portable kernels of an aarch64 build,
    # run by qemu-aarch64.
    missing = [t for t in ("aarch64-linux-gnu-gcc", "qemu-aarch64") if shutil.which(t) is None]
    if missing:
        pytest.skip(
            f"needs {' and '.join(missing)} (apt-get install gcc-aarch64-linux-gnu qemu-user)"
        )
    script = Path(__file__).resolve().parent.parent / "tools" / "aarch64.sh"
    done = subprocess.run(["bash", str(script), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["portable: 3683400 keys right", "neon: 3683400 keys right"]
    assert lines[-1] == "checked 7366800 keys"
    assert (tmp_path / "kernels_check_aarch64").exists()


@pytest.mark.skipif(not HEADERS.exists(), reason="needs the source tree")
@pytest.mark.skipif(ARM, reason="tools/divider.c measures x86 dividers")
def test_divider_tool_runs_every_kernel(compiled_core: ModuleType) -> None:
    # tools/divider.sh builds (with -Werror) and runs: the divider's bound for
    # each width, then every kernel this CPU runs against its bound.  Its
    # timings are judged on a quiet machine by whoever runs it (and the goal
    # passed here is out of reach of any timing), not by this test.
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    script = Path(__file__).resolve().parent.parent / "tools" / "divider.sh"
    done = subprocess.run(["bash", str(script), "1e9"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    steps = [float(part.split()[-1]) for part in lines[0].split(":")[1].split(",")]
    assert 1 < steps[0] < steps[1] < steps[2] < 20, lines[0]  # about ln(n) steps a key
    rows = {line.split()[0]: line.split()[1:] for line in lines if line.split()[:1]}
    for name in compiled_core.KERNELS:
        figures = [float(x) for x in rows[name]]
        assert all(f > 0 for f in figures), (name, figures)
        # n = 10 < n = 1000 < n = 10**6: more steps per key cost more
        assert figures[0] < figures[1] < figures[2], (name, figures)
    assert lines[-1].startswith("widest kernel: ") and lines[-1].endswith("PASS")
