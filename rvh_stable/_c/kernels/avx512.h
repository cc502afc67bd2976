/* The AVX-512 batch kernel, for x86-64 built by GCC or clang: 64 keys in
 * flight.  The wheel's baseline stays SSE2; this one function is compiled
 * for AVX-512 (a target attribute) and used only where the CPU and the OS
 * support it (rvh_cpu_has_avx512 in ../platform.h, asked once at import).
 * No Python here: the header compiles alone as C99 (to nothing where it
 * cannot be built). */
#ifndef RVH_KERNELS_AVX512_H
#define RVH_KERNELS_AVX512_H

#include <stddef.h>
#include <stdint.h>

#include "../platform.h" /* RVH_AVX512, RVH_TARGET */
#include "sse2.h"

/* AVX-512 (F and DQ), where the compiler can build it for one function and
 * the CPU, asked at import, has it: 64 keys in flight as 8 groups of 8
 * doubles, with the key's 64-bit step in vector registers too.  Each lane
 * computes the SSE2 kernel's operations; only the bookkeeping differs, as
 * in the AVX2 kernel (avx2.h): lanes run RVH_Z_ROUNDS steps between
 * two looks, with no branch, a lane whose loop has ended dropping out of
 * its group's mask; at a look, the ended lanes' (slot, j) are compressed
 * into a small buffer, written out every few looks, and new keys are
 * expanded into those lanes.  RVH_NO_AVX512 leaves it out. */
#if RVH_AVX512
#include <immintrin.h>

#define RVH_AVX512_ISA "avx512f,avx512dq"
/* Unrolled (RVH_UNROLL), the groups' state stays in the 32 vector registers. */
#define RVH_Z_GROUPS 8
#define RVH_Z_LANES (8 * RVH_Z_GROUPS)
/* Steps between two looks at the lanes: of 2 to 8, 4 was the quickest on
 * AMD Zen 4 (each look costs about as much as a step, and a lane that ends
 * just after a look idles until the next). */
#define RVH_Z_ROUNDS 4
/* Ended (slot, j) pairs are written out once this many have gathered:
 * small, so that the kernel needs about 5 KB of stack. */
#define RVH_Z_BUFFER 256

/* The exact reciprocal and Guava's exact quotient, as in avx2.h (see its
 * comment for why they equal the division), from AVX-512's 14-bit seed:
 * three Newton steps (14, 28, 56 bits, then rounding).  For all 2**31
 * divisors tools/reciprocal_check.sh checks it, on a CPU with AVX-512
 * (issue 24's run on an Intel Sapphire Rapids: three steps exact, two
 * wrong for 2,483,241 divisors); vrcp14pd's result for d / 2**31 is its
 * result for d scaled by 2**31, exactly. */
RVH_TARGET_INLINE(RVH_AVX512_ISA) __m512d rvh_avx512_reciprocal(__m512d b) {
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d y = _mm512_rcp14_pd(b);
    int step;
    for (step = 0; step < RVH_NEWTON_STEPS; step++) { /* 3: avx2.h */
        y = _mm512_fmadd_pd(y, _mm512_fnmadd_pd(b, y, one), y);
    }
    return y;
}

RVH_TARGET_INLINE(RVH_AVX512_ISA) __m512d rvh_avx512_guava_quotient(__m512d a, __m512d b) {
    const __m512d nonzero_b = _mm512_max_pd(b, _mm512_set1_pd(1.0 / 4294967296.0));
    const __m512d y = rvh_avx512_reciprocal(nonzero_b);
    const __m512d q = _mm512_mul_pd(a, y);
    return _mm512_fmadd_pd(_mm512_fnmadd_pd(nonzero_b, q, a), y, q);
}

/* Hash keys[0..count) into out[0..count), by the paper's loop or Guava's,
 * dividing (rcp 0) or by the exact reciprocal (1).
 * The lanes need enough keys to fill them a few times over: shorter
 * batches go to the SSE2 kernel. */
