/* The detour of a key whose node is down, in one client's view
 * (rvh_stable.Router.down/up).
 *
 * Clients that shard on their own (pymemcache, redis-py) each decide that a
 * server is down and later that it is back, in their own order.  So a down
 * node is not a Memento removal (Memento's answer depends on the order of
 * removals); a key whose slot belongs to a down node takes the first slot of
 * a sequence that is fixed per key and is up:
 *
 *   s_0 = the key's slot (Memento's lookup, rvh_memento_resolve)
 *   s_j = the Memento slot of the int key h_j, for j = 1 .. RVH_DETOUR_TRIES,
 *         where h_j is the j-th value of SplitMix64 started at the key's
 *         uint64 h (state += 0x9E3779B97F4A7C15, then the mix below)
 *   then the slots after s_TRIES in order, wrapping around the array.
 *
 * The answer is a function of the down set alone, never of the order in which
 * nodes went down or came back.  And since every key walks its own fixed
 * sequence to the first slot that is up, a node going down moves only the
 * keys it held, and a node coming back takes only keys whose sequence reaches
 * it first: no other key moves.  A detoured key lands on each node that is up
 * in proportion to its slots; the slots after s_TRIES are reached only with
 * probability (down share)^RVH_DETOUR_TRIES (under 0.2% of the detoured keys
 * even with 90% of the slots down).
 *
 * The int key h_j's Memento slot is jump(h_j, n), then Memento's rehash
 * chain fed h_j as 8 little-endian bytes, as for any int key.  No Python
 * here: the header compiles alone as C99.
 */
#ifndef RVH_DETOUR_H
#define RVH_DETOUR_H

#include <stddef.h>
#include <stdint.h>

#include "jump.h"
#include "memento.h"
#include "splitmix64.h"

#define RVH_DETOUR_TRIES 64
#define RVH_DETOUR_GAMMA RVH_SPLITMIX64_GAMMA

/* The Memento slot of the int key h. */
static inline int32_t rvh_detour_slot(const rvh_memento *m, uint64_t h) {
    uint8_t pattern[8];
    int i;
    for (i = 0; i < 8; i++) pattern[i] = (uint8_t)(h >> (8 * i));
    return rvh_memento_resolve(m, rvh_jump(h, m->size), pattern, 8);
}

/* The slot of a key whose uint64 is h and whose own slot s is down.
 * down[slot] is nonzero for each slot of a down node; the caller makes sure
 * at least one working slot is up. */
static inline int32_t rvh_detour(const rvh_memento *m, const uint8_t *down, uint64_t h,
                                 int32_t s) {
    uint64_t state = h;
    int j;
    for (j = 0; j < RVH_DETOUR_TRIES; j++) {
        state += RVH_DETOUR_GAMMA;
        s = rvh_detour_slot(m, rvh_splitmix64_mix(state));
        if (!down[s]) return s;
    }
    do {
        s = s + 1 == m->size ? 0 : s + 1;
    } while (down[s] || !rvh_memento_works(m, s));
    return s;
}

#endif /* RVH_DETOUR_H */
