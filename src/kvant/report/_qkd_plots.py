"""Key rate against distance, one curve per protocol, with the PLOB bound (PNG via Agg)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kvant.errors import ConfigError
from kvant.report._plots import _save

__all__ = ["plot_key_rate_curve"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_key_rate_curve(
    distances_km: ArrayLike,
    rates: Mapping[str, ArrayLike],
    path: str | Path,
    *,
    bound: ArrayLike | None = None,
    bound_label: str = "PLOB bound -log2(1 - eta)",
    ylabel: str = "secret key rate (bits per pulse)",
    title: str = "",
) -> Path:
    """Log-scale key rate against fibre length, one line per named curve.

    Args:
        distances_km: Distances (x axis), shape (n,).
        rates: Curve name -> rates at those distances, each shape (n,); zeros are not drawn.
        path: Where to write the PNG.
        bound: Optional upper bound at those distances (drawn dashed).
        bound_label: Legend text of the bound.
        ylabel: Y-axis label.
        title: Figure title.

    Returns:
        The path written.

    Raises:
        ConfigError: if there is no curve or the shapes differ.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "curve.png"
    >>> plot_key_rate_curve([0, 50, 100], {"toy": [1e-2, 1e-3, 0.0]}, out).exists()
    True
    """
    x = np.asarray(distances_km, dtype=float)
    if not rates:
        raise ConfigError("no curve to plot; give at least one protocol")
    curves = {name: np.asarray(r, dtype=float) for name, r in rates.items()}
    for name, r in curves.items():
        if r.shape != x.shape:
            raise ConfigError(f"curve {name!r} has shape {r.shape}, distances {x.shape}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, r in curves.items():
        ax.plot(x, np.where(r > 0, r, np.nan), label=name, linewidth=1.6)
    if bound is not None:
        b = np.asarray(bound, dtype=float)
        ax.plot(x, np.where(b > 0, b, np.nan), "k--", label=bound_label, linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("fibre length (km)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(frameon=False, fontsize=8)
    return _save(fig, Path(path))
