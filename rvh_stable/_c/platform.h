/* What changes from one compiler or CPU to the next, in one place, as
 * msgpack keeps it in sysdep.h: the spellings of inlining and attributes,
 * which batch kernels this build compiles, and the CPU probes the kernel
 * table asks at import.  The other headers say what they mean
 * (RVH_ALWAYS_INLINE, RVH_TARGET("avx2"), #if RVH_NEON) and test no
 * compiler or architecture themselves, so that a new compiler or CPU is
 * taught here once.  No Python here: the header compiles alone as C99.
 */
#ifndef RVH_PLATFORM_H
#define RVH_PLATFORM_H

/* --- compilers ------------------------------------------------------------
 *
 * RVH_GNU_C: GCC or clang (clang-cl included), which share GNU C's
 * attributes, __asm__ and pragmas.  RVH_GCC: GCC itself, for the one choice
 * that differs from clang's.  RVH_MSVC: Microsoft's compiler, not clang-cl. */
#if defined(__GNUC__) || defined(__clang__)
#define RVH_GNU_C 1
#else
#define RVH_GNU_C 0
#endif
#if defined(__GNUC__) && !defined(__clang__)
#define RVH_GCC 1
#else
#define RVH_GCC 0
#endif
#if defined(_MSC_VER) && !defined(__clang__)
#define RVH_MSVC 1
#else
#define RVH_MSVC 0
#endif

/* RVH_ALWAYS_INLINE: for the kernels' loops, which take their variant as a
 * constant argument (each caller gets its own copy, the other variant's
 * code gone), and for XXH64, whose calls overlap in a loop over short keys
 * only where the compiler sees its code.
 * RVH_NOINLINE: kept out of line, where inlining would cost its caller
 * (registers to save on a hot path); RVH_COLD says it is also rarely run.
 * RVH_UNUSED: a static function that some builds leave unused.
 * RVH_TARGET(isa): one function compiled for an instruction set the build's
 * baseline lacks (MSVC compiles any intrinsic without one);
 * RVH_TARGET_INLINE(isa) is that and RVH_ALWAYS_INLINE at once. */
#if RVH_GNU_C
#define RVH_ALWAYS_INLINE static inline __attribute__((always_inline))
#define RVH_NOINLINE __attribute__((noinline))
#define RVH_COLD __attribute__((noinline, cold))
#define RVH_UNUSED __attribute__((unused))
#define RVH_TARGET(isa) __attribute__((target(isa)))
#define RVH_TARGET_INLINE(isa) static inline __attribute__((always_inline, target(isa)))
#elif defined(_MSC_VER)
#define RVH_ALWAYS_INLINE static __forceinline
#define RVH_NOINLINE __declspec(noinline)
#define RVH_COLD __declspec(noinline)
#define RVH_UNUSED
#define RVH_TARGET(isa)
#define RVH_TARGET_INLINE(isa) static __forceinline
#else
#define RVH_ALWAYS_INLINE static inline
#define RVH_NOINLINE
#define RVH_COLD
#define RVH_UNUSED
#define RVH_TARGET(isa)
#define RVH_TARGET_INLINE(isa) static inline
#endif

/* RVH_UNROLL(n), before a loop of exactly n rounds (n a constant): unrolled,
 * a kernel's groups keep their state in vector registers.  clang unrolls
 * such a loop fully; GCC is told the count. */
#define RVH_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define RVH_UNROLL(n) RVH_PRAGMA(clang loop unroll(full))
#elif defined(__GNUC__)
#define RVH_UNROLL(n) RVH_PRAGMA(GCC unroll n)
#else
#define RVH_UNROLL(n)
#endif

/* --- which batch kernels this build compiles (1) or leaves out (0) --------
 *
 * SSE2 is part of every x86-64 CPU (and of 32-bit x86 builds with -msse2 or
 * MSVC's default /arch:SSE2), and NEON with 2-lane doubles of every aarch64
 * one: those kernels need no probe.  AVX2 and AVX-512 are compiled for
 * their own functions alone, the wheel's baseline staying SSE2, and run only
 * where the probes below say so; AVX-512 needs GNU C (its kernel uses
 * __asm__ and __builtin_popcount).  RVH_NO_SIMD leaves out every kernel but
 * the portable one (tools/coverage.sh and the packaging tests build that
 * way); RVH_NO_AVX2 and RVH_NO_AVX512 leave out one each. */
#if !defined(RVH_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64) \
                              || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#define RVH_SSE2 1
