# cython: language_level=3
# cython: cdivision=True
# cython: binding=False
# cython: freethreading_compatible=True
"""Compiled core of rvh_stable.

The twin of ``rvh_stable/stable.py``: the same names, results and exceptions.
``stable.py`` is the readable specification; this module is its fast copy,
and the tests hold the two to the same answers.

This file is the face: it includes one part per capability, from
``rvh_stable/_cy/`` (Cython glue: arguments, batches, threads).  The
computation is plain C in ``rvh_stable/_c/``, declared in one part,
``c_headers.pxi``.  Everything that is not on the hot path (error messages,
the tables of hashers and Arrow types, ``threads``, buffer formats, the
kernel request) lives in ``rvh_stable/_rules/`` and is shared by both
cores.
"""

cimport cython
from cpython.buffer cimport (
    PyBUF_C_CONTIGUOUS,
    PyBUF_RECORDS_RO,
    PyBUF_SIMPLE,
    PyBUF_WRITABLE,
    PyBuffer_IsContiguous,
    PyBuffer_Release,
    PyObject_CheckBuffer,
    PyObject_GetBuffer,
)
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_CheckExact, PyBytes_GET_SIZE
from cpython.pycapsule cimport PyCapsule_GetPointer
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.number cimport PyIndex_Check, PyNumber_Index
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_AsUTF8String, PyUnicode_Check
from libc.stdint cimport (
    int8_t,
    int16_t,
    int32_t,
    int64_t,
    uint8_t,
    uint16_t,
    uint32_t,
    uint64_t,
)
from libc.string cimport memcpy, memset

import sys
import threading

from rvh_stable import _rules


include "_cy/c_headers.pxi"  # the C: every header this module uses, declared
include "_cy/keys.pxi"       # key -> uint64, hasher= and seed=, xxh64(), hash_key()
include "_cy/kernels.pxi"    # the batch kernel, picked once; variant=
include "_cy/algorithms.pxi" # algorithm=: jump's kernel or JumpBackHash's loop
include "_cy/entry.pxi"      # jump_hash(): the fast entry and the general path
include "_cy/engine.pxi"     # the batch engine: sources, steps, jobs, threads, sinks
include "_cy/iterable.pxi"   # key source: any iterable
include "_cy/buffer.pxi"     # key source: integer buffers (NumPy, array, memoryview)
include "_cy/arrow.pxi"      # key source: Arrow columns (the PyCapsule interface)
include "_cy/batch.pxi"      # jump_hash_many(): picks the source
include "_cy/memento.pxi"    # MementoTable: Memento's lookups, a step after jump

IMPLEMENTATION = "cython"
MAX_BUCKETS = _rules.MAX_BUCKETS
