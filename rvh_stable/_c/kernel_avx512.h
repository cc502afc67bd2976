/* The AVX-512 batch kernel, for x86-64 built by GCC or clang: 64 keys in
 * flight.  The wheel's baseline stays SSE2; this one function is compiled
 * for AVX-512 (a target attribute) and used only where the CPU and the OS
 * support it (rvh_cpu_has_avx512, asked once at import).  No Python here:
 * the header compiles alone as C99 (to nothing where it cannot be built). */
#ifndef RVH_KERNEL_AVX512_H
#define RVH_KERNEL_AVX512_H

#include <stddef.h>
#include <stdint.h>

#include "kernel_sse2.h"

/* AVX-512 (F and DQ), where the compiler can build it for one function and
 * the CPU, asked at import, has it: 64 keys in flight as 8 vectors of 8
 * doubles, with the key's 64-bit step in vector registers too.  The same
 * operations as the SSE2 kernel, lane for lane; only the bookkeeping
 * differs: a finishing lane's (slot, b) is compressed into a small buffer
 * that is written out every few rounds, and new keys are expand-loaded into
 * the finished lanes.  RVH_NO_AVX512 leaves it out. */
#if RVH_SSE2 && !defined(RVH_NO_AVX512) && defined(__x86_64__) \
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

/* Write out buffered (slot, b) pairs: plain stores, compiled without AVX-512
 * on purpose, where the compiler would otherwise make them a scatter (slow
 * on some CPUs, and no faster on others). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noinline))
#endif
static void rvh_z_flush(int64_t *out, const int64_t *slots, const int64_t *b, int count) {
    int i;
    for (i = 0; i < count; i++) out[slots[i]] = b[i];
}

/* Hash keys[0..count) into out[0..count), by the paper's loop or Guava's
 * (the SSE2 kernel's two rounds, lane for lane).  The lanes need enough
 * keys to fill them a few times over: shorter batches go to the SSE2
 * kernel. */
__attribute__((target("avx512f,avx512dq"), always_inline))
static inline void rvh_avx512_loop(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                   int64_t *out, const int guava) {
    __m512i key[RVH_Z_GROUPS], slot[RVH_Z_GROUPS];
    __m512d p[RVH_Z_GROUPS];
    __mmask8 live[RVH_Z_GROUPS];
    int64_t done_slot[RVH_Z_BUFFER + RVH_Z_LANES], done_b[RVH_Z_BUFFER + RVH_Z_LANES];
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d two31 = _mm512_set1_pd(2147483648.0);
    const __m512d limit = _mm512_set1_pd((double)n);
    const __m512d two_m31 = _mm512_set1_pd(1.0 / 2147483648.0);
    const __m256i one32 = _mm256_set1_epi32(1);
    const __m256i low31 = _mm256_set1_epi32(0x7FFFFFFF);
    const __m512i mult = _mm512_set1_epi64((long long)RVH_JUMP_MULT);
    const __m512i one64 = _mm512_set1_epi64(1);
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    ptrdiff_t next = RVH_Z_LANES;
    int buffered = 0, g, any;
    if (count < 4 * RVH_Z_LANES) {
        rvh_sse2_loop(keys, count, n, out, guava);
        return;
    }
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
    if (guava) { /* the SSE2 kernel's Guava round: d = 0 where Java's d wraps */            \
        __m256i d = _mm256_and_si256(_mm256_add_epi32(high, one32), low31);                 \
        product = _mm512_div_pd(b_plus_1, _mm512_mul_pd(_mm512_cvtepi32_pd(d), two_m31));   \
    } else {                                                                                \
        product = _mm512_mul_pd(                                                            \
            b_plus_1, _mm512_div_pd(two31, _mm512_add_pd(_mm512_cvtepi32_pd(high), one)));  \
    }                                                                                       \
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
            rvh_z_flush(out, done_slot, done_b, buffered);
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
            rvh_z_flush(out, done_slot, done_b, buffered);
            buffered = 0;
        }
    } while (any);
#undef RVH_Z_STEP
    rvh_z_flush(out, done_slot, done_b, buffered);
    /* Fewer keys than lanes were left: the SSE2 kernel takes them. */
    rvh_sse2_loop(keys + next, count - next, n, out + next, guava);
}

__attribute__((target("avx512f,avx512dq")))
static inline void rvh_jump_keys_avx512(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                        int64_t *out) {
    rvh_avx512_loop(keys, count, n, out, 0);
}

__attribute__((target("avx512f,avx512dq")))
static inline void rvh_jump_keys_avx512_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                              int64_t *out) {
    rvh_avx512_loop(keys, count, n, out, 1);
}

/* Asked with CPUID and XGETBV directly rather than __builtin_cpu_supports,
 * whose runtime support is missing from Apple's x86-64 toolchain.  The CPU
 * must have AVX-512 F and DQ, and the OS must save the vector and mask
 * registers (XCR0 bits 1, 2, 5, 6, 7).  macOS turns those on only after a
 * first AVX-512 instruction, so there SSE2 is used: slower, never wrong. */
static inline int rvh_cpu_has_avx512(void) {
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


#endif /* RVH_KERNEL_AVX512_H */
