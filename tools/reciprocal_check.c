/* Every replacement of the division in the batch kernels, checked against
 * the division for every divisor: tools/reciprocal_check.sh builds and runs
 * this.
 *
 * The reciprocal kernels (avx2-rcp, avx512-rcp: rvh_stable/_c/kernels/)
 * compute the paper's quotient 2**31 / d, d in [1, 2**31], as
 * RN(1 / (d / 2**31)) by Newton's iteration with FMA; that it is the
 * correctly rounded quotient is not a theorem but this check, of all 2**31
 * divisors, bit for bit against the division.  Guava's quotient
 * (j + 1) / (d / 2**31), d in [0, 2**31), is Markstein's exact division
 * built on the same reciprocal (correct by a theorem, given the reciprocal
 * checked here); it is compared with the division too, for every d, at a
 * numerator j + 1 that moves with d over [1, 2**31].  For d = 0 (Java's
 * int wrapping, where Guava divides by zero) it must be at least 2**31:
 * the loop ends there, as on +inf.
 *
 * For each replacement this CPU can run it prints a line with the count of
 * divisors checked for each quotient (2147483648, 2147483648); for each it
 * cannot, a line saying it was skipped and what the CPU lacks.  An argument
 * STRIDE > 1 checks a spread sample instead: one group of a vector's width
 * of divisors in every STRIDE (the test suite's quick run).  Then
 * "checked N divisors" (all replacements together).  Exits 1 at the first
 * difference, naming the divisor, 2 if it checked none.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rvh_stable/_c/kernels/table.h"

#define TWO31 2147483648.0

static uint64_t checked = 0;

static int differs(const char *name, const char *what, uint64_t d, double got, double want) {
    printf("WRONG %s %s: d = %" PRIu64 " gave %.17g, the division %.17g\n", name, what, d, got,
           want);
    return 1;
}

/* Of a group's `lanes` divisors d_ whose quotients got were flagged against
 * the division's want, the first that differs, reported (1); else 0. */
static int first_difference(const char *name, const char *what, const double *d_,
                            const double *got, const double *want, int lanes) {
    int l;
    for (l = 0; l < lanes; l++) {
        if (got[l] != want[l]) return differs(name, what, (uint64_t)d_[l], got[l], want[l]);
    }
    return 0;
}

#if RVH_AVX2
/* The numerators of Guava's step checked with divisors d .. d + 3, each in
 * [1, 2**31]: (d * 2654435761 mod 2**31) + 1, a multiplicative hash of d;
 * as doubles: (x | bits of 2**52) as a double is 2**52 + x, exactly. */
RVH_TARGET("avx2") static __m256d avx2_numerators(uint64_t d) {
    const __m256i x = _mm256_add_epi64(
        _mm256_and_si256(_mm256_mul_epu32(_mm256_setr_epi64x((long long)d, (long long)d + 1,
                                                             (long long)d + 2, (long long)d + 3),
                                          _mm256_set1_epi64x(2654435761)),
                         _mm256_set1_epi64x(0x7FFFFFFF)),
        _mm256_set1_epi64x(1));
    return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(x, _mm256_set1_epi64x(0x4330000000000000LL))),
                         _mm256_set1_pd(4503599627370496.0));
}

RVH_TARGET("avx2,fma,popcnt") static int check_avx2(uint64_t stride) {
    const __m256d two31 = _mm256_set1_pd(TWO31), scale = _mm256_set1_pd(1.0 / TWO31);
    double d_[4], got[4], want[4];
    uint64_t d, paper = 0, guava = 0;
    for (d = 1; d <= 2147483648u; d += 4 * stride) { /* 2**31 is a multiple of 4 */
        __m256d dv = _mm256_setr_pd((double)d, (double)(d + 1), (double)(d + 2), (double)(d + 3));
        __m256d b = _mm256_mul_pd(dv, scale), a;
        __m256d y = rvh_avx2_reciprocal(b), q = _mm256_div_pd(two31, dv);
        if (_mm256_movemask_pd(_mm256_cmp_pd(y, q, _CMP_NEQ_UQ))) {
            _mm256_storeu_pd(d_, dv), _mm256_storeu_pd(got, y), _mm256_storeu_pd(want, q);
            if (first_difference("avx2-rcp", "2**31 / d", d_, got, want, 4)) return 1;
        }
        paper += 4;
        /* Guava's: d in [0, 2**31), so this group shifted down by one. */
        dv = _mm256_sub_pd(dv, _mm256_set1_pd(1.0));
        b = _mm256_mul_pd(dv, scale);
        a = avx2_numerators(d - 1);
        y = rvh_avx2_guava_quotient(a, b);
        q = _mm256_div_pd(a, b);
        if (d == 1) { /* d = 0: at least 2**31, not the division's +inf */
            _mm256_storeu_pd(got, y);
            if (!(got[0] >= TWO31)) return differs("avx2-rcp", "Guava's, d = 0", 0, got[0], TWO31);
            y = _mm256_blend_pd(y, q, 1);
        }
        if (_mm256_movemask_pd(_mm256_cmp_pd(y, q, _CMP_NEQ_UQ))) {
            _mm256_storeu_pd(d_, dv), _mm256_storeu_pd(got, y), _mm256_storeu_pd(want, q);
            if (first_difference("avx2-rcp", "Guava's (j + 1) / (d / 2**31)", d_, got, want, 4)) return 1;
        }
        guava += 4;
    }
    printf("avx2-rcp: %" PRIu64 " divisors right for 2**31 / d, %" PRIu64
           " for Guava's (j + 1) / (d / 2**31)\n", paper, guava);
    checked += paper;
    return 0;
}
#endif

