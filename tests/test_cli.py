"""The rvh-stable command line, run in subprocesses over both cores, sync and --async.

The ``core`` fixture gives the core whose answers are expected; the child runs
with RVH_STABLE_NO_EXTENSIONS=1 for the pure one and =0 for the compiled one
(``test_version_names_the_core`` checks that the child really runs it).
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from cli_helpers import (  # tests/ is on sys.path
    NEUTRAL_CWD,
    SCRIPT,
    ByteStdin,
    assert_error,
    buckets_text,
    child_env,
    command,
    core_message,
    lines_of,
    main_in_process,
    rvh,
    text,
)
from reference import jump, recorded_hashes

from rvh_stable import __version__, _rules, cli
from rvh_stable.cli import hashing

# The same command line, however it is started.
ENTRY_POINTS = {
    "console script": [str(SCRIPT)],
    "python -m rvh_stable": [sys.executable, "-m", "rvh_stable"],
    "python -m rvh_stable.cli": [sys.executable, "-m", "rvh_stable.cli"],
    "python -m rvh_stable.app_stable": [sys.executable, "-m", "rvh_stable.app_stable"],
}

# The command line's guide in the documentation site.
CLI_GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guides" / "cli.md"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> list[str]:
    """Extra arguments: none, or --async."""
    return [] if request.param == "sync" else ["--async"]


# --- single keys ----------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["long", "short"])
def test_single_key(core: ModuleType, mode: list[str], spelling: str) -> None:
    if spelling == "long":
        args = ["--key", "TX12345", "--buckets", "7", *mode]
    else:
        args = ["-k", "TX12345", "-b", "7", *(["-a"] if mode else [])]
    done = rvh(core, *args)
    assert done.returncode == 0
    assert done.stdout == f"{core.jump_hash('TX12345', 7)}\n".encode()
    assert done.stderr == b""


def test_keys_are_strings(core: ModuleType, mode: list[str]) -> None:
    done = rvh(core, "-k", "42", "-b", "57", *mode)
    assert done.stdout == f"{core.jump_hash('42', 57)}\n".encode()
    assert core.jump_hash("42", 57) != core.jump_hash(42, 57)


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--int-key", "-k", "42"], 42),
        (["--key=-0x2a", "--int-key"], -42),
        (["--int-key", "--key", "18446744073709551615"], 2**64 - 1),
    ],
)
def test_int_key(core: ModuleType, mode: list[str], args: list[str], key: int) -> None:
    done = rvh(core, *args, "-b", "57", *mode)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == f"{core.jump_hash(key, 57)}\n".encode()
    if key == 42:
        assert done.stdout == b"43\n"


@pytest.mark.parametrize("key", ["ключ", "🔑 key", "café\tau lait"])
def test_non_ascii_key(core: ModuleType, mode: list[str], key: str) -> None:
    done = rvh(core, "-k", key, "-b", "1000", *mode)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == f"{core.jump_hash(key, 1000)}\n".encode()


@pytest.mark.skipif(os.name == "nt", reason="POSIX: argv bytes decoded by the locale")
@pytest.mark.parametrize("key", ["ключ", "café", "🔑"])
def test_key_under_a_posix_locale(core: ModuleType, mode: list[str], key: str) -> None:
    """Under LC_ALL=C (ASCII, and no UTF-8 mode) --key is the UTF-8 bytes typed, as stdin is.

    Python decodes the non-ASCII bytes of argv as surrogate escapes there;
    before issue 11 the core refused them.
    """
    env = child_env(core)
    for name in ("LANG", "LANGUAGE", "LC_CTYPE"):
        env.pop(name, None)
    env.update(LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    from_stdin = rvh(core, "-b", "1000", *mode, stdin=key.encode() + b"\n", env=env)
    from_argv = rvh(core, "-k", key, "-b", "1000", *mode, env=env)
    expected = f"{core.jump_hash(key, 1000)}\n".encode()
    assert (from_stdin.returncode, from_stdin.stdout, from_stdin.stderr) == (0, expected, b"")
    assert (from_argv.returncode, from_argv.stdout, from_argv.stderr) == (0, expected, b"")
    # The key written back is the bytes typed.
    done = rvh(core, "-k", key, "-b", "1000", "--with-key", *mode, env=env)
    assert done.stdout == key.encode() + b"\t" + expected


def test_single_key_output_formats(core: ModuleType) -> None:
    bucket = core.jump_hash("ключ", 16)
    done = rvh(core, "-k", "ключ", "-b", "16", "--with-key")
    assert done.stdout == f"ключ\t{bucket}\n".encode()
    done = rvh(core, "-k", "ключ", "-b", "16", "--format", "json")
    assert json.loads(done.stdout) == {"key": "ключ", "bucket": bucket}
    assert done.stdout.decode() == f'{{"key": "ключ", "bucket": {bucket}}}\n'


# --- logging ----------------------------------------------------------------------


def test_level_debug(core: ModuleType, mode: list[str]) -> None:
    done = rvh(core, "-k", "tx42", "-b", "10", "--level", "debug", *mode)
    assert done.returncode == 0
    assert done.stdout == f"{core.jump_hash('tx42', 10)}\n".encode()
    log = text(done.stderr)
    assert f"IMPLEMENTATION={core.IMPLEMENTATION!r}" in log
    assert __version__ in log
    assert re.search(r"took \d+\.\d{3} seconds", log)
    if mode:  # asyncio's own debug logging is on
        assert "asyncio (debug mode)" in log
        assert "asyncio: DEBUG:" in log
        assert "debug=True" in log
    else:
        assert "asyncio" not in log


def test_level_info_logs_less(core: ModuleType, mode: list[str]) -> None:
    done = rvh(core, "-k", "tx42", "-b", "10", "-l", "info", *mode)
    assert done.stdout == f"{core.jump_hash('tx42', 10)}\n".encode()
    log = text(done.stderr)
    assert re.fullmatch(
        r"rvh_stable\.cli: INFO: took \d+\.\d{3} seconds \(1 key, \w+ core\)\n", log
    )
    done = rvh(core, "-k", "tx42", "-b", "10", "-l", "warn", *mode)
    assert (done.stdout, done.stderr) == (f"{core.jump_hash('tx42', 10)}\n".encode(), b"")


# --- streams ------------------------------------------------------------------------


def stream_keys() -> list[str]:
    """Keys that stress the line handling, and enough of them for several chunks."""
    special = [
        "tx42",
        " leading space",
        "trailing space ",
        "\ttabs\t",
        "in\rside",
        "ключ",
        "键",
        "🔑",
        'quote " and \\ backslash',
        "x" * 5000,
        "y" * (cli.CHUNK_BYTES + 12345),  # one line longer than a whole read
    ]
    return special + [f"user:{i}:{'z' * (i % 40)}" for i in range(30_000)] + special


@pytest.fixture(scope="module")
def keys_and_input() -> tuple[list[str], bytes]:
    keys = stream_keys()
    # Some CRLF endings, and a last line without a line ending.
    data = lines_of(keys[:-1], ("\n", "\r\n", "\n")) + keys[-1].encode()
    assert len(data) > 3 * cli.CHUNK_BYTES
    return keys, data


@pytest.mark.parametrize("fmt", ["bucket", "with-key", "json"])
def test_stream_formats(
    core: ModuleType, mode: list[str], fmt: str, keys_and_input: tuple[list[str], bytes]
) -> None:
    keys, data = keys_and_input
    flags = {"bucket": [], "with-key": ["--with-key"], "json": ["--format", "json"]}[fmt]
    done = rvh(core, "--buckets", "1009", *flags, *mode, stdin=data)
    assert (done.returncode, done.stderr) == (0, b"")
    buckets = core.jump_hash_many(keys, 1009)
    out = done.stdout.decode("utf-8")
    if fmt == "bucket":
        assert out == "".join(f"{b}\n" for b in buckets)
    elif fmt == "with-key":
        assert out == "".join(f"{k}\t{b}\n" for k, b in zip(keys, buckets, strict=True))
    else:
        rows = [json.loads(line) for line in out.splitlines()]
        assert rows == [{"key": k, "bucket": b} for k, b in zip(keys, buckets, strict=True)]


@pytest.mark.parametrize("source", ["stdin", "path", "dash"])
def test_stream_sources(core: ModuleType, source: str, tmp_path: Path) -> None:
    keys = ["tx42", "TX12345", "ключ", " a b "]
    path = tmp_path / "keys.txt"
    path.write_bytes(lines_of(keys))
    args = {"stdin": [], "path": ["--keys-file", str(path)], "dash": ["--keys-file", "-"]}
    done = rvh(
        core, "-b", "100", *args[source], stdin=b"" if source == "path" else path.read_bytes()
    )
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode().split() == [str(b) for b in core.jump_hash_many(keys, 100)]


def test_stream_edge_inputs(core: ModuleType) -> None:
    assert rvh(core, "-b", "7", stdin=b"").stdout == b""
    for data, keys in [(b"a\r\n", ["a"]), (b"a\r", ["a\r"]), (b"a\r\r\n", ["a\r"])]:
        done = rvh(core, "-b", "1000", "--with-key", stdin=data)
        expected = [f"{k}\t{core.jump_hash(k, 1000)}" for k in keys]
        assert done.stdout.decode().split("\n")[:-1] == expected


def test_stream_int_keys(core: ModuleType, mode: list[str]) -> None:
    texts = ["42", "-42", "0x2a", "-0X2A", "+7", "007", "0", "18446744073709551615",
             "-9223372036854775808", "0xffffffffffffffff"]  # fmt: skip
    values = [int(t, 16 if "x" in t.lower() else 10) for t in texts]
    data = lines_of(texts, ("\n", "\r\n"))
    expected = core.jump_hash_many(values, 57)
    assert expected[:2] == [43, 8]
    done = rvh(core, "--int-key", "-b", "57", *mode, stdin=data)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == "".join(f"{b}\n" for b in expected).encode()
    done = rvh(core, "--int-key", "-b", "57", "--with-key", *mode, stdin=data)
    assert done.stdout.decode() == "".join(
        f"{t}\t{b}\n" for t, b in zip(texts, expected, strict=True)
    )
    done = rvh(core, "--int-key", "-b", "57", "--format", "json", *mode, stdin=data)
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert rows == [{"key": v, "bucket": b} for v, b in zip(values, expected, strict=True)]


BOM = "\ufeff".encode()  # b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("data", "flags", "keys"),
    [
        (BOM + b"tx42\ntx43\n", [], ["tx42", "tx43"]),
        (BOM + b"tx42\r\n" + BOM + b"tx43\n", [], ["tx42", "\ufefftx43"]),  # only at the start
        (BOM + BOM + b"tx42\n", [], ["\ufefftx42"]),  # one mark is dropped, not every one
        (BOM, [], []),
        (BOM + b"42\n0x2a\n", ["--int-key"], [42, 42]),
    ],
)
def test_bom_at_the_start_is_skipped(
    core: ModuleType, mode: list[str], data: bytes, flags: list[str], keys: list[Any]
) -> None:
    """A UTF-8 byte order mark (Windows tools write one) is not part of line 1."""
    done = rvh(core, "-b", "1000", *flags, *mode, stdin=data)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == buckets_text(core, keys, 1000)


def test_bom_split_across_reads(
    core: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    # A pipe may deliver the mark a byte at a time; a lone first byte is no mark.
    monkeypatch.setattr(sys, "stdin", ByteStdin(b"\xef", b"\xbb", b"\xbftx", b"42\n"))
    assert main_in_process(core, monkeypatch, "-b", "16") == 0
    assert capsysbinary.readouterr() == (buckets_text(core, ["tx42"], 16), b"")
    monkeypatch.setattr(sys, "stdin", ByteStdin(b"\xef\xbb", b"x\n"))
    assert main_in_process(core, monkeypatch, "-b", "16") == 1
    assert "line 1: key is not valid UTF-8" in capsysbinary.readouterr().err.decode()


@pytest.mark.skipif(os.name == "nt", reason="select() cannot wait on a pipe on Windows")
def test_nonblocking_stdin_is_waited_for(core: ModuleType, mode: list[str]) -> None:
    """An O_NONBLOCK stdin pipe that is empty for a moment has not ended.

    Before issue 11 the empty read was taken as the end: two lines of four
    were written, with exit status 0.
    """
    read_end, write_end = os.pipe()
    # O_NONBLOCK belongs to the pipe's open file description: the child shares it.
    os.set_blocking(read_end, False)
    try:
        child = subprocess.Popen(
            [*command(), "-b", "10", *mode],
            stdin=read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(core),
        )
    finally:
        os.close(read_end)
    assert child.stdout is not None
    with open(write_end, "wb", buffering=0) as feed:
        feed.write(b"a\nb\n")
        # Once both are hashed, the child reads on and finds the pipe empty.
        first = child.stdout.readline() + child.stdout.readline()
        time.sleep(0.5)
        try:
            feed.write(b"c\nd\n")
        except BrokenPipeError:  # the child is gone: it took the pause for the end
            pass
    rest, errors = child.communicate(timeout=120)
    assert (child.returncode, errors) == (0, b"")
    assert first + rest == buckets_text(core, ["a", "b", "c", "d"], 10)


def test_nonblocking_stdin_that_cannot_be_waited_for(
    core: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """No data yet, and no file descriptor to wait on: fail loudly, never end early."""
    monkeypatch.setattr(sys, "stdin", ByteStdin(b"a\n", None, b"b\n"))
    assert main_in_process(core, monkeypatch, "-b", "10") == 1
    out, err = capsysbinary.readouterr()
    assert out == buckets_text(core, ["a"], 10)
    assert err.decode() == (
        "rvh-stable: error: cannot read stdin: it is non-blocking and has no data yet, "
        "and there is no file descriptor to wait on\n"
    )


@pytest.mark.parametrize("fmt", [[], ["--with-key"]])
def test_text_only_stdin(
    core: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsysbinary: pytest.CaptureFixture[bytes],
    fmt: list[str],
) -> None:
    """main() embedded with a sys.stdin that has no .buffer reads its text."""
    keys = ["tx42", "ключ", " a b ", "x" * 5000]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\ufeff" + "\n".join(keys) + "\n"))
    assert main_in_process(core, monkeypatch, "-b", "1000", *fmt) == 0
    buckets = core.jump_hash_many(keys, 1000)
    shown = [f"{k}\t{b}" for k, b in zip(keys, buckets, strict=True)] if fmt else buckets
    assert capsysbinary.readouterr() == ("".join(f"{x}\n" for x in shown).encode(), b"")
    # Text that is not UTF-8 (a lone surrogate) gets the input's error, on its line.
    monkeypatch.setattr(sys, "stdin", io.StringIO("a\nb\udcff\n"))
    assert main_in_process(core, monkeypatch, "-b", "1000") == 1
    out, err = capsysbinary.readouterr()
    assert out == buckets_text(core, ["a"], 1000)
    assert err.decode().startswith("rvh-stable: error: line 2: key is not valid UTF-8")


# --- flat memory ----------------------------------------------------------------------


def test_stream_is_hashed_in_bounded_chunks(
    core: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """Each jump_hash_many call gets one read's worth of lines, never the whole input."""
    keys = [f"key-{i}" for i in range(100_000)]
    path = tmp_path / "keys.txt"
    path.write_bytes(lines_of(keys))
    calls: list[int] = []

    def recording(batch: Any, num_buckets: int, **kwargs: Any) -> Any:
        calls.append(len(batch))
        return core.jump_hash_many(batch, num_buckets, **kwargs)

    recorder = SimpleNamespace(
        jump_hash=core.jump_hash, jump_hash_many=recording, IMPLEMENTATION=core.IMPLEMENTATION
    )
    assert main_in_process(recorder, monkeypatch, "-b", "1000", "--keys-file", str(path)) == 0
    out = capsysbinary.readouterr().out
    assert out == "".join(f"{b}\n" for b in core.jump_hash_many(keys, 1000)).encode()
    batches = [c for c in calls if c]  # the first call, on (), only checks --buckets
    assert sum(batches) == len(keys)
    assert len(batches) >= path.stat().st_size // cli.CHUNK_BYTES
    assert max(batches) * len("key-0\n") <= cli.CHUNK_BYTES


