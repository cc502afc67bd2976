"""The README: a landing page whose Python examples run and print what it says.

The rest of the documentation is the site in docs/ (tests/test_docs.py).
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

pytestmark = pytest.mark.skipif(not README.exists(), reason="tests run outside the source tree")

#: The README's two commands, word for word (.ci/run runs the second).
RUN = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install . "
    "&& rvh-stable --key tx42 --buckets 10"
)
TEST = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest"


def text() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_examples(compiled_core: ModuleType) -> None:
    # compiled_core: the README shows the compiled core's IMPLEMENTATION.
    pytest.importorskip("numpy")
    blocks = re.findall(r"```python\n(.*?)```", text(), re.S)
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README block {number}", str(README), 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert runner.summarize(verbose=False).attempted >= 8


def test_readme_is_a_landing_page() -> None:
    assert len(text().splitlines()) <= 250


def test_readme_gives_the_two_commands_exactly(core: ModuleType) -> None:
    shell = [
        line
        for block in re.findall(r"```sh\n(.*?)```", text(), re.S)
        for line in block.splitlines()
        if not line.startswith("#")
    ]
    assert shell == [RUN, TEST]
    # What the first prints: the bucket of "tx42" among 10.
    assert "prints `0`." in text()
    assert core.jump_hash("tx42", 10) == 0


def test_readme_links_into_the_site() -> None:
    # Every relative link names a file of the checkout, and every page of the
    # site's guides is linked from the README.
    targets = re.findall(r"\]\(([^)#:]+)\)", text())
    assert targets
    for target in targets:
        assert (ROOT / target).exists(), target
    guides = {f"docs/guides/{page.name}" for page in (ROOT / "docs" / "guides").glob("*.md")}
    assert guides
    assert guides <= set(targets)
