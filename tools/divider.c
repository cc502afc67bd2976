/* The divider's bound on the batch kernels: tools/divider.sh builds and runs
 * this.
 *
 * Every step of the jump loop divides once (2**31 / d), and a key takes
 * about H(n) + 1 steps, so no kernel can be faster than
 *
 *   steps per key (at n)  x  the divider's time per double (at its width).
 *
 * This program measures both on this machine: the steps per key by running
 * the loop on random keys, and the time per division with many independent
 * divisions in flight (the divider's throughput, not its latency), for
 * scalar divsd and for 2-, 4- and 8-wide vectors where the CPU has them.
 * It prints the bound in ns per key for each width at n = 10, 1000 and 10**6.
 *
 * Then it times each batch kernel this build and CPU run (kernels/table.h), in
 * the same process, on 1M random keys in calls of 65536 (the best of 7
 * rounds), and prints each against the bound of its vector width: the
 * kernel / bound column of the README's table (the goal is judged on the
 * widest dividing kernel).  The exact-reciprocal
 * kernels (avx2-rcp, avx512-rcp) divide no more, so their column is how
 * they compare with the bound the division would set; the last lines name
 * the kernel the table's calibration picks here and, for each width with
 * both, the reciprocal kernel's time over the dividing one's at n = 1000.  Exits 1 if the widest
 * kernel is above RVH_BOUND_GOAL times its bound at n = 1000 (2.5, or
 * argv[1]).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../rvh_stable/_c/jump.h"
#include "../rvh_stable/_c/kernels/table.h" /* and platform.h: RVH_TARGET */

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double steps_per_key(int32_t n) {
    uint64_t state = 0x9E3779B97F4A7C15ULL, steps = 0;
    const int keys = 1000000;
    int i;
    for (i = 0; i < keys; i++) {
        uint64_t key = (state += 0x9E3779B97F4A7C15ULL);
        int64_t b = -1, j = 0;
        while (j < n) {
            b = j;
            key = key * RVH_JUMP_MULT + 1;
            j = rvh_next_j(key, b);
            steps++;
        }
    }
    return (double)steps / keys;
}

#define ROUNDS 2000000
#define CHAINS 12 /* independent divisions in flight: more than latency / throughput */

/* ns per double: scalar divisions. */
static double scalar_ns(void) {
    volatile double seed = 3.0;
    double x[CHAINS], d = seed, t;
    int r, c;
    for (c = 0; c < CHAINS; c++) x[c] = 1.0 + c;
    t = now();
    for (r = 0; r < ROUNDS; r++) {
        for (c = 0; c < CHAINS; c++) x[c] = d / x[c];
    }
    t = now() - t;
    for (c = 1; c < CHAINS; c++) x[0] += x[c];
    if (x[0] == 42.0) printf(" ");
    return t * 1e9 / ((double)ROUNDS * CHAINS);
}

#if defined(__x86_64__)
RVH_TARGET("sse2") static double xmm_ns(void) {
    __m128d x[CHAINS], d = _mm_set1_pd(3.0);
    double t, sink[2];
    int r, c;
    for (c = 0; c < CHAINS; c++) x[c] = _mm_set1_pd(1.0 + c);
    t = now();
    for (r = 0; r < ROUNDS; r++) {
        for (c = 0; c < CHAINS; c++) x[c] = _mm_div_pd(d, x[c]);
    }
    t = now() - t;
    for (c = 1; c < CHAINS; c++) x[0] = _mm_add_pd(x[0], x[c]);
    _mm_storeu_pd(sink, x[0]);
    if (sink[0] == 42.0) printf(" ");
    return t * 1e9 / ((double)ROUNDS * CHAINS * 2);
}

RVH_TARGET("avx2") static double ymm_ns(void) {
    __m256d x[CHAINS], d = _mm256_set1_pd(3.0);
    double t, sink[4];
    int r, c;
    for (c = 0; c < CHAINS; c++) x[c] = _mm256_set1_pd(1.0 + c);
    t = now();
    for (r = 0; r < ROUNDS; r++) {
        for (c = 0; c < CHAINS; c++) x[c] = _mm256_div_pd(d, x[c]);
    }
    t = now() - t;
    for (c = 1; c < CHAINS; c++) x[0] = _mm256_add_pd(x[0], x[c]);
    _mm256_storeu_pd(sink, x[0]);
    if (sink[0] == 42.0) printf(" ");
    return t * 1e9 / ((double)ROUNDS * CHAINS * 4);
}

RVH_TARGET("avx512f") static double zmm_ns(void) {
    __m512d x[CHAINS], d = _mm512_set1_pd(3.0);
    double t, sink[8];
    int r, c;
    for (c = 0; c < CHAINS; c++) x[c] = _mm512_set1_pd(1.0 + c);
    t = now();
    for (r = 0; r < ROUNDS; r++) {
        for (c = 0; c < CHAINS; c++) x[c] = _mm512_div_pd(d, x[c]);
    }
    t = now() - t;
    for (c = 1; c < CHAINS; c++) x[0] = _mm512_add_pd(x[0], x[c]);
    _mm512_storeu_pd(sink, x[0]);
    if (sink[0] == 42.0) printf(" ");
    return t * 1e9 / ((double)ROUNDS * CHAINS * 8);
}
#endif

