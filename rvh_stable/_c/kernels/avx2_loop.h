/* The AVX2 kernel's loop, included twice by avx2.h: once dividing
 * (RVH_AVX2_LOOP_RCP 0, compiled for AVX2) and once by the exact reciprocal
 * (1, compiled for AVX2 and FMA).  Two copies rather than one function with
 * a flag, because GCC inlines an FMA helper only into a function compiled
 * for FMA, and the dividing kernel must run on an AVX2 CPU without FMA.
 * No include guard, on purpose; avx2.h defines RVH_AVX2_LOOP_NAME,
 * RVH_AVX2_LOOP_ISA and RVH_AVX2_LOOP_RCP before each inclusion, and this
 * file undefines them. */
#ifndef RVH_AVX2_LOOP_NAME
/* Opened alone (as the structure test compiles each header): the header
 * that includes this one, twice. */
#include "avx2.h"
#else
/* RVH_AVX2_LOOP_NAME: hash keys[0..count) into out[0..count), by the
 * paper's loop or Guava's, dividing (RVH_AVX2_LOOP_RCP 0) or by the exact
 * reciprocal (1).  Batches too short to fill the lanes a few times go to
 * the SSE2 kernel. */
RVH_TARGET_INLINE(RVH_AVX2_LOOP_ISA)
void RVH_AVX2_LOOP_NAME(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out,
                        const int guava) {
    __m256i key[RVH_AVX2_GROUPS], slot[RVH_AVX2_GROUPS];
    __m256d j[RVH_AVX2_GROUPS];
    int64_t done_slot[RVH_AVX2_BUFFER + RVH_AVX2_LANES];
    double done_j[RVH_AVX2_BUFFER + RVH_AVX2_LANES];
    double lane_j[4];
    int64_t lane_key[4], lane_slot[4];
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d frozen = _mm256_set1_pd(4294967296.0); /* 2**32 */
    const __m256d limit = _mm256_set1_pd((double)n);
    const __m256i iota = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i one64 = _mm256_set1_epi64x(1);
    const __m256i low31 = _mm256_set1_epi64x(0x7FFFFFFF);
    /* (x | bits of 2**52) as a double is 2**52 + x, exactly, for x < 2**52;
     * with the bits of 2**21, it is 2**21 + x / 2**31. */
#if !RVH_AVX2_LOOP_RCP
    const __m256d two31 = _mm256_set1_pd(2147483648.0);
    const __m256i bits52 = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52_minus_1 = _mm256_set1_pd(4503599627370495.0);
#endif
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
#if RVH_AVX2_LOOP_RCP
                if (guava) { /* (j + 1) / (d / 2**31), by the reciprocal (avx2.h) */
                    p = rvh_avx2_guava_quotient(
                        _mm256_add_pd(j[g], one),
                        _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(
                                          _mm256_and_si256(_mm256_add_epi64(
                                                               _mm256_srli_epi64(key[g], 33), one64),
                                                           low31),
                                          bits21)),
                                      two21));
                } else { /* (j + 1) * RN(1 / (d / 2**31)), d = (key >> 33) + 1: 2**31 / d */
                    p = _mm256_mul_pd(
                        _mm256_add_pd(j[g], one),
                        rvh_avx2_reciprocal(_mm256_sub_pd(
                            _mm256_castsi256_pd(_mm256_or_si256(
                                _mm256_add_epi64(_mm256_srli_epi64(key[g], 33), one64), bits21)),
                            two21)));
                }
#else
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
#endif
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

#undef RVH_AVX2_LOOP_NAME
#undef RVH_AVX2_LOOP_ISA
#undef RVH_AVX2_LOOP_RCP
#endif
