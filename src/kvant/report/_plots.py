"""Plots of measurement counts and state vectors, written as PNG files.

Matplotlib runs on the Agg backend here, so plotting works with no display.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kvant.errors import ConfigError, KvantIOError

__all__ = ["plot_counts", "plot_state"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: object, path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")  # type: ignore[attr-defined]
    except OSError as exc:
        raise KvantIOError(f"cannot write plot to {path}: {exc.strerror}") from exc
    finally:
        _pyplot().close(fig)
    return path


def plot_counts(
    counts: Mapping[str, int],
    path: str | Path,
    *,
    title: str = "",
    expected: Mapping[str, float] | None = None,
) -> Path:
    """Bar chart of measured frequencies, optionally beside exact probabilities.

    Args:
        counts: Bitstring -> number of shots (bitstrings printed qubit 0 rightmost).
        path: Where to write the PNG.
        title: Figure title.
        expected: Bitstring -> exact probability, drawn as markers for comparison.

    Returns:
        The path written.

    Raises:
        ConfigError: if counts is empty.
    """
    if not counts:
        raise ConfigError("no counts to plot; run with shots > 0")
    plt = _pyplot()
    keys = sorted(set(counts) | set(expected or {}))
    total = sum(counts.values())
    freq = [counts.get(k, 0) / total for k in keys]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.45 * len(keys) + 2), 3.2))
    x = np.arange(len(keys))
    ax.bar(x, freq, color="#3b6ea8", label=f"measured ({total} shots)")
    if expected is not None:
        ax.plot(x, [expected.get(k, 0.0) for k in keys], "o", color="#d1495b", label="exact")
    ax.set_xticks(x, keys, rotation=90 if len(keys) > 8 else 0, fontfamily="monospace")
    ax.set_ylabel("probability")
    ax.set_title(title)
    ax.legend(frameon=False)
    return _save(fig, Path(path))


def plot_state(state_vector: ArrayLike, path: str | Path, *, title: str = "") -> Path:
    """Amplitude magnitudes as bars coloured by phase (a 'city' view in one dimension).

    Args:
        state_vector: Little-endian amplitudes of length 2^n.
        path: Where to write the PNG.
        title: Figure title.

    Returns:
        The path written.
    """
    amplitudes = np.asarray(state_vector, dtype=complex)
    n = round(float(np.log2(max(amplitudes.size, 1))))
    if amplitudes.ndim != 1 or amplitudes.size != 1 << n:
        raise ConfigError(f"state vector must be 1-D of length 2^n, got shape {amplitudes.shape}")
    plt = _pyplot()
    phases = (np.angle(amplitudes) + 2 * np.pi) % (2 * np.pi)
    cmap = plt.get_cmap("twilight")
    fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * amplitudes.size + 2), 3.2))
    x = np.arange(amplitudes.size)
    ax.bar(x, np.abs(amplitudes), color=cmap(phases / (2 * np.pi)))
    labels = [format(i, f"0{n}b") for i in x]
    ax.set_xticks(x, labels, rotation=90, fontfamily="monospace", fontsize=7)
    ax.set_ylabel("|amplitude|")
    ax.set_title(title)
    mappable = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 2 * np.pi))
    fig.colorbar(mappable, ax=ax, label="phase (rad)")
    return _save(fig, Path(path))
