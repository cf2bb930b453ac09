"""Preset devices: synthetic calibrations around published medians, generated reproducibly.

The medians are those of current superconducting processors, read from public calibration
files (see ``REFERENCES.md`` and ``docs/device.md``): IBM Heron r2/r3 (Torino: T1 185 us,
T2 141 us, 1q 2.7e-4, CZ 4.1e-3, readout 2.3e-2; Fez: 145 us, 88 us, 2.3e-4, 3.8e-3, 7.6e-3;
Kingston: 283 us, 144 us, 2.3e-4, 1.8e-3, 9.5e-3; qiskit-ibm-runtime ``props_*.json``) and
Google Willow (Cirq calibration JSON, 2024: T1 70 us, 1q Pauli error 4.0e-4, CZ 3.4e-3,
readout 0.4-1.1 %). Kvant-50 takes round values in that range: T1 200 us, T2 150 us,
1q error 2.5e-4, CZ error 3e-3, readout error 1e-2; durations are IBM Heron's (``sx`` 32 ns,
CZ 68 ns, readout 1560 ns in ``props_torino.json``).

Spread: each figure is log-normal around its median (the sample is rescaled so that its
median is exactly the published one), and a few "bad" qubits get a short T1, a large gate
and readout error, as every real device has.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.device._calibration import Calibration
from kvant.device._calibration_records import CouplerCalibration, QubitCalibration
from kvant.device._topology import Topology
from kvant.errors import ConfigError

__all__ = [
    "KVANT_50_SEED",
    "PUBLISHED_MEDIANS",
    "SyntheticSpec",
    "load_device",
    "preset_names",
    "synthetic_calibration",
]

#: Seed of the ``kvant-50`` calibration: changing it changes the device.
KVANT_50_SEED = 50

#: Target medians of a current superconducting device (sources in the module docstring).
PUBLISHED_MEDIANS: Mapping[str, float] = {
    "t1_us": 200.0,
    "t2_us": 150.0,
    "gate_error_1q": 2.5e-4,
    "gate_error_2q": 3.0e-3,
    "readout_error": 1.0e-2,
    "gate_duration_1q_ns": 32.0,
    "gate_duration_2q_ns": 68.0,
    "readout_duration_ns": 1560.0,
}


@dataclass(frozen=True)
class SyntheticSpec:
    """How a synthetic calibration is drawn.

    Attributes:
        seed: Seed of the generator.
        bad_qubits: Number of qubits made bad (T1 / 5, errors x 6).
        sigma_coherence: Log-normal spread of T1 and T2.
        sigma_error: Log-normal spread of gate and readout errors.
        readout_asymmetry: ``p_meas0_prep1 / p_meas1_prep0`` at the median (decay during
            readout makes reading a 1 the worse case; 1.4 to 3 on IBM Heron files).
    """

    seed: int
    bad_qubits: int = 0
    sigma_coherence: float = 0.3
    sigma_error: float = 0.45
    readout_asymmetry: float = 2.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "seed": self.seed,
            "bad_qubits": self.bad_qubits,
            "sigma_coherence": self.sigma_coherence,
            "sigma_error": self.sigma_error,
            "readout_asymmetry": self.readout_asymmetry,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SyntheticSpec:
        """Rebuild from :meth:`to_dict` output."""
        try:
            return cls(
                int(data["seed"]),
                int(data.get("bad_qubits", 0)),
                float(data.get("sigma_coherence", 0.3)),
                float(data.get("sigma_error", 0.45)),
                float(data.get("readout_asymmetry", 2.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"cannot read a SyntheticSpec from this data: {exc!r}") from exc


def _lognormal(
    rng: np.random.Generator, median: float, sigma: float, size: int
) -> NDArray[np.float64]:
    z = rng.normal(size=size)
    z -= np.median(z)  # the sample median is exactly `median`
    return np.asarray(median * np.exp(sigma * z))


def synthetic_calibration(
    topology: Topology,
    spec: SyntheticSpec,
    *,
    medians: Mapping[str, float] = PUBLISHED_MEDIANS,
    source: str | None = None,
) -> Calibration:
    """A reproducible calibration for ``topology`` drawn around ``medians``.

    Args:
        topology: The coupling map.
        spec: Seed and spreads.
        medians: Target medians (keys as :data:`PUBLISHED_MEDIANS`).
        source: Description stored in the calibration (default: names the generator).

    Returns:
        The calibration; the same arguments always give the same numbers.

    >>> from kvant.device import Topology
    >>> cal = synthetic_calibration(Topology.line(5), SyntheticSpec(seed=1))
    >>> round(cal.medians()["t1_us"])
    200
    """
    rng = np.random.default_rng(spec.seed)
    n, m = topology.num_qubits, len(topology.couplers)
    t1 = _lognormal(rng, medians["t1_us"], spec.sigma_coherence, n)
    t2 = np.minimum(_lognormal(rng, medians["t2_us"], spec.sigma_coherence, n), 2 * t1)
    err1 = _lognormal(rng, medians["gate_error_1q"], spec.sigma_error, n)
    readout = _lognormal(rng, medians["readout_error"], spec.sigma_error, n)
    err2 = _lognormal(rng, medians["gate_error_2q"], spec.sigma_error, m)
    if not 0 <= spec.bad_qubits <= n:
        raise ConfigError(f"bad_qubits must be in 0..{n}, got {spec.bad_qubits}")
    bad: list[int] = [int(q) for q in rng.choice(n, size=spec.bad_qubits, replace=False)]
    for q in bad:
        t1[q] /= 5.0
        t2[q] = min(t2[q], t1[q])
        err1[q] *= 6.0
        readout[q] *= 6.0
    bad_set = {int(q) for q in bad}
    for index, (a, b) in enumerate(topology.couplers):
        if a in bad_set or b in bad_set:
            err2[index] *= 4.0
    # split the mean readout error r into p(1|0) and p(0|1) with the given ratio
    share = rng.uniform(0.8, 1.2, size=n) * spec.readout_asymmetry
    p10 = np.minimum(2 * readout / (1 + share), 0.4)
    p01 = np.minimum(2 * readout * share / (1 + share), 0.4)
    qubits = tuple(
        QubitCalibration(
            t1_us=round(float(t1[q]), 3),
            t2_us=round(float(min(t2[q], 2 * round(float(t1[q]), 3))), 3),
            p_meas1_prep0=round(float(p10[q]), 6),
            p_meas0_prep1=round(float(p01[q]), 6),
            gate_error_1q=round(float(min(err1[q], 0.05)), 8),
            gate_duration_1q_ns=medians["gate_duration_1q_ns"],
            readout_duration_ns=medians["readout_duration_ns"],
        )
        for q in range(n)
    )
    couplers = tuple(
        CouplerCalibration(pair, round(float(min(err2[i], 0.2)), 7), medians["gate_duration_2q_ns"])
        for i, pair in enumerate(topology.couplers)
    )
    default_source = (
        f"synthetic: log-normal around published medians (kvant.device.PUBLISHED_MEDIANS), "
        f"seed {spec.seed}, {spec.bad_qubits} bad qubit(s)"
    )
    return Calibration(topology, qubits, couplers, source or default_source)


def preset_names() -> tuple[str, ...]:
    """Names (patterns) accepted by :func:`load_device`."""
    return ("kvant-50", "line-N", "grid-RxC", "heavy-hex-D")


def _preset(name: str) -> Calibration:
    topology = Topology.from_name(name)
    if topology.name == "kvant-50":
        return synthetic_calibration(topology, SyntheticSpec(seed=KVANT_50_SEED, bad_qubits=3))
    seed = zlib.crc32(topology.name.encode())
    return synthetic_calibration(
        topology, SyntheticSpec(seed=seed, bad_qubits=topology.num_qubits // 20)
    )


def load_device(device: str | Path | Calibration | Topology) -> Calibration:
    """The one converter for "a device": a calibration, a topology, a preset name or a file.

    Args:
        device: A :class:`Calibration` (returned as is); a :class:`Topology` (a synthetic
            calibration around the published medians, seeded by its name); a preset name
            (``kvant-50``, ``line-N``, ``grid-RxC``, ``heavy-hex-D``); or a path to a JSON file:
            Kvant's calibration schema, Qiskit's backend properties (``props_*.json``) or
            Cirq's calibration JSON, recognised by their content.

    Returns:
        The calibration.

    Raises:
        ConfigError: For an unknown name.
        CalibrationError: For a file that is not a valid calibration.
        KvantIOError: For a file that cannot be read.

    >>> load_device("grid-2x2").couplers[0]
    CouplerCalibration(qubits=(0, 1), gate_error_2q=0.00246, gate_duration_2q_ns=68.0, gate='cz')
    """
    if isinstance(device, Calibration):
        return device
    if isinstance(device, Topology):
        seed = zlib.crc32(device.name.encode())
        return synthetic_calibration(
            device, SyntheticSpec(seed=seed, bad_qubits=device.num_qubits // 20)
        )
    if isinstance(device, Path) or (isinstance(device, str) and device.lower().endswith(".json")):
        from kvant.device._loaders import load_calibration_file

        return load_calibration_file(Path(device))
    if isinstance(device, str):
        try:
            return _preset(device)
        except ConfigError:
            if Path(device).exists():
                from kvant.device._loaders import load_calibration_file

                return load_calibration_file(Path(device))
            raise
    raise ConfigError(
        f"a device is a preset name, a calibration file, a Calibration or a Topology; "
        f"got {type(device).__name__}"
    )
