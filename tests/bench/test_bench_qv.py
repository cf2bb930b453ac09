"""Quantum volume: the heavy-output test, a noiseless device, and a device that must fail."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.bench import (
    QV_THRESHOLD,
    SuiteConfig,
    analyse_qv_width,
    heavy_outputs,
    measure_device,
    quantum_volume,
    qv_circuits,
)
from kvant.device import (
    Calibration,
    CouplerCalibration,
    NoiseModel,
    QubitCalibration,
    Topology,
    transpile,
)
from kvant.errors import AnalysisError


def _device(error_1q: float, error_2q: float, readout: float, t1_us: float) -> Calibration:
    topology = Topology.grid(2, 2)
    qubit = QubitCalibration(t1_us, t1_us, readout, readout, error_1q, 32.0, 1000.0)
    couplers = tuple(CouplerCalibration(c, error_2q, 68.0) for c in topology.couplers)
    return Calibration(topology, (qubit,) * 4, couplers, "test device")


def _config(widths: tuple[int, ...]) -> SuiteConfig:
    return SuiteConfig.reduced(
        qubits=(0, 1, 2, 3), couplers=(), qv_widths=widths, xeb_qubits=0, qv_shots=400
    )


def test_heavy_outputs_are_half_the_outputs_with_most_of_the_weight() -> None:
    circuits = qv_circuits(3, 20, seed=5)
    ideal = []
    for c in circuits:
        outputs, h = heavy_outputs(c)
        assert len(outputs) == 4
        ideal.append(h)
    # Porter-Thomas: the heavy-output probability tends to (1 + ln 2) / 2 = 0.85 (Cross et al.)
    assert 0.78 < float(np.mean(ideal)) < 0.9


def test_noiseless_device_passes_every_width() -> None:
    perfect = _device(0.0, 0.0, 0.0, 1e9)
    sheet, _ = measure_device(perfect, _config((2, 3, 4)))
    assert [r.passed for r in sheet.qv] == [True, True, True]
    assert sheet.get("quantum_volume").value == 16.0
    for r in sheet.qv:  # without noise the measured h is the ideal one, up to shot noise
        assert abs(r.heavy_output_probability - r.ideal_heavy_output_probability) < 0.01


def _predicted_hop(cal: Calibration, width: int, seed: int) -> float:
    """Depolarizing estimate from the injected errors: the circuit keeps the ideal distribution
    with probability F (product of the channels' process fidelities and of the readout
    success), else outputs are uniform (h = 1/2)."""
    model = NoiseModel.from_calibration(cal)
    values = []
    for circuit in qv_circuits(width, 30, seed=seed):
        _, ideal = heavy_outputs(circuit)
        mapped = transpile(circuit, cal, layout="best")
        program = model.noisy_program(mapped.circuit, mapped.physical_qubits)
        fidelity = (
            np.prod(
                [op.process_fidelity() for op in program.operations if hasattr(op, "operators")]
            )
            * (1 - cal.qubit(0).readout_error) ** width
        )
        values.append(fidelity * ideal + (1 - fidelity) / 2)
    return float(np.mean(values))


def test_noisy_device_fails_where_its_errors_say_it_must() -> None:
    noisy = _device(1e-3, 1.6e-2, 1e-2, 100.0)
    predicted = {w: _predicted_hop(noisy, w, seed=w) for w in (2, 3, 4)}
    assert predicted[4] < QV_THRESHOLD - 0.05  # the injected errors rule width 4 out
    sheet, _ = measure_device(noisy, _config((2, 3, 4)))
    results = {r.width: r for r in sheet.qv}
    for width, r in results.items():  # measured h follows the injected errors
        assert abs(r.heavy_output_probability - predicted[width]) < 0.04, (width, r)
    assert not results[4].passed
    assert results[4].heavy_output_probability < QV_THRESHOLD
    assert sheet.get("quantum_volume").value < 16


def test_analysis_rules_and_bad_input() -> None:
    counts = [{"00": 70, "11": 10, "01": 20}] * 150
    result = analyse_qv_width(2, counts, [["00", "01"]] * 150)
    assert result.heavy_output_probability == pytest.approx(0.9)
    assert result.passed
    few = analyse_qv_width(2, counts[:50], [["00", "01"]] * 50)
    assert not few.passed  # fewer than 100 circuits never pass
    assert quantum_volume([few]).value == 1.0
    with pytest.raises(AnalysisError, match="bitstrings"):
        analyse_qv_width(3, counts, [["00", "01"]] * 150)
    with pytest.raises(AnalysisError, match="one heavy-output list"):
        analyse_qv_width(2, counts, [["00"]])
