"""Hypothesis property tests: invariants of the state-vector engine."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.sim import StateVectorEngine
from kvant.testing import random_circuit, state_fidelity

PROFILE = settings(max_examples=40, deadline=None, derandomize=True, database=None)
GATE_SETS = st.sampled_from([None, ["unitary", "h", "cx", "rz", "ccx"]])
DTYPES = st.sampled_from(["complex128", "complex64"])
TOLERANCE = {"complex128": 1e-10, "complex64": 1e-5}


@PROFILE
@given(
    num_qubits=st.integers(1, 7),
    depth=st.integers(0, 10),
    seed=st.integers(0, 2**32 - 1),
    gate_set=GATE_SETS,
    dtype=DTYPES,
)
def test_norm_is_preserved(
    num_qubits: int, depth: int, seed: int, gate_set: list[str] | None, dtype: str
) -> None:
    circuit = random_circuit(num_qubits, depth, seed=seed, gate_set=gate_set)
    state = StateVectorEngine(dtype).run(circuit).state_vector
    assert state is not None
    assert abs(np.linalg.norm(state.astype(complex)) - 1) < TOLERANCE[dtype]


@PROFILE
@given(
    num_qubits=st.integers(1, 7),
    depth=st.integers(0, 10),
    seed=st.integers(0, 2**32 - 1),
    gate_set=GATE_SETS,
    dtype=DTYPES,
)
def test_circuit_then_inverse_returns_to_zero(
    num_qubits: int, depth: int, seed: int, gate_set: list[str] | None, dtype: str
) -> None:
    circuit = random_circuit(num_qubits, depth, seed=seed, gate_set=gate_set)
    state = StateVectorEngine(dtype).run(circuit + circuit.inverse()).state_vector
    assert state is not None
    zero = np.zeros(2**num_qubits)
    zero[0] = 1
    assert state_fidelity(zero, state) > 1 - TOLERANCE[dtype]


@PROFILE
@given(
    num_qubits=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    shots=st.integers(1, 300),
    mid_circuit=st.booleans(),
)
def test_counts_cover_all_clbits_and_add_up(
    num_qubits: int, seed: int, shots: int, mid_circuit: bool
) -> None:
    circuit = random_circuit(num_qubits, 4, seed=seed, measure=True, mid_circuit=mid_circuit)
    result = StateVectorEngine().run(circuit, shots=shots, seed=seed)
    assert sum(result.counts.values()) == shots
    assert all(len(key) == circuit.num_clbits for key in result.counts)
    assert all(set(key) <= {"0", "1"} for key in result.counts)
