/* jump_hash's METH_FASTCALL entry, with the table of keyword values it
 * decides itself, and the function that builds the builtin around it
 * (rvh_new_jump_hash, called once at import by the @_fast_entry decorator
 * of jump_hash in _jump.pyx).  Part of the CPython glue (see ints.h).
 */
#ifndef RVH_PY_FAST_ENTRY_H
#define RVH_PY_FAST_ENTRY_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../hashers.h"
#include "../jump.h"
#include "../jump_guava.h"
#include "../jumpback.h"
#include "../platform.h" /* RVH_NOINLINE */
#include "../xxh64.h"
#include "bucket_ints.h"
#include "ints.h"

/* jump_hash is a METH_FASTCALL | METH_KEYWORDS builtin (Cython cannot
 * declare one itself).  It decides the common calls before any other
 * dispatch, with no reference taken and no exception set on the way: an int
 * key or an ASCII str key, a bucket count in range, and any of the keywords
 * hasher=, seed=, variant= and algorithm= with a value the table below
 * knows (a hasher's name, None or an int seed in the hasher's range, a
 * variant's name, an algorithm's name, but not jumpback with guava).  Every other call, with its arguments unchanged, goes to the
 * general function: the def jump_hash of _jump.pyx, which handles every key
 * type, every value and every error.  The names and ranges in the table are
 * _rules.py's: _jump.pyx fills it at import (rvh_fast_hasher_set and
 * rvh_fast_names_set), so this file holds no rule of its own. */
static PyObject *rvh_jump_hash_general = NULL; /* a reference kept for the process's life */

/* _rules.py's rule for one hasher= name, as the entry applies it: the
 * functions to call, and the seeds it decides itself. */
#define RVH_FAST_HASHERS 16
typedef struct {
    rvh_hash_fn hash; /* NULL: the default, XXH64 seed 0 for seed 0, inlined */
    rvh_hash_fn seeded; /* the default's function for a seed other than 0 */
    int takes_seed;   /* else only seed=None is decided here */
    int64_t seed_low; /* seeds in [seed_low, seed_high] */
    uint64_t seed_high;
} rvh_fast_hasher_rule;

static rvh_fast_hasher_rule rvh_fast_hasher_rules[RVH_FAST_HASHERS];
static int rvh_fast_hasher_count = 0;
/* The keyword names, variant='s two values: paper (0) and guava (1), and
 * algorithm='s: jump (0) and jumpback (1). */
enum { RVH_KW_HASHER, RVH_KW_SEED, RVH_KW_VARIANT, RVH_KW_ALGORITHM, RVH_KW_COUNT };
static PyObject *rvh_kw_names[RVH_KW_COUNT] = {NULL, NULL, NULL, NULL};
static PyObject *rvh_variant_names[2] = {NULL, NULL};
static PyObject *rvh_algorithm_names[2] = {NULL, NULL};
/* hasher= of each entry (references kept for the process's life). */
static PyObject *rvh_fast_hasher_names[RVH_FAST_HASHERS];

/* At import, before the table is filled: an embedding program that
 * finalizes Python and starts it again must not compare against (or
 * release) the objects of the interpreter it finalized. */
static void rvh_fast_forget(void) {
    memset(rvh_fast_hasher_names, 0, sizeof(rvh_fast_hasher_names));
    memset(rvh_kw_names, 0, sizeof(rvh_kw_names));
    memset(rvh_variant_names, 0, sizeof(rvh_variant_names));
    memset(rvh_algorithm_names, 0, sizeof(rvh_algorithm_names));
    rvh_fast_hasher_count = 0;
}

/* Entry i of the table; i == 0 is the default hasher.  Returns -1 (with
 * an exception) for an index past the table. */
