# cython: language_level=3
# cython: cdivision=True
# cython: binding=False
# cython: freethreading_compatible=True
"""Compiled core of rvh_stable.

The twin of ``rvh_stable/stable.py``: the same names, results and exceptions.
``stable.py`` is the readable specification; this module is its fast copy,
and the tests hold the two to the same answers.

This file is the Python-facing glue: arguments, batches, threads.  The
computation is C in ``rvh_stable/_c/``: the jump loop (``jump.h``), XXH64
(``xxh64.h``), the batch kernels behind one table (``kernels.h``), and the
CPython glue (``pyglue.h``, the only header that includes ``Python.h``).
Everything that is not on the hot path (error messages, ``threads``, buffer
formats, the kernel request) lives in ``rvh_stable/_rules.py`` and is shared
by both cores.
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
from cpython.pycapsule cimport PyCapsule_GetPointer
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
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
from libc.string cimport memcpy, memset

import sys
import threading

from rvh_stable import _rules

cdef extern from "Python.h":
    void _incref "Py_INCREF"(PyObject* o) noexcept
    void _decref "Py_DECREF"(PyObject* o) noexcept
    bint PyLong_CheckExact(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    int PyErr_CheckSignals() except -1
    unsigned long PyThread_get_thread_ident() noexcept nogil

cdef extern from "_c/jump.h":
    int32_t _jump "rvh_jump"(uint64_t key, int32_t n) noexcept nogil

cdef extern from "_c/xxh64.h":
    uint64_t _xxh64 "rvh_xxh64"(const uint8_t* p, size_t size) noexcept nogil

cdef extern from "_c/jump_guava.h":
    int32_t _jump_guava "rvh_jump_guava"(uint64_t key, int32_t n) noexcept nogil

cdef extern from "_c/hashers.h":
    ctypedef uint64_t (*_hash_fn "rvh_hash_fn")(const uint8_t* p, size_t size,
                                               uint64_t seed) noexcept nogil
    ctypedef struct _hasher "rvh_hasher_entry":
        const char* name
        _hash_fn hash
    const _hasher* _hasher_table "rvh_hasher_table"(int* count) noexcept
    void _hashers_init "rvh_hashers_init"() noexcept

cdef extern from "_c/kernels/table.h":
    ctypedef void (*_batch_fn "rvh_batch_fn")(const uint64_t* keys, Py_ssize_t count, int32_t n,
                                             int64_t* out) noexcept nogil
    ctypedef struct _kernel "rvh_kernel":
        const char* name
        _batch_fn run
        _batch_fn run_guava
    const _kernel* _kernel_table "rvh_kernel_table"(int* count) noexcept
    bint _kernel_available "rvh_kernel_available"(const _kernel* kernel) noexcept
    int _kernel_best "rvh_kernel_best"() noexcept

cdef extern from "_c/memento.h":
    ctypedef struct _memento_entry "rvh_memento_entry":
        int32_t bucket
        int32_t replacer
    ctypedef struct _memento "rvh_memento":
        int32_t size
        uint32_t mask
        const _memento_entry* entries
        const void* const* working
    void _memento_put "rvh_memento_put"(_memento_entry* entries, uint32_t mask, int32_t bucket,
                                        int32_t replacer) noexcept
    int32_t _memento_resolve "rvh_memento_resolve"(const _memento* m, int32_t b, const uint8_t* key,
                                                   size_t size) noexcept nogil
    void _memento_int_bytes "rvh_memento_int_bytes"(uint64_t key, uint8_t* out) noexcept nogil
    void _memento_fix_ints "rvh_memento_fix_ints"(const _memento* m, const uint64_t* keys,
                                                  Py_ssize_t count, int64_t* out) noexcept nogil
    bint _memento_works "rvh_memento_works"(const _memento* m, int32_t b) noexcept nogil

cdef extern from "_c/arrow.h":
    cdef struct ArrowSchema:
        const char* format
        ArrowSchema* dictionary
        void (*release)(ArrowSchema*) noexcept
    cdef struct ArrowArray:
        int64_t length
        int64_t null_count
        int64_t offset
        int64_t n_buffers
        const void** buffers
        ArrowArray* dictionary
        void (*release)(ArrowArray*) noexcept
    cdef struct ArrowArrayStream:
        int (*get_schema)(ArrowArrayStream*, ArrowSchema*) noexcept
        int (*get_next)(ArrowArrayStream*, ArrowArray*) noexcept
        const char* (*get_last_error)(ArrowArrayStream*) noexcept
        void (*release)(ArrowArrayStream*) noexcept
    ctypedef struct _arrow_column "rvh_arrow_column":
        int layout
        int64_t length
        const _arrow_column* dictionary
        const uint64_t* dict_keys
        const uint8_t* dict_bad
    ctypedef struct _arrow_hasher "rvh_key_hash":
        _hash_fn fn
        uint64_t seed
    enum:
        ARROW_UNKNOWN "RVH_ARROW_UNKNOWN"
        ARROW_INT "RVH_ARROW_INT"
        ARROW_BAD_NULL "RVH_ARROW_BAD_NULL"
    int _arrow_layout "rvh_arrow_layout"(const char* fmt, int* width, int* is_signed) noexcept
    int _arrow_column_init "rvh_arrow_column_init"(_arrow_column* c, const ArrowArray* a,
                                                   int layout, int width, int is_signed) noexcept
    void _arrow_hash_dictionary "rvh_arrow_hash_dictionary"(
        const _arrow_column* d, const _arrow_hasher* h, uint64_t* keys, uint8_t* bad) noexcept nogil
    int64_t _arrow_keys "rvh_arrow_keys"(const _arrow_column* c, const _arrow_hasher* h,
                                         int64_t first, int64_t count, uint64_t* keys,
                                         int* bad) noexcept nogil
    const uint8_t* _arrow_rehash_bytes "rvh_arrow_rehash_bytes"(
        const _arrow_column* c, int64_t i, uint8_t* scratch, size_t* size) noexcept nogil

cdef extern from "_c/pace.h":
    int64_t _monotonic_ns "rvh_monotonic_ns"() noexcept nogil
    bint _stopped "rvh_stopped"(const int* flag) noexcept nogil
    void _stop "rvh_stop"(int* flag) noexcept nogil

cdef extern from "_c/py/ints.h":
    bint _int_u64 "rvh_int_u64"(PyObject* op, uint64_t* out) noexcept
    bint _int_buckets "rvh_int_buckets"(PyObject* op, int32_t* out) noexcept
    bint _ascii_key "rvh_ascii_key"(PyObject* op, const uint8_t** data, Py_ssize_t* size) noexcept
    enum: INT_DIGITS "RVH_INT_DIGITS"

cdef extern from "_c/py/bucket_ints.h":
    object _bucket "rvh_bucket_int"(int32_t b, int32_t n)
    Py_ssize_t _shared_count "rvh_shared_count"() noexcept
    void _forget_shared "rvh_forget_shared"() noexcept
    enum: SHARED_BUCKETS "RVH_SHARED_BUCKETS"

cdef extern from "_c/py/fast_entry.h":
    object _new_jump_hash "rvh_new_jump_hash"(object general, const char* doc, object module,
                                              object module_name)
    int _fast_hasher_set "rvh_fast_hasher_set"(int i, object name, _hash_fn hash, int takes_seed,
                                               int64_t seed_low, uint64_t seed_high) except -1
    int _fast_names_set "rvh_fast_names_set"(const char* paper, const char* guava) except -1
    void _fast_forget "rvh_fast_forget"() noexcept
    int _fast_hash_choice "rvh_fast_hash_choice"(object hasher, object seed, _hash_fn* hash,
                                                 uint64_t* seed_out) noexcept

IMPLEMENTATION = "cython"
MAX_BUCKETS = _rules.MAX_BUCKETS

cdef enum:
    # Batches work through this many keys at a time when the keys must
    # first be converted (lists and iterables; arrays of other widths, byte
    # orders or strides than aligned native uint64).
    BLOCK = 1024
    # An Arrow job hashes this many keys, then runs the batch kernel on them:
    # a kernel call finishes with its lanes draining one by one, which costs
    # less the more keys the call has (16,384 keys: 128 KiB, in L2).
    ARROW_BLOCK = 1 << 14
    # An array job hashes this many keys between two looks at the clock and
    # at its stop flag: 0.15 ms to 4 ms of work, whatever the kernel and n.
    CHUNK = 1 << 16
    # A batch that holds the GIL calls _checkpoint after this many keys
    # (8 blocks): 40 to 300 us of work, and the call costs under 1% of it.
    CHECKPOINT_KEYS = 8 * BLOCK

# How often the thread that runs a batch on the main thread takes the GIL
# back to let a Ctrl-C (or another signal handler) in: a SIGINT then ends an
# array batch within about this long, plus a chunk.
cdef int64_t SIGNAL_CHECK_NS = 10_000_000

# Signals are handled on the main thread only: a batch elsewhere need not
# look for them.
cdef unsigned long _main_thread = threading.main_thread().ident


# --- the batch kernel -----------------------------------------------------------

# The batch kernel in use, set once below: its paper loop and its Guava loop.
cdef _batch_fn _run_kernel = NULL
cdef _batch_fn _run_kernel_guava = NULL


cdef tuple _pick_kernel():
    """Set _run_kernel; return its name and the names of every kernel this
    build and CPU can run.  The kernel is the one RVH_STABLE_KERNEL asks for,
    or else the fastest here: the table's names are the only list of them."""
    global _run_kernel, _run_kernel_guava
    cdef int count, i
    cdef const _kernel* table = _kernel_table(&count)
    names = [table[i].name.decode("ascii") for i in range(count)]
    usable = [names[i] for i in range(count) if _kernel_available(&table[i])]
    i = names.index(_rules.requested_kernel(names, usable) or names[_kernel_best()])
    _run_kernel = table[i].run
    _run_kernel_guava = table[i].run_guava
    return names[i], tuple(usable)


