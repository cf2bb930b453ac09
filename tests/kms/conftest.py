"""Fixtures of the KMS tests: a development PKI and a chain of real KME processes on loopback.

``kms_net``: KMEs ``kme-a - kme-b - kme-c`` (a-b and b-c share QKD links; a and c reach each other
by relay through b), each a real ``python -m kvant.kms`` process serving ETSI GS QKD 014 over
mutual TLS with its own SQLite store. SAEs: ``sae-1`` at kme-a, ``sae-2`` and ``sae-3`` at kme-b,
``sae-4`` at kme-c. One network per test session (per xdist worker).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kvant.kms import LoopbackNetwork


def _load_helper(name: str) -> object:
    """Import a helper module of this folder by path (pytest runs with --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


# The STORE engineer's PostgreSQL fixtures (a real throw-away server; skip with a reason if none).
_pg = _load_helper("_postgres_server")
postgres_server = _pg.postgres_server  # type: ignore[attr-defined]
postgres_url = _pg.postgres_url  # type: ignore[attr-defined]

LINK_UNITS = 3000
SAES = {"kme-a": ["sae-1"], "kme-b": ["sae-2", "sae-3"], "kme-c": ["sae-4"]}


@pytest.fixture(scope="session")
def kms_net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackNetwork]:
    """Three KME processes on loopback with LINK_UNITS units of key on each link."""
    net = LoopbackNetwork(tmp_path_factory.mktemp("kms-net"), ["kme-a", "kme-b", "kme-c"], SAES)
    net.write()
    net.supply_links(LINK_UNITS)
    with net:
        net.start()
        yield net


@pytest.fixture(scope="session")
def certs(kms_net: LoopbackNetwork) -> Path:
    """The directory of the network's development PKI (``ca.pem``, ``<id>.pem``/``.key``)."""
    return kms_net.root / "certs"
