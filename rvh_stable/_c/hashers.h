/* Key hashers other services use, for hasher=.
 *
 * Each maps bytes to the unsigned 64-bit integer a peer library feeds its
 * jump loop.  rvh_stable/_hashers.py is the readable specification of each;
 * tests/test_hashers.py holds this C to it through tests/c/hashers_check.c.
 * rvh_hasher_table lists them by the names hasher= takes (rvh_stable/_rules.py
 * HASHERS; the extension looks each name up at import).  No Python here: the
 * header compiles alone as C99.
 *
 * - FNV-1 and FNV-1a, 64-bit (Go's hash/fnv New64, New64a);
 * - CRC-32/ISO-HDLC (zlib.crc32, Go's crc32.ChecksumIEEE), zero-extended;
 * - CRC-64/XZ (Go's crc64 with the ECMA table);
 * - MurmurHash3 x64 128, its first 8 bytes little-endian, with Guava's seed
 *   rule (an int widened with its sign), as Guava's
 *   murmur3_128(seed).hashBytes(b).padToLong().
 */
#ifndef RVH_HASHERS_H
#define RVH_HASHERS_H

#include <stddef.h>
#include <stdint.h>

#include "xxh64.h" /* rvh_read64, rvh_rotl64, rvh_xxh64 */

#define RVH_FNV_OFFSET 0xCBF29CE484222325ULL
#define RVH_FNV_PRIME 0x100000001B3ULL

static inline uint64_t rvh_fnv1_64(const uint8_t *p, size_t size) {
    uint64_t h = RVH_FNV_OFFSET;
    size_t i;
    for (i = 0; i < size; i++) h = (h * RVH_FNV_PRIME) ^ p[i];
    return h;
}

static inline uint64_t rvh_fnv1a_64(const uint8_t *p, size_t size) {
    uint64_t h = RVH_FNV_OFFSET;
    size_t i;
    for (i = 0; i < size; i++) h = (h ^ p[i]) * RVH_FNV_PRIME;
    return h;
}

/* A reflected CRC's tables for polynomial poly, filled on first use (*ready
 * tells): table[0] is the byte-at-a-time table (256 entries of 8 steps
 * each), and table[k][b] is the CRC of byte b followed by k zero bytes, so
 * that eight bytes are folded at once ("slicing by 8"): 16 KB, a few
 * microseconds.  The extension calls rvh_hashers_init at import, so the
 * first use happens before threads could race on it. */
static inline void rvh_crc_tables(uint64_t table[8][256], uint64_t poly, int *ready) {
    int byte, bit, k;
    if (*ready) return;
    for (byte = 0; byte < 256; byte++) {
        uint64_t crc = (uint64_t)byte;
        for (bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ ((crc & 1) ? poly : 0);
        table[0][byte] = crc;
    }
    for (k = 1; k < 8; k++) {
        for (byte = 0; byte < 256; byte++) {
            uint64_t crc = table[k - 1][byte];
            table[k][byte] = (crc >> 8) ^ table[0][crc & 0xFF];
        }
    }
    *ready = 1;
}

/* The register of a reflected CRC (at most 64 bits wide) after p[0..size).
 * Each 8-byte step is the byte-at-a-time loop over those bytes, regrouped:
 * the CRC is linear, so the register XOR the eight bytes (little-endian)
 * splits into one table lookup per byte. */
static inline uint64_t rvh_crc_update(const uint64_t table[8][256], uint64_t crc, const uint8_t *p,
                                      size_t size) {
    while (size >= 8) {
        uint64_t x = crc ^ rvh_read64(p);
        crc = table[7][x & 0xFF] ^ table[6][(x >> 8) & 0xFF] ^ table[5][(x >> 16) & 0xFF]
              ^ table[4][(x >> 24) & 0xFF] ^ table[3][(x >> 32) & 0xFF]
              ^ table[2][(x >> 40) & 0xFF] ^ table[1][(x >> 48) & 0xFF] ^ table[0][x >> 56];
        p += 8;
        size -= 8;
    }
    while (size-- > 0) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return crc;
}

static uint64_t rvh_crc32_table[8][256];
static int rvh_crc32_ready = 0;
static uint64_t rvh_crc64_table[8][256];
static int rvh_crc64_ready = 0;

static inline uint64_t rvh_crc32(const uint8_t *p, size_t size) {
    rvh_crc_tables(rvh_crc32_table, 0xEDB88320ULL, &rvh_crc32_ready); /* IEEE 802.3, reflected */
    return rvh_crc_update(rvh_crc32_table, 0xFFFFFFFFULL, p, size) ^ 0xFFFFFFFFULL;
}

static inline uint64_t rvh_crc64_xz(const uint8_t *p, size_t size) {
    rvh_crc_tables(rvh_crc64_table, 0xC96C5795D7870F42ULL, &rvh_crc64_ready); /* ECMA-182, reflected */
    return ~rvh_crc_update(rvh_crc64_table, ~0ULL, p, size);
}

#define RVH_MM_C1 0x87C37B91114253D5ULL
#define RVH_MM_C2 0x4CF5AD432745937FULL

static inline uint64_t rvh_murmur3_fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDULL;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ULL;
    return k ^ (k >> 33);
}

