# jump_hash(): one key.  The common calls take a C entry (_c/py/fast_entry.h); the
# rest, and every error, the general path here.

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

    The builtin is built by rvh_new_jump_hash in ``_c/py/fast_entry.h``: a
    METH_FASTCALL entry that hashes the common calls in C ((int, int) and
    (ASCII str, int), with or without hasher=, seed= and variant= values it
    knows, and algorithm=), and hands every other call to ``general`` unchanged.  ``general`` keeps its name, so its errors read as
    jump_hash's.
    """
    global _jump_hash_doc
    _jump_hash_doc = general.__doc__.encode()
    return _new_jump_hash(general, _jump_hash_doc, sys.modules.get(__name__), __name__)


@_fast_entry
def jump_hash(key, num_buckets, *, hasher="xxh64", seed=None, variant="paper",
              algorithm="jump"):
    """jump_hash(key, num_buckets, *, hasher="xxh64", seed=None, variant="paper", algorithm="jump") -> int

    The bucket of ``key``, in ``[0, num_buckets)``, by Lamping and Veach's
    Jump Consistent Hash.  ``num_buckets`` is an int in ``[1, 2**31-1]``.
    ``hasher`` and ``seed`` choose how a str or bytes key becomes an integer;
    ``variant="guava"`` runs Guava's consistentHash loop instead of the paper's.
    ``algorithm="jumpback"`` runs Ertl's JumpBackHash instead (as hash4j).
    """
    # The general path: keywords, every key type, and every error; the
    # common calls never get here (see _fast_entry).
    cdef uint64_t k
    cdef _KeyHash hk
    cdef int32_t n = _buckets(num_buckets)
    _key_hash(hasher, seed, &hk)
    cdef int loop = _pick_loop(algorithm, variant)
    _key_u64(key, -1, &k, &hk)
    return _bucket(_one_key(loop, k, n), n)


del _fast_entry  # used once: a second call would replace jump_hash's general path


_forget_shared()

# Whether exact ints are read from CPython's digits (else through the C API).
_READS_INT_DIGITS = bool(INT_DIGITS)


def _shared_bucket_ints():
    """(ints in the shared bucket table, its capacity); for the tests.

    The capacity is 0 on free-threaded builds, which have no table.
    """
    return _shared_count(), SHARED_BUCKETS

