"""The documentation site in docs/: it builds with warnings as errors, its
examples run (Sphinx's doctest builder), and its index names every public
function, class, method and attribute.  Also: the compiled core's docstrings,
the pure twin's and the ``.pyi`` stubs agree on every signature the site shows.

The site is built in a child process with ``python -m sphinx``, run from a
temporary folder, so it documents the rvh_stable that the tests import.
Building it needs the ``[docs]`` tools, which the ``[test]`` extra installs;
without them the tests skip, or fail when ``CI`` is set (unless
``RVH_STABLE_DOCS_TESTS=optional``, for runs that install no extras).
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import rvh_stable
from rvh_stable import aio, cli, dask, planning, pymemcache, router, spark

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
STUBS = ROOT / "rvh_stable" / "_jump.pyi"
TOOLS = ("sphinx", "furo", "myst_parser")
MIN_EXAMPLES = 60

pytestmark = pytest.mark.skipif(
    not (DOCS / "conf.py").exists(), reason="tests run outside the source tree"
)


def require_tools() -> None:
    absent = [name for name in TOOLS if importlib.util.find_spec(name) is None]
    if not absent:
        return
    what = (
        f"the documentation tools {', '.join(absent)} are not installed (pip install -e '.[docs]')"
    )
    if os.environ.get("CI") and os.environ.get("RVH_STABLE_DOCS_TESTS") != "optional":
        pytest.fail(f"{what}; CI is set, so the site must build", pytrace=False)
    pytest.skip(what)


def sphinx(builder: str, out: Path) -> subprocess.CompletedProcess[str]:
    """``python -m sphinx -W -b builder docs out``, from out's parent folder
    (not the checkout, whose folder on sys.path would shadow the package)."""
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder]
    return subprocess.run(
        [*command, str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=out.parent,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built as HTML, warnings as errors."""
    require_tools()
    out = tmp_path_factory.mktemp("docs") / "html"
    built = sphinx("html", out)
    assert built.returncode == 0, built.stderr
    return out


def test_the_site_builds_without_a_warning(site: Path) -> None:
    for page in ("index", "quickstart", "api", "spec", "performance", "changelog"):
        assert (site / f"{page}.html").is_file(), page
    for guide in (DOCS / "guides").glob("*.md"):
        assert (site / "guides" / f"{guide.stem}.html").is_file(), guide.name


