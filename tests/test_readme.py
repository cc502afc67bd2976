"""The README's Python examples run and print what it says."""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from types import ModuleType

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.skipif(not README.exists(), reason="tests run outside the source tree")
def test_readme_examples(compiled_core: ModuleType) -> None:
    # compiled_core: the README shows the compiled core's IMPLEMENTATION.
    pytest.importorskip("numpy")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README block {number}", str(README), 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert runner.summarize(verbose=False).attempted >= 8
