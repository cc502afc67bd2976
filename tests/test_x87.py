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
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
SETUP_PY = HERE.parent / "setup.py"
HEADERS = HERE.parent / "rvh_stable" / "_c"  # the shipped loop and kernels

# (key, num_buckets, IEEE double answer, x87 extended-precision answer)
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


def test_x87_sensitive_keys(core: ModuleType) -> None:
    for key, n, ieee, _ in X87_SENSITIVE:
        assert core.jump_hash(key, n) == ieee, key
    keys = [key for key, n, *_ in X87_SENSITIVE if n == 2**31 - 1]
    expected = [ieee for _, n, ieee, _ in X87_SENSITIVE if n == 2**31 - 1]
    assert core.jump_hash_many(keys, 2**31 - 1) == expected


def _build_m32(tmp_path: Path, *flags: str) -> Path:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("no gcc")
    exe = tmp_path / ("jump_check" + "_".join(flags).replace("=", "_").replace("-", "_"))
    build = subprocess.run(
        [
            gcc,
            "-m32",
            "-O2",
            "-ffp-contract=off",
            *flags,
            str(HERE / "c" / "jump_check.c"),
            "-o",
            str(exe),
        ],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        pytest.skip(f"gcc -m32 cannot build here (apt-get install gcc-multilib): {build.stderr}")
    return exe


def _run(exe: Path, rows: str) -> tuple[int, int, int]:
    """(rows checked, wrong answers of the scalar loop, of the batch kernels)."""
    out = subprocess.run([str(exe)], input=rows, capture_output=True, text=True, check=True)
    checked, wrong, kernels_wrong = out.stdout.split()
    return int(checked), int(wrong), int(kernels_wrong)


@pytest.mark.skipif(not HEADERS.exists(), reason="needs the source tree")
def test_i686_flags_keep_the_loop_bit_exact(tmp_path: Path) -> None:
    setup_text = SETUP_PY.read_text()
    assert '"-msse2", "-mfpmath=sse"' in setup_text
    reference = (HERE / "data" / "jump_reference.csv").read_text().splitlines()[1:]
    rows = "\n".join(",".join(line.split(",")[:3]) for line in reference)
    pinned = "\n".join(f"{k},{n},{ieee}" for k, n, ieee, _ in X87_SENSITIVE)

    sse = _build_m32(tmp_path, "-msse2", "-mfpmath=sse")
    assert _run(sse, rows) == (len(reference), 0, 0)
    assert _run(sse, pinned) == (len(X87_SENSITIVE), 0, 0)

    # The same source on the x87 unit gets the pinned keys wrong: this is
    # what the flags prevent, and it shows this check can fail.
    x87 = _build_m32(tmp_path, "-mfpmath=387")
    checked, wrong, _ = _run(x87, pinned)
    assert checked == len(X87_SENSITIVE)
    assert wrong > 0
