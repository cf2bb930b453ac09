"""A picture of a device: its coupling map, qubits and couplers coloured by any figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvant.device import Calibration, Topology
from kvant.errors import ConfigError
from kvant.report._plots import _pyplot, _save

__all__ = ["plot_coupling_map"]


def _values(name: str, values: ArrayLike | None, size: int) -> NDArray[np.float64] | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (size,):
        raise ConfigError(f"{name} needs {size} values, got shape {array.shape}")
    return array


def plot_coupling_map(
    device: Topology | Calibration,
    path: str | Path,
    *,
    qubit_values: ArrayLike | str | None = None,
    coupler_values: ArrayLike | str | None = None,
    title: str | None = None,
    qubit_label: str = "",
    coupler_label: str = "",
    log_scale: bool = False,
) -> Path:
    """Draw the coupling map as a PNG: qubits as discs, couplers as lines, both coloured.

    Args:
        device: A topology, or a calibration (then figures may be named).
        path: Where to write the PNG.
        qubit_values: One number per qubit, or (with a calibration) a qubit figure name such as
            ``"t1_us"`` or ``"readout_error"``. NaN marks a qubit that was not measured: it is
            drawn grey and left out of the colour scale.
        coupler_values: One number per coupler (topology order), or ``"gate_error_2q"``; NaN
            as for qubits.
        title: Figure title (default: the device name).
        qubit_label: Colour-bar label for the qubits (default: the figure name).
        coupler_label: Colour-bar label for the couplers.
        log_scale: Colour on a logarithmic scale (for error rates).

    Returns:
        The path written.

    Raises:
        ConfigError: For a figure name without a calibration, or values of the wrong length.
        KvantIOError: If the file cannot be written.

    >>> import tempfile, pathlib
    >>> from kvant.device import load_device
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "map.png"
    >>> plot_coupling_map(load_device("grid-2x3"), out, qubit_values="t1_us").exists()
    True
    """
    calibration = device if isinstance(device, Calibration) else None
    topology = device.topology if isinstance(device, Calibration) else device
    if not isinstance(topology, Topology):
        raise ConfigError(
            f"plot_coupling_map needs a Topology or Calibration, got {type(device).__name__}"
        )
    named = isinstance(qubit_values, str) or isinstance(coupler_values, str)
    if named and calibration is None:
        raise ConfigError("named figures need a Calibration, not a bare Topology")
    if isinstance(qubit_values, str):
        qubit_label = qubit_label or qubit_values
        qubit_values = calibration.qubit_figure(qubit_values)  # type: ignore[union-attr]
    if isinstance(coupler_values, str):
        coupler_label = coupler_label or coupler_values
        coupler_values = calibration.coupler_figure(coupler_values)  # type: ignore[union-attr]
    qv = _values("qubit_values", qubit_values, topology.num_qubits)
    cv = _values("coupler_values", coupler_values, len(topology.couplers))
    plt = _pyplot()
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LogNorm, Normalize

    xy = np.asarray(topology.positions, dtype=np.float64)
    span = np.ptp(xy, axis=0) + 1.0
    fig, ax = plt.subplots(figsize=(min(2.0 + 0.9 * span[0], 16.0), min(1.5 + 0.9 * span[1], 12.0)))

    def norm(values: NDArray[np.float64]) -> Normalize:
        values = values[np.isfinite(values)]
        positive = values[values > 0]
        if log_scale and positive.size:
            return LogNorm(
                vmin=float(positive.min()), vmax=float(max(positive.max(), positive.min() * 1.01))
            )
        return Normalize(
            vmin=float(values.min()), vmax=float(max(values.max(), values.min() + 1e-12))
        )

    segments = [[xy[a], xy[b]] for a, b in topology.couplers]
    if cv is not None:
        known = np.isfinite(cv)
        unknown = [seg for seg, k in zip(segments, known, strict=True) if not k]
        ax.add_collection(LineCollection(unknown, colors="#d5dbe1", linewidths=2, zorder=1))
        lines = LineCollection(
            [seg for seg, k in zip(segments, known, strict=True) if k],
            cmap="plasma", norm=norm(cv), linewidths=4, zorder=1,
        )  # fmt: skip
        lines.set_array(cv[known])
        ax.add_collection(lines)
        fig.colorbar(lines, ax=ax, label=coupler_label or "coupler", shrink=0.8, pad=0.01)
    else:
        ax.add_collection(LineCollection(segments, colors="#9aa5b1", linewidths=2.5, zorder=1))
    if qv is not None:
        known = np.isfinite(qv)
        ax.scatter(xy[~known, 0], xy[~known, 1], color="#c3cad2", s=380, zorder=2)
        dots = ax.scatter(
            xy[known, 0],
            xy[known, 1],
            c=qv[known],
            cmap="viridis",
            norm=norm(qv),
            s=380,
            zorder=2,
            edgecolors="black",
        )
        fig.colorbar(dots, ax=ax, label=qubit_label or "qubit", shrink=0.8, pad=0.02)
    else:
        ax.scatter(xy[:, 0], xy[:, 1], color="#3b6ea8", s=380, zorder=2, edgecolors="black")
    for q, (x, y) in enumerate(xy):
        ax.text(
            x,
            y,
            str(q),
            ha="center",
            va="center",
            fontsize=7,
            color="white",
            zorder=3,
            fontweight="bold",
        )
    ax.set_aspect("equal")
    ax.margins(0.08)
    ax.axis("off")
    ax.set_title(
        title
        if title is not None
        else f"{topology.name}: {topology.num_qubits} qubits, {len(topology.couplers)} couplers"
    )
    return _save(fig, Path(path))
