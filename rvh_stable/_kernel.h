/* The jump loop's arithmetic, and the SSE2 batch kernel, for _jump.pyx.
 *
 * Everything here computes Lamping & Veach's loop bit for bit:
 *
 *     b = -1; j = 0;
 *     while (j < n) {
 *         b = j;
 *         key = key * 2862933555777941757 + 1;
 *         j = (int64_t)((b + 1) * (2**31 / (double)((key >> 33) + 1)));
 *     }
 *     return b;
 *
 * in IEEE double: the division rounds once, then the product rounds once.
 * Merging or skipping either rounding changes rare answers (the adversarial
 * vectors), so the build keeps -ffp-contract=off and never -ffast-math.
 */
#ifndef RVH_KERNEL_H
#define RVH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define RVH_JUMP_MULT 2862933555777941757ULL

/* One step: the j that follows b for the already advanced key.  (key >> 33)
 * + 1 is at most 2**31, so going through int64 converts it exactly and with
 * a single instruction.  The scalar loop and the portable lockstep kernel
 * take their step from here. */
static inline int64_t rvh_next_j(uint64_t key, int64_t b) {
    return (int64_t)((b + 1) * (2147483648.0 / (double)(int64_t)((key >> 33) + 1)));
}

/* The rest of one key's loop from the state (key, b, j); a fresh key
 * starts at b = -1, j = 0. */
static inline int64_t rvh_jump_from(uint64_t key, int64_t b, int64_t j, int32_t n) {
    while (j < n) {
        b = j;
        key = key * RVH_JUMP_MULT + 1;
        j = rvh_next_j(key, b);
    }
    return b;
}

/* SSE2 is part of every x86-64 CPU (and of 32-bit x86 builds with -msse2 or
 * MSVC's default /arch:SSE2).  RVH_NO_SIMD forces the portable kernel, so
 * that the tests can check it on x86 too. */
#if !defined(RVH_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64) \
                              || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#define RVH_SIMD 1
#include <emmintrin.h>

/* 12 keys in flight, as 6 pairs of doubles: enough independent chains to
 * keep the divider busy, few enough that the state stays in registers. */
#define RVH_PAIRS 6
#define RVH_LANES (2 * RVH_PAIRS)

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
 * A finished lane then takes the next key and p = 0 by selects. */
static void rvh_jump_keys_sse2(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out) {
    uint64_t k[RVH_LANES];
    ptrdiff_t slot[RVH_LANES];
    __m128d p[RVH_PAIRS];
    double last[RVH_LANES];
    const __m128d one = _mm_set1_pd(1.0);
    const __m128d two31 = _mm_set1_pd(2147483648.0);
    const __m128d limit = _mm_set1_pd((double)n);
    ptrdiff_t i, next;
    int l;
    if (count < 2 * RVH_LANES) {
        for (i = 0; i < count; i++) out[i] = rvh_jump_from(keys[i], -1, 0, n);
        return;
    }
    for (l = 0; l < RVH_LANES; l++) {
        k[l] = keys[l];
        slot[l] = l;
    }
    for (l = 0; l < RVH_PAIRS; l++) p[l] = _mm_setzero_pd();
    next = RVH_LANES;
    /* A round takes at most RVH_LANES new keys, so keys[next] stays in
     * bounds while it runs; the last keys are finished below. */
    while (next <= count - RVH_LANES) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 6
#endif
        for (l = 0; l < RVH_PAIRS; l++) {
            uint64_t k0 = k[2 * l] * RVH_JUMP_MULT + 1;
            uint64_t k1 = k[2 * l + 1] * RVH_JUMP_MULT + 1;
            __m128i b = _mm_cvttpd_epi32(p[l]);
            __m128d b_plus_1 = _mm_add_pd(_mm_cvtepi32_pd(b), one);
            __m128i high = _mm_unpacklo_epi32(_mm_cvtsi32_si128((int)(k0 >> 33)),
                                              _mm_cvtsi32_si128((int)(k1 >> 33)));
            __m128d divisor = _mm_add_pd(_mm_cvtepi32_pd(high), one);
            __m128d product = _mm_mul_pd(b_plus_1, _mm_div_pd(two31, divisor));
            __m128d done = _mm_cmpge_pd(product, limit);
            int mask = _mm_movemask_pd(done);
            int done0 = mask & 1, done1 = mask >> 1;
            __m128i b64 = _mm_unpacklo_epi32(b, _mm_setzero_si128()); /* b >= 0 */
            uint64_t fresh;
            _mm_storel_epi64((__m128i *)(out + slot[2 * l]), b64);
            _mm_storel_epi64((__m128i *)(out + slot[2 * l + 1]), _mm_unpackhi_epi64(b64, b64));
            p[l] = _mm_andnot_pd(done, product); /* finished lanes restart at 0 */
            /* keys[next] is read whether or not a lane takes it (it is in
             * bounds), so that the compiler can select instead of branch. */
            fresh = keys[next];
            k[2 * l] = done0 ? fresh : k0;
            slot[2 * l] = done0 ? next : slot[2 * l];
            next += done0;
            fresh = keys[next];
            k[2 * l + 1] = done1 ? fresh : k1;
            slot[2 * l + 1] = done1 ? next : slot[2 * l + 1];
            next += done1;
        }
    }
    /* The keys still in flight continue from j = floor(p) < n (their b is
     * not needed: the loop runs at least once more); the rest start fresh. */
    for (l = 0; l < RVH_PAIRS; l++) _mm_storeu_pd(last + 2 * l, p[l]);
    for (l = 0; l < RVH_LANES; l++) out[slot[l]] = rvh_jump_from(k[l], -1, (int64_t)last[l], n);
    for (; next < count; next++) out[next] = rvh_jump_from(keys[next], -1, 0, n);
}
#else
#define RVH_SIMD 0
#endif