# KERNEL: the batch kernel in use ("avx512", "sse2" or "portable"), picked
# at import.  KERNELS: every kernel this build and CPU can run, slowest first.
KERNEL, KERNELS = _pick_kernel()


cdef str _PAPER = "paper"
cdef str _GUAVA = "guava"


cdef inline bint _is_guava(object variant) except -1:
    """``variant=`` checked: the two names without a call, the rest by _rules."""
    if variant is _PAPER:
        return False
    if variant is _GUAVA:
        return True
    return _rules.is_guava(variant)


cdef inline _batch_fn _loop_kernel(object variant) except? NULL:
    """The batch kernel picked at import, with the loop ``variant=`` names."""
    if _is_guava(variant):
        return _run_kernel_guava
    return _run_kernel


# --- key hashers (hasher=, seed=) ----------------------------------------------

cdef struct _KeyHash:
    _hash_fn fn  # NULL: the default, XXH64 with seed 0, inlined
    uint64_t seed

cdef int _load_hashers() except -1:
    # The C function of each name in _rules.HASHERS, looked up by name in the
    # C table (the names are _rules' alone: a name without C fails the import),
    # goes into pyglue.h's table with its seed range: jump_hash's entry and
    # _key_hash decide the common calls with it.
    cdef int count, i, k
    cdef _hash_fn fn
    cdef const _hasher* table = _hasher_table(&count)
    by_name = {table[i].name.decode("ascii"): i for i in range(count)}
    _hashers_init()
    _fast_forget()
    for k, name in enumerate(_rules.HASHERS):
        if name not in by_name:
            raise ImportError(f"rvh_stable: the compiled core has no {name!r} hasher")
        fn = table[<int>by_name[name]].hash
        bounds = _rules.HASHER_SEEDS[name]
        if bounds is None:
            _fast_hasher_set(k, name, fn, 0, 0, 0)
        else:
            _fast_hasher_set(k, name, fn, 1, bounds[0], bounds[1] - 1)
    paper, guava = [name.encode("ascii") for name in _rules.VARIANTS]
    _fast_names_set(paper, guava)
    return 0


_load_hashers()
cdef str _DEFAULT_HASHER = _rules.DEFAULT_HASHER
cdef _KeyHash _DEFAULT_HASH  # zeroed: fn NULL, seed 0
cdef dict _HASHER_NAMES = {name: name for name in _rules.HASHERS}


