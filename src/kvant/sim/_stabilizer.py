"""Clifford circuits of any size, noisy or not, on Stim's stabilizer simulator.

Gates: the Clifford names of the library map straight to Stim gates; every other gate (``rz``,
``p``, ``u``, ``rx``..., a ``unitary`` matrix) is recognised numerically: its matrix is turned
into a stabilizer tableau (:meth:`stim.Tableau.from_unitary_matrix`) and *checked* by converting
the tableau back and comparing with the matrix up to global phase, so ``rz(pi/2)`` is ``S`` and
``rz(0.3)`` is refused. Gate matrices are in textbook order, Stim's ``endian="big"``.

Noise (a documented approximation): each :class:`~kvant.sim.KrausChannel` is replaced by its
Pauli twirl, ``PAULI_CHANNEL_1/2`` with probabilities ``p_P = sum_i |Tr(P K_i)/d|^2``
(:meth:`~kvant.sim.KrausChannel.pauli_probabilities`), which keeps the process and average
gate fidelities of the channel but drops its coherent and non-unital parts (amplitude damping
becomes a symmetric X/Y flip). Readout errors are applied exactly to the sampled bits (flip
``0 -> 1`` with ``p_meas1_prep0``, ``1 -> 0`` with ``p_meas0_prep1``), except for a measurement
that feeds a classical condition, which Stim must see: there the symmetric ``M(p)`` with the
mean of the two is used.

Classical control: a Pauli gate conditioned on one classical bit becomes Stim feedback
(``CX rec[-k] q``); other conditions are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import cast

import numpy as np
import stim  # type: ignore[import-untyped]
from numpy.typing import NDArray

from kvant.circuit import GATES, Circuit, Condition, Instruction
from kvant.errors import ConfigError, SimulationError
from kvant.sim._channels import KrausChannel
from kvant.sim._density_matrix import as_noisy_program
from kvant.sim._memory import as_memory_limit, check_memory, run_bytes
from kvant.sim._noisy import NoisyProgram
from kvant.sim._result import Result
from kvant.sim._run_inputs import check_shots, run_generator
from kvant.sim._sampling import bitstrings

__all__ = ["StabilizerEngine", "is_clifford", "to_stim"]

#: kvant gate name -> Stim gate name, for the library's fixed Clifford gates.
_NAMED = {
    "x": "X",
    "y": "Y",
    "z": "Z",
    "h": "H",
    "s": "S",
    "sdg": "S_DAG",
    "sx": "SQRT_X",
    "sxdg": "SQRT_X_DAG",
    "cx": "CX",
    "cy": "CY",
    "cz": "CZ",
    "swap": "SWAP",
    "iswap": "ISWAP",
    "iswapdg": "ISWAP_DAG",
}
_SKIPPED = frozenset({"barrier", "delay", "id", "u0"})
_FEEDBACK = {"x": "CX", "y": "CY", "z": "CZ"}
#: Largest gate recognised numerically (a 3-qubit matrix is 8 x 8).
_MAX_MATRIX_QUBITS = 3
_PHASE_ATOL = 1e-6  # Stim returns complex64 matrices

#: One Stim line on local qubits: (gate name, local qubit indices).
_Local = tuple[tuple[str, tuple[int, ...]], ...]


@lru_cache(maxsize=4096)
def _from_matrix(key: bytes, num_qubits: int) -> _Local | None:
    matrix = np.frombuffer(key, dtype=np.complex128).reshape(1 << num_qubits, 1 << num_qubits)
    try:
        tableau = stim.Tableau.from_unitary_matrix(matrix, endian="big")
    except ValueError:
        return None
    back = np.asarray(tableau.to_unitary_matrix(endian="big"), dtype=np.complex128)
    # equal up to a global phase: |<back, matrix>| = d
    overlap = complex(np.vdot(back, matrix))
    if abs(abs(overlap) - matrix.shape[0]) > _PHASE_ATOL * matrix.shape[0]:
        return None
    lines: list[tuple[str, tuple[int, ...]]] = []
    for item in tableau.to_circuit("elimination"):
        gate = item.name
        targets = [t.value for t in item.targets_copy()]
        arity = 2 if stim.gate_data(gate).is_two_qubit_gate else 1
        for i in range(0, len(targets), arity):
            lines.append((gate, tuple(targets[i : i + arity])))
    return tuple(lines)


@lru_cache(maxsize=4096)
def _library_gate(name: str, params: tuple[float, ...], num_qubits: int) -> _Local | None:
    from kvant.circuit import gate_matrix

    matrix = np.round(np.ascontiguousarray(gate_matrix(name, params)), 12) + 0.0
    return _from_matrix(matrix.tobytes(), num_qubits)


def _stim_gates(op: Instruction) -> _Local | None:
    """The Stim gates of a unitary instruction on local qubits, or None if it is not Clifford."""
    if op.name in _NAMED:
        k = len(op.qubits)
        return ((_NAMED[op.name], tuple(range(k))),)
    if op.name in _SKIPPED:
        return ()
    if len(op.qubits) > _MAX_MATRIX_QUBITS:
        return None
    if op.name in GATES and op.definition is None:  # cached by name and angles
        return _library_gate(op.name, op.numeric_params(), len(op.qubits))
    matrix = np.ascontiguousarray(op.unitary_matrix(), dtype=np.complex128)
    # round so that angles equal up to float noise share a cache entry and a verdict
    key = np.round(matrix, 12) + 0.0
    return _from_matrix(key.tobytes(), len(op.qubits))


def is_clifford(circuit: Circuit | NoisyProgram) -> bool:
    """True if every gate is a Clifford gate (numerically, up to global phase).

    Measurements, resets, barriers and delays are allowed; noise channels do not count (the
    stabilizer engine twirls them).

    >>> import math
    >>> from kvant.circuit import Circuit
    >>> is_clifford(Circuit(2).h(0).cx(0, 1).rz(math.pi / 2, 1)), is_clifford(Circuit(1).t(0))
    (True, False)
    """
    program = as_noisy_program(circuit)
    return all(op.is_unitary is False or _stim_gates(op) is not None for op in program.instructions)


def _format(value: float) -> str:
    return repr(float(value))


def _channel_prefix(channel: KrausChannel) -> str:
    """``PAULI_CHANNEL_1(px,py,pz) `` for the channel's twirl ('' if it never errs); cached."""
    if channel.condition is not None:
        raise SimulationError(
            f"the stabilizer engine cannot apply the conditioned channel {channel.label!r}"
        )
    prefix = channel._cache.get("stim_prefix")
    if prefix is None:
        if channel.num_qubits > 2:
            raise SimulationError(
                "the stabilizer engine twirls channels on 1 or 2 qubits; "
                f"{channel.label!r} acts on {channel.num_qubits}"
            )
        probs = channel.pauli_probabilities()
        name = "PAULI_CHANNEL_1" if channel.num_qubits == 1 else "PAULI_CHANNEL_2"
        args = ",".join(_format(x) for x in probs[1:])
        prefix = f"{name}({args}) " if float(probs[1:].sum()) > 0.0 else ""
        channel._cache["stim_prefix"] = prefix
    return str(prefix)


