# The batch engine: keys in, answers out, in blocks, on threads, interruptible.
#
# It knows no input format and no algorithm.  What it runs is three parts,
# each given to it:
# - a key source (_KeySource): hands out blocks of uint64 keys, from any
#   thread without the GIL (each input format that allows it is a subclass,
#   in a part of its own); a source that must hold the GIL fills a _Sink;
# - a batch function (_batch_fn): turns a block of keys into buckets;
# - a step after it (_After): what becomes of those buckets before they are
#   answers (nothing, by default), and how answers become Python objects.
# A new input or a new algorithm is a new part; this file does not change.

cdef enum:
    # A job, or a sink, works through this many keys at a time when its
    # source converts them into room of its own (keys that are objects; an
    # array of another width, byte order or stride than aligned uint64).
    BLOCK = 1024
    # A job hashes this many keys between two looks at the clock and at its
    # stop flag: 0.15 ms to 4 ms of work, whatever the kernel and n.
    CHUNK = 1 << 16
    # A batch that holds the GIL calls _checkpoint after this many keys
    # (8 blocks): 40 to 300 us of work, and the call costs under 1% of it.
    CHECKPOINT_KEYS = 8 * BLOCK

# How often the thread that runs a batch on the main thread takes the GIL
# back to let a Ctrl-C (or another signal handler) in: a SIGINT then ends a
# batch within about this long, plus a chunk.
cdef int64_t SIGNAL_CHECK_NS = 10_000_000

# Signals are handled on the main thread only: a batch elsewhere need not
# look for them.
cdef unsigned long _main_thread = threading.main_thread().ident

# Called every CHECKPOINT_KEYS keys of a batch that holds the GIL (a sink's
# keys, answers made into a list).  It is a Python function, so the interpreter
# does there what it does between bytecodes: runs the signal handlers (Ctrl-C
# raises KeyboardInterrupt from it), and hands the GIL to a thread that has
# waited for it for sys.getswitchinterval().  A batch thus shares the GIL on
# CPython's own clock, like any Python loop.  (Releasing it on a clock of our
# own does not work: a waiting thread only asks for the GIL when no switch
# happened during its wait, and each brief release counts as one, so it
# would wait forever.)
_checkpoint = _rules.checkpoint


cdef class _KeySource:
    """Where a batch's keys come from: ``count`` keys, read by index from any
    thread without the GIL (so a source only reads, and everything it reads
    stays alive as long as the source).  The base class has no keys."""
    cdef Py_ssize_t count
    # The room a job gives take() to convert keys into, in keys; 0 when the
    # keys are read in place and no room is needed.
    cdef Py_ssize_t room

    cdef Py_ssize_t take(self, Py_ssize_t first, Py_ssize_t m, uint64_t* block,
                         const uint64_t** keys, int* bad) noexcept nogil:
        """Keys first, first+1, ... (at most m, and at most ``room`` when
        room > 0): points ``*keys`` at them (the source's own memory, or
        ``block``) and returns how many.  When key first+returned cannot be
        hashed, ``*bad`` is set to a reason raise_bad() knows."""
        return 0

    cdef const uint8_t* key_bytes(self, Py_ssize_t i, uint64_t key, uint8_t* scratch,
                                  size_t* size) noexcept nogil:
        """The bytes that key i (whose uint64 is ``key``) was hashed from: a
        string's or binary's own bytes, an integer's 8 little-endian ones
        (into ``scratch``).  For a step after the kernel that rehashes."""
        size[0] = 8
        return _int_key_bytes(key, scratch)

    cdef int raise_bad(self, Py_ssize_t i, int bad) except -1:
        """Raise the error for key i, which take() said is ``bad``."""
        raise SystemError(f"rvh_stable: key {i} of a batch is bad ({bad})")


