"""Shared inputs for the pytest-benchmark suite (benchmarks/test_bench.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

SIZE = 100_000


@pytest.fixture(scope="session")
def u64_array() -> np.ndarray:
    return np.random.default_rng(2014).integers(0, 2**64, size=SIZE, dtype=np.uint64)


@pytest.fixture(scope="session")
def int_list(u64_array: np.ndarray) -> list[int]:
    return u64_array.tolist()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def str_list() -> list[str]:
    return [f"user:{i}:{i * 7919 % 100003}" for i in range(SIZE)]