RVH_TARGET_INLINE(RVH_AVX512_ISA) void rvh_avx512_loop(const uint64_t *keys, ptrdiff_t count,
                                                       int32_t n, int64_t *out, const int guava,
                                                       const int rcp) {
    __m512i key[RVH_Z_GROUPS], slot[RVH_Z_GROUPS];
    __m512d j[RVH_Z_GROUPS];
    __mmask8 live[RVH_Z_GROUPS], in_flight[RVH_Z_GROUPS];
    int64_t done_slot[RVH_Z_BUFFER + RVH_Z_LANES];
    double done_j[RVH_Z_BUFFER + RVH_Z_LANES];
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d two31 = _mm512_set1_pd(2147483648.0);
    const __m512d limit = _mm512_set1_pd((double)n);
    const __m512i mult = _mm512_set1_epi64((long long)RVH_JUMP_MULT);
    const __m512i one64 = _mm512_set1_epi64(1);
    const __m512i low31 = _mm512_set1_epi64(0x7FFFFFFF);
    /* (x | bits of 2**52) as a double is 2**52 + x, exactly, for x < 2**52;
     * with the bits of 2**21, it is 2**21 + x / 2**31. */
    const __m512i bits52 = _mm512_set1_epi64(0x4330000000000000LL);
    const __m512d two52_minus_1 = _mm512_set1_pd(4503599627370495.0);
    const __m512i bits21 = _mm512_set1_epi64(0x4140000000000000LL);
    const __m512d two21 = _mm512_set1_pd(2097152.0);
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    ptrdiff_t next = RVH_Z_LANES;
    int buffered = 0, g, r, any;
    if (count < 4 * RVH_Z_LANES) {
        rvh_sse2_loop(keys, count, n, out, guava);
        return;
    }
    for (g = 0; g < RVH_Z_GROUPS; g++) {
        key[g] = _mm512_loadu_si512((const void *)(keys + 8 * g));
        slot[g] = _mm512_add_epi64(iota, _mm512_set1_epi64(8 * g));
        j[g] = _mm512_setzero_pd();
        live[g] = in_flight[g] = 0xFF;
    }
    /* One step of group g: j (a double, exact as j < 2**31) becomes
     * trunc(p) in the lanes of `live` where p < n; the others leave it. */
#define RVH_Z_STEP(g)                                                                           \
    do {                                                                                        \
        __m512d p;                                                                              \
        key[g] = _mm512_add_epi64(_mm512_mullo_epi64(key[g], mult), one64);                     \
        if (rcp) { /* b = d / 2**31, exact; the same quotients by rvh_avx512_reciprocal */     \
            __m512i d = _mm512_add_epi64(_mm512_srli_epi64(key[g], 33), one64);                 \
            if (guava) d = _mm512_and_si512(d, low31);                                          \
            __m512d b = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(d, bits21)), two21);   \
            p = guava ? rvh_avx512_guava_quotient(_mm512_add_pd(j[g], one), b)                  \
                      : _mm512_mul_pd(_mm512_add_pd(j[g], one), rvh_avx512_reciprocal(b));      \
        } else if (guava) { /* (j + 1) / (d / 2**31), d = 0 where Java's int d wraps: +inf */  \
            __m512i d =                                                                         \
                _mm512_and_si512(_mm512_add_epi64(_mm512_srli_epi64(key[g], 33), one64), low31); \
            p = _mm512_div_pd(                                                                  \
                _mm512_add_pd(j[g], one),                                                       \
                _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(d, bits21)), two21));         \
        } else { /* (j + 1) * (2**31 / ((key >> 33) + 1)) */                                    \
            __m512d d = _mm512_sub_pd(                                                          \
                _mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64(key[g], 33), bits52)),    \
                two52_minus_1);                                                                 \
            p = _mm512_mul_pd(_mm512_add_pd(j[g], one), _mm512_div_pd(two31, d));               \
        }                                                                                       \
        live[g] = _mm512_mask_cmp_pd_mask(live[g], p, limit, _CMP_LT_OQ);                       \
        j[g] = _mm512_mask_roundscale_pd(j[g], live[g], p, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); \
    } while (0)
    /* While keys remain: RVH_Z_ROUNDS steps, then a look at each group (a
     * look takes at most RVH_Z_LANES keys, so keys[next + 7] stays in
     * bounds). */
    while (next <= count - RVH_Z_LANES) {
        for (r = 0; r < RVH_Z_ROUNDS; r++) {
            RVH_UNROLL(RVH_Z_GROUPS)
            for (g = 0; g < RVH_Z_GROUPS; g++) RVH_Z_STEP(g);
        }
        RVH_UNROLL(RVH_Z_GROUPS)
        for (g = 0; g < RVH_Z_GROUPS; g++) {
            const __mmask8 ended = (__mmask8)~live[g];
            __m512i fresh = _mm512_loadu_si512((const void *)(keys + next));
            /* Kept in a register: the compiler would fold the load into
             * vpexpandq's memory form, several times slower on AMD Zen 4. */
            __asm__("" : "+v"(fresh));
            _mm512_storeu_si512((void *)(done_slot + buffered),
                                _mm512_maskz_compress_epi64(ended, slot[g]));
            _mm512_storeu_pd(done_j + buffered, _mm512_maskz_compress_pd(ended, j[g]));
            buffered += __builtin_popcount(ended);
            key[g] = _mm512_mask_expand_epi64(key[g], ended, fresh);
            slot[g] = _mm512_mask_expand_epi64(slot[g], ended,
                                               _mm512_add_epi64(iota, _mm512_set1_epi64(next)));
            j[g] = _mm512_mask_mov_pd(j[g], ended, _mm512_setzero_pd()); /* new keys: j = 0 */
            live[g] = 0xFF;
            next += __builtin_popcount(ended);
        }
        if (buffered >= RVH_Z_BUFFER) {
            rvh_write_answers(out, done_slot, done_j, buffered);
            buffered = 0;
        }
    }
    /* No keys left to take: the lanes go on until every one has ended,
     * in_flight the lanes whose answer is not yet buffered. */
    do {
        any = 0;
        for (r = 0; r < RVH_Z_ROUNDS; r++) {
            RVH_UNROLL(RVH_Z_GROUPS)
            for (g = 0; g < RVH_Z_GROUPS; g++) RVH_Z_STEP(g);
        }
        RVH_UNROLL(RVH_Z_GROUPS)
        for (g = 0; g < RVH_Z_GROUPS; g++) {
            const __mmask8 ended = in_flight[g] & (__mmask8)~live[g];
            _mm512_storeu_si512((void *)(done_slot + buffered),
                                _mm512_maskz_compress_epi64(ended, slot[g]));
            _mm512_storeu_pd(done_j + buffered, _mm512_maskz_compress_pd(ended, j[g]));
            buffered += __builtin_popcount(ended);
            in_flight[g] = live[g];
            any |= live[g];
        }
        if (buffered >= RVH_Z_BUFFER) {
            rvh_write_answers(out, done_slot, done_j, buffered);
            buffered = 0;
        }
    } while (any);
#undef RVH_Z_STEP
    rvh_write_answers(out, done_slot, done_j, buffered);
    /* Fewer keys than lanes were left: the SSE2 kernel takes them. */
    rvh_sse2_loop(keys + next, count - next, n, out + next, guava);
}

RVH_TARGET(RVH_AVX512_ISA)
static inline void rvh_jump_keys_avx512(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                        int64_t *out) {
    rvh_avx512_loop(keys, count, n, out, 0, 0);
}

RVH_TARGET(RVH_AVX512_ISA)
static inline void rvh_jump_keys_avx512_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                              int64_t *out) {
    rvh_avx512_loop(keys, count, n, out, 1, 0);
}

RVH_TARGET(RVH_AVX512_ISA)
static inline void rvh_jump_keys_avx512_rcp(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                            int64_t *out) {
    rvh_avx512_loop(keys, count, n, out, 0, 1);
}

RVH_TARGET(RVH_AVX512_ISA)
static inline void rvh_jump_keys_avx512_rcp_guava(const uint64_t *keys, ptrdiff_t count,
                                                  int32_t n, int64_t *out) {
    rvh_avx512_loop(keys, count, n, out, 1, 1);
}
#endif

#endif /* RVH_KERNELS_AVX512_H */
