# algorithm=: the loop a call runs, jump hash's (with the loop variant=
# names: the batch kernel of kernels.pxi) or JumpBackHash's (_c/jumpback.h,
# one batch function for every CPU: its walk is short and branchy).

cdef str _JUMP = "jump"
cdef str _JUMPBACK = "jumpback"

cdef enum:
    LOOP_PAPER = 0
    LOOP_GUAVA = 1
    LOOP_JUMPBACK = 2

# _rules.pick_loop's names of the loops.
cdef dict _LOOPS = {"paper": LOOP_PAPER, "guava": LOOP_GUAVA, "jumpback": LOOP_JUMPBACK}


cdef inline int _pick_loop(object algorithm, object variant) except -1:
    """``algorithm=`` and ``variant=`` checked: the common names without a
    call, the rest (and every error) by _rules.pick_loop."""
    if algorithm is _JUMP:
        return LOOP_GUAVA if _is_guava(variant) else LOOP_PAPER
    if algorithm is _JUMPBACK and variant is _PAPER:
        return LOOP_JUMPBACK
    return _LOOPS[_rules.pick_loop(algorithm, variant)]


cdef inline int32_t _one_key(int loop, uint64_t k, int32_t n) noexcept nogil:
    """The bucket of one key by the loop _pick_loop gave."""
    if loop == LOOP_JUMPBACK:
        return _jumpback(k, n)
    if loop == LOOP_GUAVA:
        return _jump_guava(k, n)
    return _jump(k, n)


cdef inline _batch_fn _algorithm_kernel(object algorithm, object variant) except? NULL:
    """The batch function of ``algorithm=`` (and, for jump, ``variant=``)."""
    if _pick_loop(algorithm, variant) == LOOP_JUMPBACK:
        return _jumpback_keys
    return _loop_kernel(variant)
