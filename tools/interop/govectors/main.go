// Known-answer vectors from Go's own hashes, for rvh_stable's hasher="crc32",
// "crc64_xz", "fnv1_64", "fnv1a_64" and "xxh64".  Run by tools/interop.sh;
// see tests/data/README.md.
//
//	govectors OUT_FILE
//
// Each key is hashed by the Go standard library (hash/crc32, hash/crc64,
// hash/fnv) and by github.com/cespare/xxhash/v2, and the 64-bit result goes
// through the jump loop of Lamping & Veach's paper, as
// lithammer/go-jump-consistent-hash's HashString and dgryski/go-jump do.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// Bucket counts, the same list as tools/interop/GuavaVectors.java.
var spread = []int32{
	1, 2, 3, 4, 5, 7, 10, 11, 64, 100, 1000, 100001, 1 << 16,
	1<<30 - 1, 1 << 30, 1<<30 + 1, 1<<31 - 1,
}

var crc64Table = crc64.MakeTable(crc64.ECMA)

var hashers = []string{"crc32", "crc64_xz", "fnv1_64", "fnv1a_64", "xxh64"}

// keyHash is the 64-bit integer a hasher makes of the key's bytes.  CRC-32's
// 32-bit checksum is zero-extended, as lithammer's NewCRC32 does.
func keyHash(hasher string, b []byte) uint64 {
	switch hasher {
	case "crc32":
		return uint64(crc32.ChecksumIEEE(b))
	case "crc64_xz":
		return crc64.Checksum(b, crc64Table)
	case "fnv1_64":
		h := fnv.New64()
		h.Write(b)
		return h.Sum64()
	case "fnv1a_64":
		h := fnv.New64a()
		h.Write(b)
		return h.Sum64()
	case "xxh64":
		return xxhash.Sum64(b)
	}
	panic("unknown hasher " + hasher)
}

// jump is Figure 1 of Lamping & Veach, "A Fast, Minimal Memory, Consistent
// Hash Algorithm": (b + 1) * (2**31 / d) in float64, in that order.
func jump(key uint64, n int32) int32 {
	var b int64 = -1
	var j int64
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int32(b)
}

// jsonString writes s as Python's json.dumps(s, ensure_ascii=False) does.
func jsonString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&sb, `\u%04x`, r)
			} else {
				sb.WriteRune(r)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// The vectors lithammer/go-jump-consistent-hash publishes, and ClickHouse's.
func checkPublished() {
	published := []struct {
		key    string
		n      int32
		hasher string
		bucket int32
	}{
		{"localhost", 10, "crc32", 9},
		{"ёлка", 10, "crc64_xz", 6},
		{"ветер", 10, "fnv1_64", 3},
		{"中国", 10, "fnv1a_64", 5},
		{"日本", 10, "crc64_xz", 6},
		{"127.0.0.1", 8, "crc64_xz", 7},
	}
	for _, p := range published {
		if got := jump(keyHash(p.hasher, []byte(p.key)), p.n); got != p.bucket {
			fmt.Fprintf(os.Stderr, "govectors: MISMATCH %q %d %s: Go %d, published %d\n",
				p.key, p.n, p.hasher, got, p.bucket)
		}
	}
	if got := jump(16045690984833335023, 255); got != 237 {
		fmt.Fprintf(os.Stderr, "govectors: MISMATCH ClickHouse key: Go %d, published 237\n", got)
	}
	if got := crc64.Checksum([]byte("123456789"), crc64Table); got != 0x995DC9BBDF1939FA {
		fmt.Fprintf(os.Stderr, "govectors: MISMATCH CRC-64/XZ check value: %#x\n", got)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: govectors OUT_FILE")
		os.Exit(2)
	}
	checkPublished()
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	lines := 0
	for _, k := range allKeys() {
		b := k.bytes
		field := `"bytes_hex": "` + hex.EncodeToString(b) + `"`
		if b == nil {
			if !utf8.ValidString(k.text) {
				panic("key is not UTF-8")
			}
			b = []byte(k.text)
			field = `"key": ` + jsonString(k.text)
		}
		for _, h := range hashers {
			n := spread[lines%len(spread)]
			kh := keyHash(h, b)
			fmt.Fprintf(w, "{\"kind\": %s, %s, \"hasher\": \"%s\", \"key_hash\": %s, \"num_buckets\": %d, \"bucket\": %d}\n",
				jsonString(k.kind), field, h, strconv.FormatUint(kh, 10), n, jump(kh, n))
			lines++
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "govectors: %d lines -> %s\n", lines, os.Args[1])
}