def test_the_performance_page_shows_the_chart(site: Path) -> None:
    page = (site / "performance.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]* src="([^"]+)"', page)
    assert any(src.endswith("ns_per_key.png") for src in images), images
    for src in images:
        assert (site / src).is_file(), src
    assert page.count("<table") >= 4


def test_every_example_runs(compiled_core: ModuleType, tmp_path: Path) -> None:
    # compiled_core: the pages show the compiled core's IMPLEMENTATION.
    require_tools()
    done = sphinx("doctest", tmp_path / "doctest")
    report = (tmp_path / "doctest" / "output.txt").read_text(encoding="utf-8")
    summary = re.search(r"(\d+) tests?\n\s*(\d+) failures? in tests", report)
    assert summary, report
    examples, failures = map(int, summary.groups())
    assert failures == 0, report
    assert done.returncode == 0, done.stderr
    assert examples >= MIN_EXAMPLES, report


# --- the index -----------------------------------------------------------------------


def inventory(site: Path) -> set[str]:
    """The Python objects in the site's objects.inv (its index of names)."""
    data = (site / "objects.inv").read_bytes()
    header = data.split(b"\n", 4)
    assert header[0] == b"# Sphinx inventory version 2", header[0]
    names = set()
    for line in zlib.decompress(header[4]).decode("utf-8").splitlines():
        name, role = line.split(" ", 2)[:2]
        if role.startswith("py:"):
            names.add(name)
    return names


def public_members(cls: type, instance: object) -> set[str]:
    """A class's public methods, properties and attributes, including those an
    instance sets (Router's lookups, Plan's figures)."""
    names = {name for name in dir(cls) if not name.startswith("_")}
    names |= {name for name in getattr(instance, "__dict__", {}) if not name.startswith("_")}
    names |= {name for name in getattr(cls, "__slots__", ()) if not name.startswith("_")}
    return names


def places(obj: Any, module: ModuleType, name: str) -> set[str]:
    """Where the index may name ``obj``: in its module, or in rvh_stable's face."""
    found = {f"{module.__name__}.{name}"}
    if getattr(rvh_stable, name, None) is obj:
        found.add(f"rvh_stable.{name}")
    return found


def test_the_index_names_every_public_name(site: Path) -> None:
    indexed = inventory(site)
    missing = []
    for module in (rvh_stable, aio, cli, dask, planning, pymemcache, router, spark):
        for name in module.__all__:
            if not places(getattr(module, name), module, name) & indexed:
                missing.append(f"{module.__name__}.{name}")
    tally = planning.Tally(10, 12)
    tally.add(["user:1", "user:2"])
    classes: list[tuple[type, object, ModuleType]] = [
        (router.Router, router.Router(["a", "b"]), router),
        (planning.Plan, tally.plan(), planning),
        (planning.Tally, tally, planning),
        (pymemcache.Hasher, pymemcache.Hasher(), pymemcache),
    ]
    for cls, instance, module in classes:
        owners = places(cls, module, cls.__name__)
        for member in sorted(public_members(cls, instance)):
            if not {f"{owner}.{member}" for owner in owners} & indexed:
                missing.append(f"{cls.__name__}.{member}")
    assert not missing, missing


def test_the_public_names_are_many() -> None:
    # The check above is only as good as its list: it covers the face and the
    # four classes, methods and instance attributes included.
    members = public_members(router.Router, router.Router(["a"]))
    assert {"node_for", "nodes_for", "slot_for", "slots_for", "add", "down"} <= members
    assert "jump_hash" in rvh_stable.__all__


# --- signatures: compiled docstrings, pure docstrings, stubs --------------------------

Parameter = tuple[str, str, object]  # name, kind, default (EMPTY when none)
EMPTY = "<none>"
STUB_DEFAULT = "<a default>"


def arguments(args: ast.arguments, *, stub: bool = False) -> list[Parameter]:
    """The parameters of ``args`` as (name, kind, default); a stub's ``...``
    defaults are only "has a default"."""

    def value(node: ast.expr | None) -> object:
        if node is None:
            return EMPTY
        return STUB_DEFAULT if stub else ast.literal_eval(node)

    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    found = [
        (arg.arg, "positional", value(default))
        for arg, default in zip(positional, defaults, strict=True)
    ]
    found += [
        (arg.arg, "keyword", value(default))
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
    ]
    return found


def docstring_signature(function: Any) -> tuple[str, list[Parameter]]:
    """The first line of a docstring, ``name(params) -> result``, and its
    parameters; it must be valid Python, as autodoc reads it."""
    first = (function.__doc__ or "").splitlines()[0]
    match = re.fullmatch(r"(\w+)\((.*)\)(?: -> .+)?", first)
    assert match, f"{function.__name__}: no signature line: {first!r}"
    tree = ast.parse(f"def {match.group(1)}({match.group(2)}): pass")
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    return first, arguments(definition.args)


def stub_functions() -> dict[str, list[Parameter]]:
    tree = ast.parse(STUBS.read_text(encoding="utf-8"))
    return {
        node.name: arguments(node.args, stub=True)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def test_the_stubs_name_the_public_functions() -> None:
    # Every function rvh_stable takes from its core has a stub, and no more.
    from rvh_stable import _core

    from_core = {
        name
        for name in rvh_stable.__all__
        if callable(getattr(rvh_stable, name)) and getattr(_core, name, None) is not None
    }
    assert from_core == set(stub_functions())


def pure_parameters(function: Any) -> list[Parameter]:
    kinds: dict[Any, str] = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.KEYWORD_ONLY: "keyword",
    }
    return [
        (p.name, kinds[p.kind], EMPTY if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(function).parameters.values()
    ]


@pytest.mark.parametrize("name", sorted(stub_functions()))
def test_docstrings_and_stubs_agree(cores: tuple[ModuleType, ModuleType], name: str) -> None:
    compiled, pure = (getattr(core, name) for core in cores)
    compiled_line, compiled_parameters = docstring_signature(compiled)
    pure_line, pure_parameters_shown = docstring_signature(pure)
    # The site shows the first line of the core that runs: both say the same.
    assert compiled_line == pure_line
    # It is the pure function's real signature, names, kinds and defaults.
    assert compiled_parameters == pure_parameters(pure)
    # And the stubs' (whose defaults are ``...``).
    shown = [
        (n, kind, EMPTY if d == EMPTY else STUB_DEFAULT) for n, kind, d in pure_parameters_shown
    ]
    assert shown == stub_functions()[name]
