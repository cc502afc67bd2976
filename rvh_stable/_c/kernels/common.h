/* What the batch kernels (table.h) share, none of it tied to an
 * instruction set: the scalar ends of a batch, the refill of one lane in
 * the pair kernels, and the write-out of buffered answers in the wide ones.
 * No Python here: the header compiles alone as C99.
 */
#ifndef RVH_KERNELS_COMMON_H
#define RVH_KERNELS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../jump.h"
#include "../jump_guava.h"
#include "../platform.h"

/* The exact-reciprocal kernels' Newton steps after their seed (avx2.h,
 * avx512.h): 3.  Defined otherwise only by the test that shows
 * tools/reciprocal_check.sh catching a reciprocal with too few. */
#ifndef RVH_NEWTON_STEPS
#define RVH_NEWTON_STEPS 3
#endif

/* The kernels' scalar ends, for the loop a kernel takes as a constant
 * argument (guava: 0, the paper's; 1, Guava's).  rvh_jump_from_variant
 * finishes one key from its state (key, j) with j < n, as a kernel hands
 * over a key still in flight; rvh_jump_keys_scalar hashes keys[0..count)
 * one at a time, for batches too short for a kernel's lanes. */
RVH_ALWAYS_INLINE int64_t rvh_jump_from_variant(uint64_t key, int64_t j, int32_t n,
                                                const int guava) {
    return guava ? rvh_jump_guava_from(key, j, n) : rvh_jump_from(key, j, n);
}

RVH_ALWAYS_INLINE void rvh_jump_keys_scalar(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                            int64_t *out, const int guava) {
    ptrdiff_t i;
    for (i = 0; i < count; i++) out[i] = rvh_jump_from_variant(keys[i], 0, n, guava);
}

/* One lane of a pair kernel (SSE2, NEON) after its step: where its key is
 * done (done = 1) it takes keys[*next] into that slot, otherwise it keeps
 * its stepped key.  keys[*next] is read either way (the caller keeps it in
 * bounds), so that the compiler can select instead of branch. */
RVH_ALWAYS_INLINE void rvh_lane_take(const uint64_t *keys, ptrdiff_t *next, uint64_t *k,
                                     ptrdiff_t *slot, uint64_t stepped, int done) {
    const uint64_t fresh = keys[*next];
    *k = done ? fresh : stepped;
    *slot = done ? *next : *slot;
    *next += done;
}

/* Write out buffered (slot, j) pairs of ended lanes (the AVX2 and AVX-512
 * kernels): the answer b is j's low 32 bits (an AVX2 lane's j carries
 * multiples of 2**32 above b; an AVX-512 lane's j is b).  Plain stores,
 * and on GCC out of line, where the compiler would otherwise make them a
 * scatter in the AVX-512 kernel (slow on some CPUs, and no faster on
 * others).  Not inline, so marked unused for the builds without those
 * kernels. */
#if RVH_GCC
RVH_NOINLINE
#endif
RVH_UNUSED static void rvh_write_answers(int64_t *out, const int64_t *slots, const double *j,
                                         int count) {
    int i;
    for (i = 0; i < count; i++) out[slots[i]] = (int64_t)j[i] & 0xFFFFFFFF;
}

#endif /* RVH_KERNELS_COMMON_H */