static int rvh_fast_hasher_set(int i, PyObject *name, rvh_hash_fn hash, int takes_seed,
                               int64_t seed_low, uint64_t seed_high) {
    rvh_fast_hasher_rule *h;
    if (i < 0 || i >= RVH_FAST_HASHERS) {
        PyErr_SetString(PyExc_ImportError,
                        "rvh_stable: more hashers than _c/py/fast_entry.h holds");
        return -1;
    }
    h = &rvh_fast_hasher_rules[i];
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

/* The keyword names, variant='s two names and algorithm='s two. */
static int rvh_fast_names_set(const char *paper, const char *guava, const char *jump,
                              const char *jumpback) {
    if (rvh_keep_interned(&rvh_kw_names[RVH_KW_HASHER], "hasher") < 0) return -1;
    if (rvh_keep_interned(&rvh_kw_names[RVH_KW_SEED], "seed") < 0) return -1;
    if (rvh_keep_interned(&rvh_kw_names[RVH_KW_VARIANT], "variant") < 0) return -1;
    if (rvh_keep_interned(&rvh_kw_names[RVH_KW_ALGORITHM], "algorithm") < 0) return -1;
    if (rvh_keep_interned(&rvh_variant_names[0], paper) < 0) return -1;
    if (rvh_keep_interned(&rvh_variant_names[1], guava) < 0) return -1;
    if (rvh_keep_interned(&rvh_algorithm_names[0], jump) < 0) return -1;
    return rvh_keep_interned(&rvh_algorithm_names[1], jumpback);
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
    const rvh_fast_hasher_rule *h;
    uint64_t value = 0;
    int k = rvh_find_name(hasher, rvh_fast_hasher_names, rvh_fast_hasher_count);
    if (k < 0) return 0;
    h = &rvh_fast_hasher_rules[k];
    if (seed != Py_None) {
        if (!h->takes_seed || !rvh_int_between(seed, h->seed_low, h->seed_high, &value)) return 0;
    }
    *hash = value == 0 ? h->hash : h->seeded;
    *seed_out = value;
    return 1;
}

/* The options of one call, as the table decides them. */
typedef struct {
    const rvh_fast_hasher_rule *rule; /* hasher='s */
    uint64_t seed;
    int guava;
    int jumpback;
} rvh_fast_options;

/* Read the keyword values kwvalues[0..len(kwnames)) into `o`.  Returns 0,
 * never with an exception set, for anything the general path must see. */
static int rvh_read_options(PyObject *const *kwvalues, PyObject *kwnames, rvh_fast_options *o) {
    Py_ssize_t i, count = PyTuple_GET_SIZE(kwnames);
    int k;
    PyObject *seed = Py_None;
    o->rule = &rvh_fast_hasher_rules[0];
    o->seed = 0;
    o->guava = 0;
    o->jumpback = 0;
    if (rvh_fast_hasher_count == 0 || rvh_kw_names[0] == NULL) return 0; /* not filled */
    for (i = 0; i < count; i++) {
        PyObject *value = kwvalues[i];
        switch (rvh_find_name(PyTuple_GET_ITEM(kwnames, i), rvh_kw_names, RVH_KW_COUNT)) {
        case RVH_KW_HASHER:
            k = rvh_find_name(value, rvh_fast_hasher_names, rvh_fast_hasher_count);
            if (k < 0) return 0;
            o->rule = &rvh_fast_hasher_rules[k];
            break;
        case RVH_KW_SEED:
            seed = value;
            break;
        case RVH_KW_VARIANT:
            k = rvh_find_name(value, rvh_variant_names, 2);
            if (k < 0) return 0;
            o->guava = k == 1;
            break;
        case RVH_KW_ALGORITHM:
            k = rvh_find_name(value, rvh_algorithm_names, 2);
            if (k < 0) return 0;
            o->jumpback = k == 1;
            break;
        default:
            return 0;
        }
    }
    if (o->jumpback && o->guava) return 0; /* the general path's error */
    if (seed != Py_None) {
        if (!o->rule->takes_seed) return 0;
        if (!rvh_int_between(seed, o->rule->seed_low, o->rule->seed_high, &o->seed))
            return 0;
    }
    return 1;
}

/* XXH64 as a function call for the entry: inlined (it always is, xxh64.h),
 * its registers would make every call of the entry save and restore more of
 * them, the int keys' too (measured: 3 ns a call). */
RVH_NOINLINE static uint64_t rvh_xxh64_outlined(const uint8_t *p, size_t size) {
    return rvh_xxh64(p, size);
}

static inline uint64_t rvh_fast_hash(const rvh_fast_options *o, const uint8_t *p, size_t size) {
    if (o->rule->hash == NULL) {
        /* Inlined here: this runs only in the keyword calls' own function. */
        return o->seed == 0 ? rvh_xxh64(p, size) : o->rule->seeded(p, size, o->seed);
    }
    return o->rule->hash(p, size, o->seed);
}

/* The calls with keywords, out of line: the entry's common path (no
 * keywords) stays small, so that a call of it costs no more than before. */
RVH_NOINLINE static PyObject *rvh_jump_hash_keywords(PyObject *const *args, Py_ssize_t nargs,
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
        if (known) {
            int32_t b = o.jumpback ? rvh_jumpback(key, n)
                        : o.guava  ? rvh_jump_guava(key, n)
                                   : rvh_jump(key, n);
            return rvh_bucket_int(b, n);
        }
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

#endif /* RVH_PY_FAST_ENTRY_H */
