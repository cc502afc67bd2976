/* The portable batch kernel: plain C, for every CPU.
 *
 * One key's loop is a serial chain (multiply, int -> double, divide,
 * multiply, truncate, compare), so a single key leaves most of the CPU idle.
 * RVH_PORTABLE_LANES keys run in lockstep instead: their chains are
 * independent and overlap.  A lane whose key is done writes its bucket and
 * takes the next key, so no lane waits for the slowest one.  Every lane
 * computes exactly the scalar loop's operations (jump.h), in the same order.
 */
#ifndef RVH_KERNEL_PORTABLE_H
#define RVH_KERNEL_PORTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "jump.h"

#define RVH_PORTABLE_LANES 8

/* Hash keys[0..count) into out[0..count). */
static inline void rvh_jump_keys_portable(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                          int64_t *out) {
    uint64_t k[RVH_PORTABLE_LANES];
    int64_t b[RVH_PORTABLE_LANES], j[RVH_PORTABLE_LANES];
    ptrdiff_t slot[RVH_PORTABLE_LANES], next, live, i;
    int l, any_done;
    if (count < 2 * RVH_PORTABLE_LANES) {
        for (i = 0; i < count; i++) out[i] = rvh_jump(keys[i], n);
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
        for (l = 0; l < RVH_PORTABLE_LANES; l++) any_done |= j[l] >= n;
        if (any_done) {
            for (l = 0; l < RVH_PORTABLE_LANES; l++) {
                if (j[l] < n) continue;
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
            j[l] = rvh_next_j(k[l], b[l]);
        }
    }
}

#endif /* RVH_KERNEL_PORTABLE_H */
