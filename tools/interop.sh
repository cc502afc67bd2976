#!/usr/bin/env bash
# Usage: tools/interop.sh [OUT_DIR]          (default: tests/data)
#
# Records known-answer vectors from the real implementations that rvh_stable
# agrees with, so that the tests need neither Java nor Go:
#
#   interop_guava_consistent.csv   Guava's Hashing.consistentHash(long, int)
#   interop_guava_murmur3.jsonl    Guava's murmur3_128(seed) + consistentHash(HashCode, int)
#   interop_go_hashers.jsonl       Go's hash/crc32, hash/crc64, hash/fnv and
#                                  cespare/xxhash, each through the paper's jump loop
#
# Sources: tools/interop/*.java and tools/interop/govectors/.  Every key is
# drawn from fixed seeds, so a re-run on the same versions writes the same
# bytes.  tests/data/README.md says how the committed files were made.
#
# Installs nothing.  Needs (Debian): openjdk-17-jdk-headless (java, javac),
# libguava-java, golang-go, golang-github-cespare-xxhash-dev.  GUAVA_JAR and
# XXHASH_DIR point elsewhere if those live elsewhere.  Go builds offline
# (GOPROXY=off): the xxhash module is the Debian source tree.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/tests/data}
GUAVA_JAR=${GUAVA_JAR:-/usr/share/java/guava.jar}
XXHASH_DIR=${XXHASH_DIR:-/usr/share/gocode/src/github.com/cespare/xxhash}

missing=()
command -v java >/dev/null || missing+=("java: apt-get install openjdk-17-jdk-headless")
command -v javac >/dev/null || missing+=("javac: apt-get install openjdk-17-jdk-headless")
[ -f "$GUAVA_JAR" ] || missing+=("$GUAVA_JAR: apt-get install libguava-java (or set GUAVA_JAR)")
command -v go >/dev/null || missing+=("go: apt-get install golang-go")
[ -f "$XXHASH_DIR/xxhash.go" ] ||
    missing+=("$XXHASH_DIR: apt-get install golang-github-cespare-xxhash-dev (or set XXHASH_DIR)")
if [ ${#missing[@]} -gt 0 ]; then
    echo "interop.sh: missing:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 2
fi
if [ ! -d "$OUT" ]; then
    echo "interop.sh: no directory $OUT" >&2
    exit 2
fi

BUILD=$(mktemp -d "${TMPDIR:-/tmp}/rvh-interop.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$BUILD/classes" "$BUILD/out"

echo "== Java: $(java -version 2>&1 | head -n 1); Guava $(unzip -p "$GUAVA_JAR" META-INF/MANIFEST.MF 2>/dev/null |
    sed -n 's/^Bundle-Version: *//p' | tr -d '\r')"
javac -encoding UTF-8 -Xlint:all -Werror -d "$BUILD/classes" -cp "$GUAVA_JAR" "$ROOT"/tools/interop/*.java
java -cp "$GUAVA_JAR:$BUILD/classes" GuavaVectors "$BUILD/out" "$ROOT/tests/data/jump_reference.csv"

echo "== Go: $(go version)"
# A copy, so that the build writes nothing into the tree; the module cache
# is never asked for anything (the one dependency is a local replace).
cp -r "$ROOT/tools/interop/govectors" "$BUILD/govectors"
(
    cd "$BUILD/govectors"
    export GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOWORK=off GOTOOLCHAIN=local
    go mod edit -replace "github.com/cespare/xxhash/v2=$XXHASH_DIR"
    go build -o "$BUILD/govectors.bin" .
)
"$BUILD/govectors.bin" "$BUILD/out/interop_go_hashers.jsonl"

# Any MISMATCH line above (a published vector the real implementation does
# not reproduce) is reported, not fatal: the files record what the
# implementations do.
for f in interop_guava_consistent.csv interop_guava_murmur3.jsonl interop_go_hashers.jsonl; do
    cp "$BUILD/out/$f" "$OUT/$f"
    printf '%8d bytes  %s\n' "$(wc -c <"$OUT/$f")" "$OUT/$f"
done
