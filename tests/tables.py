"""Tables that more than one test file reads: one copy of each.

Imported as ``tables`` (tests/ is on sys.path, as for ``helpers``).  Lists
the package itself holds are not copied here: the hasher names are
``rvh_stable._rules.HASHER_TABLE`` and the kernels this build and CPU run
are the compiled core's ``KERNELS``.

* :data:`BAD_KEYS`: every kind of bad key and its exact error, for the key
  rules (test_keys.py) and the error contract (test_errors.py).
* :data:`X87_SENSITIVE`: keys whose answer an x87 build of the C loop gets
  wrong, for test_x87.py and test_ieee.py.
* :data:`KNOWN_KERNELS` and :data:`ARCH_KERNELS`: the batch kernels the
  compiled core's table names (test_kernels.py holds this list to the
  core's own words), and those a build for this architecture compiles in.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from typing import NamedTuple

from helpers import Index


class BadKey(NamedTuple):
    """A bad key: ``make()`` gives a fresh one, rejected with exactly ``message``."""

    id: str
    make: Callable[[], object]
    kind: type[Exception]
    #: The whole message of a single-key call; a batch's is "keys[i]: " + this.
    message: str


_RANGE = "key must be an int in [-2**63, 2**64), got "
_KINDS = "key must be an int, str, bytes, bytearray or memoryview, got "
_UTF8 = "key str must be encodable as UTF-8, got one with surrogates not allowed at position "

#: Every kind of bad key, with the exception both cores raise for it.
BAD_KEYS: list[BadKey] = [
    BadKey("int too big", lambda: 2**64, ValueError, _RANGE + "18446744073709551616"),
    BadKey("int too small", lambda: -(2**63) - 1, ValueError, _RANGE + "-9223372036854775809"),
    BadKey("int of 16610 bits", lambda: 10**5000, ValueError, _RANGE + "<an int of 16610 bits>"),
    BadKey(
        "negative int of 16610 bits",
        lambda: -(10**5000),
        ValueError,
        _RANGE + "-<an int of 16610 bits>",
    ),
    BadKey("__index__ of 2**64", lambda: Index(2**64), ValueError, _RANGE + "18446744073709551616"),
    BadKey(
        "__index__ too big", lambda: Index(2**70), ValueError, _RANGE + "1180591620717411303424"
    ),
    BadKey("empty str", lambda: "", ValueError, "key must not be empty, got an empty str"),
    BadKey("empty bytes", lambda: b"", ValueError, "key must not be empty, got an empty bytes"),
    BadKey(
        "empty bytearray", bytearray, ValueError, "key must not be empty, got an empty bytearray"
    ),
    BadKey(
        "empty memoryview",
        lambda: memoryview(b""),
        ValueError,
        "key must not be empty, got an empty memoryview",
    ),
    BadKey("lone surrogate", lambda: "\ud800", ValueError, _UTF8 + "0"),
    BadKey("lone surrogate after text", lambda: "a\ud800", ValueError, _UTF8 + "1"),
    BadKey("lone low surrogate", lambda: "\udc80", ValueError, _UTF8 + "0"),
    BadKey("lone low surrogate after text", lambda: "ok\udfff", ValueError, _UTF8 + "2"),
    BadKey("True", lambda: True, TypeError, _KINDS + "bool"),
    BadKey("False", lambda: False, TypeError, _KINDS + "bool"),
    BadKey("float", lambda: 1.5, TypeError, _KINDS + "float"),
    BadKey("whole float", lambda: 1.0, TypeError, _KINDS + "float"),
    BadKey("None", lambda: None, TypeError, _KINDS + "NoneType"),
    BadKey("list", lambda: [1], TypeError, _KINDS + "list"),
    BadKey("tuple", lambda: (1,), TypeError, _KINDS + "tuple"),
    BadKey("object", object, TypeError, _KINDS + "object"),
    BadKey("complex", lambda: 1j, TypeError, _KINDS + "complex"),
]


# (key, num_buckets, IEEE double answer, x87 extended-precision answer): keys
# whose answer depends on IEEE double rounding, as opposed to x87's.  Found by
# comparing the paper's loop in double with the same loop in x87 extended
# precision (long double).  They are keys for compiled code, which keeps the
# quotient in an 80-bit register (test_x87.py); CPython on x87 stores every
# float result as a double and gets these right (test_ieee.py).
X87_SENSITIVE = [
    (997118410997051232, 2**31 - 1, 280763014, 280688495),
    (10990528634745789912, 1000000007, 713039880, 713039878),
    (1339926149601007325, 1000000007, 680070033, 680070036),
    (309503381193243460, 2**31 - 1, 1732227336, 1732227334),
    (16965165055259432760, 2**31 - 1, 1237914543, 1237914542),
    (7895501454717751088, 2**31 - 1, 1393386887, 1393386886),
    (4226762218461263968, 2**31 - 1, 495043732, 495043731),
    (12502067776604097990, 2**31 - 1, 1029726781, 1029726780),
    (8571165910298453197, 2**31 - 1, 1404409196, 1404409195),
    (12970273959431459788, 2**31 - 1, 555465177, 555466842),
    (4928593981639414794, 2**31 - 1, 988623927, 988623926),
    (14568063328001072481, 1000000007, 262289997, 262289998),
    (17718389307608007949, 2**31 - 1, 1663130695, 1663130692),
]


# Every batch kernel the compiled core's table names, in its order: the list
# its RVH_STABLE_KERNEL error gives (test_kernels.py checks that it is this
# one, so adding a kernel to the core fails there until it is added here,
# and then every kernel test runs it).  The core publishes only the kernels
# this build and CPU can run (KERNELS); the others are kept here so that a
# kernel this CPU lacks shows as a skipped test rather than no test.
KNOWN_KERNELS = ("portable", "neon", "sse2", "avx2", "avx2-rcp", "avx512", "avx512-rcp")
#: Whether this is an aarch64 machine, whose build has the NEON kernel.
ARM = platform.machine().lower() in ("aarch64", "arm64")
#: The kernels a build for this machine's architecture compiles in (each runs
#: in test_kernels.py, skipped only where this CPU lacks it).
ARCH_KERNELS = tuple(
    name for name in KNOWN_KERNELS if name == "portable" or (name == "neon") == ARM
)
