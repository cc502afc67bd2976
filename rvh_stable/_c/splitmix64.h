/* SplitMix64 (Steele, Lea and Flood, 2014), the random values that
 * JumpBackHash (jumpback.h) and a down node's detour (detour.h) draw from a
 * key: each value adds RVH_SPLITMIX64_GAMMA to the state, then mixes it.
 * No Python here: the header compiles alone as C99.
 */
#ifndef RVH_SPLITMIX64_H
#define RVH_SPLITMIX64_H

#include <stdint.h>

#define RVH_SPLITMIX64_GAMMA 0x9E3779B97F4A7C15ULL

/* SplitMix64's mix of one state. */
static inline uint64_t rvh_splitmix64_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif /* RVH_SPLITMIX64_H */
