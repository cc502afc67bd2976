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
 * rvh_guava_next is that step, written as Guava writes it.  The loop of
 * one key (rvh_jump_guava) takes a quicker step with the same results; the
 * batch kernels (kernels/) compute Guava's step itself, for many keys at
 * once.
 *
 * No Python here: the header compiles alone as C99.
 */
#ifndef RVH_JUMP_GUAVA_H
#define RVH_JUMP_GUAVA_H

#include <stddef.h>
#include <stdint.h>

#include "jump.h" /* RVH_JUMP_MULT, rvh_next_j */

/* Java's (int) of a double: NaN -> 0, saturating at both ends. */
static inline int64_t rvh_java_d2i(double x) {
    if (x != x) return 0;
    if (x >= 2147483647.0) return 2147483647;
    if (x <= -2147483648.0) return -2147483647 - 1;
    return (int64_t)x;
}

/* Guava's step: the candidate after c, for the already advanced state. */
static inline int64_t rvh_guava_next(uint64_t state, int64_t c) {
    /* As Java computes (int) (state >>> 33) + 1: the sum wraps at 2**31. */
    int64_t d = (int64_t)(state >> 33) + 1;
    if (d == 2147483648LL) d = -2147483648LL;
    return rvh_java_d2i((double)(c + 1) / ((double)d / 2147483648.0));
}

/* Guava's step again, for the loop of one key: the same result, or where
 * the result is 2**31 - 1 or more, another that is too (either ends the
 * loop, as no n exceeds 2**31 - 1).
 *
 * In Guava's loop the division (c + 1) / (d / 2**31) is on the chain from
 * one candidate to the next and sets the pace.  So this step first takes
 * the paper's product p = (c + 1) * (2**31 / d), whose division depends on
 * the state alone and overlaps the previous step, and answers floor(p) when
 * p is clearly inside (floor(p), floor(p) + 1); otherwise, about once in
 * 2**18 steps, it takes Guava's step itself.  The two agree: with x the
 * exact (c + 1) * 2**31 / d >= 1 and u = 2**-53, |p - x| <= (2 + u) u x,
 * and Guava's rounded quotient g has |g - x| <= u x, so |g - p| < 4 u p =
 * 2**-51 p, which is below 2**-20 while p < 2**31.  There, if p's fraction
 * p - floor(p) (exact, as p >= 1) is within (2**-19, 1 - 2**-19), g lies
 * strictly between floor(p) and floor(p) + 1, and (int) g = floor(p).  From
 * p >= 2**31 on, g >= 2**31 - 1 too, and both end the loop.  Where d wraps
 * (d = 2**31), p = c + 1 is an integer, and Guava's step decides.
 * tests/c/guava_check.c holds this to rvh_guava_next on steps built to land
 * on and next to integers. */
static inline int64_t rvh_guava_next_quick(uint64_t state, int64_t c) {
    double p = (double)(c + 1) * (2147483648.0 / (double)(int64_t)((state >> 33) + 1));
    int64_t next = (int64_t)p; /* 1 <= p < 2**62 */
    double frac = p - (double)next;
    if (frac > 0x1p-19 && frac < 1.0 - 0x1p-19) return next;
    return rvh_guava_next(state, c);
}

/* The rest of one key's loop from candidate c and state, as Guava runs it. */
static inline int32_t rvh_jump_guava_from(uint64_t state, int64_t c, int32_t n) {
    int64_t next;
    for (;;) {
        state = state * RVH_JUMP_MULT + 1;
        next = rvh_guava_next_quick(state, c);
        if (next < 0 || next >= n) return (int32_t)c;
        c = next;
    }
}

/* Guava's bucket of a 64-bit key, in [0, n), for n >= 1. */
static inline int32_t rvh_jump_guava(uint64_t key, int32_t n) {
    return rvh_jump_guava_from(key, 0, n);
}

/* Guava's loop exactly as Guava writes it, step by step: the definition
 * rvh_jump_guava is held to (tests/c/guava_check.c). */
static inline int32_t rvh_jump_guava_plain(uint64_t key, int32_t n) {
    int64_t candidate = 0, next;
    for (;;) {
        key = key * RVH_JUMP_MULT + 1;
        next = rvh_guava_next(key, candidate);
        if (next < 0 || next >= n) return (int32_t)candidate;
        candidate = next;
    }
}

#endif /* RVH_JUMP_GUAVA_H */
