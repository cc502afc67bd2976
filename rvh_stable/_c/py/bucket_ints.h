/* The shared table of bucket ints: the int objects jump_hash and the
 * batches return, made once per bucket.  Part of the CPython glue (see
 * ints.h).
 */
#ifndef RVH_PY_BUCKET_INTS_H
#define RVH_PY_BUCKET_INTS_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../platform.h" /* RVH_COLD */

/* The int object for bucket b in [0, n).  With n up to
 * RVH_SHARED_BUCKETS, each bucket is one shared object, kept for the
 * life of the process (at most 65,536 ints, about 2 MB): a per-call
 * result or a batch's list then costs no allocation per key, as CPython
 * does for ints up to 256.  Larger n get a new int each time: their
 * results would hit the table only now and then, and a table that is
 * not in cache costs more than an allocation (measured).  The ints are
 * made a block of RVH_SHARED_BLOCK at a time, back to back, so they fill
 * whole pages of Python's allocator instead of sitting scattered among
 * (and pinning) the pages that short-lived objects reuse.  The table
 * relies on the GIL (the module declares no support for
 * subinterpreters); free-threaded builds make a new int each time. */
#ifdef Py_GIL_DISABLED
#define RVH_SHARED_BUCKETS 0
static inline PyObject *rvh_bucket_int(int32_t b, int32_t n) { return PyLong_FromLong(b); }
static Py_ssize_t rvh_shared_count(void) { return 0; }
static void rvh_forget_shared(void) {}
#else
#ifndef RVH_SHARED_BUCKETS
#define RVH_SHARED_BUCKETS 65536
#endif
#define RVH_SHARED_BLOCK 256
static PyObject *rvh_bucket_ints[RVH_SHARED_BUCKETS];
static int rvh_bucket_ints_used = 0;
RVH_COLD static int rvh_fill_block(int32_t b) {  /* once per block: kept out of line */
    int32_t first = b - b % RVH_SHARED_BLOCK, i;
    rvh_bucket_ints_used = 1;
    for (i = first; i < first + RVH_SHARED_BLOCK && i < RVH_SHARED_BUCKETS; i++) {
        if (rvh_bucket_ints[i] == NULL) {
            PyObject *o = PyLong_FromLong(i);
            if (o == NULL) return -1;
            rvh_bucket_ints[i] = o;  /* the table's own reference */
        }
    }
    return 0;
}
static inline PyObject *rvh_bucket_int(int32_t b, int32_t n) {
    PyObject *o;
    if (n > RVH_SHARED_BUCKETS) return PyLong_FromLong(b);
    o = rvh_bucket_ints[b];
    if (o == NULL) {
        if (rvh_fill_block(b) < 0) return NULL;
        o = rvh_bucket_ints[b];
    }
    Py_INCREF(o);
    return o;
}
/* At import: an embedding program that finalizes Python and starts it
 * again must not be handed ints of the interpreter it finalized.  A
 * first import finds the table unused and leaves its pages untouched. */
static void rvh_forget_shared(void) {
    if (rvh_bucket_ints_used) memset(rvh_bucket_ints, 0, sizeof(rvh_bucket_ints));
    rvh_bucket_ints_used = 0;
}
static Py_ssize_t rvh_shared_count(void) {
    Py_ssize_t i, count = 0;
    for (i = 0; i < RVH_SHARED_BUCKETS; i++) count += rvh_bucket_ints[i] != NULL;
    return count;
}
#endif

#endif /* RVH_PY_BUCKET_INTS_H */
