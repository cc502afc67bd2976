module rvhstable.invalid/interop/govectors

go 1.19

require github.com/cespare/xxhash/v2 v2.1.1

// Debian's golang-github-cespare-xxhash-dev; tools/interop.sh builds offline.
replace github.com/cespare/xxhash/v2 => /usr/share/gocode/src/github.com/cespare/xxhash
