"""Result: plain-data round trip, validation, views, merging."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.errors import ConfigError
from kvant.sim import Result, StateVectorEngine
from kvant.testing import random_circuit

ENGINE = StateVectorEngine()


def _results() -> list[Result]:
    bell = Circuit(2).h(0).cx(0, 1).measure_all()
    mid = Circuit(2, 2).h(0).measure(0, 0).x(1).c_if(0, 1).measure(1, 1)
    return [
        ENGINE.run(random_circuit(3, 4, seed=1)),
        StateVectorEngine("complex64").run(random_circuit(3, 4, seed=2)),
        ENGINE.run(bell, shots=100, seed=3),
        ENGINE.run(bell, shots=20, seed=4, memory=True),
        ENGINE.run(mid, shots=50, seed=5, memory=True),
        ENGINE.run(Circuit(1), shots=3),
    ]


@pytest.mark.parametrize("result", _results(), ids=lambda r: repr(r)[:60])
def test_to_dict_from_dict_round_trip(result: Result) -> None:
    data = result.to_dict()
    again = Result.from_dict(json.loads(json.dumps(data)))
    assert again == result
    assert again.to_dict() == data
    if result.state_vector is not None:
        assert again.state_vector is not None
        assert again.state_vector.dtype == result.state_vector.dtype
        np.testing.assert_array_equal(again.state_vector, result.state_vector)


def test_state_vector_is_read_only() -> None:
    result = ENGINE.run(Circuit(1).h(0))
    assert result.state_vector is not None
    with pytest.raises(ValueError, match="read-only"):
        result.state_vector[0] = 0


def test_repr_is_readable() -> None:
    text = repr(ENGINE.run(Circuit(1).x(0).measure_all(), shots=4, seed=1))
    assert text == (
        "Result(engine='statevector', num_qubits=1, num_clbits=1, shots=4, seed=1, "
        "counts={'1': 4}, state_vector=<2 complex128 amplitudes>)"
    )


def test_probabilities_and_marginals() -> None:
    result = ENGINE.run(random_circuit(4, 5, seed=9))
    probs = result.probabilities()
    assert probs.dtype == np.float64
    assert probs.sum() == pytest.approx(1.0)
    tensor = probs.reshape(2, 2, 2, 2)  # axes: qubits 3, 2, 1, 0
    # marginal over qubits [2, 0]: index bit 0 = qubit 2, bit 1 = qubit 0
    expected = [tensor[:, a, :, b].sum() for b in (0, 1) for a in (0, 1)]
    np.testing.assert_allclose(result.probabilities([2, 0]), expected, atol=1e-15)
    np.testing.assert_allclose(result.probabilities([0, 1, 2, 3]), probs, atol=1e-15)
    with pytest.raises(ConfigError, match="distinct"):
        result.probabilities([1, 1])
    with pytest.raises(ConfigError, match=r"distinct and in 0\.\.3"):
        result.probabilities([4])


def test_adding_pools_shots() -> None:
    circuit = Circuit(1).h(0).measure_all()
    a = ENGINE.run(circuit, shots=30, seed=1, memory=True)
    b = ENGINE.run(circuit, shots=70, seed=2, memory=True)
    total = a + b
    assert total.shots == 100
    assert sum(total.counts.values()) == 100
    assert total.counts == {k: a.counts.get(k, 0) + b.counts.get(k, 0) for k in ("0", "1")}
    assert a.memory is not None
    assert b.memory is not None
    assert total.memory == a.memory + b.memory
    assert total.seed is None
    assert total.state_vector is not None  # same circuit, same state
    with pytest.raises(ConfigError, match="cannot add"):
        _ = a + ENGINE.run(Circuit(2).measure_all(), shots=1)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"counts": {"0": 2}}, "add up to 2 but shots is 3"),
        ({"counts": {"01": 3}}, "not a bitstring of 1"),
        ({"counts": {"x": 3}}, "not a bitstring"),
        ({"counts": {"0": -3}}, "non-negative"),
        ({"counts": {"0": 1, "1": 1, "é": 1}}, "'é' is not a bitstring"),
        ({"counts": {"0": 2, "1": True}}, "counts\\['1'\\] must be a non-negative int"),
        ({"counts": {"0": 2, "1": np.int64(1)}}, "must be a non-negative int"),
        ({"counts": {"0": 2.0, "1": 1}}, "must be a non-negative int"),
        ({"counts": {0: 3}}, "0 is not a bitstring"),
        ({"shots": -1}, "non-negative int"),
        ({"state_vector": np.ones(3, dtype=complex)}, "length 2\\*\\*1"),
        ({"state_vector": np.ones(2, dtype=float)}, "complex"),
        ({"memory": ("0",)}, "memory has 1 entries"),
    ],
)
def test_validation(changes: dict[str, object], match: str) -> None:
    fields: dict[str, object] = {
        "engine": "x",
        "num_qubits": 1,
        "num_clbits": 1,
        "shots": 3,
        "seed": 1,
        "counts": {"0": 3},
        "state_vector": None,
        "memory": None,
    }
    fields.update(changes)
    with pytest.raises(ConfigError, match=match):
        Result(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d.pop("counts"), "cannot read a Result"),
        (lambda d: d.update(state_vector={"dtype": "float32", "amplitudes": []}), "dtype"),
        (lambda d: d.update(shots="many"), "cannot read a Result"),
        (lambda d: d.update(counts={"0": 7}), "add up to 7"),
    ],
)
def test_from_dict_errors(mutate: object, match: str) -> None:
    data = ENGINE.run(Circuit(1).measure_all(), shots=3, seed=0).to_dict()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=match):
        Result.from_dict(data)


def test_results_with_different_states_are_unequal() -> None:
    a = ENGINE.run(Circuit(1).h(0))
    b = ENGINE.run(Circuit(1).x(0))
    assert a != b
    assert a == ENGINE.run(Circuit(1).h(0))
    assert a != StateVectorEngine("complex64").run(Circuit(1).h(0))
    assert a != "result"
