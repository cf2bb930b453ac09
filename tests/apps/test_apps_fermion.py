"""Fermion-to-qubit mappings checked against OpenFermion and PySCF."""

from __future__ import annotations

import numpy as np
import pytest
from openfermion import InteractionOperator, get_sparse_operator, jordan_wigner
from openfermion.transforms import get_fermion_operator

from kvant.apps import (
    MolecularIntegrals,
    MolecularProblem,
    PauliSum,
    excitations,
    hartree_fock_bits,
    molecular_problem,
    qubit_hamiltonian,
)
from kvant.errors import ApplicationError


def _openfermion_spectrum(integrals: MolecularIntegrals) -> np.ndarray:
    """Eigenvalues of OpenFermion's Jordan-Wigner image of the same Hamiltonian.

    Spin orbitals in Kvant's block order (alpha then beta); OpenFermion's two-body tensor
    multiplies a+_P a+_Q a_R a_S, so entry [P, R, S, Q] is (pq|rs)/2 for P, Q of one spin and
    R, S of one spin.
    """
    m = integrals.num_orbitals
    n = 2 * m
    one = np.zeros((n, n))
    two = np.zeros((n, n, n, n))
    for s in (0, 1):
        one[s * m : (s + 1) * m, s * m : (s + 1) * m] = integrals.one_body_ha
    g = integrals.two_body_ha
    for s1 in (0, 1):
        for s2 in (0, 1):
            a, b = s1 * m, s2 * m
            # two[P, R, S, Q] with P = p + a, Q = q + a, R = r + b, S = s + b
            two[a : a + m, b : b + m, b : b + m, a : a + m] = 0.5 * np.transpose(g, (0, 2, 3, 1))
    operator = InteractionOperator(integrals.core_energy_ha, one, two)
    qubit = jordan_wigner(get_fermion_operator(operator))
    return np.linalg.eigvalsh(get_sparse_operator(qubit, n_qubits=n).toarray())


@pytest.mark.parametrize("name", ["h2", "lih"])
def test_jordan_wigner_spectrum_equals_openfermion(
    name: str, request: pytest.FixtureRequest
) -> None:
    problem: MolecularProblem = request.getfixturevalue(name)
    ours = qubit_hamiltonian(problem.integrals, "jordan-wigner").spectrum()
    np.testing.assert_allclose(ours, _openfermion_spectrum(problem.integrals), atol=1e-9)


@pytest.mark.parametrize("name", ["h2", "lih"])
def test_parity_is_a_basis_change_and_tapering_keeps_the_ground_state(
    name: str, request: pytest.FixtureRequest
) -> None:
    problem: MolecularProblem = request.getfixturevalue(name)
    jw = qubit_hamiltonian(problem.integrals, "jordan-wigner")
    parity = qubit_hamiltonian(problem.integrals, "parity")
    tapered = qubit_hamiltonian(problem.integrals, "parity-tapered")
    np.testing.assert_allclose(parity.spectrum(), jw.spectrum(), atol=1e-9)
    assert tapered.num_qubits == jw.num_qubits - 2
    # the tapered spectrum is the (N_alpha, N) parity sector of the full one
    full = jw.spectrum()
    for value in tapered.spectrum():
        assert np.min(np.abs(full - value)) < 1e-8
    assert tapered.ground_energy() == pytest.approx(problem.reference_ha, abs=1e-8)


def test_h2_fci_and_the_hartree_fock_determinant(h2: MolecularProblem) -> None:
    # Szabo & Ostlund (1989), H2/STO-3G at R = 1.4 bohr: E_FCI = -1.1373 Ha
    assert h2.reference_ha == pytest.approx(-1.1373, abs=1e-4)
    assert h2.fci_ha == pytest.approx(h2.reference_ha, abs=1e-9)
    for mapping in ("jordan-wigner", "parity", "parity-tapered"):
        matrix = qubit_hamiltonian(h2.integrals, mapping).to_sparse()
        bits = hartree_fock_bits(h2.integrals, mapping)
        assert matrix[bits, bits].real == pytest.approx(h2.hartree_fock_ha, abs=1e-9)


def test_lih_active_space_is_close_to_full_fci(lih: MolecularProblem) -> None:
    assert lih.active_space == (2, 3)
    assert lih.fci_ha is not None
    assert 0 < lih.reference_ha - lih.fci_ha < 3e-3  # the omitted pi correlation is small
    assert lih.reference_ha < lih.hartree_fock_ha


def test_formamide_reference_is_casci() -> None:
    problem = molecular_problem("formamide")
    tapered = qubit_hamiltonian(problem.integrals)
    assert tapered.num_qubits == 4
    assert tapered.ground_energy() == pytest.approx(problem.reference_ha, abs=1e-8)
    assert problem.reference_ha < problem.hartree_fock_ha


def test_excitations_conserve_spin(lih: MolecularProblem) -> None:
    m = lih.integrals.num_orbitals
    found = excitations(lih.integrals)
    assert len(found) == 4 + 4  # 2 alpha + 2 beta singles, 2 x 2 alpha-beta doubles
    for e in found:
        spins_out = sorted(k // m for k in e.occupied)
        spins_in = sorted(k // m for k in e.virtual)
        assert spins_out == spins_in


def test_round_trips(h2: MolecularProblem) -> None:
    assert type(h2).from_dict(h2.to_dict()).to_dict() == h2.to_dict()
    h = qubit_hamiltonian(h2.integrals)
    assert PauliSum.from_dict(h.to_dict()) == h
    again = MolecularIntegrals.from_dict(h2.integrals.to_dict())
    np.testing.assert_array_equal(again.two_body_ha, h2.integrals.two_body_ha)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ApplicationError, match="unknown molecule"):
        molecular_problem("benzene")
    with pytest.raises(ApplicationError, match="bond_angstrom"):
        molecular_problem("H2", 0.01)
    with pytest.raises(ApplicationError, match="unknown mapping"):
        qubit_hamiltonian(molecular_problem("H2").integrals, "bravyi-kitaev")
    with pytest.raises(ApplicationError, match="symmetric"):
        MolecularIntegrals(0.0, np.array([[0.0, 1.0], [0.0, 0.0]]), np.zeros((2,) * 4), 1, 1)
    with pytest.raises(ApplicationError, match="letters"):
        PauliSum.from_labels(2, [(1.0, "XQ")])
