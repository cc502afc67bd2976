#!/usr/bin/env bash
# Usage: tools/reciprocal_check.sh [STRIDE]
#
# The exact-reciprocal kernels' proof (tools/reciprocal_check.c): builds the
# program with the extension's flags and runs it.  For each replacement of
# the division this CPU can run (avx2-rcp, avx512-rcp), every divisor d in
# [1, 2**31] against the division, bit for bit: the paper's 2**31 / d and
# Guava's (j + 1) / (d / 2**31).  Says which replacements it skipped and
# why; its last line is "checked N divisors" (2147483648 per replacement
# checked).  Exits 1 on any difference, 2 if this CPU can check none.
# A few seconds per replacement.  STRIDE > 1: a spread sample, one group of
# divisors in every STRIDE.  CFLAGS are added to the build (the test that
# shows a wrong reciprocal caught builds with -DRVH_NEWTON_STEPS=2).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O3 -std=gnu99 -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math ${CFLAGS:-} \
    "$here/tools/reciprocal_check.c" -o "$out/reciprocal_check"
"$out/reciprocal_check" "$@"
