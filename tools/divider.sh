#!/usr/bin/env bash
# Usage: tools/divider.sh
#
# The divider's bound on the batch kernels (tools/divider.c): builds the
# program with the project's flags and runs it.  It prints the jump loop's
# steps per key at n = 10, 1000 and 10**6, the divider's time per double
# for each vector width this CPU has, and their product: the ns per key
# below which no kernel of that width can go.  Compare with the kernels'
# own figures (python benchmarks/compare.py).  Run it on a quiet machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -std=gnu99 -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math \
    -I "$here/rvh_stable/_c" "$here/tools/divider.c" -o "$out/divider"
"$out/divider"
