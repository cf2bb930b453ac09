"""The Clifford tables: group structure (checked by Stim and by unitaries) and native circuits."""

from __future__ import annotations

import numpy as np
import stim

from kvant.bench import clifford_1q, clifford_2q
from kvant.circuit import Circuit
from kvant.sim import StateVectorEngine


def _unitary(circuit: Circuit) -> np.ndarray:
    n = circuit.num_qubits
    columns = []
    for k in range(2**n):
        prep = Circuit(n)
        for q in range(n):
            if (k >> q) & 1:
                prep.x(q)
        columns.append(StateVectorEngine().run(prep + circuit).state_vector)
    return np.array(columns).T


def _same_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    overlap = np.vdot(a.reshape(-1), b.reshape(-1))
    return bool(abs(abs(overlap) - a.shape[0]) < 1e-6)


def test_one_qubit_table_is_the_clifford_group() -> None:
    table = clifford_1q()
    assert table.then.shape == (24, 24)
    # a group: closure (a Latin square) and inverses
    assert all(sorted(row) == list(range(24)) for row in table.then.tolist())
    assert all(table.then[i, table.inverse[i]] == 0 for i in range(24))
    # Pauli conjugation maps Paulis to Paulis: 24 distinct signed actions (the Clifford group)
    tableaux = {str(stim.Tableau.from_unitary_matrix(u, endian="big")) for u in table.unitaries}
    assert len(tableaux) == 24


def test_two_qubit_table_has_11520_distinct_elements_and_1_5_cz() -> None:
    table = clifford_2q()
    assert table.size == 11520  # |C2| / phases (Corcoles et al. 2013)
    assert len({str(t) for t in table.tableaux}) == 11520
    assert float(table.num_cz.mean()) == 1.5


def test_native_circuits_implement_their_tableaux() -> None:
    table = clifford_2q()
    for index in (0, 100, 700, 6000, 11000, 11519):
        circuit = Circuit(2)
        table.append_to(circuit, index, 0, 1)
        # kvant is little-endian (qubit 0 least significant); stim "little" matches
        expected = table.tableaux[index].to_unitary_matrix(endian="little")
        assert _same_up_to_phase(_unitary(circuit), expected)
