"""Fixtures for the device tests: the kvant-50 calibration and the reference data files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kvant.device import Calibration, load_device

DATA = Path(__file__).resolve().parents[1] / "data" / "device"


@pytest.fixture(scope="session")
def kvant50() -> Calibration:
    """The kvant-50 preset calibration."""
    return load_device("kvant-50")


@pytest.fixture(scope="session")
def lima_path() -> Path:
    """Qiskit backend properties of ibmq_lima (tests/data/device/README.md)."""
    return DATA / "props_lima.json"


@pytest.fixture
def lima_data(lima_path: Path) -> dict[str, Any]:
    """The parsed props_lima.json, a fresh copy per test (tests break it on purpose)."""
    data: dict[str, Any] = json.loads(lima_path.read_text())
    return data


@pytest.fixture(scope="session")
def willow_path() -> Path:
    """Six qubits of Google's Willow calibration from cirq-google (README beside it)."""
    return DATA / "willow_pink_2x3_calibration.json"
