/* Checks the jump loop, compiled with the flags under test, against known
 * answers read from stdin as "key,num_buckets,bucket" lines.  Prints the
 * number of rows checked and the number of mismatches.
 *
 * tests/test_x87.py builds it for 32-bit x86 (gcc -m32) with the project's
 * i686 flags (-msse2 -mfpmath=sse) and with the x87 unit (-mfpmath=387), to
 * show that the flags are what keeps i686 wheels bit-exact.  The step is the
 * same expression, in the same order, as _next_j in rvh_stable/_jump.pyx.
 */
#include <stdint.h>
#include <stdio.h>

static int32_t jump(uint64_t key, int32_t num_buckets) {
    int64_t b = -1, j = 0;
    while (j < num_buckets) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((b + 1) * (2147483648.0 / (double)(int64_t)((key >> 33) + 1)));
    }
    return (int32_t)b;
}

int main(void) {
    unsigned long long key;
    long num_buckets, bucket;
    long rows = 0, wrong = 0;
    while (scanf("%llu,%ld,%ld", &key, &num_buckets, &bucket) == 3) {
        rows++;
        if (jump((uint64_t)key, (int32_t)num_buckets) != (int32_t)bucket) {
            wrong++;
        }
    }
    printf("%ld %ld\n", rows, wrong);
    return 0;
}
