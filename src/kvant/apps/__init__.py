"""Applications on Kvant's emulator: QAOA on power-grid problems, VQE on molecules.

>>> from kvant.apps import run_vqe
>>> run_vqe("H2").chemically_accurate
True
"""

from kvant.apps._ansatz import ANSATZ_NAMES, Ansatz, hardware_efficient_ansatz, uccsd_ansatz
from kvant.apps._energy import IslandingRun, coarse_grain, solve_islanding
from kvant.apps._fermion import (
    MAPPINGS,
    Excitation,
    MolecularIntegrals,
    excitations,
    hartree_fock_bits,
    qubit_hamiltonian,
)
from kvant.apps._grid import (
    GRID_CASES,
    GridCase,
    IslandingProblem,
    UnitCommitment,
    islanding_problem,
    load_grid,
)
from kvant.apps._mitigation import (
    NoisyEnergy,
    extrapolate_to_zero,
    fold_circuit,
    measure_energy,
    measurement_groups,
    mitigate_readout,
    readout_matrices,
)
from kvant.apps._molecules import (
    MOLECULES,
    MolecularProblem,
    equilibrium_bond_angstrom,
    molecular_problem,
)
from kvant.apps._pauli_sum import PauliSum
from kvant.apps._qaoa import (
    QaoaOutcome,
    QaoaResult,
    optimise_angles,
    qaoa_circuit,
    qaoa_probabilities,
    run_qaoa,
    warm_start_angles,
)
from kvant.apps._qubo import BRUTE_FORCE_MAX_VARIABLES, ExactSolution, Qubo
from kvant.apps._vqe import (
    CHEMICAL_ACCURACY_HA,
    GRADIENT_METHODS,
    VqeResult,
    build_ansatz,
    dissociation_curve,
    run_vqe,
)

__all__ = [
    "ANSATZ_NAMES",
    "BRUTE_FORCE_MAX_VARIABLES",
    "CHEMICAL_ACCURACY_HA",
    "GRADIENT_METHODS",
    "GRID_CASES",
    "MAPPINGS",
    "MOLECULES",
    "Ansatz",
    "ExactSolution",
    "Excitation",
    "GridCase",
    "IslandingProblem",
    "IslandingRun",
    "MolecularIntegrals",
    "MolecularProblem",
    "NoisyEnergy",
    "PauliSum",
    "QaoaOutcome",
    "QaoaResult",
    "Qubo",
    "UnitCommitment",
    "VqeResult",
    "build_ansatz",
    "coarse_grain",
    "dissociation_curve",
    "equilibrium_bond_angstrom",
    "excitations",
    "extrapolate_to_zero",
    "fold_circuit",
    "hardware_efficient_ansatz",
    "hartree_fock_bits",
    "islanding_problem",
    "load_grid",
    "measure_energy",
    "measurement_groups",
    "mitigate_readout",
    "molecular_problem",
    "optimise_angles",
    "qaoa_circuit",
    "qaoa_probabilities",
    "qubit_hamiltonian",
    "readout_matrices",
    "run_qaoa",
    "run_vqe",
    "solve_islanding",
    "uccsd_ansatz",
    "warm_start_angles",
]
