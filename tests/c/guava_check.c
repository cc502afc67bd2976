/* Checks Guava's loop in the shipped headers (rvh_stable/_c/jump_guava.h and
 * every batch kernel's Guava form) in two ways, and prints one line:
 *
 *   rows wrong_quick wrong_plain wrong_kernels steps wrong_steps paper_differs
 *
 * - rows: "key,num_buckets,bucket" lines on stdin (Guava's recorded answers,
 *   tests/data/interop_guava_consistent.csv without its header), each
 *   checked with rvh_jump_guava, rvh_jump_guava_plain, and every kernel this
 *   build and CPU run, the key filling a whole batch;
 * - steps: rvh_guava_next_quick against rvh_guava_next on states built so
 *   that the exact step (c + 1) * 2**31 / d lands on or next to an integer,
 *   where the quick step's shortcut must give way; argv[1] is how many
 *   (c, m) pairs to build, each tried with the d on both sides of
 *   (c + 1) * 2**31 / m.  paper_differs counts the steps where the paper's
 *   step (rvh_next_j) gives another candidate than Guava's: there the
 *   shortcut had to give way, so they show that the check reaches it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jump_guava.h"
#include "kernels.h"

#define COPIES 300 /* each key fills a batch: every lane of every kernel runs it */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rng(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv) {
    unsigned long long key;
    long num_buckets, bucket, pairs = argc > 1 ? atol(argv[1]) : 0, t;
    long rows = 0, wrong_quick = 0, wrong_plain = 0, wrong_kernels = 0;
    long steps = 0, wrong_steps = 0, paper_differs = 0;
    static uint64_t keys[COPIES];
    static int64_t out[COPIES];
    int count, k, i;
    const rvh_kernel *table = rvh_kernel_table(&count);
    while (scanf("%llu,%ld,%ld", &key, &num_buckets, &bucket) == 3) {
        rows++;
        wrong_quick += rvh_jump_guava((uint64_t)key, (int32_t)num_buckets) != (int32_t)bucket;
        wrong_plain += rvh_jump_guava_plain((uint64_t)key, (int32_t)num_buckets) != (int32_t)bucket;
        for (i = 0; i < COPIES; i++) keys[i] = (uint64_t)key;
        for (k = 0; k < count; k++) {
            if (!rvh_kernel_available(&table[k])) continue;
            table[k].run_guava(keys, COPIES, (int32_t)num_buckets, out);
            for (i = 0; i < COPIES; i++) wrong_kernels += out[i] != bucket;
        }
    }
    for (t = 0; t < pairs; t++) {
        /* c and m spread over every scale: small, middling and near 2**31. */
        int64_t c = (int64_t)(rng() >> (33 + rng() % 31));
        int64_t m = 1 + (int64_t)(rng() >> (33 + rng() % 31));
        int64_t d0, d;
        if (c > 2147483646) c = 2147483646;
        d0 = (int64_t)((((uint64_t)c + 1) << 31) / (uint64_t)m);
        for (d = d0 - 2; d <= d0 + 2; d++) {
            uint64_t state;
            int64_t quick, plain, paper;
            if (d < 1 || d > 2147483648LL) continue;
            state = ((uint64_t)(d - 1) << 33) | (rng() >> 31);
            steps++;
            quick = rvh_guava_next_quick(state, c);
            /* Java saturates at 2**31 - 1; the quick step need not, as
             * both are past every n. */
            if (quick > 2147483647) quick = 2147483647;
            plain = rvh_guava_next(state, c);
            wrong_steps += quick != plain;
            paper = rvh_next_j(state, c);
            paper_differs += (paper > 2147483647 ? 2147483647 : paper) != plain;
        }
    }
    printf("%ld %ld %ld %ld %ld %ld %ld\n", rows, wrong_quick, wrong_plain, wrong_kernels, steps,
           wrong_steps, paper_differs);
    return 0;
}
