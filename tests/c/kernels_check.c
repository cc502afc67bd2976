/* Checks every batch kernel this build and CPU run (rvh_stable/_c/kernels/)
 * against the scalar loops, for the paper's loop and Guava's:
 *
 *   kernels_check JUMP_CSV [GUAVA_CSV]
 *
 * - each row "key,num_buckets,bucket,..." of JUMP_CSV (tests/data/
 *   jump_reference.csv, after its header) fills a batch of 300 copies, and
 *   every kernel must give the bucket (the same for GUAVA_CSV, recorded from
 *   Guava, with the kernels' Guava form);
 * - random keys, in batches of every length from 0 to 400, at several n,
 *   against rvh_jump and rvh_jump_guava_plain key by key.
 *
 * Prints one line per kernel, then "checked N keys" as its last line; exits
 * 1 at the first wrong answer.  tools/aarch64.sh runs it under qemu for the
 * NEON kernel; tests/test_kernels.py runs it here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rvh_stable/_c/jump.h"
#include "../../rvh_stable/_c/jump_guava.h"
#include "../../rvh_stable/_c/kernels/table.h"
#include "splitmix.h"

#define COPIES 300
#define MAX_LENGTH 400

static long checked = 0;

static void fail(const char *kernel, const char *what, uint64_t key, long n, long got, long want) {
    printf("WRONG %s %s: key %llu n %ld gave %ld, want %ld\n", kernel, what,
           (unsigned long long)key, n, got, want);
    exit(1);
}

static void rows(const rvh_kernel *k, const char *path, int guava) {
    static uint64_t keys[COPIES];
    static int64_t out[COPIES];
    char line[512];
    FILE *f = fopen(path, "r");
    rvh_batch_fn run = guava ? k->run_guava : k->run;
    int i;
    if (f == NULL) {
        printf("cannot read %s\n", path);
        exit(2);
    }
    if (fgets(line, sizeof line, f) == NULL) exit(2); /* the header */
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long key;
        long n, bucket;
        if (sscanf(line, "%llu,%ld,%ld", &key, &n, &bucket) != 3) continue;
        for (i = 0; i < COPIES; i++) keys[i] = key;
        run(keys, COPIES, (int32_t)n, out);
        for (i = 0; i < COPIES; i++) {
            if (out[i] != bucket) fail(k->name, guava ? "guava row" : "reference row", key, n, out[i], bucket);
        }
        checked += COPIES;
    }
    fclose(f);
}

static void lengths(const rvh_kernel *k) {
    static const int32_t ns[] = {1, 2, 7, 1000, 65536, 2147483647};
    static uint64_t keys[MAX_LENGTH];
    static int64_t out[MAX_LENGTH];
    size_t a;
    int length, i, guava;
    for (a = 0; a < sizeof ns / sizeof ns[0]; a++) {
        for (length = 0; length <= MAX_LENGTH; length++) {
            for (guava = 0; guava < 2; guava++) {
                for (i = 0; i < length; i++) keys[i] = rng();
                (guava ? k->run_guava : k->run)(keys, length, ns[a], out);
                for (i = 0; i < length; i++) {
                    long want = guava ? rvh_jump_guava_plain(keys[i], ns[a]) : rvh_jump(keys[i], ns[a]);
                    if (out[i] != want) fail(k->name, guava ? "guava random" : "random", keys[i], ns[a], out[i], want);
                }
                checked += length;
            }
        }
    }
}

int main(int argc, char **argv) {
    int count, k;
    const rvh_kernel *table = rvh_kernel_table(&count);
    if (argc < 2) {
        printf("usage: kernels_check JUMP_CSV [GUAVA_CSV]\n");
        return 2;
    }
    for (k = 0; k < count; k++) {
        long before = checked;
        if (!rvh_kernel_available(&table[k])) continue;
        rows(&table[k], argv[1], 0);
        if (argc > 2) rows(&table[k], argv[2], 1);
        lengths(&table[k]);
        printf("%s: %ld keys right\n", table[k].name, checked - before);
    }
    printf("checked %ld keys\n", checked);
    return 0;
}
