"""The application plots: files written, bad shapes refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvant.errors import ConfigError
from kvant.report import plot_dissociation_curve, plot_qaoa_outcomes


def test_plots_are_written(tmp_path: Path) -> None:
    curve = plot_dissociation_curve(
        [0.5, 0.7, 1.0],
        [-1.05, -1.137, -1.10],
        [-1.055, -1.137, -1.101],
        tmp_path / "curve.png",
        hartree_fock_ha=[-1.04, -1.117, -1.07],
        title="H2",
    )
    bars = plot_qaoa_outcomes(
        {
            "ideal": {"approximation_ratio": 0.9, "optimum_probability": 0.2},
            "kvant-50": {"approximation_ratio": 0.7, "optimum_probability": 0.01},
        },
        tmp_path / "bars.png",
    )
    assert curve.stat().st_size > 1000
    assert bars.stat().st_size > 1000


def test_bad_shapes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="one value per point"):
        plot_dissociation_curve([0.5, 0.7], [-1.0], [-1.0, -1.1], tmp_path / "x.png")
    with pytest.raises(ConfigError, match="no QAOA outcome"):
        plot_qaoa_outcomes({}, tmp_path / "y.png")
    with pytest.raises(ConfigError, match="lacks"):
        plot_qaoa_outcomes({"ideal": {"approximation_ratio": 1.0}}, tmp_path / "z.png")
