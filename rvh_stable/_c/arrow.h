/* Keys read in place from Arrow arrays, through the Arrow C data interface
 * (https://arrow.apache.org/docs/format/CDataInterface.html): pyarrow
 * arrays, Polars series and Arrow-backed pandas series hand their memory
 * over as these structs, and the keys are hashed where they lie, with no
 * Python object per key.
 *
 * The glue says which layout a column has (the four below): the Arrow types
 * accepted, and the layout of each, are a table in rvh_stable/_rules/arrow.py,
 * the one list of them.  A column may be dictionary-encoded (integer
 * indices, values of any layout).  A string or binary
 * key is hashed by the batch's rvh_key_hash (hashers.h); an integer key is
 * its 64-bit pattern (signed types widened with their sign), as for every
 * other input.
 *
 * No Python here: the header compiles alone as C99.
 */
#ifndef RVH_ARROW_H
#define RVH_ARROW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arrow_checks.h" /* the bounds of a malformed array's reads */
#include "hashers.h"      /* rvh_key_hash */
#include "xxh64.h"

/* The interface's structs, as the specification fixes them (with its own
 * include guards, so that another definition of them is not repeated). */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};
struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
#endif
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};
#endif

/* How a column's values are laid out. */
enum {
    RVH_ARROW_INT = 1,    /* fixed-width integers: width and sign */
    RVH_ARROW_BYTES,  /* utf8 / binary: int32 offsets and a data buffer */
    RVH_ARROW_LARGE,  /* large_utf8 / large_binary: int64 offsets */
    RVH_ARROW_VIEW    /* utf8_view / binary_view: 16-byte views, data buffers */
};

/* One array (a chunk) of keys, checked by the glue: its layout and buffers.
 * A dictionary-encoded array reads its indices here (an integer layout)
 * and its values through `dictionary`, whose keys are hashed once each into
 * dict_keys (and whose bad entries, null, empty or malformed, are marked in
 * dict_bad). */
typedef struct rvh_arrow_column {
    int layout;
    int width, is_signed;        /* RVH_ARROW_INT */
    int64_t length, offset;
    const uint8_t *validity;     /* NULL: no nulls */
    const void *values;          /* integers, offsets or views */
    const uint8_t *data;         /* RVH_ARROW_BYTES, RVH_ARROW_LARGE: the bytes */
    int64_t low, high;           /* RVH_ARROW_BYTES, RVH_ARROW_LARGE: the data's bounds */
    const uint8_t *const *data_buffers; /* RVH_ARROW_VIEW: the variadic buffers, */
    int64_t n_data;                     /* how many, */
    const void *data_sizes;             /* and their sizes (int64s) */
    const struct rvh_arrow_column *dictionary; /* NULL unless dictionary-encoded */
    const uint64_t *dict_keys;   /* the dictionary's keys, hashed */
    const uint8_t *dict_bad;     /* per dictionary entry: 0, or an RVH_ARROW_BAD_ kind */
} rvh_arrow_column;

/* Loads that do not assume alignment: producers need not align their
 * buffers (Polars' large offsets are not, found by UBSan), and memcpy of a
 * fixed size compiles to one load where the CPU allows unaligned ones. */
static inline int64_t rvh_load_i32(const void *base, int64_t j) {
    int32_t v;
    memcpy(&v, (const uint8_t *)base + 4 * j, 4);
    return v;
}
static inline int64_t rvh_load_i64(const void *base, int64_t j) {
    int64_t v;
    memcpy(&v, (const uint8_t *)base + 8 * j, 8);
    return v;
}

/* Fill a column from an imported array (buffers as the layout has them),
 * with the bounds arrow_checks.h checks its keys against.  Returns 0, or -1
 * when the buffers are not there. */
static inline int rvh_arrow_column_init(rvh_arrow_column *c, const struct ArrowArray *a,
                                        int layout, int width, int is_signed) {
    memset(c, 0, sizeof *c);
    c->layout = layout;
    c->width = width;
    c->is_signed = is_signed;
    c->length = a->length;
    c->offset = a->offset;
    if (a->n_buffers < 2 || a->buffers == NULL) return -1;
    c->validity = a->null_count == 0 ? NULL : (const uint8_t *)a->buffers[0];
    c->values = a->buffers[1];
    if (a->length > 0 && c->values == NULL) return -1;
    if (layout == RVH_ARROW_BYTES || layout == RVH_ARROW_LARGE) {
        if (a->n_buffers < 3) return -1;
        c->data = (const uint8_t *)a->buffers[2];
        if (a->length > 0) {
            int64_t (*load)(const void *, int64_t) =
                layout == RVH_ARROW_BYTES ? rvh_load_i32 : rvh_load_i64;
            rvh_arrow_data_bounds(load(c->values, a->offset),
                                  load(c->values, a->offset + a->length), c->data != NULL,
                                  &c->low, &c->high);
        }
    } else if (layout == RVH_ARROW_VIEW) {
        /* validity, views, the data buffers, then their sizes */
        if (a->n_buffers < 3) return -1;
        c->data_buffers = (const uint8_t *const *)(a->buffers + 2);
        c->n_data = a->n_buffers - 3;
        c->data_sizes = a->buffers[a->n_buffers - 1];
        if (c->n_data > 0 && c->data_sizes == NULL) return -1;
    }
    return 0;
}

