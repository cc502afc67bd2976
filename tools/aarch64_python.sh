#!/usr/bin/env bash
# Usage: tools/aarch64_python.sh OUT_DIR
#
# Runs the Python test suite on an aarch64 build, under emulation: Debian's
# own arm64 python3.11 (its .debs unpacked into OUT_DIR/sysroot, the host's
# Python untouched) runs under qemu-aarch64 user mode from a venv in
# OUT_DIR/venv, with pytest, NumPy, xxhash, Hypothesis and matplotlib from their
# aarch64 wheels on PyPI.  The package is installed from a copy of this tree
# (OUT_DIR/src) by pip under emulation: setup.py itself cythonizes and builds
# the compiled core, and the aarch64 python's sysconfig names
# aarch64-linux-gnu-gcc as its compiler, so the cross compiler (a host
# program) builds it with the project's flags.  Then pytest runs twice:
# default (the compiled core, which must report KERNEL "neon", and the pure
# twin through the core fixture) and with RVH_STABLE_NO_EXTENSIONS=1 (a pure
# install).  CC is the cross compiler, as cc is on an aarch64 machine, so that
# tests/test_reference_c.py builds its C reference for the emulated process.
# The extras that pull in pyarrow, polars, pandas and dask are not
# installed, so tests/test_arrow.py and tests/test_dask.py skip (importorskip)
# and say so; slow tests stay deselected, as in the default run.
# tests/test_cli*.py are left out unless
# RVH_AARCH64_FULL=1: they start an emulated interpreter per test (about 15
# minutes per run, two thirds of the whole) to check argument handling.
# tests/test_leaks.py's RSS checks are left out: qemu-user keeps freed guest
# memory resident and adds host memory per guest thread, so RSS says nothing
# (the file's own control, test_the_measure_sees_a_leak, sees no growth for
# 128 MiB kept alive).
#
# Re-running reuses the sysroot, the wheels and the venv's packages; the
# source copy and the package are rebuilt every time.  Logs are left in
# OUT_DIR.  The last lines are pytest's own summaries (compiled run, then
# pure run); the exit status is not 0 if either run or a check fails.
#
# Needs: root once (dpkg --add-architecture arm64, apt-get update), and
# apt-get install gcc-aarch64-linux-gnu qemu-user; PyPI for the wheels.
# RVH_AARCH64_TIMEOUT (seconds, default 3600) bounds each pytest run.  This
# checks correctness only: timings under emulation mean nothing.
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
# The path is written into the venv's launcher and scripts: keep it plain.
case $out in
    *[!A-Za-z0-9_./+-]*)
        echo "$0: OUT_DIR must be a plain path (letters, digits, _ . / + -): $out" >&2
        exit 2
        ;;
esac
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || {
        echo "$0: $tool is missing: apt-get install gcc-aarch64-linux-gnu qemu-user" >&2
        exit 2
    }
done
host_python=${PYTHON:-python3}
timeout_s=${RVH_AARCH64_TIMEOUT:-3600}
selection=(--deselect tests/test_leaks.py::test_the_measure_sees_a_leak
    --deselect tests/test_leaks.py::test_no_leaks_quick)
left_out="tests/test_leaks.py::test_the_measure_sees_a_leak and ::test_no_leaks_quick (RSS under qemu)"
if [ "${RVH_AARCH64_FULL:-0}" = 0 ]; then
    selection+=(--ignore=tests/test_cli.py --ignore=tests/test_cli_router.py
        --ignore=tests/test_cli_commands.py)
    left_out+=", tests/test_cli*.py (RVH_AARCH64_FULL=1 runs them)"
fi
pyver=3.11 # Debian 12's python3
sysroot=$out/sysroot
venv=$out/venv
vpy=$venv/bin/python
site=$venv/lib/python$pyver/site-packages
start=$SECONDS
# What the venv gets: the test extra of pyproject.toml less the heavy data
# libraries (pyarrow, polars, pandas, dask, distributed) and build (only the
# slow packaging tests use it), plus setup.py's build needs.
reqs=(pip "pytest>=7" "numpy>=1.23" "xxhash>=3" "hypothesis>=6.100" "matplotlib>=3.5"
    "setuptools>=77" "Cython>=3.1,<3.4")

