"""Loaders for real calibration files (Qiskit props, Cirq) and for broken ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kvant.device import (
    from_cirq_calibration,
    from_qiskit_properties,
    load_calibration_file,
    load_device,
)
from kvant.errors import CalibrationError, KvantIOError


def value(entries: list[dict[str, Any]], name: str) -> float:
    return float(next(e["value"] for e in entries if e["name"] == name))


def test_lima_numbers_come_from_the_file(lima_path: Path, lima_data: dict[str, Any]) -> None:
    cal = load_device(lima_path)
    assert (cal.name, cal.num_qubits) == ("ibmq_lima", 5)
    assert cal.topology.couplers == ((0, 1), (1, 2), (1, 3), (3, 4))  # the T of Falcon r4T
    assert cal.date == lima_data["last_update_date"]
    for q, row in enumerate(lima_data["qubits"]):
        assert cal.qubit(q).t1_us == pytest.approx(value(row, "T1"))
        assert cal.qubit(q).t2_us == pytest.approx(value(row, "T2"))
        assert cal.qubit(q).p_meas1_prep0 == pytest.approx(value(row, "prob_meas1_prep0"))
        assert cal.qubit(q).p_meas0_prep1 == pytest.approx(value(row, "prob_meas0_prep1"))
        assert cal.qubit(q).readout_duration_ns == pytest.approx(value(row, "readout_length"))
    sx = {g["qubits"][0]: g for g in lima_data["gates"] if g["gate"] == "sx"}
    for q, gate in sx.items():
        assert cal.qubit(q).gate_error_1q == pytest.approx(value(gate["parameters"], "gate_error"))
    cx = [g for g in lima_data["gates"] if g["gate"] == "cx" and sorted(g["qubits"]) == [3, 4]]
    lengths = [value(g["parameters"], "gate_length") for g in cx]
    assert cal.coupler(3, 4).gate_duration_2q_ns == pytest.approx(sum(lengths) / 2)
    assert cal.coupler(4, 3).gate_error_2q == pytest.approx(
        value(cx[0]["parameters"], "gate_error")
    )
    assert any("'cx'" in note for note in cal.notes)


def test_lima_in_memory_equals_from_file(lima_path: Path, lima_data: dict[str, Any]) -> None:
    assert from_qiskit_properties(lima_data).qubits == from_qiskit_properties(lima_path).qubits


def test_missing_values_are_filled_and_noted(lima_data: dict[str, Any]) -> None:
    lima_data["qubits"][2] = [e for e in lima_data["qubits"][2] if e["name"] != "T1"]
    cal = from_qiskit_properties(lima_data)
    t1 = sorted(value(r, "T1") for i, r in enumerate(lima_data["qubits"]) if i != 2)
    assert cal.qubit(2).t1_us == pytest.approx((t1[1] + t1[2]) / 2)
    assert any(note.startswith("qubit 2: no T1") for note in cal.notes)


def test_t2_above_twice_t1_is_clamped_and_noted(lima_data: dict[str, Any]) -> None:
    for entry in lima_data["qubits"][1]:
        if entry["name"] == "T2":
            entry["value"] = 10_000.0
    cal = from_qiskit_properties(lima_data)
    assert cal.qubit(1).t2_us == pytest.approx(2 * cal.qubit(1).t1_us)
    assert any("lowered to 2 T1" in note for note in cal.notes)


def test_out_of_service_couplers_are_left_out(lima_data: dict[str, Any]) -> None:
    for gate in lima_data["gates"]:
        if gate["gate"] == "cx" and sorted(gate["qubits"]) == [1, 2]:
            for p in gate["parameters"]:
                if p["name"] == "gate_error":
                    p["value"] = 1.0
    cal = from_qiskit_properties(lima_data)
    assert (1, 2) not in cal.topology.couplers
    assert any("out of service" in note for note in cal.notes)


def test_units_are_converted(lima_data: dict[str, Any]) -> None:
    for entry in lima_data["qubits"][0]:
        if entry["name"] == "T1":
            entry["value"], entry["unit"] = entry["value"] * 1e-6, "s"
    assert from_qiskit_properties(lima_data).qubit(0).t1_us == pytest.approx(59.69864328663569)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(qubits=[]), "non-empty"),
        (lambda d: d.update(gates="none"), "list"),
        (lambda d: d["qubits"][0][0].update(value="long"), "numeric"),
        (lambda d: d["qubits"][0][0].update(unit="fortnights"), "unit"),
        (
            lambda d: next(e for e in d["qubits"][3] if e["name"] == "prob_meas1_prep0").update(
                value=3.0
            ),
            r"qubits\[3\].p_meas1_prep0",
        ),
        (lambda d: d["qubits"].__setitem__(1, "T1=50"), r"qubits\[1\]"),
    ],
)
def test_broken_props_files(lima_data: dict[str, Any], mutate: Any, message: str) -> None:
    mutate(lima_data)
    with pytest.raises(CalibrationError, match=message):
        from_qiskit_properties(lima_data)


def test_files_that_are_not_calibrations(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CalibrationError, match="not valid JSON"):
        load_calibration_file(bad)
    bad.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(CalibrationError, match="neither"):
        load_device(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(CalibrationError, match="JSON object"):
        load_calibration_file(bad)
    with pytest.raises(KvantIOError):
        load_calibration_file(tmp_path / "absent.json")


def test_cirq_willow_patch(willow_path: Path) -> None:
    raw = json.loads(willow_path.read_text())["metrics"]["metrics"]

    def metric(name: str, *targets: str) -> float:
        return float(
            next(
                m["values"][0]["doubleVal"]
                for m in raw
                if m["name"] == name and m["targets"] == list(targets)
            )
        )

    cal = load_device(willow_path)
    assert cal.num_qubits == 6
    assert cal.topology.couplers == ((0, 1), (0, 3), (1, 2), (1, 4), (2, 5), (3, 4), (4, 5))
    assert cal.topology.positions[4] == (5.0, -5.0)  # grid qubit 5_5
    first = cal.qubit(0)  # grid qubit 4_4
    assert first.t1_us == pytest.approx(metric("single_qubit_idle_t1_micros", "4_4"))
    assert first.p_meas1_prep0 == pytest.approx(metric("single_qubit_p00_error", "4_4"))
    assert first.p_meas0_prep1 == pytest.approx(metric("single_qubit_p11_error", "4_4"))
    pauli = metric("single_qubit_rb_pauli_error_per_gate", "4_4")
    assert first.gate_error_1q == pytest.approx(pauli * 2 / 3)
    # Cirq's T_phi from the incoherent error (25 ns gates), then 1/T2 = 1/(2 T1) + 1/T_phi
    t1_ns = first.t1_us * 1e3
    excess = metric("single_qubit_rb_incoherent_error_per_gate", "4_4") - 25 / (3 * t1_ns)
    t2_ns = 1 / (1 / (2 * t1_ns) + (3 * excess / 25 if excess > 0 else 0))
    assert first.t2_us == pytest.approx(t2_ns / 1e3)
    cz = metric("two_qubit_parallel_cz_gate_xeb_pauli_error_per_cycle", "4_4", "4_5")
    assert cal.coupler(0, 1).gate_error_2q == pytest.approx(cz * 4 / 5)


def test_broken_cirq_files(willow_path: Path) -> None:
    data = json.loads(willow_path.read_text())
    metrics = data["metrics"]["metrics"]
    with pytest.raises(CalibrationError, match="single_qubit_idle_t1_micros"):
        from_cirq_calibration({"metrics": [m for m in metrics if "t1" not in m["name"]]})
    with pytest.raises(CalibrationError, match="grid qubit"):
        from_cirq_calibration({"metrics": [{**metrics[0], "targets": ["alice"]}]})
    with pytest.raises(CalibrationError, match=r"metrics\[0\]"):
        from_cirq_calibration({"metrics": [{"name": "x", "targets": ["1_1"], "values": []}]})
    with pytest.raises(CalibrationError, match="list of metrics"):
        from_cirq_calibration({"metrics": 5})
