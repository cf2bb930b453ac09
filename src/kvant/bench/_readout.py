"""Readout: the assignment (confusion) matrix of each qubit and its assignment fidelity.

Prepare ``|0>`` (nothing) and ``|1>`` (``x``), measure, count. The assignment matrix is
``M = [[P(0|0), P(0|1)], [P(1|0), P(1|1)]]`` and the assignment fidelity
``F = 1 - (P(1|0) + P(0|1)) / 2`` (Gambetta et al., PRA 75, 012325, 2007; the figure
qiskit-experiments reports). Standard errors are binomial.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from kvant.bench._fit import binomial_stderr
from kvant.bench._results import Metric
from kvant.circuit import Circuit
from kvant.errors import AnalysisError

__all__ = ["analyse_readout", "assignment_matrix", "readout_circuits"]


def readout_circuits() -> list[Circuit]:
    """The two circuits: prepare 0 and measure; prepare 1 (``x``) and measure.

    >>> [[op.name for op in c] for c in readout_circuits()]
    [['measure'], ['x', 'measure']]
    """
    return [
        Circuit(1, 1, name="prep 0").measure(0, 0),
        Circuit(1, 1, name="prep 1").x(0).measure(0, 0),
    ]


def _counts(value: object, name: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float):
        raise AnalysisError(f"{what}: {name} must be a count, got {value!r}")
    if not math.isfinite(float(value)) or float(value) < 0:
        raise AnalysisError(f"{what}: {name} must be a finite count >= 0, got {value!r}")
    return int(value)


def assignment_matrix(
    ones_prep0: int, shots_prep0: int, zeros_prep1: int, shots_prep1: int
) -> NDArray[np.float64]:
    """``[[P(0|0), P(0|1)], [P(1|0), P(1|1)]]`` (columns: prepared state).

    >>> assignment_matrix(10, 1000, 30, 1000).tolist()
    [[0.99, 0.03], [0.01, 0.97]]
    """
    p10, p01 = ones_prep0 / shots_prep0, zeros_prep1 / shots_prep1
    return np.array([[1 - p10, p01], [p10, 1 - p01]])


def analyse_readout(
    ones_prep0: int,
    shots_prep0: int,
    zeros_prep1: int,
    shots_prep1: int,
    *,
    qubit: int | None = None,
) -> list[Metric]:
    """Readout metrics of one qubit.

    Args:
        ones_prep0: Shots that read 1 after preparing 0.
        shots_prep0: Shots of that circuit.
        zeros_prep1: Shots that read 0 after preparing 1.
        shots_prep1: Shots of that circuit.
        qubit: Which qubit.

    Returns:
        ``p_meas1_prep0``, ``p_meas0_prep1``, ``readout_error`` (their mean) and
        ``assignment_fidelity``, each with its binomial standard error.

    Raises:
        AnalysisError: For negative, non-finite or inconsistent counts.

    >>> [round(m.value, 4) for m in analyse_readout(10, 1000, 30, 1000)]
    [0.01, 0.03, 0.02, 0.98]
    """
    what = f"readout of qubit {qubit}" if qubit is not None else "readout"
    k0 = _counts(ones_prep0, "ones_prep0", what)
    n0 = _counts(shots_prep0, "shots_prep0", what)
    k1 = _counts(zeros_prep1, "zeros_prep1", what)
    n1 = _counts(shots_prep1, "shots_prep1", what)
    if n0 == 0 or n1 == 0 or k0 > n0 or k1 > n1:
        raise AnalysisError(f"{what}: need shots > 0 and counts <= shots for both preparations")
    p10, p01 = k0 / n0, k1 / n1
    e10 = float(binomial_stderr(k0, n0))
    e01 = float(binomial_stderr(k1, n1))
    mean_err = math.hypot(e10, e01) / 2
    qubits = () if qubit is None else (qubit,)
    method = "prepare 0 / 1 and measure, binomial stderr"
    return [
        Metric("p_meas1_prep0", p10, e10, "", method, qubits),
        Metric("p_meas0_prep1", p01, e01, "", method, qubits),
        Metric("readout_error", (p10 + p01) / 2, mean_err, "", method, qubits),
        Metric("assignment_fidelity", 1 - (p10 + p01) / 2, mean_err, "", method, qubits),
    ]
