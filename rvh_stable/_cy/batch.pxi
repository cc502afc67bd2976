# Batches: jump_hash_many(), and the one place that picks a batch's key
# source by what the keys are.

cdef object _batch(object keys, int32_t n, Py_ssize_t threads, _batch_fn run,
                   const _KeyHash* hk, _After after):
    """The answers for ``keys`` (checked), through ``run`` over n buckets and
    the step ``after``: Arrow columns and integer buffers are read in place
    without the GIL, anything else is iterated.  A NumPy array gives an
    array of its shape, unless the answers are objects."""
    _rules.check_keys(keys)
    if _rules.is_arrow(keys):
        return _arrow_answers(keys, n, threads, run, hk, after)
    numpy = sys.modules.get("numpy")
    cdef bint is_ndarray = numpy is not None and isinstance(keys, numpy.ndarray)
    if PyObject_CheckBuffer(keys):
        answers = _buffer_answers(keys, n, threads, is_ndarray, run, after)
        if answers is not None:
            return answers
    if not is_ndarray:
        return _iterable_answers(keys, hk, _Sink.new(n, run, after))
    if keys.ndim == 0:
        _rules.raise_keys_ndim(0)
    answers = _iterable_answers(keys.ravel(), hk, _Sink.new(n, run, after))
    if after.objects:
        return answers
    return numpy.array(answers, dtype=numpy.int64).reshape(keys.shape)


def jump_hash_many(keys, num_buckets, *, threads=1, hasher="xxh64", seed=None, variant="paper",
                   algorithm="jump"):
    """jump_hash_many(keys, num_buckets, *, threads=1, hasher="xxh64", seed=None, variant="paper", algorithm="jump")

    ``[jump_hash(k, num_buckets, hasher=hasher, seed=seed, variant=variant,
    algorithm=algorithm) for k in keys]``, for an iterable of keys, an array
    of integers or Arrow columns: a list of ints in ``[0, num_buckets)``, except that a NumPy
    array gives an int64 NumPy array of the same shape, and Arrow columns an
    int64 NumPy array (a list where NumPy is not installed).  Arrays and
    Arrow columns are hashed without the GIL; ``threads`` > 1 splits large
    ones across that many threads, ``threads=None`` across every CPU this
    process may use.
    """
    cdef int32_t n = _buckets(num_buckets)
    cdef Py_ssize_t nthreads = _rules.resolve_threads(threads)
    cdef _KeyHash hk
    _key_hash(hasher, seed, &hk)
    cdef _batch_fn run = _algorithm_kernel(algorithm, variant)
    return _batch(keys, n, nthreads, run, &hk, _NO_STEP)