cdef int _key_hash(object hasher, object seed, _KeyHash* out) except -1:
    """``hasher=`` and ``seed=`` checked (by _rules) and turned into a _KeyHash."""
    if hasher is _DEFAULT_HASHER and seed is None:
        out[0] = _DEFAULT_HASH
        return 0
    if _fast_hash_choice(hasher, seed, &out.fn, &out.seed):
        return 0  # a known name, and no seed or an exact int in range
    name, value = _rules.resolve_hasher(hasher, seed)  # every error, as _rules decides
    name = _HASHER_NAMES[name]  # the table's own str, where hasher is a str subclass
    if not _fast_hash_choice(name, value if value else None, &out.fn, &out.seed):
        raise SystemError(f"rvh_stable: _rules resolved {hasher!r} to {name!r}, {value!r}")
    return 0


cdef inline uint64_t _hash_bytes(const _KeyHash* hk, const uint8_t* p, size_t size) noexcept nogil:
    if hk.fn == NULL:
        return _xxh64(p, size)
    return hk.fn(p, size, hk.seed)


# --- XXH64 --------------------------------------------------------------------

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
    except (BufferError, ValueError):
        # Not contiguous (a strided NumPy array): its bytes in logical order,
        # as bytes(memoryview(data)) gives and the pure core hashes.  A
        # released memoryview raises its ValueError again here.
        data = memoryview(data).tobytes()
        PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        return _xxh64(<const uint8_t*>view.buf, <size_t>view.len)
    finally:
        PyBuffer_Release(&view)




# --- key -> uint64 ------------------------------------------------------------

cdef inline int _exact_int_u64(object key, Py_ssize_t index, uint64_t* out) except -1:
    """An exact int key: the common case, read from the int's digits."""
    if not _int_u64(<PyObject*>key, out):
        _rules.raise_key_range(key, index)
    return 0


cdef int _bytes_like_u64(object key, Py_ssize_t index, uint64_t* out,
                        const _KeyHash* hk) except -1:
    cdef Py_buffer view
    data = key
    if isinstance(key, memoryview) and not key.c_contiguous:
        data = key.tobytes()  # its bytes in logical order, as bytes(key) gives
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        if view.len == 0:
            _rules.raise_key_empty(key, index)
        out[0] = _hash_bytes(hk, <const uint8_t*>view.buf, <size_t>view.len)
    finally:
        PyBuffer_Release(&view)
    return 0


cdef int _str_u64(object key, Py_ssize_t index, uint64_t* out, const _KeyHash* hk) except -1:
    cdef bytes data
    cdef const uint8_t* text
    cdef Py_ssize_t size
    if _ascii_key(<PyObject*>key, &text, &size):
        # ASCII text is its own UTF-8: hash the string's storage in place.
        out[0] = _hash_bytes(hk, text, <size_t>size)
        return 0
    if PyUnicode_GET_LENGTH(key) == 0:
        _rules.raise_key_empty(key, index)
    # Encode into a temporary rather than PyUnicode_AsUTF8AndSize, which
    # would keep a UTF-8 copy alive inside the caller's string.
    try:
        data = PyUnicode_AsUTF8String(key)
    except UnicodeEncodeError as exc:
        _rules.raise_key_encoding(exc, index, key)
    out[0] = _hash_bytes(hk, <const uint8_t*>PyBytes_AS_STRING(data), <size_t>PyBytes_GET_SIZE(data))
    return 0


cdef int _key_u64(object key, Py_ssize_t index, uint64_t* out, const _KeyHash* hk) except -1:
    """Store the uint64 for ``key`` in ``out``; ``index`` >= 0 names a batch
    element.  ``hk`` hashes str and bytes keys; an int is its own pattern."""
    if PyLong_CheckExact(key):
        return _exact_int_u64(key, index, out)
    if PyUnicode_Check(key):
        return _str_u64(key, index, out, hk)
    if PyBytes_CheckExact(key):
        if PyBytes_GET_SIZE(key) == 0:
            _rules.raise_key_empty(key, index)
        out[0] = _hash_bytes(hk, <const uint8_t*>PyBytes_AS_STRING(key),
                             <size_t>PyBytes_GET_SIZE(key))
        return 0
    if isinstance(key, (bytes, bytearray, memoryview)):
        return _bytes_like_u64(key, index, out, hk)
    if not PyIndex_Check(key) or _rules.is_bool(key):
        _rules.raise_key_type(key, index)
    try:
        value = PyNumber_Index(key)  # an exact int (Python 3.10 and later)
    except (TypeError, ValueError) as exc:  # the key's own __index__ failed
        if index < 0:
            raise
        _rules.raise_index_failed(exc, index, key)
    if not _int_u64(<PyObject*>value, out):
        _rules.raise_key_range(value, index, key)
    return 0


def hash_key(key, *, hasher="xxh64", seed=None):
    """hash_key(key, *, hasher="xxh64", seed=None) -> int

    The unsigned 64-bit integer, in ``[0, 2**64)``, that the jump loop is fed
    for ``key``: an int modulo 2**64, or the hash (by default XXH64, seed 0)
    of a string's UTF-8 bytes or of a bytes-like key.
    """
    cdef uint64_t k
    cdef _KeyHash hk
    _key_hash(hasher, seed, &hk)
    _key_u64(key, -1, &k, &hk)
    return k


# --- one key ------------------------------------------------------------------

cdef inline int32_t _buckets(object num_buckets) except -1:
    """num_buckets as an int32, through _rules.check_buckets for anything
    but an exact int in range."""
    cdef int32_t n
    if _int_buckets(<PyObject*>num_buckets, &n):
        return n
    return _rules.check_buckets(num_buckets)


cdef bytes _jump_hash_doc  # the builtin's docstring points into these bytes


def _fast_entry(general):
    """Decorator: the builtin around ``general`` that is jump_hash.

    The builtin is built by rvh_new_jump_hash in ``_c/pyglue.h``: a
    METH_FASTCALL entry that hashes the common calls in C ((int, int) and
    (ASCII str, int), with or without hasher=, seed= and variant= values it
    knows), and hands every other call to ``general`` unchanged.  ``general`` keeps its name, so its errors read as
    jump_hash's.
    """
    global _jump_hash_doc
    _jump_hash_doc = general.__doc__.encode()
    return _new_jump_hash(general, _jump_hash_doc, sys.modules.get(__name__), __name__)


