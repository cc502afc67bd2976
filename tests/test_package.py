"""The package picks a core at import, and string keys are stable across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import rvh_stable

# Run children from an empty folder so they import the installed package.
NEUTRAL_CWD = Path(__file__).parent / "data"


def run_python(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "RVH_STABLE_NO_EXTENSIONS"}
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        cwd=NEUTRAL_CWD,
    )
    return done.stdout.strip()


def test_public_api() -> None:
    assert set(rvh_stable.__all__) >= {
        "IMPLEMENTATION",
        "KERNEL",
        "MAX_BUCKETS",
        "__version__",
        "hash_key",
        "jump_hash",
        "jump_hash_many",
    }
    assert rvh_stable.jump_hash(42, 57) == 43
    assert rvh_stable.jump_hash_many([42, -42], 57) == [43, 8]


def test_version_is_single_sourced() -> None:
    from importlib.metadata import version

    from rvh_stable._version import __version__

    assert rvh_stable.__version__ == __version__
    assert version("rvh_stable") == __version__


def test_compiled_core_is_picked_by_default(compiled_core: ModuleType) -> None:
    assert run_python("import rvh_stable; print(rvh_stable.IMPLEMENTATION)") == "cython"
    code = "import rvh_stable, rvh_stable._jump as j; print(rvh_stable.jump_hash is j.jump_hash)"
    assert run_python(code) == "True"


def test_compiled_core_reads_int_digits_where_it_knows_the_layout(
    compiled_core: ModuleType,
) -> None:
    # CPython 3.10 to 3.14: exact ints are read from their digits.  Elsewhere,
    # or built with -DRVH_PUBLIC_INT_API (tests/test_packaging.py), through
    # the public C API.
    known = sys.implementation.name == "cpython" and sys.version_info < (3, 15)
    forced = "-DRVH_PUBLIC_INT_API" in os.environ.get("CFLAGS", "")
    assert compiled_core._READS_INT_DIGITS is (known and not forced)


def test_compiled_jump_hash_is_a_builtin_of_its_module(compiled_core: ModuleType) -> None:
    import pickle

    jump_hash = compiled_core.jump_hash
    assert jump_hash.__self__ is compiled_core
    assert jump_hash.__module__ == "rvh_stable._jump"
    assert jump_hash.__name__ == "jump_hash"
    signature = (
        'jump_hash(key, num_buckets, *, hasher="xxh64", seed=None, variant="paper", '
        'algorithm="jump") -> int\n'
    )
    assert jump_hash.__doc__.startswith(signature)
    assert pickle.loads(pickle.dumps(jump_hash)) is jump_hash
    # The decorator that built it (rvh_new_jump_hash in _c/py/fast_entry.h) is gone:
    # a second call would replace the general path behind the builtin.
    assert not hasattr(compiled_core, "_fast_entry")


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_environment_variable_forces_the_pure_core(value: str) -> None:
    code = "import rvh_stable; print(rvh_stable.IMPLEMENTATION, rvh_stable.jump_hash('tx42', 1000))"
    assert run_python(code, RVH_STABLE_NO_EXTENSIONS=value) == "python 626"


def test_environment_variable_zero_keeps_the_compiled_core(compiled_core: ModuleType) -> None:
    code = "import rvh_stable; print(rvh_stable.IMPLEMENTATION)"
    assert run_python(code, RVH_STABLE_NO_EXTENSIONS="0") == "cython"


def test_missing_extension_falls_back_to_pure() -> None:
    code = (
        "import sys; sys.modules['rvh_stable._jump'] = None\n"
        "import rvh_stable; print(rvh_stable.IMPLEMENTATION)"
    )
    assert run_python(code) == "python"


KEYS = ["tx42", "TX12345", "ключ", "键", "🔑", "a\x00b", "x" * 100]
PROBE = (
    "import json, rvh_stable\n"
    f"keys = {KEYS!r}\n"
    "print(json.dumps([rvh_stable.jump_hash(k, 1000) for k in keys]"
    " + [rvh_stable.jump_hash(k.encode(), 65536) for k in keys]"
    " + [rvh_stable.hash_key(k) for k in keys]))"
)


@pytest.mark.parametrize("no_ext", ["0", "1"], ids=["default-core", "pure-core"])
def test_string_keys_are_stable_across_processes(
    no_ext: str, request: pytest.FixtureRequest
) -> None:
    if no_ext == "0":
        request.getfixturevalue("compiled_core")
    results = {
        seed: json.loads(run_python(PROBE, PYTHONHASHSEED=seed, RVH_STABLE_NO_EXTENSIONS=no_ext))
        for seed in ("0", "1", "12345", "4294967295", "random")
    }
    assert len({json.dumps(r) for r in results.values()}) == 1
    # ...and the hash-seed really does change what hash() gives in those processes.
    builtin = {seed: run_python("print(hash('tx42'))", PYTHONHASHSEED=seed) for seed in ("1", "2")}
    assert builtin["1"] != builtin["2"]
    expected = [rvh_stable.jump_hash(k, 1000) for k in KEYS]
    assert results["0"][: len(KEYS)] == expected


# --- fallbacks nobody asked for warn ------------------------------------------------


def source_copy(tmp_path: Path, *, broken_core: bool = False) -> Path:
    """A copy of the package's source (Python files and the .pyx, no build)."""
    package = Path(rvh_stable.__file__).parent
    target = tmp_path / "rvh_stable"
    target.mkdir()
    for path in package.rglob("*.py"):  # its subpackages too
        copy = target / path.relative_to(package)
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(path.read_bytes())
    if broken_core:  # a compiled core that is there but fails to load
        (target / "_jump.py").write_text("raise ImportError('built for another Python')\n")
    else:
        (target / "_jump.pyx").write_text("# the source of the compiled core\n")
    return tmp_path


