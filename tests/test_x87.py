"""Keys whose answer depends on IEEE double rounding, as opposed to x87's.

The x87 unit of 32-bit x86 computes in 80-bit registers unless told to use
SSE2.  These keys were found by comparing the paper's loop in double with the
same loop in x87 extended precision (long double): the first answer is the
reference's, the second the one an x87 build would give.  Wheels for i686 and
win32 must therefore be compiled with SSE2 arithmetic; setup.py adds
-msse2 -mfpmath=sse there.

They are keys for compiled code, which keeps the quotient in an 80-bit
register.  A CPython on x87 stores every float result as a double (rounding
each operation twice instead): it gets these keys right and others wrong;
tests/test_ieee.py pins those and checks the pure core's integer loop.
The keys are tests/tables.py's X87_SENSITIVE, which both files read.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from c_driver import DATA, HEADERS, I686_CFLAGS, SETUP_PY, CDrivers
from tables import X87_SENSITIVE


def test_x87_sensitive_keys(core: ModuleType) -> None:
    for key, n, ieee, _ in X87_SENSITIVE:
        assert core.jump_hash(key, n) == ieee, key
    keys = [key for key, n, *_ in X87_SENSITIVE if n == 2**31 - 1]
    expected = [ieee for _, n, ieee, _ in X87_SENSITIVE if n == 2**31 - 1]
    assert core.jump_hash_many(keys, 2**31 - 1) == expected


def _build_m32(c_drivers: CDrivers, *flags: str) -> Path:
    # Not STRICT_CFLAGS: jump_check.c is built as it always was, -m32 with
    # the project's floating-point flags and the ones given.
    return c_drivers.build(
        "jump_check.c",
        "-m32",
        *flags,
        strict=False,
        skip_unless_built="the C compiler cannot build -m32 here (apt-get install gcc-multilib)",
    )


def _run(exe: Path, rows: str) -> tuple[int, int, int]:
    """(rows checked, wrong answers of the scalar loop, of the batch kernels)."""
    out = subprocess.run([str(exe)], input=rows, capture_output=True, text=True, check=True)
    checked, wrong, kernels_wrong = out.stdout.split()
    return int(checked), int(wrong), int(kernels_wrong)


@pytest.mark.skipif(not HEADERS.exists(), reason="needs the source tree")
def test_i686_flags_keep_the_loop_bit_exact(c_drivers: CDrivers) -> None:
    setup_text = SETUP_PY.read_text()
    assert '"-msse2", "-mfpmath=sse"' in setup_text
    reference = (DATA / "jump_reference.csv").read_text().splitlines()[1:]
    rows = "\n".join(",".join(line.split(",")[:3]) for line in reference)
    pinned = "\n".join(f"{k},{n},{ieee}" for k, n, ieee, _ in X87_SENSITIVE)

    sse = _build_m32(c_drivers, *I686_CFLAGS)
    assert _run(sse, rows) == (len(reference), 0, 0)
    assert _run(sse, pinned) == (len(X87_SENSITIVE), 0, 0)

    # The same source on the x87 unit gets the pinned keys wrong: this is
    # what the flags prevent, and it shows this check can fail.
    x87 = _build_m32(c_drivers, "-mfpmath=387")
    checked, wrong, _ = _run(x87, pinned)
    assert checked == len(X87_SENSITIVE)
    assert wrong > 0
