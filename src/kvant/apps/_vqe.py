"""The variational quantum eigensolver (Peruzzo et al. 2014, Nat. Commun. 5, 4213) on Kvant.

Each energy is a circuit run on a Kvant engine (``kvant.sim.make_engine``) and
``Result.expectation`` of the qubit Hamiltonian; gradients come from adjoint differentiation
on the state vector (one forward and one backward sweep) or from the parameter-shift rule
(two engine runs per parametrised rotation). The optimiser is SciPy's BFGS.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from kvant.apps._ansatz import ANSATZ_NAMES, Ansatz, hardware_efficient_ansatz, uccsd_ansatz
from kvant.apps._fermion import qubit_hamiltonian
from kvant.apps._molecules import MolecularProblem, molecular_problem
from kvant.apps._pauli_sum import PauliSum
from kvant.errors import ApplicationError
from kvant.sim import make_engine

__all__ = [
    "CHEMICAL_ACCURACY_HA",
    "GRADIENT_METHODS",
    "VqeResult",
    "build_ansatz",
    "dissociation_curve",
    "run_vqe",
]

#: 1 kcal/mol = 1.5936e-3 hartree, the customary "chemical accuracy".
CHEMICAL_ACCURACY_HA = 1.6e-3
GRADIENT_METHODS: tuple[str, ...] = ("adjoint", "parameter-shift")


@dataclass(frozen=True)
class VqeResult:
    """One VQE run.

    Attributes:
        molecule: Molecule name.
        bond_angstrom: Bond length.
        ansatz: ``uccsd`` or ``hardware-efficient``.
        mapping: Fermion-to-qubit mapping.
        gradient: ``adjoint`` or ``parameter-shift``.
        num_qubits: Qubits of the circuit.
        num_parameters: Variational parameters.
        energy_ha: Final VQE energy (an engine run of the optimal circuit).
        reference_ha: CASCI energy of the active space (FCI for H2).
        hartree_fock_ha: RHF energy.
        error_ha: ``energy_ha - reference_ha``.
        iterations: Optimiser iterations.
        circuit_evaluations: Engine runs (energies and parameter shifts).
        gradient_evaluations: Gradients computed.
        wall_s: Wall time of the optimisation.
        parameters: Optimal parameters.
    """

    molecule: str
    bond_angstrom: float
    ansatz: str
    mapping: str
    gradient: str
    num_qubits: int
    num_parameters: int
    energy_ha: float
    reference_ha: float
    hartree_fock_ha: float
    error_ha: float
    iterations: int
    circuit_evaluations: int
    gradient_evaluations: int
    wall_s: float
    parameters: tuple[float, ...]

    @property
    def chemically_accurate(self) -> bool:
        """``|error_ha| < 1.6 mHa``."""
        return abs(self.error_ha) < CHEMICAL_ACCURACY_HA

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        data = asdict(self)
        data["parameters"] = list(self.parameters)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VqeResult:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            values = dict(data)
            values["parameters"] = tuple(float(v) for v in values["parameters"])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplicationError(f"cannot read a VqeResult: {exc!r}") from exc


def build_ansatz(
    problem: MolecularProblem,
    hamiltonian: PauliSum,
    ansatz: str,
    mapping: str,
    layers: int,
) -> Ansatz:
    """The named ansatz for ``problem`` (the hardware-efficient one starts from Hartree-Fock)."""
    uccsd = uccsd_ansatz(problem.integrals, mapping)
    if ansatz == "uccsd":
        return uccsd
    if ansatz == "hardware-efficient":
        return hardware_efficient_ansatz(hamiltonian.num_qubits, layers, uccsd.initial_bits)
    raise ApplicationError(f"unknown ansatz {ansatz!r}; choose one of {', '.join(ANSATZ_NAMES)}")


def run_vqe(
    problem: MolecularProblem | str,
    *,
    ansatz: str = "uccsd",
    mapping: str = "parity-tapered",
    gradient: str = "adjoint",
    layers: int = 2,
    engine: str = "statevector",
    maxiter: int = 200,
    seed: int = 0,
    initial_parameters: Sequence[float] | None = None,
) -> VqeResult:
    """Minimise the energy of ``problem`` over an ansatz, every energy run on a Kvant engine.

    Args:
        problem: A :class:`MolecularProblem` or a molecule name (at equilibrium).
        ansatz: ``uccsd`` (starts at zero = Hartree-Fock) or ``hardware-efficient`` (small
            random start from ``seed``).
        mapping: ``parity-tapered`` (default), ``parity`` or ``jordan-wigner``.
        gradient: ``adjoint`` or ``parameter-shift``.
        layers: Entangling layers of the hardware-efficient ansatz.
        engine: A state-vector engine name for :func:`kvant.sim.make_engine`.
        maxiter: Most optimiser iterations.
        seed: Seed of the hardware-efficient starting point.
        initial_parameters: Start here instead (warm start along a curve).

    Returns:
        The result.

    Raises:
        ApplicationError: For an unknown ansatz or gradient method, or a wrong start length.

    >>> result = run_vqe("H2")
    >>> result.num_qubits, result.chemically_accurate
    (2, True)
    """
    if gradient not in GRADIENT_METHODS:
        raise ApplicationError(
            f"unknown gradient {gradient!r}; choose one of {', '.join(GRADIENT_METHODS)}"
        )
    if isinstance(maxiter, bool) or not isinstance(maxiter, int) or maxiter < 1:
        raise ApplicationError(f"maxiter must be a positive int, got {maxiter!r}")
    if isinstance(problem, str):
        problem = molecular_problem(problem)
    hamiltonian = qubit_hamiltonian(problem.integrals, mapping)
    circuit_ansatz = build_ansatz(problem, hamiltonian, ansatz, mapping, layers)
    simulator = make_engine(engine)
    terms = hamiltonian.terms()
    matrix = hamiltonian.to_sparse() if gradient == "adjoint" else None
    counts = {"circuits": 0, "gradients": 0}

    def energy(theta: np.ndarray[Any, Any]) -> float:
        counts["circuits"] += 1
        result = simulator.run(circuit_ansatz.circuit(theta))
        return result.expectation(terms) + hamiltonian.constant

    def shift_gradient(theta: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        shifted = [
            [energy_of(plus), energy_of(minus)]
            for _, plus, minus in circuit_ansatz.shifted_circuits(theta)
        ]
        return circuit_ansatz.gradient_from_shifts(np.array(shifted))

    def energy_of(circuit: Any) -> float:
        counts["circuits"] += 1
        return simulator.run(circuit).expectation(terms)

    def objective(theta: np.ndarray[Any, Any]) -> tuple[float, np.ndarray[Any, Any]]:
        counts["gradients"] += 1
        value = energy(theta)
        if matrix is not None:
            _, grad = circuit_ansatz.adjoint_gradient(theta, matrix)
        else:
            grad = shift_gradient(theta)
        return value, grad

    if initial_parameters is not None:
        start = np.asarray(initial_parameters, dtype=float)
        if start.shape != (circuit_ansatz.num_parameters,):
            raise ApplicationError(
                f"initial_parameters needs {circuit_ansatz.num_parameters} values, got "
                f"{start.shape}"
            )
    elif ansatz == "uccsd":
        start = np.zeros(circuit_ansatz.num_parameters)
    else:
        start = np.random.default_rng(seed).normal(0, 0.05, circuit_ansatz.num_parameters)
    began = time.perf_counter()
    opt = minimize(
        objective, start, jac=True, method="BFGS", options={"maxiter": maxiter, "gtol": 1e-6}
    )
    final = energy(opt.x)
    wall = time.perf_counter() - began
    return VqeResult(
        molecule=problem.name,
        bond_angstrom=problem.bond_angstrom,
        ansatz=circuit_ansatz.name,
        mapping=mapping,
        gradient=gradient,
        num_qubits=hamiltonian.num_qubits,
        num_parameters=circuit_ansatz.num_parameters,
        energy_ha=final,
        reference_ha=problem.reference_ha,
        hartree_fock_ha=problem.hartree_fock_ha,
        error_ha=final - problem.reference_ha,
        iterations=int(opt.nit),
        circuit_evaluations=counts["circuits"],
        gradient_evaluations=counts["gradients"],
        wall_s=wall,
        parameters=tuple(float(v) for v in opt.x),
    )


def dissociation_curve(
    name: str,
    bonds_angstrom: Sequence[float],
    *,
    ansatz: str = "uccsd",
    gradient: str = "adjoint",
    mapping: str = "parity-tapered",
) -> list[VqeResult]:
    """VQE along a bond-length grid, each point warm-started from the previous optimum.

    Args:
        name: Molecule.
        bonds_angstrom: Bond lengths (at least one).
        ansatz: As for :func:`run_vqe`.
        gradient: As for :func:`run_vqe`.
        mapping: As for :func:`run_vqe`.

    Returns:
        One result per bond (each carries the CASCI/FCI reference).

    Raises:
        ApplicationError: For an empty grid.

    >>> [round(r.error_ha, 4) for r in dissociation_curve("H2", [0.6, 1.2])]
    [0.0, 0.0]
    """
    bonds = [float(b) for b in bonds_angstrom]
    if not bonds:
        raise ApplicationError("give at least one bond length")
    results: list[VqeResult] = []
    previous: tuple[float, ...] | None = None
    for bond in bonds:
        result = run_vqe(
            molecular_problem(name, bond),
            ansatz=ansatz,
            gradient=gradient,
            mapping=mapping,
            initial_parameters=previous,
        )
        previous = result.parameters
        results.append(result)
    return results