def import_in(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "RVH_STABLE_NO_EXTENSIONS"}
    environ.update(env)
    # -S: no site-packages, so that only the copy can be imported (an
    # editable install's finder would otherwise supply the built core).
    return subprocess.run(
        [sys.executable, "-S", "-c", "import rvh_stable; print(rvh_stable.IMPLEMENTATION)"],
        env=environ,
        capture_output=True,
        text=True,
        cwd=folder,
    )


def test_a_source_tree_without_a_build_warns(tmp_path: Path) -> None:
    done = import_in(source_copy(tmp_path))
    assert done.stdout.strip() == "python"
    assert "RuntimeWarning: rvh_stable: imported from the source tree" in done.stderr
    assert "pip install -e ." in done.stderr
    # Asked for: no warning.
    done = import_in(tmp_path, RVH_STABLE_NO_EXTENSIONS="1")
    assert (done.stdout.strip(), done.stderr) == ("python", "")


def test_a_core_that_cannot_load_warns(tmp_path: Path) -> None:
    done = import_in(source_copy(tmp_path, broken_core=True))
    assert done.stdout.strip() == "python"
    assert (
        "RuntimeWarning: rvh_stable: the compiled core could not be loaded "
        "(built for another Python)" in done.stderr
    )


def test_an_installed_pure_build_does_not_warn(tmp_path: Path) -> None:
    # A pure install has neither the extension nor the .pyx.
    folder = source_copy(tmp_path)
    (folder / "rvh_stable" / "_jump.pyx").unlink()
    done = import_in(folder)
    assert (done.stdout.strip(), done.stderr) == ("python", "")


def test_an_isolated_subinterpreter_warns(compiled_core: ModuleType) -> None:
    # Python 3.12 and later run subinterpreters with a GIL of their own,
    # where the compiled core (which keeps process-wide state) refuses to
    # load; 3.11's shared-GIL subinterpreters load it.
    interpreters = None
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            interpreters = __import__(name)
            break
        except ImportError:
            pass
    if interpreters is None or sys.version_info < (3, 12):
        pytest.skip("needs Python 3.12+ with isolated subinterpreters")
    code = (
        "import warnings, sys\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import rvh_stable\n"
        "print(rvh_stable.IMPLEMENTATION, [str(w.message) for w in caught], file=sys.stderr)\n"
    )
    run = getattr(interpreters, "exec", None) or interpreters.run_string
    program = (
        f"import {interpreters.__name__} as i\nx = i.create()\ni.{run.__name__}(x, {code!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=NEUTRAL_CWD
    )
    assert "python" in done.stderr and "could not be loaded" in done.stderr, done.stderr


def test_the_engine_layers_import_no_engine() -> None:
    # pyspark and ray are optional extras: importing rvh_stable, or its Spark
    # layer, never imports them; without PySpark the layer says what to install.
    code = (
        "import sys, rvh_stable, rvh_stable.spark, rvh_stable.dask\n"
        "print(sorted(m for m in ('pyspark', 'ray', 'pandas', 'dask') if m in sys.modules))\n"
        "sys.modules['pyspark'] = None\n"
        "try:\n"
        "    rvh_stable.spark._udf({})\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    lines = run_python(code).splitlines()
    assert lines[0] == "[]"
    assert (
        lines[1] == "rvh_stable.spark needs PySpark 3.5 or later: pip install 'rvh-stable[spark]'"
    )