# The child's own peak RSS.  Not ru_maxrss: Linux carries the parent's peak
# over fork and exec into it, and pytest's is larger than what is measured.
# VmHWM belongs to the address space that exec() created.
PEAK_PROBE = """\
import sys
import sysconfig
from rvh_stable import cli
from rvh_stable.cli import _input
_input.CHUNK_BYTES = int(sys.argv[1]) or _input.CHUNK_BYTES
status = cli.main(sys.argv[2:])
with open("/proc/self/status") as f:
    print(next(line.split()[1] for line in f if line.startswith("VmHWM:")), file=sys.stderr)
sys.exit(status)
"""


def peak_rss_kib(core: ModuleType, path: Path, *args: str, chunk_bytes: int = 0) -> int:
    """Peak RSS of one run of the command line on the keys in ``path``, in KiB."""
    with open(path, "rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-c", PEAK_PROBE, str(chunk_bytes), *args],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=child_env(core),
            timeout=120,
            check=False,
            cwd=NEUTRAL_CWD,  # python -c imports from the current folder first
        )
    assert done.returncode == 0, done.stderr
    return int(done.stderr)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
@pytest.mark.skipif(
    "libasan" in os.environ.get("LD_PRELOAD", ""),
    reason="under AddressSanitizer (tools/asan.sh) its quarantine inflates peak RSS tenfold",
)
def test_stream_memory_stays_flat(core: ModuleType, mode: list[str], tmp_path: Path) -> None:
    # ~10 MB of input: held in memory as bytes, str objects and a list it
    # takes 25 MB or more; read in chunks it takes about one chunk.
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_bytes(lines_of([f"{i:064d}" for i in range(100)]))
    large.write_bytes(lines_of([f"{i:064d}" for i in range(150_000)]))
    base = peak_rss_kib(core, small, "-b", "1000", *mode)
    peak = peak_rss_kib(core, large, "-b", "1000", *mode)
    assert peak - base < 8 * 1024, f"{base} KiB for 100 lines, {peak} KiB for 150,000"


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "2147483648", "99999999999999999999999"])
def test_bad_buckets_out_of_range(core: ModuleType, value: str) -> None:
    done = rvh(core, "-k", "tx42", "-b", value)
    assert_error(done, "--buckets", core_message(core.jump_hash, "tx42", int(value)))
    assert done.stdout == b""


