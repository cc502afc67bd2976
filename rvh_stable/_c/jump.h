/* Lamping & Veach's jump loop, bit for bit.
 *
 *     b = -1; j = 0;
 *     while (j < n) {
 *         b = j;
 *         key = key * 2862933555777941757 + 1;
 *         j = (int64_t)((b + 1) * (2**31 / (double)((key >> 33) + 1)));
 *     }
 *     return b;
 *
 * in IEEE double: the division rounds once, then the product rounds once.
 * Merging or skipping either rounding changes rare answers (the adversarial
 * vectors in tests/data/jump_reference.csv), so the build keeps
 * -ffp-contract=off and never -ffast-math, and 32-bit x86 builds use SSE2
 * arithmetic, not the x87 unit (tests/test_x87.py).
 *
 * Every batch kernel (kernels/) computes these same operations, in this
 * order, for several keys at once.  No Python here: the header compiles
 * alone as C99.
 */
#ifndef RVH_JUMP_H
#define RVH_JUMP_H

#include <stdint.h>

#define RVH_JUMP_MULT 2862933555777941757ULL

/* One step: the j that follows b for the already advanced key.  (key >> 33)
 * + 1 is at most 2**31, so going through int64 converts it exactly and with
 * a single instruction. */
static inline int64_t rvh_next_j(uint64_t key, int64_t b) {
    return (int64_t)((b + 1) * (2147483648.0 / (double)(int64_t)((key >> 33) + 1)));
}

/* The rest of one key's loop from the state (key, j), for a key whose loop
 * has not ended (j < n).  The b before j is not needed: the loop runs at
 * least once more, and that round sets b = j. */
static inline int64_t rvh_jump_from(uint64_t key, int64_t j, int32_t n) {
    int64_t b = -1;
    while (j < n) {
        b = j;
        key = key * RVH_JUMP_MULT + 1;
        j = rvh_next_j(key, b);
    }
    return b;
}

/* The bucket of a 64-bit key, in [0, n), for n >= 1. */
static inline int32_t rvh_jump(uint64_t key, int32_t n) {
    return (int32_t)rvh_jump_from(key, 0, n); /* a fresh key: b = -1, j = 0 */
}

#endif /* RVH_JUMP_H */
