"""Calibration data of a device: per-qubit coherence, readout and gate figures, per-coupler gates.

Stored as JSON with a versioned schema (``{"schema": "kvant.calibration", "version": 1, ...}``)
and validated on load; every error names the offending field (``qubits[3].t2_us``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.device._calibration_records import CouplerCalibration, QubitCalibration
from kvant.device._topology import Topology
from kvant.errors import CalibrationError, ConfigError, KvantIOError

__all__ = ["SCHEMA", "SCHEMA_VERSION", "Calibration"]

SCHEMA = "kvant.calibration"
SCHEMA_VERSION = 1
QUBIT_FIGURES = (
    "t1_us",
    "t2_us",
    "readout_error",
    "p_meas1_prep0",
    "p_meas0_prep1",
    "gate_error_1q",
    "gate_duration_1q_ns",
    "readout_duration_ns",
)
COUPLER_FIGURES = ("gate_error_2q", "gate_duration_2q_ns")


@dataclass(frozen=True, eq=False)
class Calibration:
    """Everything the noise model needs to know about a device.

    Attributes:
        topology: The coupling map.
        qubits: One :class:`QubitCalibration` per qubit.
        couplers: One :class:`CouplerCalibration` per coupler of the topology, in its order.
        source: Where the numbers come from (a file, a paper, a generator and its seed).
        date: When they were measured (ISO 8601), if known.
        notes: What a loader had to fill in or adjust (missing values, T2 clamped to 2 T1).

    Raises:
        CalibrationError: For a wrong number of qubits, a coupler between unknown or uncoupled
            qubits, or a coupler of the topology without calibration.

    >>> from kvant.device import load_device
    >>> cal = load_device("kvant-50")
    >>> cal.name, len(cal.qubits), len(cal.couplers)
    ('kvant-50', 50, 85)
    """

    topology: Topology
    qubits: tuple[QubitCalibration, ...]
    couplers: tuple[CouplerCalibration, ...]
    source: str = ""
    date: str = ""
    notes: tuple[str, ...] = ()
    _index: dict[tuple[int, int], int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.topology, Topology):
            raise CalibrationError(
                f"must be a Topology, got {type(self.topology).__name__}", "topology"
            )
        n = self.topology.num_qubits
        qubits = tuple(self.qubits)
        if len(qubits) != n:
            raise CalibrationError(
                f"has {len(qubits)} entries; the topology has {n} qubits", "qubits"
            )
        by_pair: dict[tuple[int, int], CouplerCalibration] = {}
        for index, coupler in enumerate(self.couplers):
            where = f"couplers[{index}].qubits"
            a, b = coupler.qubits
            if b >= n:
                raise CalibrationError(f"qubit {b} does not exist (the device has {n})", where)
            if not self.topology.are_coupled(a, b):
                raise CalibrationError(
                    f"qubits {a} and {b} are not coupled on {self.topology.name}", where
                )
            if (a, b) in by_pair:
                raise CalibrationError(f"coupler ({a}, {b}) is calibrated twice", where)
            by_pair[(a, b)] = coupler
        missing = [p for p in self.topology.couplers if p not in by_pair]
        if missing:
            raise CalibrationError(
                f"coupler {missing[0]} of the topology has no calibration", "couplers"
            )
        ordered = tuple(by_pair[p] for p in self.topology.couplers)
        object.__setattr__(self, "qubits", qubits)
        object.__setattr__(self, "couplers", ordered)
        object.__setattr__(self, "notes", tuple(str(x) for x in self.notes))
        self._index.update({p: i for i, p in enumerate(self.topology.couplers)})

    # lookups --------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The device name (its topology's)."""
        return self.topology.name

    @property
    def num_qubits(self) -> int:
        """Number of qubits."""
        return self.topology.num_qubits

    def qubit(self, qubit: int) -> QubitCalibration:
        """Calibration of ``qubit``."""
        if (
            isinstance(qubit, bool)
            or not isinstance(qubit, int | np.integer)
            or not 0 <= qubit < self.num_qubits
        ):
            raise ConfigError(f"qubit {qubit!r} is not on {self.name} (0..{self.num_qubits - 1})")
        return self.qubits[int(qubit)]

    def coupler(self, a: int, b: int) -> CouplerCalibration:
        """Calibration of the coupler between ``a`` and ``b`` (either order).

        Raises:
            ConfigError: If they are not coupled.
        """
        key = (min(int(a), int(b)), max(int(a), int(b)))
        if key not in self._index:
            raise ConfigError(f"qubits {a} and {b} are not coupled on {self.name}")
        return self.couplers[self._index[key]]

    def qubit_figure(self, figure: str) -> NDArray[np.float64]:
        """One number per qubit: any of ``t1_us, t2_us, readout_error, p_meas1_prep0,
        p_meas0_prep1, gate_error_1q, gate_duration_1q_ns, readout_duration_ns``."""
        if figure not in QUBIT_FIGURES:
            raise ConfigError(f"unknown qubit figure {figure!r}; use one of {QUBIT_FIGURES}")
        return np.array([getattr(q, figure) for q in self.qubits], dtype=np.float64)

    def coupler_figure(self, figure: str) -> NDArray[np.float64]:
        """One number per coupler (topology order): ``gate_error_2q`` or ``gate_duration_2q_ns``."""
        if figure not in COUPLER_FIGURES:
            raise ConfigError(f"unknown coupler figure {figure!r}; use one of {COUPLER_FIGURES}")
        return np.array([getattr(c, figure) for c in self.couplers], dtype=np.float64)

    def medians(self) -> dict[str, float]:
        """Median of every qubit and coupler figure.

        >>> from kvant.device import load_device
        >>> round(load_device("kvant-50").medians()["gate_error_2q"], 4)
        0.0031
        """
        out = {f: float(np.median(self.qubit_figure(f))) for f in QUBIT_FIGURES}
        if self.couplers:
            out.update({f: float(np.median(self.coupler_figure(f))) for f in COUPLER_FIGURES})
        return out

    def worst_qubits(self, figure: str, count: int = 3) -> tuple[int, ...]:
        """The ``count`` worst qubits by ``figure`` (lowest T1/T2, highest errors)."""
        values = self.qubit_figure(figure)
        order = np.argsort(values if figure.startswith("t") else -values, kind="stable")
        return tuple(int(q) for q in order[:count])

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in the versioned schema.

        >>> from kvant.device import load_device
        >>> cal = load_device("line-3")
        >>> type(cal).from_dict(cal.to_dict()) == cal
        True
        """
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "name": self.topology.name,
            "num_qubits": self.num_qubits,
            "positions": [list(p) for p in self.topology.positions],
            "source": self.source,
            "date": self.date,
            "notes": list(self.notes),
            "qubits": [q.to_dict() for q in self.qubits],
            "couplers": [c.to_dict() for c in self.couplers],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """Validate and load :meth:`to_dict` data.

        Raises:
            CalibrationError: Naming the offending field (``qubits[3].t2_us``, ``version``...).
        """
        if not isinstance(data, Mapping):
            raise CalibrationError(
                f"a calibration must be a JSON object, got {type(data).__name__}"
            )
        if data.get("schema") != SCHEMA:
            raise CalibrationError(f"must be {SCHEMA!r}, got {data.get('schema')!r}", "schema")
        if data.get("version") != SCHEMA_VERSION:
            raise CalibrationError(
                f"version {data.get('version')!r} is not supported "
                f"(this Kvant reads {SCHEMA_VERSION})",
                "version",
            )
        for key in ("name", "num_qubits", "qubits", "couplers"):
            if key not in data:
                raise CalibrationError("is missing", key)
        qubits = []
        for index, item in enumerate(_list(data["qubits"], "qubits")):
            qubits.append(_at(f"qubits[{index}]", QubitCalibration.from_dict, item))
        couplers = []
        for index, item in enumerate(_list(data["couplers"], "couplers")):
            couplers.append(_at(f"couplers[{index}]", CouplerCalibration.from_dict, item))
        num_qubits = data["num_qubits"]
        if isinstance(num_qubits, bool) or not isinstance(num_qubits, int) or num_qubits < 1:
            raise CalibrationError(f"must be a positive integer, got {num_qubits!r}", "num_qubits")
        for index, c in enumerate(couplers):
            if max(c.qubits) >= num_qubits:
                raise CalibrationError(
                    f"qubit {max(c.qubits)} does not exist (the device has {num_qubits})",
                    f"couplers[{index}].qubits",
                )
        try:
            topology = Topology(
                str(data["name"]),
                num_qubits,
                tuple(c.qubits for c in couplers),
                tuple((float(x), float(y)) for x, y in data.get("positions") or ()),
            )
        except ConfigError as exc:
            raise CalibrationError(str(exc), "positions") from exc
        notes = data.get("notes") or ()
        return cls(
            topology,
            tuple(qubits),
            tuple(couplers),
            str(data.get("source", "")),
            str(data.get("date", "")),
            tuple(str(n) for n in notes),
        )

    def to_json(self) -> str:
        """The calibration as JSON text (the versioned schema)."""
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Validate and load JSON text.

        Raises:
            CalibrationError: For text that is not JSON or not a valid calibration.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CalibrationError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from exc
        return cls.from_dict(data)

    def save(self, path: str | Path) -> Path:
        """Write the calibration as JSON; returns the path.

        Raises:
            KvantIOError: If the file cannot be written.
        """
        target = Path(path)
        try:
            target.write_text(self.to_json() + "\n")
        except OSError as exc:
            raise KvantIOError(f"cannot write {target}: {exc.strerror}") from exc
        return target

    @classmethod
    def load(cls, path: str | Path) -> Calibration:
        """Read and validate a calibration JSON file.

        Raises:
            KvantIOError: If the file cannot be read.
            CalibrationError: If it is not a valid calibration.
        """
        source = Path(path)
        try:
            text = source.read_text()
        except OSError as exc:
            raise KvantIOError(f"cannot read {source}: {exc.strerror}") from exc
        return cls.from_json(text)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calibration):
            return NotImplemented
        return (
            self.topology == other.topology
            and self.qubits == other.qubits
            and self.couplers == other.couplers
            and (self.source, self.date, self.notes) == (other.source, other.date, other.notes)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Calibration(name={self.name!r}, num_qubits={self.num_qubits}, "
            f"couplers={len(self.couplers)}, source={self.source!r})"
        )


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise CalibrationError(f"must be a list, got {type(value).__name__}", name)
    return value


def _at(prefix: str, build: Any, item: object) -> Any:
    try:
        return build(item)
    except CalibrationError as exc:
        where = f"{prefix}.{exc.field}" if exc.field else prefix
        raise CalibrationError(exc.bare_message, where) from None