@pytest.mark.parametrize("value", ["abc", "1.5", "", "1e3", " 7"])
def test_bad_buckets_not_an_integer(core: ModuleType, value: str) -> None:
    done = rvh(core, "-k", "tx42", f"--buckets={value}")
    assert_error(done, "--buckets must be an integer", repr(value))
    assert done.stdout == b""


def test_bad_buckets_in_stream_mode(core: ModuleType, mode: list[str]) -> None:
    done = rvh(core, "-b", "0", *mode, stdin=b"a\nb\n")
    assert_error(done, "--buckets", "num_buckets must be in [1, 2**31-1], got 0")
    assert done.stdout == b""


def test_empty_key(core: ModuleType, mode: list[str]) -> None:
    done = rvh(core, "-k", "", "-b", "7", *mode)
    assert_error(done, "--key: " + core_message(core.jump_hash, "", 7))
    assert done.stdout == b""


@pytest.mark.skipif(os.name == "nt", reason="POSIX: argv bytes that are not UTF-8")
def test_key_that_is_not_utf8(core: ModuleType, mode: list[str]) -> None:
    # Python decodes the byte 0xff in argv as the lone surrogate \udcff, which
    # the core refuses: the command line adds no rule of its own.
    done = rvh(core, "-k", b"ab\xff", "-b", "7", *mode)
    assert_error(done, "--key: " + core_message(core.jump_hash, "ab\udcff", 7))
    assert done.stdout == b""


