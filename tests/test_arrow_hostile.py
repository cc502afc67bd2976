"""Hostile Arrow input (issue 22, items 1-4): capsules read twice or released,
arrays whose offsets, views or dictionary indices point outside their
buffers, and utf8 arrays that are not UTF-8.

Everything that crashed before the fix runs in a child process
(``in_child``), so that a crash fails the test instead of ending pytest; the
fuzz harness (tests/fuzz/fuzz_arrow.py) runs in one too, once per core.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import rvh_stable

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

FUZZ = Path(__file__).resolve().parent / "fuzz" / "fuzz_arrow.py"


#: Where the rvh_stable this test imports is (a work tree, site-packages,
#: tools/asan.sh's sanitized install): a child runs there, with it first on
#: its path, and so imports the same one.
HERE = str(Path(rvh_stable.__file__).resolve().parent.parent)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([HERE, env.get("PYTHONPATH", "")])
    return env


def in_child(core: ModuleType, body: str) -> Any:
    """Run ``body`` in a child Python with ``core`` imported as ``core``, and
    return what it assigns to ``result`` (JSON).  ``attempt(f)`` gives f()'s
    value, or [exception class name, message, .index]."""
    code = (
        textwrap.dedent(
            f"""
        import json, sys, ctypes
        import pyarrow as pa
        import {core.__name__} as core

        def attempt(f):
            try:
                got = f()
            except Exception as e:
                return [type(e).__name__, str(e), getattr(e, "index", None)]
            return [int(v) for v in got] if not isinstance(got[0], str) else list(got)

        """
        )
        + textwrap.dedent(body)
        + "\nprint(json.dumps(result))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, env=child_env(), cwd=HERE, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"the child ended with {done.returncode}: {done.stderr[-2000:]}"
    return json.loads(done.stdout.splitlines()[-1])


def released(struct_name: str) -> list[Any]:
    message = (
        f"keys: the Arrow {struct_name} was already released (a capsule can be read once): "
        "export the keys again"
    )
    return ["ValueError", message, None]


# -- 1. capsules read twice, or released --------------------------------------

CACHED = """
caps = pa.array(["tx42", "a", "b"]).__arrow_c_array__()
stream = pa.chunked_array([["tx42", "a"], ["b"]]).__arrow_c_stream__()

class Cached:
    def __arrow_c_array__(self, requested_schema=None):
        return caps

class CachedStream:
    def __arrow_c_stream__(self, requested_schema=None):
        return stream
"""


def test_a_capsule_read_twice(core: ModuleType) -> None:
    result = in_child(
        core,
        CACHED
        + """
want = core.jump_hash_many(["tx42", "a", "b"], 1000)
result = [attempt(lambda: core.jump_hash_many(Cached(), 1000)) for _ in range(3)]
result += [attempt(lambda: core.jump_hash_many(CachedStream(), 1000)) for _ in range(2)]
result.append(list(want))
""",
    )
    want = result[-1]
    assert result[0] == want and result[3] == want
    assert result[1] == result[2] == released("ArrowSchema")
    assert result[4] == released("ArrowArrayStream")


def test_a_capsule_read_twice_through_a_router(core: ModuleType) -> None:
    result = in_child(
        core,
        CACHED
        + """
from rvh_stable import router
router._core = core
r = router.Router(["n0", "n1", "n2"])
table = core.MementoTable(3, {}, ("n0", "n1", "n2"))
result = [
    attempt(lambda: r.nodes_for(Cached())),
    attempt(lambda: r.nodes_for(Cached())),
    attempt(lambda: r.slots_for(Cached())),
    attempt(lambda: table.nodes_for(Cached())),
    attempt(lambda: r.nodes_for(CachedStream())),
    attempt(lambda: r.slots_for(CachedStream())),
    r.nodes_for(["tx42", "a", "b"]),
]
""",
    )
    assert result[0] == result[-1]
    assert result[1] == result[2] == result[3] == released("ArrowSchema")
    assert result[4] == result[-1]  # the stream, read once
    assert result[5] == released("ArrowArrayStream")


def test_a_struct_marked_released(core: ModuleType) -> None:
    # A capsule whose struct says released (release == NULL) without having
    # been read: the struct's first fields are left as they were.
    result = in_child(
        core,
        """
