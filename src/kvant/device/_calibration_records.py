"""Per-qubit and per-coupler calibration records, validated field by field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from kvant.errors import CalibrationError

__all__ = ["CouplerCalibration", "QubitCalibration"]

#: Relative slack on T2 <= 2 T1 for values rounded in files.
_T2_SLACK = 1e-9


def _number(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise CalibrationError(f"must be a number, got {value!r}", name)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise CalibrationError(f"must be a number, got {value!r}", name) from None
    if not math.isfinite(number):
        raise CalibrationError(f"must be finite, got {number!r}", name)
    return number


def _probability(name: str, value: object, upper: float = 1.0) -> float:
    number = _number(name, value)
    if not 0.0 <= number <= upper:
        raise CalibrationError(f"must be in [0, {upper:g}], got {number!r}", name)
    return number


def _duration(name: str, value: object) -> float:
    number = _number(name, value)
    if number < 0:
        raise CalibrationError(f"must be >= 0 ns, got {number!r}", name)
    return number


@dataclass(frozen=True)
class QubitCalibration:
    """Calibration of one qubit.

    Attributes:
        t1_us: Energy relaxation time T1 (microseconds).
        t2_us: Dephasing time T2 (Hahn echo, microseconds); at most ``2 * t1_us``.
        p_meas1_prep0: Probability of reading 1 after preparing |0>.
        p_meas0_prep1: Probability of reading 0 after preparing |1>.
        gate_error_1q: Average gate infidelity of ``sx``/``x`` (what RB reports as error per
            gate), at most 2/3.
        gate_duration_1q_ns: Duration of ``sx``/``x`` (``rz`` is virtual: 0 ns, no error).
        readout_duration_ns: Duration of a measurement (and of a reset).

    Raises:
        CalibrationError: Naming the field that is out of range.

    >>> q = QubitCalibration(200, 150, 0.008, 0.012, 2.5e-4, 32)
    >>> q.readout_error
    0.01
    """

    t1_us: float
    t2_us: float
    p_meas1_prep0: float
    p_meas0_prep1: float
    gate_error_1q: float
    gate_duration_1q_ns: float
    readout_duration_ns: float = 1560.0

    def __post_init__(self) -> None:
        t1 = _number("t1_us", self.t1_us)
        if t1 <= 0:
            raise CalibrationError(f"must be > 0 us, got {t1!r}", "t1_us")
        t2 = _number("t2_us", self.t2_us)
        if t2 <= 0:
            raise CalibrationError(f"must be > 0 us, got {t2!r}", "t2_us")
        if t2 > 2 * t1 * (1 + _T2_SLACK):
            raise CalibrationError(
                f"T2 = {t2:g} us exceeds 2 T1 = {2 * t1:g} us, which no physical qubit allows "
                "(1/T2 = 1/(2 T1) + 1/T_phi)",
                "t2_us",
            )
        values = {
            "t1_us": t1,
            "t2_us": t2,
            "p_meas1_prep0": _probability("p_meas1_prep0", self.p_meas1_prep0),
            "p_meas0_prep1": _probability("p_meas0_prep1", self.p_meas0_prep1),
            "gate_error_1q": _probability("gate_error_1q", self.gate_error_1q, 2 / 3),
            "gate_duration_1q_ns": _duration("gate_duration_1q_ns", self.gate_duration_1q_ns),
            "readout_duration_ns": _duration("readout_duration_ns", self.readout_duration_ns),
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    @property
    def readout_error(self) -> float:
        """Mean assignment error ``(p_meas1_prep0 + p_meas0_prep1) / 2``."""
        return (self.p_meas1_prep0 + self.p_meas0_prep1) / 2

    def to_dict(self) -> dict[str, float]:
        """Plain data."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QubitCalibration:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            CalibrationError: Naming a missing, unknown or invalid field.
        """
        built: QubitCalibration = _build(cls, data)
        return built


@dataclass(frozen=True)
class CouplerCalibration:
    """Calibration of the two-qubit gate on one coupler.

    Attributes:
        qubits: The coupled pair ``(a, b)``, ``a < b``.
        gate_error_2q: Average gate infidelity of the native 2-qubit gate, at most 4/5.
        gate_duration_2q_ns: Its duration.
        gate: The native 2-qubit gate (``"cz"``).

    >>> CouplerCalibration((3, 1), 3e-3, 68).qubits
    (1, 3)
    """

    qubits: tuple[int, int]
    gate_error_2q: float
    gate_duration_2q_ns: float
    gate: str = "cz"

    def __post_init__(self) -> None:
        try:
            a, b = (int(q) for q in self.qubits)
        except (TypeError, ValueError):
            raise CalibrationError(
                f"must be a pair of qubits, got {self.qubits!r}", "qubits"
            ) from None
        if a == b or a < 0 or b < 0:
            raise CalibrationError(f"must be two different qubits, got {[a, b]}", "qubits")
        object.__setattr__(self, "qubits", (min(a, b), max(a, b)))
        object.__setattr__(
            self, "gate_error_2q", _probability("gate_error_2q", self.gate_error_2q, 4 / 5)
        )
        object.__setattr__(
            self, "gate_duration_2q_ns", _duration("gate_duration_2q_ns", self.gate_duration_2q_ns)
        )
        if self.gate != "cz":
            raise CalibrationError(f"the native 2-qubit gate is 'cz', got {self.gate!r}", "gate")

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "qubits": list(self.qubits),
            "gate_error_2q": self.gate_error_2q,
            "gate_duration_2q_ns": self.gate_duration_2q_ns,
            "gate": self.gate,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CouplerCalibration:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            CalibrationError: Naming a missing, unknown or invalid field.
        """
        built: CouplerCalibration = _build(cls, data)
        return built


def _build(cls: Any, data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise CalibrationError(f"must be an object, got {type(data).__name__}")
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise CalibrationError(f"unknown field (expected one of {names})", unknown[0])
    required = [
        f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING
    ]
    missing = [n for n in required if n not in data]
    if missing:
        raise CalibrationError("is missing", missing[0])
    return cls(**dict(data))
