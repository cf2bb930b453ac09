"""Simulation engines and their results.

Conventions: state vectors are little-endian (qubit 0 is the least significant bit of a basis
index, as in Qiskit); gate matrices are in textbook order (first operand most significant) and
the engines do the bookkeeping; counts print classical bit 0 rightmost; Pauli labels act on
qubit 0 with their rightmost letter.

>>> from kvant.circuit import Circuit
>>> from kvant.sim import StateVectorEngine
>>> ghz = Circuit(3).h(0).cx(0, 1).cx(1, 2).measure_all()
>>> sorted(StateVectorEngine().run(ghz, shots=10, seed=5).counts)
['000', '111']
"""

from kvant.sim._blocks import Block
from kvant.sim._channels import KrausChannel, ReadoutError, pauli_basis
from kvant.sim._cupy_engine import CupyEngine
from kvant.sim._density_matrix import DensityMatrixEngine
from kvant.sim._engine import Engine
from kvant.sim._fusion import FusionCost, blocks_to_circuit, fuse
from kvant.sim._memory import available_memory_bytes, max_qubits, required_bytes
from kvant.sim._noisy import NoisyProgram
from kvant.sim._noisy_fusion import fuse_noisy_program
from kvant.sim._numba_engine import NumbaEngine
from kvant.sim._pauli import PauliLike, pauli_expectation
from kvant.sim._registry import ENGINE_NAMES, make_engine
from kvant.sim._result import Result
from kvant.sim._stabilizer import StabilizerEngine, is_clifford, to_stim
from kvant.sim._statevector import StateVectorEngine
from kvant.sim._trajectories import TrajectoryEngine, TrajectoryStats

__all__ = [
    "ENGINE_NAMES",
    "Block",
    "CupyEngine",
    "DensityMatrixEngine",
    "Engine",
    "FusionCost",
    "KrausChannel",
    "NoisyProgram",
    "NumbaEngine",
    "PauliLike",
    "ReadoutError",
    "Result",
    "StabilizerEngine",
    "StateVectorEngine",
    "TrajectoryEngine",
    "TrajectoryStats",
    "available_memory_bytes",
    "blocks_to_circuit",
    "fuse",
    "fuse_noisy_program",
    "is_clifford",
    "make_engine",
    "max_qubits",
    "pauli_basis",
    "pauli_expectation",
    "required_bytes",
    "to_stim",
]