cdef class _After:
    """A step after the batch function: what becomes of a block's buckets
    before they are answers.  This base class is no step at all: the
    answers are the buckets, as ints."""
    # A sink holds each block's key objects for fix_held().
    cdef bint wants_keys
    # The answers are not ints: an int64 array cannot hold them.
    cdef bint objects

    cdef void fix(self, _KeySource source, Py_ssize_t first, const uint64_t* keys,
                  Py_ssize_t m, int64_t* out) noexcept nogil:
        """Rework out[0..m), the buckets of keys first.. of ``source``."""
        pass

    cdef int fix_held(self, PyObject** held, const uint64_t* keys, Py_ssize_t m,
                      int64_t* out) except -1:
        """Rework out[0..m), the buckets of a sink's block: its keys' uint64s
        and, when the step wants_keys, their objects held[0..m)."""
        return 0

    cdef int extend(self, list answers, const int64_t* values, Py_ssize_t m,
                    int32_t n) except -1:
        # With n up to 65,536 the ints come from the shared table of
        # rvh_bucket_int: the batch allocates no int per key, and its list
        # holds at most one int object per bucket.
        cdef Py_ssize_t t
        for t in range(m):
            answers.append(_bucket(<int32_t>values[t], n))
        return 0


# The step of a batch that has none.
cdef _After _NO_STEP = _After.__new__(_After)


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
    """Keys [start, start + count) of a source, hashed without the GIL in
    chunks, into out[0..count)."""
    cdef _KeySource source
    cdef _After after
    cdef _Buffer out_owner
    cdef _Stop stop
    cdef int64_t* out
    cdef Py_ssize_t start
    cdef Py_ssize_t count
    cdef Py_ssize_t done  # keys hashed so far
    cdef Py_ssize_t bad_at  # the job's first key that cannot be hashed, or -1
    cdef int bad_kind
    cdef int32_t n
    cdef _batch_fn run
    # The room the source converts keys into.  On the heap, not the stack:
    # the job may run on a thread with a small stack, under kernels that
    # need stack of their own.
    cdef uint64_t* block

    def __dealloc__(self):
        PyMem_Free(self.block)

    cdef void _chunk(self) noexcept nogil:
        """Hash the next CHUNK keys (or the rest), or end at a bad key."""
        cdef Py_ssize_t k = self.done, end = self.done + CHUNK, m, got
        cdef const uint64_t* keys
        cdef int bad = 0
        if end > self.count:
            end = self.count
        while k < end:
            m = end - k
            if self.source.room and m > self.source.room:
                m = self.source.room
            got = self.source.take(self.start + k, m, self.block, &keys, &bad)
            if bad:
                self.bad_at = k + got
                self.bad_kind = bad
                self.done = self.count
                return
            self.run(keys, got, self.n, self.out + k)
            self.after.fix(self.source, self.start + k, keys, got, self.out + k)
            k += got
        self.done = end

    cdef void _until_stopped(self) noexcept nogil:
        while self.done < self.count and not _stopped(&self.stop.flag):
            self._chunk()

    def run_there(self):
        """On a helper thread: hash the slice, or stop early when told."""
        with nogil:
            self._until_stopped()

    cdef int run_here(self) except -1:
        """On the thread that called the batch: hash the slice, and on the
        main thread take the GIL back every SIGNAL_CHECK_NS to run the signal
        handlers, so that Ctrl-C raises KeyboardInterrupt here."""
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


cdef Py_ssize_t _job_count(Py_ssize_t count, Py_ssize_t threads):
    """How many jobs share ``count`` keys: at most ``threads``, each with at
    least MIN_KEYS_PER_THREAD keys, and at least one."""
    cdef Py_ssize_t jobs = count // _rules.MIN_KEYS_PER_THREAD
    if jobs > threads:
        jobs = threads
    return jobs if jobs >= 1 else 1


