"""The datasheet: every measured metric of a device, with uncertainties, in a versioned schema.

JSON layout (``"schema": "kvant.datasheet/1"``)::

    {"schema": "kvant.datasheet/1", "device": {"name", "num_qubits", "couplers", "positions"},
     "source": "...", "created": "ISO 8601", "metrics": [Metric.to_dict(), ...],
     "qv": [QVWidthResult.to_dict(), ...], "injected": {"t1_us": [[[q], value], ...], ...},
     "timings_s": {"t1": 1.2, ...}}

Each metric has ``name, value, stderr, unit, method, qubits, quality, reason`` and, where it
came from a fit, the ``fit`` (model, parameters, standard errors, data) for plots.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.bench._qv import QVWidthResult
from kvant.bench._results import Metric
from kvant.errors import AnalysisError, KvantIOError

__all__ = ["DATASHEET_SCHEMA", "Datasheet", "DeviceInfo"]

DATASHEET_SCHEMA = "kvant.datasheet/1"

#: Metrics summarised in the datasheet's table, in order, with a label.
SUMMARY_METRICS: tuple[tuple[str, str], ...] = (
    ("t1_us", "T1"),
    ("t2_star_us", "T2* (Ramsey)"),
    ("t2_us", "T2 (Hahn echo)"),
    ("readout_error", "readout error"),
    ("assignment_fidelity", "assignment fidelity"),
    ("epc_1q", "1q error per Clifford"),
    ("epg_1q", "1q error per gate"),
    ("epc_2q", "2q error per Clifford"),
    ("error_cz", "CZ error (interleaved RB)"),
    ("xeb_fidelity_per_cycle", "XEB fidelity per cycle"),
    ("quantum_volume", "quantum volume"),
)


@dataclass(frozen=True)
class DeviceInfo:
    """What the datasheet needs to draw the device.

    Attributes:
        name: Device name.
        num_qubits: Qubits.
        couplers: Coupled pairs.
        positions: Where to draw each qubit (may be empty).
    """

    name: str
    num_qubits: int
    couplers: tuple[tuple[int, int], ...] = ()
    positions: tuple[tuple[float, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "name": self.name,
            "num_qubits": self.num_qubits,
            "couplers": [list(c) for c in self.couplers],
            "positions": [list(p) for p in self.positions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceInfo:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            AnalysisError: For a missing or malformed field.
        """
        try:
            return cls(
                str(data["name"]),
                int(data["num_qubits"]),
                tuple((int(a), int(b)) for a, b in data.get("couplers", ())),
                tuple((float(x), float(y)) for x, y in data.get("positions", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise AnalysisError(f"device: cannot read it ({exc!r})") from exc


@dataclass(frozen=True, eq=False)
class Datasheet:
    """Measured metrics of one device.

    Attributes:
        device: Name, qubits, couplers, drawing positions.
        metrics: Every metric (per qubit, per coupler, device-wide).
        qv: The quantum-volume test at each width tried.
        source: Where the data came from (emulated device and seed, or a counts file).
        created: When the datasheet was made (ISO 8601).
        injected: For an emulated device, the values its noise model injects, by metric name:
            ``[(qubits, value), ...]``, for comparison.
        timings_s: Wall time of each experiment.

    >>> sheet = Datasheet(DeviceInfo("toy", 1), (Metric("t1_us", 100.0, 2.0, "us", "fit", (0,)),))
    >>> Datasheet.from_dict(sheet.to_dict()) == sheet
    True
    >>> sheet.summary()["t1_us"]["median"]
    100.0
    """

    device: DeviceInfo
    metrics: tuple[Metric, ...]
    qv: tuple[QVWidthResult, ...] = ()
    source: str = ""
    created: str = ""
    injected: Mapping[str, Sequence[tuple[tuple[int, ...], float]]] = field(default_factory=dict)
    timings_s: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", tuple(self.metrics))
        object.__setattr__(self, "qv", tuple(self.qv))

    # lookups --------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """Metric names present, in first-seen order."""
        return list(dict.fromkeys(m.name for m in self.metrics))

    def find(self, name: str) -> list[Metric]:
        """All metrics called ``name``."""
        return [m for m in self.metrics if m.name == name]

    def get(self, name: str, qubits: Sequence[int] = ()) -> Metric:
        """The metric ``name`` of ``qubits``.

        Raises:
            AnalysisError: If there is none.
        """
        key = tuple(int(q) for q in qubits)
        for m in self.metrics:
            if m.name == name and m.qubits == key:
                return m
        raise AnalysisError(f"the datasheet has no {name!r} for qubits {list(key)}")

    def qubit_values(self, name: str) -> NDArray[np.float64]:
        """One value per qubit (NaN where not measured) of a per-qubit metric."""
        out = np.full(self.device.num_qubits, np.nan)
        for m in self.find(name):
            if len(m.qubits) == 1 and 0 <= m.qubits[0] < out.size:
                out[m.qubits[0]] = m.value
        return out

    def coupler_values(self, name: str) -> NDArray[np.float64]:
        """One value per coupler (device order; NaN where not measured)."""
        index = {tuple(sorted(c)): i for i, c in enumerate(self.device.couplers)}
        out = np.full(len(self.device.couplers), np.nan)
        for m in self.find(name):
            key = tuple(sorted(m.qubits))
            if key in index:
                out[index[key]] = m.value
        return out

    def summary(self) -> dict[str, dict[str, Any]]:
        """Median, spread and counts of each metric: ``{name: {median, p16, p84, min, max,
        count, good, unit, label}}`` (``good``: how many fits are trusted). Medians use the
        trusted values only, when there are any."""
        labels = dict(SUMMARY_METRICS)
        out: dict[str, dict[str, Any]] = {}
        for name in self.names():
            items = self.find(name)
            good = [m.value for m in items if m.good and math.isfinite(m.value)]
            values = good or [m.value for m in items if math.isfinite(m.value)]
            if not values:
                continue
            arr = np.array(values)
            out[name] = {
                "label": labels.get(name, name),
                "unit": items[0].unit,
                "median": float(np.median(arr)),
                "p16": float(np.percentile(arr, 16)),
                "p84": float(np.percentile(arr, 84)),
                "min": float(arr.min()),
                "max": float(arr.max()),
                "count": len(items),
                "good": len(good),
            }
        return out

    def compare_injected(self, name: str) -> list[tuple[tuple[int, ...], float, float, float]]:
        """``(qubits, measured, stderr, injected)`` for each metric with an injected value."""
        injected = {tuple(q): v for q, v in self.injected.get(name, ())}
        out = []
        for m in self.find(name):
            if m.qubits in injected:
                out.append((m.qubits, m.value, m.stderr, injected[m.qubits]))
        return out

    # plain data -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data in the versioned schema."""
        return {
            "schema": DATASHEET_SCHEMA,
            "device": self.device.to_dict(),
            "source": self.source,
            "created": self.created,
            "summary": self.summary(),
            "metrics": [m.to_dict() for m in self.metrics],
            "qv": [r.to_dict() for r in self.qv],
            "injected": {
                k: [[list(q), float(v)] for q, v in items] for k, items in self.injected.items()
            },
            "timings_s": {k: float(v) for k, v in self.timings_s.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Datasheet:
        """Validate and load :meth:`to_dict` data.

        Raises:
            AnalysisError: For another schema or version, or a malformed field.
        """
        if not isinstance(data, Mapping):
            raise AnalysisError(f"a datasheet must be a JSON object, got {type(data).__name__}")
        if data.get("schema") != DATASHEET_SCHEMA:
            raise AnalysisError(f"schema must be {DATASHEET_SCHEMA!r}, got {data.get('schema')!r}")
        try:
            return cls(
                DeviceInfo.from_dict(data["device"]),
                tuple(Metric.from_dict(m) for m in data.get("metrics", ())),
                tuple(QVWidthResult.from_dict(r) for r in data.get("qv", ())),
                str(data.get("source", "")),
                str(data.get("created", "")),
                {
                    str(k): [(tuple(int(q) for q in qs), float(v)) for qs, v in items]
                    for k, items in dict(data.get("injected", {})).items()
                },
                {str(k): float(v) for k, v in dict(data.get("timings_s", {})).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, AnalysisError):
                raise
            raise AnalysisError(f"cannot read a datasheet from this data: {exc!r}") from exc

    def save(self, path: str | Path) -> Path:
        """Write ``datasheet.json``-style JSON; returns the path.

        Raises:
            KvantIOError: If the file cannot be written.
        """
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        except OSError as exc:
            raise KvantIOError(f"cannot write {target}: {exc.strerror}") from exc
        return target

    @classmethod
    def load(cls, path: str | Path) -> Datasheet:
        """Read a datasheet JSON file.

        Raises:
            KvantIOError: If it cannot be read.
            AnalysisError: If it is not a datasheet.
        """
        source = Path(path)
        try:
            text = source.read_text()
        except OSError as exc:
            raise KvantIOError(f"cannot read {source}: {exc.strerror}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AnalysisError(f"{source} is not JSON: {exc.msg} (line {exc.lineno})") from exc
        return cls.from_dict(data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Datasheet):
            return NotImplemented
        a, b = self.to_dict(), other.to_dict()
        from kvant.bench._results import _same

        return _same(a, b)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Datasheet(device={self.device.name!r}, metrics={len(self.metrics)}, "
            f"qv_widths={[r.width for r in self.qv]}, source={self.source!r})"
        )