@pytest.mark.parametrize("value", ["12a", "0x", " 42", "4_2", "", "٤٢"])
def test_unparsable_int_key(core: ModuleType, value: str) -> None:
    done = rvh(core, "--int-key", f"--key={value}", "-b", "7")
    assert_error(done, "--int-key", repr(value))
    assert done.stdout == b""


@pytest.mark.parametrize(
    "value", ["18446744073709551616", "-9223372036854775809", "0x1" + "0" * 16]
)
def test_int_key_out_of_range(core: ModuleType, mode: list[str], value: str) -> None:
    done = rvh(core, "--int-key", f"--key={value}", "-b", "7", *mode)
    assert_error(done, "--key: " + core_message(core.jump_hash, int(value, 0), 7))
    assert done.stdout == b""


def range_rule(core: ModuleType, func: Any, *args: Any) -> str:
    """The core's range error for ``func(*args)`` without its "got ..." part."""
    return core_message(func, *args).rpartition(", got ")[0]


@pytest.mark.parametrize("sign", ["", "+", "-"])
def test_int_key_of_more_digits_than_int_converts(
    core: ModuleType, mode: list[str], sign: str
) -> None:
    """A decimal of 5000 digits is an integer, out of range: the core's range error.

    int() refuses more than 4300 decimal digits; before issue 11 such a key
    was reported as not an integer.  The value is described by its number of
    digits, as the core describes a large int by its number of bits.
    """
    value = sign + "7" * 5000
    shown = ("-" if sign == "-" else "") + "<an int of 5000 decimal digits>"
    rule = range_rule(core, core.jump_hash, 2**64, 7)
    done = rvh(core, "--int-key", f"--key={value}", "-b", "7", *mode)
    assert assert_error(done) == f"rvh-stable: error: --key: {rule}, got {shown}\n"
    assert done.stdout == b""
    done = rvh(core, "--int-key", "-b", "7", *mode, stdin=f"1\n{value}\n2\n".encode())
    assert assert_error(done) == f"rvh-stable: error: line 2: {rule}, got {shown}\n"
    assert done.stdout == buckets_text(core, [1], 7)


