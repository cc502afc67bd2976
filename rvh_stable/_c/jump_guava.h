/* Guava's variant of the jump loop: Hashing.consistentHash(long, int).
 *
 * Guava's loop, as its results show (tests/data/interop_guava_consistent.csv,
 * recorded from Guava 31.1), differs from the paper's in three ways:
 *
 *   candidate = 0; state = key;
 *   for (;;) {
 *       state = state * 2862933555777941757 + 1;
 *       d = (int) (state >>> 33) + 1;        Java int: 2**31 wraps to -2**31
 *       next = (int) ((candidate + 1) / (d / 2**31));
 *       if (next < 0 || next >= n) return candidate;
 *       candidate = next;
 *   }
 *
 * - one rounding: d / 2**31 is exact (a power of two), so the step is the
 *   division (candidate + 1) * 2**31 / d rounded once, where the paper
 *   rounds the quotient and then the product: when the exact step is an
 *   integer m, Guava lands on m and the paper, rounding down, may not;
 * - the int overflow: d = (state >>> 33) + 1 = 2**31 wraps to -2**31, the
 *   step is negative, and the loop ends where the paper's goes on;
 * - Java's saturating cast from double to int (never decisive here: the
 *   saturated value, 2**31 - 1, is never below n).
 *
 * No Python here: the header compiles alone as C99.
 */
#ifndef RVH_JUMP_GUAVA_H
#define RVH_JUMP_GUAVA_H

#include <stddef.h>
#include <stdint.h>

#include "jump.h" /* RVH_JUMP_MULT */

/* Java's (int) of a double: NaN -> 0, saturating at both ends. */
static inline int64_t rvh_java_d2i(double x) {
    if (x != x) return 0;
    if (x >= 2147483647.0) return 2147483647;
    if (x <= -2147483648.0) return -2147483647 - 1;
    return (int64_t)x;
}

/* Guava's bucket of a 64-bit key, in [0, n), for n >= 1. */
static inline int32_t rvh_jump_guava(uint64_t key, int32_t n) {
    int64_t candidate = 0, next;
    for (;;) {
        key = key * RVH_JUMP_MULT + 1;
        /* As Java computes (int) (state >>> 33) + 1: the sum wraps at 2**31. */
        int64_t d = (int64_t)(key >> 33) + 1;
        if (d == 2147483648LL) d = -2147483648LL;
        next = rvh_java_d2i((double)(candidate + 1) / ((double)d / 2147483648.0));
        if (next < 0 || next >= n) return (int32_t)candidate;
        candidate = next;
    }
}

/* Guava's buckets of keys[0..count), one key after another (a batch kernel's
 * signature; no SIMD form yet). */
static inline void rvh_jump_keys_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                       int64_t *out) {
    ptrdiff_t i;
    for (i = 0; i < count; i++) out[i] = rvh_jump_guava(keys[i], n);
}

#endif /* RVH_JUMP_GUAVA_H */
