/* The checks that keep a malformed Arrow array's reads inside its buffers.
 *
 * The Arrow C data interface gives each buffer's address but not its size,
 * and a producer (or pa.Array.from_buffers, which checks only the first and
 * last offsets) can hand over an array whose keys point anywhere.  What does
 * bound every read:
 *   - offsets layouts (utf8, binary, their large_ forms): the first and last
 *     offsets of the array's range, read once per column.  A key [start, end)
 *     is read only when first <= start <= end <= last, each key on its own
 *     (a threaded batch reads its keys' ranges in parallel, so no key may
 *     rely on another's check);
 *   - views (utf8_view, binary_view): the variadic buffers' sizes, which the
 *     interface exports as the array's last buffer (int64s, one per data
 *     buffer).  A view's bytes are read only when its buffer exists and
 *     offset + length is within that buffer's size;
 *   - dictionaries: an index is read only when 0 <= index < the
 *     dictionary's length.
 * Each check is a few comparisons per key.  A key that fails one is bad,
 * with its kind below, and the glue raises the error _rules words for it.
 *
 * No Python here: the header compiles alone as C99.
 */
#ifndef RVH_ARROW_CHECKS_H
#define RVH_ARROW_CHECKS_H

#include <stdint.h>
#include <string.h>

/* Why a key cannot be hashed.  The first two are the key's own fault; the
 * others say the array is malformed (_rules.ARROW_MALFORMED words each). */
enum {
    RVH_ARROW_OK = 0,
    RVH_ARROW_BAD_NULL = 1,      /* a null */
    RVH_ARROW_BAD_EMPTY = 2,     /* an empty string or binary */
    RVH_ARROW_BAD_BACKWARDS = 3, /* a key's end offset is before its start */
    RVH_ARROW_BAD_OUTSIDE = 4,   /* a key's offsets are outside the array's data */
    RVH_ARROW_BAD_VIEW = 5,      /* a view points outside its data buffers */
    RVH_ARROW_BAD_INDEX = 6      /* a dictionary index out of range */
};

/* The bounds of an offsets column's data, from the offsets of its range
 * (first, the key at offset's start; last, the end of the range's last
 * key): a start below 0 is clamped to 0, and an array without a data
 * buffer has no bytes to read. */
static inline void rvh_arrow_data_bounds(int64_t first, int64_t last, int has_data,
                                         int64_t *low, int64_t *high) {
    *low = first < 0 ? 0 : first;
    *high = has_data ? last : 0;
}

/* Whether key [start, end) may be read, from the bounds above. */
static inline int rvh_arrow_range_bad(int64_t start, int64_t end, int64_t low, int64_t high) {
    if (start > end) return RVH_ARROW_BAD_BACKWARDS;
    if (start < low || end > high) return RVH_ARROW_BAD_OUTSIDE;
    return RVH_ARROW_OK;
}

/* Whether a view of `length` bytes at `offset` in data buffer `buffer` may
 * be read, given the array's n_data data buffers, their addresses and their
 * sizes (int64s, possibly unaligned).  An inline view (length <= 12) reads
 * only the view itself. */
static inline int rvh_arrow_view_bad(int32_t length, int32_t buffer, int32_t offset,
                                     int64_t n_data, const uint8_t *const *data,
                                     const void *sizes) {
    int64_t size;
    if (length < 0) return RVH_ARROW_BAD_VIEW;
    if (length <= 12) return RVH_ARROW_OK;
    if (buffer < 0 || buffer >= n_data || offset < 0 || data[buffer] == NULL)
        return RVH_ARROW_BAD_VIEW;
    memcpy(&size, (const uint8_t *)sizes + 8 * (int64_t)buffer, 8);
    if ((int64_t)offset + length > size) return RVH_ARROW_BAD_VIEW;
    return RVH_ARROW_OK;
}

#endif /* RVH_ARROW_CHECKS_H */
