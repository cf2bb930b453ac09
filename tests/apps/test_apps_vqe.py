"""VQE: circuits against the engine, gradients against finite differences, energies against
PySCF's FCI/CASCI, and error mitigation on the noisy kvant-50."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.apps import (
    CHEMICAL_ACCURACY_HA,
    MolecularProblem,
    VqeResult,
    build_ansatz,
    dissociation_curve,
    hardware_efficient_ansatz,
    measure_energy,
    qubit_hamiltonian,
    run_vqe,
    uccsd_ansatz,
)
from kvant.errors import ApplicationError
from kvant.sim import StateVectorEngine


def _finite_difference(ansatz, theta, matrix, step=1e-6):  # type: ignore[no-untyped-def]
    grad = np.zeros_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = step
        plus = np.vdot(s := ansatz.state(theta + e), matrix @ s).real
        minus = np.vdot(s := ansatz.state(theta - e), matrix @ s).real
        grad[k] = (plus - minus) / (2 * step)
    return grad


@pytest.mark.parametrize("kind", ["uccsd", "hardware-efficient"])
def test_circuit_state_and_gradients_agree(kind: str, lih: MolecularProblem) -> None:
    hamiltonian = qubit_hamiltonian(lih.integrals)
    ansatz = build_ansatz(lih, hamiltonian, kind, "parity-tapered", 1)
    theta = np.random.default_rng(3).normal(0, 0.4, ansatz.num_parameters)
    engine = StateVectorEngine()
    run = engine.run(ansatz.circuit(theta))
    assert abs(np.vdot(run.state_vector, ansatz.state(theta))) == pytest.approx(1.0, abs=1e-10)
    matrix = hamiltonian.to_sparse()
    energy, adjoint = ansatz.adjoint_gradient(theta, matrix)
    assert energy == pytest.approx(run.expectation(hamiltonian.terms()) + hamiltonian.constant)
    reference = _finite_difference(ansatz, theta, matrix)
    np.testing.assert_allclose(adjoint, reference, atol=1e-7)
    shifted = np.array(
        [
            [
                engine.run(plus).expectation(hamiltonian.terms()),
                engine.run(minus).expectation(hamiltonian.terms()),
            ]
            for _, plus, minus in ansatz.shifted_circuits(theta)
        ]
    )
    np.testing.assert_allclose(ansatz.gradient_from_shifts(shifted), reference, atol=1e-7)


@pytest.mark.parametrize("name", ["h2", "lih"])
def test_uccsd_reaches_chemical_accuracy_at_equilibrium(
    name: str, request: pytest.FixtureRequest
) -> None:
    problem: MolecularProblem = request.getfixturevalue(name)
    result = run_vqe(problem)
    assert abs(result.energy_ha - problem.reference_ha) < CHEMICAL_ACCURACY_HA
    assert result.chemically_accurate
    assert result.energy_ha < problem.hartree_fock_ha - 1e-3  # it did correlate
    assert result.circuit_evaluations >= result.iterations
    # and of the full-space FCI: the frozen core and omitted pi orbitals cost < 1.6 mHa here
    assert problem.fci_ha is not None
    assert abs(result.energy_ha - problem.fci_ha) < CHEMICAL_ACCURACY_HA


def test_parameter_shift_and_hardware_efficient_on_h2(h2: MolecularProblem) -> None:
    shift = run_vqe(h2, gradient="parameter-shift")
    assert shift.chemically_accurate
    assert shift.circuit_evaluations > shift.gradient_evaluations * 2  # 2 runs per rotation
    hea = run_vqe(h2, ansatz="hardware-efficient", layers=1, seed=2)
    assert hea.chemically_accurate
    assert VqeResult.from_dict(hea.to_dict()) == hea


def test_jordan_wigner_vqe_matches_the_tapered_one(h2: MolecularProblem) -> None:
    jw = run_vqe(h2, mapping="jordan-wigner")
    assert jw.num_qubits == 4
    assert jw.energy_ha == pytest.approx(run_vqe(h2).energy_ha, abs=1e-8)


def test_h2_dissociation_curve_follows_fci() -> None:
    curve = dissociation_curve("H2", [0.5, 1.0, 2.0])
    assert [abs(r.error_ha) < CHEMICAL_ACCURACY_HA for r in curve] == [True] * 3
    energies = [r.energy_ha for r in curve]
    assert energies[1] < energies[0]
    assert energies[1] < energies[2]


def test_mitigation_improves_the_noisy_energy(h2: MolecularProblem) -> None:
    hamiltonian = qubit_hamiltonian(h2.integrals)
    ideal = run_vqe(h2)
    circuit = uccsd_ansatz(h2.integrals).circuit(ideal.parameters)
    # 50k shots: the shot noise of the energy (~1 mHa) stays well below the readout bias
    noisy = measure_energy(circuit, hamiltonian, "kvant-50", shots=50_000, seed=0)
    raw_error = abs(noisy.raw_ha - h2.reference_ha)
    readout_error = abs(noisy.readout_mitigated_ha - h2.reference_ha)
    mitigated_error = abs(noisy.mitigated_ha - h2.reference_ha)
    assert raw_error > 5e-3  # the device is noisy enough to matter
    assert readout_error < raw_error - 2e-3
    assert mitigated_error < 0.5 * raw_error
    assert noisy.circuits_run == 3 * 2  # scales x measurement groups
    assert type(noisy).from_dict(noisy.to_dict()) == noisy


def test_bad_arguments() -> None:
    with pytest.raises(ApplicationError, match="unknown gradient"):
        run_vqe("H2", gradient="finite")
    with pytest.raises(ApplicationError, match="unknown ansatz"):
        run_vqe("H2", ansatz="qaoa")
    with pytest.raises(ApplicationError, match="layers"):
        hardware_efficient_ansatz(2, layers=-1)
    with pytest.raises(ApplicationError, match="parameter"):
        hardware_efficient_ansatz(2, layers=0).state([0.0])