@_fast_entry
def jump_hash(key, num_buckets, *, hasher="xxh64", seed=None, variant="paper"):
    """jump_hash(key, num_buckets, *, hasher="xxh64", seed=None, variant="paper") -> int

    The bucket of ``key``, in ``[0, num_buckets)``, by Lamping and Veach's
    Jump Consistent Hash.  ``num_buckets`` is an int in ``[1, 2**31-1]``.
    ``hasher`` and ``seed`` choose how a str or bytes key becomes an integer;
    ``variant="guava"`` runs Guava's consistentHash loop instead of the paper's.
    """
    # The general path: keywords, every key type, and every error; the
    # common calls never get here (see _fast_entry).
    cdef uint64_t k
    cdef _KeyHash hk
    cdef int32_t n = _buckets(num_buckets)
    _key_hash(hasher, seed, &hk)
    cdef bint guava = _is_guava(variant)
    _key_u64(key, -1, &k, &hk)
    return _bucket(_jump_guava(k, n) if guava else _jump(k, n), n)


del _fast_entry  # used once: a second call would replace jump_hash's general path


_forget_shared()

# Whether exact ints are read from CPython's digits (else through the C API).
_READS_INT_DIGITS = bool(INT_DIGITS)


def _shared_bucket_ints():
    """(ints in the shared bucket table, its capacity); for the tests.

    The capacity is 0 on free-threaded builds, which have no table.
    """
    return _shared_count(), SHARED_BUCKETS


# --- batches ------------------------------------------------------------------

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
cdef class _Stop:
    """The stop flag shared by a batch's jobs (see rvh_stop in _c/pace.h)."""
    cdef int flag


@cython.final
cdef class _Job:
    """One contiguous slice of an array batch, hashed without the GIL in chunks."""
    cdef _Buffer src_owner
    cdef _Buffer out_owner
    cdef _Stop stop
    cdef const char* src
    cdef Py_ssize_t stride
    cdef Py_ssize_t count
    cdef int itemsize
    cdef bint is_signed
    cdef bint swap
    cdef int32_t n
    cdef int64_t* out
    cdef _batch_fn kernel  # the batch kernel (_loop_kernel)
    cdef const _memento* memento  # a MementoTable's lookups after the kernel, or NULL
    cdef object memento_owner  # the MementoTable that memento points into
    cdef Py_ssize_t done  # keys hashed so far
    # An Arrow job reads keys [start, start + count) of the columns instead of src.
    cdef _ArrowInput arrow
    cdef const _arrow_column* acols
    cdef const int64_t* astarts
    cdef _arrow_hasher ahash
    cdef Py_ssize_t start
    cdef Py_ssize_t bad_at  # the job's first key that cannot be hashed, or -1
    cdef int bad_kind
    # Room for BLOCK converted keys, when the slice is not aligned native
    # uint64.  On the heap, not the stack: the job may run on a thread with
    # a small stack, under kernels that need stack of their own.
    cdef uint64_t* block

    cdef int prepare(self) except -1:
        if self.acols != NULL or not (self.itemsize == 8 and not self.swap and self.stride == 8
                                      and (<size_t>self.src) % sizeof(uint64_t) == 0):
            self.block = <uint64_t*>PyMem_Malloc(
                (ARROW_BLOCK if self.acols != NULL else BLOCK) * sizeof(uint64_t))
            if self.block == NULL:
                raise MemoryError()
        return 0

    def __dealloc__(self):
        PyMem_Free(self.block)

    cdef void _chunk(self) noexcept nogil:
        """Hash the next CHUNK keys (or the rest)."""
        cdef Py_ssize_t first = self.done, end = self.done + CHUNK, i, m, k
        if end > self.count:
            end = self.count
        if self.acols != NULL:
            self.done = self._arrow_chunk(first, end)
            return
        if self.block == NULL:
            self.kernel(<const uint64_t*>self.src + first, end - first, self.n,
                        self.out + first)
            if self.memento != NULL:
                _memento_fix_ints(self.memento, <const uint64_t*>self.src + first, end - first,
                                  self.out + first)
        else:
            k = first
            while k < end:
                m = end - k
                if m > BLOCK:
                    m = BLOCK
                for i in range(m):
                    self.block[i] = _load(self.src + (k + i) * self.stride, self.itemsize,
                                          self.is_signed, self.swap)
                self.kernel(self.block, m, self.n, self.out + k)
                if self.memento != NULL:
                    _memento_fix_ints(self.memento, self.block, m, self.out + k)
                k += m
        self.done = end

    cdef Py_ssize_t _arrow_chunk(self, Py_ssize_t first, Py_ssize_t end) noexcept nogil:
        """Keys [first, end) of the job's Arrow range: returns where the job
        goes on (its end at a key that cannot be hashed: bad_at says which)."""
        cdef Py_ssize_t k = first, m, got, t, c = 0, at
        cdef int bad = 0
        cdef const _arrow_column* col
        cdef uint8_t scratch[8]
        cdef size_t size
        cdef const uint8_t* data
        cdef int64_t* out
        while k < end:
            at = self.start + k  # the key's place among all the keys
            while self.astarts[c + 1] <= at:
                c += 1
            col = &self.acols[c]
            m = end - k
            if m > ARROW_BLOCK:
                m = ARROW_BLOCK
            if m > self.astarts[c + 1] - at:
                m = self.astarts[c + 1] - at
            got = _arrow_keys(col, &self.ahash, at - self.astarts[c], m, self.block, &bad)
            if got < m:
                self.bad_at = k + got
                self.bad_kind = bad
                return self.count
            out = self.out + k
            self.kernel(self.block, m, self.n, out)
            if self.memento != NULL:
                for t in range(m):
                    if not _memento_works(self.memento, <int32_t>out[t]):
                        data = _arrow_rehash_bytes(col, at - self.astarts[c] + t, scratch, &size)
                        out[t] = _memento_resolve(self.memento, <int32_t>out[t], data, size)
            k += m
        return end

    cdef void _until_stopped(self) noexcept nogil:
        while self.done < self.count and not _stopped(&self.stop.flag):
            self._chunk()

    def run(self):
        """On a helper thread: hash the slice, or stop early when told."""
        with nogil:
            self._until_stopped()

    cdef int run_here(self) except -1:
        """On the thread that called jump_hash_many: hash the slice, and on
        the main thread take the GIL back every SIGNAL_CHECK_NS to run the
        signal handlers, so that Ctrl-C raises KeyboardInterrupt here."""
        cdef int64_t deadline
        if PyThread_get_thread_ident() != _main_thread:
            with nogil:
                self._until_stopped()
            return 0
        while self.done < self.count:
            with nogil:
                deadline = _monotonic_ns() + SIGNAL_CHECK_NS
                while self.done < self.count and _monotonic_ns() < deadline:
                    self._chunk()
            PyErr_CheckSignals()
        return 0


