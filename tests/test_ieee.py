"""The exact integer loop of ``rvh_stable._ieee`` and the probe that selects it.

On a CPython whose floats round twice (32-bit x86 on the x87 unit: every
operation rounds to 64 significant bits in a register, then to 53 when it is
stored), the pure core runs ``_ieee.jump_exact`` instead of its float loop.
This machine rounds once, so the emulation is forced here: it must give every
known answer, agree with the float loop on random keys, and its rounding
helpers must agree with Python's own ``/`` and ``*``, ties included.  Double
rounding is simulated with the same helpers (64 bits, then 53) to show that
the probe's pinned steps, and the keys below, tell the two builds apart.
"""

from __future__ import annotations

import csv
import os
import platform
import random
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import MAX_BUCKETS
from hypothesis import given, settings
from hypothesis import strategies as st
from tables import X87_SENSITIVE

from rvh_stable import _ieee, stable
from rvh_stable._ieee import Double, div, guava_exact, jump_exact, mul, round_ratio, to_int

JUMP_MULT = 2862933555777941757
TWO31: Double = (1 << 31, 0)
Step = Callable[[int, int], int]

# Keys that CPython on the x87 unit would send to another bucket through the
# float loop: (key, num_buckets, IEEE answer, x87 CPython answer).  Found by
# running the paper's loop in C for 2**33 keys of each of eight starts (the
# first step's d = 2 .. 9, so that b starts near 2**31 / d), once in double
# and once with every operation rounded through long double and stored to
# double, as CPython's float_div and float_mul do there.  27 keys differ:
# the first ten below, and 17 that all pass b = 2**28 (after d = 8), of which
# the last two.  Four double-round in a product, the others in a quotient.
# About one key of these starts in 2**33: the rounding must cross an integer,
# and the error is 2**-12 of an ulp of a value near 2**30.  X87_SENSITIVE
# (tests/tables.py) are keys of the C loop in long double, which never stores the
# quotient as a double; CPython on x87 gets those right.
PY_X87_SENSITIVE = [
    (15081612332039639608, MAX_BUCKETS, 1347855007, 1347855008),  # a probe step
    (8593159096237609543, MAX_BUCKETS, 1248179370, 1248179369),  # a probe step
    (14663132911550484276, MAX_BUCKETS, 1463734638, 1463734637),
    (7158802103800791487, MAX_BUCKETS, 2123454152, 2123454154),
    (14997507327559589611, MAX_BUCKETS, 996251861, 996251862),
    (10000073232627418405, MAX_BUCKETS, 2101679487, 2101679488),
    (7991194905402476198, MAX_BUCKETS, 1164884814, 1164884815),
    (5487099850190251237, MAX_BUCKETS, 2106238778, 2106238779),
    (8618985070712216200, MAX_BUCKETS, 1939977869, 1939977871),
    (16444808776763216184, MAX_BUCKETS, 2003503508, 2003503506),
    (3392425132250434716, MAX_BUCKETS, 2055209760, 2055209752),
    (10825768676889589249, MAX_BUCKETS, 1331604225, 1331604221),
]

needs_ieee_floats = pytest.mark.skipif(
    not _ieee.float_is_ieee_double(),
    reason="Python floats round twice on this build: they cannot be the reference",
)