def to_stim(
    program: Circuit | NoisyProgram,
) -> tuple[stim.Circuit, tuple[int, ...], tuple[bool, ...]]:
    """Translate a Clifford program into a Stim circuit.

    Args:
        program: A Clifford circuit or noisy program.

    Returns:
        ``(circuit, record_clbits, in_stim_readout)``: the Stim circuit, the classical bit each
        measurement record writes (in record order), and for each record whether its readout
        error was applied inside Stim (measurements that feed conditions).

    Raises:
        SimulationError: For a non-Clifford gate or a condition Stim cannot express.

    >>> from kvant.circuit import Circuit
    >>> print(to_stim(Circuit(2).h(0).cx(0, 1).measure_all())[0])
    H 0
    CX 0 1
    M 0 1
    """
    noisy = as_noisy_program(program)
    cached = noisy._cache.get("stim")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    read_by_condition = {
        b for op in noisy.operations if op.condition is not None for b in op.condition.clbits
    }
    lines: list[str] = []
    records: list[int] = []
    in_stim: list[bool] = []
    last_record: dict[int, int] = {}
    for op in noisy.operations:
        if isinstance(op, KrausChannel):
            prefix = _channel_prefix(op)
            if prefix:
                lines.append(prefix + " ".join(map(str, op.qubits)))
            continue
        if op.name == "measure":
            qubit, clbit = op.qubits[0], op.clbits[0]
            if op.condition is not None:
                raise SimulationError("the stabilizer engine cannot condition a measurement")
            readout = noisy.readout_error(qubit)
            if readout is not None and clbit in read_by_condition:
                lines.append(f"M({_format(readout.mean_error)}) {qubit}")
                in_stim.append(True)
            else:
                lines.append(f"M {qubit}")
                in_stim.append(False)
            last_record[clbit] = len(records)
            records.append(clbit)
            continue
        if op.name == "reset":
            if op.condition is not None:
                raise SimulationError("the stabilizer engine cannot condition a reset")
            lines.append(f"R {op.qubits[0]}")
            continue
        gates = _stim_gates(op)
        if gates is None:
            params = f"({', '.join(f'{p:.6g}' for p in op.numeric_params())})" if op.params else ""
            raise SimulationError(
                f"the stabilizer engine runs Clifford circuits only; {op.name}{params} on "
                f"qubits {list(op.qubits)} is not Clifford (use engine='statevector' or "
                "'trajectories')"
            )
        if op.condition is not None:
            lines.extend(_feedback(op, last_record, len(records)))
            continue
        for gate, targets in gates:
            lines.append(f"{gate} " + " ".join(str(op.qubits[t]) for t in targets))
    translated = (stim.Circuit("\n".join(lines)), tuple(records), tuple(in_stim))
    noisy._cache["stim"] = translated  # a program is immutable: translate it once
    return translated


