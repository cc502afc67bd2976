/* The AVX2 batch kernel, for x86-64: 16 keys in flight as 4 vectors of 4
 * doubles.  Most x86 machines in use have AVX2 but not AVX-512 (AMD Zen 2
 * and 3, Intel client CPUs since Alder Lake).  The wheel's baseline stays
 * SSE2: this kernel is compiled for AVX2 alone (a target attribute on GCC
 * and clang; MSVC compiles AVX2 intrinsics without one) and used only where
 * the CPU has AVX2 and the OS saves the YMM registers (rvh_cpu_has_avx2,
 * asked once at import).  No Python here: the header compiles alone as C99
 * (to nothing where it cannot be built).
 *
 * The same operations as the SSE2 kernel (kernel_sse2.h), lane for lane, for
 * the paper's loop and for Guava's, with the bookkeeping of the AVX-512
 * kernel (finished lanes compressed out, new keys expanded in), which AVX2
 * does with permutations looked up by the mask of finished lanes.
 */
#ifndef RVH_KERNEL_AVX2_H
#define RVH_KERNEL_AVX2_H

#include <stddef.h>
#include <stdint.h>

#include "kernel_sse2.h"

#if RVH_SSE2 && !defined(RVH_NO_AVX2) \
    && (((defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)) \
        || (defined(_MSC_VER) && (defined(_M_X64) || defined(_M_AMD64))))
#define RVH_AVX2 1
#include <immintrin.h>
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#define RVH_TARGET_AVX2
#define RVH_AVX2_INLINE static __forceinline
#else
#include <cpuid.h>
#define RVH_TARGET_AVX2 __attribute__((target("avx2,popcnt")))
#define RVH_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,popcnt")))
#endif

#define RVH_AVX2_QUADS 4
#if defined(__clang__)
#define RVH_AVX2_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define RVH_AVX2_UNROLL _Pragma("GCC unroll 4")
#else
#define RVH_AVX2_UNROLL
#endif
#define RVH_AVX2_LANES (4 * RVH_AVX2_QUADS)
/* Finished (slot, b) pairs are written out once this many have gathered. */
#define RVH_AVX2_BUFFER 128

/* key * MULT + 1 in each 64-bit lane (AVX2 has no 64-bit multiply: three
 * 32 x 32 -> 64-bit products, modulo 2**64). */
RVH_AVX2_INLINE __m256i rvh_avx2_step_keys(__m256i key) {
    const __m256i mult_lo = _mm256_set1_epi64x((long long)(RVH_JUMP_MULT & 0xFFFFFFFFu));
    const __m256i mult_hi = _mm256_set1_epi64x((long long)(RVH_JUMP_MULT >> 32));
    __m256i low = _mm256_mul_epu32(key, mult_lo);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(key, 32), mult_lo),
                                     _mm256_mul_epu32(key, mult_hi));
    return _mm256_add_epi64(_mm256_add_epi64(low, _mm256_slli_epi64(cross, 32)),
                            _mm256_set1_epi64x(1));
}

/* AVX-512's compress and expand, for four 64-bit lanes, as dword
 * permutations looked up by the 4-bit mask of the lanes concerned:
 * compress moves the masked lanes, in order, to the front; expand moves the
 * first lanes, in order, to the masked places. */
typedef struct {
    int32_t compress[16][8];
    int32_t expand[16][8];
} rvh_avx2_tables;

static inline const rvh_avx2_tables *rvh_avx2_permutes(void) {
    static rvh_avx2_tables t;
    static int ready = 0; /* filled at import, by rvh_kernel_best's first look */
    int mask, lane, j;
    if (!ready) {
        for (mask = 0; mask < 16; mask++) {
            for (j = 0; j < 8; j++) t.compress[mask][j] = t.expand[mask][j] = j % 2;
            j = 0;
            for (lane = 0; lane < 4; lane++) {
                if (!((mask >> lane) & 1)) continue;
                t.compress[mask][2 * j] = 2 * lane;
                t.compress[mask][2 * j + 1] = 2 * lane + 1;
                t.expand[mask][2 * lane] = 2 * j;
                t.expand[mask][2 * lane + 1] = 2 * j + 1;
                j++;
            }
        }
        ready = 1;
    }
    return &t;
}

/* Hash keys[0..count) into out[0..count): the AVX-512 kernel's scheme
 * (kernel_avx512.h) on 16 lanes of 4 vectors, with the SSE2 kernel's
 * operations (kernel_sse2.h) in each lane, for the paper's loop or Guava's. */
