#!/usr/bin/env bash
# Usage: tools/coverage.sh [pytest arguments]
#
# Line coverage of both cores from one test run: the pure core (stable.py and
# the shared _rules.py) with coverage.py as usual, the compiled core (_jump.pyx)
# through the Cython.Coverage plugin, in a build made with
# RVH_STABLE_CYTHON_TRACE=1 (setup.py then turns on linetrace and the
# CYTHON_TRACE / CYTHON_TRACE_NOGIL macros).  Prints one report per core and
# the whole package's, and exits non-zero if a core is below $RVH_COVERAGE_MIN
# percent (default 95).  The build is the portable one (-DRVH_NO_SIMD): see
# below.
#
# The traced build lives in a copy of this tree with a venv of its own, under
# $RVH_COVERAGE_DIR (default /tmp/rvh-coverage): the source tree and its .venv
# are not touched.  The configuration is tools/coveragerc.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${RVH_COVERAGE_DIR:-/tmp/rvh-coverage}
PYTHON=${PYTHON:-python3}
MIN=${RVH_COVERAGE_MIN:-95}
RC="$DIR/src/tools/coveragerc"

# shellcheck source=tools/scratch_env.sh
. "$ROOT/tools/scratch_env.sh"
scratch_env "$DIR" "$PYTHON" "coverage>=7.4"

# Line tracing sees the .pyx only, not the C in rvh_stable/_kernel.h: build
# the portable batch kernel (written in the .pyx) instead of the SSE2 one, so
# that its lines are measured.  The suite reads CFLAGS to know which to expect.
export CFLAGS="${CFLAGS:-} -DRVH_NO_SIMD"
echo "== building the compiled core with RVH_STABLE_CYTHON_TRACE=1 and $CFLAGS"
(
    cd "$DIR/src"
    # Editable: the extension and the generated _jump.c stay next to _jump.pyx,
    # where Cython.Coverage looks for them.
    RVH_STABLE_CYTHON_TRACE=1 "$VPY" -m pip install -q --no-deps --no-build-isolation -e .
)

cd "$DIR/src"
unset RVH_STABLE_NO_EXTENSIONS
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
report "compiled core (rvh_stable/_jump.pyx)" "*/rvh_stable/_jump.pyx"
report "pure core (rvh_stable/stable.py)" "*/rvh_stable/stable.py"
report "shared rules (rvh_stable/_rules.py)" "*/rvh_stable/_rules.py"
echo
echo "== the whole package"
"$VPY" -m coverage report --rcfile="$RC"
exit $status
