# Sourced by tools/asan.sh and tools/coverage.sh: a clean copy of the source
# tree and a venv of its own under $DIR, so neither touches the work tree.
#   scratch_env DIR PYTHON [extra pip requirement...]   sets VPY
scratch_env() {
    local root dir python
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    dir=$1
    python=$2
    shift 2
    echo "== copying the tree to $dir/src"
    rm -rf "$dir/src"
    mkdir -p "$dir/src"
    tar -C "$root" \
        --exclude='./.venv*' --exclude=./.git --exclude=./build --exclude=./dist \
        --exclude='*.egg-info' --exclude='*.so' --exclude=./rvh_stable/_jump.c \
        --exclude=__pycache__ --exclude=.pytest_cache --exclude=.mypy_cache \
        --exclude=.ruff_cache --exclude=.hypothesis --exclude=.benchmarks \
        -cf - . | tar -C "$dir/src" -xf -
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