# 1. The arm64 sysroot: Debian's python3.11 and everything it depends on,
# resolved by apt (libstdc++6 for NumPy's wheel), plus the headers of
# libpython3.11-dev; each .deb unpacked with dpkg -x, nothing installed.
if [ ! -f "$sysroot/.complete" ]; then
    echo "== building the arm64 sysroot in $sysroot"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        [ "$(id -u)" = 0 ] || {
            echo "$0: run once as root (dpkg --add-architecture arm64)" >&2
            exit 2
        }
        dpkg --add-architecture arm64
        apt-get update -qq
    elif ! apt-cache show python$pyver:arm64 >/dev/null 2>&1; then
        apt-get update -qq
    fi
    mapfile -t pkgs < <(
        apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
            --no-breaks --no-replaces --no-enhances --no-pre-depends \
            "python$pyver:arm64" "libstdc++6:arm64" 2>/dev/null |
            grep -E '^[a-z0-9][a-z0-9.+-]*:arm64$' |
            grep -vE '^(dpkg|tar|install-info):' | sort -u
    )
    pkgs+=("libpython$pyver-dev:arm64")
    rm -rf "$out/debs" "$sysroot"
    mkdir -p "$out/debs" "$sysroot"
    (cd "$out/debs" && apt-get download "${pkgs[@]}") >"$out/apt.log" 2>&1 || {
        cat "$out/apt.log" >&2
        exit 1
    }
    for deb in "$out"/debs/*.deb; do
        dpkg -x "$deb" "$sysroot"
        dpkg-deb -f "$deb" Package Version | paste -sd' ' -
    done >"$sysroot/.packages"
    mv "$sysroot/.packages" "$sysroot/.complete"
fi
[ -x "$sysroot/usr/bin/python$pyver" ] || {
    echo "$0: $sysroot has no usr/bin/python$pyver: remove $sysroot and re-run" >&2
    exit 1
}

# 2. The venv: pyvenv.cfg and a launcher that runs the arm64 interpreter under
# qemu with argv[0] set to the launcher, so that sys.executable (and every
# child process a test starts with it, and the console scripts' shebangs)
# comes back through qemu: no binfmt_misc needed.
mkdir -p "$venv/bin" "$site"
cat >"$venv/pyvenv.cfg" <<EOF
home = $sysroot/usr/bin
include-system-site-packages = false
version = $pyver
EOF
cat >"$vpy" <<EOF
#!/bin/sh
# Debian's arm64 python$pyver under qemu-aarch64 (written by tools/aarch64_python.sh).
exec qemu-aarch64 -L $sysroot -0 "\$0" $sysroot/usr/bin/python$pyver "\$@"
EOF
chmod +x "$vpy"
ln -sf python "$venv/bin/python3"
ln -sf python "$venv/bin/python$pyver"

# pip under emulation reads nothing of the host's pip configuration and
# installs only from OUT_DIR/wheels.
vpip() {
    env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
        PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 "$vpy" "$@"
}

# 3. The test dependencies: aarch64 wheels fetched by the host's pip, then
# installed by pip running under emulation (so the arm64 interpreter's own
# tags decide what fits).
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "${reqs[*]}" ]; then
    echo "== fetching aarch64 wheels into $out/wheels"
    "$host_python" -m pip download --quiet --dest "$out/wheels" --only-binary=:all: \
        --python-version $pyver --implementation cp --abi "cp${pyver/./}" \
        --platform manylinux_2_36_aarch64 --platform manylinux_2_34_aarch64 \
        --platform manylinux_2_28_aarch64 --platform manylinux_2_27_aarch64 \
        --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64 \
        "${reqs[@]}" 2>&1 | { grep -v '^WARNING: Location' || true; }
    pip_wheel=$(find "$out/wheels" -name 'pip-*.whl' | sort -V | tail -n 1)
    echo "== installing them under emulation into $venv"
    vpip "$pip_wheel/pip" install -q --no-index --find-links "$out/wheels" "${reqs[@]}"
    echo "${reqs[*]}" >"$venv/.requirements"
fi

# 4. A copy of the tree (tools/scratch_env.sh's copy_tree), and the package
# built and installed from it by pip under emulation.  The one addition to
# setup.py's compile line: the sysroot's Python headers, which the cross
# compiler (a host program) must be shown, ahead of the host's own.
# shellcheck source=tools/scratch_env.sh
. "$here/tools/scratch_env.sh"
copy_tree "$out/src"
echo "== building and installing rvh_stable under emulation (log: $out/build.log)"
if ! CPPFLAGS="-I$sysroot/usr/include/python$pyver -idirafter $sysroot/usr/include" \
    vpip -m pip install -v --no-index --no-build-isolation --no-deps --force-reinstall \
    "$out/src" >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    echo "$0: building the package failed (log: $out/build.log)" >&2
    exit 1
fi
grep -E '^ *aarch64-linux-gnu-gcc ' "$out/build.log" | sed 's/^ */  /'
if grep -q 'warning: .*\[-W' "$out/build.log"; then
    echo "  compiler warnings:"
    grep -E 'warning: .*\[-W' "$out/build.log" | sed 's/^ */    /'
