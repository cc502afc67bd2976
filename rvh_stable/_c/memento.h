/* MementoHash's lookup (Coluzzi, Brocco, Antonucci, Leidi: "MementoHash: A
 * Stateful, Minimal Memory, Best Performing Consistent Hash Algorithm",
 * IEEE/ACM Transactions on Networking 2024, arXiv 2306.09783).
 *
 * Jump hash numbers its buckets 0..n-1 and can only add or remove the last.
 * Memento keeps jump's lookup over a bucket array of size n and lets any
 * bucket be removed: each removed bucket b remembers its replacer, the
 * number of working buckets left when b went, minus one.  A key whose jump
 * bucket b is removed is rehashed into [0, replacer(b)), and so on:
 *
 *   b = jump(H(key), n)
 *   r = replacer(b)                         -1 if b works
 *   while (r >= 0) {
 *       b = XXH64(key bytes, seed = b) % r
 *       rr = replacer(b)
 *       while (rr >= r) { b = rr; rr = replacer(b); }
 *       r = rr
 *   }
 *
 * The removals and restorations themselves (which bucket gets which
 * replacer) are bookkeeping in rvh_stable/router.py (its _State); this
 * header holds only what a lookup reads: n, and the replacers in a small
 * open-addressing table whose size follows the number of removed buckets,
 * not n.  The key's bytes for the rehash are the caller's: _rehash_bytes in
 * rvh_stable/stable.py says which bytes each kind of key gives, and that
 * file's MementoTable is this lookup in the pure core.  No Python here: the
 * header compiles alone as C99.
 */
#ifndef RVH_MEMENTO_H
#define RVH_MEMENTO_H

#include <stddef.h>
#include <stdint.h>

#include "xxh64.h"

typedef struct {
    int32_t bucket;   /* a removed bucket, or -1: an empty place */
    int32_t replacer; /* its replacer */
} rvh_memento_entry;

typedef struct {
    int32_t size;                     /* n, the size of the bucket array */
    uint32_t mask;                    /* the table's capacity - 1 (a power of two) */
    const rvh_memento_entry *entries; /* NULL when no bucket is removed */
    /* Optional: size pointers, NULL exactly for the removed buckets (the
     * caller's own per-bucket data, such as a node's name), so that a working
     * bucket is known by one load instead of a probe of the table. */
    const void *const *working;
} rvh_memento;

/* The place where a bucket's probe starts (Fibonacci hashing). */
static inline uint32_t rvh_memento_home(int32_t bucket, uint32_t mask) {
    return (uint32_t)(((uint64_t)(uint32_t)bucket * 0x9E3779B97F4A7C15ULL) >> 32) & mask;
}

/* replacer(b): -1 if bucket b works. */
static inline int32_t rvh_memento_replacer(const rvh_memento *m, int32_t bucket) {
    uint32_t i;
    if (m->entries == NULL) return -1;
    for (i = rvh_memento_home(bucket, m->mask);; i = (i + 1) & m->mask) {
        if (m->entries[i].bucket == bucket) return m->entries[i].replacer;
        if (m->entries[i].bucket < 0) return -1;
    }
}

/* Put (bucket, replacer) into entries[0..mask] (filled with bucket -1
 * first, and at most half full).  For the code that builds the table. */
static inline void rvh_memento_put(rvh_memento_entry *entries, uint32_t mask, int32_t bucket,
                                   int32_t replacer) {
    uint32_t i = rvh_memento_home(bucket, mask);
    while (entries[i].bucket >= 0 && entries[i].bucket != bucket) i = (i + 1) & mask;
    entries[i].bucket = bucket;
    entries[i].replacer = replacer;
}

/* The working bucket for a key whose jump bucket is b, given the bytes the
 * rehash reads.  While b works, it is the answer. */
static inline int32_t rvh_memento_resolve(const rvh_memento *m, int32_t b, const uint8_t *key,
                                          size_t size) {
    int32_t r = rvh_memento_replacer(m, b), rr;
    while (r >= 0) {
        b = (int32_t)(rvh_xxh64_seeded(key, size, (uint64_t)b) % (uint64_t)r);
        rr = rvh_memento_replacer(m, b);
        while (rr >= r) {
            b = rr;
            rr = rvh_memento_replacer(m, b);
        }
        r = rr;
    }
    return b;
}

/* Whether bucket b works. */
static inline int rvh_memento_works(const rvh_memento *m, int32_t b) {
    if (m->working != NULL) return m->working[b] != NULL;
    return rvh_memento_replacer(m, b) < 0;
}

#endif /* RVH_MEMENTO_H */
