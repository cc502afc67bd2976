/* Runs the C key hashers of rvh_stable/_c/ on inputs read from stdin, one
 * per line: "NAME SEED HEX" (HEX the bytes, "-" for none).  Prints each
 * 64-bit result in decimal, one per line.  tests/test_hashers.py compares
 * them with the pure-Python twins in rvh_stable/_hashers.py. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../rvh_stable/_c/hashers.h"
#include "../../rvh_stable/_c/xxh64.h"

static size_t unhex(const char *hex, uint8_t *out) {
    size_t n = 0;
    unsigned int byte;
    if (strcmp(hex, "-") == 0) return 0;
    while (sscanf(hex + 2 * n, "%2x", &byte) == 1) out[n++] = (uint8_t)byte;
    return n;
}

int main(void) {
    static char name[32], seed_text[32], hex[8192];
    static uint8_t data[4096];
    while (scanf("%31s %31s %8191s", name, seed_text, hex) == 3) {
        size_t size = unhex(hex, data);
        long long seed = strtoll(seed_text, NULL, 10);
        uint64_t h;
        if (strcmp(name, "fnv1_64") == 0) h = rvh_fnv1_64(data, size);
        else if (strcmp(name, "fnv1a_64") == 0) h = rvh_fnv1a_64(data, size);
        else if (strcmp(name, "crc32") == 0) h = rvh_crc32(data, size);
        else if (strcmp(name, "crc64_xz") == 0) h = rvh_crc64_xz(data, size);
        else if (strcmp(name, "murmur3_128") == 0) h = rvh_murmur3_128(data, size, (int32_t)seed);
        else if (strcmp(name, "xxh64") == 0) h = rvh_xxh64_seeded(data, size, (uint64_t)strtoull(seed_text, NULL, 10));
        else return 2;
        printf("%llu\n", (unsigned long long)h);
    }
    return 0;
}
