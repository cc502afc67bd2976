/* The CPython glue of the compiled core: the one header here that
 * includes Python.h.  _jump.pyx includes it; the other headers of this
 * folder are plain C.
 *
 * - Readers of jump_hash's common arguments (an exact int, an ASCII str)
 *   straight from CPython's objects.
 * - The shared table of bucket ints.
 * - jump_hash's METH_FASTCALL entry, and the function that builds the
 *   builtin around it (rvh_new_jump_hash, called once at import by the
 *   @_fast_entry decorator of jump_hash in _jump.pyx).
 */
#ifndef RVH_PYGLUE_H
#define RVH_PYGLUE_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "jump.h"
#include "xxh64.h"

/* jump_hash's common call passes two exact ints, or an ASCII str and an
 * int.  These helpers read such arguments without the C API: an int's
 * digits the way Cython's own conversions read them (CPython's layout,
 * which changed in 3.12), a compact ASCII str's characters in place.
 * Each returns 1 and stores the value, or returns 0 without setting an
 * exception for anything else (another type, a value out of range), and
 * the caller's general path converts or reports that argument.  Where
 * the layout is not known here, the public C API does the same job. */
#if !defined(PYPY_VERSION) && !defined(Py_LIMITED_API) \
    && PY_VERSION_HEX < 0x030F0000 && !defined(RVH_PUBLIC_INT_API)
  #define RVH_INT_DIGITS 1
  #if PY_VERSION_HEX >= 0x030C0000
    #ifndef _PyLong_SIGN_MASK
      #define _PyLong_SIGN_MASK 3
    #endif
    #ifndef _PyLong_NON_SIZE_BITS
      #define _PyLong_NON_SIZE_BITS 3
    #endif
    #define RVH_INT_NEGATIVE(op) \
        ((((PyLongObject *)(op))->long_value.lv_tag & _PyLong_SIGN_MASK) == 2)
    #define RVH_INT_NDIGITS(op) \
        ((Py_ssize_t)(((PyLongObject *)(op))->long_value.lv_tag >> _PyLong_NON_SIZE_BITS))
    #define RVH_INT_DIGITS_OF(op) (((PyLongObject *)(op))->long_value.ob_digit)
  #else
    #define RVH_INT_NEGATIVE(op) (Py_SIZE(op) < 0)
    #define RVH_INT_NDIGITS(op) (Py_SIZE(op) < 0 ? -Py_SIZE(op) : Py_SIZE(op))
    #define RVH_INT_DIGITS_OF(op) (((PyLongObject *)(op))->ob_digit)
  #endif

/* |op| when it is below 2**64. */
static inline int rvh_int_magnitude(PyObject *op, uint64_t *out) {
    Py_ssize_t n = RVH_INT_NDIGITS(op);
    const digit *d = RVH_INT_DIGITS_OF(op);
    uint64_t v = 0;
  #if PyLong_SHIFT == 30
    switch (n) {
    case 0: break;
    case 1: v = d[0]; break;
    case 2: v = (uint64_t)d[0] | (uint64_t)d[1] << 30; break;
    case 3:
        if (d[2] >> 4) return 0;  /* 30 + 30 + 4 bits */
        v = (uint64_t)d[0] | (uint64_t)d[1] << 30 | (uint64_t)d[2] << 60;
        break;
    default: return 0;
    }
  #else
    if (n > (64 + PyLong_SHIFT - 1) / PyLong_SHIFT) return 0;
    while (n > 0) {
        if (v >> (64 - PyLong_SHIFT)) return 0;
        v = (v << PyLong_SHIFT) | d[--n];
    }
  #endif
    *out = v;
    return 1;
}
#else
  #define RVH_INT_DIGITS 0
#endif

