/* Checks Guava's loop of one key in the shipped header (rvh_stable/_c/
 * jump_guava.h) in two ways, and prints one line:
 *
 *   rows wrong_quick wrong_plain steps wrong_steps paper_differs
 *
 * - rows: "key,num_buckets,bucket" lines on stdin (Guava's recorded answers,
 *   tests/data/interop_guava_consistent.csv without its header), each
 *   checked with rvh_jump_guava and rvh_jump_guava_plain (the batch kernels
 *   are checked on the same rows by kernels_check.c);
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

#include "../../rvh_stable/_c/jump_guava.h"
#include "splitmix.h"

int main(int argc, char **argv) {
    unsigned long long key;
    long num_buckets, bucket, pairs = argc > 1 ? atol(argv[1]) : 0, t;
    long rows = 0, wrong_quick = 0, wrong_plain = 0;
    long steps = 0, wrong_steps = 0, paper_differs = 0;
    while (scanf("%llu,%ld,%ld", &key, &num_buckets, &bucket) == 3) {
        rows++;
        wrong_quick += rvh_jump_guava((uint64_t)key, (int32_t)num_buckets) != (int32_t)bucket;
        wrong_plain += rvh_jump_guava_plain((uint64_t)key, (int32_t)num_buckets) != (int32_t)bucket;
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
    printf("%ld %ld %ld %ld %ld %ld\n", rows, wrong_quick, wrong_plain, steps, wrong_steps,
           paper_differs);
    return 0;
}
