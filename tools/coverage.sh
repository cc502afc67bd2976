#!/usr/bin/env bash
# Usage: tools/coverage.sh [pytest arguments]
#
# Line coverage of both cores and of the C from one test run:
#
# - the pure core (stable.py) and the shared rules (_rules.py) with
#   coverage.py as usual;
# - the compiled core's glue (_jump.pyx) through the Cython.Coverage plugin,
#   in a build made with RVH_STABLE_CYTHON_TRACE=1 (setup.py then turns on
#   linetrace and the CYTHON_TRACE / CYTHON_TRACE_NOGIL macros);
# - the C headers (rvh_stable/_c/**/*.h: the jump loop, XXH64, every batch
#   kernel, the CPython glue) with gcc's gcov, from the same build compiled
#   with --coverage.  Line tracing cannot see C; gcov can.  Every kernel
#   runs: tests/test_kernels.py starts a child process per kernel
#   (RVH_STABLE_KERNEL), and each child adds its counts at exit.
#
# Prints one report per part and the whole package's, and exits non-zero if
# a part is below $RVH_COVERAGE_MIN percent (default 95; the C headers
# $RVH_COVERAGE_C_MIN, default 90: the kernels' CPU checks and the branches
# for other compilers and CPUs cannot all run on one machine).
#
# The traced build lives in a copy of this tree with a venv of its own, under
# $RVH_COVERAGE_DIR (default /tmp/rvh-coverage): the source tree and its .venv
# are not touched.  The configuration is tools/coveragerc.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${RVH_COVERAGE_DIR:-/tmp/rvh-coverage}
PYTHON=${PYTHON:-python3}
MIN=${RVH_COVERAGE_MIN:-95}
C_MIN=${RVH_COVERAGE_C_MIN:-90}
RC="$DIR/src/tools/coveragerc"

# shellcheck source=tools/scratch_env.sh
. "$ROOT/tools/scratch_env.sh"
scratch_env "$DIR" "$PYTHON" "coverage>=7.4" "gcovr>=7"

export CFLAGS="${CFLAGS:-} --coverage -O0"
export LDFLAGS="${LDFLAGS:-} --coverage"
echo "== building the compiled core with RVH_STABLE_CYTHON_TRACE=1 and CFLAGS=$CFLAGS"
(
    cd "$DIR/src"
    # Editable: the extension and the generated _jump.c stay next to _jump.pyx,
    # where Cython.Coverage looks for them.  The extension is then built again
    # in place with a build folder that stays: pip's is temporary, and gcov
    # needs the notes (.gcno) and the counts (.gcda) beside the object file.
    RVH_STABLE_CYTHON_TRACE=1 "$VPY" -m pip install -q --no-deps --no-build-isolation -e .
    RVH_STABLE_CYTHON_TRACE=1 "$VPY" setup.py -q build_ext --inplace --force \
        --build-temp build/coverage
)

cd "$DIR/src"
unset RVH_STABLE_NO_EXTENSIONS RVH_STABLE_KERNEL
find build/coverage -name '*.gcda' -delete
"$VPY" -m coverage erase --rcfile="$RC"
echo "== pytest $* under coverage"
"$VPY" -m coverage run --rcfile="$RC" -m pytest -p no:cacheprovider "$@"

status=0
report() {
    local name=$1 include=$2
    echo
    echo "== $name"
    if ! "$VPY" -m coverage report --rcfile="$RC" --include="$include" --fail-under="$MIN"; then
        echo "!! $name is below $MIN%"
        status=1
    fi
}
report "compiled core's glue (rvh_stable/_jump.pyx)" "*/rvh_stable/_jump.pyx"
report "pure core (rvh_stable/stable.py)" "*/rvh_stable/stable.py"
report "shared rules (rvh_stable/_rules.py)" "*/rvh_stable/_rules.py"
echo
echo "== C headers (rvh_stable/_c/**/*.h), gcov"
if ! "$VPY" -m gcovr --root . --filter 'rvh_stable/_c/' --txt-metric line \
    --fail-under-line "$C_MIN" build/coverage; then
    echo "!! the C headers are below $C_MIN%"
    status=1
fi
echo "-- and their branches (for information: the branches not taken here are"
echo "-- the CPU and OS checks that say no on other machines, and allocation failures)"
"$VPY" -m gcovr --root . --filter 'rvh_stable/_c/' --txt-metric branch build/coverage
echo
echo "== the whole package (Python and .pyx)"
"$VPY" -m coverage report --rcfile="$RC"
exit $status
