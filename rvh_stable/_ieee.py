"""The jump loop's two IEEE-754 roundings, emulated with integers.

The paper's step is ``(b + 1) * (2**31 / double(d))`` in binary64: the
division rounds once to 53 significant bits, the product rounds once more,
both to nearest with ties to even, and the cast truncates.  Python floats give
exactly that on every build with SSE2 (or any other true binary64 unit), and
the pure core uses them.  A 32-bit x86 CPython built for the x87 unit (with
its precision control at 64 bits, Linux's default) computes each float
operation in an 80-bit register, rounding to 64 significant bits, then rounds
again to 53 bits when it stores the result: a double rounding that lands on
the wrong neighbour when the first rounding stops exactly on a midpoint
between two doubles.  Rare keys then get another bucket (of the order of one
in 10**10 at 2**31-1 buckets).

This module is what the pure core runs on such a build:

* :func:`float_is_ieee_double` is the probe, cheap enough for import time;
* :func:`jump_exact` is the paper's loop with the step computed by integer
  arithmetic, correct on every build, and about twice as slow as floats;
* :func:`round_ratio`, :func:`div`, :func:`mul` and :func:`to_int` are the
  operations it emulates, spelled out for the tests and the probe.

No float is touched on the exact path.  A double is held as a pair of ints
``(m, e)``, the value ``m * 2**e``.  Every value the loop produces is a normal
double: the operands are integers in ``[1, 2**31]``, ``2**31 / d`` lies in
``[1, 2**31]`` and the product in ``[1, 2**62]``, far from the subnormals
(below 2**-1022) and from overflow (2**1024).  So the emulation needs no
exponent range: rounding to 53 significant bits is the whole of binary64
rounding here, and the helpers do not model subnormals or infinities.
"""

from __future__ import annotations

__all__ = [
    "Double",
    "div",
    "float_is_ieee_double",
    "guava_exact",
    "jump_exact",
    "mul",
    "round_ratio",
    "to_int",
]

#: ``(m, e)``: the exact value ``m * 2**e``, ``m > 0``.  The helpers return
#: ``m`` with exactly ``precision`` bits (53 for a double).
Double = tuple[int, int]


def round_ratio(num: int, den: int, precision: int = 53) -> Double:
    """round_ratio(num, den, precision=53) -> (m, e)

    ``num / den`` (both > 0) rounded to ``precision`` significant bits, to
    nearest with ties to even, as ``m * 2**e`` with
    ``2**(precision - 1) <= m < 2**precision``.  With precision 53 this is
    IEEE binary64 rounding for values in the normal range.
    """
    # num / den lies in (2**(nb - db - 1), 2**(nb - db + 1)); scale it so that
    # its integer part has precision or precision + 1 bits, then by one more
    # bit if it has precision + 1.
    shift = precision - num.bit_length() + den.bit_length()
    if shift >= 0:
        num <<= shift
    else:
        den <<= -shift
    if num >= den << precision:
        den <<= 1
        shift -= 1
    m, r = divmod(num, den)
    r <<= 1
    if r > den or (r == den and m & 1):
        m += 1
        if m >> precision:  # rounded up to the next power of two
            m >>= 1
            shift -= 1
    return m, -shift


def div(a: Double, b: Double, precision: int = 53) -> Double:
    """div(a, b, precision=53) -> (m, e): ``a / b`` rounded once."""
    m, e = round_ratio(a[0], b[0], precision)
    return m, e + a[1] - b[1]


def mul(a: Double, b: Double, precision: int = 53) -> Double:
    """mul(a, b, precision=53) -> (m, e): ``a * b`` rounded once."""
    m, e = round_ratio(a[0] * b[0], 1, precision)
    return m, e + a[1] + b[1]


def to_int(a: Double) -> int:
    """to_int(a) -> int: ``a`` (positive) truncated, as C's cast to int64 does."""
    m, e = a
    return m << e if e >= 0 else m >> -e


