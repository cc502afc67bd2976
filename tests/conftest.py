"""Every behaviour test gets both cores through the ``core`` fixture.

The compiled core is imported directly, so when the extension did not build
its half of the suite fails instead of quietly testing the pure core twice.
The one exception is a deliberately pure install: with
RVH_STABLE_NO_EXTENSIONS=1 in the environment the compiled half is skipped,
with that reason.
"""

from __future__ import annotations

import csv
import importlib
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rvh_stable import router as router_module

DATA = Path(__file__).parent / "data"
PURE_ONLY = os.environ.get("RVH_STABLE_NO_EXTENSIONS", "") not in ("", "0")
CORE_NAMES = ["cython", "python"]


def load_core(name: str) -> ModuleType:
    if name == "python":
        return importlib.import_module("rvh_stable.stable")
    if PURE_ONLY:
        pytest.skip("RVH_STABLE_NO_EXTENSIONS=1: the compiled core is deliberately absent")
    return importlib.import_module("rvh_stable._jump")


@pytest.fixture(params=CORE_NAMES)
def core(request: pytest.FixtureRequest) -> ModuleType:
    """The compiled core (rvh_stable._jump) and the pure twin (rvh_stable.stable)."""
    return load_core(request.param)


@pytest.fixture
def compiled_core() -> ModuleType:
    """The compiled core alone: for tests about the extension itself."""
    return load_core("cython")


@pytest.fixture
def cores() -> tuple[ModuleType, ModuleType]:
    """(compiled, pure): for tests that hold the two cores to each other."""
    return load_core("cython"), load_core("python")


@pytest.fixture
def router_core(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Routers built in the test use ``core``'s MementoTable."""
    monkeypatch.setattr(router_module, "_core", core)
    return core


@pytest.fixture(scope="session")
def jump_rows() -> list[tuple[int, int, int, str]]:
    with open(DATA / "jump_reference.csv", newline="") as f:
        return [
            (int(r["key"]), int(r["num_buckets"]), int(r["bucket"]), r["kind"])
            for r in csv.DictReader(f)
        ]


@pytest.fixture(scope="session")
def str_rows() -> list[dict[str, Any]]:
    with open(DATA / "str_keys_xxh64.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def published_rows() -> list[tuple[int, int, int, str]]:
    with open(DATA / "published_vectors.csv", newline="") as f:
        return [
            (int(r["key"]), int(r["num_buckets"]), int(r["bucket"]), r["source"])
            for r in csv.DictReader(f)
        ]


JUMP_MULT = 2862933555777941757


@pytest.fixture(scope="session")
def landing_keys() -> list[tuple[int, int]]:
    """(key, n) pairs whose first step is j = n exactly: the answer is 0.

    The first step, after the key is advanced to key1, is (0 + 1) * (2**31 / d)
    with d = (key1 >> 33) + 1.  With key1 >> 33 = 2**k - 1, d = 2**k and both
    roundings are exact, so j is exactly n = 2**(31 - k), which is not < n:
    the loop ends with b = 0.  The LCG is invertible (its multiplier is odd),
    so the key that leads to key1 is found by stepping back.  With n + 1
    buckets the same key's answer is n.
    """
    inverse: int = pow(JUMP_MULT, -1, 2**64)
    pairs = []
    for k in range(1, 31):
        for low in (0, 1, 2**32 + 5, 2**33 - 1):
            key1 = (((1 << k) - 1) << 33) | low
            pairs.append((((key1 - 1) * inverse) % 2**64, 1 << (31 - k)))
    return pairs
