"""The noise model: closed forms for relaxation, calibrated infidelities, CPTP, idle noise."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from kvant.circuit import Circuit
from kvant.device import (
    Calibration,
    NoiseModel,
    depolarizing_channel,
    depolarizing_parameter,
    load_device,
    thermal_relaxation_channel,
)
from kvant.errors import CircuitError, ConfigError
from kvant.sim import KrausChannel


@pytest.mark.parametrize(
    ("t1", "t2", "t"),
    [(100.0, 100.0, 1000.0), (200.0, 150.0, 68.0), (50.0, 100.0, 5000.0), (80.0, 5.0, 300.0)],
)
def test_relaxation_matches_closed_forms(t1: float, t2: float, t: float) -> None:
    channel = thermal_relaxation_channel(t1, t2, t)
    assert channel.is_cptp()
    e1, e2 = math.exp(-t / 1000 / t1), math.exp(-t / 1000 / t2)
    # process fidelity (1 + e^{-t/T1} + 2 e^{-t/T2}) / 4, average (3 + e^{-t/T1} + 2 e^{-t/T2}) / 6
    assert channel.process_fidelity() == pytest.approx((1 + e1 + 2 * e2) / 4, abs=1e-14)
    assert channel.average_gate_fidelity() == pytest.approx((3 + e1 + 2 * e2) / 6, abs=1e-14)
    excited = channel.apply_to(np.diag([0.0, 1.0]))
    assert excited[1, 1].real == pytest.approx(e1)  # population decays with T1
    plus = channel.apply_to(np.full((2, 2), 0.5))
    assert abs(plus[0, 1]) == pytest.approx(0.5 * e2)  # coherence decays with T2


def test_relaxation_argument_checks() -> None:
    with pytest.raises(ConfigError, match="exceeds 2 T1"):
        thermal_relaxation_channel(10, 30, 5)
    with pytest.raises(ConfigError, match="positive"):
        thermal_relaxation_channel(0, 1, 5)
    with pytest.raises(ConfigError, match="duration"):
        thermal_relaxation_channel(10, 10, -1)
    assert thermal_relaxation_channel(10, 10, 0).process_fidelity() == pytest.approx(1.0)


def test_depolarizing_definitions() -> None:
    for k in (1, 2):
        d = 2**k
        channel = depolarizing_channel(0.1, list(range(k)))
        assert channel.is_cptp()
        assert channel.process_fidelity() == pytest.approx(1 - 0.1 + 0.1 / d**2)
    with pytest.raises(ConfigError):
        depolarizing_channel(2.0, [0])
    # without relaxation, F_avg = 1 - p (d - 1)/d  =>  p = error d / (d - 1)
    assert depolarizing_parameter(3e-3, None, 2) == pytest.approx(3e-3 * 4 / 3)


def test_every_gate_of_kvant_50_has_its_calibrated_error(kvant50: Calibration) -> None:
    model = NoiseModel.from_calibration(kvant50)
    assert model.excess_errors() == {}
    for q in range(kvant50.num_qubits):
        channel = model.gate_channel("sx", (q,))
        assert channel is not None
        assert channel.is_cptp()
        assert channel.average_gate_infidelity() == pytest.approx(
            kvant50.qubit(q).gate_error_1q, rel=1e-9
        )
        assert model.gate_channel("x", (q,)) is channel  # the same pulse, cached
        assert model.gate_channel("rz", (q,)) is None  # virtual
    for coupler in kvant50.couplers:
        channel = model.gate_channel("cz", coupler.qubits)
        assert channel is not None
        assert channel.is_cptp()
        assert channel.average_gate_infidelity() == pytest.approx(coupler.gate_error_2q, rel=1e-9)


def test_relaxation_beyond_the_calibrated_error_is_kept_and_listed() -> None:
    cal = load_device("line-2")
    slow = replace(cal.qubit(0), t1_us=1.0, t2_us=1.0)  # 32 ns gate: relaxation error ~1e-2
    bad = Calibration(cal.topology, (slow, cal.qubits[1]), cal.couplers)
    model = NoiseModel.from_calibration(bad)
    relax = thermal_relaxation_channel(1.0, 1.0, slow.gate_duration_1q_ns)
    assert depolarizing_parameter(slow.gate_error_1q, relax, 1) == 0.0
    channel = model.gate_channel("sx", (0,))
    assert channel is not None
    assert channel.average_gate_infidelity() == pytest.approx(relax.average_gate_infidelity())
    assert "sx q0" in model.excess_errors()


def test_the_twirl_of_model_channels_keeps_their_fidelity(kvant50: Calibration) -> None:
    model = NoiseModel.from_calibration(kvant50)
    channels = [
        model.gate_channel("sx", (9,)),
        model.gate_channel("cz", (44, 45)),
        model.idle_channel(3, 1560.0),
    ]
    for channel in channels:
        assert isinstance(channel, KrausChannel)
        twirled = channel.pauli_twirl()
        assert twirled.process_fidelity() == pytest.approx(channel.process_fidelity(), abs=1e-14)
        assert twirled.is_cptp()


def test_noisy_program_places_gate_idle_and_readout_noise() -> None:
    cal = load_device("line-3")
    model = NoiseModel.from_calibration(cal)
    circuit = Circuit(3, 3).sx(0).sx(0).sx(2).cz(0, 1).cz(1, 2).delay(0, 200.0).measure(0, 0)
    program = model.noisy_program(circuit, [0, 1, 2])
    labels = [op.label if isinstance(op, KrausChannel) else op.name for op in program.operations]
    idle = [label for label in labels if label.startswith("relax")]
    # qubit 2 waits for cz(0, 1) (idle before cz(1, 2)); the delay relaxes qubit 0 for 200 ns
    assert idle == [
        f"relax q2 {cal.coupler(0, 1).gate_duration_2q_ns + 32:g} ns",
        "relax q0 200 ns",
    ]
    assert labels.count("sx [0]") == 2
    assert "cz [0, 1]" in labels
    assert program.readout_error(0) == model.readout_error(0)
    quiet = NoiseModel.from_calibration(
        cal, relaxation=False, depolarizing=False, idle=False, readout=False
    )
    assert quiet.noisy_program(circuit).channels == ()
    assert not quiet.noisy_program(circuit).has_readout_error


def test_mapping_to_device_qubits_and_errors() -> None:
    cal = load_device("line-3")
    model = NoiseModel.from_calibration(cal)
    program = model.noisy_program(Circuit(2).cz(0, 1), [2, 1])
    (channel,) = program.channels
    assert channel.label == "cz [2, 1]"
    assert channel.qubits == (0, 1)
    with pytest.raises(CircuitError, match="not coupled"):
        model.noisy_program(Circuit(2).cz(0, 1), [0, 2])
    with pytest.raises(ConfigError, match="transpile"):
        model.gate_channel("h", (0,))
    with pytest.raises(ConfigError, match="needs a Calibration"):
        NoiseModel.from_calibration("line-3")  # type: ignore[arg-type]


def test_round_trip() -> None:
    model = NoiseModel.from_calibration(load_device("grid-2x2"), idle=False)
    assert NoiseModel.from_dict(model.to_dict()) == model
    with pytest.raises(ConfigError):
        NoiseModel.from_dict({})
