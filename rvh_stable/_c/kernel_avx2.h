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
 * the paper's loop and for Guava's; four lanes a vector instead of two.  The
 * keys' 64-bit steps stay in scalar registers: AVX2 has no 64-bit multiply.
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
#define RVH_TARGET_AVX2 __attribute__((target("avx2")))
#define RVH_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))
#endif

#define RVH_AVX2_QUADS 4
#define RVH_AVX2_LANES (4 * RVH_AVX2_QUADS)

/* One round for the four lanes of a vector: the SSE2 kernel's round (see
 * kernel_sse2.h for each operation and for Guava's two). */
RVH_AVX2_INLINE void rvh_avx2_quad(const uint64_t *keys, ptrdiff_t *next, int64_t *out,
                                   uint64_t *k, ptrdiff_t *slot, __m256d *p, __m256d limit,
                                   const int guava) {
    const __m256d one = _mm256_set1_pd(1.0);
    uint64_t k0 = k[0] * RVH_JUMP_MULT + 1, k1 = k[1] * RVH_JUMP_MULT + 1;
    uint64_t k2 = k[2] * RVH_JUMP_MULT + 1, k3 = k[3] * RVH_JUMP_MULT + 1;
    __m128i b = _mm256_cvttpd_epi32(*p);
    __m256d b_plus_1 = _mm256_add_pd(_mm256_cvtepi32_pd(b), one);
    __m128i high = _mm_set_epi32((int)(k3 >> 33), (int)(k2 >> 33), (int)(k1 >> 33),
                                 (int)(k0 >> 33));
    __m256d product, done;
    int64_t b64[4];
    int mask, l;
    uint64_t stepped[4];
    if (guava) {
        __m128i d = _mm_and_si128(_mm_add_epi32(high, _mm_set1_epi32(1)),
                                  _mm_set1_epi32(0x7FFFFFFF));
        product = _mm256_div_pd(
            b_plus_1, _mm256_mul_pd(_mm256_cvtepi32_pd(d), _mm256_set1_pd(1.0 / 2147483648.0)));
    } else {
        __m256d divisor = _mm256_add_pd(_mm256_cvtepi32_pd(high), one);
        product = _mm256_mul_pd(b_plus_1, _mm256_div_pd(_mm256_set1_pd(2147483648.0), divisor));
    }
    done = _mm256_cmp_pd(product, limit, _CMP_GE_OQ);
    mask = _mm256_movemask_pd(done);
    _mm256_storeu_si256((__m256i *)b64, _mm256_cvtepi32_epi64(b)); /* b >= 0 */
    *p = _mm256_andnot_pd(done, product); /* finished lanes restart at 0 */
    stepped[0] = k0;
    stepped[1] = k1;
    stepped[2] = k2;
    stepped[3] = k3;
    for (l = 0; l < 4; l++) {
        /* Each lane stores its b every round; a finished lane's last store
         * is its answer.  keys[*next] is read whether or not the lane takes
         * it (it is in bounds), so that the compiler can select. */
        int finished = (mask >> l) & 1;
        uint64_t fresh = keys[*next];
        out[slot[l]] = b64[l];
        k[l] = finished ? fresh : stepped[l];
        slot[l] = finished ? *next : slot[l];
        *next += finished;
    }
}

RVH_AVX2_INLINE void rvh_avx2_loop(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out,
                                   const int guava) {
    uint64_t k[RVH_AVX2_LANES];
    ptrdiff_t slot[RVH_AVX2_LANES];
    __m256d p[RVH_AVX2_QUADS];
    double last[RVH_AVX2_LANES];
    const __m256d limit = _mm256_set1_pd((double)n);
    ptrdiff_t next;
    int l;
    if (count < 4 * RVH_AVX2_LANES) {
        rvh_sse2_loop(keys, count, n, out, guava);
        return;
    }
    for (l = 0; l < RVH_AVX2_LANES; l++) {
        k[l] = keys[l];
        slot[l] = l;
    }
    for (l = 0; l < RVH_AVX2_QUADS; l++) p[l] = _mm256_setzero_pd();
    next = RVH_AVX2_LANES;
    /* A round takes at most RVH_AVX2_LANES new keys: keys[next] stays in
     * bounds.  The quads are written out one by one, as in the SSE2 kernel. */
    while (next <= count - RVH_AVX2_LANES) {
        rvh_avx2_quad(keys, &next, out, k + 0, slot + 0, &p[0], limit, guava);
        rvh_avx2_quad(keys, &next, out, k + 4, slot + 4, &p[1], limit, guava);
        rvh_avx2_quad(keys, &next, out, k + 8, slot + 8, &p[2], limit, guava);
        rvh_avx2_quad(keys, &next, out, k + 12, slot + 12, &p[3], limit, guava);
    }
    /* The keys in flight continue from floor(p) (the scalar loop); the rest
     * go to the SSE2 kernel. */
    for (l = 0; l < RVH_AVX2_QUADS; l++) _mm256_storeu_pd(last + 4 * l, p[l]);
    for (l = 0; l < RVH_AVX2_LANES; l++) {
        out[slot[l]] = guava ? rvh_jump_guava_from(k[l], (int64_t)last[l], n)
                             : rvh_jump_from(k[l], (int64_t)last[l], n);
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
    if (!(info[2] & (1 << 27)) || !(info[2] & (1 << 28))) return 0; /* OSXSAVE, AVX */
    if ((_xgetbv(0) & 0x6) != 0x6) return 0;
    __cpuidex(info, 7, 0);
    return (info[1] & (1 << 5)) != 0; /* AVX2 */
#else
    unsigned int eax, ebx, ecx, edx, xcr0, xcr0_high;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ecx & (1u << 27)) || !(ecx & (1u << 28))) return 0; /* OSXSAVE, AVX */
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
