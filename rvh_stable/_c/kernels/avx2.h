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
 * (jump_guava.h), in the same order and rounding; only the bookkeeping is
 * the kernel's:
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

/* Hash keys[0..count) into out[0..count), by the paper's loop or Guava's.
 * Batches too short to fill the lanes a few times go to the SSE2 kernel. */
RVH_AVX2_INLINE void rvh_avx2_loop(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out,
                                   const int guava) {
    __m256i key[RVH_AVX2_GROUPS], slot[RVH_AVX2_GROUPS];
    __m256d j[RVH_AVX2_GROUPS];
    int64_t done_slot[RVH_AVX2_BUFFER + RVH_AVX2_LANES];
    double done_j[RVH_AVX2_BUFFER + RVH_AVX2_LANES];
    double lane_j[4];
    int64_t lane_key[4], lane_slot[4];
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d two31 = _mm256_set1_pd(2147483648.0);
    const __m256d frozen = _mm256_set1_pd(4294967296.0); /* 2**32 */
    const __m256d limit = _mm256_set1_pd((double)n);
    const __m256i iota = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i one64 = _mm256_set1_epi64x(1);
    const __m256i low31 = _mm256_set1_epi64x(0x7FFFFFFF);
    /* (x | bits of 2**52) as a double is 2**52 + x, exactly, for x < 2**52;
     * with the bits of 2**21, it is 2**21 + x / 2**31. */
    const __m256i bits52 = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52_minus_1 = _mm256_set1_pd(4503599627370495.0);
    const __m256i bits21 = _mm256_set1_epi64x(0x4140000000000000LL);
    const __m256d two21 = _mm256_set1_pd(2097152.0);
    ptrdiff_t next = RVH_AVX2_LANES;
    int buffered = 0, g, r, l;
    if (count < 4 * RVH_AVX2_LANES) {
        rvh_sse2_loop(keys, count, n, out, guava);
        return;
    }
    for (g = 0; g < RVH_AVX2_GROUPS; g++) {
        key[g] = _mm256_loadu_si256((const __m256i *)(keys + 4 * g));
        slot[g] = _mm256_add_epi64(iota, _mm256_set1_epi64x(4 * g));
        j[g] = _mm256_setzero_pd();
    }
    /* While keys remain: RVH_AVX2_ROUNDS steps, then a look at each group
     * (a look takes at most RVH_AVX2_LANES keys: keys[next + 3] stays in
     * bounds). */
    while (next <= count - RVH_AVX2_LANES) {
        for (r = 0; r < RVH_AVX2_ROUNDS; r++) {
            RVH_UNROLL(RVH_AVX2_GROUPS)
            for (g = 0; g < RVH_AVX2_GROUPS; g++) {
                __m256d p;
                key[g] = rvh_avx2_step_keys(key[g]);
                if (guava) { /* (j + 1) / (d / 2**31), d = 0 where Java's int d wraps: p = +inf */
                    __m256i d = _mm256_and_si256(
                        _mm256_add_epi64(_mm256_srli_epi64(key[g], 33), one64), low31);
                    p = _mm256_div_pd(
                        _mm256_add_pd(j[g], one),
                        _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(d, bits21)), two21));
                } else { /* (j + 1) * (2**31 / ((key >> 33) + 1)) */
                    __m256d d = _mm256_sub_pd(
                        _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(key[g], 33), bits52)),
                        two52_minus_1);
                    p = _mm256_mul_pd(_mm256_add_pd(j[g], one), _mm256_div_pd(two31, d));
                }
                /* p - n < 0 (its sign is exact): the loop goes on from
                 * trunc(p); otherwise the lane is, or stays, frozen. */
                j[g] = _mm256_blendv_pd(_mm256_add_pd(j[g], frozen),
                                        _mm256_round_pd(p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC),
                                        _mm256_sub_pd(p, limit));
            }
        }
        RVH_UNROLL(RVH_AVX2_GROUPS)
        for (g = 0; g < RVH_AVX2_GROUPS; g++) {
            const __m256d is_frozen = _mm256_cmp_pd(j[g], frozen, _CMP_GE_OQ);
            const int mask = _mm256_movemask_pd(is_frozen);
            const int taken = (int)_mm_popcnt_u32((unsigned)mask);
            const __m256i compress = _mm256_loadu_si256((const __m256i *)rvh_avx2_permutes.compress[mask]);
            const __m256i expand = _mm256_loadu_si256((const __m256i *)rvh_avx2_permutes.expand[mask]);
            const __m256i fresh = _mm256_loadu_si256((const __m256i *)(keys + next));
            _mm256_storeu_si256((__m256i *)(done_slot + buffered),
                                _mm256_permutevar8x32_epi32(slot[g], compress));
            _mm256_storeu_pd(done_j + buffered,
                             _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(
                                 _mm256_castpd_si256(j[g]), compress)));
            buffered += taken;
            key[g] = _mm256_castpd_si256(
                _mm256_blendv_pd(_mm256_castsi256_pd(key[g]),
                                 _mm256_castsi256_pd(_mm256_permutevar8x32_epi32(fresh, expand)),
                                 is_frozen));
            slot[g] = _mm256_castpd_si256(_mm256_blendv_pd(
                _mm256_castsi256_pd(slot[g]),
                _mm256_castsi256_pd(_mm256_add_epi64(_mm256_permutevar8x32_epi32(iota, expand),
                                                     _mm256_set1_epi64x(next))),
                is_frozen));
            j[g] = _mm256_andnot_pd(is_frozen, j[g]); /* new keys start at j = 0 */
            next += taken;
        }
        if (buffered >= RVH_AVX2_BUFFER) {
            rvh_write_answers(out, done_slot, done_j, buffered);
            buffered = 0;
        }
    }
    rvh_write_answers(out, done_slot, done_j, buffered);
    /* The keys in flight: a frozen lane's answer is there; the others
     * continue one by one from their j.  Fewer keys than lanes are left:
     * the SSE2 kernel takes them. */
    for (g = 0; g < RVH_AVX2_GROUPS; g++) {
        _mm256_storeu_pd(lane_j, j[g]);
        _mm256_storeu_si256((__m256i *)lane_key, key[g]);
        _mm256_storeu_si256((__m256i *)lane_slot, slot[g]);
        for (l = 0; l < 4; l++) {
            out[lane_slot[l]] = lane_j[l] >= 4294967296.0
                ? (int64_t)lane_j[l] & 0xFFFFFFFF
                : rvh_jump_from_variant((uint64_t)lane_key[l], (int64_t)lane_j[l], n, guava);
        }
    }
    rvh_sse2_loop(keys + next, count - next, n, out + next, guava);
}

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
#endif

#endif /* RVH_KERNELS_AVX2_H */
