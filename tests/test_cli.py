"""The rvh-stable command line, run in subprocesses over both cores, sync and --async.

The ``core`` fixture gives the core whose answers are expected; the child runs
with RVH_STABLE_NO_EXTENSIONS=1 for the pure one and =0 for the compiled one
(``test_version_names_the_core`` checks that the child really runs it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rvh_stable import __version__, cli

SCRIPT_NAME = "rvh-stable.exe" if os.name == "nt" else "rvh-stable"
# Next to the interpreter (a venv, Unix installs); on Windows outside a venv
# pip puts scripts in Scripts\, which sysconfig names.
SCRIPT = next(
    (
        path
        for path in (
            Path(sys.executable).parent / SCRIPT_NAME,
            Path(sysconfig.get_path("scripts")) / SCRIPT_NAME,
        )
        if path.exists()
    ),
    Path(sys.executable).parent / SCRIPT_NAME,
)

# The same command line, however it is started.
ENTRY_POINTS = {
    "console script": [str(SCRIPT)],
    "python -m rvh_stable": [sys.executable, "-m", "rvh_stable"],
    "python -m rvh_stable.cli": [sys.executable, "-m", "rvh_stable.cli"],
    "python -m rvh_stable.app_stable": [sys.executable, "-m", "rvh_stable.app_stable"],
}

Arg = str | bytes


def command() -> list[str]:
    if not SCRIPT.exists():
        pytest.fail(
            f"the rvh-stable console script is missing ({SCRIPT}): install the package "
            "(pip install -e .) with the [project.scripts] entry "
            '`rvh-stable = "rvh_stable.cli:main"` in pyproject.toml'
        )
    return [str(SCRIPT)]


def child_env(core: ModuleType) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    env["RVH_STABLE_NO_EXTENSIONS"] = "1" if core.IMPLEMENTATION == "python" else "0"
    env["PYTHON_COLORS"] = "0"  # argparse colours its help on 3.14 when forced to
    env["PYTHONUTF8"] = "1"  # messages quote keys: let Windows' stderr be UTF-8 too
    return env


def text(data: bytes) -> str:
    """What argparse and logging wrote, with Windows' text-mode line endings undone."""
    return data.decode("utf-8").replace("\r\n", "\n")


def rvh(
    core: ModuleType,
    *args: Arg,
    stdin: bytes | None = None,
    entry: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*(entry or command()), *args],
        input=stdin,
        capture_output=True,
        env=env or child_env(core),
        timeout=120,
        check=False,
    )


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> list[str]:
    """Extra arguments: none, or --async."""
    return [] if request.param == "sync" else ["--async"]


def lines_of(keys: Sequence[str], endings: Sequence[str] = ("\n",)) -> bytes:
    return "".join(k + endings[i % len(endings)] for i, k in enumerate(keys)).encode()


def assert_error(done: subprocess.CompletedProcess[bytes], *parts: str) -> str:
    """Exit status 1, one line on stderr holding ``parts``, no traceback."""
    message = text(done.stderr)
    assert done.returncode == 1, message
    assert message.startswith("rvh-stable: error: "), message
    assert message.endswith("\n")
    assert message.count("\n") == 1, message
    for part in parts:
        assert part in message
    return message


def core_message(func: Any, *args: Any) -> str:
    with pytest.raises((ValueError, TypeError)) as info:
        func(*args)
    return str(info.value)


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

    monkeypatch.setattr(cli, "jump_hash_many", recording)
    monkeypatch.setattr(cli, "jump_hash", core.jump_hash)
    assert cli.main(["-b", "1000", "--keys-file", str(path)]) == 0
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
cli.CHUNK_BYTES = int(sys.argv[1]) or cli.CHUNK_BYTES
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
    blocks = re.findall(r"^  \$ (.*)\n((?:  (?!\$).*\n)+)", cli.EXAMPLES, re.M)
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
    monkeypatch.setattr(cli, "jump_hash", core.jump_hash)
    monkeypatch.setattr(cli, "jump_hash_many", core.jump_hash_many)
    assert cli.main(["-k", "tx42", "-b", "10"]) == 0
    assert capsysbinary.readouterr() == (f"{core.jump_hash('tx42', 10)}\n".encode(), b"")
    assert cli.main(["-k", "", "-b", "10"]) == 1
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