cdef _Buffer _run_source(_KeySource source, object answers, int32_t n, Py_ssize_t threads,
                         _batch_fn run, _After after):
    """Every key of ``source``, through ``run`` and ``after``, into
    ``answers`` (a writable buffer of source.count int64s), split across up
    to ``threads`` threads.  Returns the buffer, held; raises the source's
    error for the first key that cannot be hashed."""
    cdef _Buffer dest = _Buffer.__new__(_Buffer)
    cdef _Stop stop = _Stop.__new__(_Stop)
    cdef Py_ssize_t count = source.count, per, start = 0, i, chunks
    cdef _Job job
    dest.acquire(answers, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)
    chunks = _job_count(count, threads)
    per = (count + chunks - 1) // chunks
    jobs = []
    for i in range(chunks):
        job = _Job.__new__(_Job)
        job.source = source
        job.after = after
        job.out_owner = dest
        job.stop = stop
        job.start = start
        job.count = min(per, count - start)
        job.bad_at = -1
        job.n = n
        job.run = run
        job.out = <int64_t*>dest.view.buf + start
        if source.room:
            job.block = <uint64_t*>PyMem_Malloc(source.room * sizeof(uint64_t))
            if job.block == NULL:
                raise MemoryError()
        jobs.append(job)
        start += job.count
    _run_jobs(jobs)
    for job in jobs:  # the jobs run in order of their keys: the first bad one is first
        if job.bad_at >= 0:
            source.raise_bad(job.start + job.bad_at, job.bad_kind)
    return dest


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
            worker = threading.Thread(target=job.run_there, name="rvh_stable-batch", daemon=True)
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


cdef list _as_list(const int64_t* values, Py_ssize_t count, int32_t n, _After after):
    """A batch's answers as a list, made by ``after``; checkpoints between
    blocks of keys."""
    cdef Py_ssize_t start = 0, m
    answers = []
    while start < count:
        m = min(CHECKPOINT_KEYS, count - start)
        after.extend(answers, values + start, m, n)
        start += CHECKPOINT_KEYS
        _checkpoint()
    return answers


@cython.final
cdef class _Sink:
    """Where a source that holds the GIL (Python objects) puts its keys: one
    block at a time, each run through the batch function and the step after
    it as soon as it is full.  The block is on the heap: a key's __index__ or
    the source may call back into a batch, and each level of that must
    cost little stack."""
    cdef uint64_t* block
    cdef int64_t* buckets
    cdef PyObject** held  # with a step that wants them: the block's key objects
    cdef bint holds  # after.wants_keys, read once: put() looks at it per key
    cdef Py_ssize_t m  # keys in the block
    cdef Py_ssize_t total  # keys put, all blocks
    cdef int32_t n
    cdef _batch_fn run
    cdef _After after
    cdef list answers

    @staticmethod
    cdef _Sink new(int32_t n, _batch_fn run, _After after):
        cdef _Sink sink = _Sink.__new__(_Sink)
        sink.block = <uint64_t*>PyMem_Malloc(
            BLOCK * (sizeof(uint64_t) + sizeof(int64_t) + sizeof(PyObject*)))
        if sink.block == NULL:
            raise MemoryError()
        sink.buckets = <int64_t*>(sink.block + BLOCK)
        sink.held = <PyObject**>(sink.buckets + BLOCK)
        sink.n = n
        sink.run = run
        sink.after = after
        sink.holds = after.wants_keys
        sink.answers = []
        return sink

    def __dealloc__(self):
        self._let_go()
        PyMem_Free(self.block)

    cdef void _let_go(self) noexcept:
        cdef Py_ssize_t t
        if self.holds:
            for t in range(self.m):
                _decref(self.held[t])
        self.m = 0

    cdef inline uint64_t* slot(self) noexcept:
        """Where the next key's uint64 goes; put() it once it is there."""
        return &self.block[self.m]

    cdef inline int put(self, object key) except -1:
        """The uint64 of ``key`` is in its slot: count it (holding ``key``
        when the step wants it), and run the block when it is full."""
        if self.holds:
            self.held[self.m] = <PyObject*>key
            _incref(self.held[self.m])
        self.m += 1
        self.total += 1
        if self.m == BLOCK:
            self.flush()
            if self.total % CHECKPOINT_KEYS == 0:
                _checkpoint()
        return 0

    cdef int flush(self) except -1:
        """Run the block's keys and append their answers."""
        cdef Py_ssize_t m = self.m
        self.run(self.block, m, self.n, self.buckets)
        try:
            self.after.fix_held(self.held, self.block, m, self.buckets)
        finally:
            self._let_go()
        return self.after.extend(self.answers, self.buckets, m, self.n)
