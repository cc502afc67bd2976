/* JumpBackHash (O. Ertl, 2024, arXiv 2403.18682) as hash4j computes it
 * with SplitMix64: the compiled twin of rvh_stable/_jumpback.py, which is
 * the readable specification and says why each step is what it is.  Its
 * answers, recorded from hash4j, are tests/data/jumpback_hash4j.csv.
 *
 * Every value here is unsigned, and no shift's count depends on the input:
 * n - 1's bit mask and x's highest bit are found by folding (x |= x >> 1,
 * ...) or by the compiler's count of leading zeros of a nonzero word, so a
 * shift by 32 (undefined in C on a 32-bit word, and what a mask computed as
 * 0xFFFFFFFF >> clz(n - 1) does for n = 1) never happens.  No Python here:
 * the header compiles alone as C99.
 */
#ifndef RVH_JUMPBACK_H
#define RVH_JUMPBACK_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h" /* RVH_GNU_C */
#include "splitmix64.h"

/* Every bit of v at or below its highest set bit (0 for v = 0). */
static inline uint32_t rvh_jumpback_mask(uint32_t v) {
    v |= v >> 1;
    v |= v >> 2;
    v |= v >> 4;
    v |= v >> 8;
    return v | v >> 16;
}

/* The highest set bit of x != 0, as a value, and whether x has an odd
 * number of set bits: by folding, for every compiler (and the tests)... */
static inline uint32_t rvh_jumpback_top_folded(uint32_t x) {
    x = rvh_jumpback_mask(x);
    return x ^ (x >> 1);
}

static inline uint32_t rvh_jumpback_odd_folded(uint32_t x) {
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    return (0x6996u >> (x & 15u)) & 1u;
}

/* ... and by one instruction where the compiler has them. */
static inline uint32_t rvh_jumpback_top(uint32_t x) {
#if RVH_GNU_C
    return (uint32_t)0x80000000u >> __builtin_clz(x); /* x != 0: a count in [0, 31] */
#else
    return rvh_jumpback_top_folded(x);
#endif
}

static inline uint32_t rvh_jumpback_odd(uint32_t x) {
#if RVH_GNU_C
    return (uint32_t)__builtin_parity(x);
#else
    return rvh_jumpback_odd_folded(x);
#endif
}

/* The bucket of h among n buckets, n in [1, 2**31-1], with mask =
 * rvh_jumpback_mask(n - 1) (a batch computes it once). */
static inline int32_t rvh_jumpback_masked(uint64_t h, uint32_t n, uint32_t mask) {
    uint64_t state = h + RVH_SPLITMIX64_GAMMA;
    const uint64_t r0 = rvh_splitmix64_mix(state);
    uint32_t x = (uint32_t)(r0 ^ (r0 >> 32)) & mask;
    uint32_t odd = rvh_jumpback_odd(x);
    while (x != 0) {
        const uint32_t lo = rvh_jumpback_top(x);
        const uint32_t w = odd ? (uint32_t)(r0 >> 32) : (uint32_t)r0;
        const uint32_t hi = 2 * lo - 1; /* lo <= 2**30: no overflow */
        uint32_t b = lo + (w & (lo - 1));
        if (b < n) return (int32_t)b;
        for (;;) {
            uint64_t r1;
            state += RVH_SPLITMIX64_GAMMA;
            r1 = rvh_splitmix64_mix(state);
            b = (uint32_t)r1 & hi;
            if (b < lo) break;
            if (b < n) return (int32_t)b;
            b = (uint32_t)(r1 >> 32) & hi;
            if (b < lo) break;
            if (b < n) return (int32_t)b;
        }
        x ^= lo;
        odd ^= 1;
    }
    return 0;
}

/* The bucket of the 64-bit key h, in [0, n), for n in [1, 2**31-1]. */
static inline int32_t rvh_jumpback(uint64_t h, int32_t n) {
    return rvh_jumpback_masked(h, (uint32_t)n, rvh_jumpback_mask((uint32_t)n - 1));
}

/* The batch function (kernels/table.h's rvh_batch_fn): keys[0..count) into
 * out[0..count).  A plain loop: each key's walk is short (1.67 values on
 * average) and branchy, and the CPU overlaps consecutive keys' first values
 * by itself.  Measured on AMD EPYC (Zen 1) against two two-pass loops
 * (every key's first value without a branch, then the walk, or only the
 * draws at the top level, of the keys it left; the second rests on the
 * walk ending at the first level below the top bit of n - 1, whose
 * candidates are all below n): both were slower at n = 10, 17 and 1025,
 * where this loop's branches go either way at random, and the second one
 * twice as slow at n = 10**6, so neither was kept.  Nor did SIMD help:
 * the second one's first pass compiled with -mavx2 (the compiler's vectors
 * of SplitMix64, whose 64-bit multiplies AVX2 must build from 32-bit ones)
 * was as slow as without.  Hand-written AVX2 or AVX-512 lanes were not
 * tried. */
static inline void rvh_jumpback_keys(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                     int64_t *out) {
    const uint32_t mask = rvh_jumpback_mask((uint32_t)n - 1);
    ptrdiff_t i;
    for (i = 0; i < count; i++) out[i] = rvh_jumpback_masked(keys[i], (uint32_t)n, mask);
}

#endif /* RVH_JUMPBACK_H */
