"""Consistency checks between engines (and against the dense reference)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from kvant.circuit import Circuit
from kvant.errors import ConfigError
from kvant.sim import Engine, StateVectorEngine
from kvant.testing._dense import DENSE_MAX_QUBITS, dense_unitary

__all__ = ["assert_counts_match", "assert_engines_agree", "state_fidelity"]

#: Default tolerances (1 - fidelity, max amplitude difference) by the coarser dtype compared.
_TOLERANCES = {"complex128": (1e-10, 1e-8), "complex64": (1e-5, 1e-4)}


def state_fidelity(a: ArrayLike, b: ArrayLike) -> float:
    """``|<a|b>|**2 / (<a|a> <b|b>)``: 1 for equal states up to global phase.

    Args:
        a: State vector.
        b: State vector of the same length.

    Returns:
        The fidelity in [0, 1].

    Raises:
        ConfigError: For shapes that differ or a zero vector.

    >>> round(state_fidelity([1, 0], [0.6, 0.8j]), 12)
    0.36
    """
    x = np.asarray(a, dtype=np.complex128).reshape(-1)
    y = np.asarray(b, dtype=np.complex128).reshape(-1)
    if x.shape != y.shape:
        raise ConfigError(f"states have different lengths: {x.shape[0]} and {y.shape[0]}")
    norms = float(np.vdot(x, x).real * np.vdot(y, y).real)
    if norms == 0:
        raise ConfigError("cannot compute the fidelity of a zero vector")
    return min(float(abs(np.vdot(x, y)) ** 2 / norms), 1.0)


def _unitary_part(circuit: Circuit) -> Circuit:
    body = Circuit(circuit.num_qubits, name=circuit.name)
    for op in circuit:
        if op.name != "measure":
            body.append(op)
    return body


def _describe(engine: Engine) -> str:
    dtype = getattr(engine, "dtype", None)
    return f"{engine.name} ({np.dtype(dtype).name})" if dtype is not None else engine.name


def _precision(state: NDArray[Any]) -> str:
    return "complex64" if state.dtype == np.complex64 else "complex128"


def assert_engines_agree(
    circuit: Circuit,
    engines: Sequence[Engine] | None = None,
    *,
    atol: float | None = None,
    fidelity_tol: float | None = None,
    up_to_global_phase: bool = False,
) -> None:
    """Assert that engines prepare the same state from ``circuit`` (terminal measurements off).

    The reference is the dense matrix product (:func:`~kvant.testing.dense_unitary`) for
    circuits of at most 10 qubits, else the first engine. Each engine's state must have fidelity
    at least ``1 - fidelity_tol`` with it and, unless ``up_to_global_phase``, every amplitude
    must match within ``atol`` (exact agreement, global phase included).

    Args:
        circuit: A circuit without mid-circuit operations; parameters bound.
        engines: Engines to compare (default: the complex128 state-vector engine).
        atol: Largest allowed amplitude difference (default 1e-8, or 1e-4 with complex64).
        fidelity_tol: Largest allowed ``1 - fidelity`` (default 1e-10, or 1e-5 with complex64).
        up_to_global_phase: Compare only up to a global phase (for engines that drop it).

    Raises:
        AssertionError: Naming the engine, the fidelity and the worst amplitude.
        ConfigError: For a circuit with mid-circuit operations or no engines.

    >>> from kvant.circuit import Circuit
    >>> from kvant.sim import StateVectorEngine
    >>> bell = Circuit(2).h(0).cx(0, 1).measure_all()
    >>> assert_engines_agree(bell, [StateVectorEngine(), StateVectorEngine("complex64")])
    """
    if circuit.has_mid_circuit_operations:
        raise ConfigError(
            "assert_engines_agree compares final states; this circuit has mid-circuit "
            "measurements, resets or conditions, so its final state is random"
        )
    chosen: list[Engine] = [StateVectorEngine()] if engines is None else list(engines)
    if not chosen:
        raise ConfigError("assert_engines_agree needs at least one engine")
    states = []
    for engine in chosen:
        state = engine.run(circuit, shots=0, seed=0).state_vector
        if state is None:
            raise AssertionError(f"engine {_describe(engine)} returned no state vector")
        states.append(state)
    if circuit.num_qubits <= DENSE_MAX_QUBITS:
        reference: NDArray[Any] = dense_unitary(_unitary_part(circuit))[:, 0]
        reference_name = "dense reference"
        compared = list(zip(chosen, states, strict=True))
    else:
        reference, reference_name = states[0], _describe(chosen[0])
        compared = list(zip(chosen[1:], states[1:], strict=True))
    for engine, state in compared:
        precision = (
            "complex64"
            if "complex64" in (_precision(state), _precision(reference))
            else ("complex128")
        )
        default_fid, default_atol = _TOLERANCES[precision]
        fid_limit = default_fid if fidelity_tol is None else fidelity_tol
        amp_limit = default_atol if atol is None else atol
        name = _describe(engine)
        if state.shape != reference.shape:
            raise AssertionError(
                f"{name} returned {state.shape[0]} amplitudes, "
                f"{reference_name} {reference.shape[0]}"
            )
        fidelity = state_fidelity(reference, state)
        diff = np.abs(state.astype(np.complex128) - reference)
        worst = int(np.argmax(diff))
        detail = (
            f"{name} vs {reference_name} on {circuit!r}: fidelity {fidelity:.15f} "
            f"(1 - F = {1 - fidelity:.2e}, allowed {fid_limit:.0e}); largest amplitude "
            f"difference {diff[worst]:.2e} at basis index {worst} "
            f"({state[worst]:.6g} vs {reference[worst]:.6g})"
        )
        if 1 - fidelity > fid_limit:
            raise AssertionError("states differ: " + detail)
        if not up_to_global_phase and diff[worst] > amp_limit:
            overlap = np.vdot(reference, state.astype(np.complex128))
            phase = float(np.angle(overlap))
            raise AssertionError(
                f"states agree only up to a global phase of {phase:.6g} rad "
                f"(pass up_to_global_phase=True for engines that drop it): " + detail
            )


#: Bins expected to hold fewer shots than this are pooled, so the chi-square approximation holds.
_MIN_EXPECTED = 5.0


def assert_counts_match(
    counts: Mapping[str, int],
    probabilities: Mapping[str, float],
    *,
    min_p_value: float = 1e-3,
) -> float:
    """Chi-square goodness-of-fit test of shot counts against exact probabilities.

    Outcomes expected fewer than 5 times are pooled into one bin; an outcome of probability 0
    that was observed fails at once. With a fixed seed the test is deterministic; with
    ``min_p_value = 1e-3`` a correct sampler fails one seed in a thousand.

    Args:
        counts: Observed ``{bitstring: shots}``.
        probabilities: Exact ``{bitstring: probability}`` (summing to 1).
        min_p_value: Fail below this p-value.

    Returns:
        The p-value.

    Raises:
        AssertionError: If an impossible outcome occurs or the p-value is too small.

    >>> assert_counts_match({"0": 4970, "1": 5030}, {"0": 0.5, "1": 0.5}) > 0.5
    True
    """
    shots = sum(counts.values())
    impossible = sorted(k for k, v in counts.items() if v and probabilities.get(k, 0.0) <= 0)
    if impossible:
        raise AssertionError(f"outcomes {impossible[:5]} have probability 0 but were observed")
    total = float(sum(probabilities.values()))
    keys = sorted(probabilities)
    expected = np.array([probabilities[k] / total * shots for k in keys])
    observed = np.array([counts.get(k, 0) for k in keys], dtype=np.float64)
    small = expected < _MIN_EXPECTED
    if small.any():
        expected = np.append(expected[~small], expected[small].sum())
        observed = np.append(observed[~small], observed[small].sum())
    if expected.shape[0] < 2:
        return 1.0
    p_value = float(stats.chisquare(observed, expected).pvalue)
    if p_value < min_p_value:
        deviations = [(k, counts.get(k, 0), probabilities[k] / total * shots) for k in keys]
        worst = sorted(deviations, key=lambda item: -abs(item[1] - item[2]))[:5]
        raise AssertionError(
            f"counts do not fit the probabilities: chi-square p = {p_value:.3g} < "
            f"{min_p_value:g} over {shots} shots; largest deviations (key, observed, expected): "
            + ", ".join(f"({k}, {o}, {e:.1f})" for k, o, e in worst)
        )
    return p_value
