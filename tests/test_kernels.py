"""Batch kernels: which one runs, and every one gives the scalar loop's answers.

The compiled core hashes batches with the kernel RVH_STABLE_KERNEL names, or
else the fastest its build and CPU have: AVX-512 (x86-64, GCC or clang, a CPU
with AVX-512 F and DQ), AVX2 (x86-64, a CPU with AVX2), SSE2 (any x86), NEON
(aarch64) or the portable lockstep kernel.  The two widest come in two ways,
dividing and by the exact reciprocal (avx2-rcp with FMA, avx512-rcp); which
of the widest width's two is picked is measured at import.  A normal build has every kernel
its CPU can run, or these tests fail (expected_kernels); only CFLAGS that
leave kernels out on purpose, or a pure install, excuse one.  The
kernel is picked once, at import, so each kernel runs here in a child
process started with RVH_STABLE_KERNEL set to it; the answers it gives are
checked in this process against the reference vectors, against single calls
(the scalar loop) and at every batch length around the kernels' widths and
thresholds.
"""

from __future__ import annotations

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
from c_driver import DATA, HEADERS, CDrivers
from helpers import np
from tables import ARCH_KERNELS, ARM, KNOWN_KERNELS

# tests/tables.py: KNOWN_KERNELS, every kernel the core's table names (checked
# against the core's own list below); ARCH_KERNELS, those a build for this
# machine's architecture has: each runs below, skipped only where this CPU lacks it.

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
    this CPU lacks it or the build leaves it out on purpose; a failure where
    the CPU has it and a normal build does not)."""
    pytest.importorskip("numpy")  # the batches are NumPy arrays
    name = request.param
    if name not in compiled_core.KERNELS:
        expected = expected_kernels()
        if expected is not None and name in expected:
            pytest.fail(f"this CPU runs the {name} kernel, but this build has none: {BUILD_HINT}")
        pytest.skip(f"no {name} kernel in this build or on this CPU")
    if name not in processes:
        processes[name] = KernelProcess(name)
    return processes[name]


def random_keys(count: int, seed: int) -> Any:
    return np.random.default_rng(seed).integers(0, 2**64, size=count, dtype=np.uint64)


def test_kernels_are_reported(compiled_core: ModuleType) -> None:
    import rvh_stable

    assert rvh_stable.KERNEL == compiled_core.KERNEL
    assert compiled_core.KERNEL in widest_pair(compiled_core.KERNELS)  # the fastest, unasked
    assert compiled_core.KERNELS[0] == "portable"  # it runs everywhere
    assert set(compiled_core.KERNELS) <= set(KNOWN_KERNELS)


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
    # The core's error lists every kernel of its table: tests/tables.py's
    # KNOWN_KERNELS must be that list, or a new kernel would go untested.
    assert import_error(RVH_STABLE_KERNEL="avx9") == (
        f"ValueError: RVH_STABLE_KERNEL must be one of {', '.join(KNOWN_KERNELS)} "
        "(or unset: the fastest here), got 'avx9'"
    )


def test_a_kernel_this_machine_lacks_is_refused_at_import(compiled_core: ModuleType) -> None:
    missing = [name for name in KNOWN_KERNELS if name not in compiled_core.KERNELS]
    if not missing:
        pytest.skip("this build and CPU run every kernel (the portable build checks this)")
    assert import_error(RVH_STABLE_KERNEL=missing[-1]) == (
        f"ValueError: RVH_STABLE_KERNEL={missing[-1]}: this build or this CPU cannot run the "
        f"{missing[-1]} kernel; it can run {', '.join(compiled_core.KERNELS)} "
        "(or unset RVH_STABLE_KERNEL: the fastest here)"
    )


def run_python(code: str, **env: str) -> str:
    """The stripped stdout of a child running ``code`` with ``env``; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(**env),
        capture_output=True,
        text=True,
        check=True,
        cwd=NEUTRAL_CWD,
    )
    return done.stdout.strip()


