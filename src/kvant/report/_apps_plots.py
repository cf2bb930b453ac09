"""Plots of the applications: a bond-dissociation curve against FCI, QAOA figures by device."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from kvant.errors import ConfigError
from kvant.report._plots import _pyplot, _save

__all__ = ["plot_dissociation_curve", "plot_qaoa_outcomes"]

_CHEMICAL_ACCURACY_HA = 1.6e-3


def plot_dissociation_curve(
    bonds_angstrom: ArrayLike,
    vqe_ha: ArrayLike,
    reference_ha: ArrayLike,
    path: str | Path,
    *,
    hartree_fock_ha: ArrayLike | None = None,
    title: str = "",
) -> Path:
    """Energy against bond length (top) and VQE error with the chemical-accuracy band (bottom).

    Args:
        bonds_angstrom: Bond lengths, shape (n,).
        vqe_ha: VQE energies (hartree), shape (n,).
        reference_ha: FCI/CASCI energies, shape (n,).
        path: Where to write the PNG.
        hartree_fock_ha: Optional RHF energies, shape (n,).
        title: Figure title.

    Returns:
        The path written.

    Raises:
        ConfigError: For mismatched or empty shapes.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "h2.png"
    >>> plot_dissociation_curve([0.5, 0.7, 1.0], [-1.05, -1.13, -1.10], [-1.05, -1.13, -1.10],
    ...                         out).exists()
    True
    """
    x = np.asarray(bonds_angstrom, dtype=float)
    vqe = np.asarray(vqe_ha, dtype=float)
    ref = np.asarray(reference_ha, dtype=float)
    if x.ndim != 1 or x.size == 0 or vqe.shape != x.shape or ref.shape != x.shape:
        raise ConfigError(
            f"bonds, VQE and reference energies need one value per point; got {x.shape}, "
            f"{vqe.shape}, {ref.shape}"
        )
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(6.4, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1.4]}
    )
    top.plot(x, ref, "k-", label="FCI / CASCI (PySCF)", linewidth=1.4)
    if hartree_fock_ha is not None:
        top.plot(
            x, np.asarray(hartree_fock_ha, dtype=float), "--", color="0.5", label="Hartree-Fock"
        )
    top.plot(x, vqe, "o", color="C0", label="VQE on Kvant", markersize=5)
    top.set_ylabel("energy (hartree)")
    top.set_title(title)
    top.legend(frameon=False, fontsize=8)
    top.grid(True, alpha=0.25)
    error_mha = 1e3 * np.abs(vqe - ref)
    bottom.axhspan(
        0, 1e3 * _CHEMICAL_ACCURACY_HA, color="C2", alpha=0.15, label="chemical accuracy"
    )
    bottom.plot(x, error_mha, "o-", color="C0", markersize=4)
    bottom.set_ylabel("|VQE - FCI| (mHa)")
    bottom.set_xlabel("bond length (angstrom)")
    bottom.legend(frameon=False, fontsize=8)
    bottom.grid(True, alpha=0.25)
    return _save(fig, Path(path))


def plot_qaoa_outcomes(
    figures: Mapping[str, Mapping[str, float]],
    path: str | Path,
    *,
    names: Sequence[str] = ("approximation_ratio", "optimum_probability"),
    title: str = "",
) -> Path:
    """Grouped bars of QAOA figures (approximation ratio, probability of the optimum) by device.

    Args:
        figures: Device label (``ideal``, ``kvant-50``) -> figure name -> value (e.g.
            ``QaoaOutcome.to_dict()``).
        path: Where to write the PNG.
        names: Which figures to draw.
        title: Figure title.

    Returns:
        The path written.

    Raises:
        ConfigError: For no device or a missing figure.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "qaoa.png"
    >>> data = {"ideal": {"approximation_ratio": 0.9, "optimum_probability": 0.1}}
    >>> plot_qaoa_outcomes(data, out).exists()
    True
    """
    if not figures:
        raise ConfigError("no QAOA outcome to plot")
    for device, values in figures.items():
        missing = [n for n in names if n not in values]
        if missing:
            raise ConfigError(f"outcome {device!r} lacks {missing}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    width = 0.8 / len(figures)
    positions = np.arange(len(names))
    for k, (device, values) in enumerate(figures.items()):
        heights = [float(values[n]) for n in names]
        ax.bar(positions + k * width, heights, width, label=device)
    ax.set_xticks(positions + width * (len(figures) - 1) / 2)
    ax.set_xticklabels([n.replace("_", " ") for n in names])
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(True, axis="y", alpha=0.25)
    return _save(fig, Path(path))
