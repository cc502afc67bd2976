/* The CPython glue of the compiled core: the one header here that
 * includes Python.h.  _jump.pyx includes it; the other headers of this
 * folder are plain C.
 *
 * - Readers of jump_hash's common arguments (an exact int, an ASCII str)
 *   straight from CPython's objects.
 * - The shared table of bucket ints.
 * - jump_hash's METH_FASTCALL entry, with the table of keyword values it
 *   decides itself, and the function that builds the
 *   builtin around it (rvh_new_jump_hash, called once at import by the
 *   @_fast_entry decorator of jump_hash in _jump.pyx).
 */
#ifndef RVH_PYGLUE_H
#define RVH_PYGLUE_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "hashers.h"
#include "jump.h"
#include "jump_guava.h"
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
 * declare one itself).  It decides the common calls before any other
 * dispatch, with no reference taken and no exception set on the way: an int
 * key or an ASCII str key, a bucket count in range, and any of the keywords
 * hasher=, seed= and variant= with a value the table below knows (a
 * hasher's name, None or an int seed in the hasher's range, a variant's
 * name).  Every other call, with its arguments unchanged, goes to the
 * general function: the def jump_hash of _jump.pyx, which handles every key
 * type, every value and every error.  The names and ranges in the table are
 * _rules.py's: _jump.pyx fills it at import (rvh_fast_hasher_set and
 * rvh_fast_names_set), so this file holds no rule of its own. */
static PyObject *rvh_jump_hash_general = NULL; /* a reference kept for the process's life */

#define RVH_FAST_HASHERS 16
typedef struct {
    rvh_hash_fn hash; /* NULL: the default, XXH64 seed 0 for seed 0, inlined */
    rvh_hash_fn seeded; /* the default's function for a seed other than 0 */
    int takes_seed;   /* else only seed=None is decided here */
    int64_t seed_low; /* seeds in [seed_low, seed_high] */
    uint64_t seed_high;
} rvh_fast_hasher;

static rvh_fast_hasher rvh_fast_hashers[RVH_FAST_HASHERS];
static int rvh_fast_hasher_count = 0;
/* The keyword names, and variant='s two values: paper (0) and guava (1). */
enum { RVH_KW_HASHER, RVH_KW_SEED, RVH_KW_VARIANT, RVH_KW_COUNT };
static PyObject *rvh_kw_names[RVH_KW_COUNT] = {NULL, NULL, NULL};
static PyObject *rvh_variant_names[2] = {NULL, NULL};
/* hasher= of each entry (references kept for the process's life). */
static PyObject *rvh_fast_hasher_names[RVH_FAST_HASHERS];

/* At import, before the table is filled: an embedding program that
 * finalizes Python and starts it again must not compare against (or
 * release) the objects of the interpreter it finalized. */
static void rvh_fast_forget(void) {
    memset(rvh_fast_hasher_names, 0, sizeof(rvh_fast_hasher_names));
    memset(rvh_kw_names, 0, sizeof(rvh_kw_names));
    memset(rvh_variant_names, 0, sizeof(rvh_variant_names));
    rvh_fast_hasher_count = 0;
}

/* Entry i of the table; i == 0 is the default hasher.  Returns -1 (with
 * an exception) for an index past the table. */
static int rvh_fast_hasher_set(int i, PyObject *name, rvh_hash_fn hash, int takes_seed,
                               int64_t seed_low, uint64_t seed_high) {
    rvh_fast_hasher *h;
    if (i < 0 || i >= RVH_FAST_HASHERS) {
        PyErr_SetString(PyExc_ImportError, "rvh_stable: more hashers than pyglue.h holds");
        return -1;
    }
    h = &rvh_fast_hashers[i];
    Py_INCREF(name);
    rvh_fast_hasher_names[i] = name;
    h->hash = i == 0 ? NULL : hash;
    h->seeded = hash;
    h->takes_seed = takes_seed;
    h->seed_low = seed_low;
    h->seed_high = seed_high;
    if (i >= rvh_fast_hasher_count) rvh_fast_hasher_count = i + 1;
    return 0;
}

static int rvh_keep_interned(PyObject **slot, const char *text) {
    PyObject *o = PyUnicode_InternFromString(text);
    if (o == NULL) return -1;
    *slot = o;
    return 0;
}

/* The keyword names and variant='s two names. */
static int rvh_fast_names_set(const char *paper, const char *guava) {
    if (rvh_keep_interned(&rvh_kw_names[RVH_KW_HASHER], "hasher") < 0) return -1;
    if (rvh_keep_interned(&rvh_kw_names[RVH_KW_SEED], "seed") < 0) return -1;
    if (rvh_keep_interned(&rvh_kw_names[RVH_KW_VARIANT], "variant") < 0) return -1;
    if (rvh_keep_interned(&rvh_variant_names[0], paper) < 0) return -1;
    return rvh_keep_interned(&rvh_variant_names[1], guava);
}

/* The index of `op` among names[0..count): first by identity (names in
 * code are interned, so a call's keyword names and values usually are the
 * very objects), then for an exact str by its characters; -1 if absent. */
static inline int rvh_find_name(PyObject *op, PyObject *const *names, int count) {
    int i;
    for (i = 0; i < count; i++) {
        if (op == names[i]) return i;
    }
    if (!PyUnicode_CheckExact(op)) return -1;
    for (i = 0; i < count; i++) {
        if (names[i] != NULL && PyUnicode_Compare(op, names[i]) == 0) return i;
    }
    return -1;
}

