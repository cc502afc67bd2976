# The batch kernels: the one in use, picked once at import from the C table
# (_c/kernels/table.h), and the loop ``variant=`` names (the paper's or Guava's).

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


# KERNEL: the batch kernel in use (one of the C table's names: "avx512-rcp",
# "avx512", "avx2-rcp", "avx2", "sse2", "neon", "portable"), picked at import
# (between a width's dividing and reciprocal kernels, by a calibration).  KERNELS: every
# kernel this build and CPU can run, slowest first.
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

