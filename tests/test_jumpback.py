"""algorithm="jumpback": Ertl's JumpBackHash, bit-exact with hash4j, in both cores.

The contract is tests/data/jumpback_hash4j.csv: 2006 answers recorded from
hash4j's ``jumpBackHash(splitMix64_V1())`` (tests/data/README.md).  They are
checked one key at a time, in every batch input (lists, iterables, integer
buffers, Arrow), through the asyncio layer, the command line and the C header
alone (under UBSan).  Hypothesis holds the two cores to each other and the
algorithm to its consistency (n -> n + 1 moves keys only to bucket n); a
chi-square test checks its balance; ``variant=`` is jump's alone.
"""

from __future__ import annotations

import array
import asyncio
import csv
import math
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from c_driver import CDrivers
from cli_helpers import assert_usage_error, main_in_process, rvh
from helpers import TRACED, any_outcome, longest_stall
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rvh_stable import _rules, aio

DATA = Path(__file__).parent / "data"
MAX_BUCKETS = 2**31 - 1
Rows = list[tuple[int, int, int]]
JB: dict[str, Any] = {"algorithm": "jumpback"}


@pytest.fixture(scope="module")
def rows() -> Rows:
    with open(DATA / "jumpback_hash4j.csv", newline="") as f:
        return [(int(r["hash_u64"]), int(r["n"]), int(r["bucket"])) for r in csv.DictReader(f)]


def by_n(rows: Rows) -> dict[int, tuple[list[int], list[int]]]:
    """The recorded rows grouped by bucket count: (hashes, buckets)."""
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for h, n, b in rows:
        keys, buckets = groups.setdefault(n, ([], []))
        keys.append(h)
        buckets.append(b)
    return groups


def signed(h: int) -> int:
    return h - 2**64 if h >= 2**63 else h


def is_fast(core: ModuleType) -> bool:
    return not TRACED and core.IMPLEMENTATION == "cython"


# --- hash4j's answers ------------------------------------------------------------


def test_the_recorded_rows_are_all_there(rows: Rows) -> None:
    assert len(rows) == 2006
    ns = {n for _, n, _ in rows}
    assert min(ns) == 1 and max(ns) > 2**30  # bucket counts from 1 to near 2**31
    assert len({h for h, _, _ in rows if h >= 2**63}) > 500  # negative Java longs


def test_recorded_rows_one_key_at_a_time(core: ModuleType, rows: Rows) -> None:
    differ = 0
    for h, n, bucket in rows:
        assert core.jump_hash(h, n, algorithm="jumpback") == bucket, (h, n)
        # A Java long is the same 64 bits; variant="paper" is the default.
        assert core.jump_hash(signed(h), n, algorithm="jumpback", variant="paper") == bucket
        differ += core.jump_hash(h, n) != bucket
    # Another function than jump hash: most answers differ (n = 1 never does).
    assert differ > len(rows) // 2


def test_recorded_rows_in_batches(core: ModuleType, rows: Rows) -> None:
    for n, (keys, want) in by_n(rows).items():
        assert core.jump_hash_many(keys, n, **JB) == want, n
        assert core.jump_hash_many(iter(keys), n, **JB) == want, n
        assert core.jump_hash_many([signed(h) for h in keys], n, **JB) == want, n
        assert core.jump_hash_many(array.array("Q", keys), n, **JB) == want, n


def test_recorded_rows_in_arrays(core: ModuleType, rows: Rows) -> None:
    np = pytest.importorskip("numpy")
    for n, (keys, want) in by_n(rows).items():
        unsigned = np.array(keys, dtype=np.uint64)
        for batch in (unsigned, unsigned.view(np.int64), unsigned.astype(">u8")):
            got = core.jump_hash_many(batch, n, **JB)
            assert got.dtype == np.int64 and got.tolist() == want, n