cdef object _array_batch(object keys, int32_t n, Py_ssize_t threads, bint is_ndarray,
                         _batch_fn run, MementoTable table=None, bint names=False):
    """Hash an integer buffer; None when ``keys`` must be iterated instead.

    With a ``table``, the buckets are its slots (n is its size), and with
    ``names`` the result is the list of their node names."""
    cdef _Buffer src = _Buffer.__new__(_Buffer)
    cdef _Buffer dest = _Buffer.__new__(_Buffer)
    cdef Py_ssize_t count, stride, per, start, i, chunks
    cdef int d
    cdef _Job job
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

    chunks = _job_count(count, threads)
    per = (count + chunks - 1) // chunks
    jobs = []
    start = 0
    stop = _Stop.__new__(_Stop)
    for i in range(chunks):
        job = _new_job(stop, dest, start, min(per, count - start), n, run, table)
        job.src_owner = src
        job.src = <const char*>src.view.buf + start * stride
        job.stride = stride
        job.itemsize = <int>src.view.itemsize
        job.is_signed = is_signed
        job.swap = swap
        job.prepare()
        jobs.append(job)
        start += job.count
    _run_jobs(jobs)

    if is_ndarray and not names:
        return result
    return _as_list(<const int64_t*>dest.view.buf, count, n, table if names else None)


@cython.final
cdef class _ArrowInput:
    """The keys of an object that exports the Arrow PyCapsule interface, moved
    out of its capsules (the producer's memory, read in place) and described
    as columns for _c/arrow.h.  Releases everything when it goes."""
    cdef ArrowSchema schema
    cdef ArrowArrayStream stream
    cdef ArrowArray** arrays
    cdef Py_ssize_t count  # arrays (chunks)
    cdef Py_ssize_t capacity
    cdef _arrow_column* columns
    cdef _arrow_column* dict_columns
    cdef uint64_t* dict_keys  # every chunk's dictionary keys, back to back
    cdef uint8_t* dict_bad
    cdef int64_t* starts  # count + 1: where each chunk's keys start among all the keys
    cdef int layout, width, is_signed  # of the keys, or of the indices with a dictionary
    cdef int value_layout, value_width, value_signed  # of a dictionary's values
    cdef bint dictionary
    cdef bint text  # the values are strings (utf8 types), not binaries

    def __dealloc__(self):
        cdef Py_ssize_t i
        for i in range(self.count):
            if self.arrays[i].release != NULL:
                self.arrays[i].release(self.arrays[i])
            PyMem_Free(self.arrays[i])
        PyMem_Free(self.arrays)
        if self.schema.release != NULL:
            self.schema.release(&self.schema)
        if self.stream.release != NULL:
            self.stream.release(&self.stream)
        PyMem_Free(self.columns)
        PyMem_Free(self.dict_columns)
        PyMem_Free(self.dict_keys)
        PyMem_Free(self.dict_bad)
        PyMem_Free(self.starts)

    cdef int _check_schema(self) except -1:
        fmt = self.schema.format.decode("utf-8") if self.schema.format != NULL else ""
        self.layout = _arrow_layout(self.schema.format, &self.width, &self.is_signed)
        self.dictionary = self.schema.dictionary != NULL
        if self.dictionary:
            value_fmt = self.schema.dictionary.format.decode("utf-8")
            self.value_layout = _arrow_layout(self.schema.dictionary.format, &self.value_width,
                                              &self.value_signed)
            if self.layout != ARROW_INT or self.value_layout == ARROW_UNKNOWN:
                _rules.raise_arrow_type(fmt, value_fmt)
            self.text = value_fmt in ("u", "U", "vu")
        else:
            if self.layout == ARROW_UNKNOWN:
                _rules.raise_arrow_type(fmt)
            self.text = fmt in ("u", "U", "vu")
        return 0

    cdef int _append(self, ArrowArray* array) except -1:
        cdef ArrowArray** grown
        if self.count == self.capacity:
            self.capacity = 2 * self.capacity + 4
            grown = <ArrowArray**>PyMem_Realloc(self.arrays, self.capacity * sizeof(ArrowArray*))
            if grown == NULL:
                if array.release != NULL:
                    array.release(array)
                PyMem_Free(array)
                raise MemoryError()
            self.arrays = grown
        self.arrays[self.count] = array
        self.count += 1
        return 0

    cdef str _stream_error(self):
        cdef const char* text = self.stream.get_last_error(&self.stream)
        return "" if text == NULL else text.decode("utf-8", "replace")

    cdef int read(self, object keys) except -1:
        cdef ArrowArrayStream* stream
        cdef ArrowSchema* schema
        cdef ArrowArray* source
        cdef ArrowArray* array
        if hasattr(type(keys), "__arrow_c_stream__"):
            capsule = keys.__arrow_c_stream__()
            stream = <ArrowArrayStream*>PyCapsule_GetPointer(capsule, "arrow_array_stream")
            memcpy(&self.stream, stream, sizeof(ArrowArrayStream))
            stream.release = NULL  # moved here
            if self.stream.get_schema(&self.stream, &self.schema) != 0:
                _rules.raise_arrow_failed(self._stream_error())
            self._check_schema()
            while True:
                array = <ArrowArray*>PyMem_Malloc(sizeof(ArrowArray))
                if array == NULL:
                    raise MemoryError()
                memset(array, 0, sizeof(ArrowArray))
                if self.stream.get_next(&self.stream, array) != 0:
                    PyMem_Free(array)
                    _rules.raise_arrow_failed(self._stream_error())
                if array.release == NULL:  # the end of the stream
                    PyMem_Free(array)
                    break
                self._append(array)
        else:
            schema_capsule, array_capsule = keys.__arrow_c_array__()
            schema = <ArrowSchema*>PyCapsule_GetPointer(schema_capsule, "arrow_schema")
            memcpy(&self.schema, schema, sizeof(ArrowSchema))
            schema.release = NULL
            source = <ArrowArray*>PyCapsule_GetPointer(array_capsule, "arrow_array")
            array = <ArrowArray*>PyMem_Malloc(sizeof(ArrowArray))
            if array == NULL:
                raise MemoryError()
            memcpy(array, source, sizeof(ArrowArray))
            source.release = NULL
            self._append(array)
            self._check_schema()
        return 0

    cdef int describe(self, const _KeyHash* hk) except -1:
        """The columns of the chunks, their starts, and their dictionaries' keys."""
        cdef Py_ssize_t i, total_dictionary = 0, at = 0
        cdef _arrow_hasher hasher
        cdef const ArrowArray* array
        hasher.fn = hk.fn
        hasher.seed = hk.seed
        self.columns = <_arrow_column*>PyMem_Malloc((self.count + 1) * sizeof(_arrow_column))
        self.dict_columns = <_arrow_column*>PyMem_Malloc((self.count + 1) * sizeof(_arrow_column))
        self.starts = <int64_t*>PyMem_Malloc((self.count + 1) * sizeof(int64_t))
        if self.columns == NULL or self.dict_columns == NULL or self.starts == NULL:
            raise MemoryError()
        self.starts[0] = 0
        for i in range(self.count):
            array = self.arrays[i]
            if _arrow_column_init(&self.columns[i], array, self.layout, self.width,
                                  self.is_signed) < 0:
                _rules.raise_arrow_failed("an array lacks its buffers")
            if self.dictionary:
                if array.dictionary == NULL or _arrow_column_init(
                    &self.dict_columns[i], array.dictionary, self.value_layout,
                    self.value_width, self.value_signed
                ) < 0:
                    _rules.raise_arrow_failed("a dictionary array lacks its dictionary")
                total_dictionary += array.dictionary.length
            self.starts[i + 1] = self.starts[i] + array.length
        if self.dictionary:
            self.dict_keys = <uint64_t*>PyMem_Malloc(max(total_dictionary, 1) * sizeof(uint64_t))
            self.dict_bad = <uint8_t*>PyMem_Malloc(max(total_dictionary, 1))
            if self.dict_keys == NULL or self.dict_bad == NULL:
                raise MemoryError()
            for i in range(self.count):
                self.columns[i].dictionary = &self.dict_columns[i]
                self.columns[i].dict_keys = self.dict_keys + at
                self.columns[i].dict_bad = self.dict_bad + at
                with nogil:
                    _arrow_hash_dictionary(&self.dict_columns[i], &hasher, self.dict_keys + at,
                                           self.dict_bad + at)
                at += self.dict_columns[i].length
        return 0


