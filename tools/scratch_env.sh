# shellcheck shell=bash
# Sourced by tools/asan.sh, tools/coverage.sh, tools/other_pythons.sh and
# tools/aarch64_python.sh: a clean copy of the source tree and a venv of its
# own under $DIR, so none touches the work tree.
#   copy_tree DEST                                      the tree, without build outputs
#   scratch_env DIR PYTHON [extra pip requirement...]   DIR/src and DIR/venv; sets VPY
copy_tree() {
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    echo "== copying the tree to $1"
    rm -rf "$1"
    mkdir -p "$1"
    tar -C "$root" \
        --exclude='./.venv*' --exclude=./.git --exclude=./build --exclude=./dist \
        --exclude='*.egg-info' --exclude='*.so' --exclude=./rvh_stable/_jump.c \
        --exclude=__pycache__ --exclude=.pytest_cache --exclude=.mypy_cache \
        --exclude=.ruff_cache --exclude=.hypothesis --exclude=.benchmarks \
        -cf - . | tar -C "$1" -xf -
}

scratch_env() {
    local dir python
    dir=$1
    python=$2
    shift 2
    copy_tree "$dir/src"
    if [ ! -x "$dir/venv/bin/python" ]; then
        echo "== creating $dir/venv"
        "$python" -m venv "$dir/venv"
    fi
    VPY="$dir/venv/bin/python"
    "$VPY" -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
    "$VPY" -m pip install -q "setuptools>=77" "Cython>=3.1,<3.4" \
        "pytest>=7" "numpy>=1.23" "xxhash>=3" "build>=1" "hypothesis>=6.100" \
        "pyarrow>=14" "polars>=1" "pandas>=2.2" "dask[dataframe]>=2024.1" "distributed>=2024.1" "$@"
}