/* AVX-512 (F and DQ), where the compiler can build it for one function and
 * the CPU, asked at import, has it: 64 keys in flight as 8 vectors of 8
 * doubles, with the key's 64-bit step in vector registers too.  The same
 * operations as the SSE2 kernel, lane for lane; only the bookkeeping
 * differs: a finishing lane's (slot, b) is compressed into a small buffer
 * that is written out every few rounds, and new keys are expand-loaded into the
 * finished lanes.  RVH_NO_AVX512 leaves it out. */
#if RVH_SIMD && !defined(RVH_NO_AVX512) && defined(__x86_64__) \
    && (defined(__GNUC__) || defined(__clang__)) && !defined(_MSC_VER)
#define RVH_AVX512 1
#include <cpuid.h>
#include <immintrin.h>

#define RVH_Z_GROUPS 8
/* Unrolled, the groups' state stays in the 32 vector registers. */
#if defined(__clang__)
#define RVH_UNROLL_GROUPS _Pragma("clang loop unroll(full)")
#else
#define RVH_UNROLL_GROUPS _Pragma("GCC unroll 8")
#endif
#define RVH_Z_LANES (8 * RVH_Z_GROUPS)
/* Finished (slot, b) pairs are written out once this many have gathered:
 * small, so that the kernel needs about 4 KB of stack. */
#define RVH_Z_BUFFER 192

__attribute__((target("avx512f,avx512dq")))
static void rvh_jump_keys_avx512(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out) {
    __m512i key[RVH_Z_GROUPS], slot[RVH_Z_GROUPS];
    __m512d p[RVH_Z_GROUPS];
    __mmask8 live[RVH_Z_GROUPS];
    int64_t done_slot[RVH_Z_BUFFER + RVH_Z_LANES], done_b[RVH_Z_BUFFER + RVH_Z_LANES];
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d two31 = _mm512_set1_pd(2147483648.0);
    const __m512d limit = _mm512_set1_pd((double)n);
    const __m512i mult = _mm512_set1_epi64((long long)RVH_JUMP_MULT);
    const __m512i one64 = _mm512_set1_epi64(1);
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    ptrdiff_t next = RVH_Z_LANES;
    int buffered = 0, g, i, any;
    for (g = 0; g < RVH_Z_GROUPS; g++) {
        key[g] = _mm512_loadu_si512((const void *)(keys + 8 * g));
        slot[g] = _mm512_add_epi64(iota, _mm512_set1_epi64(8 * g));
        p[g] = _mm512_setzero_pd();
        live[g] = 0xFF;
    }
    /* One round per group, as in the SSE2 kernel; the mask `done` is the
     * lanes whose product reached n.  While keys remain, finished lanes
     * take new ones (a round takes at most RVH_Z_LANES, so the expand-load
     * stays in bounds); after that, lanes drop out of `live` as they finish
     * and the rest go on until none is left. */
#define RVH_Z_STEP(g, done_mask)                                                            \
    __m256i b = _mm512_cvttpd_epi32(p[g]);                                                  \
    __m512d b_plus_1 = _mm512_add_pd(_mm512_cvtepi32_pd(b), one);                           \
    __m256i high;                                                                           \
    __m512d product;                                                                        \
    __mmask8 done;                                                                          \
    key[g] = _mm512_add_epi64(_mm512_mullo_epi64(key[g], mult), one64);                     \
    high = _mm512_cvtepi64_epi32(_mm512_srli_epi64(key[g], 33));                            \
    product = _mm512_mul_pd(                                                                \
        b_plus_1, _mm512_div_pd(two31, _mm512_add_pd(_mm512_cvtepi32_pd(high), one)));      \
    done = _mm512_cmp_pd_mask(product, limit, _CMP_GE_OQ) & (done_mask);                    \
    _mm512_storeu_si512((void *)(done_slot + buffered),                                     \
                        _mm512_maskz_compress_epi64(done, slot[g]));                        \
    _mm512_storeu_si512((void *)(done_b + buffered),                                        \
                        _mm512_maskz_compress_epi64(done, _mm512_cvtepi32_epi64(b)));       \
    buffered += __builtin_popcount(done);                                                   \
    p[g] = _mm512_maskz_mov_pd((__mmask8)~done, product) /* finished lanes restart at 0 */
    while (next <= count - RVH_Z_LANES) {
        RVH_UNROLL_GROUPS
        for (g = 0; g < RVH_Z_GROUPS; g++) {
            RVH_Z_STEP(g, 0xFF);
            key[g] = _mm512_mask_expandloadu_epi64(key[g], done, (const void *)(keys + next));
            slot[g] = _mm512_mask_expand_epi64(slot[g], done,
                                               _mm512_add_epi64(iota, _mm512_set1_epi64(next)));
            next += __builtin_popcount(done);
        }
        if (buffered >= RVH_Z_BUFFER) {
            for (i = 0; i < buffered; i++) out[done_slot[i]] = done_b[i];
            buffered = 0;
        }
    }
    do {
        any = 0;
        RVH_UNROLL_GROUPS
        for (g = 0; g < RVH_Z_GROUPS; g++) {
            RVH_Z_STEP(g, live[g]);
            live[g] &= (__mmask8)~done;
            any |= live[g];
        }
        if (buffered >= RVH_Z_BUFFER) {
            for (i = 0; i < buffered; i++) out[done_slot[i]] = done_b[i];
            buffered = 0;
        }
    } while (any);
#undef RVH_Z_STEP
    for (i = 0; i < buffered; i++) out[done_slot[i]] = done_b[i];
    /* Fewer keys than lanes were left: the SSE2 kernel takes them. */
    rvh_jump_keys_sse2(keys + next, count - next, n, out + next);
}