def _count_rows(bits: NDArray[np.uint8]) -> dict[str, int]:
    """Counts of the rows of a ``(shots, num_clbits)`` bit matrix (classical bit 0 rightmost).

    Rows are packed to bytes and counted with one :func:`numpy.unique` over fixed-width byte
    strings; the distinct rows are then written out as bitstrings in one vectorised step.
    """
    shots, width = bits.shape
    if width == 0:
        return {"": shots}
    # highest classical bit first, so byte order is the bitstrings' order: keys come out sorted
    packed = np.ascontiguousarray(np.packbits(bits[:, ::-1], axis=1))
    rows = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, numbers = np.unique(rows, return_index=True, return_counts=True)
    keys = bitstrings(bits[first])
    return dict(zip(keys, (int(n) for n in numbers), strict=True))


def _feedback(op: Instruction, last_record: dict[int, int], num_records: int) -> list[str]:
    condition = cast(Condition, op.condition)  # checked by the caller
    if op.name not in _FEEDBACK or len(condition.clbits) != 1:
        raise SimulationError(
            "the stabilizer engine supports only x, y or z conditioned on one classical bit "
            f"(Stim feedback); got {op.name} if {list(condition.clbits)}=={condition.value}"
        )
    (clbit,) = condition.clbits
    qubit = op.qubits[0]
    if clbit not in last_record:  # never measured: the bit reads 0
        return [f"{_NAMED[op.name]} {qubit}"] if condition.value == 0 else []
    offset = num_records - last_record[clbit]
    out = [f"{_FEEDBACK[op.name]} rec[-{offset}] {qubit}"]
    if condition.value == 0:  # apply when the bit is 0: unconditionally, then undo when 1
        out.insert(0, f"{_NAMED[op.name]} {qubit}")
    return out