#else
#define RVH_SSE2 0
#endif
#if !defined(RVH_NO_SIMD) && (defined(__aarch64__) || defined(_M_ARM64))
#define RVH_NEON 1
#else
#define RVH_NEON 0
#endif
#if RVH_SSE2 && !defined(RVH_NO_AVX2) \
    && ((RVH_GNU_C && defined(__x86_64__)) || (RVH_MSVC && (defined(_M_X64) || defined(_M_AMD64))))
#define RVH_AVX2 1
#else
#define RVH_AVX2 0
#endif
#if RVH_SSE2 && !defined(RVH_NO_AVX512) && defined(__x86_64__) && RVH_GNU_C \
    && !defined(_MSC_VER)
#define RVH_AVX512 1
#else
#define RVH_AVX512 0
#endif

/* --- CPU probes -----------------------------------------------------------
 *
 * Asked with CPUID and XGETBV directly rather than __builtin_cpu_supports,
 * whose runtime support is missing from Apple's x86-64 toolchain.  A vector
 * width is usable where the CPU has its instructions and the OS saves its
 * registers (XCR0); XGETBV itself exists only where CPUID says OSXSAVE. */
#if RVH_AVX2 || RVH_AVX512
#include <stdint.h>
#if RVH_MSVC
#include <intrin.h> /* __cpuidex, _xgetbv, __rdtsc */
#else
#include <cpuid.h>
#include <x86intrin.h> /* __rdtsc */
#endif

/* CPUID leaf `leaf`, subleaf `subleaf`: regs = EAX, EBX, ECX, EDX.  Returns
 * 0 (regs unset) when the CPU has no such leaf. */
static inline int rvh_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int regs[4]) {
#if RVH_MSVC
    int info[4], i;
    __cpuid(info, 0);
    if ((unsigned int)info[0] < leaf) return 0;
    __cpuidex(info, (int)leaf, (int)subleaf);
    for (i = 0; i < 4; i++) regs[i] = (unsigned int)info[i];
    return 1;
#else
    return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]);
#endif
}

/* XCR0's low 32 bits: the register state the OS saves (bits 1 and 2: SSE
 * and AVX; 5, 6 and 7: AVX-512's mask and upper registers). */
static inline unsigned int rvh_xcr0(void) {
#if RVH_MSVC
    return (unsigned int)_xgetbv(0);
#else
    unsigned int low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    (void)high;
    return low;
#endif
}

/* The time-stamp counter: the kernel table's calibration (kernels/table.h)
 * compares two kernels by it, on the same core, microseconds apart. */
static inline uint64_t rvh_ticks(void) {
    return (uint64_t)__rdtsc();
}
#endif

#if RVH_AVX2
/* AVX2 (with AVX and POPCNT, which its kernel uses too), and YMM state saved. */
static inline int rvh_cpu_has_avx2(void) {
    unsigned int r[4]; /* EAX, EBX, ECX, EDX */
    if (!rvh_cpuid(1, 0, r)) return 0;
    if (!(r[2] & (1u << 27)) || !(r[2] & (1u << 28)) || !(r[2] & (1u << 23)))
        return 0; /* OSXSAVE, AVX, POPCNT */
    if ((rvh_xcr0() & 0x6) != 0x6) return 0;
    if (!rvh_cpuid(7, 0, r)) return 0;
    return (r[1] & (1u << 5)) != 0; /* AVX2 */
}
#endif

#if RVH_AVX2
/* AVX2 as above, and FMA (the avx2-rcp kernel's reciprocal). */
static inline int rvh_cpu_has_avx2_fma(void) {
    unsigned int r[4]; /* EAX, EBX, ECX, EDX */
    return rvh_cpu_has_avx2() && rvh_cpuid(1, 0, r) && (r[2] & (1u << 12)) != 0; /* FMA */
}
#endif

#if RVH_AVX512
/* AVX-512 F and DQ, and the vector and mask registers saved (XCR0 bits 1,
 * 2, 5, 6, 7).  macOS turns those on only after a first AVX-512
 * instruction, so there SSE2 is used: slower, never wrong. */
static inline int rvh_cpu_has_avx512(void) {
    unsigned int r[4]; /* EAX, EBX, ECX, EDX */
    if (!rvh_cpuid(1, 0, r) || !(r[2] & (1u << 27))) return 0; /* OSXSAVE */
    if ((rvh_xcr0() & 0xE6) != 0xE6) return 0;
    if (!rvh_cpuid(7, 0, r)) return 0;
    return (r[1] & (1u << 16)) && (r[1] & (1u << 17)); /* AVX512F, AVX512DQ */
}
#endif

#endif /* RVH_PLATFORM_H */