def test_int_key_leading_zeros_do_not_count(core: ModuleType, mode: list[str]) -> None:
    """Only significant digits count: 5000 zeros and 42 is 42."""
    value = "0" * 5000 + "42"
    done = rvh(core, "--int-key", f"--key={value}", "-b", "57", *mode)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"43\n", b"")
    done = rvh(core, "--int-key", "-b", "57", *mode, stdin=f"-{value}\n{value}\n".encode())
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout == buckets_text(core, [-42, 42], 57)


def test_buckets_of_more_digits_than_int_converts(core: ModuleType) -> None:
    rule = range_rule(core, core.jump_hash, "tx42", 0)
    done = rvh(core, "-k", "tx42", "-b", "9" * 5000)
    assert assert_error(done) == (
        f"rvh-stable: error: --buckets: {rule}, got <an int of 5000 decimal digits>\n"
    )
    done = rvh(core, "-k", "tx42", "-b", "0" * 5000 + "7")
    assert (done.returncode, done.stdout) == (0, f"{core.jump_hash('tx42', 7)}\n".encode())


@pytest.mark.parametrize(
    ("data", "flags", "good", "line", "words"),
    [
        (b"a\nb\n\nc\n", [], ["a", "b"], 3, "key must not be empty, got an empty str"),
        (b"a\r\n\r\n", [], ["a"], 2, "key must not be empty"),
        (b"ok\nfine\n\xff\xfe\n", [], ["ok", "fine"], 3, "not valid UTF-8"),
        (b"ok\nab\xc3", [], ["ok"], 2, "not valid UTF-8"),
        (b"1\n0x2\nthree\n4\n", ["--int-key"], [1, 2], 3, "got 'three'"),
        (b"1\n18446744073709551616\n", ["--int-key"], [1], 2, "key must be an int in [-2**63"),
    ],
)
def test_invalid_line_in_stream(
    core: ModuleType,
    mode: list[str],
    data: bytes,
    flags: list[str],
    good: list[Any],
    line: int,
    words: str,
) -> None:
    done = rvh(core, "-b", "10", *flags, *mode, stdin=data)
    assert_error(done, f"line {line}: ", words)
    # The lines before the invalid one were written, and nothing after it.
    assert done.stdout == "".join(f"{b}\n" for b in core.jump_hash_many(good, 10)).encode()


def test_invalid_line_deep_in_a_stream(core: ModuleType, mode: list[str]) -> None:
    keys = [f"k{i}" for i in range(60_000)]
    keys[50_000] = ""
    done = rvh(core, "-b", "10", *mode, stdin=lines_of(keys))
    assert_error(done, "line 50001: key must not be empty")
    assert done.stdout == "".join(f"{b}\n" for b in core.jump_hash_many(keys[:50_000], 10)).encode()


def test_missing_keys_file(core: ModuleType, tmp_path: Path) -> None:
    done = rvh(core, "-b", "10", "--keys-file", str(tmp_path / "nope.txt"))
    assert_error(done, "--keys-file", "nope.txt")
    assert done.stdout == b""


# --- long lines -------------------------------------------------------------------------

LIMIT = cli.MAX_LINE_BYTES
TOO_LONG = f"longer than the limit of {LIMIT} bytes (1 MiB) for a line"


