package main

// The keys both generators hash: the same list, in the same order, as
// tools/interop/Keys.java builds, less the Java-only lone surrogates.  Keep
// the two in step.

import "strings"

type key struct {
	kind  string
	text  string
	bytes []byte // non-nil for a bytes key
}

var fixed = []string{
	"", "a", "ab", "abc", "localhost", "127.0.0.1", "ёлка", "ветер", "中国", "日本",
	"hello", "hello world", "The quick brown fox jumps over the lazy dog", "123456789",
	"tx42", "TX12345", "foo", "user:1000",
	"\u00ff", "\u20ac", "\u007f", "\u0080", "\u07ff", "\u0800", "\ufffd", "\uffff",
	"\U00010000", "\U0010FFFF", "\U0001F600", "\U0001F980 crab",
	"e\u0301", "a\x00b", "\x00", "a\tb\nc\r", "\"quoted\\\"",
	"naïve café", "Ελληνικά", "עברית", "العربية", "हिन्दी", "한국어", "日本語テキスト",
	"\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F1FA\U0001F1F8",
}

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

var pieces = []string{"a", "ж", "中", "\U0001F600"} // 1, 2, 3, 4 UTF-8 bytes

var alphabetNames = []string{"ascii", "latin", "cyrillic", "cjk", "astral", "mixed"}

var ranges = [][2]int{
	{0x20, 0x7e}, {0xa0, 0x24f}, {0x400, 0x4ff}, {0x4e00, 0x9fff}, {0x1f300, 0x1f64f},
	{0x00, 0x1f}, {0xe000, 0xfffd}, {0x10000, 0x10ffff},
}

func allKeys() []key {
	var keys []key
	for _, s := range fixed {
		keys = append(keys, key{kind: "fixed", text: s})
	}
	keys = append(keys,
		key{kind: "long", text: strings.Repeat("x", 1000)},
		key{kind: "long", text: strings.Repeat("é", 300)},
		key{kind: "long", text: strings.Repeat("中", 257)})

	for n := 0; n <= 70; n++ {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			sb.WriteByte(alnum[(i*7+n)%len(alnum)])
		}
		keys = append(keys, key{kind: "tail_ascii", text: sb.String()})
	}
	for n := 1; n <= 70; n++ {
		var sb strings.Builder
		for i := 0; sb.Len() < n; i++ {
			p := pieces[(n+i)%len(pieces)]
			if sb.Len()+len(p) > n {
				p = "a"
			}
			sb.WriteString(p)
		}
		keys = append(keys, key{kind: "tail_utf8", text: sb.String()})
	}

	rng := splitMix{state: 0x12C00000}
	for a, name := range alphabetNames {
		for t := 0; t < 24; t++ {
			n := int(rng.below(25))
			var sb strings.Builder
			for i := 0; i < n; i++ {
				var r [2]int
				if a < 5 {
					r = ranges[a]
				} else {
					r = ranges[rng.below(uint64(len(ranges)))]
				}
				sb.WriteRune(rune(r[0] + int(rng.below(uint64(r[1]-r[0]+1)))))
			}
			keys = append(keys, key{kind: "random_" + name, text: sb.String()})
		}
	}
	for t := 0; t < 60; t++ {
		b := make([]byte, rng.below(71))
		for i := range b {
			b[i] = byte(rng.next())
		}
		keys = append(keys, key{kind: "bytes", bytes: b})
	}
	return keys
}

// SplitMix64 (Steele, Lea, Flood 2014), the same on the Java side.
type splitMix struct{ state uint64 }

func (s *splitMix) next() uint64 {
	s.state += 0x9E3779B97F4A7C15
	z := s.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (s *splitMix) below(k uint64) uint64 { return s.next() % k }