/* Asked with CPUID and XGETBV directly rather than __builtin_cpu_supports,
 * whose runtime support is missing from Apple's x86-64 toolchain.  The CPU
 * must have AVX-512 F and DQ, and the OS must save the vector and mask
 * registers (XCR0 bits 1, 2, 5, 6, 7).  macOS turns those on only after a
 * first AVX-512 instruction, so there SSE2 is used: slower, never wrong. */
static int rvh_cpu_has_avx512(void) {
    unsigned int eax, ebx, ecx, edx, xcr0, xcr0_high;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0; /* OSXSAVE */
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    if ((xcr0 & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & (1u << 16)) && (ebx & (1u << 17)); /* AVX512F, AVX512DQ */
}
#else
#define RVH_AVX512 0
#endif

/* The batch kernels this build has, best last, and the one in use: chosen
 * at import (rvh_select_kernel), changed only by the tests. */
enum { RVH_KERNEL_PORTABLE = 0, RVH_KERNEL_SSE2 = 1, RVH_KERNEL_AVX512 = 2 };
static int rvh_kernel = RVH_KERNEL_PORTABLE;

static int rvh_kernel_available(int kernel) {
    switch (kernel) {
    case RVH_KERNEL_PORTABLE: return 1;
    case RVH_KERNEL_SSE2: return RVH_SIMD;
#if RVH_AVX512
    case RVH_KERNEL_AVX512: return rvh_cpu_has_avx512();
#endif
    default: return 0;
    }
}

static int rvh_select_kernel(void) {
    rvh_kernel = rvh_kernel_available(RVH_KERNEL_AVX512) ? RVH_KERNEL_AVX512
                 : rvh_kernel_available(RVH_KERNEL_SSE2) ? RVH_KERNEL_SSE2
                 : RVH_KERNEL_PORTABLE;
    return rvh_kernel;
}

/* Runs the selected SIMD kernel and returns 1, or returns 0 and the caller
 * runs the portable one.  The AVX-512 kernel needs enough keys to fill its
 * lanes a few times over; shorter batches go to the SSE2 one. */
static int rvh_jump_keys_simd(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out) {
#if RVH_AVX512
    if (rvh_kernel == RVH_KERNEL_AVX512 && count >= 4 * RVH_Z_LANES) {
        rvh_jump_keys_avx512(keys, count, n, out);
        return 1;
    }
#endif
#if RVH_SIMD
    if (rvh_kernel >= RVH_KERNEL_SSE2) {
        rvh_jump_keys_sse2(keys, count, n, out);
        return 1;
    }
#endif
    (void)keys, (void)count, (void)n, (void)out;
    return 0;
}

#endif /* RVH_KERNEL_H */