/* hasher= and seed= (None, or an exact int) as the table decides them:
 * returns 1 with the function (NULL: the default, XXH64 seed 0, inlined)
 * and the seed (a negative seed as its two's complement), or 0, never with
 * an exception set, for anything _rules must see.  The one lookup of a
 * hasher's name and seed range in the compiled core: the batch calls
 * (_jump.pyx's _key_hash) use it too. */
static int rvh_fast_hash_choice(PyObject *hasher, PyObject *seed, rvh_hash_fn *hash,
                                uint64_t *seed_out) {
    const rvh_fast_hasher *h;
    uint64_t value = 0;
    int k = rvh_find_name(hasher, rvh_fast_hasher_names, rvh_fast_hasher_count);
    if (k < 0) return 0;
    h = &rvh_fast_hashers[k];
    if (seed != Py_None) {
        if (!h->takes_seed || !rvh_int_between(seed, h->seed_low, h->seed_high, &value)) return 0;
    }
    *hash = value == 0 ? h->hash : h->seeded;
    *seed_out = value;
    return 1;
}

/* The options of one call, as the table decides them. */
typedef struct {
    const rvh_fast_hasher *hasher;
    uint64_t seed;
    int guava;
} rvh_fast_options;

/* Read the keyword values kwvalues[0..len(kwnames)) into `o`.  Returns 0,
 * never with an exception set, for anything the general path must see. */
static int rvh_read_options(PyObject *const *kwvalues, PyObject *kwnames, rvh_fast_options *o) {
    Py_ssize_t i, count = PyTuple_GET_SIZE(kwnames);
    int k;
    PyObject *seed = Py_None;
    o->hasher = &rvh_fast_hashers[0];
    o->seed = 0;
    o->guava = 0;
    if (rvh_fast_hasher_count == 0 || rvh_kw_names[0] == NULL) return 0; /* not filled */
    for (i = 0; i < count; i++) {
        PyObject *value = kwvalues[i];
        switch (rvh_find_name(PyTuple_GET_ITEM(kwnames, i), rvh_kw_names, RVH_KW_COUNT)) {
        case RVH_KW_HASHER:
            k = rvh_find_name(value, rvh_fast_hasher_names, rvh_fast_hasher_count);
            if (k < 0) return 0;
            o->hasher = &rvh_fast_hashers[k];
            break;
        case RVH_KW_SEED:
            seed = value;
            break;
        case RVH_KW_VARIANT:
            k = rvh_find_name(value, rvh_variant_names, 2);
            if (k < 0) return 0;
            o->guava = k == 1;
            break;
        default:
            return 0;
        }
    }
    if (seed != Py_None) {
        if (!o->hasher->takes_seed) return 0;
        if (!rvh_int_between(seed, o->hasher->seed_low, o->hasher->seed_high, &o->seed))
            return 0;
    }
    return 1;
}

/* XXH64 as a function call for the entry: inlined (it always is, xxh64.h),
 * its registers would make every call of the entry save and restore more of
 * them, the int keys' too (measured: 3 ns a call). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#elif defined(_MSC_VER)
__declspec(noinline)
#endif
static uint64_t rvh_xxh64_outlined(const uint8_t *p, size_t size) { return rvh_xxh64(p, size); }

static inline uint64_t rvh_fast_hash(const rvh_fast_options *o, const uint8_t *p, size_t size) {
    if (o->hasher->hash == NULL) {
        /* Inlined here: this runs only in the keyword calls' own function. */
        return o->seed == 0 ? rvh_xxh64(p, size) : o->hasher->seeded(p, size, o->seed);
    }
    return o->hasher->hash(p, size, o->seed);
}

/* The calls with keywords, out of line: the entry's common path (no
 * keywords) stays small, so that a call of it costs no more than before. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#elif defined(_MSC_VER)
__declspec(noinline)
#endif
static PyObject *rvh_jump_hash_keywords(PyObject *const *args, Py_ssize_t nargs,
                                        PyObject *kwnames, int32_t n) {
    uint64_t key;
    const uint8_t *text;
    Py_ssize_t size;
    rvh_fast_options o;
    if (rvh_read_options(args + nargs, kwnames, &o)) {
        int known = rvh_int_u64(args[0], &key);
        if (!known && rvh_ascii_key(args[0], &text, &size)) {
            key = rvh_fast_hash(&o, text, (size_t)size);  /* a call for every hasher */
            known = 1;
        }
        if (known) return rvh_bucket_int(o.guava ? rvh_jump_guava(key, n) : rvh_jump(key, n), n);
    }
    return PyObject_Vectorcall(rvh_jump_hash_general, args, nargs, kwnames);
}

static PyObject *rvh_jump_hash_fastcall(PyObject *module, PyObject *const *args,
                                        Py_ssize_t nargs, PyObject *kwnames) {
    uint64_t key;
    int32_t n;
    const uint8_t *text;
    Py_ssize_t size;
    (void)module;
    if (nargs == 2 && rvh_int_buckets(args[1], &n)) {
        if (kwnames != NULL) return rvh_jump_hash_keywords(args, nargs, kwnames, n);
        if (rvh_int_u64(args[0], &key)) return rvh_bucket_int(rvh_jump(key, n), n);
        if (rvh_ascii_key(args[0], &text, &size))
            return rvh_bucket_int(rvh_jump(rvh_xxh64_outlined(text, (size_t)size), n), n);
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