class StabilizerEngine:
    """Stabilizer engine on Stim: Clifford circuits of 50 and more qubits, noise Pauli-twirled.

    Shots come from Stim's compiled sampler. With ``shots=0`` and a noiseless circuit that fits,
    the final state vector is returned (little-endian), *up to a global phase* (a tableau does
    not track it).

    >>> from kvant.circuit import Circuit
    >>> ghz = Circuit(50).h(0)
    >>> for q in range(49):
    ...     _ = ghz.cx(q, q + 1)
    >>> counts = StabilizerEngine().run(ghz.measure_all(), shots=100, seed=1).counts
    >>> sorted(set(key) for key in counts)
    [{'0'}, {'1'}]
    """

    def __init__(self, *, max_memory_bytes: int | None = None) -> None:
        self._max_memory_bytes = as_memory_limit(max_memory_bytes)

    @property
    def name(self) -> str:
        """``"stabilizer"``."""
        return "stabilizer"

    def __repr__(self) -> str:
        return "StabilizerEngine()"

    def supports(self, circuit: Circuit | NoisyProgram) -> bool:
        """True if :meth:`run` accepts ``circuit``: Clifford gates, only Stim-expressible
        conditions, channels on at most two qubits."""
        try:
            to_stim(circuit)
        except SimulationError:
            return False
        return True

    def run(
        self,
        circuit: Circuit | NoisyProgram,
        *,
        shots: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> Result:
        """Sample ``shots`` shots (or, with ``shots=0``, compute the state vector).

        Args:
            circuit: A Clifford circuit or noisy program.
            shots: Number of shots.
            seed: An int, a Generator, or None.

        Returns:
            The result; ``state_vector`` (up to global phase) only for ``shots=0`` on a
            noiseless program without mid-circuit operations whose state vector fits in memory.

        Raises:
            ConfigError: For bad shots, seed or input.
            SimulationError: For a non-Clifford gate or an unsupported condition.
        """
        program = as_noisy_program(circuit)
        shots = check_shots(shots)
        rng, recorded = run_generator(seed, shots)
        stim_circuit, records, in_stim = to_stim(program)
        counts: dict[str, int] = {}
        state = None
        if shots:
            bits = self._sample(stim_circuit, records, in_stim, program, shots, rng)
            counts = _count_rows(bits)
        else:
            state = self._state_vector(stim_circuit, program)
        return Result(
            engine=self.name,
            num_qubits=program.num_qubits,
            num_clbits=program.num_clbits,
            shots=shots,
            seed=recorded,
            counts=counts,
            state_vector=state,
        )

    @staticmethod
    def _sample(
        stim_circuit: stim.Circuit,
        records: Sequence[int],
        in_stim: Sequence[bool],
        program: NoisyProgram,
        shots: int,
        rng: np.random.Generator,
    ) -> NDArray[np.uint8]:
        sampler = stim_circuit.compile_sampler(seed=int(rng.integers(2**62)))
        samples = np.asarray(sampler.sample(shots)).view(np.uint8)
        final: dict[int, int] = {}
        for index, clbit in enumerate(records):
            final[clbit] = index
        clbits = np.array(sorted(final), dtype=np.int64)
        sources = np.array([final[b] for b in clbits], dtype=np.int64)
        identity = clbits.shape[0] == program.num_clbits == samples.shape[1] and bool(
            np.all(sources == np.arange(samples.shape[1]))
        )
        if identity:  # measurement i wrote classical bit i: use Stim's array as it is
            bits = samples
        else:
            bits = np.zeros((shots, program.num_clbits), dtype=np.uint8)
            bits[:, clbits] = samples[:, sources]
        # readout confusion, vectorised over the measured bits: flip 0 -> 1 with p(1|0),
        # 1 -> 0 with p(0|1) (records read by conditions already had theirs inside Stim)
        qubit_of = program._cache.get("measured_qubits")
        if qubit_of is None:
            qubit_of = [op.qubits[0] for op in program.instructions if op.name == "measure"]
            program._cache["measured_qubits"] = qubit_of
        p10 = np.zeros(clbits.shape[0], dtype=np.float32)
        p01 = np.zeros(clbits.shape[0], dtype=np.float32)
        for i, index in enumerate(sources):
            readout = program.readout_error(qubit_of[index])
            if readout is not None and not in_stim[index]:
                p10[i], p01[i] = readout.p_meas1_prep0, readout.p_meas0_prep1
        if p10.any() or p01.any():
            block = bits if identity else bits[:, clbits]
            threshold = np.where(block == 0, p10, p01)
            flip = (rng.random(block.shape, dtype=np.float32) < threshold).view(np.uint8)
            if identity:
                bits ^= flip
            else:
                bits[:, clbits] = block ^ flip
        return bits

    def _state_vector(
        self, stim_circuit: stim.Circuit, program: NoisyProgram
    ) -> NDArray[np.complex128] | None:
        if program.has_mid_circuit_operations:
            raise ConfigError(
                "the circuit has mid-circuit measurements, resets or conditions, so its final "
                "state is random; pass shots > 0"
            )
        if program.channels:
            return None  # a noisy program's final state is mixed
        try:
            check_memory(
                run_bytes(program.num_qubits, "complex128"),
                program.num_qubits,
                "complex128",
                limit_bytes=self._max_memory_bytes,
            )
        except MemoryError:
            return None
        simulator = stim.TableauSimulator()
        simulator.set_num_qubits(program.num_qubits)
        unitary = stim.Circuit()
        for item in stim_circuit:
            if item.name != "M":
                unitary.append(item)
        simulator.do_circuit(unitary)
        state = np.asarray(simulator.state_vector(endian="little"), dtype=np.complex128)
        return state / np.linalg.norm(state)
