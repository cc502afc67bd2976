/* The SSE2 batch kernel, for x86: 12 keys in flight as 6 pairs of doubles.
 * No Python here: the header compiles alone as C99 (to nothing where the
 * target has no SSE2). */
#ifndef RVH_KERNELS_SSE2_H
#define RVH_KERNELS_SSE2_H

#include <stddef.h>
#include <stdint.h>

#include "../jump.h"
#include "../platform.h" /* RVH_SSE2 */
#include "common.h"

#if RVH_SSE2
#include <emmintrin.h>

/* 12 keys in flight, as 6 pairs of doubles: enough independent chains to
 * keep the divider busy, few enough that the state stays in registers.
 * (rvh_sse2_loop writes out its 6 pairs by hand.) */
#define RVH_SSE2_PAIRS 6
#define RVH_SSE2_LANES (2 * RVH_SSE2_PAIRS)

/* Hash keys[0..count) into out[0..count).
 *
 * A lane holds a key (before its next step), the slot of out it belongs to,
 * and p, its last product (b + 1) * q, held as a double; floor(p) is j.  A
 * new key starts at p = 0, which is the loop's b = -1, j = 0.  One round
 * does, for each pair of lanes, exactly the loop's operations:
 *
 *   b     = (int32) p            p < n <= 2**31 - 1, so truncation is exact
 *   b + 1 = (double) b + 1.0     exact
 *   key   = key * MULT + 1       in scalar 64-bit registers
 *   q     = 2**31 / ((double)(int32)(key >> 33) + 1.0)
 *                                key >> 33 < 2**31: the divisor is exactly
 *                                (double)((key >> 33) + 1); divpd rounds once,
 *                                like divsd
 *   p     = (b + 1) * q          mulpd rounds once, like mulsd
 *   done  = p >= n               for an integer n, floor(p) < n iff p < n, so
 *                                the loop's test j < n is decided on p
 *
 * There is no branch on which lanes finished (a lane finishes about once in
 * ln n rounds, at random, so such a branch is mispredicted most of the
 * time): every round each lane stores its b into its own key's slot, and
 * the store of the finishing round, which is the answer, is the last one.
 * A finished lane then takes the next key and p = 0 by selects.
 *
 * Guava's loop (jump_guava.h) differs in two operations of the round, and
 * keeps the rest:
 *
 *   d     = (double)(((key >> 33) + 1) & (2**31 - 1))
 *   p     = (b + 1) / (d * 2**-31)               d * 2**-31 is exact; divpd
 *                                                rounds once, like Java's /
 *
 * Where Java's int d wraps to -2**31, its step is negative and its loop
 * ends; here d is 0 instead, p is +infinity, and the same test p >= n ends
 * the lane.  (The division by zero only raises the sticky divide-by-zero
 * flag, which no one reads; traps are masked, as by default.)
 */
RVH_ALWAYS_INLINE void rvh_sse2_pair(const uint64_t *keys, ptrdiff_t *next, int64_t *out,
                                     uint64_t *k, ptrdiff_t *slot, __m128d *p, __m128d limit,
                                     const int guava) {
    const __m128d one = _mm_set1_pd(1.0);
    uint64_t k0 = k[0] * RVH_JUMP_MULT + 1;
    uint64_t k1 = k[1] * RVH_JUMP_MULT + 1;
    __m128i b = _mm_cvttpd_epi32(*p);
    __m128d b_plus_1 = _mm_add_pd(_mm_cvtepi32_pd(b), one);
    __m128i high = _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)(k0 >> 33)),
                                      _mm_cvtsi32_si128((int)(k1 >> 33)));
    __m128d product, done;
    __m128i b64;
    int mask, done0, done1;
    if (guava) {
        __m128i d = _mm_and_si128(_mm_add_epi32(high, _mm_set1_epi32(1)),
                                  _mm_set1_epi32(0x7FFFFFFF));
        product = _mm_div_pd(b_plus_1,
                             _mm_mul_pd(_mm_cvtepi32_pd(d), _mm_set1_pd(1.0 / 2147483648.0)));
    } else {
        __m128d divisor = _mm_add_pd(_mm_cvtepi32_pd(high), one);
        product = _mm_mul_pd(b_plus_1, _mm_div_pd(_mm_set1_pd(2147483648.0), divisor));
    }
    done = _mm_cmpge_pd(product, limit);
    mask = _mm_movemask_pd(done);
    done0 = mask & 1;
    done1 = mask >> 1;
    b64 = _mm_unpacklo_epi32(b, _mm_setzero_si128()); /* b >= 0 */
    _mm_storel_epi64((__m128i *)(out + slot[0]), b64);
    _mm_storel_epi64((__m128i *)(out + slot[1]), _mm_unpackhi_epi64(b64, b64));
    *p = _mm_andnot_pd(done, product); /* finished lanes restart at 0 */
    rvh_lane_take(keys, next, &k[0], &slot[0], k0, done0);
    rvh_lane_take(keys, next, &k[1], &slot[1], k1, done1);
}

RVH_ALWAYS_INLINE void rvh_sse2_loop(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                     int64_t *out, const int guava) {
    uint64_t k[RVH_SSE2_LANES];
    ptrdiff_t slot[RVH_SSE2_LANES];
    __m128d p[RVH_SSE2_PAIRS];
    double last[RVH_SSE2_LANES];
    const __m128d limit = _mm_set1_pd((double)n);
    ptrdiff_t next;
    int l;
    if (count < 2 * RVH_SSE2_LANES) {
        rvh_jump_keys_scalar(keys, count, n, out, guava);
        return;
    }
    for (l = 0; l < RVH_SSE2_LANES; l++) {
        k[l] = keys[l];
        slot[l] = l;
    }
    for (l = 0; l < RVH_SSE2_PAIRS; l++) p[l] = _mm_setzero_pd();
    next = RVH_SSE2_LANES;
    /* A round takes at most RVH_SSE2_LANES new keys, so keys[next] stays in
     * bounds while it runs; the last keys are finished below.  The pairs are
     * written out one by one (not left to a loop the compiler may or may not
     * unroll), so that their state stays in registers. */
    while (next <= count - RVH_SSE2_LANES) {
#define RVH_SSE2_PAIR(l) rvh_sse2_pair(keys, &next, out, k + 2 * (l), slot + 2 * (l), &p[l], limit, guava)
        RVH_SSE2_PAIR(0);
        RVH_SSE2_PAIR(1);
        RVH_SSE2_PAIR(2);
        RVH_SSE2_PAIR(3);
        RVH_SSE2_PAIR(4);
        RVH_SSE2_PAIR(5);
#undef RVH_SSE2_PAIR
    }
    /* The keys still in flight continue from j = floor(p) < n (their b is
     * not needed: the loop runs at least once more); the rest start fresh. */
    for (l = 0; l < RVH_SSE2_PAIRS; l++) _mm_storeu_pd(last + 2 * l, p[l]);
    for (l = 0; l < RVH_SSE2_LANES; l++) {
        out[slot[l]] = rvh_jump_from_variant(k[l], (int64_t)last[l], n, guava);
    }
    rvh_jump_keys_scalar(keys + next, count - next, n, out + next, guava);
}

static inline void rvh_jump_keys_sse2(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out) {
    rvh_sse2_loop(keys, count, n, out, 0);
}

static inline void rvh_jump_keys_sse2_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                            int64_t *out) {
    rvh_sse2_loop(keys, count, n, out, 1);
}
#endif

#endif /* RVH_KERNELS_SSE2_H */
