// Known-answer vectors from Guava itself, for rvh_stable's variant="guava" and
// hasher="murmur3_128".  Run by tools/interop.sh; see tests/data/README.md.
//
//   java -cp guava.jar:BUILD GuavaVectors OUT_DIR JUMP_REFERENCE_CSV
//
// Writes OUT_DIR/interop_guava_consistent.csv and
// OUT_DIR/interop_guava_murmur3.jsonl.  Everything is drawn from fixed seeds,
// so a re-run writes the same bytes.  Every bucket written is Guava's own
// answer (Hashing.consistentHash); this program computes nothing of its own
// but the keys, except the paper's loop, which it needs only to choose keys
// where Guava and the paper part.

import com.google.common.hash.HashCode;
import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

public final class GuavaVectors {
    static final long LCG = 2862933555777941757L;
    static final int MAX = Integer.MAX_VALUE;
    // Bucket counts every kind of key is tried against.
    static final int[] SPREAD = {
        1, 2, 3, 4, 5, 7, 10, 11, 64, 100, 1000, 100001, 1 << 16,
        (1 << 30) - 1, 1 << 30, (1 << 30) + 1, MAX,
    };

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: GuavaVectors OUT_DIR JUMP_REFERENCE_CSV");
            System.exit(2);
        }
        Path out = Paths.get(args[0]);
        writeConsistent(out.resolve("interop_guava_consistent.csv"), Paths.get(args[1]));
        writeMurmur3(out.resolve("interop_guava_murmur3.jsonl"));
    }

    // ---------------------------------------------------------------- consistentHash(long, int)

    static final class Csv {
        final StringBuilder sb = new StringBuilder("key,num_buckets,bucket,kind\n");
        int rows;

        void row(long key, int n, String kind) {
            int b = Hashing.consistentHash(key, n);
            sb.append(Long.toUnsignedString(key)).append(',').append(n).append(',')
              .append(b).append(',').append(kind).append('\n');
            rows++;
        }
    }

    static void writeConsistent(Path path, Path jumpReference) throws IOException {
        Csv csv = new Csv();
        SplitMix rng = new SplitMix(0x12C0_0001L);

        // Guava's HashingTest: checked here, recorded as Guava answers.
        int[] golden100 = {0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83};
        for (int i = 0; i < golden100.length; i++) {
            check("HashingTest golden100 key " + i, Hashing.consistentHash(i, 100), golden100[i]);
            csv.row(i, 100, "published");
        }
        long[][] published = {
            {10863919174838991L, 11, 6}, {2016238256797177309L, 11, 3},
            {1673758223894951030L, 11, 5}, {2, 100001, 80343},
            {2201, 100001, 22152}, {2202, 100001, 15018},
        };
        for (long[] p : published) {
            check("HashingTest " + p[0] + "," + p[1], Hashing.consistentHash(p[0], (int) p[1]), (int) p[2]);
            csv.row(p[0], (int) p[1], "published");
        }

        // The constructed keys.  4626093953513826134: nextDouble's
        // "+ 1" overflows on the first step.  8733038231761546088: at
        // candidate 48 the exact quotient is 2**30, which Guava's single
        // division gets and the paper's two roundings miss by one.
        for (int n = 1; n <= 64; n++) {
            csv.row(4626093953513826134L, n, "issue");
        }
        for (int n : new int[] {100001, 1 << 16, 1 << 30, MAX}) {
            csv.row(4626093953513826134L, n, "issue");
        }
        for (int n : new int[] {2, 10, 48, 49, 50, 100, 1000, 1 << 16, (1 << 29), (1 << 30) - 1,
                                1 << 30, (1 << 30) + 1, MAX}) {
            csv.row(8733038231761546088L, n, "issue");
        }

        // Small keys.
        for (long key = 0; key < 64; key++) {
            for (int n : SPREAD) {
                if (n != 1) {
                    csv.row(key, n, "small");
                }
            }
        }

        // Edges of the 64-bit range (written unsigned; Guava gets the same bits).
        long[] edges = {
            0L, 1L, 2L, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 0x1_0000_0000L,
            0x1_FFFF_FFFFL, 0x2_0000_0000L, 1L << 53, 1L << 62,
            Long.MAX_VALUE - 1, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1,
            Long.MIN_VALUE + 2, -3L, -2L, -1L, -(1L << 31), -(1L << 32),
        };
        for (long key : edges) {
            for (int n : SPREAD) {
                csv.row(key, n, "edge");
            }
        }

        // Random keys: half against the spread, half against log-uniform counts.
        for (int i = 0; i < 3000; i++) {
            long key = rng.next();
            int n = (i % 2 == 0) ? SPREAD[(int) rng.below(SPREAD.length)] : logUniformBuckets(rng);
            csv.row(key, n, "random");
        }

        // nextDouble's int "+ 1" overflows (state >>> 33 == 2**31 - 1) at step
        // k: nextDouble is -1.0, the quotient negative, and Guava stops where
        // the paper steps on to b + 1.  The state at step k is chosen and the
        // LCG run backwards to the key.
        long inv = inverse(LCG);
        for (int step = 1; step <= 12; step++) {
            for (int t = 0; t < 6; t++) {
                long state = (0x7FFF_FFFFL << 33) | (rng.next() >>> 31);
                long key = state;
                for (int s = 0; s < step; s++) {
                    key = (key - 1) * inv;
                }
                for (int n : new int[] {2, 10, 1000, 100001, 1 << 16, 1 << 30, MAX}) {
                    csv.row(key, n, "overflow_step" + step);
                }
            }
        }

        // The cast of a quotient >= 2**31 saturates at Integer.MAX_VALUE
        // (state >>> 33 == 0 on the first step: 1 / 2**-31).
        for (int t = 0; t < 4; t++) {
            long key = ((rng.next() >>> 31) - 1) * inv;
            for (int n : new int[] {2, 1000, 1 << 30, MAX}) {
                csv.row(key, n, "saturate");
            }
        }

        // Single division against the paper's two roundings, at step 2: pairs
        // (c, d) where c * 2**31 / d is an integer m exactly, so Guava's
        // (double) c / (d / 2**31) is m, but the paper's c * (2**31 / d) rounds
        // just below it.  The state at step 2 carries d; its low 33 bits are
        // drawn until step 1 lands on candidate c - 1 = floor(2**31 / d1).
        List<long[]> pairs = roundingPairs(400);
        for (int i = 0; i < pairs.size(); i += 8) {
            long c = pairs.get(i)[0], d = pairs.get(i)[1], m = pairs.get(i)[2];
            long key = 0;
            boolean found = false;
            for (int t = 0; t < 20_000_000 && !found; t++) {
                long s2 = ((d - 1) << 33) | (rng.next() >>> 31);
                long s1 = (s2 - 1) * inv;
                long d1 = (s1 >>> 33) + 1;
                if ((1L << 31) / d1 == c - 1) {
                    key = (s1 - 1) * inv;
                    found = true;
                }
            }
            if (!found) {
                System.err.println("GuavaVectors: no key found for c=" + c + " d=" + d);
                continue;
            }
            // n = m: Guava's m is out of range, the paper's m - 1 is not.
            for (long n : new TreeSet<>(List.of(m - 1, m, m + 1, 2 * m, 1L << 30, (long) MAX))) {
                if (n >= 1 && n <= MAX) {
                    csv.row(key, (int) n, "rounding_step2");
                }
            }
        }

        // The paper's adversarial keys (tests/data/jump_reference.csv): built to
        // catch single-division implementations, which is what Guava is.
        try (BufferedReader r = Files.newBufferedReader(jumpReference, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            if (!"key,num_buckets,bucket,kind".equals(line)) {
                throw new IOException(jumpReference + ": unexpected header " + line);
            }
            while ((line = r.readLine()) != null) {
                String[] f = line.split(",");
                if (f[3].equals("adversarial")) {
                    csv.row(Long.parseUnsignedLong(f[0]), Integer.parseInt(f[1]), "reference_adversarial");
                }
            }
        }

        write(path, csv.sb);
        System.err.println("GuavaVectors: " + csv.rows + " rows -> " + path);
    }

    static int logUniformBuckets(SplitMix rng) {
        double e = (rng.next() >>> 11) * 0x1.0p-53 * 31.0;
        long n = (long) Math.floor(Math.pow(2.0, e));
        return (int) Math.max(1, Math.min(MAX, n));
    }

    // The paper's step, Figure 1 of Lamping & Veach: (b + 1) * (2**31 / d).
    static long paperStep(long c, long d) {
        return (long) ((double) c * ((double) (1L << 31) / (double) d));
    }

    // All (c, d, m) with 2 <= c <= cMax, m = c * 2**31 / d an integer below
    // 2**31 - 1, d <= 2**31, where the paper's step is below m.  d divides
    // c * 2**31 exactly when d = g * 2**j with g an odd divisor of c.
    static List<long[]> roundingPairs(int cMax) {
        List<long[]> pairs = new ArrayList<>();
        for (long c = 2; c <= cMax; c++) {
            List<Long> ds = new ArrayList<>();
            for (long g = 1; g <= c; g += 2) {
                if (c % g != 0) {
                    continue;
                }
                for (long d = g; d <= (1L << 31); d <<= 1) {
                    if ((c << 31) % d == 0) {
                        ds.add(d);
                    }
                }
            }
            ds.sort(null);
            for (long d : ds) {
                long m = (c << 31) / d;
                if (m < MAX && paperStep(c, d) < m) {
                    pairs.add(new long[] {c, d, m});
                }
            }
        }
        return pairs;
    }

    // The inverse of an odd number modulo 2**64 (Newton's iteration).
    static long inverse(long a) {
        long x = a;
        for (int i = 0; i < 6; i++) {
            x *= 2 - a * x;
        }
        if (a * x != 1) {
            throw new AssertionError("no inverse");
        }
        return x;
    }

    // ---------------------------------------------------------------- murmur3_128

    static void writeMurmur3(Path path) throws IOException {
        StringBuilder sb = new StringBuilder();
        SplitMix rng = new SplitMix(0x12C0_0002L);
        int[] seeds = {
            1, -1, 42, Integer.MIN_VALUE, MAX, (int) rng.next(), (int) rng.next() | Integer.MIN_VALUE,
            (int) rng.next() & MAX, (int) rng.next() | Integer.MIN_VALUE,
        };
        List<Keys.Key> keys = Keys.all(true);
        int rows = 0;
        int k = 0;
        for (Keys.Key key : keys) {
            List<Integer> mine = new ArrayList<>();
            mine.add(0);
            if (key.kind.equals("fixed") && k < 24) {
                for (int s : seeds) {
                    mine.add(s);
                }
            } else {
                mine.add(seeds[(2 * k) % seeds.length]);
                mine.add(seeds[(2 * k + 1) % seeds.length]);
            }
            for (int seed : mine) {
                int n = SPREAD[rows % SPREAD.length];
                murmurRow(sb, key, seed, n);
                rows++;
            }
            k++;
        }
        write(path, sb);
        System.err.println("GuavaVectors: " + rows + " lines -> " + path);
    }

    static void murmurRow(StringBuilder sb, Keys.Key key, int seed, int n) {
        HashFunction f = Hashing.murmur3_128(seed);
        HashCode hc;
        sb.append("{\"kind\": ").append(Json.str(key.kind)).append(", ");
        if (key.text != null) {
            hc = f.hashString(key.text, StandardCharsets.UTF_8);
            byte[] javaBytes = key.text.getBytes(StandardCharsets.UTF_8);
            HashCode viaBytes = f.hashBytes(javaBytes);
            if (!hc.equals(viaBytes)) {
                throw new AssertionError("hashString != hashBytes(getBytes(UTF_8)) for " + key.kind);
            }
            sb.append("\"key\": ").append(Json.str(key.text)).append(", ");
            if (key.kind.equals("lone_surrogate")) {
                // What Java encoded: String.getBytes(UTF_8) puts '?' for a lone surrogate.
                sb.append("\"java_utf8_hex\": \"").append(hex(javaBytes)).append("\", ");
            }
        } else {
            hc = f.hashBytes(key.bytes);
            sb.append("\"bytes_hex\": \"").append(hex(key.bytes)).append("\", ");
        }
        int bucket = Hashing.consistentHash(hc, n);
        if (bucket != Hashing.consistentHash(hc.padToLong(), n)) {
            throw new AssertionError("consistentHash(HashCode) != consistentHash(padToLong)");
        }
        sb.append("\"seed\": ").append(seed).append(", ");
        sb.append("\"murmur3_128_padToLong\": ").append(Long.toUnsignedString(hc.padToLong())).append(", ");
        sb.append("\"hash_hex\": \"").append(hc).append("\", ");
        sb.append("\"num_buckets\": ").append(n).append(", ");
        sb.append("\"bucket\": ").append(bucket).append("}\n");
    }

    // ---------------------------------------------------------------- helpers

    static void check(String what, int got, int published) {
        if (got != published) {
            System.err.println("GuavaVectors: MISMATCH " + what + ": Guava " + got + ", published " + published);
        }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }

    static void write(Path path, StringBuilder sb) throws IOException {
        try (OutputStream o = Files.newOutputStream(path)) {
            o.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
    }
}