def test_line_limit_is_documented(core: ModuleType) -> None:
    assert LIMIT == 1 << 20
    assert f"at most {LIMIT} bytes (1 MiB)" in text(rvh(core, "--help").stdout)
    if CLI_GUIDE.exists():  # not when the tests run outside the source tree
        assert f"({LIMIT} bytes)" in CLI_GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "good", "line"),
    [
        (b"a\n" + b"x" * (LIMIT + 1) + b"\nb\n", ["a"], 2),
        (b"a\n" + b"x" * (LIMIT + 1), ["a"], 2),  # the last line, without a line ending
        (b"a\n" + b"x" * LIMIT + b"\r\r\n", ["a"], 2),  # one "\r" is the line ending's
        (b"y" * (3 * LIMIT), [], 1),  # given up on as soon as it is over the limit
        # At the limit: accepted, whatever the line ending.
        (b"x" * LIMIT + b"\n" + b"y" * LIMIT + b"\r\n" + b"z" * LIMIT, None, 0),
    ],
)
def test_line_over_the_limit(
    core: ModuleType,
    mode: list[str],
    tmp_path: Path,
    data: bytes,
    good: list[str] | None,
    line: int,
) -> None:
    path = tmp_path / "keys.txt"
    path.write_bytes(data)
    done = rvh(core, "-b", "10", "--keys-file", str(path), *mode)
    if good is None:
        assert (done.returncode, done.stderr) == (0, b"")
        assert done.stdout == buckets_text(core, ["x" * LIMIT, "y" * LIMIT, "z" * LIMIT], 10)
        return
    assert assert_error(done) == f"rvh-stable: error: line {line}: {TOO_LONG}\n"
    assert done.stdout == buckets_text(core, good, 10)


# Runs the command line in its argv (os.execv) after setting up what a
# terminal would give it, without a preexec_fn (unsafe in a threaded parent):
# SIGINT as Ctrl-C finds it, whatever the parent of pytest ignores, and at
# most argv[1] bytes of address space ("0": no limit).  The limit keeps a
# regression that gathers /dev/zero whole from eating the machine; it is not
# set under AddressSanitizer, whose shadow memory reserves terabytes.
LAUNCHER = """\
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
limit = int(sys.argv[1])
if limit and "libasan" not in os.environ.get("LD_PRELOAD", ""):
    import resource
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):  # not enforced everywhere (macOS)
        pass
os.execv(sys.argv[2], sys.argv[2:])
"""


def launched(*args: str, memory: int = 0) -> list[str]:
    """The command line for the child, started through LAUNCHER (POSIX)."""
    return [sys.executable, "-c", LAUNCHER, str(memory), *command(), *args]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_line(core: ModuleType, mode: list[str]) -> None:
    """--keys-file /dev/zero: no line ending ever, so the limit ends it."""
    done = subprocess.run(
        launched("-b", "10", "--keys-file", "/dev/zero", *mode, memory=1 << 30),
        capture_output=True,
        env=child_env(core),
        timeout=120,
        check=False,
    )
    assert assert_error(done) == f"rvh-stable: error: line 1: {TOO_LONG}\n"
    assert done.stdout == b""


# --- input and output that fail -----------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="Linux: /proc/self/mem")
def test_keys_file_that_fails_to_read(core: ModuleType, mode: list[str]) -> None:
    # Reading a process's own memory at address 0 fails with EIO.
    done = rvh(core, "-b", "10", "--keys-file", "/proc/self/mem", *mode)
    message = f"--keys-file: cannot read '/proc/self/mem': {os.strerror(errno.EIO)}"
    assert assert_error(done) == f"rvh-stable: error: {message}\n"
    assert done.stdout == b""


def test_write_only_stdin(core: ModuleType, mode: list[str], tmp_path: Path) -> None:
    with open(tmp_path / "out.txt", "wb") as stdin:  # opened for writing only: EBADF
        done = subprocess.run(
            [*command(), "-b", "10", *mode],
            stdin=stdin,
            capture_output=True,
            env=child_env(core),
            timeout=120,
            check=False,
        )
    message = assert_error(done, "rvh-stable: error: cannot read stdin: ")
    if os.name != "nt":
        assert message == f"rvh-stable: error: cannot read stdin: {os.strerror(errno.EBADF)}\n"
    assert done.stdout == b""


@pytest.mark.skipif(os.name == "nt", reason="POSIX shell: `>&-`")
@pytest.mark.parametrize("source", ["key", "stream"])
def test_closed_stdout(core: ModuleType, mode: list[str], source: str) -> None:
    """`rvh-stable ... >&-`: Python starts with sys.stdout None."""
    args = ["-k", "tx42"] if source == "key" else []
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *command(), "-b", "10", *args, *mode],
        input=b"a\nb\n",
        stderr=subprocess.PIPE,
        env=child_env(core),
        timeout=120,
        check=False,
    )
    assert assert_error(done) == "rvh-stable: error: cannot write to stdout: it is closed\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(("args", "lines"), [(["-k", "tx42"], 0), ([], 1), ([], 100_000)])
def test_full_disk(core: ModuleType, mode: list[str], args: list[str], lines: int) -> None:
    """`rvh-stable ... >/dev/full`: every write fails with ENOSPC."""
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [*command(), "-b", "10", *args, *mode],
            input=lines_of([f"k{i}" for i in range(lines)]),
            stdout=full,
            stderr=subprocess.PIPE,
            env=child_env(core),
            timeout=120,
            check=False,
        )
    message = f"cannot write to stdout: {os.strerror(errno.ENOSPC)}"
    assert assert_error(done) == f"rvh-stable: error: {message}\n"


@pytest.mark.parametrize(
    "args",
    [
        ["-k", "x"],  # no --buckets
        ["--bogus", "-b", "3"],
        ["-k", "x", "--keys-file", "f", "-b", "3"],
        ["-b", "3", "--level", "loud"],
        ["-b", "3", "--format", "xml"],
        ["-b", "3", "-k"],
    ],
)
def test_usage_errors_keep_argparse_status(core: ModuleType, args: list[str]) -> None:
    done = rvh(core, *args, stdin=b"a\n")
    assert done.returncode == 2
    assert done.stdout == b""
    assert done.stderr.startswith(b"usage: rvh-stable")
    assert b"Traceback" not in done.stderr


