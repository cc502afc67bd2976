# The C this module runs, declared: every header of rvh_stable/_c/ that the
# parts use, and the few CPython functions Cython does not declare.  Plain C
# (the jump loops, XXH64 and the hashers' table, the batch kernels' table,
# Memento's lookup, Arrow's reader, the stop flag and clock) is apart from
# the CPython glue (_c/py/: ints.h, bucket_ints.h, fast_entry.h), the only
# headers that include Python.h.

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

cdef extern from "_c/jumpback.h":
    int32_t _jumpback "rvh_jumpback"(uint64_t key, int32_t n) noexcept nogil
    void _jumpback_keys "rvh_jumpback_keys"(const uint64_t* keys, Py_ssize_t count, int32_t n,
                                            int64_t* out) noexcept nogil

cdef extern from "_c/hashers.h":
    ctypedef uint64_t (*_hash_fn "rvh_hash_fn")(const uint8_t* p, size_t size,
                                               uint64_t seed) noexcept nogil
    # A row of the C table of hashers, looked up by name.
    ctypedef struct _hasher_entry "rvh_hasher_entry":
        const char* name
        _hash_fn hash
    const _hasher_entry* _hasher_table "rvh_hasher_table"(int* count) noexcept
    # How str and bytes keys become uint64s: a hasher= function and its
    # seed= (fn NULL: the default, XXH64 with seed 0, inlined).
    ctypedef struct _KeyHash "rvh_key_hash":
        _hash_fn fn
        uint64_t seed
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
    bint _memento_works "rvh_memento_works"(const _memento* m, int32_t b) noexcept nogil

cdef extern from "_c/detour.h":
    int32_t _detour "rvh_detour"(const _memento* m, const uint8_t* down, uint64_t h,
                                 int32_t s) noexcept nogil

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
    enum:
        ARROW_INT "RVH_ARROW_INT"
        ARROW_BYTES "RVH_ARROW_BYTES"
        ARROW_LARGE "RVH_ARROW_LARGE"
        ARROW_VIEW "RVH_ARROW_VIEW"
        ARROW_BAD_NULL "RVH_ARROW_BAD_NULL"
        ARROW_BAD_EMPTY "RVH_ARROW_BAD_EMPTY"
        ARROW_BAD_BACKWARDS "RVH_ARROW_BAD_BACKWARDS"
        ARROW_BAD_OUTSIDE "RVH_ARROW_BAD_OUTSIDE"
        ARROW_BAD_VIEW "RVH_ARROW_BAD_VIEW"
        ARROW_BAD_INDEX "RVH_ARROW_BAD_INDEX"
    int _arrow_column_init "rvh_arrow_column_init"(_arrow_column* c, const ArrowArray* a,
                                                   int layout, int width, int is_signed) noexcept
    void _arrow_hash_dictionary "rvh_arrow_hash_dictionary"(
        const _arrow_column* d, const _KeyHash* h, uint64_t* keys, uint8_t* bad) noexcept nogil
    int64_t _arrow_keys "rvh_arrow_keys"(const _arrow_column* c, const _KeyHash* h,
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
    int _fast_names_set "rvh_fast_names_set"(const char* paper, const char* guava,
                                             const char* jump, const char* jumpback) except -1
    void _fast_forget "rvh_fast_forget"() noexcept
    int _fast_hash_choice "rvh_fast_hash_choice"(object hasher, object seed, _hash_fn* hash,
                                                 uint64_t* seed_out) noexcept
