"""``python -m rvh_stable.cli``: the ``rvh-stable`` command line."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