# --- --version, --help ------------------------------------------------------------------


def test_version_names_the_core(core: ModuleType) -> None:
    done = rvh(core, "--version")
    assert (done.returncode, done.stderr) == (0, b"")
    assert text(done.stdout) == f"rvh-stable {__version__} ({core.IMPLEMENTATION} core)\n"


def test_help_shows_examples(core: ModuleType) -> None:
    done = rvh(core, "--help")
    assert (done.returncode, done.stderr) == (0, b"")
    shown = text(done.stdout)
    assert shown.startswith("usage: rvh-stable")
    assert "examples:" in shown
    assert "rvh-stable --key TX12345 --buckets 7" in shown
    for option in ("--key", "--keys-file", "--buckets", "--int-key", "--async", "--with-key",
                   "--format", "--level", "--version"):  # fmt: skip
        assert option in shown


def help_examples() -> Iterator[tuple[str, str]]:
    """(command, expected output) for each example in --help that shows its output."""
    blocks = re.findall(r"^  \$ (.*)\n((?:  (?!\$).*\n)+)", hashing.EXAMPLES, re.M)
    for line, output in blocks:
        yield line.split("  #")[0].strip(), "".join(out[2:] + "\n" for out in output.splitlines())


@pytest.mark.skipif(os.name == "nt", reason="the examples are POSIX shell command lines")
def test_help_examples_are_true(core: ModuleType) -> None:
    examples = list(help_examples())
    assert len(examples) >= 5
    env = child_env(core)
    env["PATH"] = os.pathsep.join([str(Path(command()[0]).parent), env["PATH"]])
    for line, expected in examples:
        done = subprocess.run(["sh", "-c", line], capture_output=True, env=env, check=False)
        assert (done.returncode, done.stderr) == (0, b""), line
        assert done.stdout.decode() == expected, line


# --- a closed pipe --------------------------------------------------------------------------


def test_broken_pipe_ends_quietly(core: ModuleType, mode: list[str], tmp_path: Path) -> None:
    """`rvh-stable ... | head -n 1`: the reader goes away, and no traceback is printed."""
    path = tmp_path / "keys.txt"
    path.write_bytes(lines_of([f"key-{i}" for i in range(300_000)]))
    with open(path, "rb") as stdin:
        child = subprocess.Popen(
            [*command(), "-b", "1000", *mode],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(core),
        )
        assert child.stdout is not None and child.stderr is not None
        first = child.stdout.readline()  # what head -n 1 does: read a line, then close
        child.stdout.close()
        errors = child.stderr.read()
        child.wait(timeout=120)
    assert first == f"{core.jump_hash('key-0', 1000)}\n".encode()
    assert errors == b""
    assert child.returncode == 1


# --- Ctrl-C ---------------------------------------------------------------------------------


def pipe_fill(fd: int) -> int:
    """How many bytes wait in the pipe ``fd`` reads from."""
    import array
    import fcntl
    import termios

    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


@pytest.mark.skipif(os.name == "nt", reason="POSIX: SIGINT to a child, FIONREAD on a pipe")
def test_ctrl_c_leaves_no_half_line(core: ModuleType, mode: list[str], tmp_path: Path) -> None:
    """SIGINT while a chunk's lines are being written: the output ends with a whole line.

    The reader does not read, so the child blocks in the write of its first
    chunk with the pipe full (64 KiB, a multiple of 4096: never a boundary
    of these 9-byte lines).  The signal cuts that write short; before issue
    11 the KeyboardInterrupt left the output there, mid-line.  Now the chunk
    is finished first, and the exit status is still 130.
    """
    keys = [f"{i % 10**6:06d}" for i in range(150_000)]  # "000123\t4\n": 9 bytes a line
    path = tmp_path / "keys.txt"
    path.write_bytes(lines_of(keys))
    with open(path, "rb") as stdin:
        child = subprocess.Popen(
            launched("-b", "10", "--with-key", *mode),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(core),
        )
    assert child.stdout is not None and child.stderr is not None
    # Wait until the pipe is full: its fill stops growing.
    deadline = time.monotonic() + 120
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        fill = pipe_fill(child.stdout.fileno())
        if fill != last:
            last, since = fill, time.monotonic()
        elif fill and time.monotonic() - since > 0.3:
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGINT)
    out = child.stdout.read()
    errors = child.stderr.read()
    assert (child.wait(timeout=120), errors) == (130, b"")
    assert out.endswith(b"\n"), out[-30:]
    lines = out.decode().splitlines()
    assert 0 < len(lines) < len(keys)  # interrupted, after whole lines only
    buckets = core.jump_hash_many(keys[: len(lines)], 10)
    assert lines == [f"{k}\t{b}" for k, b in zip(keys, buckets, strict=False)]


# --- entry points -------------------------------------------------------------------------


def test_every_entry_point_runs_the_same_main(core: ModuleType) -> None:
    command()  # the console script is there
    expected = f"{core.jump_hash('TX12345', 7)}\n".encode()
    for name, entry in ENTRY_POINTS.items():
        done = rvh(core, "-k", "TX12345", "-b", "7", entry=entry)
        assert (done.returncode, done.stdout, done.stderr) == (0, expected, b""), name
        done = rvh(core, "--version", entry=entry)
        assert done.stdout.startswith(b"rvh-stable "), name


