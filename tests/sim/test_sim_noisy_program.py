"""NoisyProgram: construction, validation, views and plain data."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit, Instruction
from kvant.errors import ConfigError
from kvant.sim import KrausChannel, NoisyProgram, ReadoutError
from kvant.sim._noisy import split_tail

FLIP = KrausChannel((0,), [np.sqrt(0.9) * np.eye(2), np.sqrt(0.1) * np.array([[0, 1], [1, 0]])])


def test_from_circuit_places_channels_after_gates_and_copies_conditions() -> None:
    circuit = Circuit(2, 2).h(0).measure(0, 0).x(1).c_if(0, 1).measure(1, 1)
    program = NoisyProgram.from_circuit(circuit, after_gate=lambda op: [FLIP.on(op.qubits)])
    kinds = [getattr(op, "name", "channel") for op in program.operations]
    assert kinds == ["h", "channel", "measure", "x", "channel", "measure"]
    conditioned = program.channels[1]
    assert conditioned.condition == circuit.instructions[2].condition
    assert program.has_mid_circuit_operations
    assert program.ideal_circuit().count_ops() == circuit.count_ops()
    assert program.count_channels() == 2


def test_validation() -> None:
    with pytest.raises(ConfigError, match="qubits"):
        NoisyProgram(1, 0, (FLIP.on((3,)),))
    with pytest.raises(ConfigError, match="classical bits"):
        NoisyProgram(1, 1, (Instruction("measure", (0,), clbits=(2,)),))
    with pytest.raises(ConfigError, match="readout"):
        NoisyProgram(2, 0, (), (ReadoutError(0, 0),))
    with pytest.raises(ConfigError, match="Instruction or KrausChannel"):
        NoisyProgram(1, 0, ("h",))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="non-negative"):
        NoisyProgram(-1, 0, ())


def test_readout_views() -> None:
    program = NoisyProgram(2, 0, (), (ReadoutError(0, 0), ReadoutError(0.1, 0)))
    assert program.readout_error(0) is None  # trivial errors read as perfect
    assert program.readout_error(1) == ReadoutError(0.1, 0)
    assert program.has_readout_error
    assert not program.without_readout_error().has_readout_error


def test_a_channel_on_a_measured_qubit_is_mid_circuit() -> None:
    ops = (Instruction("measure", (0,), clbits=(0,)), FLIP)
    assert NoisyProgram(1, 1, ops).has_mid_circuit_operations
    terminal = (FLIP, Instruction("measure", (0,), clbits=(0,)))
    assert not NoisyProgram(1, 1, terminal).has_mid_circuit_operations


def test_split_tail() -> None:
    circuit = Circuit(2, 2).h(0).measure(0, 0).cx(0, 1).measure(1, 1)
    program = NoisyProgram.from_circuit(circuit)
    body, tail = split_tail(program.operations, program.has_mid_circuit_operations)
    assert tail == [(1, 1)]
    assert [op.name for op in body if isinstance(op, Instruction)] == ["h", "measure", "cx"]
    simple = NoisyProgram.from_circuit(Circuit(2).h(0).measure_all())
    body, tail = split_tail(simple.operations, False)
    assert tail == [(0, 0), (1, 1)]


def test_round_trip_with_unitary_and_condition() -> None:
    circuit = Circuit(2, 1).unitary(np.eye(4)[[1, 0, 2, 3]], [0, 1]).measure(0, 0).x(1).c_if(0, 1)
    program = NoisyProgram.from_circuit(
        circuit,
        after_gate=lambda op: [FLIP.on(op.qubits[:1])],
        readout=[ReadoutError(0.1, 0.2), None],
    )
    again = NoisyProgram.from_dict(program.to_dict())
    assert again.to_dict() == program.to_dict()
    assert "channels=" in repr(again)
    with pytest.raises(ConfigError):
        NoisyProgram.from_dict({"num_qubits": 1})
