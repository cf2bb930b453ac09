"""QAOA (Farhi, Goldstone & Gutmann 2014, arXiv:1411.4028) and warm-started QAOA (Egger,
Marecek & Woerner 2021, Quantum 5, 479) for QUBOs, run on Kvant's engines and device.

Circuit: ``|+>^n`` (or, warm-started, ``prod_i ry(theta_i)|0>`` with ``sin^2(theta_i/2) = c_i``,
the regularised solution of the continuous relaxation), then p layers of the cost unitary
``exp(-i gamma C)`` (``rz``/``rzz`` of the Ising form, normalised to max |coefficient| 1) and the
mixer (``rx(2 beta)`` on every qubit; warm-started: ``ry(theta) rz(-2 beta) ry(-theta)``).
Angles are optimised layer by layer with COBYLA, each depth started from the INTERP
interpolation of the previous optimum (Zhou, Wang, Choi, Pichler & Lukin 2020, PRX 10, 021067,
appendix B); p = 1 starts from the best point of a coarse grid.

Figures reported: the expectation of the cost, the approximation ratio
``(C_max - <C>) / (C_max - C_min)`` (1 is optimal), the probability of sampling an optimal
assignment, and the best assignment among the samples (the "answer").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

from kvant.apps._pauli_sum import PauliSum
from kvant.apps._qubo import ExactSolution, Qubo
from kvant.circuit import Circuit
from kvant.device import Calibration, run_on_device
from kvant.errors import ApplicationError
from kvant.sim import make_engine

__all__ = [
    "QaoaOutcome",
    "QaoaResult",
    "optimise_angles",
    "qaoa_circuit",
    "qaoa_probabilities",
    "run_qaoa",
    "warm_start_angles",
]

_WARM_EPSILON = 0.25


@dataclass(frozen=True)
class QaoaOutcome:
    """Figures of one QAOA state, sampled on the ideal engine or a noisy device.

    Attributes:
        device: ``ideal`` or the device name.
        shots: Samples drawn.
        expectation: ``<C>`` (exact on the ideal engine, the sample mean on a device).
        approximation_ratio: ``(C_max - <C>) / (C_max - C_min)``.
        optimum_probability: Probability (ideal) or frequency (device) of an optimal assignment.
        answer_bits: Best sampled assignment (bit i = variable i).
        answer_cost: Its cost.
    """

    device: str
    shots: int
    expectation: float
    approximation_ratio: float
    optimum_probability: float
    answer_bits: tuple[int, ...]
    answer_cost: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        data = asdict(self)
        data["answer_bits"] = list(self.answer_bits)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QaoaOutcome:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            values = dict(data)
            values["answer_bits"] = tuple(int(b) for b in values["answer_bits"])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplicationError(f"cannot read a QaoaOutcome: {exc!r}") from exc


@dataclass(frozen=True)
class QaoaResult:
    """An optimised QAOA run.

    Attributes:
        num_qubits: Qubits (= QUBO variables).
        layers: p.
        warm_start: Whether the warm-started variant ran.
        gammas: Optimal cost angles (normalised cost).
        betas: Optimal mixer angles.
        iterations: COBYLA iterations over all depths.
        circuit_evaluations: Engine runs during the optimisation.
        wall_s: Optimisation wall time.
        optimum: The exact optimum.
        ideal: Figures on the ideal state-vector engine.
        noisy: Figures on the noisy device, if one was given.
    """

    num_qubits: int
    layers: int
    warm_start: bool
    gammas: tuple[float, ...]
    betas: tuple[float, ...]
    iterations: int
    circuit_evaluations: int
    wall_s: float
    optimum: ExactSolution
    ideal: QaoaOutcome
    noisy: QaoaOutcome | None

    @property
    def found_optimum(self) -> bool:
        """The ideal answer reaches the exact optimum."""
        return self.ideal.answer_cost <= self.optimum.cost + 1e-9 * max(1.0, abs(self.optimum.cost))

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "num_qubits": self.num_qubits,
            "layers": self.layers,
            "warm_start": self.warm_start,
            "gammas": list(self.gammas),
            "betas": list(self.betas),
            "iterations": self.iterations,
            "circuit_evaluations": self.circuit_evaluations,
            "wall_s": self.wall_s,
            "optimum": self.optimum.to_dict(),
            "ideal": self.ideal.to_dict(),
            "noisy": None if self.noisy is None else self.noisy.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QaoaResult:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            noisy = data["noisy"]
            return cls(
                int(data["num_qubits"]),
                int(data["layers"]),
                bool(data["warm_start"]),
                tuple(float(g) for g in data["gammas"]),
                tuple(float(b) for b in data["betas"]),
                int(data["iterations"]),
                int(data["circuit_evaluations"]),
                float(data["wall_s"]),
                ExactSolution.from_dict(data["optimum"]),
                QaoaOutcome.from_dict(data["ideal"]),
                None if noisy is None else QaoaOutcome.from_dict(noisy),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                raise
            raise ApplicationError(f"cannot read a QaoaResult: {exc!r}") from exc


def warm_start_angles(qubo: Qubo, epsilon: float = _WARM_EPSILON) -> NDArray[np.float64]:
    """``theta_i = 2 arcsin(sqrt(c_i))`` from the continuous relaxation ``min f(c), c in
    [0, 1]^n`` (L-BFGS-B from 1/2), clipped to ``[epsilon, 1 - epsilon]`` (Egger et al. 2021,
    eq. 6 and the regularisation of section 2.2)."""
    sym = qubo.quadratic + qubo.quadratic.T

    def value(c: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        return float(qubo.linear @ c + c @ qubo.quadratic @ c), qubo.linear + sym @ c

    start = np.full(qubo.num_variables, 0.5)
    relaxed = minimize(value, start, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * start.size)
    c = np.clip(relaxed.x, epsilon, 1 - epsilon)
    return np.asarray(2 * np.arcsin(np.sqrt(c)), dtype=np.float64)


def qaoa_circuit(
    cost: PauliSum,
    gammas: ArrayLike,
    betas: ArrayLike,
    warm_angles: ArrayLike | None = None,
) -> Circuit:
    """The QAOA circuit of a diagonal cost (terms with one or two Z only).

    Args:
        cost: Ising cost (e.g. :meth:`Qubo.to_ising`).
        gammas: Cost angles, one per layer.
        betas: Mixer angles, one per layer.
        warm_angles: ``theta_i`` of the warm start, or None for ``|+>^n`` and the X mixer.

    Returns:
        The measurement-free circuit.

    Raises:
        ApplicationError: For a non-diagonal cost, a term on 3+ qubits or mismatched angles.

    >>> ising = PauliSum.from_labels(2, [(1.0, "ZZ")])
    >>> qaoa_circuit(ising, [0.3], [0.2]).count_ops()
    {'h': 2, 'rzz': 1, 'rx': 2}
    """
    g = np.asarray(gammas, dtype=np.float64).reshape(-1)
    b = np.asarray(betas, dtype=np.float64).reshape(-1)
    if g.shape != b.shape or g.size == 0:
        raise ApplicationError("give one gamma and one beta per layer (at least one layer)")
    if not cost.is_diagonal():
        raise ApplicationError("QAOA needs a diagonal (Z-only) cost")
    weights = np.bitwise_count(cost.z_masks)
    if np.any(weights > 2):
        raise ApplicationError("QAOA here takes terms on one or two qubits only (a QUBO)")
    n = cost.num_qubits
    terms = [
        ([q for q in range(n) if (z >> q) & 1], c)
        for z, c in zip(cost.z_masks.tolist(), cost.coefficients.tolist(), strict=True)
    ]
    circuit = Circuit(n, name="qaoa")
    theta = None if warm_angles is None else np.asarray(warm_angles, dtype=np.float64)
    for q in range(n):
        if theta is None:
            circuit.h(q)
        else:
            circuit.ry(float(theta[q]), q)
    for gamma, beta in zip(g.tolist(), b.tolist(), strict=True):
        for qubits, c in terms:  # exp(-i gamma c Z..Z) = r(z)z(2 gamma c)
            if len(qubits) == 1:
                circuit.rz(2 * gamma * c, qubits[0])
            else:
                circuit.rzz(2 * gamma * c, qubits[0], qubits[1])
        for q in range(n):
            if theta is None:
                circuit.rx(2 * beta, q)
            else:
                circuit.ry(-float(theta[q]), q).rz(-2 * beta, q).ry(float(theta[q]), q)
    return circuit


def _outcome(
    device: str,
    indices: NDArray[np.int64],
    weights: NDArray[np.float64],
    costs: NDArray[np.float64],
    optimum: ExactSolution,
    shots: int,
    exact_expectation: float | None,
    n: int,
) -> QaoaOutcome:
    sampled = costs[indices]
    expectation = float(weights @ sampled) if exact_expectation is None else exact_expectation
    worst = float(costs.max())
    span = worst - optimum.cost
    ratio = 1.0 if span <= 0 else (worst - expectation) / span
    tol = 1e-9 * max(1.0, abs(optimum.cost))
    best = int(indices[int(np.argmin(sampled))])
    return QaoaOutcome(
        device,
        shots,
        expectation,
        float(ratio),
        float(weights[sampled <= optimum.cost + tol].sum()),
        tuple(int((best >> i) & 1) for i in range(n)),
        float(costs[best]),
    )


def run_qaoa(
    qubo: Qubo,
    *,
    layers: int = 1,
    warm_start: bool = False,
    device: str | Path | Calibration | None = None,
    shots: int = 2000,
    seed: int = 0,
    maxiter: int = 80,
) -> QaoaResult:
    """Optimise QAOA on the ideal engine, then sample it there and (optionally) on a device.

    Args:
        qubo: The problem (at most 20 variables: one qubit each).
        layers: p >= 1.
        warm_start: Use the warm-started initial state and mixer.
        device: A device to sample the optimised circuit on (e.g. ``"kvant-50"``), or None.
        shots: Samples on the ideal engine and on the device.
        seed: Seed of the sampling.
        maxiter: COBYLA iterations per depth.

    Returns:
        The result, with the exact optimum from enumeration.

    Raises:
        ApplicationError: For more than 20 variables or bad arguments.

    >>> from kvant.apps import Qubo
    >>> q = Qubo.from_matrix([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [-1, -1, -1])
    >>> r = run_qaoa(q, layers=2)
    >>> r.found_optimum, r.ideal.approximation_ratio > 0.7
    (True, True)
    """
    n = qubo.num_variables
    if n > 20:
        raise ApplicationError(f"{n} variables is too many for a state-vector QAOA; use <= 20")
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 1:
        raise ApplicationError(f"layers must be an int >= 1, got {layers!r}")
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 1:
        raise ApplicationError(f"shots must be a positive int, got {shots!r}")
    costs = qubo.all_costs()
    optimum = qubo.solve_exact()
    normalised = _normalised_cost(qubo)
    warm = warm_start_angles(qubo) if warm_start else None
    engine = make_engine("statevector")
    evaluations = 0

    def expectation(params: NDArray[np.float64]) -> float:
        nonlocal evaluations
        evaluations += 1
        p = params.size // 2
        state = engine.run(qaoa_circuit(normalised, params[:p], params[p:], warm))
        return float(state.probabilities() @ costs)

    began = time.perf_counter()
    params, iterations = optimise_angles(expectation, layers, maxiter)
    wall = time.perf_counter() - began
    gammas, betas = params[:layers], params[layers:]
    circuit = qaoa_circuit(normalised, gammas, betas, warm)
    rng = np.random.default_rng(seed)
    probs = engine.run(circuit).probabilities()
    samples = rng.choice(probs.size, size=shots, p=probs / probs.sum())
    ideal = _outcome(
        "ideal", np.arange(probs.size), probs, costs, optimum, shots, float(probs @ costs), n
    )
    best = int(samples[np.argmin(costs[samples])])
    ideal = QaoaOutcome(
        ideal.device,
        ideal.shots,
        ideal.expectation,
        ideal.approximation_ratio,
        ideal.optimum_probability,
        tuple(int((best >> i) & 1) for i in range(n)),
        float(costs[best]),
    )
    noisy = None
    if device is not None:
        run = run_on_device(circuit, device, shots=shots, seed=int(rng.integers(2**31)))
        keys = np.array([int(k, 2) for k in run.result.counts], dtype=np.int64)
        freq = np.array(list(run.result.counts.values()), dtype=np.float64) / shots
        name = device.name if isinstance(device, Calibration) else str(device)
        noisy = _outcome(name, keys, freq, costs, optimum, shots, None, n)
    return QaoaResult(
        n,
        layers,
        warm_start,
        tuple(float(v) for v in gammas),
        tuple(float(v) for v in betas),
        iterations,
        evaluations,
        wall,
        optimum,
        ideal,
        noisy,
    )


def _normalised_cost(qubo: Qubo) -> PauliSum:
    """The Ising cost scaled to unit largest coefficient (the angles' scale)."""
    ising = qubo.to_ising()
    scale = float(np.abs(ising.coefficients).max()) or 1.0
    return PauliSum(qubo.num_variables, ising.x_masks, ising.z_masks, ising.coefficients / scale)


def qaoa_probabilities(qubo: Qubo, result: QaoaResult) -> NDArray[np.float64]:
    """Probabilities of every assignment (basis index) in the optimised QAOA state of
    ``result`` for ``qubo``, from one more ideal engine run.

    >>> from kvant.apps import Qubo
    >>> q = Qubo(np.array([1.0, -1.0]), np.zeros((2, 2)))
    >>> p = qaoa_probabilities(q, run_qaoa(q))
    >>> int(np.argmax(p))  # b = (0, 1): index 2
    2
    """
    warm = warm_start_angles(qubo) if result.warm_start else None
    circuit = qaoa_circuit(_normalised_cost(qubo), result.gammas, result.betas, warm)
    return make_engine("statevector").run(circuit).probabilities()


def optimise_angles(
    expectation: Callable[[NDArray[np.float64]], float], layers: int, maxiter: int = 80
) -> tuple[NDArray[np.float64], int]:
    """The angle schedule of :func:`run_qaoa`, for any backend that evaluates ``<C>``.

    p = 1 starts from the best point of a 6 x 5 grid (gamma in 0.1..1.5, beta in 0.1..1.4);
    each depth is optimised by COBYLA (``rhobeg`` 0.2) and the next one starts from INTERP.

    Args:
        expectation: ``[gamma_1..gamma_p, beta_1..beta_p] -> <C>``.
        layers: Final depth p.
        maxiter: COBYLA iterations per depth.

    Returns:
        ``(angles, COBYLA function evaluations)``.

    >>> angles, steps = optimise_angles(lambda a: float(np.sum((a - 0.5) ** 2)), 1)
    >>> np.round(angles, 2).tolist()
    [0.5, 0.5]
    """
    grid = [(g, b) for g in np.linspace(0.1, 1.5, 6) for b in np.linspace(0.1, 1.4, 5)]
    values = [expectation(np.array(point)) for point in grid]
    params = np.array(grid[int(np.argmin(values))])
    iterations = 0
    for depth in range(1, layers + 1):
        if depth > 1:  # INTERP: [g_0, ..., g_{p-1}] -> p + 1 points
            old_g, old_b = params[: depth - 1], params[depth - 1 :]
            params = np.concatenate([_interp(old_g), _interp(old_b)])
        opt = minimize(
            expectation, params, method="COBYLA", options={"maxiter": maxiter, "rhobeg": 0.2}
        )
        params = np.asarray(opt.x, dtype=np.float64)
        iterations += int(opt.nfev)
    return params, iterations


def _interp(values: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
    """INTERP (Zhou et al. 2020, eq. B1): p angles -> p + 1 angles."""
    v = np.asarray(values, dtype=np.float64)
    p = v.size
    padded = np.concatenate([[0.0], v, [0.0]])
    i = np.arange(1, p + 2)
    return np.asarray((i - 1) / p * padded[i - 1] + (p - i + 1) / p * padded[i], dtype=np.float64)