fi

# 5. What the emulated interpreter sees.
probe='import platform, sys, rvh_stable
print(platform.machine(), sys.version.split()[0], rvh_stable.IMPLEMENTATION, rvh_stable.KERNEL)'
seen=$(cd /tmp && env -u RVH_STABLE_NO_EXTENSIONS -u RVH_STABLE_KERNEL "$vpy" -c "$probe")
read -r machine version impl kernel <<<"$seen"
seen=$(cd /tmp && env -u RVH_STABLE_KERNEL RVH_STABLE_NO_EXTENSIONS=1 "$vpy" -c "$probe")
read -r _ _ pure_impl pure_kernel <<<"$seen"
echo "emulated: machine=$machine python=$version"
echo "default:                    IMPLEMENTATION=$impl KERNEL=$kernel"
echo "RVH_STABLE_NO_EXTENSIONS=1: IMPLEMENTATION=$pure_impl KERNEL=$pure_kernel"
checks_ok=1
if [ "$machine" != aarch64 ] || [ "$impl" != cython ] || [ "$kernel" != neon ] \
    || [ "$pure_impl" != python ]; then
    echo "$0: expected aarch64, cython/neon by default and python with RVH_STABLE_NO_EXTENSIONS=1" >&2
    checks_ok=0
fi

# 6. The suite, from the copy (the tests that check the headers need the
# tree), against the installed package; pytest's console script, not
# `python -m pytest`, which would put the copy's rvh_stable/ on sys.path.
run_pytest() { # NAME [VAR=VALUE...]
    local name=$1 rc=0
    shift
    echo "== pytest, $name core (log: $out/pytest-$name.log)"
    (cd "$out/src" && env -u RVH_STABLE_NO_EXTENSIONS -u RVH_STABLE_KERNEL \
        CC=aarch64-linux-gnu-gcc "$@" \
        timeout --foreground -k 30 "$timeout_s" "$venv/bin/pytest" -p no:cacheprovider -q \
        "${selection[@]}") \
        >"$out/pytest-$name.log" 2>&1 || rc=$?
    grep -vE '^[.sFExX]+ *(\[ *[0-9]+%\])?$' "$out/pytest-$name.log" | tail -n 40 || true
    if [ "$rc" = 124 ]; then
        echo "pytest ($name core) timed out after ${timeout_s}s" >"$out/pytest-$name.summary"
    else
        grep -E '^=* ?(no tests ran|[0-9]+ [a-z]+.* in [0-9.]+s)' "$out/pytest-$name.log" \
            | tail -n 1 | sed -E 's/^=+ //; s/ =+$//' >"$out/pytest-$name.summary"
    fi
    return "$rc"
}
rc_compiled=0
rc_pure=0
run_pytest compiled || rc_compiled=$?
run_pytest pure RVH_STABLE_NO_EXTENSIONS=1 || rc_pure=$?

elapsed=$((SECONDS - start))
echo "== summary ($((elapsed / 60))m$((elapsed % 60))s)"
echo "sysroot: $(grep -c . "$sysroot/.complete") Debian arm64 packages in $sysroot," \
    "$(grep "^Package: python$pyver Version:" "$sysroot/.complete" | sed "s/^Package: //; s/ Version:/:arm64/")"
echo "emulated python $version on $machine; default IMPLEMENTATION=$impl KERNEL=$kernel;" \
    "RVH_STABLE_NO_EXTENSIONS=1 IMPLEMENTATION=$pure_impl KERNEL=$pure_kernel"
echo "not installed, so tests/test_arrow.py and tests/test_dask.py skip: pyarrow polars pandas dask distributed build"
echo "left out: $left_out; -m 'not slow' as in pyproject.toml"
echo "pytest exit status: compiled run $rc_compiled, pure run $rc_pure" \
    "(compiled run first, then RVH_STABLE_NO_EXTENSIONS=1):"
cat "$out/pytest-compiled.summary" "$out/pytest-pure.summary"
[ "$checks_ok" = 1 ] && [ "$rc_compiled" = 0 ] && [ "$rc_pure" = 0 ]
