"""JumpBackHash, the readable specification (``algorithm="jumpback"``).

O. Ertl, "JumpBackHash: Say Goodbye to the Modulo Operation to Distribute
Keys Uniformly to Buckets" (2024, arXiv 2403.18682), as Dynatrace's hash4j
computes it (``ConsistentHashing.jumpBackHash(PseudoRandomGeneratorProvider
.splitMix64_V1()).getBucket(hash, n)``): its answers, recorded from hash4j,
are tests/data/jumpback_hash4j.csv.  The compiled twin is _c/jumpback.h.

Like jump hash, it is consistent: going from n to n + 1 buckets moves only
keys to the new bucket n.  Unlike jump hash, its expected cost does not grow
with n (about 1.67 random values a key, and no division).  It gives other
buckets than jump hash for the same key.
"""

from __future__ import annotations

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
#: SplitMix64's increment: each value adds it to the state, then mixes.
GOLDEN_GAMMA = 0x9E3779B97F4A7C15


def splitmix64_mix(z: int) -> int:
    """SplitMix64's mix of the state ``z`` (a uint64), as a uint64."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def jumpback(h: int, n: int) -> int:
    """The bucket, in ``[0, n)``, of the uint64 ``h``, for n in [1, 2**31-1].

    The random values are SplitMix64's, from the state ``h``.  Bit lo of x
    (a power of two below n) says whether the key, with 2*lo buckets, is in
    their upper half [lo, 2*lo): for a uniform bucket, a fair coin, one for
    each lo, all drawn at once from the first value r0 (its 32 low bits XOR
    its 32 high bits, masked to n - 1's bits).  The highest lo of x is
    where the key last jumped, among up to 2*lo buckets: its bucket there is
    drawn from r0's own bits (its low half when x has an even number of
    bits, its high half when odd), and kept if it is below n.  Else more
    values are drawn, two 32-bit candidates in [0, 2*lo) each: one below lo
    says the key's last jump was below lo (go on to the next lower bit of
    x), one in [lo, n) is the answer, one in [n, 2*lo) is drawn again.  With
    no bit of x left, the bucket is 0.
    """
    state = (h + GOLDEN_GAMMA) & _MASK64
    r0 = splitmix64_mix(state)
    x = ((r0 ^ (r0 >> 32)) & _MASK32) & ((1 << (n - 1).bit_length()) - 1)
    odd = bin(x).count("1") & 1
    while x:
        lo = 1 << (x.bit_length() - 1)
        w = r0 >> 32 if odd else r0 & _MASK32
        b = lo + (w & (lo - 1))
        if b < n:
            return b
        hi = 2 * lo - 1
        while True:
            state = (state + GOLDEN_GAMMA) & _MASK64
            r1 = splitmix64_mix(state)
            b = r1 & hi  # the low half: hi < 2**31
            if b < lo:
                break
            if b < n:
                return b
            b = (r1 >> 32) & hi
            if b < lo:
                break
            if b < n:
                return b
        x ^= lo  # one bit fewer: the parity flips
        odd ^= 1
    return 0