/* The first 64 bits of MurmurHash3 x64 128 of p[0..size); seed is a Java
 * int, widened with its sign as Guava does. */
static inline uint64_t rvh_murmur3_128(const uint8_t *p, size_t size, int32_t seed) {
    uint64_t h1 = (uint64_t)(int64_t)seed, h2 = h1, k1 = 0, k2 = 0;
    size_t blocks = size / 16, i, tail = size % 16;
    const uint8_t *rest = p + blocks * 16;
    for (i = 0; i < blocks; i++) {
        k1 = rvh_read64(p + 16 * i);
        k2 = rvh_read64(p + 16 * i + 8);
        h1 ^= rvh_rotl64(k1 * RVH_MM_C1, 31) * RVH_MM_C2;
        h1 = (rvh_rotl64(h1, 27) + h2) * 5 + 0x52DCE729;
        h2 ^= rvh_rotl64(k2 * RVH_MM_C2, 33) * RVH_MM_C1;
        h2 = (rvh_rotl64(h2, 31) + h1) * 5 + 0x38495AB5;
    }
    k1 = k2 = 0;
    for (i = tail; i > 8; i--) k2 = (k2 << 8) | rest[i - 1];
    for (i = tail < 8 ? tail : 8; i > 0; i--) k1 = (k1 << 8) | rest[i - 1];
    if (tail > 8) h2 ^= rvh_rotl64(k2 * RVH_MM_C2, 33) * RVH_MM_C1;
    if (tail > 0) h1 ^= rvh_rotl64(k1 * RVH_MM_C1, 31) * RVH_MM_C2;
    h1 ^= (uint64_t)size;
    h2 ^= (uint64_t)size;
    h1 += h2;
    h2 += h1;
    h1 = rvh_murmur3_fmix(h1);
    h2 = rvh_murmur3_fmix(h2);
    return h1 + h2;
}

/* Every hasher behind one signature: bytes and a seed (ignored by those
 * that take none; murmur3_128's is a Java int held in 64 bits). */
typedef uint64_t (*rvh_hash_fn)(const uint8_t *p, size_t size, uint64_t seed);

static inline uint64_t rvh_hash_xxh64(const uint8_t *p, size_t size, uint64_t seed) {
    return rvh_xxh64_seeded(p, size, seed);
}
static inline uint64_t rvh_hash_murmur3_128(const uint8_t *p, size_t size, uint64_t seed) {
    return rvh_murmur3_128(p, size, (int32_t)(int64_t)seed);
}
static inline uint64_t rvh_hash_fnv1a_64(const uint8_t *p, size_t size, uint64_t seed) {
    (void)seed;
    return rvh_fnv1a_64(p, size);
}
static inline uint64_t rvh_hash_fnv1_64(const uint8_t *p, size_t size, uint64_t seed) {
    (void)seed;
    return rvh_fnv1_64(p, size);
}
static inline uint64_t rvh_hash_crc64_xz(const uint8_t *p, size_t size, uint64_t seed) {
    (void)seed;
    return rvh_crc64_xz(p, size);
}
static inline uint64_t rvh_hash_crc32(const uint8_t *p, size_t size, uint64_t seed) {
    (void)seed;
    return rvh_crc32(p, size);
}

/* A row of the table of hashers by name. */
typedef struct {
    const char *name; /* as hasher= names it */
    rvh_hash_fn hash;
} rvh_hasher_entry;

static inline const rvh_hasher_entry *rvh_hasher_table(int *count) {
    static const rvh_hasher_entry table[] = {
        {"xxh64", rvh_hash_xxh64},       {"murmur3_128", rvh_hash_murmur3_128},
        {"fnv1a_64", rvh_hash_fnv1a_64}, {"fnv1_64", rvh_hash_fnv1_64},
        {"crc64_xz", rvh_hash_crc64_xz}, {"crc32", rvh_hash_crc32},
    };
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

/* How a batch hashes its str and bytes keys: one hasher and its seed, as
 * hasher= and seed= chose them.  fn NULL is the default, XXH64 with seed 0,
 * called inline (the common case, and the quickest). */
typedef struct {
    rvh_hash_fn fn;
    uint64_t seed;
} rvh_key_hash;

static inline uint64_t rvh_hash_key(const rvh_key_hash *h, const uint8_t *p, size_t size) {
    return h->fn == NULL ? rvh_xxh64(p, size) : h->fn(p, size, h->seed);
}

/* Fill the CRC tables now (at import), before threads could race on them. */
static inline void rvh_hashers_init(void) {
    static const uint8_t nothing[1] = {0};
    (void)rvh_crc32(nothing, 0);
    (void)rvh_crc64_xz(nothing, 0);
}

#endif /* RVH_HASHERS_H */
