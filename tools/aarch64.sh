#!/usr/bin/env bash
# Usage: tools/aarch64.sh OUT_DIR
#
# Checks the batch kernels of an aarch64 build (the NEON kernel and the
# portable one) under emulation: cross-compiles tests/c/kernels_check.c over
# the shipped headers (rvh_stable/_c/) with the project's flags, leaves the
# static aarch64 executable in OUT_DIR, and runs it with qemu-aarch64 on
# tests/data/jump_reference.csv, Guava's recorded answers and random keys
# at every batch length up to 400.  Its last line is the number of keys
# checked; the exit status is not 0 if any answer is wrong.
#
# Needs: apt-get install gcc-aarch64-linux-gnu qemu-user.  This measures
# correctness only: timings under emulation mean nothing.
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
out=$1
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || {
        echo "$0: $tool is missing: apt-get install gcc-aarch64-linux-gnu qemu-user" >&2
        exit 2
    }
done
exe="$out/kernels_check_aarch64"
# The flags of setup.py (never -ffast-math; no fused multiply-add), static so
# that qemu needs no aarch64 sysroot.
aarch64-linux-gnu-gcc -O3 -std=c99 -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math \
    -static "$here/tests/c/kernels_check.c" -o "$exe"
qemu-aarch64 "$exe" "$here/tests/data/jump_reference.csv" \
    "$here/tests/data/interop_guava_consistent.csv"
