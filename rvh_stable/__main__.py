"""``python -m rvh_stable``: the ``rvh-stable`` command line (see rvh_stable.cli)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
