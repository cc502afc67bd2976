#!/usr/bin/env bash
# Usage: tools/asan.sh [pytest arguments]
#
# Builds the compiled core with AddressSanitizer and UndefinedBehaviorSanitizer
# (-fsanitize=address,undefined -fno-sanitize-recover=all) and runs the test
# suite against it, with libasan preloaded into the (uninstrumented) Python.
# Any sanitizer report aborts the run with a non-zero status.
#
#   tools/asan.sh                 # the default test run (what `pytest` runs)
#   tools/asan.sh -m slow         # the slow tests
#   tools/asan.sh tests/test_concurrency.py -x
#
# Everything happens in a copy of this tree and a venv of its own, under
# $RVH_ASAN_DIR (default /tmp/rvh-asan): the source tree and its .venv are not
# touched.  Needs gcc (or CC=clang with its own runtime), Python 3.10+ and pip.
# Leak detection is off (ASAN_OPTIONS=detect_leaks=0): the interpreter itself
# keeps memory until exit on purpose.  PYTHONMALLOC=malloc sends Python's own
# allocations through ASan too, so overruns into Python objects are caught.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${RVH_ASAN_DIR:-/tmp/rvh-asan}
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"

LIBASAN=$("$CC" -print-file-name=libasan.so)
if [ ! -e "$LIBASAN" ]; then
    echo "asan.sh: $CC has no libasan.so (install libasan / gcc)" >&2
    exit 2
fi

# shellcheck source=tools/scratch_env.sh
. "$ROOT/tools/scratch_env.sh"
scratch_env "$DIR" "$PYTHON"

echo "== building the compiled core with $SAN"
(
    cd "$DIR/src"
    CC="$CC" CFLAGS="$SAN" LDFLAGS="$SAN" \
        "$VPY" -m pip install -q --no-deps --no-build-isolation --force-reinstall .
)
# Found without importing it: the sanitized module loads only with libasan preloaded.
PLATLIB=$("$VPY" -c "import sysconfig; print(sysconfig.get_paths()['platlib'])")
SO=$(ls "$PLATLIB"/rvh_stable/_jump*.so)
if ! ldd "$SO" | grep -q libasan; then
    echo "asan.sh: $SO is not linked with libasan: the sanitizer flags were not used" >&2
    exit 2
fi

export LD_PRELOAD="$LIBASAN"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export PYTHONMALLOC=malloc
unset RVH_STABLE_NO_EXTENSIONS

cd /
"$VPY" -c "import rvh_stable, sys; print('== core:', rvh_stable.IMPLEMENTATION, rvh_stable._jump.__file__); sys.exit(rvh_stable.IMPLEMENTATION != 'cython')"
echo "== pytest $* (sanitized)"
cd "$DIR/src"
# The pytest script, not `python -m pytest`: -m would put the source copy
# (which has no extension) first on sys.path.
# Tests that measure memory (test_leaks.py, test_cli's peak-RSS test) skip
# themselves under ASan, whose quarantine and redzones inflate it tenfold.
"$DIR/venv/bin/pytest" -p no:cacheprovider "$@"
echo "== asan.sh: the test run under ASan+UBSan finished clean"
