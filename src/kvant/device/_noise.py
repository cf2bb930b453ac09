"""The noise model: every error traceable to a calibration number.

For each native gate on device qubits the model applies, after the ideal gate,

1. a **depolarizing** part whose strength makes the *total* average gate infidelity of the
   gate's channel equal the calibrated gate error (:func:`depolarizing_parameter`), then
2. **thermal relaxation** of each qubit for the gate's duration ``t``: amplitude damping with
   ``p = 1 - exp(-t/T1)`` and pure dephasing so that coherences decay as ``exp(-t/T2)``
   (:func:`thermal_relaxation_channel`).

The order is Qiskit Aer's; the average infidelity does not depend on it.

Every idle period of a qubit (from the ASAP schedule, and every ``delay``) carries thermal
relaxation for its length. Each measurement's result is flipped with the qubit's
``p_meas1_prep0`` / ``p_meas0_prep1`` (readout confusion). ``rz`` is virtual and exact; resets are
perfect. This is the model of Qiskit Aer's ``NoiseModel.from_backend`` (``basic_device_gate_errors``
in ``qiskit_aer/noise/device/models.py``), which the tests check against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kvant.circuit import Circuit, Instruction
from kvant.device._calibration import Calibration
from kvant.device._schedule import schedule
from kvant.errors import ConfigError
from kvant.sim import KrausChannel, NoisyProgram, ReadoutError

__all__ = [
    "NoiseModel",
    "depolarizing_channel",
    "depolarizing_parameter",
    "thermal_relaxation_channel",
]

_TWO_QUBIT = frozenset({"cz"})
_ONE_QUBIT = frozenset({"sx", "x"})
_NOISELESS = frozenset({"rz", "barrier", "measure", "reset", "id", "u0"})


def thermal_relaxation_channel(
    t1_us: float, t2_us: float, duration_ns: float, qubit: int = 0, *, label: str = ""
) -> KrausChannel:
    """Amplitude and phase damping of one qubit over ``duration_ns`` (zero temperature).

    Kraus operators (Nielsen & Chuang, sections 8.3.5-8.3.6, composed; Qiskit Aer's
    ``thermal_relaxation_error`` with ``excited_state_population=0``), with
    ``p = 1 - exp(-t/T1)`` and ``f = exp(-t/T2) / exp(-t/(2 T1)) = exp(-t/T_phi)``::

        A0 = sqrt((1+f)/2) diag(1, sqrt(1-p)),  A1 = sqrt((1-f)/2) diag(1, -sqrt(1-p)),
        A2 = sqrt(p) |0><1|

    so populations relax as ``exp(-t/T1)`` and coherences decay as ``exp(-t/T2)``. The process
    fidelity is ``(1 + exp(-t/T1) + 2 exp(-t/T2)) / 4``.

    Args:
        t1_us: T1 in microseconds (> 0).
        t2_us: T2 in microseconds, ``0 < T2 <= 2 T1``.
        duration_ns: How long the qubit relaxes (>= 0).
        qubit: The qubit the channel acts on.
        label: Name for reports.

    Raises:
        ConfigError: For T1 or T2 out of range, T2 > 2 T1, or a negative duration.

    >>> c = thermal_relaxation_channel(100, 100, 1000)
    >>> decay = math.exp(-0.01)  # t / T1 = t / T2 = 1 us / 100 us
    >>> abs(c.process_fidelity() - (1 + decay + 2 * decay) / 4) < 1e-12
    True
    """
    if not (t1_us > 0 and t2_us > 0 and math.isfinite(t1_us) and math.isfinite(t2_us)):
        raise ConfigError(f"T1 and T2 must be positive, got T1={t1_us!r} us, T2={t2_us!r} us")
    if t2_us > 2 * t1_us * (1 + 1e-9):
        raise ConfigError(f"T2 = {t2_us:g} us exceeds 2 T1 = {2 * t1_us:g} us")
    if not duration_ns >= 0:
        raise ConfigError(f"duration must be >= 0 ns, got {duration_ns!r}")
    t_us = duration_ns / 1000.0
    p = -math.expm1(-t_us / t1_us)
    f = min(math.exp(-t_us / t2_us + t_us / (2 * t1_us)), 1.0)
    damp = math.sqrt(1 - p)
    ops = np.array(
        [
            math.sqrt((1 + f) / 2) * np.diag([1.0, damp]),
            math.sqrt((1 - f) / 2) * np.diag([1.0, -damp]),
            [[0.0, math.sqrt(p)], [0.0, 0.0]],
        ],
        dtype=np.complex128,
    )
    keep = np.abs(ops).reshape(3, -1).max(axis=1) > 0
    return KrausChannel((qubit,), ops[keep], label or f"relax q{qubit} {duration_ns:g} ns")


def depolarizing_channel(
    probability: float, qubits: Sequence[int], *, label: str = ""
) -> KrausChannel:
    """``rho -> (1 - p) rho + p I/d`` on ``qubits`` (Nielsen & Chuang, eq. 8.102; Qiskit Aer's
    ``depolarizing_error(p, n)``): Kraus ``sqrt(1 - p + p/d^2) I`` and ``sqrt(p/d^2) P`` for the
    other Paulis. Valid for ``0 <= p <= d^2 / (d^2 - 1)``.

    >>> c = depolarizing_channel(0.01, [0])
    >>> round(c.average_gate_infidelity(), 12)
    0.005
    """
    from kvant.sim import pauli_basis

    k = len(qubits)
    d2 = 4**k
    if not 0 <= probability <= d2 / (d2 - 1):
        raise ConfigError(
            f"depolarizing probability must be in [0, {d2 / (d2 - 1):g}], got {probability!r}"
        )
    weights = np.full(d2, probability / d2)
    weights[0] = 1 - probability + probability / d2
    ops = np.sqrt(weights)[:, None, None] * pauli_basis(k)
    keep = weights > 0
    return KrausChannel(tuple(qubits), ops[keep], label or f"depolarizing {probability:.3g}")


def depolarizing_parameter(error: float, relaxation: KrausChannel | None, num_qubits: int) -> float:
    """The depolarizing ``p`` that makes the total average infidelity equal ``error``.

    With ``d = 2**n``, the target process fidelity is ``F* = ((d + 1)(1 - error) - 1) / d``
    (``F_avg = (d F_pro + 1)/(d + 1)``: Horodecki et al., PRA 60, 1888, 1999; Nielsen, Phys.
    Lett. A 303, 249, 2002). Depolarizing composed (in either order) with a channel of process
    fidelity ``F_r`` gives ``(1 - p) F_r + p / d^2``, so ``p = (F_r - F*) / (F_r - 1/d^2)``.
    If relaxation alone already exceeds the error, ``p`` is 0 (the model's error is then the
    relaxation's, larger than calibrated; :meth:`NoiseModel.excess_errors` lists such gates).

    >>> round(depolarizing_parameter(1e-3, None, 1), 12)  # without relaxation, p = 2 * error
    0.002
    """
    d = 1 << num_qubits
    target = ((d + 1) * (1 - error) - 1) / d
    f_relax = 1.0 if relaxation is None else relaxation.process_fidelity()
    if f_relax <= target:
        return 0.0
    return min((f_relax - target) / (f_relax - 1 / d**2), 1.0)


def _kron_channels(first: KrausChannel, second: KrausChannel) -> KrausChannel:
    ops = np.einsum("aij,bkl->abikjl", first.operators, second.operators)
    d = first.dim * second.dim
    return KrausChannel(
        (*first.qubits, *second.qubits), ops.reshape(-1, d, d), f"{first.label} x {second.label}"
    )


@dataclass(frozen=True, eq=False)
class NoiseModel:
    """Noise of a device, derived from its calibration.

    Attributes:
        calibration: The device.
        relaxation: Apply thermal relaxation during gates.
        depolarizing: Add the depolarizing part that matches each gate's calibrated error.
        idle: Apply thermal relaxation during idle periods and delays.
        readout: Apply readout confusion.

    >>> from kvant.device import load_device
    >>> model = NoiseModel.from_calibration(load_device("line-2"))
    >>> channel = model.gate_channel("cz", (0, 1))
    >>> calibrated = model.calibration.coupler(0, 1).gate_error_2q
    >>> abs(channel.average_gate_infidelity() - calibrated) < 1e-12
    True
    """

    calibration: Calibration
    relaxation: bool = True
    depolarizing: bool = True
    idle: bool = True
    readout: bool = True
    _cache: dict[Any, KrausChannel | None] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_calibration(
        cls,
        calibration: Calibration,
        *,
        relaxation: bool = True,
        depolarizing: bool = True,
        idle: bool = True,
        readout: bool = True,
    ) -> NoiseModel:
        """The model of ``calibration``; switch parts off to study them one at a time.

        Raises:
            ConfigError: If ``calibration`` is not a :class:`Calibration`.
        """
        if not isinstance(calibration, Calibration):
            raise ConfigError(
                f"from_calibration needs a Calibration, got {type(calibration).__name__}"
            )
        return cls(calibration, relaxation, depolarizing, idle, readout)

    # channels -------------------------------------------------------------------------------
    def _relax(self, qubit: int, duration_ns: float) -> KrausChannel:
        q = self.calibration.qubit(qubit)
        return thermal_relaxation_channel(q.t1_us, q.t2_us, duration_ns, qubit)

    def gate_channel(self, name: str, qubits: Sequence[int]) -> KrausChannel | None:
        """The noise after native gate ``name`` on device ``qubits`` (None if noiseless).

        Raises:
            ConfigError: For a gate that is not native or a ``cz`` on uncoupled qubits.
        """
        key = (name if name in _TWO_QUBIT else "1q" if name in _ONE_QUBIT else name, tuple(qubits))
        if key in self._cache:
            return self._cache[key]
        if name in _NOISELESS or name == "delay":
            channel = None
        elif name in _ONE_QUBIT:
            (q,) = qubits
            channel = self._gate(
                [q],
                self.calibration.qubit(q).gate_error_1q,
                self.calibration.qubit(q).gate_duration_1q_ns,
            )
        elif name in _TWO_QUBIT:
            coupler = self.calibration.coupler(*qubits)
            channel = self._gate(list(qubits), coupler.gate_error_2q, coupler.gate_duration_2q_ns)
        else:
            raise ConfigError(f"{name!r} is not a native gate (rz, sx, x, cz); transpile first")
        if channel is not None:
            channel = KrausChannel(channel.qubits, channel.operators, f"{name} {list(qubits)}")
        self._cache[key] = channel
        return channel

    def _gate(self, qubits: list[int], error: float, duration_ns: float) -> KrausChannel | None:
        relax: KrausChannel | None = None
        if self.relaxation and duration_ns > 0:
            parts = [self._relax(q, duration_ns) for q in qubits]
            relax = parts[0] if len(parts) == 1 else _kron_channels(parts[0], parts[1]).canonical()
        if not self.depolarizing:
            return relax
        p = depolarizing_parameter(error, relax, len(qubits))
        if p == 0.0:
            return relax
        depol = depolarizing_channel(p, qubits)
        # Qiskit Aer's order (basic_device_gate_errors: depol.compose(relax)): depolarizing
        # first, relaxation after; either order gives the same average infidelity
        return depol if relax is None else depol.then(relax)

    def idle_channel(self, qubit: int, duration_ns: float) -> KrausChannel | None:
        """Thermal relaxation of device ``qubit`` idling for ``duration_ns`` (None if off)."""
        if not self.idle or duration_ns <= 0:
            return None
        key = ("idle", qubit, round(float(duration_ns), 6))
        if key not in self._cache:
            self._cache[key] = self._relax(qubit, duration_ns)
        return self._cache[key]

    def readout_error(self, qubit: int) -> ReadoutError | None:
        """Readout confusion of device ``qubit`` (None if off)."""
        if not self.readout:
            return None
        q = self.calibration.qubit(qubit)
        return ReadoutError(q.p_meas1_prep0, q.p_meas0_prep1)

    def excess_errors(self) -> dict[str, float]:
        """Gates whose relaxation alone exceeds the calibrated error: ``{gate: model error}``."""
        out: dict[str, float] = {}
        cal = self.calibration
        for q in range(cal.num_qubits):
            channel = self.gate_channel("sx", (q,))
            if channel is not None and channel.average_gate_infidelity() > cal.qubit(
                q
            ).gate_error_1q * (1 + 1e-9):
                out[f"sx q{q}"] = channel.average_gate_infidelity()
        for c in cal.couplers:
            channel = self.gate_channel("cz", c.qubits)
            if channel is not None and channel.average_gate_infidelity() > c.gate_error_2q * (
                1 + 1e-9
            ):
                out[f"cz {list(c.qubits)}"] = channel.average_gate_infidelity()
        return out

    # programs -------------------------------------------------------------------------------
    def noisy_program(
        self, circuit: Circuit, physical_qubits: Sequence[int] | None = None
    ) -> NoisyProgram:
        """Attach the noise to a native circuit: gate channels, idle channels, readout errors.

        Args:
            circuit: A circuit in native gates (see :func:`~kvant.device.transpile`).
            physical_qubits: Device qubit of each circuit qubit (default: the same index).

        Returns:
            The noisy program (on the circuit's qubits).

        Raises:
            CircuitError: For non-native gates or a ``cz`` between uncoupled qubits.
        """
        physical = (
            tuple(range(circuit.num_qubits)) if physical_qubits is None else tuple(physical_qubits)
        )
        timing = schedule(circuit, self.calibration, physical)
        idle_before: dict[int, list[tuple[int, float]]] = {}
        for period in timing.idle:
            idle_before.setdefault(period.before, []).append((period.qubit, period.duration_ns))
        ops: list[Instruction | KrausChannel] = []
        for index, op in enumerate(circuit):
            for q, duration in idle_before.get(index, ()):
                channel = self.idle_channel(physical[q], duration)
                if channel is not None:
                    ops.append(channel.on((q,)))
            ops.append(op)
            if op.name == "delay":
                channel = self.idle_channel(physical[op.qubits[0]], float(op.numeric_params()[0]))
            else:
                channel = self.gate_channel(op.name, tuple(physical[q] for q in op.qubits))
            if channel is not None:
                local = channel.on(op.qubits)
                ops.append(local.with_condition(op.condition) if op.condition else local)
        readout = tuple(self.readout_error(p) for p in physical) if self.readout else ()
        return NoisyProgram(
            circuit.num_qubits, circuit.num_clbits, tuple(ops), readout, circuit.name
        )

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data: the calibration and the switches."""
        return {
            "calibration": self.calibration.to_dict(),
            "relaxation": self.relaxation,
            "depolarizing": self.depolarizing,
            "idle": self.idle,
            "readout": self.readout,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoiseModel:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            CalibrationError: For an invalid calibration.
            ConfigError: For a missing field.
        """
        try:
            return cls(
                Calibration.from_dict(data["calibration"]),
                bool(data.get("relaxation", True)),
                bool(data.get("depolarizing", True)),
                bool(data.get("idle", True)),
                bool(data.get("readout", True)),
            )
        except KeyError as exc:
            raise ConfigError(f"cannot read a NoiseModel from this data: missing {exc}") from exc

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NoiseModel):
            return NotImplemented
        return (self.calibration, self.relaxation, self.depolarizing, self.idle, self.readout) == (
            other.calibration,
            other.relaxation,
            other.depolarizing,
            other.idle,
            other.readout,
        )

    __hash__ = None  # type: ignore[assignment]
