"""``python -m kvant.kms KME.toml``: run one KME server (what :class:`KmeProcess` starts)."""

from __future__ import annotations

import sys

from kvant.kms._server import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