static inline int rvh_arrow_valid(const rvh_arrow_column *c, int64_t i) {
    int64_t bit = c->offset + i;
    return c->validity == NULL || ((c->validity[bit >> 3] >> (bit & 7)) & 1);
}

/* Element i's integer (RVH_ARROW_INT), as a 64-bit pattern. */
static inline uint64_t rvh_arrow_int(const rvh_arrow_column *c, int64_t i) {
    const uint8_t *p = (const uint8_t *)c->values + (c->offset + i) * c->width;
    switch (c->width) {
    case 1: return c->is_signed ? (uint64_t)(int64_t)(int8_t)p[0] : p[0];
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return c->is_signed ? (uint64_t)(int64_t)(int16_t)v : v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return c->is_signed ? (uint64_t)(int64_t)(int32_t)v : v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

/* Element i's bytes (the string and binary layouts), or NULL with *bad
 * set when the array puts them outside its buffers. */
static inline const uint8_t *rvh_arrow_bytes(const rvh_arrow_column *c, int64_t i, size_t *size,
                                             int *bad) {
    int64_t j = c->offset + i;
    if (c->layout != RVH_ARROW_VIEW) {
        int64_t start, end;
        if (c->layout == RVH_ARROW_BYTES) {
            start = rvh_load_i32(c->values, j);
            end = rvh_load_i32(c->values, j + 1);
        } else {
            start = rvh_load_i64(c->values, j);
            end = rvh_load_i64(c->values, j + 1);
        }
        *bad = rvh_arrow_range_bad(start, end, c->low, c->high);
        if (*bad != RVH_ARROW_OK) return NULL;
        *size = (size_t)(end - start);
        return c->data + start;
    } else { /* RVH_ARROW_VIEW: length, then 12 inline bytes or prefix, buffer, offset */
        const uint8_t *view = (const uint8_t *)c->values + 16 * j;
        int32_t length, buffer, offset;
        memcpy(&length, view, 4);
        memcpy(&buffer, view + 8, 4);
        memcpy(&offset, view + 12, 4);
        *bad = rvh_arrow_view_bad(length, buffer, offset, c->n_data, c->data_buffers,
                                  c->data_sizes);
        if (*bad != RVH_ARROW_OK) return NULL;
        *size = (size_t)length;
        if (length <= 12) return view + 4;
        return c->data_buffers[buffer] + offset;
    }
}

/* The common case on its own: utf8 or binary with int32 offsets, no nulls,
 * XXH64 with seed 0; one loop with nothing to decide per key but emptiness. */
static inline int64_t rvh_arrow_utf8_xxh64(const rvh_arrow_column *c, int64_t first,
                                           int64_t count, uint64_t *keys, int *bad) {
    const void *offsets = (const int32_t *)c->values + c->offset + first;
    const int64_t low = c->low, high = c->high;
    int64_t t;
    /* Four keys a step: their hashes, independent, interleave in one block
     * of code (measured on AMD Zen 1: 10% quicker than two at a time on
     * 10-byte keys, 15% than one).  The four keys' bounds (arrow_checks.h)
     * in six comparisons: low <= o0 < o1 < o2 < o3 < o4 <= high.  An empty
     * key, or one out of bounds, leaves this loop for the one below, which
     * reports it. */
    for (t = 0; t + 3 < count; t += 4) {
        int64_t o0 = rvh_load_i32(offsets, t), o1 = rvh_load_i32(offsets, t + 1),
                o2 = rvh_load_i32(offsets, t + 2), o3 = rvh_load_i32(offsets, t + 3),
                o4 = rvh_load_i32(offsets, t + 4);
        if (o0 < low || o1 <= o0 || o2 <= o1 || o3 <= o2 || o4 <= o3 || o4 > high) break;
        keys[t] = rvh_xxh64(c->data + o0, (size_t)(o1 - o0));
        keys[t + 1] = rvh_xxh64(c->data + o1, (size_t)(o2 - o1));
        keys[t + 2] = rvh_xxh64(c->data + o2, (size_t)(o3 - o2));
        keys[t + 3] = rvh_xxh64(c->data + o3, (size_t)(o4 - o3));
    }
    for (; t < count; t++) {
        int64_t start = rvh_load_i32(offsets, t), end = rvh_load_i32(offsets, t + 1);
        if ((*bad = rvh_arrow_range_bad(start, end, low, high)) != RVH_ARROW_OK) return t;
        if (end == start) {
            *bad = RVH_ARROW_BAD_EMPTY;
            return t;
        }
        keys[t] = rvh_xxh64(c->data + start, (size_t)(end - start));
    }
    return count;
}

/* The 64-bit keys of elements [first, first + count) of a column without a
 * dictionary, into keys[0..count).  Returns count, or the position of the
 * first key that cannot be hashed, with its kind in *bad. */
static inline int64_t rvh_arrow_plain_keys(const rvh_arrow_column *c, const rvh_key_hash *h,
                                           int64_t first, int64_t count, uint64_t *keys,
                                           int *bad) {
    int64_t t;
    size_t size;
    const uint8_t *p;
    if (c->layout == RVH_ARROW_BYTES && c->validity == NULL && h->fn == NULL)
        return rvh_arrow_utf8_xxh64(c, first, count, keys, bad);
    for (t = 0; t < count; t++) {
        if (!rvh_arrow_valid(c, first + t)) {
            *bad = RVH_ARROW_BAD_NULL;
            return t;
        }
        if (c->layout == RVH_ARROW_INT) {
            keys[t] = rvh_arrow_int(c, first + t);
            continue;
        }
        p = rvh_arrow_bytes(c, first + t, &size, bad);
        if (p == NULL) return t;
        if (size == 0) {
            *bad = RVH_ARROW_BAD_EMPTY;
            return t;
        }
        keys[t] = rvh_hash_key(h, p, size);
    }
    return count;
}

/* As rvh_arrow_plain_keys, for any column: a dictionary-encoded one reads
 * its dictionary's keys, hashed beforehand. */
static inline int64_t rvh_arrow_keys(const rvh_arrow_column *c, const rvh_key_hash *h,
                                     int64_t first, int64_t count, uint64_t *keys, int *bad) {
    int64_t t;
    if (c->dictionary == NULL) return rvh_arrow_plain_keys(c, h, first, count, keys, bad);
    for (t = 0; t < count; t++) {
        uint64_t index;
        if (!rvh_arrow_valid(c, first + t)) {
            *bad = RVH_ARROW_BAD_NULL;
            return t;
        }
        index = rvh_arrow_int(c, first + t);
        /* a negative index, widened with its sign, is past the end too */
        if (index >= (uint64_t)c->dictionary->length) {
            *bad = RVH_ARROW_BAD_INDEX;
            return t;
        }
        if (c->dict_bad[index]) {
            *bad = c->dict_bad[index];
            return t;
        }
        keys[t] = c->dict_keys[index];
    }
    return count;
}

/* Hash each entry of a dictionary once: keys[j] for a good entry, bad[j]
 * its RVH_ARROW_BAD_ kind (0 when good). */
static inline void rvh_arrow_hash_dictionary(const rvh_arrow_column *d, const rvh_key_hash *h,
                                             uint64_t *keys, uint8_t *bad) {
    int64_t j = 0;
    while (j < d->length) {
        int kind = RVH_ARROW_OK;
        int64_t done = rvh_arrow_plain_keys(d, h, j, d->length - j, keys + j, &kind);
        memset(bad + j, 0, (size_t)done);
        j += done;
        if (j < d->length) { /* entry j is null or empty: mark it, go on after it */
            bad[j] = (uint8_t)kind;
            keys[j] = 0;
            j++;
        }
    }
}

/* The bytes Memento's rehash reads for element i (a key that was hashed,
 * so valid): a string's or binary's bytes, an integer's 64-bit pattern as 8
 * little-endian bytes (written into scratch). */
static inline const uint8_t *rvh_arrow_rehash_bytes(const rvh_arrow_column *c, int64_t i,
                                                    uint8_t scratch[8], size_t *size) {
    int bad;
    if (c->dictionary != NULL) {
        i = (int64_t)rvh_arrow_int(c, i);
        c = c->dictionary;
    }
    if (c->layout == RVH_ARROW_INT) {
        uint64_t v = rvh_arrow_int(c, i);
        int k;
        for (k = 0; k < 8; k++) scratch[k] = (uint8_t)(v >> (8 * k));
        *size = 8;
        return scratch;
    }
    return rvh_arrow_bytes(c, i, size, &bad);
}

#endif /* RVH_ARROW_H */