RVH_AVX2_INLINE void rvh_avx2_loop(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out,
                                   const int guava) {
    const rvh_avx2_tables *tables = rvh_avx2_permutes();
    __m256i key[RVH_AVX2_QUADS], slot[RVH_AVX2_QUADS];
    __m256d p[RVH_AVX2_QUADS];
    int64_t done_slot[RVH_AVX2_BUFFER + RVH_AVX2_LANES], done_b[RVH_AVX2_BUFFER + RVH_AVX2_LANES];
    double last[4];
    int64_t lane_key[4], lane_slot[4];
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d limit = _mm256_set1_pd((double)n);
    const __m256i iota = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i low_dwords = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    ptrdiff_t next = RVH_AVX2_LANES;
    int buffered = 0, g, i, l;
    if (count < 4 * RVH_AVX2_LANES) {
        rvh_sse2_loop(keys, count, n, out, guava);
        return;
    }
    for (g = 0; g < RVH_AVX2_QUADS; g++) {
        key[g] = _mm256_loadu_si256((const __m256i *)(keys + 4 * g));
        slot[g] = _mm256_add_epi64(iota, _mm256_set1_epi64x(4 * g));
        p[g] = _mm256_setzero_pd();
    }
    /* While keys remain, a finishing lane's (slot, b) is compressed into
     * the buffers and the lane takes the next key (a round takes at most
     * RVH_AVX2_LANES keys: keys[next + 3] stays in bounds). */
    while (next <= count - RVH_AVX2_LANES) {
        RVH_AVX2_UNROLL
        for (g = 0; g < RVH_AVX2_QUADS; g++) {
            __m128i b = _mm256_cvttpd_epi32(p[g]);
            __m256d b_plus_1 = _mm256_add_pd(_mm256_cvtepi32_pd(b), one);
            __m128i high;
            __m256d product, done;
            __m256i compress, expand, fresh, taken;
            int mask;
            key[g] = rvh_avx2_step_keys(key[g]);
            high = _mm256_castsi256_si128(
                _mm256_permutevar8x32_epi32(_mm256_srli_epi64(key[g], 33), low_dwords));
            if (guava) { /* d = 0 where Java's int d wraps: p is +infinity, the lane ends */
                __m128i d = _mm_and_si128(_mm_add_epi32(high, _mm_set1_epi32(1)),
                                          _mm_set1_epi32(0x7FFFFFFF));
                product = _mm256_div_pd(b_plus_1, _mm256_mul_pd(_mm256_cvtepi32_pd(d),
                                                                _mm256_set1_pd(1.0 / 2147483648.0)));
            } else {
                __m256d divisor = _mm256_add_pd(_mm256_cvtepi32_pd(high), one);
                product = _mm256_mul_pd(b_plus_1,
                                        _mm256_div_pd(_mm256_set1_pd(2147483648.0), divisor));
            }
            done = _mm256_cmp_pd(product, limit, _CMP_GE_OQ);
            mask = _mm256_movemask_pd(done);
            compress = _mm256_loadu_si256((const __m256i *)tables->compress[mask]);
            expand = _mm256_loadu_si256((const __m256i *)tables->expand[mask]);
            _mm256_storeu_si256((__m256i *)(done_slot + buffered),
                                _mm256_permutevar8x32_epi32(slot[g], compress));
            _mm256_storeu_si256((__m256i *)(done_b + buffered),
                                _mm256_permutevar8x32_epi32(_mm256_cvtepi32_epi64(b), compress));
            buffered += _mm_popcnt_u32((unsigned)mask);
            p[g] = _mm256_andnot_pd(done, product); /* finished lanes restart at 0 */
            taken = _mm256_castpd_si256(done);
            fresh = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(keys + next)),
                                                expand);
            key[g] = _mm256_blendv_epi8(key[g], fresh, taken);
            slot[g] = _mm256_blendv_epi8(
                slot[g],
                _mm256_permutevar8x32_epi32(_mm256_add_epi64(iota, _mm256_set1_epi64x(next)), expand),
                taken);
            next += _mm_popcnt_u32((unsigned)mask);
        }
        if (buffered >= RVH_AVX2_BUFFER) {
            for (i = 0; i < buffered; i++) out[done_slot[i]] = done_b[i];
            buffered = 0;
        }
    }
    for (i = 0; i < buffered; i++) out[done_slot[i]] = done_b[i];
    /* The keys in flight continue from floor(p) (the scalar loop); the last
     * keys (fewer than the lanes) go to the SSE2 kernel. */
    for (g = 0; g < RVH_AVX2_QUADS; g++) {
        _mm256_storeu_pd(last, p[g]);
        _mm256_storeu_si256((__m256i *)lane_key, key[g]);
        _mm256_storeu_si256((__m256i *)lane_slot, slot[g]);
        for (l = 0; l < 4; l++) {
            out[lane_slot[l]] = guava
                ? rvh_jump_guava_from((uint64_t)lane_key[l], (int64_t)last[l], n)
                : rvh_jump_from((uint64_t)lane_key[l], (int64_t)last[l], n);
        }
    }
    rvh_sse2_loop(keys + next, count - next, n, out + next, guava);
}

RVH_TARGET_AVX2
static inline void rvh_jump_keys_avx2(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                      int64_t *out) {
    rvh_avx2_loop(keys, count, n, out, 0);
}

RVH_TARGET_AVX2
static inline void rvh_jump_keys_avx2_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                            int64_t *out) {
    rvh_avx2_loop(keys, count, n, out, 1);
}

/* The CPU has AVX2 (and AVX), and the OS saves the YMM registers (OSXSAVE,
 * and XCR0 bits 1 and 2: SSE and AVX state). */
static inline int rvh_cpu_has_avx2(void) {
#if defined(_MSC_VER) && !defined(__clang__)
    int info[4];
    __cpuid(info, 1);
    if (!(info[2] & (1 << 27)) || !(info[2] & (1 << 28)) || !(info[2] & (1 << 23)))
        return 0; /* OSXSAVE, AVX, POPCNT */
    if ((_xgetbv(0) & 0x6) != 0x6) return 0;
    __cpuidex(info, 7, 0);
    return (info[1] & (1 << 5)) != 0; /* AVX2 */
#else
    unsigned int eax, ebx, ecx, edx, xcr0, xcr0_high;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 28)) || !(ecx & (1u << 23)))
        return 0; /* OSXSAVE, AVX, POPCNT */
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    if ((xcr0 & 0x6) != 0x6) return 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return (ebx & (1u << 5)) != 0; /* AVX2 */
#endif
}
#else
#define RVH_AVX2 0
#endif

#endif /* RVH_KERNEL_AVX2_H */
