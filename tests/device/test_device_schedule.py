"""ASAP schedules: durations from the calibration, idle periods, barriers and conditions."""

from __future__ import annotations

import math

import pytest

from kvant.circuit import Circuit
from kvant.device import Schedule, load_device, schedule
from kvant.errors import CircuitError, ConfigError

LINE = load_device("line-3")


def test_durations_and_idle_periods() -> None:
    circuit = Circuit(3).sx(0).sx(0).cz(0, 1).rz(math.pi, 1).sx(2).cz(1, 2)
    s = schedule(circuit, LINE)
    d1 = LINE.qubit(0).gate_duration_1q_ns
    cz01, cz12 = LINE.coupler(0, 1).gate_duration_2q_ns, LINE.coupler(1, 2).gate_duration_2q_ns
    starts = [t.start_ns for t in s.instructions]
    assert starts == [0.0, d1, 2 * d1, 2 * d1 + cz01, 0.0, 2 * d1 + cz01]
    assert s.duration_ns == pytest.approx(2 * d1 + cz01 + cz12)
    # qubit 2 finishes its sx at 32 ns and waits for qubit 1 until 2 d1 + cz01
    (idle,) = s.idle
    assert (idle.qubit, idle.start_ns, idle.duration_ns, idle.before) == (2, d1, d1 + cz01, 5)
    assert s.idle_time_ns(2) == pytest.approx(d1 + cz01)
    assert s.idle_time_ns(0) == 0.0


def test_barriers_align_and_conditions_wait_for_their_measurement() -> None:
    circuit = Circuit(2, 1).sx(0).barrier(0, 1).sx(1)
    s = schedule(circuit, LINE)
    assert s.instructions[2].start_ns == LINE.qubit(0).gate_duration_1q_ns
    assert s.idle == ()  # qubit 1 had not started: no idle time
    feedback = Circuit(2, 1).sx(1).measure(0, 0).x(1).c_if(0, 1)
    s = schedule(feedback, LINE)
    readout = LINE.qubit(0).readout_duration_ns
    assert s.instructions[2].start_ns == readout
    assert s.idle[0].duration_ns == pytest.approx(readout - LINE.qubit(1).gate_duration_1q_ns)


def test_delays_take_their_duration_and_round_trip() -> None:
    s = schedule(Circuit(1).sx(0).delay(0, 500.0).sx(0), LINE)
    assert [t.duration_ns for t in s.instructions] == [32.0, 500.0, 32.0]
    assert Schedule.from_dict(s.to_dict()) == s
    with pytest.raises(ConfigError):
        Schedule.from_dict({"idle": []})


def test_errors() -> None:
    with pytest.raises(CircuitError, match="not a native gate"):
        schedule(Circuit(1).h(0), LINE)
    with pytest.raises(CircuitError, match="not coupled"):
        schedule(Circuit(3).cz(0, 2), LINE)
    with pytest.raises(ConfigError, match="physical_qubits"):
        schedule(Circuit(2).sx(0), LINE, [0, 9])
