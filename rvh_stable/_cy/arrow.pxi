# Arrow columns as a source of keys: an object that exports the Arrow
# PyCapsule interface (a pyarrow or Polars array, a chunked array, a table's
# column, a stream), read in place, without the GIL, by _c/arrow.h.

cdef enum:
    # A job hashes this many keys, then runs the batch function on them: a
    # kernel call finishes with its lanes draining one by one, which costs
    # less the more keys the call has (16,384 keys: 128 KiB, in L2).
    ARROW_BLOCK = 1 << 14

# _rules.ARROW_KEY_TYPES's layouts, as _c/arrow.h numbers them.
cdef dict _ARROW_LAYOUTS = {
    "int": ARROW_INT, "bytes": ARROW_BYTES, "large": ARROW_LARGE, "view": ARROW_VIEW,
}
# _rules.ARROW_MALFORMED's problems, by _c/arrow_checks.h's kind.
cdef dict _ARROW_MALFORMED = {
    ARROW_BAD_BACKWARDS: "backwards", ARROW_BAD_OUTSIDE: "outside", ARROW_BAD_VIEW: "view",
    ARROW_BAD_INDEX: "index",
}


@cython.final
cdef class _ArrowSource(_KeySource):
    """The keys of an Arrow-exporting object, moved out of its capsules (the
    producer's memory, read in place) and described as columns for
    _c/arrow.h.  Releases everything when it goes."""
    cdef ArrowSchema schema
    cdef ArrowArrayStream stream
    cdef ArrowArray** arrays
    cdef Py_ssize_t chunks  # arrays
    cdef Py_ssize_t capacity
    cdef _arrow_column* columns
    cdef _arrow_column* dict_columns
    cdef uint64_t* dict_keys  # every chunk's dictionary keys, back to back
    cdef uint8_t* dict_bad
    cdef int64_t* starts  # chunks + 1: where each chunk's keys start among all the keys
    cdef object kind  # the keys' _rules.ArrowKeyType (a dictionary's values')
    cdef object indices  # a dictionary's indices' _rules.ArrowKeyType, or None
    cdef _KeyHash hash

    def __dealloc__(self):
        cdef Py_ssize_t i
        for i in range(self.chunks):
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
        if self.schema.dictionary != NULL:
            value_fmt = self.schema.dictionary.format.decode("utf-8")
            self.kind = _rules.arrow_key_type(fmt, value_fmt)
            self.indices = _rules.ARROW_KEY_TYPES[fmt]
        else:
            self.kind = _rules.arrow_key_type(fmt)
        return 0

    cdef int _append(self, ArrowArray* array) except -1:
        cdef ArrowArray** grown
        if self.chunks == self.capacity:
            self.capacity = 2 * self.capacity + 4
            grown = <ArrowArray**>PyMem_Realloc(self.arrays, self.capacity * sizeof(ArrowArray*))
            if grown == NULL:
                if array.release != NULL:
                    array.release(array)
                PyMem_Free(array)
                raise MemoryError()
            self.arrays = grown
        self.arrays[self.chunks] = array
        self.chunks += 1
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
            if stream.release == NULL:
                _rules.raise_arrow_released("ArrowArrayStream")
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
            source = <ArrowArray*>PyCapsule_GetPointer(array_capsule, "arrow_array")
            # Moved out of their capsules below: a capsule read before has
            # nothing left (its structs' memory may be freed already).
            if schema.release == NULL:
                _rules.raise_arrow_released("ArrowSchema")
            if source.release == NULL:
                _rules.raise_arrow_released("ArrowArray")
            memcpy(&self.schema, schema, sizeof(ArrowSchema))
            schema.release = NULL
            array = <ArrowArray*>PyMem_Malloc(sizeof(ArrowArray))
            if array == NULL:
                raise MemoryError()
            memcpy(array, source, sizeof(ArrowArray))
            source.release = NULL
            self._append(array)
            self._check_schema()
        return 0

    cdef int _column(self, _arrow_column* column, const ArrowArray* array, object kind) except -1:
        return _arrow_column_init(column, array, _ARROW_LAYOUTS[kind.layout], kind.width,
                                  kind.signed)

    cdef int describe(self, const _KeyHash* hk) except -1:
        """The columns of the chunks, their starts, and their dictionaries' keys."""
        cdef Py_ssize_t i, total_dictionary = 0, at = 0
        cdef const ArrowArray* array
        self.hash.fn = hk.fn
        self.hash.seed = hk.seed
        self.columns = <_arrow_column*>PyMem_Malloc((self.chunks + 1) * sizeof(_arrow_column))
        self.dict_columns = <_arrow_column*>PyMem_Malloc((self.chunks + 1) * sizeof(_arrow_column))
        self.starts = <int64_t*>PyMem_Malloc((self.chunks + 1) * sizeof(int64_t))
        if self.columns == NULL or self.dict_columns == NULL or self.starts == NULL:
            raise MemoryError()
        self.starts[0] = 0
        for i in range(self.chunks):
            array = self.arrays[i]
            if self._column(&self.columns[i], array,
                            self.kind if self.indices is None else self.indices) < 0:
                _rules.raise_arrow_failed("an array lacks its buffers")
            if self.indices is not None:
                if array.dictionary == NULL or self._column(
                    &self.dict_columns[i], array.dictionary, self.kind
                ) < 0:
                    _rules.raise_arrow_failed("a dictionary array lacks its dictionary")
                total_dictionary += array.dictionary.length
            self.starts[i + 1] = self.starts[i] + array.length
        if self.indices is not None:
            self.dict_keys = <uint64_t*>PyMem_Malloc(max(total_dictionary, 1) * sizeof(uint64_t))
            self.dict_bad = <uint8_t*>PyMem_Malloc(max(total_dictionary, 1))
            if self.dict_keys == NULL or self.dict_bad == NULL:
                raise MemoryError()
            for i in range(self.chunks):
                self.columns[i].dictionary = &self.dict_columns[i]
                self.columns[i].dict_keys = self.dict_keys + at
                self.columns[i].dict_bad = self.dict_bad + at
                with nogil:
                    _arrow_hash_dictionary(&self.dict_columns[i], &self.hash, self.dict_keys + at,
                                           self.dict_bad + at)
                at += self.dict_columns[i].length
        self.count = self.starts[self.chunks]
        self.room = ARROW_BLOCK
        return 0

    cdef inline Py_ssize_t _chunk_of(self, Py_ssize_t i) noexcept nogil:
        """The chunk that holds key i (i < count): the last whose start is
        at most i, past any empty chunks."""
        cdef Py_ssize_t low = 0, high = self.chunks, middle
        while high - low > 1:
            middle = (low + high) // 2
            if self.starts[middle] <= i:
                low = middle
            else:
                high = middle
        while self.starts[low + 1] <= i:
            low += 1
        return low

    cdef Py_ssize_t take(self, Py_ssize_t first, Py_ssize_t m, uint64_t* block,
                         const uint64_t** keys, int* bad) noexcept nogil:
        # Never across two chunks: each is a column of its own.
        cdef Py_ssize_t c = self._chunk_of(first)
        if m > self.starts[c + 1] - first:
            m = self.starts[c + 1] - first
        keys[0] = block
        return _arrow_keys(&self.columns[c], &self.hash, first - self.starts[c], m, block, bad)

    cdef const uint8_t* key_bytes(self, Py_ssize_t i, uint64_t key, uint8_t* scratch,
                                  size_t* size) noexcept nogil:
        cdef Py_ssize_t c = self._chunk_of(i)
        return _arrow_rehash_bytes(&self.columns[c], i - self.starts[c], scratch, size)

    cdef int raise_bad(self, Py_ssize_t i, int bad) except -1:
        if bad == ARROW_BAD_NULL:
            _rules.raise_key_null(i)
        if bad != ARROW_BAD_EMPTY:
            _rules.raise_arrow_malformed(i, _ARROW_MALFORMED[bad])
        _rules.raise_key_empty("" if self.kind.text else b"", i)


cdef object _arrow_answers(object keys, int32_t n, Py_ssize_t threads, _batch_fn run,
                           const _KeyHash* hk, _After after):
    """The answers for the keys of an Arrow-exporting object, hashed in
    place without the GIL: an int64 NumPy array, or a list (of objects, or
    of ints without NumPy)."""
    cdef _ArrowSource source = _ArrowSource.__new__(_ArrowSource)
    cdef _Buffer dest
    source.read(keys)
    source.describe(hk)
    numpy = sys.modules.get("numpy")
    if numpy is None and not after.objects:
        try:
            import numpy
        except ImportError:
            numpy = None
    if numpy is not None and not after.objects:
        answers = numpy.empty(source.count, dtype=numpy.int64)
    else:
        answers = bytearray(source.count * sizeof(int64_t))
    dest = _run_source(source, answers, n, threads, run, after)
    if isinstance(answers, bytearray):
        return _as_list(<const int64_t*>dest.view.buf, source.count, n, after)
    return answers