cdef object _arrow_batch(object keys, int32_t n, Py_ssize_t threads, _batch_fn run,
                         const _KeyHash* hk, MementoTable table=None, bint names=False):
    """Hash the keys of an Arrow-exporting object in place, without the GIL:
    an int64 NumPy array (a list without NumPy), or with ``names`` the node
    names of a table's slots."""
    cdef _ArrowInput source = _ArrowInput.__new__(_ArrowInput)
    cdef _Buffer dest = _Buffer.__new__(_Buffer)
    cdef Py_ssize_t count, per, start, i, chunks, bad_at = -1
    cdef int bad_kind = 0
    cdef _Job job
    source.read(keys)
    source.describe(hk)
    count = source.starts[source.count]
    numpy = sys.modules.get("numpy")
    if numpy is None and not names:
        try:
            import numpy
        except ImportError:
            numpy = None
    result = numpy.empty(count, dtype=numpy.int64) if numpy is not None and not names else (
        bytearray(count * sizeof(int64_t)))
    dest.acquire(result, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)
    chunks = _job_count(count, threads)
    per = (count + chunks - 1) // chunks
    jobs = []
    start = 0
    stop = _Stop.__new__(_Stop)
    for i in range(chunks):
        job = _new_job(stop, dest, start, min(per, count - start), n, run, table)
        job.arrow = source
        job.acols = source.columns
        job.astarts = source.starts
        job.ahash.fn = hk.fn
        job.ahash.seed = hk.seed
        job.prepare()
        jobs.append(job)
        start += job.count
    _run_jobs(jobs)
    for job in jobs:
        if job.bad_at >= 0:  # the jobs run in order of their keys: the first one's is first
            bad_at, bad_kind = job.start + job.bad_at, job.bad_kind
            break
    if bad_at >= 0:
        if bad_kind == ARROW_BAD_NULL:
            _rules.raise_key_null(bad_at)
        _rules.raise_key_empty("" if source.text else b"", bad_at)
    if names or isinstance(result, bytearray):  # node names, or no NumPy: a list
        return _as_list(<const int64_t*>dest.view.buf, count, n, table if names else None)
    return result


cdef _Job _new_job(_Stop stop, _Buffer dest, Py_ssize_t start, Py_ssize_t count, int32_t n,
                   _batch_fn run, MementoTable table):
    """A job for keys [start, start + count) of a batch, writing into dest,
    with the kernel and (with a table) Memento's lookups; its source is the
    caller's to set."""
    cdef _Job job = _Job.__new__(_Job)
    job.out_owner = dest
    job.stop = stop
    job.start = start
    job.count = count
    job.bad_at = -1
    job.n = n
    job.kernel = run
    if table is not None:
        job.memento = &table.m
        job.memento_owner = table
    job.out = <int64_t*>dest.view.buf + start
    return job


cdef Py_ssize_t _job_count(Py_ssize_t count, Py_ssize_t threads):
    """How many jobs share ``count`` keys: at most ``threads``, each with at
    least MIN_KEYS_PER_THREAD keys, and at least one."""
    cdef Py_ssize_t jobs = count // _rules.MIN_KEYS_PER_THREAD
    if jobs > threads:
        jobs = threads
    return jobs if jobs >= 1 else 1


