/* Checks JumpBackHash's header (rvh_stable/_c/jumpback.h) against hash4j's
 * recorded answers, one key at a time and in one batch, and its bit helpers
 * against plain loops over every edge, and prints one line:
 *
 *   rows wrong_one wrong_batch wrong_mask wrong_top wrong_odd
 *
 * - rows: "hash_u64,n,bucket" lines on stdin (tests/data/jumpback_hash4j.csv
 *   without its header), each checked with rvh_jumpback and with
 *   rvh_jumpback_keys (a batch of one key); then batches of 1000 SplitMix64
 *   keys at every n of the rows, checked key by key against rvh_jumpback
 *   (counted in wrong_batch too);
 * - the helpers: rvh_jumpback_mask, _top and _odd (and the folded _top and
 *   _odd, which compilers without GNU C's builtins use) for 0, every power
 *   of two and its neighbours, and 2**32 - 1.  Built under -fsanitize=undefined by
 *   the test, so a shift by 32 or more stops the driver.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../rvh_stable/_c/jumpback.h"

static uint32_t slow_mask(uint32_t v) {
    uint32_t m = 0;
    while (m < v) m = 2 * m + 1;
    return m;
}

static uint32_t slow_top(uint32_t x) {
    uint32_t t = 1;
    while (x / 2 >= t) t *= 2;
    return t;
}

static uint32_t slow_odd(uint32_t x) {
    uint32_t c = 0;
    for (; x; x /= 2) c ^= x & 1;
    return c;
}

int main(void) {
    unsigned long long key;
    long n, bucket, rows = 0, wrong_one = 0, wrong_batch = 0;
    long wrong_mask = 0, wrong_top = 0, wrong_odd = 0;
    int i, d;
    uint64_t k, state = 25;
    int64_t got;
    static uint64_t many[1000];
    static int64_t out[1000];
    while (scanf("%llu,%ld,%ld", &key, &n, &bucket) == 3) {
        rows++;
        wrong_one += rvh_jumpback((uint64_t)key, (int32_t)n) != (int32_t)bucket;
        k = (uint64_t)key;
        rvh_jumpback_keys(&k, 1, (int32_t)n, &got);
        wrong_batch += got != bucket;
        for (i = 0; i < 1000; i++) {
            state += RVH_SPLITMIX64_GAMMA;
            many[i] = rvh_splitmix64_mix(state);
        }
        rvh_jumpback_keys(many, 1000, (int32_t)n, out);
        for (i = 0; i < 1000; i++) wrong_batch += out[i] != rvh_jumpback(many[i], (int32_t)n);
    }
    for (i = 0; i < 32; i++) {
        for (d = -1; d <= 1; d++) {
            uint32_t v = (uint32_t)(((uint64_t)1 << i) + (uint64_t)(int64_t)d);
            wrong_mask += rvh_jumpback_mask(v) != slow_mask(v);
            wrong_odd += rvh_jumpback_odd(v) != slow_odd(v);
            wrong_odd += rvh_jumpback_odd_folded(v) != slow_odd(v);
            if (v == 0) continue;
            wrong_top += rvh_jumpback_top(v) != slow_top(v);
            wrong_top += rvh_jumpback_top_folded(v) != slow_top(v);
        }
    }
    wrong_mask += rvh_jumpback_mask(0xFFFFFFFFu) != 0xFFFFFFFFu;
    wrong_top += rvh_jumpback_top(0xFFFFFFFFu) != 0x80000000u;
    wrong_top += rvh_jumpback_top_folded(0xFFFFFFFFu) != 0x80000000u;
    printf("%ld %ld %ld %ld %ld %ld\n", rows, wrong_one, wrong_batch, wrong_mask, wrong_top,
           wrong_odd);
    return 0;
}