def test_recorded_rows_in_arrow_columns(core: ModuleType, rows: Rows) -> None:
    pa = pytest.importorskip("pyarrow")
    for n, (keys, want) in by_n(rows).items():
        column = pa.array(keys, type=pa.uint64())
        as_int64 = pa.array([signed(h) for h in keys], type=pa.int64())
        for batch in (column, as_int64, pa.chunked_array([column, column])):
            got = core.jump_hash_many(batch, n, **JB)
            assert list(got) == want * (len(got) // len(want)), n


@pytest.mark.parametrize("n", [1, 2, 10, 1000, 1025, 10**6, MAX_BUCKETS])
def test_large_batches_on_threads_agree_with_single_calls(core: ModuleType, n: int) -> None:
    np = pytest.importorskip("numpy")
    count = 300_000 if is_fast(core) else 3_000
    keys = np.random.default_rng(n).integers(0, 2**64, size=count, dtype=np.uint64)
    got = core.jump_hash_many(keys, n, threads=2, **JB)
    assert np.array_equal(got, core.jump_hash_many(keys, n, **JB))
    sample = range(0, count, count // 2000)
    assert [int(got[i]) for i in sample] == [core.jump_hash(int(keys[i]), n, **JB) for i in sample]
    strided = core.jump_hash_many(keys[::3], n, **JB)  # converted, not read in place
    assert np.array_equal(strided, got[::3])


def test_str_and_bytes_keys_go_through_the_hasher_first(core: ModuleType) -> None:
    for hasher in _rules.HASHERS:
        seeds = [None] if _rules.HASHER_SEEDS[hasher] is None else [None, 7]
        for seed in seeds:
            options: dict[str, Any] = {"hasher": hasher, "seed": seed}
            keys = ["user:1", "ключ", "客户"]
            want = [core.jump_hash(core.hash_key(k, **options), 1000, **JB) for k in keys]
            assert [core.jump_hash(k, 1000, **JB, **options) for k in keys] == want
            assert core.jump_hash_many(keys, 1000, **JB, **options) == want
            encoded = [k.encode() for k in keys]
            assert core.jump_hash_many(encoded, 1000, **JB, **options) == want


def test_names_equal_but_not_identical_are_the_same_algorithm(core: ModuleType) -> None:
    class Name(str):
        pass

    built = "".join(["jump", "back"])  # equal to "jumpback", another object
    want = core.jump_hash(12345, 1000, **JB)
    assert want != core.jump_hash(12345, 1000)
    for name in (built, Name("jumpback")):
        assert core.jump_hash(12345, 1000, algorithm=name) == want
        assert core.jump_hash_many([12345], 1000, algorithm=name) == [want]
    assert core.jump_hash(12345, 1000, algorithm="".join(["ju", "mp"])) == core.jump_hash(
        12345, 1000
    )


# --- the C header alone -----------------------------------------------------------


@pytest.mark.parametrize(
    "flags",
    [(), ("-O0",), ("-fsanitize=undefined", "-fno-sanitize-recover=all")],
    ids=["O3", "O0", "ubsan"],
)
def test_the_header_in_c(c_drivers: CDrivers, flags: tuple[str, ...]) -> None:
    # tests/c/jumpback_check.c: the recorded rows, one key and as batches,
    # and the bit helpers (mask, highest bit, parity; the builtins' and the
    # folded ones) at every edge.  Under UBSan a shift by 32 stops it.
    exe = c_drivers.build(
        "jumpback_check.c",
        *flags,
        skip_unless_built=None if not flags or flags == ("-O0",) else "no UBSan runtime here",
    )
    rows = (DATA / "jumpback_hash4j.csv").read_bytes().split(b"\n", 1)[1]  # no header
    done = subprocess.run([str(exe)], input=rows, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert done.stdout.decode().split() == ["2006", "0", "0", "0", "0", "0"]


# --- parity and properties ------------------------------------------------------------

# The core fixtures are modules, which no example changes.
FIXTURES_OK = [HealthCheck.function_scoped_fixture]
KEYS = st.one_of(
    st.integers(-(2**63), 2**64 - 1),
    st.text(min_size=1, max_size=20),
    st.binary(min_size=1, max_size=20),
    st.sampled_from([-(2**63) - 1, 2**64, "", b"", None, 1.5]),  # errors, the same in both
)
BUCKETS = st.one_of(st.integers(1, 70), st.integers(1, MAX_BUCKETS), st.sampled_from([0, 2**31]))
ALGORITHMS = st.sampled_from(["jumpback", "jump", "jumpback", "JumpBack", None])
VARIANTS = st.sampled_from(["paper", "paper", "guava", "x"])


@settings(max_examples=400, deadline=None, suppress_health_check=FIXTURES_OK)
@given(key=KEYS, n=BUCKETS, algorithm=ALGORITHMS, variant=VARIANTS)
def test_the_cores_agree(
    cores: tuple[ModuleType, ModuleType], key: Any, n: int, algorithm: Any, variant: str
) -> None:
    compiled, pure = cores
    options = {"algorithm": algorithm, "variant": variant}
    one = any_outcome(compiled.jump_hash, key, n, **options)
    assert one == any_outcome(pure.jump_hash, key, n, **options)
    many = any_outcome(compiled.jump_hash_many, [key, 7], n, **options)
    assert many == any_outcome(pure.jump_hash_many, [key, 7], n, **options)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES_OK)
@given(
    key=st.integers(0, 2**64 - 1), n=st.one_of(st.integers(1, 70), st.integers(1, MAX_BUCKETS - 1))
)
def test_one_more_bucket_moves_keys_only_to_it(core: ModuleType, key: int, n: int) -> None:
    before = core.jump_hash(key, n, **JB)
    after = core.jump_hash(key, n + 1, **JB)
    assert 0 <= before < n
    assert after in (before, n)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 10, 1000, 1023, 1024, 65537, 10**6, MAX_BUCKETS - 1])