get = ctypes.pythonapi.PyCapsule_GetPointer
get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
# ArrowSchema's release is its 8th pointer-sized field, ArrowArray's its 9th.
def mark(capsule, name, field):
    ctypes.c_void_p.from_address(get(capsule, name) + 8 * field).value = None

class Marked:
    def __init__(self, which):
        self.which = which
    def __arrow_c_array__(self, requested_schema=None):
        schema, array = pa.array(["a", "b"]).__arrow_c_array__()
        if self.which == "schema":
            mark(schema, b"arrow_schema", 7)
        else:
            mark(array, b"arrow_array", 8)
        return schema, array

class MarkedStream:
    def __arrow_c_stream__(self, requested_schema=None):
        stream = pa.chunked_array([["a"]]).__arrow_c_stream__()
        mark(stream, b"arrow_array_stream", 3)
        return stream

result = [
    attempt(lambda: core.jump_hash_many(Marked("schema"), 10)),
    attempt(lambda: core.jump_hash_many(Marked("array"), 10)),
    attempt(lambda: core.jump_hash_many(MarkedStream(), 10)),
]
""",
    )
    assert result == [released("ArrowSchema"), released("ArrowArray"), released("ArrowArrayStream")]


# -- 2. offsets and views outside their buffers -------------------------------


def offsets_array(kind: Any, offsets: list[int], data: bytes, **more: Any) -> Any:
    code = "q" if kind in (pa.large_string(), pa.large_binary()) else "i"
    packed = pa.py_buffer(struct.pack(f"<{len(offsets)}{code}", *offsets))
    validity = more.pop("validity", None)
    length = len(offsets) - 1 - more.get("offset", 0)
    return pa.Array.from_buffers(kind, more.pop("length", length),
                                 [validity, packed, pa.py_buffer(data)], **more)  # fmt: skip


def view(length: int, data: bytes = b"", buffer: int = 0, offset: int = 0) -> bytes:
    if length <= 12:
        return struct.pack("<i12s", length, data)
    return struct.pack("<i4sii", length, data[:4], buffer, offset)


def views_array(kind: Any, views: list[bytes], *buffers: bytes) -> Any:
    given = [None, pa.py_buffer(b"".join(views)), *map(pa.py_buffer, buffers)]
    return pa.Array.from_buffers(kind, len(views), given)


BACKWARDS = "the Arrow array's offsets go backwards (malformed array)"
OUTSIDE = "the Arrow array's offsets point outside its data (malformed array)"
VIEW = "the Arrow array's view points outside its data buffers (malformed array)"
INDEX = "the Arrow array's dictionary index is out of range (malformed array)"
NO_NULLS = pa.py_buffer(b"\xfd")  # every bit but the second: element 1 is null


def malformed() -> dict[str, tuple[Any, int, str]]:
    """Name -> (an array pyarrow builds, the index of its first bad key, the problem)."""
    found: dict[str, tuple[Any, int, str]] = {}
    for kind in (pa.string(), pa.binary(), pa.large_string(), pa.large_binary()):
        name = str(kind)
        found[f"{name}: a key of length -3"] = (
            offsets_array(kind, [0, 2, 5, 2, 7], b"abcdefg"),
            2,
            BACKWARDS,
        )
        found[f"{name}: a middle offset past the data"] = (
            offsets_array(kind, [0, 1, 100, 3], b"abc"),
            1,
            OUTSIDE,
        )
        found[f"{name}: a slice whose key starts before the slice"] = (
            offsets_array(kind, [0, 3, 1, 5, 6], b"abcdef", offset=1, length=3),
            0,
            BACKWARDS,
        )
        found[f"{name}: a huge offset in the middle"] = (
            offsets_array(kind, [0, 1, 2**31 - 1, 3], b"abc"),
            1,
            OUTSIDE,
        )
    chunk = pa.array([f"k{i}" for i in range(5)])
    bad = offsets_array(pa.string(), [0, 1, 2, 1, 3], b"abc")
    found["a bad key in the second chunk"] = (pa.chunked_array([chunk, bad]), 7, BACKWARDS)
    for kind in (pa.string_view(), pa.binary_view()):
        name = str(kind)
        data = b"0123456789abcdefghijklmnopqrstuvwxyz"
        good = view(20, data, 0, 3)
        for what, bad_view in [
            ("a buffer index out of range", view(20, data, 1, 0)),
            ("a negative buffer index", view(20, data, -1, 0)),
            ("an offset and length past the buffer", view(20, data, 0, 30)),
            ("a length past the buffer", view(2**31 - 1, data, 0, 0)),
            ("a negative offset", view(20, data, 0, -5)),
            ("a negative length", view(-3)),
        ]:
            found[f"{name}: {what}"] = (views_array(kind, [good, view(2, b"ab"), bad_view], data),
                                        2, VIEW)  # fmt: skip
        found[f"{name}: no data buffer"] = (views_array(kind, [view(20, data)]), 0, VIEW)
    return found


MALFORMED = malformed()


@pytest.mark.parametrize("threads", [1, 2])
def test_malformed_arrays(core: ModuleType, threads: int) -> None:
    result = in_child(
        core,
        f"""
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_arrow_hostile import MALFORMED
result = {{name: attempt(lambda: core.jump_hash_many(column, 1000, threads={threads}))
           for name, (column, _, _) in MALFORMED.items()}}
