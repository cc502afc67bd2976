/* Readers of jump_hash's common arguments (an exact int, a non-empty ASCII
 * str) straight from CPython's objects, for the fast entry (fast_entry.h)
 * and the batch calls of _jump.pyx.  Part of the CPython glue: the headers
 * of this folder are the only ones that include Python.h, and none of the
 * plain headers above includes them.
 */
#ifndef RVH_PY_INTS_H
#define RVH_PY_INTS_H

#include <Python.h>
#include <stdint.h>

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

/* An exact int in [low, high] (high >= 0 > low or low >= 0), as its 64-bit
 * two's complement pattern. */
static inline int rvh_int_between(PyObject *op, int64_t low, uint64_t high, uint64_t *out) {
    uint64_t v;
    if (!PyLong_CheckExact(op)) return 0;
#if RVH_INT_DIGITS
    if (!rvh_int_magnitude(op, &v)) return 0;
    if (RVH_INT_NEGATIVE(op)) {
        if (low >= 0 || v > (uint64_t)0 - (uint64_t)low) return 0;
        *out = (uint64_t)0 - v;
        return 1;
    }
#else
    int overflow;
    long long s = PyLong_AsLongLongAndOverflow(op, &overflow);
    if (overflow == 0 && !(s == -1 && PyErr_Occurred())) {
        if (s < 0) {
            if (s < low) return 0;
            *out = (uint64_t)s;
            return 1;
        }
        v = (uint64_t)s;
    } else if (overflow > 0) {
        v = PyLong_AsUnsignedLongLong(op);
        if (v == (uint64_t)-1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
    } else {
        PyErr_Clear();
        return 0;
    }
#endif
    if (v < (low > 0 ? (uint64_t)low : 0) || v > high) return 0;
    *out = v;
    return 1;
}

/* A non-empty str of ASCII characters: its UTF-8 is its storage. */
static inline int rvh_ascii_key(PyObject *op, const uint8_t **data, Py_ssize_t *size) {
    if (!PyUnicode_Check(op) || !PyUnicode_IS_ASCII(op)) return 0;
    *size = PyUnicode_GET_LENGTH(op);
    *data = (const uint8_t *)PyUnicode_DATA(op);
    return *size > 0;
}

#endif /* RVH_PY_INTS_H */
