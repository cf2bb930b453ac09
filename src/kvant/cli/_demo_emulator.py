"""Demo steps of the computing pillar: GHZ, QFT and a CHSH Bell test on the emulator.

Each step returns a plain dict (name, figure, expected, ok, pictures) that ``kvant demo`` prints
and puts in its HTML report; ``ok`` compares the figure with a value known independently.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Circuit
from kvant.circuit.library import bell_pair, ghz, qft
from kvant.errors import SimulationError
from kvant.report import plot_counts, plot_state
from kvant.sim import Result, StateVectorEngine

_CHSH_ALICE = (0.0, math.pi / 2)
_CHSH_BOB = (math.pi / 4, -math.pi / 4)


def _final_state(result: Result) -> NDArray[np.complex128]:
    if result.state_vector is None:
        raise SimulationError("the engine returned no state vector for a measurement-free circuit")
    return np.asarray(result.state_vector, dtype=np.complex128)


def _ghz_step(engine: StateVectorEngine, shots: int, seed: int, out: Path) -> dict[str, Any]:
    n = 5
    circuit = ghz(n).measure_all()
    result = engine.run(circuit, shots=shots, seed=seed)
    ones, zeros = "1" * n, "0" * n
    plot_counts(
        result.counts,
        out / "ghz_counts.png",
        title=f"GHZ state on {n} qubits: {shots} shots",
        expected={zeros: 0.5, ones: 0.5},
    )
    plot_state(_final_state(result), out / "ghz_state.png", title=f"GHZ-{n} state vector")
    stray = shots - result.counts.get(zeros, 0) - result.counts.get(ones, 0)
    return {
        "name": "GHZ",
        "figure": f"P({zeros}) = {result.counts.get(zeros, 0) / shots:.3f}, "
        f"P({ones}) = {result.counts.get(ones, 0) / shots:.3f}",
        "expected": "0.5 each, nothing else",
        "ok": stray == 0,
        "pictures": ["ghz_counts.png", "ghz_state.png"],
    }


def _qft_step(engine: StateVectorEngine, out: Path) -> dict[str, Any]:
    n, x = 4, 5
    prepare = Circuit(n)
    for q in range(n):
        if (x >> q) & 1:
            prepare.x(q)
    result = engine.run(prepare + qft(n))
    dft_column = np.exp(2j * np.pi * x * np.arange(1 << n) / (1 << n)) / math.sqrt(1 << n)
    state_vector = _final_state(result)
    error = float(np.max(np.abs(state_vector - dft_column)))
    plot_state(state_vector, out / "qft_state.png", title=f"QFT|{x}> on {n} qubits")
    return {
        "name": "QFT",
        "figure": f"max |QFT|{x}> - DFT column| = {error:.1e}",
        "expected": "< 1e-12 (exact up to rounding)",
        "ok": error < 1e-12,
        "pictures": ["qft_state.png"],
    }


def _correlation(
    engine: StateVectorEngine, alice: float, bob: float, shots: int, seed: int
) -> float:
    """E(a, b) = P(equal) - P(different) for the Bell pair measured along angles a and b."""
    circuit = bell_pair().ry(-alice, 0).ry(-bob, 1).measure_all()
    counts = engine.run(circuit, shots=shots, seed=seed).counts
    equal = counts.get("00", 0) + counts.get("11", 0)
    return (2 * equal - shots) / shots


def _chsh_step(engine: StateVectorEngine, shots: int, seed: int, out: Path) -> dict[str, Any]:
    terms = [
        _correlation(engine, a, b, shots, seed + 10 * i + j)
        for i, a in enumerate(_CHSH_ALICE)
        for j, b in enumerate(_CHSH_BOB)
    ]
    s_value = terms[0] + terms[1] + terms[2] - terms[3]
    sigma = math.sqrt(sum(1 - t * t for t in terms) / shots)
    angles = np.linspace(-math.pi, math.pi, 25)
    measured = [
        _correlation(engine, 0.0, float(t), shots, seed + 100 + k) for k, t in enumerate(angles)
    ]
    _plot_bell(angles, measured, s_value, sigma, out / "bell_correlations.png")
    return {
        "name": "CHSH Bell test",
        "figure": f"S = {s_value:.3f} ± {sigma:.3f}",
        "expected": f"2√2 = {2 * math.sqrt(2):.3f} > 2 (classical bound)",
        "ok": abs(s_value - 2 * math.sqrt(2)) < 5 * sigma and s_value > 2,
        "pictures": ["bell_correlations.png"],
    }


def _plot_bell(
    angles: np.ndarray, measured: list[float], s_value: float, sigma: float, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    fine = np.linspace(-math.pi, math.pi, 400)
    ax.plot(fine, np.cos(fine), color="#3b6ea8", label="quantum: cos(a - b)")
    ax.plot(fine, 1 - 2 * np.abs(fine) / math.pi, "--", color="grey", label="best local model")
    ax.plot(angles, measured, "o", color="#d1495b", label="emulated shots")
    ax.set_xlabel("angle between measurement axes a - b (rad)")
    ax.set_ylabel("correlation E(a, b)")
    ax.set_title(f"Bell pair correlations; CHSH S = {s_value:.3f} ± {sigma:.3f} (classical ≤ 2)")
    ax.legend(frameon=False, fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def emulator_steps(shots: int, seed: int, out: Path) -> list[dict[str, Any]]:
    """GHZ, QFT and CHSH on the reference state-vector engine."""
    engine = StateVectorEngine()
    return [
        _ghz_step(engine, shots, seed, out),
        _qft_step(engine, out),
        _chsh_step(engine, shots, seed, out),
    ]
