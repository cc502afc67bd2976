"""Sphinx configuration of the rvh_stable documentation site.

Build: ``python -m sphinx -W -b html docs docs/_build/html``; run the
examples: ``python -m sphinx -W -b doctest docs docs/_build/doctest``
(``pip install -e '.[docs]'`` installs both the package and the tools).
"""

from __future__ import annotations

import doctest
import importlib
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


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(PythonSessions)
    return {"parallel_read_safe": True}
