/* The NEON batch kernel, for aarch64, where NEON and 2-lane doubles (with a
 * vector division) are always there: 12 keys in flight as 6 pairs, the SSE2
 * kernel's rounds (sse2.h) lane for lane, for the paper's loop and for
 * Guava's.  Checked under emulation (tools/aarch64.sh): its speed is not
 * measured here.  No Python here: the header compiles alone as C99 (to
 * nothing off aarch64).
 */
#ifndef RVH_KERNELS_NEON_H
#define RVH_KERNELS_NEON_H

#include <stddef.h>
#include <stdint.h>

#include "../jump.h"
#include "../platform.h" /* RVH_NEON */
#include "common.h"

#if RVH_NEON
#include <arm_neon.h>

#define RVH_NEON_PAIRS 6
#define RVH_NEON_LANES (2 * RVH_NEON_PAIRS)

/* One round of a pair of lanes.  vcvtq_s64_f64 truncates toward zero as
 * cvttpd does; vdivq_f64 and vmulq_f64 round once each, like divsd and
 * mulsd (the build keeps -ffp-contract=off: no fused multiply-add). */
RVH_ALWAYS_INLINE void rvh_neon_pair(const uint64_t *keys, ptrdiff_t *next, int64_t *out,
                                     uint64_t *k, ptrdiff_t *slot, float64x2_t *p,
                                     float64x2_t limit, const int guava) {
    const float64x2_t one = vdupq_n_f64(1.0);
    uint64_t k0 = k[0] * RVH_JUMP_MULT + 1;
    uint64_t k1 = k[1] * RVH_JUMP_MULT + 1;
    int64x2_t b = vcvtq_s64_f64(*p);
    float64x2_t b_plus_1 = vaddq_f64(vcvtq_f64_s64(b), one);
    int64x2_t high = vcombine_s64(vcreate_s64(k0 >> 33), vcreate_s64(k1 >> 33));
    float64x2_t product;
    uint64x2_t done;
    int done0, done1;
    if (guava) { /* d = 0 where Java's int d wraps: p is +infinity and ends the lane */
        int64x2_t d = vandq_s64(vaddq_s64(high, vdupq_n_s64(1)), vdupq_n_s64(0x7FFFFFFF));
        product = vdivq_f64(b_plus_1,
                            vmulq_f64(vcvtq_f64_s64(d), vdupq_n_f64(1.0 / 2147483648.0)));
    } else {
        float64x2_t divisor = vaddq_f64(vcvtq_f64_s64(high), one);
        product = vmulq_f64(b_plus_1, vdivq_f64(vdupq_n_f64(2147483648.0), divisor));
    }
    done = vcgeq_f64(product, limit);
    done0 = (int)(vgetq_lane_u64(done, 0) & 1);
    done1 = (int)(vgetq_lane_u64(done, 1) & 1);
    out[slot[0]] = vgetq_lane_s64(b, 0);
    out[slot[1]] = vgetq_lane_s64(b, 1);
    *p = vreinterpretq_f64_u64(vbicq_u64(vreinterpretq_u64_f64(product), done));
    rvh_lane_take(keys, next, &k[0], &slot[0], k0, done0);
    rvh_lane_take(keys, next, &k[1], &slot[1], k1, done1);
}

RVH_ALWAYS_INLINE void rvh_neon_loop(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                     int64_t *out, const int guava) {
    uint64_t k[RVH_NEON_LANES];
    ptrdiff_t slot[RVH_NEON_LANES], next;
    float64x2_t p[RVH_NEON_PAIRS];
    double last[RVH_NEON_LANES];
    const float64x2_t limit = vdupq_n_f64((double)n);
    int l;
    if (count < 2 * RVH_NEON_LANES) {
        rvh_jump_keys_scalar(keys, count, n, out, guava);
        return;
    }
    for (l = 0; l < RVH_NEON_LANES; l++) {
        k[l] = keys[l];
        slot[l] = l;
    }
    for (l = 0; l < RVH_NEON_PAIRS; l++) p[l] = vdupq_n_f64(0.0);
    next = RVH_NEON_LANES;
    while (next <= count - RVH_NEON_LANES) {
        rvh_neon_pair(keys, &next, out, k + 0, slot + 0, &p[0], limit, guava);
        rvh_neon_pair(keys, &next, out, k + 2, slot + 2, &p[1], limit, guava);
        rvh_neon_pair(keys, &next, out, k + 4, slot + 4, &p[2], limit, guava);
        rvh_neon_pair(keys, &next, out, k + 6, slot + 6, &p[3], limit, guava);
        rvh_neon_pair(keys, &next, out, k + 8, slot + 8, &p[4], limit, guava);
        rvh_neon_pair(keys, &next, out, k + 10, slot + 10, &p[5], limit, guava);
    }
    for (l = 0; l < RVH_NEON_PAIRS; l++) vst1q_f64(last + 2 * l, p[l]);
    for (l = 0; l < RVH_NEON_LANES; l++) {
        out[slot[l]] = rvh_jump_from_variant(k[l], (int64_t)last[l], n, guava);
    }
    rvh_jump_keys_scalar(keys + next, count - next, n, out + next, guava);
}

static inline void rvh_jump_keys_neon(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                      int64_t *out) {
    rvh_neon_loop(keys, count, n, out, 0);
}

static inline void rvh_jump_keys_neon_guava(const uint64_t *keys, ptrdiff_t count, int32_t n,
                                            int64_t *out) {
    rvh_neon_loop(keys, count, n, out, 1);
}
#endif

#endif /* RVH_KERNELS_NEON_H */