SETTINGS = settings(
    max_examples=int(os.environ.get("RVH_STABLE_HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
)


# --- exact values and simulated builds -----------------------------------------


def value(a: Double) -> Fraction:
    m, e = a
    return Fraction(m) * Fraction(2) ** e


def of_float(x: float) -> Double:
    n, den = x.as_integer_ratio()  # den is a power of two
    return n, 1 - den.bit_length()


def reround(a: Double, precision: int = 53) -> Double:
    """``a`` rounded (again) to ``precision`` bits: the store of an x87 register."""
    m, e = round_ratio(a[0], 1, precision)
    return m, e + a[1]


def ieee_step(d: int, c: int) -> int:
    """The paper's step in binary64: each operation rounded once."""
    return to_int(mul((c, 0), div(TWO31, (d, 0))))


def x87_cpython_step(d: int, c: int) -> int:
    """The float loop's step on an x87 CPython: 64 bits, then 53, per operation."""
    q = reround(div(TWO31, (d, 0), 64))
    return to_int(reround(mul((c, 0), q, 64)))


def x87_long_double_step(d: int, c: int) -> int:
    """The C loop compiled for the x87 unit: the quotient stays in a 64-bit register."""
    return to_int(mul((c, 0), div(TWO31, (d, 0), 64), 64))


def loop(key: int, n: int, step: Step) -> int:
    b = -1
    j = 0
    while j < n:
        b = j
        key = (key * JUMP_MULT + 1) & 0xFFFFFFFFFFFFFFFF
        j = step((key >> 33) + 1, b + 1)
    return b


def steps(key: int, n: int) -> list[tuple[int, int]]:
    """The (d, c) of every step of ``key``'s loop."""
    out = []
    b = -1
    j = 0
    while j < n:
        b = j
        key = (key * JUMP_MULT + 1) & 0xFFFFFFFFFFFFFFFF
        out.append(((key >> 33) + 1, b + 1))
        j = ieee_step(*out[-1])
    return out


def random_double(rng: random.Random, bits: int = 53, spread: int = 80) -> float:
    m = rng.randrange(1 << (bits - 1), 1 << bits)
    return float(Fraction(m) * Fraction(2) ** rng.randint(-spread, spread))


# --- the loop ------------------------------------------------------------------


def test_every_reference_row(jump_rows: list[tuple[int, int, int, str]]) -> None:
    wrong = [row for row in jump_rows if jump_exact(row[0], row[1]) != row[2]]
    assert wrong == []


def test_every_published_row(published_rows: list[tuple[int, int, int, str]]) -> None:
    wrong = [row for row in published_rows if jump_exact(row[0], row[1]) != row[2]]
    assert wrong == []


def test_every_string_key_row(str_rows: list[dict[str, Any]]) -> None:
    for row in str_rows:
        assert jump_exact(row["key_hash"], row["num_buckets"]) == row["bucket"], row["key"]


def test_x87_sensitive_keys() -> None:
    for key, n, ieee, x87 in X87_SENSITIVE:
        assert jump_exact(key, n) == ieee, key
        # The simulation reproduces the answers gcc -mfpmath=387 gave...
        assert loop(key, n, x87_long_double_step) == x87, key
        # ...while a double rounding at each operation gets these keys right.
        assert loop(key, n, x87_cpython_step) == ieee, key


def test_keys_an_x87_cpython_gets_wrong() -> None:
    for key, n, ieee, x87 in PY_X87_SENSITIVE:
        assert jump_exact(key, n) == ieee, key
        assert loop(key, n, ieee_step) == ieee, key
        assert loop(key, n, x87_cpython_step) == x87 != ieee, key


@needs_ieee_floats
def test_keys_an_x87_cpython_gets_wrong_in_floats_here() -> None:
    for key, n, ieee, _ in PY_X87_SENSITIVE:
        assert stable.jump_hash(key, n) == ieee, key


@needs_ieee_floats
def test_random_pairs_against_the_float_loop() -> None:
    rng = random.Random(20260511)
    wrong = []
    for i in range(20_000):
        key = rng.getrandbits(64) if i % 8 else rng.getrandbits(rng.randint(1, 64))
        n = MAX_BUCKETS if i % 10 == 0 else rng.randint(1, 1 << rng.randint(0, 31))
        n = min(n, MAX_BUCKETS)
        if jump_exact(key, n) != stable.jump_hash(key, n):
            wrong.append((key, n))
    assert wrong == []


@needs_ieee_floats
@SETTINGS
@given(st.integers(0, 2**64 - 1), st.integers(1, MAX_BUCKETS))
def test_hypothesis_against_the_float_loop(key: int, n: int) -> None:
    assert jump_exact(key, n) == stable.jump_hash(key, n)


def test_the_inlined_step_is_the_helpers_step() -> None:
    rng = random.Random(31)
    for _ in range(2_000):
        key = rng.getrandbits(64)
        n = min(MAX_BUCKETS, rng.randint(1, 1 << rng.randint(0, 31)))
        assert jump_exact(key, n) == loop(key, n, ieee_step), (key, n)


def least_in_window(a: int, m: int, lo: int, hi: int) -> int | None:
    """The least x >= 0 with lo <= a * x % m <= hi (0 <= lo <= hi < m), or None."""
    a %= m
    if lo == 0:
        return 0
    if a == 0:
        return None
    if 2 * a > m:  # (m - a) * x % m is m - a * x % m when the latter is not 0
        return least_in_window(m - a, m, m - hi, m - lo)
    x = -(-lo // a)
    if a * x <= hi:
        return x
    # No multiple of a in [lo, hi]: a * x - m * y lands there for the least
    # y whose -m * y % a lies in [lo % a, hi % a]; a <= m / 2 halves m.
    y = least_in_window(-m % a, a, lo % a, hi % a)
    return None if y is None else -(-(lo + m * y) // a)


def test_least_in_window() -> None:
    rng = random.Random(9)
    for _ in range(3_000):
        m = rng.randint(1, 300)
        a = rng.randrange(m)
        lo = rng.randrange(m)
        hi = rng.randint(lo, m - 1)
        hits = [x for x in range(m) if lo <= a * x % m <= hi]
        assert least_in_window(a, m, lo, hi) == (hits[0] if hits else None), (a, m, lo, hi)


def key_reaching(d1: int, d2: int) -> int | None:
    """A key whose loop's first two steps divide by d1, then d2 (None if none).

    The advanced key's top 31 bits give d - 1 and its low 33 bits are free;
    the next key must fall in a window of 2**33 of the 2**64 values, so about
    four choices of the low bits out of 2**33 work.
    """
    base = ((d1 - 1) << 33) * JUMP_MULT + 1
    lo = (((d2 - 1) << 33) - base) % 2**64
    hi = lo + 2**33 - 1
    windows = [(lo, hi)] if hi < 2**64 else [(lo, 2**64 - 1), (0, hi - 2**64)]
    found = [least_in_window(JUMP_MULT, 2**64, w_lo, w_hi) for w_lo, w_hi in windows]
    low = min((x for x in found if x is not None), default=None)
    if low is None or low >= 2**33:
        return None
    key1 = ((d1 - 1) << 33) | low
    return ((key1 - 1) * pow(JUMP_MULT, -1, 2**64)) % 2**64


def integer_step_keys(rng: random.Random, count: int) -> list[tuple[int, int, int, int]]:
    """(key, d, c, N): keys whose second step's exact value c * 2**31 / d is N.

    d = g * 2**a with g odd and c a multiple of g: the first step (c = 1)
    picks b = c - 1.  q = RN(2**31 / d) is then a little above or below the
    exact quotient, and c * q a little above or below N: the rounding of the
    product decides between N and N - 1.  num_buckets = N tells them apart:
    j = N ends the loop at b = c - 1, j = N - 1 goes on from there.
    """
    out: list[tuple[int, int, int, int]] = []
    while len(out) < count:
        g = rng.randrange(3, 2000, 2)
        d1 = rng.randint(2, 2**16)
        c = ieee_step(d1, 1) + 1
        if c % g:
            continue
        shifts = [a for a in range(32) if c < g << a <= 2**31]
        if not shifts:
            continue
        d = g << rng.choice(shifts)
        key = key_reaching(d1, d)
        if key is None:
            continue
        exact = c * 2**31 // d
        assert steps(key, exact)[:2] == [(d1, 1), (d, c)]
        out.append((key, d, c, exact))
    return out


@needs_ieee_floats
def test_keys_whose_step_is_an_exact_integer() -> None:
    # The reference vectors' adversarial rows all round below the integer; here
    # the products that round back up onto it are also reached, which is the
    # only case where jump_exact works a rounding out.
    rng = random.Random(10)
    outcomes = set()
    for key, d, c, exact in integer_step_keys(rng, 400):
        n = exact
        assert jump_exact(key, n) == loop(key, n, ieee_step) == stable.jump_hash(key, n), key
        q_below = value(div(TWO31, (d, 0))) < Fraction(2**31, d)
        outcomes.add((q_below, ieee_step(d, c) - exact))
    # q rounded down, and the product rounded back up onto N, or not; q up.
    assert outcomes == {(True, 0), (True, -1), (False, 0)}


# --- the rounding helpers against Python's floats --------------------------------


@needs_ieee_floats
def test_round_ratio_against_int_true_division() -> None:
    # int / int is correctly rounded in CPython, for operands of any size.
    rng = random.Random(1)
    for _ in range(20_000):
        num = rng.getrandbits(rng.randint(1, 200)) + 1
        den = rng.getrandbits(rng.randint(1, 200)) + 1
        assert value(round_ratio(num, den)) == Fraction(num / den), (num, den)


@needs_ieee_floats
def test_round_ratio_ties_go_to_even() -> None:
    rng = random.Random(2)
    seen = set()
    for _ in range(10_000):
        kept = rng.randrange(1 << 52, 1 << 53)
        tie = (2 * kept + 1) << rng.randint(0, 40)  # exactly halfway between two doubles
        expected = kept + (kept & 1)
        m, _ = round_ratio(tie, 1)
        assert m == expected or (expected == 1 << 53 and m == 1 << 52)
        assert value(round_ratio(tie, 1)) == Fraction(float(tie))
        assert value(round_ratio(2 * kept + 1, 2)) == Fraction((2 * kept + 1) / 2)
        for near in (tie - 1, tie + 1):
            assert value(round_ratio(near, 1)) == Fraction(float(near))
        seen.add(kept & 1)
    assert seen == {0, 1}  # both ways: down to an even kept part, up from an odd one


@pytest.mark.parametrize("precision", [2, 11, 24, 53, 64, 113])
def test_round_ratio_against_the_definition(precision: int) -> None:
    # Any precision, against exact rationals: the x87 simulation uses 64.
    rng = random.Random(precision)
    for i in range(3_000):
        if i % 3:
            num = rng.getrandbits(rng.randint(1, 150)) + 1
            den = rng.getrandbits(rng.randint(1, 150)) + 1
        else:  # an exact tie at this precision
            num, den = (2 * rng.getrandbits(precision) + 1) << 3, 1 << rng.randint(0, 9)
        x = Fraction(num, den)
        m, e = round_ratio(num, den, precision)
        assert 1 << (precision - 1) <= m < 1 << precision
        ulp = Fraction(2) ** e
        error = abs(value((m, e)) - x)
        assert error < ulp / 2 or (error == ulp / 2 and m % 2 == 0), (num, den)
        # m is the nearest: neither neighbour is closer (across a power of two too).
        assert abs(value((m - 1, e)) - x) >= error or m - 1 < 1 << (precision - 1)
        assert abs(value((m + 1, e)) - x) >= error


@needs_ieee_floats
def test_div_against_float_division() -> None:
    rng = random.Random(3)
    for _ in range(20_000):
        a = random_double(rng, rng.randint(1, 53))
        b = random_double(rng, rng.randint(1, 53))
        assert value(div(of_float(a), of_float(b))) == Fraction(a / b), (a, b)


@needs_ieee_floats
def test_the_loops_division_for_every_small_d_and_random_large_d() -> None:
    # A quotient of two doubles is never an exact tie (a midpoint has 54
    # significant bits, and times an odd divisor it still has more than 53),
    # so the hard cases are near-ties: quotients that a 64-bit rounding puts
    # on a midpoint.  Every d below 2**16 includes some; check that they do.
    rng = random.Random(4)
    ds = [*range(1, 1 << 16), *(rng.randint(1, 2**31) for _ in range(20_000))]
    near_ties = 0
    for d in ds:
        q = div(TWO31, (d, 0))
        assert value(q) == Fraction(2147483648.0 / d), d
        near_ties += reround(div(TWO31, (d, 0), 64)) != q
    assert near_ties > 0


@needs_ieee_floats
def test_mul_against_float_multiplication() -> None:
    rng = random.Random(5)
    for _ in range(20_000):
        a = random_double(rng, rng.randint(1, 53))
        b = random_double(rng, rng.randint(1, 53))
        assert value(mul(of_float(a), of_float(b))) == Fraction(a * b), (a, b)


@needs_ieee_floats
def test_mul_exact_ties_go_to_even() -> None:
    # An odd a times an odd b with a 54-bit product is exactly halfway
    # between two doubles: the dropped bit is the last one, a 1.
    rng = random.Random(6)
    seen = set()
    for _ in range(20_000):
        a = rng.randrange(1 << rng.randint(1, 52), 1 << 53) | 1
        low = -(-(1 << 53) // a)  # the smallest b with a 54-bit product
        b = rng.randrange(low, (1 << 54) // a + 1) | 1
        if (a * b).bit_length() != 54:
            continue
        ea, eb = rng.randint(-40, 40), rng.randint(-40, 40)
        x = float(Fraction(a) * Fraction(2) ** ea)
        y = float(Fraction(b) * Fraction(2) ** eb)
        product = mul((a, ea), (b, eb))
        assert value(product) == Fraction(x * y), (a, b)
        kept = (a * b) >> 1
        assert product[0] == kept + (kept & 1) or product[0] == 1 << 52
        seen.add(kept & 1)
    assert seen == {0, 1}


@needs_ieee_floats
def test_the_loops_product_near_ties() -> None:
    # Products of the loop's form c * RN(2**31 / d), kept when a 64-bit
    # rounding would put them on a midpoint: single rounding must still win.
    rng = random.Random(7)
    near_ties = 0
    for _ in range(200_000):
        d = rng.randint(2, 2**31)
        c = rng.randint(1 << 11, 2**31 - 1)  # below 2**11 the product has < 64 bits
        q = div(TWO31, (d, 0))
        p = mul(q, (c, 0))
        if reround(mul(q, (c, 0), 64)) != p:
            near_ties += 1
            assert value(p) == Fraction(2147483648.0 / d * c), (d, c)
        elif rng.random() < 0.05:
            assert value(p) == Fraction(2147483648.0 / d * c), (d, c)
    assert near_ties > 0


@needs_ieee_floats
def test_to_int_against_int() -> None:
    rng = random.Random(8)
    for _ in range(20_000):
        x = random_double(rng, rng.randint(1, 53), 70)
        assert to_int(of_float(x)) == int(x), x
        assert to_int(of_float(x)) == int(value(of_float(x)))


# --- the probe -----------------------------------------------------------------


def test_probe_is_true_on_64_bit_x86_and_arm() -> None:
    if platform.machine().lower() not in ("x86_64", "amd64", "arm64", "aarch64"):
        pytest.skip("only 64-bit x86 and ARM always have binary64 float arithmetic")
    assert _ieee.float_is_ieee_double() is True


def test_probe_agrees_with_cpythons_own_check() -> None:
    # CPython's configure decides X87_DOUBLE_ROUNDING with these two sums, in
    # C doubles; the same operations on Python floats must agree with the probe.
    x = float("0.99999999999999989")  # 1 - 2**-53
    y = float("1e16")
    rounds_twice = 1.0 / x == 1.0 and y + float("2.99999") == 1e16 + 4.0
    assert _ieee.float_is_ieee_double() is not rounds_twice


def test_probe_steps_fool_double_rounding() -> None:
    # What the probe compares, under simulated x87 double rounding: at least
    # one of its floats differs from the emulation, so it would return False.
    for d, c in _ieee._PROBES:
        q = div(TWO31, (d, 0))
        p = mul(q, (c, 0))
        q87 = reround(div(TWO31, (d, 0), 64))
        p87 = reround(mul(q87, (c, 0), 64))
        assert (q87, p87) != (q, p), (d, c)
        # And not by a hair: the step gives another j, hence another bucket.
        assert to_int(p87) != to_int(p) == ieee_step(d, c), (d, c)
        assert x87_cpython_step(d, c) == to_int(p87)
    # One probe catches a double-rounded quotient, the other a product.
    quotient_differs = [
        reround(div(TWO31, (d, 0), 64)) != div(TWO31, (d, 0)) for d, _ in _ieee._PROBES
    ]
    assert quotient_differs == [True, False]


def test_probe_steps_are_steps_of_the_pinned_keys() -> None:
    pinned_steps = {step for key, n, *_ in PY_X87_SENSITIVE for step in steps(key, n)}
    assert set(_ieee._PROBES) <= pinned_steps


# --- the pure core in exact mode ------------------------------------------------


# stable.jump_hash is the exact loop's wrapper on a build whose floats round
# twice, chosen once at import; here it is put in place by hand.
EXACT_JUMP_HASH: Any = stable._jump_hash_exact


def test_pure_core_in_exact_mode(
    monkeypatch: pytest.MonkeyPatch,
    jump_rows: list[tuple[int, int, int, str]],
    str_rows: list[dict[str, Any]],
) -> None:
    assert (stable.jump_hash is EXACT_JUMP_HASH) is not _ieee.float_is_ieee_double()
    monkeypatch.setattr(stable, "jump_hash", EXACT_JUMP_HASH)  # batches call it too
    assert [stable.jump_hash(k, n) for k, n, _, _ in jump_rows] == [b for *_, b, _ in jump_rows]
    for key, n, ieee, _ in PY_X87_SENSITIVE:
        assert stable.jump_hash(key, n) == stable.jump_hash(key - 2**64 * (key >> 63), n) == ieee
        assert stable.jump_hash_many([key], n) == [ieee]
    for row in str_rows:
        assert stable.jump_hash(row["key"], row["num_buckets"]) == row["bucket"]
    by_n: dict[int, list[tuple[int, int]]] = {}
    for key, n, bucket, _ in jump_rows:
        by_n.setdefault(n, []).append((key, bucket))
    for n, pairs in by_n.items():
        assert stable.jump_hash_many([k for k, _ in pairs], n) == [b for _, b in pairs], n
    with pytest.raises(ValueError, match="num_buckets"):
        stable.jump_hash(1, 0)


def test_guava_exact_gives_every_recorded_guava_answer() -> None:
    # Guava 31.1's answers (tests/data/interop_guava_consistent.csv), the keys
    # where its one rounding or its int overflow decides among them.
    path = Path(__file__).parent / "data" / "interop_guava_consistent.csv"
    with open(path, newline="") as f:
        rows = [(int(r["key"]), int(r["num_buckets"]), int(r["bucket"])) for r in csv.DictReader(f)]
    assert len(rows) > 5000
    assert [row for row in rows if guava_exact(row[0], row[1]) != row[2]] == []


def test_guava_exact_against_the_float_loop() -> None:
    rng = random.Random(31)
    for _ in range(20_000):
        key, n = rng.getrandbits(64), rng.choice([2, 1000, rng.randrange(1, MAX_BUCKETS + 1)])
        assert guava_exact(key, n) == stable.jump_hash(key, n, variant="guava"), (key, n)


def test_the_x87_pure_core_runs_guava_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the probe finds double rounding, the pure core's Guava loop is the
    # integer one too, for single keys and batches.
    import importlib

    monkeypatch.setattr(_ieee, "float_is_ieee_double", lambda: False)
    reloaded = importlib.reload(stable)
    try:
        assert reloaded._jump_guava is guava_exact
        assert reloaded.jump_hash(8733038231761546088, 2**30, variant="guava") == 48
        assert reloaded.jump_hash_many([4626093953513826134] * 3, 2, variant="guava") == [0] * 3
    finally:
        monkeypatch.undo()
        importlib.reload(stable)
