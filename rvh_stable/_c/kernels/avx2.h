/* The AVX2 batch kernel, for x86-64: 16 keys in flight as 4 groups of 4
 * doubles.  Most x86 machines in use have AVX2 but not AVX-512 (AMD Zen 2
 * and 3, Intel client CPUs since Alder Lake).  The wheel's baseline stays
 * SSE2: this kernel is compiled for AVX2 alone (a target attribute on GCC
 * and clang; MSVC compiles AVX2 intrinsics without one) and used only where
 * the CPU has AVX2 and the OS saves the YMM registers (rvh_cpu_has_avx2 in
 * ../platform.h, asked once at import).  No Python here: the header
 * compiles alone as C99 (to nothing where it cannot be built).
 *
 * Each lane computes the jump loop's own operations (jump.h), or Guava's
 * (jump_guava.h), in the same order and rounding (the avx2-rcp kernel
 * reaches each quotient without dividing, the same bits: see below); only
 * the bookkeeping is the kernel's:
 *
 * - A lane's state is its key and j, as a double (exact: j < 2**31).  A
 *   step computes p = (j + 1) * (2**31 / d), and j becomes trunc(p) while
 *   p < n.
 * - Lanes run RVH_AVX2_ROUNDS steps between two looks at them, with no
 *   branch: a lane whose loop has ended is frozen, and takes a new key at
 *   the next look.  Frozen costs no register: an ending lane's j (its
 *   answer b) becomes b + 2**32, and stays frozen since every later p is
 *   at least j + 1 > n (2**31 / d >= 1, and Guava's (j + 1) / (d / 2**31)
 *   >= j + 1); each later step adds 2**32 again, exactly (j stays below
 *   2**53), so b is the low 32 bits of the final j.
 * - At a look, the frozen lanes' (slot, j) pairs are compressed into a
 *   buffer, written out every few looks, and new keys are expanded into
 *   those lanes.  AVX2 has no compress or expand: both are dword
 *   permutations looked up by the 4-bit mask of frozen lanes.
 */
#ifndef RVH_KERNELS_AVX2_H
#define RVH_KERNELS_AVX2_H

#include <stddef.h>
#include <stdint.h>

#include "../platform.h" /* RVH_AVX2, RVH_TARGET */
#include "sse2.h"

#if RVH_AVX2
#include <immintrin.h>

#define RVH_AVX2_ISA "avx2,popcnt"
#define RVH_AVX2_INLINE RVH_TARGET_INLINE(RVH_AVX2_ISA)

/* 4 groups of 4 lanes: enough to cover the step's latency, few enough that
 * the state stays mostly in the 16 YMM registers. */
#define RVH_AVX2_GROUPS 4
#define RVH_AVX2_LANES (4 * RVH_AVX2_GROUPS)
/* Steps between two looks at the lanes: each look costs about one step's
 * work, and a lane that ends just after a look idles until the next. */
#define RVH_AVX2_ROUNDS 4
/* Frozen (slot, j) pairs are written out once this many have gathered. */
#define RVH_AVX2_BUFFER 256

/* key * MULT + 1 in each 64-bit lane.  AVX2 has no 64-bit multiply: with
 * key = H * 2**32 + L and MULT = MH * 2**32 + ML, the product modulo 2**64
 * is L * ML + ((H * ML + L * MH) mod 2**32) * 2**32.  vpmulld forms
 * L * MH and H * ML (mod 2**32) in the two dwords of each lane at once. */
RVH_AVX2_INLINE __m256i rvh_avx2_step_keys(__m256i key) {
    const __m256i mult_swapped =
        _mm256_set1_epi64x((long long)((RVH_JUMP_MULT >> 32) | (RVH_JUMP_MULT << 32)));
    const __m256i mult_lo = _mm256_set1_epi64x((long long)(RVH_JUMP_MULT & 0xFFFFFFFFu));
    const __m256i high_dword = _mm256_set1_epi64x((long long)0xFFFFFFFF00000000ULL);
    __m256i cross = _mm256_mullo_epi32(key, mult_swapped); /* [L * MH, H * ML] */
    cross = _mm256_and_si256(_mm256_add_epi32(cross, _mm256_slli_epi64(cross, 32)), high_dword);
    return _mm256_add_epi64(_mm256_add_epi64(_mm256_mul_epu32(key, mult_lo), cross),
                            _mm256_set1_epi64x(1));
}

