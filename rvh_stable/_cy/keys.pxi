# Keys: how each key becomes the uint64 that jump is fed (the key rules of
# stable.py's _key_to_u64), hasher= and seed= (the table in _rules), xxh64()
# and hash_key().

# --- key hashers (hasher=, seed=) ----------------------------------------------

cdef int _load_hashers() except -1:
    # The C function of each name in _rules.HASHERS, looked up by name in the
    # C table (the names are _rules' alone: a name without C fails the import),
    # goes into _c/py/fast_entry.h's table with its seed range: jump_hash's entry and
    # _key_hash decide the common calls with it.
    cdef int count, i, k
    cdef _hash_fn fn
    cdef const _hasher_entry* table = _hasher_table(&count)
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
    jump, jumpback = [name.encode("ascii") for name in _rules.ALGORITHMS]
    _fast_names_set(paper, guava, jump, jumpback)
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
    unsigned 64-bit integer in ``[0, 2**64)``; equal to
    ``xxhash.xxh64_intdigest(data)``.
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

cdef inline const uint8_t* _int_key_bytes(uint64_t key, uint8_t* out) noexcept nogil:
    """The 8 little-endian bytes of an integer key's uint64, into ``out``:
    what stands for an int key where bytes are needed (Memento's rehash)."""
    cdef int i
    for i in range(8):
        out[i] = <uint8_t>(key >> (8 * i))
    return out


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

