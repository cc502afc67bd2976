"""Fuzz harness: Arrow arrays built from raw buffers, malformed or not.

Hypothesis draws arrays of every key type the cores read, as buffers made by
hand (``pa.Array.from_buffers``, which checks little): offsets that go
backwards or past the data, views pointing anywhere, validity bitmaps with
any null count (also wrong ones), slices, dictionaries with indices out of
range, chunked arrays of them, and bytes that are not UTF-8 in utf8 arrays.
A model of the C data interface written here (``Plain.elements``), not the
cores' code, says what each element is: a key, a null, an empty key, or
one the array puts outside its buffers.  ``check`` asserts that a core gives:

* for the first element that is not a key, a ValueError with that index and
  its whole message (a null, an empty key, or the malformed array's problem);
* otherwise the answers of the same keys as a Python list; and where pyarrow
  itself finds the array valid (``validate(full=True)``), the model's keys
  are ``to_pylist()``'s, so the answers are those of the Python-list path.

A crash is a failure too: tests/test_arrow_hostile.py runs this file in a
child process, one per core::

    python tests/fuzz/fuzz_arrow.py --core rvh_stable._jump --examples 500

prints "N arrays checked, no failure", or Hypothesis's smallest failing
example and exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import struct
from collections import Counter
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pyarrow as pa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

#: The types drawn: the pyarrow type, its layout, and the struct code of an
#: offset ("offsets") or an integer ("int").
TYPES: dict[str, tuple[Any, str, str]] = {
    "utf8": (pa.string(), "offsets", "i"),
    "binary": (pa.binary(), "offsets", "i"),
    "large_utf8": (pa.large_string(), "offsets", "q"),
    "large_binary": (pa.large_binary(), "offsets", "q"),
    "utf8_view": (pa.string_view(), "view", ""),
    "binary_view": (pa.binary_view(), "view", ""),
    "int8": (pa.int8(), "int", "b"),
    "uint8": (pa.uint8(), "int", "B"),
    "uint16": (pa.uint16(), "int", "H"),
    "int32": (pa.int32(), "int", "i"),
    "int64": (pa.int64(), "int", "q"),
    "uint64": (pa.uint64(), "int", "Q"),
}
KEY_TYPES = sorted(set(TYPES) - {"uint8", "int64"})
INDEX_TYPES = ["int8", "uint8", "int32", "int64"]

#: The whole messages expected, by what an element is (written here, not
#: taken from the package).
MESSAGES = {
    "null": "keys[{i}]: a null key (Arrow null, None) cannot be hashed",
    "empty": "keys[{i}]: key must not be empty, got an empty {kind}",
    "backwards": "keys[{i}]: the Arrow array's offsets go backwards (malformed array)",
    "outside": "keys[{i}]: the Arrow array's offsets point outside its data (malformed array)",
    "view": "keys[{i}]: the Arrow array's view points outside its data buffers (malformed array)",
    "index": "keys[{i}]: the Arrow array's dictionary index is out of range (malformed array)",
}

OPTIONS: list[dict[str, Any]] = [
    {}, {"hasher": "fnv1a_64"}, {"hasher": "murmur3_128", "seed": 7}, {"variant": "guava"},
]  # fmt: skip


def _text(kind: str) -> bool:
    return kind in ("utf8", "large_utf8", "utf8_view")


def _bitmap(bits: list[bool]) -> pa.Buffer:
    packed = bytearray((len(bits) + 7) // 8 or 1)
    for k, bit in enumerate(bits):
        packed[k >> 3] |= bit << (k & 7)
    return pa.py_buffer(bytes(packed))


@dataclass
class Plain:
    """An array without a dictionary, as the buffers it was built from."""

    kind: str
    length: int
    offset: int
    validity: list[bool] | None  # offset + length bits, or no bitmap
    null_count: int  # as given to from_buffers (-1: pyarrow counts)
    offsets: list[int]  # offsets layouts: offset + length + 1 of them
    data: bytes
    views: list[tuple[int, bytes, int, int]]  # (length, inline bytes or prefix, buffer, offset)
    buffers: list[bytes]  # the views' data buffers
    ints: list[int]

    def arrow(self) -> pa.Array:
        kind, layout, code = TYPES[self.kind]
        validity = None if self.validity is None else _bitmap(self.validity)
        if layout == "view":
            views = b"".join(
                struct.pack("<i12s", n, b) if n <= 12 else struct.pack("<i4sii", n, b, k, at)
                for n, b, k, at in self.views
            )
            given = [validity, pa.py_buffer(views), *map(pa.py_buffer, self.buffers)]
        elif layout == "offsets":
            packed = struct.pack(f"<{len(self.offsets)}{code}", *self.offsets)
            given = [validity, pa.py_buffer(packed), pa.py_buffer(self.data)]
        else:
            packed = struct.pack(f"<{len(self.ints)}{code}", *self.ints)
            given = [validity, pa.py_buffer(packed)]
        return pa.Array.from_buffers(kind, self.length, given, self.null_count, self.offset)

    def valid(self, i: int) -> bool:
        # The interface's consumers read the bitmap only when the exported
        # null count is not 0 (-1 given: pyarrow counts, and a count of 0
        # means every bit of the range is set anyway).
        return self.validity is None or self.null_count == 0 or self.validity[self.offset + i]

    def element(self, i: int) -> tuple[str, Any]:
        """("key" | "empty", its value), or ("null" | a problem, None)."""
        if not self.valid(i):
            return "null", None
        j = self.offset + i
        layout = TYPES[self.kind][1]
        if layout == "int":
            return "key", self.ints[j]
        if layout == "offsets":
            start, end = self.offsets[j], self.offsets[j + 1]
            # The bounds: the first and last offsets of the array's range
            # (a start below 0 is never read), within a data buffer.
            low = max(self.offsets[self.offset], 0)
            high = self.offsets[self.offset + self.length] if self.data else 0
            if start > end:
                return "backwards", None
            if start < low or end > high:
                return "outside", None
            value = self.data[start:end]
        else:
            n, inline, k, at = self.views[j]
            if n < 0:
                return "view", None
            if n <= 12:
                value = inline.ljust(12, b"\0")[:n]
            elif not (0 <= k < len(self.buffers) and 0 <= at and at + n <= len(self.buffers[k])):
                return "view", None
            else:
                value = self.buffers[k][at : at + n]
        if not value:
            return "empty", "" if _text(self.kind) else b""
        if _text(self.kind):
            try:
                return "key", value.decode("utf-8")
            except UnicodeDecodeError:
                return "key", value  # not UTF-8: hashed as its bytes
        return "key", value

    def elements(self) -> list[tuple[str, Any]]:
        return [self.element(i) for i in range(self.length)]


@dataclass
class Encoded:
    """A dictionary-encoded array: integer indices and a dictionary."""

    indices: Plain
    dictionary: Plain

    def arrow(self) -> pa.Array:
        return pa.DictionaryArray.from_arrays(
            self.indices.arrow(), self.dictionary.arrow(), safe=False
        )

    def elements(self) -> list[tuple[str, Any]]:
        entries = self.dictionary.elements()
        found: list[tuple[str, Any]] = []
        for what, index in self.indices.elements():
            if what != "key":
                found.append((what, None))
            elif not 0 <= index < len(entries):
                found.append(("index", None))
            else:
                found.append(entries[index])
        return found


@st.composite
def _views(draw: st.DrawFn, buffers: list[bytes]) -> tuple[int, bytes, int, int]:
    """A view: inline, within a data buffer, or anything."""
    how = draw(st.sampled_from(["inline", "within", "anything"]))
    if how == "inline":
        inline = draw(st.binary(max_size=12))
        return len(inline), inline.ljust(12, b"\0"), 0, 0
    k = draw(st.integers(-1, len(buffers)))
    n, at = draw(st.integers(-3, 50)), draw(st.integers(-3, 45))
    usable = [k for k, b in enumerate(buffers) if len(b) > 12]
    if how == "within" and usable:
        k = draw(st.sampled_from(usable))
        n = draw(st.integers(13, len(buffers[k])))
        at = draw(st.integers(0, len(buffers[k]) - n))
    prefix = buffers[k][at : at + 4] if 0 <= k < len(buffers) and at >= 0 else b""
    return n, prefix.ljust(4, b"\0")[:4], k, at


@st.composite
def plains(draw: st.DrawFn, kind: str) -> Plain:
    _, layout, code = TYPES[kind]
    length = draw(st.integers(0, 7))
    offset = draw(st.integers(0, 3))
    total = offset + length
    bit = st.sampled_from([True, True, True, False])  # a null in four
    validity = draw(st.none() | st.lists(bit, min_size=total, max_size=total))
    nulls = 0 if validity is None else validity[offset:].count(False)
    null_count = draw(st.sampled_from([-1, 0, nulls, nulls + 1]))
    offsets: list[int] = []
    data = b""
    views: list[tuple[int, bytes, int, int]] = []
    buffers: list[bytes] = []
    ints: list[int] = []
    if layout == "offsets":
        sizes = draw(st.lists(st.integers(0, 5), min_size=total, max_size=total))
        offsets = [0]
        for size in sizes:
            offsets.append(offsets[-1] + size)
        data = draw(st.binary(min_size=offsets[-1], max_size=offsets[-1] + 3))
        for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):  # break it, mostly in the middle
            at = draw(
                st.integers(1, total - 1) if total > 1 and draw(bit) else st.integers(0, total)
            )
            past = st.integers(offsets[-1] + 1, offsets[-1] + 8)  # past the last offset
            offsets[at] = draw(st.integers(-3, len(data) + 8) | past)
    elif layout == "view":
        buffers = draw(st.lists(st.binary(max_size=40), max_size=2))
        views = [draw(_views(buffers)) for _ in range(total)]
    else:
        bits = 8 * struct.calcsize(code)
        low, high = (
            (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if code.islower() else (0, 2**bits - 1)
        )
        ints = draw(st.lists(st.integers(low, high), min_size=total, max_size=total))
    return Plain(kind, length, offset, validity, null_count, offsets, data, views, buffers, ints)


@st.composite
def arrays(draw: st.DrawFn, kind: str) -> Plain | Encoded:
    if draw(st.integers(0, 2)):
        return draw(plains(kind))
    # a dictionary, a third of the time: indices mostly in and around its range
    dictionary = draw(plains(kind))
    indices = draw(plains(draw(st.sampled_from(INDEX_TYPES))))
    signed = TYPES[indices.kind][2].islower()
    entry = st.integers(-2 if signed else 0, dictionary.length + 1)
    indices.ints = [draw(entry) if draw(st.integers(0, 4)) else v for v in indices.ints]
    return Encoded(indices, dictionary)


@st.composite
def inputs(draw: st.DrawFn) -> tuple[Any, list[tuple[str, Any]], list[pa.Array]]:
    """An Arrow-exporting input, the model's elements, and its arrays."""
    kind = draw(st.sampled_from(KEY_TYPES))
    made = draw(st.lists(arrays(kind), min_size=1, max_size=3))
    built = []
    for one in made:
        try:
            built.append(one.arrow())
        except (pa.ArrowException, ValueError, OverflowError):
            assume(False)  # refused by pyarrow: not an input
    elements = [e for one in made for e in one.elements()]
    if len(built) == 1 and draw(st.booleans()):
        return built[0], elements, built
    try:
        return pa.chunked_array(built), elements, built
    except (pa.ArrowException, ValueError):  # dictionaries of different index types
        assume(False)
        raise