#if RVH_AVX512
RVH_TARGET("avx512f,avx512dq") static int check_avx512(uint64_t stride) {
    const __m512d two31 = _mm512_set1_pd(TWO31), scale = _mm512_set1_pd(1.0 / TWO31);
    const __m512d iota = _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i mult = _mm512_set1_epi64(2654435761), low31 = _mm512_set1_epi64(0x7FFFFFFF);
    const __m512i one64 = _mm512_set1_epi64(1);
    double d_[8], got[8], want[8];
    uint64_t d, paper = 0, guava = 0;
    for (d = 1; d <= 2147483648u; d += 8 * stride) {
        __m512d dv = _mm512_add_pd(_mm512_set1_pd((double)d), iota);
        __m512d b = _mm512_mul_pd(dv, scale), a;
        __m512d y = rvh_avx512_reciprocal(b), q = _mm512_div_pd(two31, dv);
        if (_mm512_cmp_pd_mask(y, q, _CMP_NEQ_UQ)) {
            _mm512_storeu_pd(d_, dv), _mm512_storeu_pd(got, y), _mm512_storeu_pd(want, q);
            if (first_difference("avx512-rcp", "2**31 / d", d_, got, want, 8)) return 1;
        }
        paper += 8;
        dv = _mm512_sub_pd(dv, _mm512_set1_pd(1.0));
        b = _mm512_mul_pd(dv, scale);
        a = _mm512_cvtepu64_pd(_mm512_add_epi64(
            _mm512_and_si512(_mm512_mul_epu32(_mm512_cvtpd_epu64(dv), mult), low31), one64));
        y = rvh_avx512_guava_quotient(a, b);
        q = _mm512_div_pd(a, b);
        if (d == 1) { /* d = 0: at least 2**31, not the division's +inf */
            _mm512_storeu_pd(got, y);
            if (!(got[0] >= TWO31)) return differs("avx512-rcp", "Guava's, d = 0", 0, got[0], TWO31);
            y = _mm512_mask_mov_pd(y, 1, q);
        }
        if (_mm512_cmp_pd_mask(y, q, _CMP_NEQ_UQ)) {
            _mm512_storeu_pd(d_, dv), _mm512_storeu_pd(got, y), _mm512_storeu_pd(want, q);
            if (first_difference("avx512-rcp", "Guava's (j + 1) / (d / 2**31)", d_, got, want, 8)) return 1;
        }
        guava += 8;
    }
    printf("avx512-rcp: %" PRIu64 " divisors right for 2**31 / d, %" PRIu64
           " for Guava's (j + 1) / (d / 2**31)\n", paper, guava);
    checked += paper;
    return 0;
}
#endif

int main(int argc, char **argv) {
    const uint64_t stride = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
    int count, i;
    if (stride < 1) {
        printf("usage: reciprocal_check [STRIDE >= 1]\n");
        return 2;
    }
    const rvh_kernel *table = rvh_kernel_table(&count);
    for (i = 0; i < count; i++) {
        const rvh_kernel *k = &table[i];
        if (!k->reciprocal) continue;
        if (k->run == NULL) {
            printf("%s: skipped, not in this build\n", k->name);
        } else if (!rvh_kernel_available(k)) {
            printf("%s: skipped, this CPU lacks %s\n", k->name,
                   strcmp(k->name, "avx2-rcp") == 0 ? "AVX2 or FMA" : "AVX-512 F and DQ");
#if RVH_AVX2
        } else if (strcmp(k->name, "avx2-rcp") == 0) {
            if (check_avx2(stride)) return 1;
#endif
#if RVH_AVX512
        } else if (strcmp(k->name, "avx512-rcp") == 0) {
            if (check_avx512(stride)) return 1;
#endif
        } else {
            printf("%s: no check for this replacement\n", k->name);
            return 1;
        }
        fflush(stdout);
    }
    printf("checked %" PRIu64 " divisors\n", checked);
    return checked > 0 ? 0 : 2;
}
