"""The command line under the original design's name.

``python -m rvh_stable.app_stable`` is ``rvh-stable``: this module only
delegates to :func:`rvh_stable.cli.main`, and is kept so that the name the
original design used keeps working.
"""

from __future__ import annotations

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