def jump_exact(key: int, num_buckets: int) -> int:
    """jump_exact(key, num_buckets) -> int

    The bucket of the uint64 ``key`` (in ``[0, 2**64)``, already reduced), in
    ``[0, num_buckets)``, for ``num_buckets`` in ``[1, 2**31-1]``: the paper's
    loop with its binary64 step emulated exactly.  Arguments are not checked.
    Each step's j is ``to_int(mul((b + 1, 0), div((2**31, 0), (d, 0))))``
    wherever it can matter (below 2**53).
    """
    b = -1
    j = 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        d = (key >> 33) + 1
        # q = RN(2**31 / d) = m * 2**-t.  For d of L bits (not a power of two)
        # 2**31 / d lies in (2**(31 - L), 2**(32 - L)), so t = L + 21 gives m
        # 53 bits.  For d = 2**(L - 1) the quotient is exact and m = 2**53:
        # the right value, one bit longer, which the product below does not
        # mind.  m = RN(2**(t + 31) / d) is taken as (floor(2x) + 1) // 2,
        # which rounds a tie up, but 2**(t + 31) / d is never a tie: a tie
        # would need d to divide 2**(t + 32) without dividing 2**(t + 31),
        # and every power of two up to 2**31 divides both.
        t = d.bit_length() + 21
        m = (((1 << (t + 32)) // d) + 1) >> 1
        # p = RN(c * q) for c = b + 1, and j = floor(p) = p >> t once c * m is
        # rounded to 53 bits (ties to even: products of doubles can be exact
        # ties).  Rounding moves c * m to a multiple of 2**s, by at most half
        # of one.  While s <= t the integers (multiples of 2**t) are among
        # those multiples, so rounding down never crosses one, and rounding
        # up crosses one only from within half a step below it: only then is
        # the rounding worked out, which keeps the common step to a division
        # and a multiplication of small ints.  s > t needs c * q >= 2**53,
        # far above any num_buckets: that j ends the loop however it rounds.
        p = (b + 1) * m
        j = p >> t
        s = p.bit_length() - 53
        if s > 0 and (p + (1 << (s - 1))) >> t != j:
            h = p >> (s - 1)  # the 53 kept bits and the first dropped one
            if h & 1 and (h & 2 or p & ((1 << (s - 1)) - 1)):
                h += 1  # above the midpoint, or on it with an odd kept part
            j = ((h >> 1) << s) >> t
    return b


# --- the probe ------------------------------------------------------------------

# Two steps of the jump loop, (d, c): j = floor((2**31 / d) * c), each taken
# from a key that an x87 CPython sends to another bucket (tests/test_ieee.py
# has the keys).  Each step has an exact result within 2**-12 of a unit in the
# last place (ulp) of a midpoint between two doubles.  Rounded once, to 53
# bits, it goes to the nearer double.  Rounded first to the x87's 64 bits, it
# lands exactly on the midpoint (a 64-bit ulp is 2**-11 of a 53-bit one), and
# the second rounding, to 53 bits, sends that tie to the even neighbour,
# which here is the farther one:
#
# * 2**31 / 1233939156 is 0.65 * 2**-12 ulp above a midpoint whose lower
#   neighbour is even: x87 gives a quotient one ulp too small, and the step
#   of key 8593159096237609543 gives 1248179369 instead of 1248179370.
# * (2**31 / 1946780709) * 1221885033, whose quotient rounds the same either
#   way, is 0.87 * 2**-12 ulp below the midpoint under 1347855008: x87 rounds
#   the product up to that integer, and key 15081612332039639608 gets
#   bucket 1347855008 instead of 1347855007.
#
# Either difference makes the probe fail, whichever operation double-rounds.
# A build that rounds once (SSE2, or the x87 unit with its precision control
# set to 53 bits, as MSVC sets it: then only its wider exponent range differs,
# and no value here comes near a limit) passes.  The operands go through the
# same float / int and float * int operations as the loop's, read from a
# tuple at call time so that the compiler cannot fold them into constants,
# and the floats are compared with the emulation exactly, as integer ratios.
_PROBES = ((1233939156, 717200990), (1946780709, 1221885033))
_TWO31: Double = (1 << 31, 0)


def guava_exact(key: int, num_buckets: int) -> int:
    """guava_exact(key, num_buckets) -> int

    Guava's ``Hashing.consistentHash`` bucket of the uint64 ``key`` (already
    reduced), for ``num_buckets`` in ``[1, 2**31-1]``, with its one binary64
    rounding emulated exactly: each step is ``(c + 1) / (d / 2**31)``, the
    exact ``(c + 1) * 2**31 / d`` rounded once and truncated.  Arguments are
    not checked.
    """
    candidate = 0
    while True:
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        d = (key >> 33) + 1
        if d == 2147483648:  # Java's int d wraps to -2**31: the step is negative
            return candidate
        # Past 2**31 - 1 Java's cast saturates; either way the step ends the loop.
        nxt = to_int(round_ratio((candidate + 1) << 31, d))
        if nxt >= num_buckets:
            return candidate
        candidate = nxt


def float_is_ieee_double() -> bool:
    """float_is_ieee_double() -> bool

    True when this Python's float division and multiplication round once, to
    binary64, as the jump loop needs; False on a build that rounds them twice,
    through the x87's 64-bit extended precision, or otherwise disagrees with
    the emulation.  Takes a few microseconds.
    """
    for d, c in _PROBES:
        q = 2147483648.0 / d
        exact_q = div(_TWO31, (d, 0))
        if not _equals(q, exact_q) or not _equals(q * c, mul(exact_q, (c, 0))):
            return False
    return True


def _equals(x: float, a: Double) -> bool:
    """Whether the float ``x`` is exactly ``a``, compared as integers."""
    n, den = x.as_integer_ratio()  # den is a power of two: x = n * 2**-k
    m, e = a
    shift = e + den.bit_length() - 1
    return n == m << shift if shift >= 0 else n << -shift == m
