"""Linear cross-entropy benchmarking (XEB) on a line of qubits.

Arute et al., Nature 574, 505 (2019): each cycle applies a random single-qubit gate from
``{sqrt(X), sqrt(Y), sqrt(W)}`` on every qubit (never the same gate twice in a row on a qubit)
and then CZs on alternating pairs of the line. The per-circuit fidelity estimate is the
normalised linear XEB ``F = (D <p(x)>_samples - 1) / (D sum_x p(x)^2 - 1)`` (``D = 2^n``,
``p`` the ideal distribution; the least-squares form of Cirq's ``cirq.experiments`` XEB,
summing numerators and denominators over the circuits of a depth). ``F(d) = A f^d`` gives the
fidelity per cycle ``f``; its standard error comes from the covariance of the fit, the points'
error bars from the spread over circuits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvant.bench._fit import check_series, power_decay_fit
from kvant.bench._results import Metric
from kvant.circuit import Circuit
from kvant.errors import AnalysisError, ConfigError

__all__ = ["analyse_xeb", "ideal_probabilities", "xeb_circuits"]

# (rz before, rz after) around one sx: sqrt(X), sqrt(Y), sqrt(W) up to global phase
_GATES = ((0.0, 0.0), (-math.pi / 2, math.pi / 2), (-math.pi / 4, math.pi / 4))


def _layer_1q(circuit: Circuit, choice: NDArray[np.int64]) -> None:
    for q, g in enumerate(choice):
        before, after = _GATES[int(g)]
        if before:
            circuit.rz(before, q)
        circuit.sx(q)
        if after:
            circuit.rz(after, q)


def xeb_circuits(
    num_qubits: int, cycles: Sequence[int], num_circuits: int, seed: int | np.random.Generator
) -> list[list[Circuit]]:
    """Random XEB circuits on a line of ``num_qubits`` (qubit i coupled to i + 1), native
    gates only; ``out[k][i]`` is circuit ``i`` of depth ``cycles[k]``.

    Raises:
        ConfigError: For fewer than 2 qubits, bad depths or no circuits.

    >>> c = xeb_circuits(3, [1, 2], 2, seed=0)
    >>> len(c), len(c[0]), c[1][0].count_ops()["cz"]
    (2, 2, 2)
    """
    if isinstance(num_qubits, bool) or not isinstance(num_qubits, int) or num_qubits < 2:
        raise ConfigError(f"XEB needs a line of at least 2 qubits, got {num_qubits!r}")
    depths = [int(d) for d in cycles]
    if not depths or any(d < 1 for d in depths):
        raise ConfigError(f"cycles must be positive integers, got {list(cycles)}")
    if isinstance(num_circuits, bool) or not isinstance(num_circuits, int) or num_circuits < 1:
        raise ConfigError(f"num_circuits must be a positive integer, got {num_circuits!r}")
    rng = np.random.default_rng(seed)
    out: list[list[Circuit]] = []
    for depth in depths:
        group = []
        for index in range(num_circuits):
            circuit = Circuit(num_qubits, num_qubits, name=f"xeb d={depth} #{index}")
            last = np.full(num_qubits, -1)
            for cycle in range(depth + 1):
                # a gate different from the previous one on each qubit
                choice = (last + rng.integers(1, 3, size=num_qubits)) % 3
                choice = np.where(last < 0, rng.integers(0, 3, size=num_qubits), choice)
                _layer_1q(circuit, choice)
                last = choice
                if cycle < depth:
                    for a in range(cycle % 2, num_qubits - 1, 2):
                        circuit.cz(a, a + 1)
            for q in range(num_qubits):
                circuit.measure(q, q)
            group.append(circuit)
        out.append(group)
    return out


def ideal_probabilities(circuit: Circuit) -> NDArray[np.float64]:
    """Ideal output probabilities (index bit q = qubit q) of a measured circuit.

    >>> ideal_probabilities(xeb_circuits(2, [1], 1, seed=0)[0][0]).sum().round(12)
    np.float64(1.0)
    """
    from kvant.sim import StateVectorEngine

    body = Circuit(circuit.num_qubits)
    for op in circuit:
        if op.name != "measure":
            body.append(op)
    state = StateVectorEngine().run(body).state_vector
    return np.asarray(np.abs(state) ** 2, dtype=np.float64)  # type: ignore[arg-type]


def analyse_xeb(
    cycles: ArrayLike,
    counts: Sequence[Sequence[Mapping[str, int]]],
    ideal: Sequence[Sequence[ArrayLike]],
    *,
    qubits: Sequence[int] = (),
) -> tuple[Metric, NDArray[np.float64]]:
    """Fidelity per cycle from counts and ideal probabilities.

    Args:
        cycles: ``(K,)`` depths.
        counts: ``counts[k][i]``: ``{bitstring: shots}`` of circuit i at depth k (bit 0
            rightmost).
        ideal: ``ideal[k][i]``: its ideal probabilities (``2^n``, index bit q = qubit q).
        qubits: The line (for the metric).

    Returns:
        The ``xeb_fidelity_per_cycle`` metric and the fidelity at each depth.

    Raises:
        AnalysisError: For mismatched shapes, NaN, or fewer than 3 depths.

    >>> import numpy as np
    >>> p = np.array([0.5, 0.3, 0.15, 0.05])
    >>> def sample(f):  # a depolarized distribution with fidelity f, as exact "counts"
    ...     q = f * p + (1 - f) / 4
    ...     return {format(i, "02b"): int(round(1e6 * q[i])) for i in range(4)}
    >>> depths = [1, 5, 10, 20]
    >>> counts = [[sample(0.98**d)] for d in depths]
    >>> metric, _ = analyse_xeb(depths, counts, [[p]] * 4)
    >>> round(metric.value, 4)
    0.98
    """
    what = f"XEB on qubits {list(qubits)}" if qubits else "XEB"
    depths = np.asarray(cycles, dtype=np.float64)
    if len(counts) != depths.size or len(ideal) != depths.size:
        raise AnalysisError(f"{what}: need counts and ideal probabilities for each depth")
    fid, err = [], []
    for k in range(depths.size):
        if len(counts[k]) != len(ideal[k]) or not counts[k]:
            raise AnalysisError(f"{what}: depth {int(depths[k])} has mismatched circuit lists")
        nums, dens = [], []
        for c, pv in zip(counts[k], ideal[k], strict=True):
            p = np.asarray(pv, dtype=np.float64)
            if p.ndim != 1 or not np.all(np.isfinite(p)) or abs(p.sum() - 1) > 1e-6:
                raise AnalysisError(f"{what}: ideal probabilities must be finite and sum to 1")
            dim = p.size
            width = dim.bit_length() - 1
            total = sum(int(v) for v in c.values())
            if total <= 0:
                raise AnalysisError(f"{what}: a circuit at depth {int(depths[k])} has no shots")
            try:
                mean_p = sum(int(v) * p[int(key, 2)] for key, v in c.items() if len(key) == width)
            except (ValueError, IndexError) as exc:
                raise AnalysisError(f"{what}: bad bitstring in counts ({exc})") from None
            nums.append(dim * mean_p / total - 1)
            dens.append(dim * float(np.sum(p**2)) - 1)
        n_arr, d_arr = np.array(nums), np.array(dens)
        fid.append(float(n_arr.sum() / d_arr.sum()))
        per = n_arr / np.where(d_arr != 0, d_arr, np.nan)
        spread = float(np.nanstd(per, ddof=1) / math.sqrt(per.size)) if per.size > 1 else 0.0
        err.append(max(spread, 1e-3))
    fidelities = np.array(fid)
    check_series(depths, fidelities, np.array(err), what=what, min_points=3)
    fit = power_decay_fit(depths, fidelities, np.array(err), what=what)
    metric = Metric(
        "xeb_fidelity_per_cycle",
        fit.params["alpha"],
        fit.stderr["alpha"],
        "",
        "linear XEB (Arute et al. 2019), fit F(d) = A f^d, covariance stderr",
        tuple(qubits),
        fit.quality,
        fit.reason,
        fit,
    )
    return metric, fidelities