def test_about_one_in_n_plus_one_keys_move(core: ModuleType, n: int) -> None:
    np = pytest.importorskip("numpy")
    count = 200_000 if is_fast(core) else 20_000
    keys = np.random.default_rng(n).integers(0, 2**64, size=count, dtype=np.uint64)
    before = np.asarray(core.jump_hash_many(keys, n, **JB))
    after = np.asarray(core.jump_hash_many(keys, n + 1, **JB))
    moved = after != before
    assert (after[moved] == n).all()
    p = 1 / (n + 1)
    assert abs(int(moved.sum()) - count * p) <= 6 * math.sqrt(count * p * (1 - p)) + 1


@pytest.mark.parametrize("n", [7, 10, 1000, 1025, 65536, 65537])
def test_chi_square_balance(core: ModuleType, n: int) -> None:
    # 10**6 keys (10**5 with the pure core, held to the same answers above):
    # the statistic within df +- 6 sqrt(2 df), the bound of test_properties.py,
    # whose lower side catches a spread too even to be random.
    np = pytest.importorskip("numpy")
    count = 10**6 if is_fast(core) else 10**5
    if count < 2 * n:
        count = 2 * n
    keys = np.random.default_rng(7 * n).integers(0, 2**64, size=count, dtype=np.uint64)
    counts = np.bincount(np.asarray(core.jump_hash_many(keys, n, **JB)), minlength=n)
    assert counts.size == n
    expected = count / n
    stat = float(((counts - expected) ** 2).sum() / expected)
    df = n - 1
    assert abs(stat - df) <= 6 * math.sqrt(2 * df), (stat, df)


# --- errors ------------------------------------------------------------------------


