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
from cpython.bool cimport PyBool_Check
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
from cpython.list cimport PyList_GET_ITEM
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.number cimport PyIndex_Check, PyNumber_Index
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
    bint PyUnicode_IS_ASCII(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    void* PyUnicode_DATA(object)

cdef extern from *:
    """
    /* XXH64 primes (Yann Collet, xxHash specification). */
    #define RVH_XXH_P1 0x9E3779B185EBCA87ULL
    #define RVH_XXH_P2 0xC2B2AE3D27D4EB4FULL
    #define RVH_XXH_P3 0x165667B19E3779F9ULL
    #define RVH_XXH_P4 0x85EBCA77C2B2AE63ULL
    #define RVH_XXH_P5 0x27D4EB2F165667C5ULL
    /* The linear congruential step of Lamping & Veach, Figure 1. */
    #define RVH_JUMP_MULT 2862933555777941757ULL
    """
    const uint64_t XXH_P1 "RVH_XXH_P1"
    const uint64_t XXH_P2 "RVH_XXH_P2"
    const uint64_t XXH_P3 "RVH_XXH_P3"
    const uint64_t XXH_P4 "RVH_XXH_P4"
    const uint64_t XXH_P5 "RVH_XXH_P5"
    const uint64_t JUMP_MULT "RVH_JUMP_MULT"

IMPLEMENTATION = "cython"
MAX_BUCKETS = _rules.MAX_BUCKETS

cdef enum:
    # Batches on arrays work through this many keys at a time when the keys
    # must first be converted (other widths, byte orders or strides than
    # aligned native uint64).
    BLOCK = 256
    # Keys hashed in lockstep by the batch kernel.
    LANES = 8
    # Batch results share one int object per bucket up to this many buckets.
    SHARED_BUCKETS_MAX = 1 << 16
    MAX_BUCKETS_C = 2147483647


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
    """An exact int key: the common case, with no Python-level work.

    Cython compiles the sign test and both conversions to inline reads of the
    int's digits; only a key outside [-2**63, 2**64) raises (OverflowError),
    and that is turned into the documented ValueError.
    """
    try:
        if key < 0:
            out[0] = <uint64_t><int64_t>key  # two's complement
        else:
            out[0] = <uint64_t>key
    except OverflowError:
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
    cdef Py_ssize_t size
    if PyUnicode_IS_ASCII(key):
        # ASCII text is its own UTF-8: hash the string's storage in place.
        size = PyUnicode_GET_LENGTH(key)
        if size == 0:
            _rules.raise_key_empty(key, index)
        out[0] = _xxh64(<const uint8_t*>PyUnicode_DATA(key), size)
        return 0
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
    if PyBool_Check(key) or not PyIndex_Check(key):
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

cdef inline int64_t _next_j(uint64_t key, int64_t b) noexcept nogil:
    # The paper's expression in IEEE double, in the paper's order: the
    # division rounds once and the product rounds again; merging or skipping
    # either rounding changes rare answers.  (key >> 33) + 1 is below
    # 2**31 + 1, so going through int64 converts it exactly and with a single
    # instruction.  Every kernel takes its step from here.
    return <int64_t>((b + 1) * (2147483648.0 / <double><int64_t>((key >> 33) + 1)))


cdef inline int32_t _jump(uint64_t key, int32_t num_buckets) noexcept nogil:
    cdef int64_t b = -1
    cdef int64_t j = 0
    while j < num_buckets:
        b = j
        key = key * JUMP_MULT + 1
        j = _next_j(key, b)
    return <int32_t>b


cdef inline int32_t _check_buckets(object num_buckets) except -1:
    cdef int overflow = 0
    cdef long long value
    if PyLong_CheckExact(num_buckets):
        value = PyLong_AsLongLongAndOverflow(num_buckets, &overflow)
        if overflow == 0 and 1 <= value <= MAX_BUCKETS_C:
            return <int32_t>value
    return _rules.check_buckets(num_buckets)


def jump_hash(key, num_buckets):
    """jump_hash(key, num_buckets) -> int

    The bucket of ``key``, in ``[0, num_buckets)``, by Lamping and Veach's
    Jump Consistent Hash.  ``num_buckets`` is an int in ``[1, 2**31-1]``.
    """
    cdef long long count
    cdef uint64_t k
    if PyLong_CheckExact(key) and PyLong_CheckExact(num_buckets):
        # The common case, decided before any other dispatch: both ints are
        # read inline from their digits, under a single try.  Anything out of
        # range takes the general path below, which reports it.
        try:
            count = num_buckets
            if key < 0:
                k = <uint64_t><int64_t>key
            else:
                k = <uint64_t>key
        except OverflowError:
            pass
        else:
            if 1 <= count <= MAX_BUCKETS_C:
                return _jump(k, <int32_t>count)
    cdef int32_t n = _check_buckets(num_buckets)
    _key_u64(key, -1, &k)
    return _jump(k, n)


# --- batch kernels ------------------------------------------------------------

cdef void _jump_keys(const uint64_t* keys, Py_ssize_t count, int32_t n,
                     int64_t* out) noexcept nogil:
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

    def run(self):
        cdef const char* src = self.src
        cdef Py_ssize_t stride = self.stride
        cdef Py_ssize_t count = self.count
        cdef int itemsize = self.itemsize
        cdef bint is_signed = self.is_signed
        cdef bint swap = self.swap
        cdef int32_t n = self.n
        cdef int64_t* out = self.out
        cdef uint64_t block[BLOCK]
        cdef Py_ssize_t done, i, m
        with nogil:
            if (itemsize == 8 and not swap and stride == 8
                    and (<size_t>src) % sizeof(uint64_t) == 0):
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
        jobs.append(job)
        start += job.count
    _run_jobs(jobs)

    if is_ndarray:
        return result
    values = <const int64_t*>dest.view.buf
    cdef _BucketList as_list = _BucketList(n)
    as_list.extend(values, count)
    return as_list.out


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


cdef class _BucketList:
    """Builds the result list of a batch, sharing one int object per bucket.

    Once a batch has more keys than buckets, allocating a new int for every
    result costs more than creating the n bucket ints once; the result list
    then also holds n ints instead of one per key.
    """
    cdef list out
    cdef list shared
    cdef int32_t n
    cdef Py_ssize_t seen

    def __cinit__(self, int32_t n):
        self.out = []
        self.n = n

    cdef int extend(self, const int64_t* buckets, Py_ssize_t m) except -1:
        cdef Py_ssize_t t
        self.seen += m
        if self.shared is None and self.n <= SHARED_BUCKETS_MAX and self.seen >= self.n:
            self.shared = list(range(self.n))
        if self.shared is None:
            for t in range(m):
                self.out.append(buckets[t])
        else:
            for t in range(m):
                self.out.append(<object>PyList_GET_ITEM(self.shared, buckets[t]))
        return 0


cdef list _iter_batch(object keys, int32_t n):
    # Keys are turned into uint64 a block at a time, then the block goes
    # through the same lockstep kernel as arrays.
    cdef _BucketList result = _BucketList(n)
    cdef uint64_t block[BLOCK]
    cdef int64_t buckets[BLOCK]
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t m = 0
    if not isinstance(keys, (list, tuple)):
        try:
            keys = iter(keys)
        except TypeError:
            _rules.raise_keys_not_iterable(keys)
    for key in keys:
        if PyLong_CheckExact(key):
            _exact_int_u64(key, i, &block[m])
        else:
            _key_u64(key, i, &block[m])
        m += 1
        i += 1
        if m == BLOCK:
            _jump_keys(block, m, n, buckets)
            result.extend(buckets, m)
            m = 0
    _jump_keys(block, m, n, buckets)
    result.extend(buckets, m)
    return result.out


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