""",
    )
    for name, (_, index, problem) in MALFORMED.items():
        assert result[name] == ["ValueError", f"keys[{index}]: {problem}", index], name


def test_a_malformed_key_is_found_wherever_a_thread_reads_it(core: ModuleType) -> None:
    # 200,000 keys over two threads: the bad key is in the second thread's
    # half, whose reads are bounded on their own.
    result = in_child(
        core,
        """
import struct
n = 200_000
offsets = list(range(0, 2 * n + 1, 2))
offsets[150_001] = 10**6   # key 150,000 ends past the data, key 150,001 goes backwards
packed = pa.py_buffer(struct.pack(f"<{n + 1}i", *offsets))
column = pa.Array.from_buffers(pa.string(), n, [None, packed, pa.py_buffer(b"ab" * n)])
result = [attempt(lambda: core.jump_hash_many(column, 1000, threads=t)) for t in (1, 2)]
from rvh_stable import router
router._core = core
result.append(attempt(lambda: router.Router(["a", "b"]).nodes_for(column, threads=2)))
""",
    )
    assert result == [["ValueError", f"keys[150000]: {OUTSIDE}", 150000]] * 3


def test_the_first_bad_key_is_reported(cores: tuple[ModuleType, ModuleType]) -> None:
    # A null or an empty key before a malformed one is the error; after, not.
    # (In process: the checks above, in children, show these cannot crash.)
    nulls_first = pa.py_buffer(b"\xfe")  # element 0 null
    for column, want in [
        (offsets_array(pa.string(), [0, 0, 1, 0], b"ab"), "keys[0]: key must not be empty"),
        (
            offsets_array(pa.string(), [0, 3, 1, 0], b"abc", validity=nulls_first, null_count=1),
            "keys[0]: a null key",
        ),
        (offsets_array(pa.string(), [0, 1, 0, 2], b"ab"), f"keys[1]: {BACKWARDS}"),
    ]:
        for core in cores:
            with pytest.raises(ValueError) as info:
                core.jump_hash_many(column, 10)
            assert str(info.value).startswith(want), (core.__name__, str(info.value))


# -- 3. dictionary indices out of range ---------------------------------------


@pytest.mark.parametrize(
    ("index_type", "indices", "bad"),
    [
        (pa.int8(), [0, 2], 1),  # = the dictionary's length
        (pa.int8(), [1, 0, -1], 2),  # -1: not the last entry
        (pa.int32(), [-(2**31)], 0),
        (pa.uint8(), [0, 255], 1),
        (pa.int64(), [1, 2**40], 1),
        (pa.uint64(), [2**64 - 1], 0),
    ],
)
def test_a_dictionary_index_out_of_range(
    core: ModuleType, index_type: Any, indices: list[int], bad: int
) -> None:
    result = in_child(
        core,
        f"""
column = pa.DictionaryArray.from_arrays(
    pa.array({indices!r}, pa.{index_type}()), pa.array(["x", "y"]), safe=False)
