"""Quantum volume: random SU(4) model circuits and the heavy-output test.

Cross et al., PRA 100, 032328 (2019): a width-``n`` model circuit has ``n`` layers, each a
random permutation of the qubits followed by Haar-random SU(4) gates on consecutive pairs.
An output is *heavy* if its ideal probability exceeds the median. The device passes width
``n`` if the mean heavy-output probability ``h`` over at least 100 circuits exceeds 2/3 with
confidence: ``h - z sigma > 2/3`` with ``sigma = sqrt(h (1 - h) / n_circuits)`` and
``z = 2`` (one-sided 97.7 %, the normal approximation of the paper and of
qiskit-experiments; caveats in Baldwin et al., arXiv:2110.14808). The quantum volume is
``2^n`` for the largest width that passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.bench._results import FitQuality, Metric
from kvant.circuit import Circuit
from kvant.errors import AnalysisError, ConfigError

__all__ = [
    "QV_THRESHOLD",
    "QVWidthResult",
    "analyse_qv_width",
    "heavy_outputs",
    "quantum_volume",
    "qv_circuits",
]

#: Heavy-output probability a device must exceed (Cross et al. 2019).
QV_THRESHOLD = 2.0 / 3.0
#: Fewest circuits per width the test accepts.
MIN_CIRCUITS = 100


def _haar_su4(rng: np.random.Generator) -> NDArray[np.complex128]:
    """A Haar-random 4x4 unitary (QR of a complex Ginibre matrix with the phases fixed;
    Mezzadri, Notices AMS 54, 592, 2007)."""
    z = (rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))) / math.sqrt(2)
    q, r = np.linalg.qr(z)
    d = np.diagonal(r)
    return np.asarray(q * (d / np.abs(d)))


def qv_circuits(width: int, num_circuits: int, seed: int | np.random.Generator) -> list[Circuit]:
    """``num_circuits`` model circuits of ``width`` qubits, every qubit measured.

    Raises:
        ConfigError: For a width below 2 or no circuits.

    >>> circuits = qv_circuits(3, 2, seed=1)
    >>> len(circuits), circuits[0].count_ops()["unitary"], circuits[0].num_clbits
    (2, 3, 3)
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < 2:
        raise ConfigError(f"a quantum-volume width must be an integer >= 2, got {width!r}")
    if isinstance(num_circuits, bool) or not isinstance(num_circuits, int) or num_circuits < 1:
        raise ConfigError(f"num_circuits must be a positive integer, got {num_circuits!r}")
    rng = np.random.default_rng(seed)
    out = []
    for index in range(num_circuits):
        circuit = Circuit(width, width, name=f"qv n={width} #{index}")
        for _ in range(width):
            perm = rng.permutation(width)
            for pair in range(width // 2):
                a, b = int(perm[2 * pair]), int(perm[2 * pair + 1])
                circuit.unitary(_haar_su4(rng), [a, b])
        for q in range(width):
            circuit.measure(q, q)
        out.append(circuit)
    return out


def heavy_outputs(circuit: Circuit) -> tuple[list[str], float]:
    """The heavy outputs of a model circuit (bitstrings, classical bit 0 rightmost) and their
    ideal total probability, from an exact state-vector simulation.

    >>> outputs, h = heavy_outputs(qv_circuits(2, 1, seed=3)[0])
    >>> len(outputs), 0.5 < h <= 1.0
    (2, True)
    """
    from kvant.sim import StateVectorEngine

    body = Circuit(circuit.num_qubits)
    for op in circuit:
        if op.name != "measure":
            body.append(op)
    probs = np.abs(StateVectorEngine().run(body).state_vector) ** 2  # type: ignore[arg-type]
    median = float(np.median(probs))
    heavy = np.flatnonzero(probs > median)
    n = circuit.num_qubits
    return [format(int(i), f"0{n}b") for i in heavy], float(probs[heavy].sum())


@dataclass(frozen=True)
class QVWidthResult:
    """The heavy-output test at one width.

    Attributes:
        width: Number of qubits.
        heavy_output_probability: Mean measured heavy-output probability ``h``.
        stderr: ``sqrt(h (1 - h) / n_circuits)``.
        num_circuits: Circuits measured.
        lower_bound: ``h - z stderr``.
        passed: ``lower_bound > 2/3`` and enough circuits.
        z: The z-score used.
        ideal_heavy_output_probability: Mean ideal heavy-output probability, if known.
    """

    width: int
    heavy_output_probability: float
    stderr: float
    num_circuits: int
    lower_bound: float
    passed: bool
    z: float = 2.0
    ideal_heavy_output_probability: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "width": self.width,
            "heavy_output_probability": self.heavy_output_probability,
            "stderr": self.stderr,
            "num_circuits": self.num_circuits,
            "lower_bound": self.lower_bound,
            "passed": self.passed,
            "z": self.z,
            "ideal_heavy_output_probability": (
                self.ideal_heavy_output_probability
                if math.isfinite(self.ideal_heavy_output_probability)
                else "nan"
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QVWidthResult:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            AnalysisError: For a missing field.
        """
        try:
            return cls(
                int(data["width"]),
                float(data["heavy_output_probability"]),
                float(data["stderr"]),
                int(data["num_circuits"]),
                float(data["lower_bound"]),
                bool(data["passed"]),
                float(data.get("z", 2.0)),
                float(data.get("ideal_heavy_output_probability", "nan")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AnalysisError(f"cannot read a QV width result: {exc!r}") from exc


def analyse_qv_width(
    width: int,
    counts: Sequence[Mapping[str, int]],
    heavy: Sequence[Sequence[str]],
    *,
    z: float = 2.0,
    ideal: Sequence[float] = (),
    min_circuits: int = MIN_CIRCUITS,
) -> QVWidthResult:
    """Heavy-output test at one width from each circuit's counts and heavy outputs.

    Args:
        width: Qubits of the model circuits.
        counts: Per circuit, ``{bitstring: shots}`` (classical bit 0 rightmost).
        heavy: Per circuit, its heavy bitstrings.
        z: One-sided z-score (2: 97.7 %).
        ideal: Per circuit, the ideal heavy-output probability (for reports).
        min_circuits: Fewest circuits for a pass (100 in Cross et al.).

    Raises:
        AnalysisError: For mismatched lists, empty counts, or bitstrings of the wrong width.

    >>> counts = [{"00": 40, "11": 45, "01": 15}] * 120
    >>> r = analyse_qv_width(2, counts, [["00", "11"]] * 120)
    >>> round(r.heavy_output_probability, 3), r.passed
    (0.85, True)
    """
    what = f"QV width {width}"
    if len(counts) != len(heavy) or not counts:
        raise AnalysisError(
            f"{what}: need one heavy-output list per circuit ({len(counts)} vs {len(heavy)})"
        )
    probs = []
    for index, (c, h) in enumerate(zip(counts, heavy, strict=True)):
        total = sum(int(v) for v in c.values())
        if total <= 0:
            raise AnalysisError(f"{what}: circuit {index} has no shots")
        if any(len(k) != width for k in c) or any(len(k) != width for k in h):
            raise AnalysisError(f"{what}: circuit {index} has bitstrings that are not {width} long")
        heavy_set = set(h)
        probs.append(sum(int(v) for k, v in c.items() if k in heavy_set) / total)
    hop = float(np.mean(probs))
    n = len(probs)
    sigma = math.sqrt(hop * (1 - hop) / n)
    lower = hop - z * sigma
    ideal_mean = float(np.mean(ideal)) if len(ideal) else math.nan
    return QVWidthResult(
        width, hop, sigma, n, lower, bool(lower > QV_THRESHOLD and n >= min_circuits), z, ideal_mean
    )


def quantum_volume(results: Sequence[QVWidthResult]) -> Metric:
    """``2^n`` for the largest width ``n`` that passed (1 if none did).

    >>> quantum_volume([QVWidthResult(2, 0.8, 0.01, 100, 0.78, True),
    ...                 QVWidthResult(3, 0.6, 0.01, 100, 0.58, False)]).value
    4.0
    """
    passed = [r.width for r in results if r.passed]
    best = max(passed, default=0)
    tried = ", ".join(
        f"n={r.width}: h={r.heavy_output_probability:.3f}+-{r.stderr:.3f}"
        f" ({'pass' if r.passed else 'fail'})"
        for r in sorted(results, key=lambda r: r.width)
    )
    return Metric(
        "quantum_volume",
        float(2**best) if best else 1.0,
        math.nan,
        "",
        "heavy-output probability > 2/3 with h - 2 sigma, sigma = sqrt(h(1-h)/n_circuits) "
        f"(Cross et al. 2019); {tried}",
        (),
        FitQuality.GOOD,
        "",
    )
