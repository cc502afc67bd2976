/* The portable batch kernel: plain C, for every CPU.
 *
 * One key's loop is a serial chain (multiply, int -> double, divide,
 * multiply, truncate, compare), so a single key leaves most of the CPU idle.
 * RVH_PORTABLE_LANES keys run in lockstep instead: their chains are
 * independent and overlap.  A lane whose key is done writes its bucket and
 * takes the next key, so no lane waits for the slowest one.  Every lane
 * computes exactly the scalar loop's operations (jump.h), in the same order,
 * or Guava's (jump_guava.h) in rvh_jump_keys_portable_guava.  No Python
 * here: the header compiles alone as C99.
 */
#ifndef RVH_KERNELS_PORTABLE_H
#define RVH_KERNELS_PORTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "../jump.h"
#include "common.h"

#define RVH_PORTABLE_LANES 8

/* Hash keys[0..count) into out[0..count), by the paper's loop or Guava's.
 * A lane's j is the step's result; the lane's key is done when j is not in
 * [0, n) (the paper's j is never negative; Guava's is where d wraps). */
RVH_ALWAYS_INLINE void rvh_portable_loop(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                         int64_t *out, const int guava) {
    uint64_t k[RVH_PORTABLE_LANES];
    int64_t b[RVH_PORTABLE_LANES], j[RVH_PORTABLE_LANES];
    ptrdiff_t slot[RVH_PORTABLE_LANES], next, live;
    int l, any_done;
    if (count < 2 * RVH_PORTABLE_LANES) {
        rvh_jump_keys_scalar(keys, count, n, out, guava);
        return;
    }
    for (l = 0; l < RVH_PORTABLE_LANES; l++) {
        k[l] = keys[l];
        b[l] = -1;
        j[l] = 0;
        slot[l] = l;
    }
    next = RVH_PORTABLE_LANES;
    live = RVH_PORTABLE_LANES;
    for (;;) {
        any_done = 0;
        for (l = 0; l < RVH_PORTABLE_LANES; l++) any_done |= (uint64_t)j[l] >= (uint64_t)n;
        if (any_done) {
            for (l = 0; l < RVH_PORTABLE_LANES; l++) {
                if ((uint64_t)j[l] < (uint64_t)n) continue;
                if (slot[l] >= 0) {
                    out[slot[l]] = b[l];
                    live--;
                }
                if (next < count) {
                    k[l] = keys[next];
                    slot[l] = next++;
                    live++;
                } else { /* no keys left: the lane idles on a dummy key */
                    k[l] = 0;
                    slot[l] = -1;
                }
                b[l] = -1;
                j[l] = 0;
            }
            if (live == 0) return;
        }
        for (l = 0; l < RVH_PORTABLE_LANES; l++) {
            b[l] = j[l];
            k[l] = k[l] * RVH_JUMP_MULT + 1;
            j[l] = guava ? rvh_guava_next(k[l], b[l]) : rvh_next_j(k[l], b[l]);
        }
    }
}

static inline void rvh_jump_keys_portable(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                          int64_t *out) {
    rvh_portable_loop(keys, count, n, out, 0);
}

static inline void rvh_jump_keys_portable_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                                int64_t *out) {
    rvh_portable_loop(keys, count, n, out, 1);
}

#endif /* RVH_KERNELS_PORTABLE_H */
