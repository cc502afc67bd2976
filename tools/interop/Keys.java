// The keys both generators hash: the same list, in the same order, as
// tools/interop/govectors/keys.go builds (the Go side has no lone surrogates,
// which a Go string cannot hold).  Keep the two in step.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

final class Keys {
    static final class Key {
        final String kind;
        final String text; // null for a bytes key
        final byte[] bytes; // null for a str key

        Key(String kind, String text, byte[] bytes) {
            this.kind = kind;
            this.text = text;
            this.bytes = bytes;
        }
    }

    static final String[] FIXED = {
        "", "a", "ab", "abc", "localhost", "127.0.0.1", "ёлка", "ветер", "中国", "日本",
        "hello", "hello world", "The quick brown fox jumps over the lazy dog", "123456789",
        "tx42", "TX12345", "foo", "user:1000",
        "\u00ff", "\u20ac", "\u007f", "\u0080", "\u07ff", "\u0800", "\ufffd", "\uffff",
        "\uD800\uDC00", "\uDBFF\uDFFF", "\uD83D\uDE00", "\uD83E\uDD80 crab",
        "e\u0301", "a\u0000b", "\u0000", "a\tb\nc\r", "\"quoted\\\"",
        "naïve café", "Ελληνικά", "עברית", "العربية", "हिन्दी", "한국어", "日本語テキスト",
        "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "\uD83C\uDDFA\uD83C\uDDF8",
    };

    static final String ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    static final String[] PIECES = {"a", "ж", "中", "\uD83D\uDE00"}; // 1, 2, 3, 4 UTF-8 bytes

    static final String[] ALPHABET_NAMES = {"ascii", "latin", "cyrillic", "cjk", "astral", "mixed"};
    static final int[][] RANGES = {
        {0x20, 0x7e}, {0xa0, 0x24f}, {0x400, 0x4ff}, {0x4e00, 0x9fff}, {0x1f300, 0x1f64f},
        {0x00, 0x1f}, {0xe000, 0xfffd}, {0x10000, 0x10ffff},
    };

    static List<Key> all(boolean loneSurrogates) {
        List<Key> keys = new ArrayList<>();
        for (String s : FIXED) {
            keys.add(new Key("fixed", s, null));
        }
        keys.add(new Key("long", "x".repeat(1000), null));
        keys.add(new Key("long", "é".repeat(300), null));
        keys.add(new Key("long", "中".repeat(257), null));

        // Every tail length of murmur3's and xxh64's blocks, in ASCII.
        for (int len = 0; len <= 70; len++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < len; i++) {
                sb.append(ALNUM.charAt((i * 7 + len) % ALNUM.length()));
            }
            keys.add(new Key("tail_ascii", sb.toString(), null));
        }
        // Every UTF-8 length 1..70 again, with 2-, 3- and 4-byte characters.
        for (int len = 1; len <= 70; len++) {
            StringBuilder sb = new StringBuilder();
            int bytes = 0;
            for (int i = 0; bytes < len; i++) {
                String p = PIECES[(len + i) % PIECES.length];
                int pl = p.getBytes(StandardCharsets.UTF_8).length;
                if (bytes + pl > len) {
                    p = "a";
                    pl = 1;
                }
                sb.append(p);
                bytes += pl;
            }
            keys.add(new Key("tail_utf8", sb.toString(), null));
        }

        SplitMix rng = new SplitMix(0x12C0_0000L);
        for (int a = 0; a < ALPHABET_NAMES.length; a++) {
            for (int t = 0; t < 24; t++) {
                int len = (int) rng.below(25);
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < len; i++) {
                    int[] r = a < 5 ? RANGES[a] : RANGES[(int) rng.below(RANGES.length)];
                    sb.appendCodePoint(r[0] + (int) rng.below(r[1] - r[0] + 1));
                }
                keys.add(new Key("random_" + ALPHABET_NAMES[a], sb.toString(), null));
            }
        }
        for (int t = 0; t < 60; t++) {
            byte[] b = new byte[(int) rng.below(71)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) rng.next();
            }
            keys.add(new Key("bytes", null, b));
        }
        if (loneSurrogates) {
            for (String s : new String[] {"\uD800", "a\uDC00b", "\uDBFF\uDBFF", "x\uD83D"}) {
                keys.add(new Key("lone_surrogate", s, null));
            }
        }
        return keys;
    }
}
