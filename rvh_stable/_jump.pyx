# cython: language_level=3
# cython: cdivision=True
# cython: binding=False
# cython: freethreading_compatible=True
"""Compiled core of rvh_stable.

The twin of ``rvh_stable/stable.py``: the same names, results and exceptions.
``stable.py`` is the readable specification; this module is its fast copy,
and the tests hold the two to the same answers.  Everything that is not on
the hot path (error messages, ``threads``, buffer formats) lives in
``rvh_stable/_rules.py`` and is shared by both cores.
"""

cimport cython
from cpython.buffer cimport (
    PyBUF_C_CONTIGUOUS,
    PyBUF_RECORDS_RO,
    PyBUF_SIMPLE,
    PyBUF_WRITABLE,
    PyBuffer_IsContiguous,
    PyBuffer_Release,
    PyObject_CheckBuffer,
    PyObject_GetBuffer,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.number cimport PyIndex_Check, PyNumber_Index
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_AsUTF8String, PyUnicode_Check
from libc.stdint cimport (
    int8_t,
    int16_t,
    int32_t,
    int64_t,
    uint8_t,
    uint16_t,
    uint32_t,
    uint64_t,
)
from libc.string cimport memcpy

import sys
import threading

from rvh_stable import _rules

cdef extern from "Python.h":
    bint PyLong_CheckExact(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    PyObject* PyObject_Vectorcall(PyObject* callable, PyObject* const* args, size_t nargsf,
                                  PyObject* kwnames) noexcept

cdef extern from *:
    """
    /* XXH64 primes (Yann Collet, xxHash specification). */
    #define RVH_XXH_P1 0x9E3779B185EBCA87ULL
    #define RVH_XXH_P2 0xC2B2AE3D27D4EB4FULL
    #define RVH_XXH_P3 0x165667B19E3779F9ULL
    #define RVH_XXH_P4 0x85EBCA77C2B2AE63ULL
    #define RVH_XXH_P5 0x27D4EB2F165667C5ULL
    """
    const uint64_t XXH_P1 "RVH_XXH_P1"
    const uint64_t XXH_P2 "RVH_XXH_P2"
    const uint64_t XXH_P3 "RVH_XXH_P3"
    const uint64_t XXH_P4 "RVH_XXH_P4"
    const uint64_t XXH_P5 "RVH_XXH_P5"

cdef extern from *:
    """
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

    /* jump_hash as a METH_FASTCALL | METH_KEYWORDS builtin, made at import
     * around the Cython function below (Cython cannot declare one itself). */
    typedef PyObject *(*rvh_fastcall_fn)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);
    static PyMethodDef rvh_fastcall_def;
    static PyObject *rvh_new_fastcall(rvh_fastcall_fn fn, const char *name, const char *doc,
                                      PyObject *module, PyObject *module_name) {
        rvh_fastcall_def.ml_name = name;
        rvh_fastcall_def.ml_meth = (PyCFunction)(void (*)(void))fn;
        rvh_fastcall_def.ml_flags = METH_FASTCALL | METH_KEYWORDS;
        rvh_fastcall_def.ml_doc = doc;
        /* The module as __self__, as for any builtin function of a module
         * (None where the module is not in sys.modules). */
        return PyCFunction_NewEx(&rvh_fastcall_def, module == Py_None ? NULL : module,
                                 module_name);
    }
    """
    bint _int_u64 "rvh_int_u64"(PyObject* op, uint64_t* out) noexcept
    bint _int_buckets "rvh_int_buckets"(PyObject* op, int32_t* out) noexcept
    bint _ascii_key "rvh_ascii_key"(PyObject* op, const uint8_t** data, Py_ssize_t* size) noexcept
    PyObject* _bucket_ptr "rvh_bucket_int"(int32_t b, int32_t n) noexcept
    object _bucket "rvh_bucket_int"(int32_t b, int32_t n)
    Py_ssize_t _shared_count "rvh_shared_count"() noexcept
    void _forget_shared "rvh_forget_shared"() noexcept
    enum: SHARED_BUCKETS "RVH_SHARED_BUCKETS"
    enum: INT_DIGITS "RVH_INT_DIGITS"
    ctypedef PyObject* (*_fastcall_fn "rvh_fastcall_fn")(PyObject*, PyObject* const*, Py_ssize_t, PyObject*) noexcept
    object _new_fastcall "rvh_new_fastcall"(_fastcall_fn fn, const char* name, const char* doc,
                                            object module, object module_name)

IMPLEMENTATION = "cython"
MAX_BUCKETS = _rules.MAX_BUCKETS

cdef enum:
    # Batches work through this many keys at a time when the keys must
    # first be converted (lists and iterables; arrays of other widths, byte
    # orders or strides than aligned native uint64).
    BLOCK = 1024
    # Keys hashed in lockstep by the portable batch kernel.
    LANES = 8


# --- XXH64 --------------------------------------------------------------------

cdef inline uint64_t _rotl(uint64_t x, int r) noexcept nogil:
    return (x << r) | (x >> (64 - r))


cdef inline uint64_t _read64(const uint8_t* p) noexcept nogil:
    # Byte by byte, so the value is little-endian on every host; compilers
    # turn this into one load on little-endian machines.
    return ((<uint64_t>p[0]) | (<uint64_t>p[1] << 8) | (<uint64_t>p[2] << 16)
            | (<uint64_t>p[3] << 24) | (<uint64_t>p[4] << 32) | (<uint64_t>p[5] << 40)
            | (<uint64_t>p[6] << 48) | (<uint64_t>p[7] << 56))


cdef inline uint64_t _read32(const uint8_t* p) noexcept nogil:
    return ((<uint64_t>p[0]) | (<uint64_t>p[1] << 8) | (<uint64_t>p[2] << 16)
            | (<uint64_t>p[3] << 24))


cdef inline uint64_t _xxh_round(uint64_t acc, uint64_t lane) noexcept nogil:
    acc += lane * XXH_P2
    acc = _rotl(acc, 31)
    return acc * XXH_P1


cdef inline uint64_t _xxh_merge(uint64_t acc, uint64_t v) noexcept nogil:
    acc ^= _xxh_round(0, v)
    return acc * XXH_P1 + XXH_P4


cdef uint64_t _xxh64(const uint8_t* p, Py_ssize_t size) noexcept nogil:
    cdef const uint8_t* end = p + size
    cdef uint64_t h, v1, v2, v3, v4
    if size >= 32:
        v1 = XXH_P1 + XXH_P2
        v2 = XXH_P2
        v3 = 0
        v4 = 0 - XXH_P1
        while end - p >= 32:
            v1 = _xxh_round(v1, _read64(p))
            v2 = _xxh_round(v2, _read64(p + 8))
            v3 = _xxh_round(v3, _read64(p + 16))
            v4 = _xxh_round(v4, _read64(p + 24))
            p += 32
        h = _rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)
        h = _xxh_merge(h, v1)
        h = _xxh_merge(h, v2)
        h = _xxh_merge(h, v3)
        h = _xxh_merge(h, v4)
    else:
        h = XXH_P5
    h += <uint64_t>size
    while end - p >= 8:
        h ^= _xxh_round(0, _read64(p))
        h = _rotl(h, 27) * XXH_P1 + XXH_P4
        p += 8
    if end - p >= 4:
        h ^= _read32(p) * XXH_P1
        h = _rotl(h, 23) * XXH_P2 + XXH_P3
        p += 4
    while p < end:
        h ^= p[0] * XXH_P5
        h = _rotl(h, 11) * XXH_P1
        p += 1
    h ^= h >> 33
    h *= XXH_P2
    h ^= h >> 29
    h *= XXH_P3
    h ^= h >> 32
    return h


def xxh64(data):
    """xxh64(data) -> int

    XXH64 with seed 0 of the bytes of ``data`` (any bytes-like object), as an
    unsigned 64-bit integer in ``[0, 2**64)``.
    """
    cdef Py_buffer view
    if isinstance(data, memoryview) and not data.c_contiguous:
        data = data.tobytes()
    try:
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    except TypeError:
        _rules.raise_data_type(data)
    try:
        return _xxh64(<const uint8_t*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)


# --- key -> uint64 ------------------------------------------------------------

cdef inline int _exact_int_u64(object key, Py_ssize_t index, uint64_t* out) except -1:
    """An exact int key: the common case, read from the int's digits."""
    if not _int_u64(<PyObject*>key, out):
        _rules.raise_key_range(key, index)
    return 0


cdef int _bytes_like_u64(object key, Py_ssize_t index, uint64_t* out) except -1:
    cdef Py_buffer view
    data = key
    if isinstance(key, memoryview) and not key.c_contiguous:
        data = key.tobytes()  # its bytes in logical order, as bytes(key) gives
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        if view.len == 0:
            _rules.raise_key_empty(key, index)
        out[0] = _xxh64(<const uint8_t*>view.buf, view.len)
    finally:
        PyBuffer_Release(&view)
    return 0


cdef int _str_u64(object key, Py_ssize_t index, uint64_t* out) except -1:
    cdef bytes data
    cdef const uint8_t* text
    cdef Py_ssize_t size
    if _ascii_key(<PyObject*>key, &text, &size):
        # ASCII text is its own UTF-8: hash the string's storage in place.
        out[0] = _xxh64(text, size)
        return 0
    if PyUnicode_GET_LENGTH(key) == 0:
        _rules.raise_key_empty(key, index)
    # Encode into a temporary rather than PyUnicode_AsUTF8AndSize, which
    # would keep a UTF-8 copy alive inside the caller's string.
    try:
        data = PyUnicode_AsUTF8String(key)
    except UnicodeEncodeError as exc:
        _rules.raise_key_encoding(exc, index)
    out[0] = _xxh64(<const uint8_t*>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))
    return 0


