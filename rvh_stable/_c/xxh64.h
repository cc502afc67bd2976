/* XXH64, from Yann Collet's xxHash specification (doc/xxhash_spec.md in
 * the xxHash repository), with any 64-bit seed: rvh_xxh64_seeded serves
 * hasher="xxh64" with a seed (hashers.h) and Memento's rehash, whose seed
 * is a bucket (memento.h); rvh_xxh64, its seed 0 folded away, is the
 * default hash of str and bytes keys.  Written from the specification; the
 * pure core's xxh64 in rvh_stable/_hashers.py is the same algorithm in
 * Python, and the tests hold both to the xxhash package and to the vectors
 * in tests/data.  No Python here: the header compiles alone as C99. */
#ifndef RVH_XXH64_H
#define RVH_XXH64_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h" /* RVH_ALWAYS_INLINE */

#define RVH_XXH_P1 0x9E3779B185EBCA87ULL
#define RVH_XXH_P2 0xC2B2AE3D27D4EB4FULL
#define RVH_XXH_P3 0x165667B19E3779F9ULL
#define RVH_XXH_P4 0x85EBCA77C2B2AE63ULL
#define RVH_XXH_P5 0x27D4EB2F165667C5ULL

static inline uint64_t rvh_rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* Byte by byte, so that the value is little-endian on every host; compilers
 * turn this into one load on little-endian machines. */
static inline uint64_t rvh_read64(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24
           | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48
           | (uint64_t)p[7] << 56;
}

static inline uint64_t rvh_read32(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

static inline uint64_t rvh_xxh_round(uint64_t acc, uint64_t lane) {
    acc += lane * RVH_XXH_P2;
    acc = rvh_rotl64(acc, 31);
    return acc * RVH_XXH_P1;
}

static inline uint64_t rvh_xxh_merge(uint64_t acc, uint64_t v) {
    acc ^= rvh_xxh_round(0, v);
    return acc * RVH_XXH_P1 + RVH_XXH_P4;
}

/* b * P5 for each byte b: the last bytes' products, looked up rather than
 * multiplied (the same 64-bit values, computed by the compiler), which
 * leaves the one multiplier free for the steps that chain.  Measured on an
 * AMD Zen 1: 10-byte keys hash about 8% quicker. */
#define RVH_XXH_B(b) ((uint64_t)(b) * RVH_XXH_P5)
#define RVH_XXH_B4(b) RVH_XXH_B(b), RVH_XXH_B((b) + 1), RVH_XXH_B((b) + 2), RVH_XXH_B((b) + 3)
#define RVH_XXH_B16(b) RVH_XXH_B4(b), RVH_XXH_B4((b) + 4), RVH_XXH_B4((b) + 8), RVH_XXH_B4((b) + 12)
#define RVH_XXH_B64(b) \
    RVH_XXH_B16(b), RVH_XXH_B16((b) + 16), RVH_XXH_B16((b) + 32), RVH_XXH_B16((b) + 48)
static const uint64_t rvh_xxh_byte_p5[256] = {RVH_XXH_B64(0), RVH_XXH_B64(64), RVH_XXH_B64(128),
                                              RVH_XXH_B64(192)};
#undef RVH_XXH_B64
#undef RVH_XXH_B16
#undef RVH_XXH_B4
#undef RVH_XXH_B

/* XXH64 of p[0..size) with a 64-bit seed.  Always inlined: keys are short,
 * and a loop over many of them overlaps their hashes only when it sees
 * their code (a call per key cost a third of an Arrow batch). */
RVH_ALWAYS_INLINE uint64_t rvh_xxh64_seeded(const uint8_t *p, size_t size, uint64_t seed) {
    const uint8_t *end = p + size;
    uint64_t h;
    if (size >= 32) {
        uint64_t v1 = seed + RVH_XXH_P1 + RVH_XXH_P2, v2 = seed + RVH_XXH_P2, v3 = seed,
                 v4 = seed - RVH_XXH_P1;
        while (end - p >= 32) {
            v1 = rvh_xxh_round(v1, rvh_read64(p));
            v2 = rvh_xxh_round(v2, rvh_read64(p + 8));
            v3 = rvh_xxh_round(v3, rvh_read64(p + 16));
            v4 = rvh_xxh_round(v4, rvh_read64(p + 24));
            p += 32;
        }
        h = rvh_rotl64(v1, 1) + rvh_rotl64(v2, 7) + rvh_rotl64(v3, 12) + rvh_rotl64(v4, 18);
        h = rvh_xxh_merge(h, v1);
        h = rvh_xxh_merge(h, v2);
        h = rvh_xxh_merge(h, v3);
        h = rvh_xxh_merge(h, v4);
    } else {
        h = seed + RVH_XXH_P5;
    }
    h += (uint64_t)size;
    while (end - p >= 8) {
        h ^= rvh_xxh_round(0, rvh_read64(p));
        h = rvh_rotl64(h, 27) * RVH_XXH_P1 + RVH_XXH_P4;
        p += 8;
    }
    if (end - p >= 4) {
        h ^= rvh_read32(p) * RVH_XXH_P1;
        h = rvh_rotl64(h, 23) * RVH_XXH_P2 + RVH_XXH_P3;
        p += 4;
    }
    while (p < end) {
        h ^= rvh_xxh_byte_p5[p[0]];
        h = rvh_rotl64(h, 11) * RVH_XXH_P1;
        p++;
    }
    h ^= h >> 33;
    h *= RVH_XXH_P2;
    h ^= h >> 29;
    h *= RVH_XXH_P3;
    h ^= h >> 32;
    return h;
}

/* XXH64 (seed 0) of p[0..size): the hash of str and bytes keys.  The seed
 * is a constant here, so the compiler folds it away. */
RVH_ALWAYS_INLINE uint64_t rvh_xxh64(const uint8_t *p, size_t size) {
    return rvh_xxh64_seeded(p, size, 0);
}

#endif /* RVH_XXH64_H */
