# MementoHash's lookups (rvh_stable.Router): MementoTable, and the step after
# jump that a batch of its lookups runs (_MementoStep).


@cython.final
cdef class MementoTable:
    """MementoTable(size, replacers, names, *, hasher="xxh64", seed=None, down=frozenset())

    The lookups of one state of a rvh_stable.Router, which builds it: the
    twin of stable.MementoTable (its docstring is the specification), with
    the lookup in C (``_c/memento.h``).  Immutable.
    """
    cdef _memento m
    cdef _memento_entry* entries
    cdef PyObject** names  # borrowed from names_tuple; NULL for a removed bucket
    cdef uint8_t* down  # 1 for each slot of a down node (_c/detour.h); NULL when none is
    cdef tuple names_tuple
    cdef _KeyHash hk
    cdef readonly int size
    cdef readonly int live
    cdef readonly int up

    def __cinit__(self, size, replacers, names, *, hasher="xxh64", seed=None,
                  down=frozenset()):
        cdef uint32_t capacity = 1
        cdef Py_ssize_t i
        size, table = _rules.check_memento(size, replacers, names)
        down_slots = _rules.check_down(down, names)
        _key_hash(hasher, seed, &self.hk)
        self.size = size
        self.live = size - len(table)
        self.up = self.live - len(down_slots)
        if down_slots:
            self.down = <uint8_t*>PyMem_Malloc(size)
            if self.down == NULL:
                raise MemoryError()
            for i in range(size):
                self.down[i] = i in down_slots
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
        PyMem_Free(self.down)

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
        return _memento_resolve(&self.m, b, _int_key_bytes(k, pattern), 8)

    cdef int _check_up(self) except -1:
        if self.up == 0:
            if self.live == 0:
                _rules.raise_no_nodes()
            _rules.raise_all_down()
        return 0

    cdef int32_t _slot(self, object key) except -1:
        cdef uint64_t k
        cdef int32_t s
        if self.up == 0:
            self._check_up()
        _key_u64(key, -1, &k, &self.hk)
        s = self._resolve(key, k, _jump(k, self.size))
        if self.down != NULL and self.down[s]:
            return _detour(&self.m, self.down, k, s)
        return s

    def slot_for(self, key):
        """The working bucket (a router's slot) of ``key``."""
        return self._slot(key)

    def node_for(self, key):
        """The node name of ``key``'s slot."""
        return <object>self.names[self._slot(key)]

    cdef object _many(self, object keys, object threads, bint names):
        cdef Py_ssize_t nthreads = _rules.resolve_threads(threads)
        self._check_up()
        cdef _MementoStep step = _MementoStep.__new__(_MementoStep)
        step.table = self
        step.wants_keys = self.m.entries != NULL
        step.objects = names
        return _batch(keys, self.size, nthreads, _run_kernel, &self.hk, step)

    def slots_for(self, keys, *, threads=1):
        """``[slot_for(k) for k in keys]``, taking keys as jump_hash_many does;
        a NumPy array gives an int64 array of its shape."""
        return self._many(keys, threads, False)

    def nodes_for(self, keys, *, threads=1):
        """``[node_for(k) for k in keys]``, taking keys as jump_hash_many does."""
        return self._many(keys, threads, True)



@cython.final
cdef class _MementoStep(_After):
    """After jump over a table's size: each key whose bucket is removed is
    rehashed to its working one, and each whose slot is down takes its
    detour (_c/detour.h); the answers are those slots, or with ``objects``
    their node names."""
    cdef MementoTable table

    cdef void fix(self, _KeySource source, Py_ssize_t first, const uint64_t* keys,
                  Py_ssize_t m, int64_t* out) noexcept nogil:
        cdef const _memento* lookups = &self.table.m
        cdef Py_ssize_t t
        cdef uint8_t scratch[8]
        cdef size_t size
        cdef const uint8_t* data
        if lookups.entries != NULL:
            for t in range(m):
                if not _memento_works(lookups, <int32_t>out[t]):
                    data = source.key_bytes(first + t, keys[t], scratch, &size)
                    out[t] = _memento_resolve(lookups, <int32_t>out[t], data, size)
        self._detours(keys, m, out)

    cdef void _detours(self, const uint64_t* keys, Py_ssize_t m, int64_t* out) noexcept nogil:
        cdef const uint8_t* down = self.table.down
        cdef Py_ssize_t t
        if down != NULL:
            for t in range(m):
                if down[out[t]]:
                    out[t] = _detour(&self.table.m, down, keys[t], <int32_t>out[t])

    cdef int fix_held(self, PyObject** held, const uint64_t* keys, Py_ssize_t m,
                      int64_t* out) except -1:
        cdef Py_ssize_t t
        if self.wants_keys:
            for t in range(m):
                if self.table.names[out[t]] == NULL:
                    out[t] = self.table._resolve(<object>held[t], keys[t], <int32_t>out[t])
        self._detours(keys, m, out)
        return 0

    cdef int extend(self, list answers, const int64_t* values, Py_ssize_t m,
                    int32_t n) except -1:
        cdef Py_ssize_t t
        if not self.objects:
            return _After.extend(self, answers, values, m, n)
        for t in range(m):
            answers.append(<object>self.table.names[values[t]])
        return 0