/* An exact int in [-2**63, 2**64), modulo 2**64 (two's complement). */
static inline int rvh_int_u64(PyObject *op, uint64_t *out) {
    uint64_t v;
    if (!PyLong_CheckExact(op)) return 0;
#if RVH_INT_DIGITS
    if (!rvh_int_magnitude(op, &v)) return 0;
    if (RVH_INT_NEGATIVE(op)) {
        if (v > ((uint64_t)1 << 63)) return 0;
        v = (uint64_t)0 - v;
    }
#else
    int overflow;
    long long s = PyLong_AsLongLongAndOverflow(op, &overflow);
    if (overflow == 0 && !(s == -1 && PyErr_Occurred())) {
        *out = (uint64_t)s;
        return 1;
    }
    if (overflow <= 0) {
        PyErr_Clear();
        return 0;
    }
    v = PyLong_AsUnsignedLongLong(op);
    if (v == (uint64_t)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
#endif
    *out = v;
    return 1;
}

/* An exact int in [1, 2**31 - 1]. */
static inline int rvh_int_buckets(PyObject *op, int32_t *out) {
    uint64_t v;
    if (!PyLong_CheckExact(op)) return 0;
#if RVH_INT_DIGITS
    if (RVH_INT_NEGATIVE(op) || !rvh_int_magnitude(op, &v)) return 0;
#else
    int overflow;
    long long s = PyLong_AsLongLongAndOverflow(op, &overflow);
    if (overflow != 0 || s < 1) {
        PyErr_Clear();
        return 0;
    }
    v = (uint64_t)s;
#endif
    if (v < 1 || v > 2147483647) return 0;
    *out = (int32_t)v;
    return 1;
}

/* A non-empty str of ASCII characters: its UTF-8 is its storage. */
static inline int rvh_ascii_key(PyObject *op, const uint8_t **data, Py_ssize_t *size) {
    if (!PyUnicode_Check(op) || !PyUnicode_IS_ASCII(op)) return 0;
    *size = PyUnicode_GET_LENGTH(op);
    *data = (const uint8_t *)PyUnicode_DATA(op);
    return *size > 0;
}

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
#if defined(__GNUC__)
__attribute__((noinline, cold))
#elif defined(_MSC_VER)
__declspec(noinline)
#endif
static int rvh_fill_block(int32_t b) {  /* once per block: kept out of line */
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


/* --- jump_hash's entry ----------------------------------------------------
 *
 * jump_hash is a METH_FASTCALL | METH_KEYWORDS builtin (Cython cannot
 * declare one itself).  It decides the common calls, (int, int) and
 * (ASCII str, int) with both ints in range, before any other dispatch and
 * with no keyword parsing; no reference is taken and no exception is set on
 * the way.  Every other call, with its arguments unchanged, goes to the
 * general function: the def jump_hash of _jump.pyx, which handles keywords,
 * every key type and every error. */
static PyObject *rvh_jump_hash_general = NULL; /* a reference kept for the process's life */

static PyObject *rvh_jump_hash_fastcall(PyObject *module, PyObject *const *args,
                                        Py_ssize_t nargs, PyObject *kwnames) {
    uint64_t key;
    int32_t n;
    const uint8_t *text;
    Py_ssize_t size;
    (void)module;
    if (kwnames == NULL && nargs == 2 && rvh_int_buckets(args[1], &n)) {
        if (rvh_int_u64(args[0], &key)) return rvh_bucket_int(rvh_jump(key, n), n);
        if (rvh_ascii_key(args[0], &text, &size))
            return rvh_bucket_int(rvh_jump(rvh_xxh64(text, (size_t)size), n), n);
    }
    return PyObject_Vectorcall(rvh_jump_hash_general, args, nargs, kwnames);
}

static PyMethodDef rvh_jump_hash_def = {
    "jump_hash", (PyCFunction)(void (*)(void))rvh_jump_hash_fastcall,
    METH_FASTCALL | METH_KEYWORDS, NULL};

/* The builtin jump_hash around `general`, with the docstring `doc` (which
 * must outlive the builtin), and the module as __self__, as for any builtin
 * function of a module (none where the module is not in sys.modules). */
static PyObject *rvh_new_jump_hash(PyObject *general, const char *doc, PyObject *module,
                                   PyObject *module_name) {
    PyObject *previous = rvh_jump_hash_general;
    Py_INCREF(general);
    rvh_jump_hash_general = general;
    Py_XDECREF(previous);
    rvh_jump_hash_def.ml_doc = doc;
    return PyCFunction_NewEx(&rvh_jump_hash_def, module == Py_None ? NULL : module,
                             module_name);
}

#endif /* RVH_PYGLUE_H */
