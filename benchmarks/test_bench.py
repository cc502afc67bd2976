"""pytest-benchmark suite: rvh_stable and its peers, one group per scenario.

    pip install -e '.[bench]'
    pytest benchmarks                      # measure (compare within each group)
    pytest benchmarks --benchmark-disable  # run every benchmark once (CI)

Targets are checked by ``python benchmarks/compare.py``, which interleaves the
implementations and prints ratios; this suite gives per-scenario detail.
"""

from __future__ import annotations

from typing import Any

import jump  # jump-consistent-hash
import numpy as np
import pytest
import xxhash
from peers import CScalar, naive_jump, numpy_jump
from uhashring import HashRing

from rvh_stable import _jump as fast
from rvh_stable import _rules
from rvh_stable import router as router_module
from rvh_stable import stable as pure
from rvh_stable.router import Router

INT_KEY = 0x9E3779B97F4A7C15
STR_KEY = "TX12345-abcdef"
N = 1000


@pytest.fixture(scope="module")
def cscalar() -> CScalar:
    return CScalar()


@pytest.mark.benchmark(group="per-call int key, n=1000")
class TestPerCallInt:
    def test_rvh_compiled(self, benchmark: Any) -> None:
        assert benchmark(fast.jump_hash, INT_KEY, N) == jump.hash(INT_KEY, N)

    def test_rvh_pure(self, benchmark: Any) -> None:
        assert benchmark(pure.jump_hash, INT_KEY, N) == jump.hash(INT_KEY, N)

    def test_jump_consistent_hash(self, benchmark: Any) -> None:
        benchmark(jump.hash, INT_KEY, N)

    def test_naive_loop(self, benchmark: Any) -> None:
        assert benchmark(naive_jump, INT_KEY, N) == jump.hash(INT_KEY, N)


def _peer_str(key: str, n: int) -> int:
    return int(jump.hash(xxhash.xxh64_intdigest(key.encode()), n))


@pytest.mark.benchmark(group="per-call str key, n=1000")
class TestPerCallStr:
    def test_rvh_compiled(self, benchmark: Any) -> None:
        assert benchmark(fast.jump_hash, STR_KEY, N) == _peer_str(STR_KEY, N)

    def test_rvh_pure(self, benchmark: Any) -> None:
        assert benchmark(pure.jump_hash, STR_KEY, N) == _peer_str(STR_KEY, N)

    def test_xxhash_then_jump_consistent_hash(self, benchmark: Any) -> None:
        benchmark(_peer_str, STR_KEY, N)


@pytest.mark.benchmark(group="uint64 array batch, n=1000")
class TestArray:
    @pytest.mark.parametrize("threads", [1, 2, None], ids=["threads=1", "threads=2", "all"])
    def test_rvh_compiled(self, benchmark: Any, u64_array: np.ndarray, threads: int | None) -> None:
        result = benchmark(fast.jump_hash_many, u64_array, N, threads=threads)
        assert result.shape == u64_array.shape

    def test_c_scalar_loop(self, benchmark: Any, u64_array: np.ndarray, cscalar: CScalar) -> None:
        out = np.empty(u64_array.size, dtype=np.int64)
        result = benchmark(cscalar, u64_array, N, out)
        assert (result[:100] == fast.jump_hash_many(u64_array[:100], N)).all()

    def test_numpy_vectorized(self, benchmark: Any, u64_array: np.ndarray) -> None:
        result = benchmark(numpy_jump, u64_array, N)
        assert (result[:100] == fast.jump_hash_many(u64_array[:100], N)).all()


@pytest.mark.benchmark(group="list of ints batch, n=1000")
class TestListInts:
    def test_rvh_compiled(self, benchmark: Any, int_list: list[int]) -> None:
        assert len(benchmark(fast.jump_hash_many, int_list, N)) == len(int_list)

    def test_list_comprehension_of_jump_hash(self, benchmark: Any, int_list: list[int]) -> None:
        benchmark(lambda: [jump.hash(k, N) for k in int_list])


@pytest.mark.benchmark(group="list of strs batch, n=1000")
class TestListStrs:
    def test_rvh_compiled(self, benchmark: Any, str_list: list[str]) -> None:
        assert len(benchmark(fast.jump_hash_many, str_list, N)) == len(str_list)

    def test_list_comprehension_xxhash_jump(self, benchmark: Any, str_list: list[str]) -> None:
        x = xxhash.xxh64_intdigest
        benchmark(lambda: [jump.hash(x(s.encode()), N) for s in str_list])


@pytest.mark.benchmark(group="pure core, 2000 int keys, n=1000")
class TestPureCore:
    def test_rvh_pure_batch(self, benchmark: Any, int_list: list[int]) -> None:
        keys = int_list[:2000]
        assert benchmark(pure.jump_hash_many, keys, N) == fast.jump_hash_many(keys, N)

    def test_rvh_pure_per_call(self, benchmark: Any, int_list: list[int]) -> None:
        keys = int_list[:2000]
        benchmark(lambda: [pure.jump_hash(k, N) for k in keys])

    def test_naive_loop(self, benchmark: Any, int_list: list[int]) -> None:
        keys = int_list[:2000]
        benchmark(lambda: [naive_jump(k, N) for k in keys])