def _fully_valid(array: pa.Array) -> bool:
    try:
        array.validate(full=True)
    except pa.ArrowException:
        return False
    return True


def _empty_kind(array: pa.Array) -> str:
    kind = array.type.value_type if isinstance(array.type, pa.DictionaryType) else array.type
    return "str" if kind in (pa.string(), pa.large_string(), pa.string_view()) else "bytes"


#: How many inputs ended how: "answers", or the first bad element's kind.
OUTCOMES: Counter[str] = Counter()


def check(core: Any, keys: Any, elements: list[tuple[str, Any]], built: list[pa.Array],
          n: int, options: dict[str, Any]) -> None:  # fmt: skip
    """``core``'s answer for ``keys`` is the model's (the module docstring)."""
    if all(_fully_valid(a) for a in built):  # the model reads what pyarrow reads
        assert [v for _, v in elements] == [v for a in built for v in a.to_pylist()]
    bad = next((i for i, (what, _) in enumerate(elements) if what != "key"), None)
    try:
        got = core.jump_hash_many(keys, n, **options)
    except ValueError as e:
        assert bad is not None, f"{core.__name__}: {e!r} for keys the model reads"
        want = MESSAGES[elements[bad][0]].format(i=bad, kind=_empty_kind(built[0]))
        assert (str(e), getattr(e, "index", None)) == (want, bad)
        OUTCOMES[elements[bad][0]] += 1
    else:
        assert bad is None, f"{core.__name__}: answers, where the model has {elements[bad]}"
        assert list(got) == list(core.jump_hash_many([v for _, v in elements], n, **options))
        OUTCOMES["answers"] += 1


