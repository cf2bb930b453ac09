"""Layout, SWAP routing and the whole transpilation: correct first, quality reported."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.device import Topology, Transpiled, choose_layout, load_device, route, transpile
from kvant.errors import CircuitError, ConfigError, UnboundParameterError
from kvant.testing import dense_distribution, random_circuit


def assert_on_couplers(transpiled: Transpiled, topology: Topology) -> None:
    for op in transpiled.circuit:
        if op.name == "cz":
            a, b = (transpiled.physical_qubits[q] for q in op.qubits)
            assert topology.are_coupled(a, b), f"cz on uncoupled device qubits {a}, {b}"


@pytest.mark.parametrize(
    ("device", "seed", "layout"),
    [
        ("line-6", 0, "trivial"),
        ("line-6", 1, "best"),
        ("grid-3x3", 2, "best"),
        ("heavy-hex-3", 3, "best"),
        ("kvant-50", 4, "best"),
        ("kvant-50", 5, "trivial"),
    ],
)
def test_transpiled_circuits_have_the_same_distribution(
    device: str, seed: int, layout: str
) -> None:
    circuit = random_circuit(
        5, 5, seed=seed, measure=True, gate_set=["h", "rx", "cx", "cz", "swap", "t", "ccx", "rzz"]
    )
    calibration = load_device(device)
    transpiled = transpile(circuit, calibration, layout=layout)
    assert_on_couplers(transpiled, calibration.topology)
    assert {op.name for op in transpiled.circuit} <= {"rz", "sx", "x", "cz", "measure", "barrier"}
    assert len(transpiled.physical_qubits) <= 10
    got = dense_distribution(transpiled.circuit)
    want = dense_distribution(circuit)
    assert set(got) == set(want)
    assert all(got[k] == pytest.approx(v, abs=1e-9) for k, v in want.items())


def test_quality_is_reported() -> None:
    chain = Circuit(3).cx(0, 2).measure_all()
    t = transpile(chain, "line-3", layout="trivial")
    assert t.added_swaps == 1
    assert t.two_qubit_gates == 1 + 3
    assert t.final_layout != t.initial_layout
    best = transpile(chain, "line-3", layout="best")
    assert best.added_swaps == 0  # the best layout puts 0 and 2 side by side
    assert t.depth == t.circuit.depth()
    summary = t.summary()
    assert summary["added_swaps"] == 1
    assert summary["cz_gates"] == 4
    assert "added_swaps=1" in repr(t)


def test_ghz_chain_on_the_grid_needs_no_swap() -> None:
    ghz = Circuit(8).h(0)
    for q in range(7):
        ghz.cx(q, q + 1)
    assert transpile(ghz.measure_all(), "kvant-50").added_swaps == 0


def test_explicit_layout_and_round_trip() -> None:
    circuit = Circuit(2).h(0).cx(0, 1).measure_all()
    t = transpile(circuit, "kvant-50", layout=[23, 24])
    assert t.initial_layout == (23, 24) == t.physical_qubits
    again = Transpiled.from_dict(t.to_dict())
    assert again.physical_qubits == t.physical_qubits
    assert dense_distribution(again.circuit) == pytest.approx(dense_distribution(t.circuit))
    with pytest.raises(ConfigError):
        Transpiled.from_dict({"qasm": "OPENQASM 3.0;"})


def test_route_directly() -> None:
    ops, final, swaps = route(Circuit(4).cx(0, 3).cx(1, 2), Topology.line(4), (0, 1, 2, 3))
    assert swaps == 2
    assert sorted(final) == [0, 1, 2, 3]
    two = [op for op in ops if len(op.qubits) == 2]
    assert all(abs(a - b) == 1 for a, b in (op.qubits for op in two))
    with pytest.raises(CircuitError, match="1- and 2-qubit"):
        route(Circuit(3).ccx(0, 1, 2), Topology.line(3), (0, 1, 2))
    islands = Topology("islands", 4, ((0, 1), (2, 3)))
    with pytest.raises(CircuitError, match="not connected"):
        route(Circuit(4).cx(0, 3), islands, (0, 1, 2, 3))


def test_errors() -> None:
    with pytest.raises(CircuitError, match="only 3"):
        transpile(Circuit(4).h(0), "line-3")
    with pytest.raises(ConfigError, match="distinct device qubits"):
        choose_layout(Circuit(2), load_device("line-3"), [0, 0])
    with pytest.raises(ConfigError, match="unknown layout"):
        choose_layout(Circuit(2), load_device("line-3"), "random")
    from kvant.circuit import Parameter

    with pytest.raises(UnboundParameterError):
        transpile(Circuit(1).rx(Parameter("a"), 0), "line-3")
    with pytest.raises(ConfigError, match="needs a Circuit"):
        transpile("h q[0];", "line-3")  # type: ignore[arg-type]


def test_ids_become_delays_of_one_gate_time() -> None:
    t = transpile(Circuit(1).i(0).measure_all(), "line-2", layout=[1])
    delays = [op for op in t.circuit if op.name == "delay"]
    assert len(delays) == 1
    assert delays[0].numeric_params()[0] == load_device("line-2").qubit(1).gate_duration_1q_ns
    assert np.isclose(t.duration_ns(load_device("line-2")), 32.0 + 1560.0)
