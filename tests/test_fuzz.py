"""A short, deterministic run of the fuzz harness (tests/fuzz/fuzz_jump.py).

The harness's per-input check runs here on a few thousand inputs from a seeded
random byte source, without atheris: no crash, only TypeError and ValueError,
and the cores agree.  For a long coverage-guided run with atheris, see the
harness's docstring.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parent / "fuzz" / "fuzz_jump.py"
PARITY_RUNS = 20_000
SINGLE_CORE_RUNS = 5000


@pytest.fixture(scope="module")
def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rvh_stable_fuzz_jump", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_seeded_fuzz_run_cores_agree(
    harness: ModuleType, cores: tuple[ModuleType, ModuleType]
) -> None:
    counts = harness.run_seeded(PARITY_RUNS, 20140609, cores)
    assert sum(counts.values()) == PARITY_RUNS
    # Every entry point was exercised.
    assert set(counts) == {"jump_hash", "hash_key", "xxh64", "many"}


def test_seeded_fuzz_run_each_core(harness: ModuleType, core: ModuleType) -> None:
    # Also runs under RVH_STABLE_NO_EXTENSIONS=1, where only the pure core exists.
    counts = harness.run_seeded(SINGLE_CORE_RUNS, 7, [core])
    assert sum(counts.values()) == SINGLE_CORE_RUNS


def test_the_check_catches_disagreement(harness: ModuleType, core: ModuleType) -> None:
    # A core that answers differently must fail the check, or it proves nothing.
    class Wrong:
        __name__ = "wrong"

        @staticmethod
        def jump_hash(key: object, n: object) -> int:
            return int(core.jump_hash(key, n)) ^ 1

        hash_key = staticmethod(core.hash_key)
        xxh64 = staticmethod(core.xxh64)
        jump_hash_many = staticmethod(core.jump_hash_many)

    rng = random.Random(3)
    failures = 0
    for _ in range(300):
        data = rng.randbytes(64)
        try:
            harness.check_input(data, [core, Wrong])
        except AssertionError:
            failures += 1
    assert failures > 0


def test_the_check_rejects_undocumented_exceptions(harness: ModuleType) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        harness.outcome(crash, 1, 2)
    assert harness.outcome(int, "x")[0] == "ValueError"


def test_harness_runs_as_a_script_without_atheris(harness: ModuleType) -> None:
    import subprocess

    if importlib.util.find_spec("atheris") is not None:
        # Hide atheris so the seeded fallback runs, as on a machine without it.
        code = (
            "import runpy, sys; sys.modules['atheris'] = None; "
            f"sys.argv = [{str(HARNESS)!r}, '--runs', '200', '--seed', '5']; "
            f"runpy.run_path({str(HARNESS)!r}, run_name='__main__')"
        )
        args = [sys.executable, "-c", code]
    else:
        args = [sys.executable, str(HARNESS), "--runs", "200", "--seed", "5"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "200 inputs, no failure" in out.stdout
