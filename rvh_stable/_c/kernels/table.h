/* Every batch kernel behind one table, and the one function that picks a
 * kernel for this CPU.
 *
 * A kernel hashes keys[0..count) into out[0..count) with exactly the jump
 * loop's operations (../jump.h), or Guava's (../jump_guava.h), so every
 * kernel gives every answer of the scalar loop; they differ only in how many
 * keys are in flight at once, and in how the -rcp kernels reach the
 * division's quotient (an exact reciprocal, checked for every divisor).  Each takes any count, short batches included.
 * This folder holds five, one header each: portable (plain C, every CPU),
 * sse2 (x86), neon (aarch64), avx2 and avx512 (x86-64, each asked of the CPU
 * at import), and common.h what they share.  The two widest come in two
 * ways each, dividing and by the exact reciprocal (avx2-rcp, avx512-rcp;
 * avx2.h says why they agree), the pick between them measured at import.
 * The table lists all seven,
 * built or not, so that a request for one this build or CPU lacks can be
 * refused with the list of those it has; ../platform.h decides which are
 * built and holds the CPU probes.  No Python here: the header compiles
 * alone as C99.
 */
#ifndef RVH_KERNELS_TABLE_H
#define RVH_KERNELS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "../platform.h" /* RVH_SSE2 .. RVH_AVX512, rvh_cpu_has_avx2 and _avx512 */
#include "portable.h"
#include "neon.h"
#include "sse2.h"
#include "avx2.h"
#include "avx512.h"

typedef void (*rvh_batch_fn)(const uint64_t *keys, ptrdiff_t count, int32_t n, int64_t *out);

typedef struct {
    const char *name;       /* what RVH_STABLE_KERNEL and rvh_stable.KERNEL call it */
    rvh_batch_fn run;       /* the paper's loop; NULL: not in this build */
    rvh_batch_fn run_guava; /* Guava's loop (../jump_guava.h), on the same lanes */
    int (*cpu_has)(void);   /* NULL: every CPU this build runs on has it */
    /* 1: the width's exact-reciprocal twin of the row before it; 2: the
     * same, but not yet run on a CPU that has it (avx512-rcp, written on an
     * AMD Zen 1): never picked, only forced (RVH_STABLE_KERNEL), until
     * tools/reciprocal_check.sh and tests/test_kernels.py pass on one. */
    int reciprocal;
} rvh_kernel;

/* The kernels, slowest first: the pick is the last one available. */
static inline const rvh_kernel *rvh_kernel_table(int *count) {
    static const rvh_kernel table[] = {
        {"portable", rvh_jump_keys_portable, rvh_jump_keys_portable_guava, NULL, 0},
#if RVH_NEON
        {"neon", rvh_jump_keys_neon, rvh_jump_keys_neon_guava, NULL, 0},
#else
        {"neon", NULL, NULL, NULL, 0},
#endif
#if RVH_SSE2
        {"sse2", rvh_jump_keys_sse2, rvh_jump_keys_sse2_guava, NULL, 0},
#else
        {"sse2", NULL, NULL, NULL, 0},
#endif
#if RVH_AVX2
        {"avx2", rvh_jump_keys_avx2, rvh_jump_keys_avx2_guava, rvh_cpu_has_avx2, 0},
        {"avx2-rcp", rvh_jump_keys_avx2_rcp, rvh_jump_keys_avx2_rcp_guava, rvh_cpu_has_avx2_fma, 1},
#else
        {"avx2", NULL, NULL, NULL, 0},
        {"avx2-rcp", NULL, NULL, NULL, 1},
#endif
#if RVH_AVX512
        {"avx512", rvh_jump_keys_avx512, rvh_jump_keys_avx512_guava, rvh_cpu_has_avx512, 0},
        {"avx512-rcp", rvh_jump_keys_avx512_rcp, rvh_jump_keys_avx512_rcp_guava,
         rvh_cpu_has_avx512, 2},
#else
        {"avx512", NULL, NULL, NULL, 0},
        {"avx512-rcp", NULL, NULL, NULL, 2},
#endif
    };
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

/* Whether this build has the kernel and this CPU can run it. */
static inline int rvh_kernel_available(const rvh_kernel *kernel) {
    return kernel->run != NULL && (kernel->cpu_has == NULL || kernel->cpu_has());
}

#if RVH_AVX2 || RVH_AVX512
/* Calibration keys: fixed, so that two runs compare the same work. */
#define RVH_CALIBRATION_KEYS 1024

/* The fewest ticks (rvh_ticks) that `run` took over the calibration keys
 * at n = 1000, in two runs after a first that warms the caches. */
static inline uint64_t rvh_kernel_ticks(rvh_batch_fn run, const uint64_t *keys, int64_t *out) {
    uint64_t best = UINT64_MAX, start, spent;
    int round;
    for (round = 0; round < 3; round++) {
        start = rvh_ticks();
        run(keys, RVH_CALIBRATION_KEYS, 1000, out);
        spent = rvh_ticks() - start;
        if (round > 0 && spent < best) best = spent;
    }
    return best;
}

/* Of a width's two kernels, dividing (table[i - 1]) and by the exact
 * reciprocal (table[i]), the index of the one quicker on this CPU.  Their
 * answers are the same; which is quicker is not known from the CPU's
 * name: it depends on its divider (on Intel's, the same time per double
 * at every width, the reciprocal wins; on AMD Zen 4's, wide, the
 * division), so it is measured, on the paper's loop, at import: twelve
 * runs over 1,024 keys, under half a millisecond (0.36 ms measured on a
 * loaded AMD Zen 1). */
static inline int rvh_kernel_quicker(const rvh_kernel *table, int i) {
    static uint64_t keys[RVH_CALIBRATION_KEYS];
    static int64_t out[RVH_CALIBRATION_KEYS];
    uint64_t state = 0x2545F4914F6CDD1DULL, divide = UINT64_MAX, reciprocal = UINT64_MAX, t;
    int k;
    for (k = 0; k < RVH_CALIBRATION_KEYS; k++) {
        keys[k] = (state += 0x9E3779B97F4A7C15ULL) * RVH_JUMP_MULT;
    }
    for (k = 0; k < 2; k++) { /* in turn, so that a clock change hits both */
        t = rvh_kernel_ticks(table[i - 1].run, keys, out);
        divide = t < divide ? t : divide;
        t = rvh_kernel_ticks(table[i].run, keys, out);
        reciprocal = t < reciprocal ? t : reciprocal;
    }
    return reciprocal < divide ? i : i - 1;
}
#endif

/* The dispatch: the index in the table of the fastest kernel this build
 * and CPU can run: the widest, and of its two ways (dividing or by the
 * reciprocal) the one quicker here.  Asked once, at import. */
static inline int rvh_kernel_best(void) {
    int count, i;
    const rvh_kernel *table = rvh_kernel_table(&count);
    for (i = count - 1; i > 0; i--) {
        if (!rvh_kernel_available(&table[i]) || table[i].reciprocal == 2) continue;
#if RVH_AVX2 || RVH_AVX512
        if (table[i].reciprocal && rvh_kernel_available(&table[i - 1]))
            return rvh_kernel_quicker(table, i);
#endif
        return i;
    }
    return 0; /* the portable kernel runs everywhere */
}

#endif /* RVH_KERNELS_TABLE_H */
