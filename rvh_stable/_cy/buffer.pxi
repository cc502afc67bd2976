# Integer buffers as a source of keys: a NumPy array, array.array, a
# memoryview, anything with the buffer protocol and an integer format, read
# in place without the GIL (aligned native uint64 with no copy at all).

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
cdef class _BufferSource(_KeySource):
    """The integers of one buffer, element i at base + i * stride."""
    cdef _Buffer owner
    cdef const char* base
    cdef Py_ssize_t stride
    cdef int itemsize
    cdef bint is_signed
    cdef bint swap

    cdef Py_ssize_t take(self, Py_ssize_t first, Py_ssize_t m, uint64_t* block,
                         const uint64_t** keys, int* bad) noexcept nogil:
        cdef const char* p = self.base + first * self.stride
        cdef Py_ssize_t i
        if self.room == 0:  # aligned native uint64: the keys themselves
            keys[0] = <const uint64_t*>p
            return m
        for i in range(m):
            block[i] = _load(p + i * self.stride, self.itemsize, self.is_signed, self.swap)
        keys[0] = block
        return m


cdef object _buffer_answers(object keys, int32_t n, Py_ssize_t threads, bint is_ndarray,
                            _batch_fn run, _After after):
    """The answers for an integer buffer: an int64 NumPy array of its shape
    for a NumPy array, else a list; None when ``keys`` must be iterated
    instead (not a buffer of integers)."""
    cdef _Buffer src = _Buffer.__new__(_Buffer)
    cdef _BufferSource source
    cdef _Buffer dest
    cdef Py_ssize_t count
    cdef int d
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
    source = _BufferSource.__new__(_BufferSource)
    source.owner = src
    source.count = count
    source.base = <const char*>src.view.buf
    source.stride = src.view.strides[0] if src.view.ndim == 1 else src.view.itemsize
    source.itemsize = <int>src.view.itemsize
    is_signed, big_endian = layout
    source.is_signed = is_signed
    source.swap = big_endian != (sys.byteorder == "big")
    if not (source.itemsize == 8 and not source.swap and source.stride == 8
            and (<size_t>source.base) % sizeof(uint64_t) == 0):
        source.room = BLOCK

    if is_ndarray and not after.objects:
        numpy = sys.modules["numpy"]
        answers = numpy.empty(keys.shape, dtype=numpy.int64)
    else:
        answers = bytearray(count * sizeof(int64_t))
    dest = _run_source(source, answers, n, threads, run, after)
    if is_ndarray and not after.objects:
        return answers
    return _as_list(<const int64_t*>dest.view.buf, count, n, after)