def test_variant_is_jumps_alone(core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    options = {"algorithm": "jumpback", "variant": "guava"}
    calls: list[tuple[Callable[..., Any], Any]] = [
        (core.jump_hash, 5),  # the fast entry's keyword path hands it over
        (core.jump_hash, "k"),
        (core.jump_hash_many, [5]),
        (core.jump_hash_many, np.arange(5)),
    ]
    for function, key in calls:
        with pytest.raises(ValueError, match=r"^algorithm='jumpback' has no variants") as info:
            function(key, 10, **options)
        assert "variant='guava'" in str(info.value)


def test_unknown_algorithms_are_refused(core: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"^algorithm must be one of 'jump', 'jumpback', got "):
        core.jump_hash(5, 10, algorithm="JumpBack")
    with pytest.raises(ValueError, match=r"algorithm must be one of .*, got 'x'"):
        core.jump_hash_many([5], 10, algorithm="x")
    with pytest.raises(TypeError, match=r"^algorithm must be a str, one of .*, got NoneType"):
        core.jump_hash(5, 10, algorithm=None)
    with pytest.raises(TypeError, match=r"algorithm must be a str"):
        core.jump_hash_many([], 10, algorithm=b"jumpback")
    # The other arguments are checked as for jump.
    with pytest.raises(ValueError, match="num_buckets"):
        core.jump_hash(5, 0, **JB)
    with pytest.raises(ValueError, match="variant must be one of"):
        core.jump_hash(5, 10, algorithm="jumpback", variant="x")


# --- threads, the GIL, Ctrl-C -------------------------------------------------------------


def test_array_batches_let_other_threads_run(compiled_core: ModuleType) -> None:
    np = pytest.importorskip("numpy")
    if TRACED:
        pytest.skip("line tracing (coverage) takes the GIL on every traced line")
    keys = np.random.default_rng(5).integers(0, 2**64, size=4_000_000, dtype=np.uint64)

    def batches() -> None:
        for _ in range(8):  # tens of ms at any n: JumpBackHash is a few ns a key
            compiled_core.jump_hash_many(keys, 1025, **JB)

    took, stall = longest_stall(batches)
    assert took > 0.05
    assert stall < max(0.05, took / 2), (took, stall)


@pytest.mark.parametrize("kind", ["count", "array"])
def test_ctrl_c_stops_a_batch(core: ModuleType, kind: str) -> None:
    if TRACED:
        pytest.skip("line tracing (coverage) takes the GIL on every traced line")
    if kind == "array":
        pytest.importorskip("numpy")
    # 10**8 keys (as test_interrupt.py's) at 1025 buckets, JumpBackHash's
    # slowest kind of n (just above a power of two): over half a second on
    # two threads of a fast CPU, far beyond the signal at 50 ms.
    size = (10**8 if is_fast(core) else 10**6) if kind == "array" else 0
    env = {k: v for k, v in os.environ.items() if k != "RVH_STABLE_NO_EXTENSIONS"}
    env["ALGORITHM"] = "jumpback"
    env["BUCKETS"] = "1025"
    child = Path(__file__).parent / "interrupt_child.py"
    done = subprocess.run(
        [sys.executable, str(child), core.__name__, kind, str(size), "2", "0.05"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=DATA,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    late, alive = done.stdout.split()
    assert float(late) < 0.25
    assert alive == "1"  # every helper thread was joined


# --- the asyncio layer and the command line ---------------------------------------------


def test_the_asyncio_functions(
    core: ModuleType, rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aio, "_core", core)
    some = rows[:200]

    async def main() -> None:
        with ThreadPoolExecutor(2) as pool:
            for h, n, bucket in some:
                assert await aio.async_jump_hash(h, n, **JB) == bucket
                assert await aio.async_jump_hash(h, n, executor=pool, **JB) == bucket
            for n, (keys, want) in by_n(some).items():
                assert await aio.async_jump_hash_many(keys, n, **JB) == want
                assert await aio.async_jump_hash_many(keys, n, executor=pool, **JB) == want
        with pytest.raises(ValueError, match="algorithm='jumpback' has no variants"):
            await aio.async_jump_hash(1, 10, algorithm="jumpback", variant="guava")

    asyncio.run(main())


def test_the_command_line_on_every_row(
    core: ModuleType, rows: Rows, monkeypatch: pytest.MonkeyPatch, capsysbinary: Any
) -> None:
    for h, n, bucket in rows:
        key = str(signed(h)) if h % 2 else str(h)
        args = ("--buckets", str(n), "--algorithm", "jumpback", "--int-key", "--key", key)
        assert main_in_process(core, monkeypatch, *args) == 0
        assert capsysbinary.readouterr().out == f"{bucket}\n".encode()


def test_the_console_script(core: ModuleType, rows: Rows) -> None:
    # hash4j README's examples: three keys at 2 and at 3 buckets.
    for n in (2, 3):
        keys = [h for h, m, _ in rows[:6] if m == n]
        want = [b for _, m, b in rows[:6] if m == n]
        stdin = "".join(f"{k}\n" for k in keys).encode()
        args = ("--buckets", str(n), "--int-key", "--algorithm", "jumpback", "--with-key")
        done = rvh(core, *args, stdin=stdin)
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().splitlines() == [
            f"{k}\t{b}" for k, b in zip(keys, want, strict=True)
        ]
    done = rvh(core, "--buckets", "1000", "--algorithm", "jumpback", "--async", "--key", "user:1")
    assert done.stdout == f"{core.jump_hash('user:1', 1000, **JB)}\n".encode()


def test_the_algorithm_option_reads_the_table() -> None:
    from rvh_stable.cli import _commands

    parser = _commands.load(_commands.DEFAULT).build_parser()
    option = next(a for a in parser._actions if "--algorithm" in a.option_strings)
    assert tuple(option.choices or ()) == _rules.ALGORITHMS == tuple(_rules.ALGORITHM_TABLE)
    assert option.default == _rules.DEFAULT_ALGORITHM == "jump"
    help_text = " ".join((option.help or "").split())
    for name, words in _rules.ALGORITHM_TABLE.items():
        assert f"{name} (" in help_text and words in help_text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--buckets", "9", "--algorithm", "jumpback", "--variant", "guava"), "--variant"),
        (("--nodes", "a,b", "--algorithm", "jumpback"), "--algorithm applies to --buckets"),
        (("--buckets", "9", "--algorithm", "jumpbacks"), "invalid choice: 'jumpbacks'"),
    ],
)
def test_the_command_line_refuses(core: ModuleType, args: tuple[str, ...], words: str) -> None:
    assert_usage_error(rvh(core, *args, "--key", "k"), words)


def test_dask_passes_the_algorithm_on(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    # In this process (the cluster is test_dask.py's): the options reach the core.
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    import dask

    import rvh_stable.dask as rdask

    monkeypatch.setattr(rdask, "_core", core)
    users = [f"user:{i}" for i in range(500)]
    ddf = dd.from_pandas(pd.DataFrame({"user": users}), npartitions=3)
    with dask.config.set(scheduler="synchronous"):
        got = rdask.assign_shard(ddf, "user", 100, **JB).compute()
    assert got["shard"].tolist() == core.jump_hash_many(users, 100, **JB)
    with pytest.raises(ValueError, match="algorithm='jumpback' has no variants"):
        rdask.assign_shard(ddf, "user", 100, algorithm="jumpback", variant="guava")
