/* What long batches need to stay interruptible and share the CPU: a
 * monotonic clock, and a stop flag that the calling thread sets and the
 * helper threads read between chunks without the GIL.  No Python here: the
 * header compiles alone as C99 (with the POSIX clock where there is one). */
#ifndef RVH_PACE_H
#define RVH_PACE_H

/* clock_gettime is POSIX, not C99: ask for it (Python.h, included first in
 * the extension, has already asked for more). */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 199309L
#endif

#include <stdint.h>

#if defined(_WIN32)
#include <windows.h>
#else
#include <time.h>
#endif

/* Nanoseconds on a monotonic clock (its origin means nothing). */
static inline int64_t rvh_monotonic_ns(void) {
#if defined(_WIN32)
    static LARGE_INTEGER frequency; /* constant after boot: read once */
    LARGE_INTEGER now;
    if (frequency.QuadPart == 0) QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&now);
    return (int64_t)((double)now.QuadPart * (1e9 / (double)frequency.QuadPart));
#else
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
#endif
}

/* The stop flag of a batch's jobs.  Set once (0 -> 1) by the thread that
 * started the batch; read by the others between chunks.  volatile keeps the
 * read in the loop; a chunk's delay in seeing it is harmless. */
static inline int rvh_stopped(const int *flag) { return *(const volatile int *)flag; }
static inline void rvh_stop(int *flag) { *(volatile int *)flag = 1; }

#endif /* RVH_PACE_H */