cdef list _as_list(const int64_t* values, Py_ssize_t count, int32_t n, MementoTable table):
    """A batch's results as a list: the bucket ints, or with a table the
    node names of these slots; checkpoints between blocks of keys."""
    cdef Py_ssize_t start = 0, m
    as_list = []
    while start < count:
        m = min(CHECKPOINT_KEYS, count - start)
        if table is not None:
            table._extend_names(as_list, values + start, m)
        else:
            _extend_buckets(as_list, values + start, m, n)
        start += CHECKPOINT_KEYS
        _checkpoint()
    return as_list


cdef _run_jobs(list jobs):
    """Run the first job here and the rest on threads; join them all.

    When this thread is interrupted (KeyboardInterrupt from a Ctrl-C, or any
    exception while it waits), the helpers are told to stop and are joined
    before the exception leaves: they finish the chunk they are on.
    """
    cdef _Job job
    cdef _Stop stop = (<_Job>jobs[0]).stop
    workers = []
    try:
        for job in jobs[1:]:
            worker = threading.Thread(target=job.run, name="rvh_stable-batch", daemon=True)
            try:
                worker.start()
            except RuntimeError:  # no more threads to be had: do it here
                job.run_here()
            else:
                workers.append(worker)
        (<_Job>jobs[0]).run_here()
        for worker in workers:
            worker.join()  # on the main thread a Ctrl-C interrupts the wait
    except BaseException:
        _stop(&stop.flag)
        raise
    finally:
        for worker in workers:
            worker.join()


# Called every CHECKPOINT_KEYS keys of a batch that holds the GIL (lists,
# iterables, an array's results made into a list).  It is a Python function, so the
# interpreter does there what it does between bytecodes: runs the signal
# handlers (Ctrl-C raises KeyboardInterrupt from it), and hands the GIL to a
# thread that has waited for it for sys.getswitchinterval().  A batch thus
# shares the GIL on CPython's own clock, like any Python loop.  (Releasing it
# on a clock of our own does not work: a waiting thread only asks for the
# GIL when no switch happened during its wait, and each brief release
# counts as one, so it would wait forever.)
_checkpoint = _rules.checkpoint


cdef int _extend_buckets(list out, const int64_t* buckets, Py_ssize_t m, int32_t n) except -1:
    # With n up to 65,536 the ints come from the shared table of
    # rvh_bucket_int: the batch allocates no int per key, and its list holds
    # at most one int object per bucket.
    cdef Py_ssize_t t
    for t in range(m):
        out.append(_bucket(<int32_t>buckets[t], n))
    return 0


cdef list _iter_batch(object keys, int32_t n, const _KeyHash* hk, _batch_fn run,
                      MementoTable table=None, bint names=False):
    # Keys are turned into uint64 a block at a time, then the block goes
    # through the same batch kernels as arrays.  With a ``table`` the block's
    # keys are held until their removed buckets are resolved (that needs the
    # keys' bytes); ``names`` gives node names instead of buckets.
    # The buffers are on the heap: a key's __index__ or the iterable may call
    # back into jump_hash_many, and each level of that must cost little stack.
    cdef list result = []
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t m = 0
    cdef Py_ssize_t t
    if not isinstance(keys, (list, tuple)):
        try:
            keys = iter(keys)
        except TypeError:
            _rules.raise_keys_not_iterable(keys)
    cdef uint64_t* block = <uint64_t*>PyMem_Malloc(
        BLOCK * (sizeof(uint64_t) + sizeof(int64_t) + sizeof(PyObject*)))
    if block == NULL:
        raise MemoryError()
    cdef int64_t* buckets = <int64_t*>(block + BLOCK)
    cdef PyObject** held = <PyObject**>(buckets + BLOCK)  # with a table: the block's keys
    try:
        for key in keys:
            if PyLong_CheckExact(key):
                _exact_int_u64(key, i, &block[m])
            else:
                _key_u64(key, i, &block[m], hk)
            if table is not None:
                held[m] = <PyObject*>key
                _incref(held[m])
            m += 1
            i += 1
            if m == BLOCK:
                run(block, m, n, buckets)
                m = 0  # _emit_block lets go of the keys held, whatever happens
                _emit_block(result, block, buckets, held, BLOCK, n, table, names)
                if i % CHECKPOINT_KEYS == 0:
                    _checkpoint()
        run(block, m, n, buckets)
        t = m
        m = 0
        _emit_block(result, block, buckets, held, t, n, table, names)
    finally:
        if table is not None:
            for t in range(m):
                _decref(held[t])
        PyMem_Free(block)
    return result


cdef int _emit_block(list result, const uint64_t* block, int64_t* buckets, PyObject** held,
                     Py_ssize_t m, int32_t n, MementoTable table, bint names) except -1:
    """Append a block's results to ``result``; with a table, resolve its
    removed buckets first and let go of the block's keys."""
    cdef Py_ssize_t t
    if table is None:
        return _extend_buckets(result, buckets, m, n)
    try:
        for t in range(m):
            if table.names[buckets[t]] == NULL:
                buckets[t] = table._resolve(<object>held[t], block[t], <int32_t>buckets[t])
    finally:
        for t in range(m):
            _decref(held[t])
    if names:
        return table._extend_names(result, buckets, m)
    return _extend_buckets(result, buckets, m, n)


def jump_hash_many(keys, num_buckets, *, threads=1, hasher="xxh64", seed=None, variant="paper"):
    """jump_hash_many(keys, num_buckets, *, threads=1, hasher=..., seed=None, variant=...) -> list

    ``[jump_hash(k, num_buckets, hasher=hasher, seed=seed, variant=variant)
    for k in keys]``, for an iterable of keys or an array of integers.  A NumPy array gives an int64 NumPy array of the
    same shape.  Integer arrays are hashed without the GIL; ``threads`` > 1
    splits large ones across that many threads, ``threads=None`` across every
    CPU this process may use.
    """
    cdef int32_t n = _buckets(num_buckets)
    cdef Py_ssize_t nthreads = _rules.resolve_threads(threads)
    cdef _KeyHash hk
    _key_hash(hasher, seed, &hk)
    cdef _batch_fn run = _loop_kernel(variant)
    _rules.check_keys(keys)
    if _rules.is_arrow(keys):
        return _arrow_batch(keys, n, nthreads, run, &hk)
    numpy = sys.modules.get("numpy")
    cdef bint is_ndarray = numpy is not None and isinstance(keys, numpy.ndarray)
    if PyObject_CheckBuffer(keys):
        result = _array_batch(keys, n, nthreads, is_ndarray, run)
        if result is not None:
            return result
    if not is_ndarray:
        return _iter_batch(keys, n, &hk, run)
    if keys.ndim == 0:
        _rules.raise_keys_ndim(0)
    return numpy.array(_iter_batch(keys.ravel(), n, &hk, run), dtype=numpy.int64).reshape(
        keys.shape
    )


