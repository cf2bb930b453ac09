"""The coupling-map picture: written for every preset shape, values checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kvant.device import Topology, load_device
from kvant.errors import ConfigError
from kvant.report import plot_coupling_map

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["kvant-50", "heavy-hex-3", "line-4"])
def test_maps_are_written(tmp_path: Path, name: str) -> None:
    out = plot_coupling_map(
        load_device(name),
        tmp_path / f"{name}.png",
        qubit_values="readout_error",
        coupler_values="gate_error_2q",
        log_scale=True,
    )
    assert out.read_bytes().startswith(PNG)


def test_bare_topologies_and_raw_values(tmp_path: Path) -> None:
    topology = Topology.from_name("grid-2x3")
    out = plot_coupling_map(topology, tmp_path / "grid.png", qubit_values=np.arange(6), title="x")
    assert out.read_bytes().startswith(PNG)
    with pytest.raises(ConfigError, match="named figures"):
        plot_coupling_map(topology, tmp_path / "x.png", qubit_values="t1_us")
    with pytest.raises(ConfigError, match="needs 6 values"):
        plot_coupling_map(topology, tmp_path / "x.png", qubit_values=[1, 2])
    with pytest.raises(ConfigError, match="Topology or Calibration"):
        plot_coupling_map("kvant-50", tmp_path / "x.png")  # type: ignore[arg-type]


def test_unmeasured_qubits_and_couplers_are_grey_not_coloured(tmp_path: Path) -> None:
    from matplotlib.image import imread

    device = load_device("grid-2x3")
    couplers = np.full(len(device.topology.couplers), np.nan)
    couplers[0] = 3e-3
    qubits = np.full(device.num_qubits, np.nan)
    qubits[:2] = [100.0, 120.0]
    path = plot_coupling_map(
        device, tmp_path / "partial.png", qubit_values=qubits, coupler_values=couplers,
        log_scale=True,
    )  # fmt: skip
    pixels = imread(path)[..., :3]
    grey = np.all(np.abs(pixels - np.array([0xC3, 0xCA, 0xD2]) / 255) < 0.02, axis=-1)
    assert grey.sum() > 100  # the four unmeasured qubits