def cpu_flags() -> set[str] | None:
    """The CPU's feature flags from /proc/cpuinfo, or None where there is none."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None


BUILD_HINT = (
    "a normal build has every kernel its CPU can run (only CFLAGS -DRVH_NO_SIMD, "
    "-DRVH_NO_AVX2 or -DRVH_NO_AVX512 leave kernels out on purpose)"
)


def expected_kernels() -> tuple[str, ...] | None:
    """The kernels the compiled core must list on this machine, slowest first,
    or None where the CPU's features cannot be read (no /proc/cpuinfo).

    SSE2 is part of every x86 build; AVX2 and AVX-512 are built on x86-64
    (AVX-512 with GCC or clang only) and must be listed when the CPU has them;
    NEON is part of every aarch64 build; other CPUs run the portable kernel.
    The builds that leave kernels out on purpose say so in CFLAGS, which the
    suite is run with (tests/test_packaging.py's portable build).
    """
    machine = platform.machine().lower()
    cflags = os.environ.get("CFLAGS", "").split()
    if "-DRVH_NO_SIMD" in cflags:
        return ("portable",)
    if machine in ("aarch64", "arm64"):
        return ("portable", "neon")
    if machine not in ("x86_64", "amd64", "i686", "i386", "x86"):
        return ("portable",)
    flags = cpu_flags()
    if flags is None:
        return None
    kernels = ["portable", "sse2"]
    x86_64 = sys.maxsize > 2**32
    # The core's probe asks for AVX and POPCNT with AVX2 (platform.h); Linux
    # lists avx only where the OS saves the YMM registers.
    if x86_64 and "-DRVH_NO_AVX2" not in cflags and {"avx", "avx2", "popcnt"} <= flags:
        kernels.append("avx2")
        if "fma" in flags:  # the exact reciprocal's Newton steps
            kernels.append("avx2-rcp")
    if (
        x86_64
        and sys.platform != "win32"
        and "-DRVH_NO_AVX512" not in cflags
        and {"avx512f", "avx512dq"} <= flags
    ):
        kernels += ["avx512", "avx512-rcp"]
    return tuple(kernels)


#: Reciprocal kernels not yet run on a CPU that has them: forced only, never
#: picked (their table rows say reciprocal = 2, in _c/kernels/table.h).
NOT_PICKED = ("avx512-rcp",)


def widest_pair(kernels: tuple[str, ...]) -> tuple[str, ...]:
    """The kernels the pick chooses among: the widest width's division kernel
    and its exact-reciprocal twin where both run, else the last one."""
    kernels = tuple(name for name in kernels if name not in NOT_PICKED)
    last = kernels[-1]
    if last.endswith("-rcp") and last.removesuffix("-rcp") in kernels:
        return (last.removesuffix("-rcp"), last)
    return (last,)


def test_the_pick_is_among_the_widest_pair() -> None:
    assert widest_pair(("portable", "sse2", "avx2", "avx2-rcp")) == ("avx2", "avx2-rcp")
    assert widest_pair(("portable", "sse2", "avx2")) == ("avx2",)
    assert widest_pair(("portable", "sse2", "avx2", "avx2-rcp", "avx512", "avx512-rcp")) == (
        "avx512",
    )
    assert widest_pair(("portable", "neon")) == ("neon",)


def test_compiled_core_picks_the_best_batch_kernel(compiled_core: ModuleType) -> None:
    kernels = compiled_core.KERNELS
    assert compiled_core.KERNEL in widest_pair(kernels)
    assert set(kernels) <= set(KNOWN_KERNELS)
    expected = expected_kernels()
    if expected is None:  # no /proc/cpuinfo: the x86 baseline at least
        assert kernels[:2] == ("portable", "sse2")
        return
    assert kernels == expected, BUILD_HINT


def test_the_expected_kernels_follow_the_cpu_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    # expected_kernels is what makes a missing kernel fail: it must ask for
    # every kernel a CPU's flags allow (the machine here has only some).
    flags = {"sse2", "avx", "popcnt"}
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(sys, "maxsize", 2**63 - 1)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sys.modules[__name__], "cpu_flags", lambda: flags)
    monkeypatch.setenv("CFLAGS", "-O2")
    assert expected_kernels() == ("portable", "sse2")
    flags |= {"avx2"}
    assert expected_kernels() == ("portable", "sse2", "avx2")
    flags |= {"fma"}
    assert expected_kernels() == ("portable", "sse2", "avx2", "avx2-rcp")
    flags |= {"avx512f", "avx512dq"}
    everything = ("portable", "sse2", "avx2", "avx2-rcp", "avx512", "avx512-rcp")
    assert expected_kernels() == everything
    monkeypatch.setenv("CFLAGS", "-O2 -DRVH_NO_AVX2")
    assert expected_kernels() == ("portable", "sse2", "avx512", "avx512-rcp")
    monkeypatch.setenv("CFLAGS", "-DRVH_NO_SIMD")
    assert expected_kernels() == ("portable",)
    monkeypatch.delenv("CFLAGS")
    monkeypatch.setattr(sys, "maxsize", 2**31 - 1)  # a 32-bit x86 build
    assert expected_kernels() == ("portable", "sse2")
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    assert expected_kernels() == ("portable", "neon")


def test_kernel_env_picks_the_kernel(compiled_core: ModuleType) -> None:
    code = "import rvh_stable; print(rvh_stable.KERNEL)"
    for name in compiled_core.KERNELS:
        assert run_python(code, RVH_STABLE_KERNEL=name) == name
    assert run_python(code, RVH_STABLE_KERNEL="") in widest_pair(compiled_core.KERNELS)


def test_kernel_env_is_refused_with_the_pure_core() -> None:
    # The pure core has no batch kernels: a request for one is not ignored.
    code = "import rvh_stable"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "RVH_STABLE_NO_EXTENSIONS": "1", "RVH_STABLE_KERNEL": "sse2"},
        capture_output=True,
        text=True,
        cwd=NEUTRAL_CWD,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ValueError: RVH_STABLE_KERNEL=sse2 picks a batch kernel of the compiled core, but the "
        "pure-Python core is in use (RVH_STABLE_NO_EXTENSIONS is set); unset RVH_STABLE_KERNEL"
    )
    pure = "import rvh_stable; print(rvh_stable.IMPLEMENTATION, rvh_stable.KERNEL)"
    assert run_python(pure, RVH_STABLE_NO_EXTENSIONS="1") == "python python"


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


def test_guava_rows(
    kernel: KernelProcess,
    cores: tuple[ModuleType, ModuleType],
    guava_rows: list[tuple[int, int, int, str]],
) -> None:
    # Guava's recorded answers (the keys where its loop and the paper's part
    # among them), each among other keys in batches long enough for every kernel.
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, bucket, _ in guava_rows:
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


@pytest.mark.parametrize("build", [[], ["-DRVH_NO_AVX512"], ["-DRVH_NO_AVX2"], ["-DRVH_NO_SIMD"]])
def test_every_kernel_in_c(c_drivers: CDrivers, build: list[str]) -> None:
    # tests/c/kernels_check.c: the reference rows and Guava's recorded rows in
    # full batches, and random keys at every length from 0 to 400, for each
    # kernel this build and CPU run, against the scalar loops.
    exe = c_drivers.build("kernels_check.c", *build)
    out = subprocess.run(
        [str(exe), str(DATA / "jump_reference.csv"), str(DATA / "interop_guava_consistent.csv")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout
    lines = out.stdout.splitlines()
    ran = [line.split(":")[0] for line in lines[:-1]]
    assert ran[0] == "portable" and (build == ["-DRVH_NO_SIMD"]) == (ran == ["portable"])
    if build == ["-DRVH_NO_AVX2"]:
        assert "avx2" not in ran and "avx2-rcp" not in ran
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
    # Each width's reciprocal kernel against its dividing twin, and the pick.
    ratios = [line.split()[1:4] for line in lines if line.startswith("reciprocal: ")]
    assert ratios == [
        [name, "/", name.removesuffix("-rcp")]
        for name in compiled_core.KERNELS
        if name.endswith("-rcp") and name.removesuffix("-rcp") in compiled_core.KERNELS
    ]
    assert lines[-2].split(": ")[1] in widest_pair(compiled_core.KERNELS)
    assert lines[-1].startswith("widest kernel: ") and lines[-1].endswith("PASS")


# --- the exact reciprocals, every divisor -------------------------------------------


def reciprocal_check(*args: str, cflags: str = "") -> subprocess.CompletedProcess[str]:
    """tools/reciprocal_check.sh run with ``args``, its program built with ``cflags``."""
    script = Path(__file__).resolve().parent.parent / "tools" / "reciprocal_check.sh"
    return subprocess.run(
        ["bash", str(script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CFLAGS": cflags},
    )


def needs_the_reciprocal_tool() -> None:
    if not HEADERS.exists():
        pytest.skip("needs the source tree")
    if ARM or platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("tools/reciprocal_check.c checks the x86-64 reciprocal kernels")
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")


def test_reciprocal_check_tool_says_what_it_checked(compiled_core: ModuleType) -> None:
    # A spread sample (one group of divisors in 4099); CI runs every divisor
    # (.ci/run).  Each reciprocal kernel is checked where this CPU runs it,
    # and said skipped, with the reason, where it does not.
    needs_the_reciprocal_tool()
    done = reciprocal_check("4099")
    reciprocal = [name for name in KNOWN_KERNELS if name.endswith("-rcp")]
    ran = [name for name in reciprocal if name in compiled_core.KERNELS]
    if not ran:
        assert done.returncode == 2, done.stdout + done.stderr
        return
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == reciprocal
    counts = []
    for name, line in zip(reciprocal, lines, strict=False):
        if name in ran:
            width = 8 if name.startswith("avx512") else 4
            count = width * len(range(1, 2**31 + 1, width * 4099))
            assert line == (
                f"{name}: {count} divisors right for 2**31 / d, "
                f"{count} for Guava's (j + 1) / (d / 2**31)"
            )
            counts.append(count)
        else:
            lacks = "AVX-512 F and DQ" if name.startswith("avx512") else "AVX2 or FMA"
            assert line == f"{name}: skipped, this CPU lacks {lacks}"
    assert lines[-1] == f"checked {sum(counts)} divisors"


def test_reciprocal_check_tool_catches_a_short_reciprocal(compiled_core: ModuleType) -> None:
    # Two Newton steps instead of three leave about 48 bits (AVX2's seed) or
    # 56 (AVX-512's): some quotients differ from the division, and the tool
    # says which and fails.
    needs_the_reciprocal_tool()
    ran = [name for name in compiled_core.KERNELS if name.endswith("-rcp")]
    if not ran:
        pytest.skip("this CPU runs no reciprocal kernel")
    done = reciprocal_check(cflags="-DRVH_NEWTON_STEPS=2")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"WRONG {ran[0]} 2**31 / d: d = ")