# --- MementoHash lookups (rvh_stable.Router) -------------------------------------


@cython.final
cdef class MementoTable:
    """MementoTable(size, replacers, names, *, hasher="xxh64", seed=None)

    The lookups of one state of a rvh_stable.Router, which builds it: the
    twin of stable.MementoTable (its docstring is the specification), with
    the lookup in C (``_c/memento.h``).  Immutable.
    """
    cdef _memento m
    cdef _memento_entry* entries
    cdef PyObject** names  # borrowed from names_tuple; NULL for a removed bucket
    cdef tuple names_tuple
    cdef _KeyHash hk
    cdef readonly int size
    cdef readonly int live

    def __cinit__(self, size, replacers, names, *, hasher="xxh64", seed=None):
        cdef uint32_t capacity = 1
        cdef Py_ssize_t i
        size, table = _rules.check_memento(size, replacers, names)
        _key_hash(hasher, seed, &self.hk)
        self.size = size
        self.live = size - len(table)
        self.names_tuple = names
        self.names = <PyObject**>PyMem_Malloc(max(size, 1) * sizeof(PyObject*))
        if self.names == NULL:
            raise MemoryError()
        for i in range(size):
            self.names[i] = NULL if names[i] is None else <PyObject*>names[i]
        self.m.size = size
        self.m.working = <const void* const*>self.names
        if table:
            while capacity < 2 * len(table):  # at most half full
                capacity *= 2
            self.entries = <_memento_entry*>PyMem_Malloc(capacity * sizeof(_memento_entry))
            if self.entries == NULL:
                raise MemoryError()
            for i in range(capacity):
                self.entries[i].bucket = -1
            for bucket, replacer in table.items():
                _memento_put(self.entries, capacity - 1, bucket, replacer)
            self.m.mask = capacity - 1
            self.m.entries = self.entries

    def __dealloc__(self):
        PyMem_Free(self.names)
        PyMem_Free(self.entries)

    cdef int32_t _resolve(self, object key, uint64_t k, int32_t b) except -1:
        """The working bucket of ``key`` (its uint64 is ``k``) from its jump
        bucket b: b itself, or the end of Memento's rehash chain, fed the
        key's rehash bytes (stable._rehash_bytes says which)."""
        cdef uint8_t pattern[8]
        cdef const uint8_t* text
        cdef Py_ssize_t size
        cdef Py_buffer view
        if self.names[b] != NULL:
            return b
        if PyUnicode_Check(key):
            if _ascii_key(<PyObject*>key, &text, &size):
                return _memento_resolve(&self.m, b, text, <size_t>size)
            data = PyUnicode_AsUTF8String(key)  # checked when k was computed
            return _memento_resolve(&self.m, b, <const uint8_t*>PyBytes_AS_STRING(data),
                                    <size_t>PyBytes_GET_SIZE(data))
        if isinstance(key, (bytes, bytearray, memoryview)):
            if isinstance(key, memoryview) and not key.c_contiguous:
                key = key.tobytes()
            PyObject_GetBuffer(key, &view, PyBUF_SIMPLE)
            try:
                return _memento_resolve(&self.m, b, <const uint8_t*>view.buf, <size_t>view.len)
            finally:
                PyBuffer_Release(&view)
        _memento_int_bytes(k, pattern)
        return _memento_resolve(&self.m, b, pattern, 8)

    cdef int _extend_names(self, list out, const int64_t* slots, Py_ssize_t m) except -1:
        cdef Py_ssize_t t
        for t in range(m):
            out.append(<object>self.names[slots[t]])
        return 0

    cdef int32_t _slot(self, object key) except -1:
        cdef uint64_t k
        if self.live == 0:
            _rules.raise_no_nodes()
        _key_u64(key, -1, &k, &self.hk)
        return self._resolve(key, k, _jump(k, self.size))

    def slot_for(self, key):
        """The working bucket (a router's slot) of ``key``."""
        return self._slot(key)

    def node_for(self, key):
        """The node name of ``key``'s slot."""
        return <object>self.names[self._slot(key)]

    cdef object _many(self, object keys, object threads, bint names):
        cdef Py_ssize_t nthreads = _rules.resolve_threads(threads)
        if self.live == 0:
            _rules.raise_no_nodes()
        _rules.check_keys(keys)
        if _rules.is_arrow(keys):
            return _arrow_batch(keys, self.size, nthreads, _run_kernel, &self.hk, self, names)
        numpy = sys.modules.get("numpy")
        cdef bint is_ndarray = numpy is not None and isinstance(keys, numpy.ndarray)
        if PyObject_CheckBuffer(keys):
            result = _array_batch(keys, self.size, nthreads, is_ndarray, _run_kernel, self, names)
            if result is not None:
                return result
        if not is_ndarray:
            return _iter_batch(keys, self.size, &self.hk, _run_kernel, self, names)
        if keys.ndim == 0:
            _rules.raise_keys_ndim(0)
        found = _iter_batch(keys.ravel(), self.size, &self.hk, _run_kernel, self, names)
        if names:
            return found
        return numpy.array(found, dtype=numpy.int64).reshape(keys.shape)

    def slots_for(self, keys, *, threads=1):
        """``[slot_for(k) for k in keys]``, taking keys as jump_hash_many does;
        a NumPy array gives an int64 array of its shape."""
        return self._many(keys, threads, False)

    def nodes_for(self, keys, *, threads=1):
        """``[node_for(k) for k in keys]``, taking keys as jump_hash_many does."""
        return self._many(keys, threads, True)