def run(core: Any, examples: int) -> Counter[str]:
    """Check ``examples`` drawn inputs on ``core``; returns OUTCOMES
    (Hypothesis raises the smallest failing input)."""

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(inputs(), st.integers(1, 1000), st.sampled_from(OPTIONS))
    def one(drawn: tuple[Any, list[tuple[str, Any]], list[pa.Array]], n: int,
            options: dict[str, Any]) -> None:  # fmt: skip
        check(core, *drawn, n, options)

    one()
    return OUTCOMES


class Wrong:
    """A core whose Arrow answers are one bucket off: the check must fail it."""

    __name__ = "wrong"

    def __init__(self, core: ModuleType) -> None:
        self.core = core

    def jump_hash_many(self, keys: Any, n: int, **options: Any) -> Any:
        got = self.core.jump_hash_many(keys, n, **options)
        if isinstance(keys, (pa.Array, pa.ChunkedArray)):
            return [(v + 1) % n for v in got]
        return got


def main() -> None:
    parser = argparse.ArgumentParser(description="Fuzz the cores' Arrow input.")
    parser.add_argument("--core", default="rvh_stable._jump")
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--wrong", action="store_true", help="check a core one bucket off")
    args = parser.parse_args()
    core: Any = importlib.import_module(args.core)
    outcomes = run(Wrong(core) if args.wrong else core, args.examples)
    print(json.dumps(dict(outcomes)))
    print(f"{sum(outcomes.values())} arrays checked, no failure")


if __name__ == "__main__":
    main()
