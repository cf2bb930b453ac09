"""Calibrations: the kvant-50 preset around published medians, JSON schema, validation."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kvant.device import (
    KVANT_50_SEED,
    PUBLISHED_MEDIANS,
    Calibration,
    CouplerCalibration,
    QubitCalibration,
    SyntheticSpec,
    Topology,
    load_device,
    synthetic_calibration,
)
from kvant.errors import CalibrationError, ConfigError, KvantIOError


def test_kvant_50_medians_are_the_published_ones(kvant50: Calibration) -> None:
    medians = kvant50.medians()
    # three bad qubits shift the medians a little; 10 % covers it
    for figure in ("t1_us", "t2_us", "gate_error_1q", "readout_error", "gate_error_2q"):
        assert medians[figure] == pytest.approx(PUBLISHED_MEDIANS[figure], rel=0.1), figure
    assert medians["gate_duration_2q_ns"] == 68.0
    assert all(q.t2_us <= 2 * q.t1_us for q in kvant50.qubits)
    t1 = kvant50.qubit_figure("t1_us")
    assert (t1 < 60).sum() == 3  # the bad qubits
    assert kvant50.worst_qubits("t1_us", 3) == tuple(sorted(range(50), key=lambda q: t1[q])[:3])


def test_kvant_50_is_reproducible(kvant50: Calibration) -> None:
    again = synthetic_calibration(
        Topology.from_name("kvant-50"), SyntheticSpec(seed=KVANT_50_SEED, bad_qubits=3)
    )
    assert again == kvant50
    other = synthetic_calibration(
        Topology.from_name("kvant-50"), SyntheticSpec(seed=1, bad_qubits=3)
    )
    assert other != kvant50


def test_json_round_trip(tmp_path: Path, kvant50: Calibration) -> None:
    path = kvant50.save(tmp_path / "kvant50.json")
    loaded = Calibration.load(path)
    assert loaded == kvant50
    assert load_device(path) == kvant50
    assert load_device(str(path)) == kvant50
    spec = SyntheticSpec(seed=3, bad_qubits=1)
    assert SyntheticSpec.from_dict(spec.to_dict()) == spec
    q = kvant50.qubits[0]
    assert QubitCalibration.from_dict(q.to_dict()) == q
    c = kvant50.couplers[0]
    assert CouplerCalibration.from_dict(c.to_dict()) == c


def broken(kvant50: Calibration, path: str, value: Any) -> dict[str, Any]:
    data = json.loads(kvant50.to_json())
    *keys, last = path.split(".")
    target: Any = data
    for key in keys:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        ("qubits.3.t2_us", 1000.0, "qubits[3].t2_us", "exceeds 2 T1"),
        ("qubits.0.t1_us", -5, "qubits[0].t1_us", "> 0"),
        ("qubits.7.p_meas1_prep0", 1.2, "qubits[7].p_meas1_prep0", r"\[0, 1\]"),
        ("qubits.7.gate_error_1q", 0.9, "qubits[7].gate_error_1q", r"\[0, 0.666667\]"),
        ("qubits.2.readout_duration_ns", "slow", "qubits[2].readout_duration_ns", "number"),
        ("qubits.2.colour", "red", "qubits[2].colour", "unknown field"),
        ("qubits.2.t1_us", KeyError, "qubits[2].t1_us", "missing"),
        ("couplers.0.qubits", [0, 77], "couplers[0].qubits", "does not exist"),
        ("couplers.0.gate_error_2q", 2.0, "couplers[0].gate_error_2q", r"\[0, 0.8\]"),
        ("couplers.0.gate", "cx", "couplers[0].gate", "native"),
        ("version", 2, "version", "not supported"),
        ("schema", "other", "schema", "kvant.calibration"),
        ("num_qubits", 0, "num_qubits", "positive"),
    ],
)
def test_validation_names_the_field(
    kvant50: Calibration, path: str, value: Any, field: str, message: str
) -> None:
    with pytest.raises(CalibrationError, match=message) as info:
        Calibration.from_dict(broken(kvant50, path, value))
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_structural_errors(kvant50: Calibration, tmp_path: Path) -> None:
    topology = Topology.from_name("line-3")
    cal = load_device("line-3")
    with pytest.raises(CalibrationError, match="has no calibration"):
        Calibration(topology, cal.qubits, cal.couplers[:1])
    with pytest.raises(CalibrationError, match="calibrated twice"):
        Calibration(topology, cal.qubits, (cal.couplers[0], cal.couplers[0], cal.couplers[1]))
    with pytest.raises(CalibrationError, match="not coupled"):
        Calibration(topology, cal.qubits, (*cal.couplers, replace(cal.couplers[0], qubits=(0, 2))))
    with pytest.raises(CalibrationError, match="entries"):
        Calibration(topology, cal.qubits[:2], cal.couplers)
    with pytest.raises(CalibrationError, match="not valid JSON"):
        Calibration.from_json("{")
    with pytest.raises(KvantIOError):
        Calibration.load(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="not coupled"):
        cal.coupler(0, 2)
    with pytest.raises(ConfigError, match="unknown qubit figure"):
        cal.qubit_figure("colour")


def test_load_device_forms(kvant50: Calibration) -> None:
    assert load_device(kvant50) is kvant50
    assert load_device(Topology.line(4)).num_qubits == 4
    assert load_device("grid-2x3").name == "grid-2x3"
    with pytest.raises(ConfigError, match="unknown topology"):
        load_device("kvant-49")
    with pytest.raises(ConfigError, match="preset name"):
        load_device(3.5)  # type: ignore[arg-type]
