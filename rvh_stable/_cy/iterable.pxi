# Any iterable as a source of keys (a list, a tuple, a generator, a NumPy
# array of objects): read with the GIL, one key at a time, into the engine's
# sink, which runs each full block.

cdef list _iterable_answers(object keys, const _KeyHash* hk, _Sink sink):
    """The answers for the keys of an iterable, as a list."""
    cdef Py_ssize_t i = 0
    if not isinstance(keys, (list, tuple)):
        try:
            keys = iter(keys)
        except TypeError:
            _rules.raise_keys_not_iterable(keys)
    for key in keys:
        if PyLong_CheckExact(key):
            _exact_int_u64(key, i, sink.slot())
        else:
            _key_u64(key, i, sink.slot(), hk)
        sink.put(key)
        i += 1
    sink.flush()
    return sink.answers
