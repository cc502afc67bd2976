/* Every batch kernel behind one table, and the one function that picks a
 * kernel for this CPU.
 *
 * A kernel hashes keys[0..count) into out[0..count) with exactly the jump
 * loop's operations (../jump.h), or Guava's (../jump_guava.h), so every
 * kernel gives every answer of the scalar loop; they differ only in how many
 * keys are in flight at once.  Each takes any count, short batches included.
 * This folder holds five, one header each: portable (plain C, every CPU),
 * sse2 (x86), neon (aarch64), avx2 and avx512 (x86-64, each asked of the CPU
 * at import), and common.h what they share.  The table lists all five,
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
} rvh_kernel;

/* The kernels, slowest first: the pick is the last one available. */
static inline const rvh_kernel *rvh_kernel_table(int *count) {
    static const rvh_kernel table[] = {
        {"portable", rvh_jump_keys_portable, rvh_jump_keys_portable_guava, NULL},
#if RVH_NEON
        {"neon", rvh_jump_keys_neon, rvh_jump_keys_neon_guava, NULL},
#else
        {"neon", NULL, NULL, NULL},
#endif
#if RVH_SSE2
        {"sse2", rvh_jump_keys_sse2, rvh_jump_keys_sse2_guava, NULL},
#else
        {"sse2", NULL, NULL, NULL},
#endif
#if RVH_AVX2
        {"avx2", rvh_jump_keys_avx2, rvh_jump_keys_avx2_guava, rvh_cpu_has_avx2},
#else
        {"avx2", NULL, NULL, NULL},
#endif
#if RVH_AVX512
        {"avx512", rvh_jump_keys_avx512, rvh_jump_keys_avx512_guava, rvh_cpu_has_avx512},
#else
        {"avx512", NULL, NULL, NULL},
#endif
    };
    *count = (int)(sizeof table / sizeof table[0]);
    return table;
}

/* Whether this build has the kernel and this CPU can run it. */
static inline int rvh_kernel_available(const rvh_kernel *kernel) {
    return kernel->run != NULL && (kernel->cpu_has == NULL || kernel->cpu_has());
}

/* The dispatch: the index in the table of the fastest kernel this build
 * and CPU can run.  Asked once, at import. */
static inline int rvh_kernel_best(void) {
    int count, i;
    const rvh_kernel *table = rvh_kernel_table(&count);
    for (i = count - 1; i > 0; i--) {
        if (rvh_kernel_available(&table[i])) return i;
    }
    return 0; /* the portable kernel runs everywhere */
}

#endif /* RVH_KERNELS_TABLE_H */
