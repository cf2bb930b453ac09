"""Kvant: an open quantum-technology stack.

Rooms, top to bottom; a room imports only rooms below it (checked by ``tests/test_layers.py``)::

    kvant.cli       command line (Typer + Rich)
    kvant.report    HTML/JSON/PNG output
    kvant.apps      applications (energy, chemistry)
    kvant.bench     characterisation experiments and datasheets
    kvant.kms       key management entity (ETSI GS QKD 014)
    kvant.network   QKD networks and trusted-node relay
    kvant.qkd       one QKD link
    kvant.device    device models, calibration, noise
    kvant.testing   reusable consistency checks (used by tests of every engine)
    kvant.sim       simulation engines
    kvant.circuit   circuit IR and OpenQASM
    kvant.errors    the exception hierarchy
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kvant")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