from rvh_stable import router
router._core = core
result = [attempt(lambda: core.jump_hash_many(column, 100)),
          attempt(lambda: router.Router(["a", "b"]).slots_for(column))]
""",
    )
    assert result == [["ValueError", f"keys[{bad}]: {INDEX}", bad]] * 2


def test_a_dictionary_with_malformed_entries(cores: tuple[ModuleType, ModuleType]) -> None:
    # Entry 1's offsets go backwards: a key that uses it is bad, the others are not.
    dictionary = offsets_array(pa.string(), [0, 2, 1, 3], b"xyz")
    for core in cores:
        used = pa.DictionaryArray.from_arrays(pa.array([0, 2, 1], pa.int8()), dictionary)
        with pytest.raises(ValueError) as info:
            core.jump_hash_many(used, 100)
        assert (str(info.value), info.value.index) == (f"keys[2]: {BACKWARDS}", 2)  # type: ignore[attr-defined]
        unused = pa.DictionaryArray.from_arrays(pa.array([0, 2, 0], pa.int8()), dictionary)
        assert list(core.jump_hash_many(unused, 100)) == core.jump_hash_many(
            ["xy", "yz", "xy"], 100
        )


# -- 4. utf8 arrays that are not UTF-8: the bytes are the key ------------------

NOT_UTF8 = [b"\xff\xfe", b"ok", b"\xc3", b"caf\xe9 latin-1", b"\xed\xa0\x80 a surrogate"]


def not_utf8_columns() -> dict[str, Any]:
    offsets = [0]
    for key in NOT_UTF8:
        offsets.append(offsets[-1] + len(key))
    data = b"".join(NOT_UTF8)
    found = {
        str(kind): offsets_array(kind, offsets, data) for kind in (pa.string(), pa.large_string())
    }
    found["string_view"] = pa.array(NOT_UTF8, pa.binary_view()).view(pa.string_view())
    found["dictionary"] = pa.DictionaryArray.from_arrays(
        pa.array([4, 0, 1, 2, 3, 0], pa.int8()), found["string"]
    )
    return found


def test_invalid_utf8_is_hashed_as_its_bytes(core: ModuleType) -> None:
    for name, column in not_utf8_columns().items():
        with pytest.raises(pa.ArrowInvalid):
            column.validate(full=True)  # not UTF-8 indeed
        keys = NOT_UTF8 if name != "dictionary" else [NOT_UTF8[i] for i in (4, 0, 1, 2, 3, 0)]
        for options in ({}, {"hasher": "fnv1a_64"}, {"hasher": "murmur3_128", "seed": 5}):
            want = [core.jump_hash(key, 1000, **options) for key in keys]
            assert list(core.jump_hash_many(column, 1000, **options)) == want, (name, options)


def test_invalid_utf8_through_a_router(router_core: ModuleType) -> None:
    from rvh_stable.router import Router

    r = Router({f"n{i}": 1 for i in range(7)})
    r.remove("n3")  # keys of a removed node are rehashed from their bytes
    column = not_utf8_columns()["string"]
    assert r.nodes_for(column) == [r.node_for(key) for key in NOT_UTF8]


# -- 5. the fuzz harness, in a child per core ----------------------------------


def run_fuzz(core: ModuleType, *more: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(FUZZ), "--core", core.__name__, *more],
        capture_output=True, text=True, env=child_env(), cwd=HERE, timeout=900,
    )  # fmt: skip


def test_fuzz(core: ModuleType) -> None:
    pytest.importorskip("hypothesis")
    done = run_fuzz(core, "--examples", "400")
    assert done.returncode == 0, (
        f"ended with {done.returncode}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    )
    outcomes = json.loads(done.stdout.splitlines()[-2])
    # Every way an input can end was drawn.
    assert set(outcomes) == {"answers", "null", "empty", "backwards", "outside", "view", "index"}


def test_the_fuzz_check_fails_a_wrong_core(core: ModuleType) -> None:
    pytest.importorskip("hypothesis")
    done = run_fuzz(core, "--examples", "60", "--wrong")
    assert done.returncode == 1 and "AssertionError" in done.stderr
