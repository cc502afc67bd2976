#!/usr/bin/env bash
# Usage: tools/divider.sh [GOAL]
#
# The divider's bound on the batch kernels (tools/divider.c): builds the
# program with the extension's flags and runs it.  It prints the jump
# loop's steps per key at n = 10, 1000 and 10**6, the divider's time per
# double for each vector width this CPU has, and their product: the ns per
# key below which no kernel of that width can go.  Then it times every
# batch kernel this CPU runs, in the same process, and prints each against
# its width's bound.  Exits 1 if the widest kernel is above GOAL (2.5) times
# its bound at n = 1000.  Also the exact-reciprocal kernels (avx2-rcp,
# avx512-rcp) against their dividing twins, and the pick the import makes.
# Run it on a quiet machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O3 -std=gnu99 -Wall -Wextra -Werror -ffp-contract=off -fno-fast-math ${CFLAGS:-} \
    "$here/tools/divider.c" -o "$out/divider"
"$out/divider" "$@"
