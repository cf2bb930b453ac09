"""Device models: coupling maps, calibrations, native gates, routing, noise, emulated runs.

The preset ``kvant-50`` is a 50-qubit processor on a 5 x 10 square lattice with CZ couplers,
calibrated (reproducibly, from a fixed seed) around published medians of current
superconducting devices; every error source of its noise model is traceable to a calibration
number.

>>> from kvant.circuit import Circuit
>>> from kvant.device import load_device, run_on_device
>>> cal = load_device("kvant-50")
>>> cal.num_qubits, round(cal.medians()["t1_us"])
(50, 199)
>>> run = run_on_device(Circuit(3).h(0).cx(0, 1).cx(1, 2), cal, shots=1000, seed=7)
>>> run.engine, run.transpiled.added_swaps
('stabilizer', 0)
"""

from kvant.device._calibration import SCHEMA, SCHEMA_VERSION, Calibration
from kvant.device._calibration_records import CouplerCalibration, QubitCalibration
from kvant.device._emulate import DeviceRun, run_on_device
from kvant.device._loaders import (
    from_cirq_calibration,
    from_qiskit_properties,
    load_calibration_file,
)
from kvant.device._native import NATIVE_GATES, expand_to_two_qubit, is_native, to_native
from kvant.device._noise import (
    NoiseModel,
    depolarizing_channel,
    depolarizing_parameter,
    thermal_relaxation_channel,
)
from kvant.device._presets import (
    KVANT_50_SEED,
    PUBLISHED_MEDIANS,
    SyntheticSpec,
    load_device,
    preset_names,
    synthetic_calibration,
)
from kvant.device._routing import choose_layout, route
from kvant.device._schedule import IdlePeriod, Schedule, TimedInstruction, schedule
from kvant.device._topology import Topology
from kvant.device._transpile import Transpiled, transpile

__all__ = [
    "KVANT_50_SEED",
    "NATIVE_GATES",
    "PUBLISHED_MEDIANS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Calibration",
    "CouplerCalibration",
    "DeviceRun",
    "IdlePeriod",
    "NoiseModel",
    "QubitCalibration",
    "Schedule",
    "SyntheticSpec",
    "TimedInstruction",
    "Topology",
    "Transpiled",
    "choose_layout",
    "depolarizing_channel",
    "depolarizing_parameter",
    "expand_to_two_qubit",
    "from_cirq_calibration",
    "from_qiskit_properties",
    "is_native",
    "load_calibration_file",
    "load_device",
    "preset_names",
    "route",
    "run_on_device",
    "schedule",
    "synthetic_calibration",
    "thermal_relaxation_channel",
    "to_native",
    "transpile",
]