/* AVX-512's compress and expand, for four 64-bit lanes, as dword
 * permutations looked up by the 4-bit mask of the lanes concerned (bit i:
 * lane i): compress moves the masked lanes, in order, to the front; expand
 * moves the first lanes, in order, to the masked places.  The other dwords
 * take lane 0's (they are never used).  Constant, so that threads running
 * the kernel at once share them without a first-use race. */
static const struct {
    int32_t compress[16][8];
    int32_t expand[16][8];
} rvh_avx2_permutes = {
    {
        {0, 1, 0, 1, 0, 1, 0, 1}, /* 0000 */
        {0, 1, 0, 1, 0, 1, 0, 1}, /* 0001 */
        {2, 3, 0, 1, 0, 1, 0, 1}, /* 0010 */
        {0, 1, 2, 3, 0, 1, 0, 1}, /* 0011 */
        {4, 5, 0, 1, 0, 1, 0, 1}, /* 0100 */
        {0, 1, 4, 5, 0, 1, 0, 1}, /* 0101 */
        {2, 3, 4, 5, 0, 1, 0, 1}, /* 0110 */
        {0, 1, 2, 3, 4, 5, 0, 1}, /* 0111 */
        {6, 7, 0, 1, 0, 1, 0, 1}, /* 1000 */
        {0, 1, 6, 7, 0, 1, 0, 1}, /* 1001 */
        {2, 3, 6, 7, 0, 1, 0, 1}, /* 1010 */
        {0, 1, 2, 3, 6, 7, 0, 1}, /* 1011 */
        {4, 5, 6, 7, 0, 1, 0, 1}, /* 1100 */
        {0, 1, 4, 5, 6, 7, 0, 1}, /* 1101 */
        {2, 3, 4, 5, 6, 7, 0, 1}, /* 1110 */
        {0, 1, 2, 3, 4, 5, 6, 7}, /* 1111 */
    },
    {
        {0, 1, 0, 1, 0, 1, 0, 1}, /* 0000 */
        {0, 1, 0, 1, 0, 1, 0, 1}, /* 0001 */
        {0, 1, 0, 1, 0, 1, 0, 1}, /* 0010 */
        {0, 1, 2, 3, 0, 1, 0, 1}, /* 0011 */
        {0, 1, 0, 1, 0, 1, 0, 1}, /* 0100 */
        {0, 1, 0, 1, 2, 3, 0, 1}, /* 0101 */
        {0, 1, 0, 1, 2, 3, 0, 1}, /* 0110 */
        {0, 1, 2, 3, 4, 5, 0, 1}, /* 0111 */
        {0, 1, 0, 1, 0, 1, 0, 1}, /* 1000 */
        {0, 1, 0, 1, 0, 1, 2, 3}, /* 1001 */
        {0, 1, 0, 1, 0, 1, 2, 3}, /* 1010 */
        {0, 1, 2, 3, 0, 1, 4, 5}, /* 1011 */
        {0, 1, 0, 1, 0, 1, 2, 3}, /* 1100 */
        {0, 1, 0, 1, 2, 3, 4, 5}, /* 1101 */
        {0, 1, 0, 1, 2, 3, 4, 5}, /* 1110 */
        {0, 1, 2, 3, 4, 5, 6, 7}, /* 1111 */
    },
};