def test_main_in_process(
    core: ModuleType, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main_in_process(core, monkeypatch, "-k", "tx42", "-b", "10") == 0
    assert capsysbinary.readouterr() == (f"{core.jump_hash('tx42', 10)}\n".encode(), b"")
    assert main_in_process(core, monkeypatch, "-k", "", "-b", "10") == 1
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert err.decode() == f"rvh-stable: error: --key: {core_message(core.jump_hash, '', 10)}\n"
    assert cli.main(["--bogus"]) == 2
    assert cli.main(["--version"]) == 0
    assert capsysbinary.readouterr().out.startswith(b"rvh-stable ")


def test_main_is_exported() -> None:
    import rvh_stable
    from rvh_stable.app_stable import main as app_main

    assert rvh_stable.main is cli.main
    assert app_main is cli.main
    assert "main" in rvh_stable.__all__


# --- --hasher and --seed ------------------------------------------------------------


def test_hasher_and_seed(core: ModuleType, mode: list[str]) -> None:
    # lithammer/go-jump-consistent-hash's published vectors (tests/data).
    lines = "localhost\n中国\n".encode()
    done = rvh(core, "-b", "10", "--hasher", "crc32", "--with-key", *mode, stdin=lines)
    crc32 = recorded_hashes("crc32")  # Go's hash/crc32
    assert (done.returncode, text(done.stdout)) == (
        0,
        f"localhost\t9\n中国\t{jump(crc32['中国'], 10)}\n",
    )
    done = rvh(core, "-k", "中国", "-b", "10", "--hasher", "fnv1a_64", *mode)
    assert (done.returncode, done.stdout) == (0, b"5\n")
    done = rvh(core, "-k", "abc", "-b", "1000", "--hasher", "murmur3_128", "--seed=-1", *mode)
    want = jump(recorded_hashes("murmur3_128", -1)["abc"], 1000)  # Guava's murmur3_128(-1)
    assert (done.returncode, done.stdout) == (0, f"{want}\n".encode())
    # --int-key keys are their own integer, whatever the hasher.
    done = rvh(core, "--int-key", "-k", "42", "-b", "57", "--hasher", "crc32", *mode)
    assert done.stdout == b"43\n"


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (["--hasher", "crc32", "--seed", "1"], ["--seed: the crc32 hasher takes no seed"]),
        (["--seed", "-1"], ["--seed must be an int in [0, 2**64) for the xxh64 hasher, got -1"]),
        (["--seed", "ab"], ["--seed must be an integer, got 'ab'"]),
        (["--seed", "9" * 5000], ["--seed must be an int in [0, 2**64)"]),
    ],
)
def test_bad_seed(core: ModuleType, args: list[str], parts: list[str]) -> None:
    assert_error(rvh(core, "-k", "x", "-b", "10", *args), *parts)


@pytest.mark.parametrize("hasher", list(_rules.HASHER_TABLE))
def test_every_hasher_of_the_table(core: ModuleType, hasher: str) -> None:
    """--hasher takes each row of _rules.HASHER_TABLE, with a seed where it takes one."""
    spec = _rules.HASHER_TABLE[hasher]
    seeds: list[int | None] = [None] if spec.seeds is None else [None, spec.seeds[1] - 1]
    for seed in seeds:
        # Keys whose hash another library recorded (tests/reference.py).
        recorded = recorded_hashes(hasher, seed)
        keys = [k for k in recorded if isinstance(k, str) and k.isprintable() and " " not in k]
        keys = keys[:4] + keys[-2:]
        flags = [] if seed is None else [f"--seed={seed}"]
        done = rvh(core, "-b", "1000", "--hasher", hasher, *flags, stdin=lines_of(keys))
        assert (done.returncode, done.stderr) == (0, b"")
        want = [jump(recorded[k], 1000) for k in keys]
        assert done.stdout == "".join(f"{b}\n" for b in want).encode()
    if spec.seeds is None:
        assert_error(rvh(core, "-k", "x", "-b", "10", "--hasher", hasher, "--seed", "1"), "no seed")


def test_unknown_hasher_is_a_usage_error(core: ModuleType) -> None:
    done = rvh(core, "-k", "x", "-b", "10", "--hasher", "md5")
    assert done.returncode == 2
    assert "invalid choice: 'md5'" in text(done.stderr)


def test_variant(core: ModuleType, mode: list[str]) -> None:
    # The keys: Guava gives 0 at n=2 and 48 at n=2**30; the paper 1 and 2**30-1.
    keys = b"4626093953513826134\n"
    for variant, want in (("guava", b"0\n"), ("paper", b"1\n")):
        done = rvh(core, "--int-key", "-b", "2", "--variant", variant, *mode, stdin=keys)
        assert (done.returncode, done.stdout) == (0, want)
    done = rvh(
        core, "--int-key", "-k", "8733038231761546088", "-b", str(2**30), "--variant", "guava"
    )
    assert done.stdout == b"48\n"
    done = rvh(core, "-k", "x", "-b", "10", "--variant", "java")
    assert done.returncode == 2 and "invalid choice: 'java'" in text(done.stderr)
