"""Usage: python tools/xxh64_seeded.py [OUT]   (default: tests/data/xxh64_seeded.jsonl)

Records seeded XXH64 vectors from the ``xxhash`` package (the Python binding
of Yann Collet's C library), so that the tests pin ``seed=`` in both cores
where that package is not installed.  Keys and seeds come from a fixed
random seed: a re-run with the same xxhash writes the same bytes.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import xxhash

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "xxh64_seeded.jsonl"
SEEDS = [1, 2, 3, 7, 9, 42, 2**31 - 1, 2**32, 2**63, 2**64 - 1, 0x9E3779B97F4A7C15]


def keys(rng: random.Random) -> list[str | bytes]:
    found: list[str | bytes] = ["tx42", "user:0000042", "ключ", "日本", "𝄞 clef", "a\x00b"]
    found += ["x" * n for n in range(1, 71)]  # every tail of a 32-byte stripe, twice over
    found += ["é" * n for n in (1, 16, 17, 40)]
    found += [rng.randbytes(rng.randrange(1, 100)) for _ in range(30)]
    return found


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    rng = random.Random(22)
    lines = []
    for number, key in enumerate(keys(rng)):
        data = key.encode() if isinstance(key, str) else key
        # Three seeds a key: two from the fixed list, one random 64-bit.
        chosen = [SEEDS[number % len(SEEDS)], SEEDS[(number * 5 + 3) % len(SEEDS)]]
        chosen.append(rng.randrange(1, 2**64))
        for seed in chosen:
            row: dict[str, object] = {"key": key}
            if isinstance(key, bytes):
                row = {"bytes_hex": key.hex()}
            row.update(seed=seed, key_hash=xxhash.xxh64_intdigest(data, seed))
            lines.append(json.dumps(row, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out}: {len(lines)} rows (xxhash {xxhash.VERSION}, libxxhash {xxhash.XXHASH_VERSION})")


if __name__ == "__main__":
    main()
