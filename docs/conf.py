"""Sphinx configuration of the rvh_stable documentation site.

Build: ``python -m sphinx -W -b html docs docs/_build/html``; run the
examples: ``python -m sphinx -W -b doctest docs docs/_build/doctest``
(``pip install -e '.[docs]'`` installs both the package and the tools).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

# The pages document the rvh_stable that is installed (`pip install -e
# '.[docs]'`, or Read the Docs' `pip install .[docs]`), with its compiled
# core; only when none is installed is the checkout itself imported.
try:
    rvh_stable = importlib.import_module("rvh_stable")
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    rvh_stable = importlib.import_module("rvh_stable")

project = "rvh_stable"
author = "The rvh_stable developers"
copyright = "the rvh_stable developers, MIT licence"
version = release = rvh_stable.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]

# MyST: the README's Markdown, as it is. Headings get anchors down to
# level 3, so links such as ``guides/interop.md#key-hashers`` resolve.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
# "console" blocks are shell sessions; "text" blocks print messages.
highlight_language = "python"

# autodoc: the signatures come from the first line of each docstring (the
# compiled functions carry theirs there, as the pure twin's do).
autodoc_docstring_signature = True
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True

html_theme = "furo"
html_title = f"rvh_stable {release}"
html_static_path: list[str] = []

# The doctest builder runs the same examples as the pages show; output is
# matched with ELLIPSIS, as tests/test_readme.py matches the README's.
doctest_default_flags = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1


class PythonSessions(SphinxTransform):
    """Mark each ```python block that holds a ``>>>`` session as a doctest.

    The pages keep the README's style (a ``python`` fence holding an
    interactive session), so a section moves between the README and the
    site unchanged, and the doctest builder still runs every example. A
    ``python`` block without ``>>>`` (a recipe that needs a cluster or a
    server) is shown, not run.
    """

    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        for node in self.document.findall(nodes.literal_block):
            if node.get("language") in ("python", "pycon") and node.astext().lstrip().startswith(
                ">>>"
            ):
                node["testnodetype"] = "doctest"
                node["groups"] = ["default"]
                node["options"] = {}
                node["language"] = "pycon"


def real_signature(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str, str | None] | None:
    """Python functions show their real signature, every default spelled out.

    A docstring's first line names the signature because the compiled
    functions have no other (tests/test_docs.py holds those to the stubs);
    where a line was too long for it, a Python function's first line
    shortens its defaults to ``...``, and the function itself knows better.
    """
    if not (inspect.isfunction(obj) or inspect.ismethod(obj)):  # not a builtin
        return None
    real = inspect.signature(obj)
    parameters = list(real.parameters.values())
    if what == "method" and parameters and parameters[0].name == "self":
        del parameters[0]
    shown = real.replace(
        parameters=[p.replace(annotation=p.empty) for p in parameters],
        return_annotation=inspect.Signature.empty,
    )
    # The docstring's result, where it names one, says more than ``Any``.
    if return_annotation:
        return str(shown), return_annotation
    result = real.return_annotation
    return str(shown), None if result is inspect.Signature.empty else str(result)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(PythonSessions)
    app.connect("autodoc-process-signature", real_signature)
    return {"parallel_read_safe": True}