# --- the Guava variant, the hashers and the router (issues 12 and 13) ----------------


@pytest.mark.benchmark(group="per-call int key, variant=, n=1000")
class TestPerCallVariant:
    def test_paper_keyword(self, benchmark: Any) -> None:
        assert benchmark(fast.jump_hash, INT_KEY, N, variant="paper") == jump.hash(INT_KEY, N)

    def test_guava(self, benchmark: Any) -> None:
        assert benchmark(fast.jump_hash, INT_KEY, N, variant="guava") == pure.jump_hash(
            INT_KEY, N, variant="guava"
        )


@pytest.mark.benchmark(group="per-call 11-byte str key, hasher=, n=1000")
@pytest.mark.parametrize("hasher", _rules.HASHERS)
def test_per_call_hasher(benchmark: Any, hasher: str) -> None:
    key = "user:000042"
    want = pure.jump_hash(key, N, hasher=hasher)
    assert benchmark(fast.jump_hash, key, N, hasher=hasher) == want


@pytest.mark.benchmark(group="uint64 array, variant='guava', n=1000")
def test_guava_array(benchmark: Any, u64_array: np.ndarray) -> None:
    got = benchmark(fast.jump_hash_many, u64_array, N, variant="guava")
    assert got[:100].tolist() == [
        pure.jump_hash(int(k), N, variant="guava") for k in u64_array[:100]
    ]


# --- JumpBackHash against jump at 10**6 buckets (issue 25; J1-J3 in compare.py) ------

BIG_N = 10**6


@pytest.mark.benchmark(group="per-call int key, algorithm=, n=10**6")
class TestPerCallAlgorithm:
    def test_jump(self, benchmark: Any) -> None:
        assert benchmark(fast.jump_hash, INT_KEY, BIG_N) == jump.hash(INT_KEY, BIG_N)

    def test_jumpback(self, benchmark: Any) -> None:
        want = pure.jump_hash(INT_KEY, BIG_N, algorithm="jumpback")
        assert benchmark(fast.jump_hash, INT_KEY, BIG_N, algorithm="jumpback") == want


@pytest.mark.benchmark(group="uint64 array batch, algorithm=, n=10**6")
class TestArrayAlgorithm:
    def test_jump(self, benchmark: Any, u64_array: np.ndarray) -> None:
        got = benchmark(fast.jump_hash_many, u64_array, BIG_N)
        assert got[:100].tolist() == [jump.hash(int(k), BIG_N) for k in u64_array[:100]]

    def test_jumpback(self, benchmark: Any, u64_array: np.ndarray) -> None:
        got = benchmark(fast.jump_hash_many, u64_array, BIG_N, algorithm="jumpback")
        assert got[:100].tolist() == [
            pure.jump_hash(int(k), BIG_N, algorithm="jumpback") for k in u64_array[:100]
        ]


def _routers() -> tuple[Router, Router]:
    router_module._core = fast
    names = [f"node-{i}" for i in range(100)]
    whole, holes = Router(names), Router(names)
    for i in range(3, 100, 10):
        holes.remove(names[i])
    return whole, holes


@pytest.mark.benchmark(group="router per call, 100 nodes")
class TestRouterPerCall:
    def test_node_for(self, benchmark: Any) -> None:
        whole, _ = _routers()
        assert benchmark(whole.node_for, STR_KEY) == "node-" + str(fast.jump_hash(STR_KEY, 100))

    def test_node_for_10_percent_removed(self, benchmark: Any) -> None:
        _, holes = _routers()
        assert benchmark(holes.node_for, STR_KEY) in holes

    def test_node_for_detoured(self, benchmark: Any) -> None:
        """A key whose node is down (Router.down): Memento's lookup, then its detour."""
        whole, _ = _routers()
        home = whole.node_for(STR_KEY)
        whole.down(home)
        assert benchmark(whole.node_for, STR_KEY) not in (home, None)

    def test_uhashring_get_node(self, benchmark: Any) -> None:
        ring = HashRing(nodes=[f"node-{i}" for i in range(100)])
        assert benchmark(ring.get_node, STR_KEY).startswith("node-")


@pytest.mark.benchmark(group="router batch, list of strs, 100 nodes")
class TestRouterBatch:
    def test_nodes_for_10_percent_removed(self, benchmark: Any, str_list: list[str]) -> None:
        _, holes = _routers()
        assert len(benchmark(holes.nodes_for, str_list)) == len(str_list)

    def test_jump_hash_many(self, benchmark: Any, str_list: list[str]) -> None:
        assert len(benchmark(fast.jump_hash_many, str_list, 100)) == len(str_list)

    def test_nodes_for_3_down(self, benchmark: Any, str_list: list[str]) -> None:
        whole, _ = _routers()
        for name in ("node-5", "node-50", "node-95"):
            whole.down(name)
        found = benchmark(whole.nodes_for, str_list)
        assert len(found) == len(str_list) and not set(found) & whole.down_nodes
