"""assert_engines_agree, assert_counts_match and state_fidelity, with small real fakes."""

from __future__ import annotations

import cmath

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.errors import ConfigError
from kvant.sim import Engine, Result, StateVectorEngine
from kvant.testing import (
    assert_counts_match,
    assert_engines_agree,
    random_circuit,
    state_fidelity,
)


class PhaseDroppingEngine:
    """A real engine that returns the state times a global phase (as a stabilizer engine may)."""

    name = "phase-dropping"

    def __init__(self, phase: float) -> None:
        self._inner = StateVectorEngine()
        self._phase = phase

    def run(
        self,
        circuit: Circuit,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> Result:
        result = self._inner.run(circuit, shots=shots, seed=seed)
        assert result.state_vector is not None
        state = result.state_vector * cmath.exp(1j * self._phase)
        return Result(self.name, result.num_qubits, result.num_clbits, shots, None, {}, state)


class BigEndianEngine:
    """A real engine with the wrong bit order: the state's qubit order reversed."""

    name = "big-endian"

    def run(
        self,
        circuit: Circuit,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> Result:
        result = StateVectorEngine().run(circuit, shots=shots, seed=seed)
        assert result.state_vector is not None
        n = circuit.num_qubits
        state = result.state_vector.reshape((2,) * n).transpose().reshape(-1)
        return Result(self.name, n, result.num_clbits, shots, None, {}, state)


class CountsOnlyEngine:
    """A real engine that returns counts but no state vector."""

    name = "counts-only"

    def run(
        self,
        circuit: Circuit,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> Result:
        return Result(self.name, circuit.num_qubits, circuit.num_clbits, 0, None, {})


def test_fakes_are_engines() -> None:
    for engine in (PhaseDroppingEngine(0.1), BigEndianEngine(), CountsOnlyEngine()):
        assert isinstance(engine, Engine)


def test_agreeing_engines_pass() -> None:
    circuit = random_circuit(5, 6, seed=2, measure=True)
    assert_engines_agree(circuit)
    assert_engines_agree(circuit, [StateVectorEngine(), StateVectorEngine("complex64")])


def test_large_circuits_compare_against_the_first_engine() -> None:
    circuit = random_circuit(12, 3, seed=3)
    assert_engines_agree(circuit, [StateVectorEngine(), StateVectorEngine("complex64")])
    with pytest.raises(AssertionError, match="big-endian vs statevector \\(complex128\\)"):
        assert_engines_agree(circuit, [StateVectorEngine(), BigEndianEngine()])


def test_global_phase_is_caught_unless_allowed() -> None:
    circuit = random_circuit(3, 4, seed=4)
    engine = PhaseDroppingEngine(0.5)
    with pytest.raises(AssertionError, match=r"global phase of 0\.5 rad"):
        assert_engines_agree(circuit, [engine])
    assert_engines_agree(circuit, [engine], up_to_global_phase=True)


def test_wrong_bit_order_is_caught() -> None:
    circuit = Circuit(3).h(0).cx(0, 1).x(2).ry(0.3, 1)
    with pytest.raises(AssertionError, match=r"states differ: big-endian vs dense reference"):
        assert_engines_agree(circuit, [BigEndianEngine()])


def test_missing_state_is_an_assertion() -> None:
    with pytest.raises(AssertionError, match="counts-only returned no state vector"):
        assert_engines_agree(Circuit(1).h(0), [CountsOnlyEngine()])


def test_argument_errors() -> None:
    with pytest.raises(ConfigError, match="mid-circuit"):
        assert_engines_agree(Circuit(1, 1).h(0).measure(0, 0).x(0))
    with pytest.raises(ConfigError, match="at least one engine"):
        assert_engines_agree(Circuit(1), [])


def test_state_fidelity() -> None:
    assert state_fidelity([1, 0], [0, 1]) == 0.0
    assert state_fidelity([1, 1j], [2j, -2]) == pytest.approx(1.0)  # global phase, scale
    with pytest.raises(ConfigError, match="different lengths"):
        state_fidelity([1, 0], [1, 0, 0, 0])
    with pytest.raises(ConfigError, match="zero vector"):
        state_fidelity([0, 0], [1, 0])


def test_assert_counts_match() -> None:
    probabilities = {"00": 0.5, "11": 0.5, "01": 1e-6}
    assert assert_counts_match({"00": 5020, "11": 4980}, probabilities) > 0.1
    with pytest.raises(AssertionError, match="p = "):
        assert_counts_match({"00": 6000, "11": 4000}, probabilities)
    with pytest.raises(AssertionError, match="probability 0 but were observed"):
        assert_counts_match({"00": 5000, "10": 1}, probabilities)
    assert assert_counts_match({"0": 10}, {"0": 1.0}) == 1.0