#define KEYS (1L << 20)
#define CALL 65536L

/* ns per key of one kernel at n: the best of 7 rounds over KEYS keys. */
static double kernel_ns(rvh_batch_fn run, const uint64_t *keys, int64_t *out, int32_t n) {
    double best = 1e30, t;
    long at;
    int round;
    for (round = 0; round < 7; round++) {
        t = now();
        for (at = 0; at < KEYS; at += CALL) run(keys + at, CALL, n, out + at);
        t = now() - t;
        if (t < best) best = t;
    }
    return best * 1e9 / KEYS;
}

int main(int argc, char **argv) {
    static const int32_t ns[] = {10, 1000, 1000000};
    static const char *const width_of[] = {"portable", "sse2", "avx2", "avx512"};
    double steps[3], per[4], goal = argc > 1 ? atof(argv[1]) : 2.5, widest = 0.0;
    const char *names[4] = {"scalar divsd (portable)", "divpd xmm (sse2)", "vdivpd ymm (avx2)",
                            "vdivpd zmm (avx512)"};
    int widths = 1, i, w, k, count, measured[4] = {1, 0, 0, 0};
    const rvh_kernel *table = rvh_kernel_table(&count);
    uint64_t *keys = malloc(KEYS * sizeof *keys), state = 0x2545F4914F6CDD1DULL;
    int64_t *out = malloc(KEYS * sizeof *out);
    if (keys == NULL || out == NULL) return 2;
    for (i = 0; i < KEYS; i++) keys[i] = (state += 0x9E3779B97F4A7C15ULL) * RVH_JUMP_MULT;
    for (i = 0; i < 3; i++) steps[i] = steps_per_key(ns[i]);
    per[0] = scalar_ns();
#if defined(__x86_64__)
    per[1] = xmm_ns();
    measured[1] = 1;
    widths = 2;
    if (__builtin_cpu_supports("avx2")) {
        per[2] = ymm_ns();
        measured[2] = 1;
        widths = 3;
    }
    if (__builtin_cpu_supports("avx512f")) {
        per[3] = zmm_ns();
        measured[3] = 1;
        widths = 4;
    }
#endif
    printf("steps per key: n=10 %.3f, n=1000 %.3f, n=10**6 %.3f\n", steps[0], steps[1], steps[2]);
    printf("%-26s %12s %10s %10s %10s\n", "divider", "ns/double", "n=10", "n=1000", "n=10**6");
    for (w = 0; w < widths; w++) {
        printf("%-26s %12.3f", names[w], per[w]);
        for (i = 0; i < 3; i++) printf(" %10.2f", steps[i] * per[w]);
        printf("\n");
    }
    printf("(bound: ns per key that the divider alone needs)\n\n");
    printf("%-10s %10s %10s %10s %14s\n", "kernel", "n=10", "n=1000", "n=10**6",
           "n=1000 / bound");
    for (k = 0; k < count; k++) {
        double t[3];
        if (!rvh_kernel_available(&table[k])) continue;
        for (i = 0; i < 3; i++) t[i] = kernel_ns(table[k].run, keys, out, ns[i]);
        printf("%-10s %10.2f %10.2f %10.2f", table[k].name, t[0], t[1], t[2]);
        for (w = 0; w < 4; w++) { /* "avx2-rcp" is of avx2's width */
            size_t len = strlen(width_of[w]);
            if (strncmp(width_of[w], table[k].name, len) == 0
                && (table[k].name[len] == '\0' || table[k].name[len] == '-') && measured[w])
                break;
        }
        if (w < 4) {
            printf(" %14.2f", t[1] / (steps[1] * per[w]));
            /* The goal is the dividing kernels': a -rcp one has no divider. */
            if (!table[k].reciprocal) widest = t[1] / (steps[1] * per[w]);
        }
        printf("\n");
    }
    for (k = 1; k < count; k++) {
        if (table[k].reciprocal && rvh_kernel_available(&table[k])
            && rvh_kernel_available(&table[k - 1])) {
            printf("reciprocal: %s / %s at n=1000: %.2f\n", table[k].name, table[k - 1].name,
                   kernel_ns(table[k].run, keys, out, 1000)
                       / kernel_ns(table[k - 1].run, keys, out, 1000));
        }
    }
    printf("pick: %s\n", table[rvh_kernel_best()].name);
    printf("widest kernel: %.2f times its bound at n = 1000 (goal <= %.2f): %s\n", widest, goal,
           widest <= goal ? "PASS" : "FAIL");
    free(keys);
    free(out);
    return widest <= goal ? 0 : 1;
}