/* --- the exact reciprocal (the avx2-rcp kernel) ---------------------------
 *
 * On CPUs whose divider is narrow (Intel's: the same time per double at
 * every vector width; AMD Zen 1's), the division waits on it.  For the
 * paper's loop the quotient is 2**31 / d, d an integer in [1, 2**31]: with
 * b = d / 2**31 (exact), that is RN(1 / b), which Newton's iteration with
 * FMA reaches from a float seed (_mm_rcp_ps: 12 bits): each step
 * e = 1 - b * y, y = y + y * e squares the relative error (12, 24, 48,
 * then below half an ulp but for rounding), and a step's two FMAs round
 * once each.  Whether the last y is RN(1 / b) for every d is not a theorem
 * here but a fact checked for all 2**31 divisors by
 * tools/reciprocal_check.sh (two steps are not enough: they leave 48 bits).
 *
 * Guava's step is (j + 1) / b, b = d / 2**31 with d in [0, 2**31): a
 * quotient of two numbers, not a reciprocal.  Its exact replacement is
 * Markstein's: with y = RN(1 / b) (the same reciprocals, checked above)
 * and q = RN(a * y), within one ulp of a / b, the remainder
 * r = a - b * q is exact in one FMA and RN(q + r * y) = RN(a / b)
 * (Markstein 1990; Muller et al., Handbook of Floating-Point Arithmetic,
 * the theorem on division by Newton-Raphson with FMA).  The check tool also
 * compares it with the division for every d, at a numerator that moves
 * with d.  d = 0 (Java's int wrapping) divides by zero in Guava: +inf,
 * p >= n, the key's loop ends.  Here b becomes 2**-32 instead: p is then
 * about (j + 1) * 2**32, also >= n, and the loop ends the same way (the
 * lane's p is never used past that comparison). */
#define RVH_AVX2_FMA_ISA "avx2,fma,popcnt"

/* RN(1 / b) for b = d / 2**31, d an integer in [1, 2**31]. */
RVH_TARGET_INLINE(RVH_AVX2_FMA_ISA) __m256d rvh_avx2_reciprocal(__m256d b) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d y = _mm256_cvtps_pd(_mm_rcp_ps(_mm256_cvtpd_ps(b)));
    int step;
    for (step = 0; step < RVH_NEWTON_STEPS; step++) {
        y = _mm256_fmadd_pd(y, _mm256_fnmadd_pd(b, y, one), y);
    }
    return y;
}

/* RN(a / b) for b = d / 2**31, d an integer in [1, 2**31), and a >= 1 an
 * integer below 2**53; for b = 0 (d = 0), about a * 2**32 (see above). */
RVH_TARGET_INLINE(RVH_AVX2_FMA_ISA) __m256d rvh_avx2_guava_quotient(__m256d a, __m256d b) {
    const __m256d nonzero_b = _mm256_max_pd(b, _mm256_set1_pd(1.0 / 4294967296.0));
    const __m256d y = rvh_avx2_reciprocal(nonzero_b);
    const __m256d q = _mm256_mul_pd(a, y);
    return _mm256_fmadd_pd(_mm256_fnmadd_pd(nonzero_b, q, a), y, q);
}

#define RVH_AVX2_LOOP_NAME rvh_avx2_loop
#define RVH_AVX2_LOOP_ISA RVH_AVX2_ISA
#define RVH_AVX2_LOOP_RCP 0
#include "avx2_loop.h"

#define RVH_AVX2_LOOP_NAME rvh_avx2_rcp_loop
#define RVH_AVX2_LOOP_ISA RVH_AVX2_FMA_ISA
#define RVH_AVX2_LOOP_RCP 1
#include "avx2_loop.h"

RVH_TARGET(RVH_AVX2_ISA)
static inline void rvh_jump_keys_avx2(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                      int64_t *out) {
    rvh_avx2_loop(keys, count, n, out, 0);
}

RVH_TARGET(RVH_AVX2_ISA)
static inline void rvh_jump_keys_avx2_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                            int64_t *out) {
    rvh_avx2_loop(keys, count, n, out, 1);
}

RVH_TARGET(RVH_AVX2_FMA_ISA)
static inline void rvh_jump_keys_avx2_rcp(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                          int64_t *out) {
    rvh_avx2_rcp_loop(keys, count, n, out, 0);
}

RVH_TARGET(RVH_AVX2_FMA_ISA)
static inline void rvh_jump_keys_avx2_rcp_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                                int64_t *out) {
    rvh_avx2_rcp_loop(keys, count, n, out, 1);
}
#endif

#endif /* RVH_KERNELS_AVX2_H */
