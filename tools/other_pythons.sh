#!/usr/bin/env bash
# Usage: tools/other_pythons.sh [python ...]
#
# Builds the compiled core and runs the default test suite under each given
# interpreter (default: every python3.10 ... python3.14 on PATH or under
# ~/.pyenv), each in a copy of this tree and a venv of its own under
# $RVH_PYTHONS_DIR (default /tmp/rvh-pythons).  The compiled core reads ints
# from CPython's internal layout, which changed in 3.12: this is the check
# that each layout is read right.  Exits non-zero if any run fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${RVH_PYTHONS_DIR:-/tmp/rvh-pythons}
# shellcheck source=tools/scratch_env.sh
. "$ROOT/tools/scratch_env.sh"

pythons=("$@")
if [ ${#pythons[@]} -eq 0 ]; then
    for minor in 10 11 12 13 14; do
        found=$(ls -d "$HOME"/.pyenv/versions/3."$minor".*/bin/python3 2>/dev/null | tail -1 || true)
        if [ -z "$found" ] && "python3.$minor" -c '' 2>/dev/null; then
            found=$(command -v "python3.$minor")
        fi
        if [ -n "$found" ]; then pythons+=("$found"); fi
    done
fi

failed=()
for python in "${pythons[@]}"; do
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "=== Python $version ($python)"
    scratch_env "$DIR/$version" "$python"
    (
        cd "$DIR/$version/src"
        "$VPY" -m pip install -q --no-build-isolation -e . 2>&1 | grep -v "^WARNING: Location" || true
        "$VPY" -c 'import rvh_stable; assert rvh_stable.IMPLEMENTATION == "cython"'
        "$VPY" -m pytest -q -p no:cacheprovider
    ) || failed+=("$version")
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "other_pythons.sh: failed on ${failed[*]}" >&2
    exit 1
fi
echo "other_pythons.sh: passed on ${#pythons[@]} interpreters"