cdef int _key_u64(object key, Py_ssize_t index, uint64_t* out) except -1:
    """Store the uint64 for ``key`` in ``out``; ``index`` >= 0 names a batch element."""
    if PyLong_CheckExact(key):
        return _exact_int_u64(key, index, out)
    if PyUnicode_Check(key):
        return _str_u64(key, index, out)
    if PyBytes_CheckExact(key):
        if PyBytes_GET_SIZE(key) == 0:
            _rules.raise_key_empty(key, index)
        out[0] = _xxh64(<const uint8_t*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
        return 0
    if isinstance(key, (bytes, bytearray, memoryview)):
        return _bytes_like_u64(key, index, out)
    if not PyIndex_Check(key) or _rules.is_bool(key):
        _rules.raise_key_type(key, index)
    return _key_u64(PyNumber_Index(key), index, out)


def hash_key(key):
    """hash_key(key) -> int

    The unsigned 64-bit integer, in ``[0, 2**64)``, that the jump loop is fed
    for ``key``: an int modulo 2**64, or XXH64 (seed 0) of a string's UTF-8
    bytes or of a bytes-like key.
    """
    cdef uint64_t k
    _key_u64(key, -1, &k)
    return k


# --- the jump loop ------------------------------------------------------------

cdef extern from "_kernel.h":
    # The loop and its step in C, written once for every kernel: the
    # paper's expression in IEEE double, in the paper's order (see _kernel.h
    # for why the order matters), and the SIMD batch kernels.
    const uint64_t JUMP_MULT "RVH_JUMP_MULT"
    int64_t _next_j "rvh_next_j"(uint64_t key, int64_t b) noexcept nogil
    int64_t _jump_from "rvh_jump_from"(uint64_t key, int64_t b, int64_t j, int32_t n) noexcept nogil
    bint _jump_keys_simd "rvh_jump_keys_simd"(const uint64_t* keys, Py_ssize_t count, int32_t n,
                                              int64_t* out) noexcept nogil
    int _kernel_available "rvh_kernel_available"(int kernel) noexcept
    int _select_kernel "rvh_select_kernel"() noexcept
    int _kernel_in_use "rvh_kernel"

# The batch kernels, by the numbers _kernel.h gives them.
_KERNEL_NAMES = ("portable", "sse2", "avx512")

# The batch kernel picked at import: "avx512" on x86-64 CPUs that have it
# (where the compiler can build it), "sse2" on other x86, else "portable".
_BATCH_KERNEL = _KERNEL_NAMES[_select_kernel()]


def _batch_kernels():
    """The batch kernels this build and this CPU can run; for the tests."""
    return [name for number, name in enumerate(_KERNEL_NAMES) if _kernel_available(number)]


def _use_batch_kernel(name):
    """Switch the batch kernel (for the tests); returns the previous one's name."""
    global _kernel_in_use
    if name not in _batch_kernels():
        raise ValueError(f"batch kernel {name!r} is not available here: {_batch_kernels()}")
    previous = _KERNEL_NAMES[_kernel_in_use]
    _kernel_in_use = _KERNEL_NAMES.index(name)
    return previous


cdef inline int32_t _jump(uint64_t key, int32_t num_buckets) noexcept nogil:
    return <int32_t>_jump_from(key, -1, 0, num_buckets)  # a fresh key: b = -1, j = 0


cdef inline int32_t _check_buckets(object num_buckets) except -1:
    cdef int32_t n
    if _int_buckets(<PyObject*>num_buckets, &n):
        return n
    return _rules.check_buckets(num_buckets)


def jump_hash(key, num_buckets):
    """jump_hash(key, num_buckets) -> int

    The bucket of ``key``, in ``[0, num_buckets)``, by Lamping and Veach's
    Jump Consistent Hash.  ``num_buckets`` is an int in ``[1, 2**31-1]``.
    """
    # The general path: keywords, every key type, and every error.  The
    # module's jump_hash is _jump_hash_fastcall below, which comes here for
    # anything but the common calls.
    cdef uint64_t k
    cdef int32_t n = _check_buckets(num_buckets)
    _key_u64(key, -1, &k)
    return _bucket(_jump(k, n), n)


cdef PyObject* _general_jump_hash = NULL


cdef PyObject* _jump_hash_fastcall(PyObject* module, PyObject* const* args, Py_ssize_t nargs,
                                   PyObject* kwnames) noexcept:
    # The common calls, decided before any other dispatch and with no
    # keyword parsing: (int, int) and (ASCII str, int), both ints in range.
    # No reference is taken and no exception is set on the way; anything
    # else goes to the general def above, unchanged.
    cdef uint64_t k
    cdef int32_t n
    cdef const uint8_t* text
    cdef Py_ssize_t size
    if kwnames == NULL and nargs == 2 and _int_buckets(args[1], &n):
        if _int_u64(args[0], &k):
            return _bucket_ptr(_jump(k, n), n)
        if _ascii_key(args[0], &text, &size):
            return _bucket_ptr(_jump(_xxh64(text, size), n), n)
    return PyObject_Vectorcall(_general_jump_hash, args, nargs, kwnames)


# C-level globals, out of reach of Python code: the general function stays
# alive for the pointer above, and the builtin's ml_doc points into the bytes.
cdef object _general_owner = jump_hash
cdef bytes _jump_hash_doc = jump_hash.__doc__.encode()
_general_jump_hash = <PyObject*>_general_owner
jump_hash = _new_fastcall(
    _jump_hash_fastcall, "jump_hash", _jump_hash_doc, sys.modules.get(__name__), __name__
)


_forget_shared()

# Whether exact ints are read from CPython's digits (else through the C API).
_READS_INT_DIGITS = bool(INT_DIGITS)


def _shared_bucket_ints():
    """(ints in the shared bucket table, its capacity); for the tests.

    The capacity is 0 on free-threaded builds, which have no table.
    """
    return _shared_count(), SHARED_BUCKETS


# --- batch kernels ------------------------------------------------------------

cdef void _jump_keys(const uint64_t* keys, Py_ssize_t count, int32_t n,
                     int64_t* out) noexcept nogil:
    if _jump_keys_simd(keys, count, n, out):
        return  # x86: 12 lanes in SSE2 registers, no branch on finished lanes
    # The portable kernel, for every other CPU.
    # One key's loop is a serial chain (multiply, int -> double, divide,
    # multiply, truncate, compare), so a single key leaves most of the CPU
    # idle.  LANES keys run in lockstep instead: their chains are independent
    # and overlap.  A lane whose key is done writes its bucket and takes the
    # next key, so no lane waits for the slowest one.  Every lane computes
    # exactly the scalar loop's operations, in the same order.
    cdef uint64_t k[LANES]
    cdef int64_t b[LANES]
    cdef int64_t j[LANES]
    cdef Py_ssize_t slot[LANES]
    cdef Py_ssize_t nxt, l, live
    cdef bint any_done
    if count < 2 * LANES:
        for l in range(count):
            out[l] = _jump(keys[l], n)
        return
    for l in range(LANES):
        k[l] = keys[l]
        b[l] = -1
        j[l] = 0
        slot[l] = l
    nxt = LANES
    live = LANES
    while True:
        any_done = False
        for l in range(LANES):
            any_done |= j[l] >= n
        if any_done:
            for l in range(LANES):
                if j[l] >= n:
                    if slot[l] >= 0:
                        out[slot[l]] = b[l]
                        live -= 1
                    if nxt < count:
                        k[l] = keys[nxt]
                        slot[l] = nxt
                        nxt += 1
                        live += 1
                    else:
                        k[l] = 0
                        slot[l] = -1
                    b[l] = -1
                    j[l] = 0
            if live == 0:
                return
        for l in range(LANES):
            b[l] = j[l]
            k[l] = k[l] * JUMP_MULT + 1
            j[l] = _next_j(k[l], b[l])


cdef inline uint64_t _load(const char* p, int itemsize, bint is_signed,
                           bint swap) noexcept nogil:
    cdef char tmp[8]
    cdef int i
    cdef uint8_t u8
    cdef int8_t s8
    cdef uint16_t u16
    cdef int16_t s16
    cdef uint32_t u32
    cdef int32_t s32
    cdef uint64_t u64
    if swap:
        for i in range(itemsize):
            tmp[i] = p[itemsize - 1 - i]
        p = tmp
    # Signed values widen to int64 first, so negatives become their two's
    # complement exactly as an int key would.
    if itemsize == 8:
        memcpy(&u64, p, 8)
        return u64
    if itemsize == 4:
        if is_signed:
            memcpy(&s32, p, 4)
            return <uint64_t><int64_t>s32
        memcpy(&u32, p, 4)
        return u32
    if itemsize == 2:
        if is_signed:
            memcpy(&s16, p, 2)
            return <uint64_t><int64_t>s16
        memcpy(&u16, p, 2)
        return u16
    if is_signed:
        memcpy(&s8, p, 1)
        return <uint64_t><int64_t>s8
    memcpy(&u8, p, 1)
    return u8


@cython.final
cdef class _Buffer:
    """Owns one Py_buffer for as long as any batch job refers to it."""
    cdef Py_buffer view
    cdef bint acquired

    cdef int acquire(self, object obj, int flags) except -1:
        PyObject_GetBuffer(obj, &self.view, flags)
        self.acquired = True
        return 0

    def __dealloc__(self):
        if self.acquired:
            PyBuffer_Release(&self.view)


@cython.final
cdef class _Job:
    """One contiguous slice of an array batch; run() releases the GIL."""
    cdef _Buffer src_owner
    cdef _Buffer out_owner
    cdef const char* src
    cdef Py_ssize_t stride
    cdef Py_ssize_t count
    cdef int itemsize
    cdef bint is_signed
    cdef bint swap
    cdef int32_t n
    cdef int64_t* out
    # Room for BLOCK converted keys, when the slice is not aligned native
    # uint64.  On the heap, not the stack: the job may run on a thread with
    # a small stack, under kernels that need stack of their own.
    cdef uint64_t* block

    cdef int prepare(self) except -1:
        if not (self.itemsize == 8 and not self.swap and self.stride == 8
                and (<size_t>self.src) % sizeof(uint64_t) == 0):
            self.block = <uint64_t*>PyMem_Malloc(BLOCK * sizeof(uint64_t))
            if self.block == NULL:
                raise MemoryError()
        return 0

    def __dealloc__(self):
        PyMem_Free(self.block)

    def run(self):
        cdef const char* src = self.src
        cdef Py_ssize_t stride = self.stride
        cdef Py_ssize_t count = self.count
        cdef int itemsize = self.itemsize
        cdef bint is_signed = self.is_signed
        cdef bint swap = self.swap
        cdef int32_t n = self.n
        cdef int64_t* out = self.out
        cdef uint64_t* block = self.block
        cdef Py_ssize_t done, i, m
        with nogil:
            if block == NULL:
                _jump_keys(<const uint64_t*>src, count, n, out)
            else:
                done = 0
                while done < count:
                    m = count - done
                    if m > BLOCK:
                        m = BLOCK
                    for i in range(m):
                        block[i] = _load(src + (done + i) * stride, itemsize, is_signed, swap)
                    _jump_keys(block, m, n, out + done)
                    done += m


cdef object _array_batch(object keys, int32_t n, Py_ssize_t threads, bint is_ndarray):
    """Hash an integer buffer; None when ``keys`` must be iterated instead."""
    cdef _Buffer src = _Buffer.__new__(_Buffer)
    cdef _Buffer dest = _Buffer.__new__(_Buffer)
    cdef Py_ssize_t count, stride, per, start, i, chunks
    cdef int d
    cdef _Job job
    cdef const int64_t* values
    try:
        src.acquire(keys, PyBUF_RECORDS_RO)
    except (TypeError, BufferError):
        return None
    except ValueError:
        if isinstance(keys, memoryview):  # a released view: there are no keys to read
            raise
        return None  # e.g. NumPy datetime64 arrays: hashed element by element
    layout = _rules.classify_format(
        src.view.format.decode("ascii") if src.view.format != NULL else "B",
        src.view.itemsize,
    )
    if layout is None:
        return None
    if src.view.ndim != 1 and not (is_ndarray and src.view.ndim >= 1):
        _rules.raise_keys_ndim(src.view.ndim)
    if src.view.ndim > 1 and not PyBuffer_IsContiguous(&src.view, b'C'):
        # The one copy: N-d arrays that are not C-contiguous are flattened
        # by NumPy first.  1-d strided arrays are read in place.
        keys = sys.modules["numpy"].ascontiguousarray(keys)
        src = _Buffer.__new__(_Buffer)
        src.acquire(keys, PyBUF_RECORDS_RO)
    count = 1
    for d in range(src.view.ndim):
        count *= src.view.shape[d]
    stride = src.view.strides[0] if src.view.ndim == 1 else src.view.itemsize

    if is_ndarray:
        numpy = sys.modules["numpy"]
        result = numpy.empty(keys.shape, dtype=numpy.int64)
    else:
        result = bytearray(count * sizeof(int64_t))
    dest.acquire(result, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)
    is_signed, big_endian = layout
    swap = big_endian != (sys.byteorder == "big")

    chunks = count // _rules.MIN_KEYS_PER_THREAD
    if chunks > threads:
        chunks = threads
    if chunks < 1:
        chunks = 1
    per = (count + chunks - 1) // chunks
    jobs = []
    start = 0
    for i in range(chunks):
        job = _Job.__new__(_Job)
        job.src_owner = src
        job.out_owner = dest
        job.src = <const char*>src.view.buf + start * stride
        job.stride = stride
        job.count = min(per, count - start)
        job.itemsize = <int>src.view.itemsize
        job.is_signed = is_signed
        job.swap = swap
        job.n = n
        job.out = <int64_t*>dest.view.buf + start
        job.prepare()
        jobs.append(job)
        start += job.count
    _run_jobs(jobs)

    if is_ndarray:
        return result
    values = <const int64_t*>dest.view.buf
    as_list = []
    _extend_buckets(as_list, values, count, n)
    return as_list


cdef _run_jobs(list jobs):
    """Run the first job here and the rest on threads; join them all."""
    workers = []
    try:
        for job in jobs[1:]:
            worker = threading.Thread(target=job.run, name="rvh_stable-batch", daemon=True)
            try:
                worker.start()
            except RuntimeError:  # no more threads to be had: do it here
                job.run()
            else:
                workers.append(worker)
        jobs[0].run()
    finally:
        for worker in workers:
            worker.join()


cdef int _extend_buckets(list out, const int64_t* buckets, Py_ssize_t m, int32_t n) except -1:
    # With n up to 65,536 the ints come from the shared table of
    # rvh_bucket_int: the batch allocates no int per key, and its list holds
    # at most one int object per bucket.
    cdef Py_ssize_t t
    for t in range(m):
        out.append(_bucket(<int32_t>buckets[t], n))
    return 0


cdef list _iter_batch(object keys, int32_t n):
    # Keys are turned into uint64 a block at a time, then the block goes
    # through the same batch kernels as arrays.
    # The buffers are on the heap: a key's __index__ or the iterable may call
    # back into jump_hash_many, and each level of that must cost little stack.
    cdef list result = []
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t m = 0
    if not isinstance(keys, (list, tuple)):
        try:
            keys = iter(keys)
        except TypeError:
            _rules.raise_keys_not_iterable(keys)
    cdef uint64_t* block = <uint64_t*>PyMem_Malloc(BLOCK * (sizeof(uint64_t) + sizeof(int64_t)))
    if block == NULL:
        raise MemoryError()
    cdef int64_t* buckets = <int64_t*>(block + BLOCK)
    try:
        for key in keys:
            if PyLong_CheckExact(key):
                _exact_int_u64(key, i, &block[m])
            else:
                _key_u64(key, i, &block[m])
            m += 1
            i += 1
            if m == BLOCK:
                _jump_keys(block, m, n, buckets)
                _extend_buckets(result, buckets, m, n)
                m = 0
        _jump_keys(block, m, n, buckets)
        _extend_buckets(result, buckets, m, n)
    finally:
        PyMem_Free(block)
    return result


def jump_hash_many(keys, num_buckets, *, threads=1):
    """jump_hash_many(keys, num_buckets, *, threads=1) -> list[int] | numpy.ndarray

    ``[jump_hash(k, num_buckets) for k in keys]``, for an iterable of keys or
    an array of integers.  A NumPy array gives an int64 NumPy array of the
    same shape.  Integer arrays are hashed without the GIL; ``threads`` > 1
    splits large ones across that many threads, ``threads=None`` across every
    CPU this process may use.
    """
    cdef int32_t n = _check_buckets(num_buckets)
    cdef Py_ssize_t nthreads = _rules.resolve_threads(threads)
    _rules.check_not_single_key(keys)
    numpy = sys.modules.get("numpy")
    cdef bint is_ndarray = numpy is not None and isinstance(keys, numpy.ndarray)
    if PyObject_CheckBuffer(keys):
        result = _array_batch(keys, n, nthreads, is_ndarray)
        if result is not None:
            return result
    if not is_ndarray:
        return _iter_batch(keys, n)
    if keys.ndim == 0:
        _rules.raise_keys_ndim(0)
    return numpy.array(_iter_batch(keys.ravel(), n), dtype=numpy.int64).reshape(keys.shape)
