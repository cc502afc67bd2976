/* Checks the shipped jump loop and batch kernels (rvh_stable/_c/), compiled
 * with the flags under test, against known answers read from stdin as
 * "key,num_buckets,bucket" lines.  Prints the number of rows checked, the
 * number the scalar loop (rvh_jump) gets wrong, and the number the batch
 * kernels this build has get wrong.
 *
 * tests/test_x87.py builds it for 32-bit x86 (gcc -m32)
 * with the project's i686 flags (-msse2 -mfpmath=sse) and with the x87 unit
 * (-mfpmath=387), to show that the flags are what keeps i686 wheels
 * bit-exact.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../rvh_stable/_c/jump.h"
#include "../../rvh_stable/_c/kernels/table.h"

#define COPIES 300 /* each key fills a batch: every lane of every kernel runs it */

int main(void) {
    unsigned long long key;
    long num_buckets, bucket;
    long rows = 0, wrong = 0, kernel_wrong = 0;
    uint64_t keys[COPIES];
    int64_t out[COPIES];
    int count, k, i;
    const rvh_kernel *table = rvh_kernel_table(&count);
    while (scanf("%llu,%ld,%ld", &key, &num_buckets, &bucket) == 3) {
        rows++;
        if (rvh_jump((uint64_t)key, (int32_t)num_buckets) != (int32_t)bucket) wrong++;
        for (i = 0; i < COPIES; i++) keys[i] = (uint64_t)key;
        for (k = 0; k < count; k++) {
            if (!rvh_kernel_available(&table[k])) continue;
            table[k].run(keys, COPIES, (int32_t)num_buckets, out);
            for (i = 0; i < COPIES; i++) kernel_wrong += out[i] != bucket;
        }
    }
    printf("%ld %ld %ld\n", rows, wrong, kernel_wrong);
    return 0;
}
