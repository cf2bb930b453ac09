"""Raw counts of characterisation experiments, and their analysis into a datasheet.

This is the format ``kvant bench analyse COUNTS.json`` reads (documented in docs/bench.md,
example in tests/data/bench/)::

    {"schema": "kvant.bench.counts/1",
     "device": {"name": "lab-3q", "num_qubits": 3, "couplers": [[0, 1], [1, 2]]},
     "experiments": [{"kind": "t1", "qubits": [0], "delays_us": [...],
                      "counts": [{"0": 12, "1": 988}, ...]}, ...]}

Kinds and their fields (counts are ``{bitstring: shots}``, classical bit 0 rightmost, bit i
measuring ``qubits[i]``):

* ``t1``, ``t2_echo``: ``delays_us``, ``counts`` (one per delay).
* ``t2_ramsey``: the same and ``detuning_mhz``.
* ``readout``: ``counts_prep0``, ``counts_prep1``.
* ``rb_1q``, ``rb_2q``: ``lengths``, ``counts[length][sequence]``; optional
  ``gates_per_clifford`` (1q).
* ``irb``: ``gate`` (``"cz"``), ``lengths``, ``counts``; the ``rb_2q`` record of the same qubits
  is its reference.
* ``qv``: ``width``, ``counts[circuit]``, ``heavy_outputs[circuit]``, optional
  ``ideal_heavy_probability[circuit]``.
* ``xeb``: ``cycles``, ``counts[depth][circuit]``, ``ideal_probabilities[depth][circuit]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kvant.bench._coherence import analyse_t1, analyse_t2_echo, analyse_t2_ramsey
from kvant.bench._datasheet import Datasheet, DeviceInfo
from kvant.bench._qv import QVWidthResult, analyse_qv_width, quantum_volume
from kvant.bench._rb import RBResult, analyse_interleaved_rb, analyse_rb, survival_from_counts
from kvant.bench._readout import analyse_readout
from kvant.bench._results import Metric
from kvant.bench._xeb import analyse_xeb
from kvant.errors import AnalysisError, KvantIOError

__all__ = ["COUNTS_SCHEMA", "KINDS", "ExperimentData", "analyse_counts", "load_counts"]

COUNTS_SCHEMA = "kvant.bench.counts/1"
KINDS = ("readout", "t1", "t2_ramsey", "t2_echo", "rb_1q", "rb_2q", "irb", "qv", "xeb")


@dataclass(frozen=True)
class ExperimentData:
    """The counts of one experiment on one qubit, coupler or set of qubits.

    Attributes:
        kind: One of :data:`KINDS`.
        qubits: Device qubits (bit i of every bitstring measures ``qubits[i]``).
        fields: The kind's other fields (see the module docstring).

    >>> d = ExperimentData("t1", (0,), {"delays_us": [0, 10], "counts": [{"1": 9}, {"1": 5}]})
    >>> ExperimentData.from_dict(d.to_dict()) == d
    True
    """

    kind: str
    qubits: tuple[int, ...]
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise AnalysisError(f"unknown experiment kind {self.kind!r}; use one of {KINDS}")
        try:
            qubits = tuple(int(q) for q in self.qubits)
        except (TypeError, ValueError):
            raise AnalysisError(
                f"{self.kind}: qubits must be integers, got {self.qubits!r}"
            ) from None
        if not qubits or len(set(qubits)) != len(qubits) or min(qubits) < 0:
            raise AnalysisError(
                f"{self.kind}: qubits must be distinct and >= 0, got {list(qubits)}"
            )
        object.__setattr__(self, "qubits", qubits)

    def need(self, name: str) -> Any:
        """A required field.

        Raises:
            AnalysisError: Naming the experiment and the missing field.
        """
        if name not in self.fields:
            raise AnalysisError(f"{self.kind} on qubits {list(self.qubits)}: missing {name!r}")
        return self.fields[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"kind", "qubits", **fields}``."""
        return {"kind": self.kind, "qubits": list(self.qubits), **dict(self.fields)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExperimentData:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            AnalysisError: For a missing kind or qubits.
        """
        if not isinstance(data, Mapping) or "kind" not in data or "qubits" not in data:
            raise AnalysisError("each experiment needs 'kind' and 'qubits'")
        rest = {k: v for k, v in data.items() if k not in ("kind", "qubits")}
        qubits = data["qubits"]
        if not isinstance(qubits, list | tuple):
            raise AnalysisError(f"{data['kind']}: qubits must be a list, got {qubits!r}")
        return cls(str(data["kind"]), tuple(qubits), rest)


def _ones(counts: Any, data: ExperimentData) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(counts, list) or not all(isinstance(c, Mapping) for c in counts):
        raise AnalysisError(
            f"{data.kind} on qubit {data.qubits[0]}: counts must be a list of "
            "{bitstring: shots} objects"
        )
    try:
        ones = np.array([float(c.get("1", 0)) for c in counts])
        shots = np.array([float(sum(c.values())) for c in counts])
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{data.kind} on qubit {data.qubits[0]}: bad counts ({exc})") from None
    return ones, shots


def _coherence(data: ExperimentData) -> list[Metric]:
    ones, shots = _ones(data.need("counts"), data)
    delays = data.need("delays_us")
    q = data.qubits[0]
    if data.kind == "t1":
        return [analyse_t1(delays, ones, shots, qubit=q)]
    if data.kind == "t2_echo":
        return [analyse_t2_echo(delays, ones, shots, qubit=q)]
    detuning = data.need("detuning_mhz")
    if isinstance(detuning, bool) or not isinstance(detuning, int | float):
        raise AnalysisError(f"t2_ramsey on qubit {q}: detuning_mhz must be a number")
    return [analyse_t2_ramsey(delays, ones, shots, detuning_mhz=float(detuning), qubit=q)]


def _readout(data: ExperimentData) -> list[Metric]:
    c0, c1 = data.need("counts_prep0"), data.need("counts_prep1")
    if not isinstance(c0, Mapping) or not isinstance(c1, Mapping):
        raise AnalysisError(f"readout on qubit {data.qubits[0]}: counts must be objects")
    return analyse_readout(
        c0.get("1", 0), sum(c0.values()), c1.get("0", 0), sum(c1.values()), qubit=data.qubits[0]
    )


def _rb(data: ExperimentData) -> RBResult:
    n = len(data.qubits)
    what = f"{data.kind} on qubits {list(data.qubits)}"
    survived, shots = survival_from_counts(data.need("counts"), n, what=what)
    gpc = data.fields.get("gates_per_clifford")
    return analyse_rb(
        data.need("lengths"),
        survived,
        shots,
        num_qubits=n,
        qubits=data.qubits,
        gates_per_clifford=None if gpc is None else float(gpc),
    )


def _qv(data: ExperimentData) -> QVWidthResult:
    width = data.need("width")
    if isinstance(width, bool) or not isinstance(width, int):
        raise AnalysisError(f"qv: width must be an integer, got {width!r}")
    return analyse_qv_width(
        width,
        data.need("counts"),
        data.need("heavy_outputs"),
        ideal=[float(v) for v in data.fields.get("ideal_heavy_probability", ())],
    )


def analyse_counts(
    experiments: Sequence[ExperimentData],
    device: DeviceInfo | None = None,
    *,
    source: str = "",
    created: str = "",
    progress: Callable[[str], None] | None = None,
) -> Datasheet:
    """Run every analysis on the experiments' counts and collect a datasheet.

    Args:
        experiments: The records (any subset of kinds, any qubits).
        device: The device (default: qubits seen, no couplers drawn).
        source: Where the counts came from.
        created: Timestamp to record.
        progress: Called with each record's kind before it is analysed.

    Returns:
        The datasheet. A fit that fails is kept with ``quality = "bad-fit"``.

    Raises:
        AnalysisError: For a record that cannot be analysed at all (missing field, NaN,
            too few points), naming the experiment and its qubits.

    >>> import numpy as np
    >>> t = np.linspace(0, 600, 20)
    >>> counts = [{"0": int(1e4 - k), "1": int(k)} for k in np.round(1e4 * np.exp(-t / 90))]
    >>> record = ExperimentData("t1", (0,), {"delays_us": list(t), "counts": counts})
    >>> sheet = analyse_counts([record])
    >>> round(sheet.get("t1_us", (0,)).value)
    90
    """
    metrics: list[Metric] = []
    qv: list[QVWidthResult] = []
    references: dict[tuple[int, ...], RBResult] = {}
    interleaved: list[tuple[ExperimentData, RBResult]] = []
    for data in experiments:
        if not isinstance(data, ExperimentData):
            raise AnalysisError(f"expected ExperimentData, got {type(data).__name__}")
        if progress is not None:
            progress(data.kind)
        if data.kind in ("t1", "t2_echo", "t2_ramsey"):
            metrics += _coherence(data)
        elif data.kind == "readout":
            metrics += _readout(data)
        elif data.kind in ("rb_1q", "rb_2q"):
            result = _rb(data)
            metrics += result.metrics()
            if data.kind == "rb_2q":
                references[tuple(sorted(data.qubits))] = result
        elif data.kind == "irb":
            interleaved.append((data, _rb(data)))
        elif data.kind == "qv":
            qv.append(_qv(data))
        else:
            cycles = data.need("cycles")
            metric, _ = analyse_xeb(
                cycles, data.need("counts"), data.need("ideal_probabilities"), qubits=data.qubits
            )
            metrics.append(metric)
    for data, result in interleaved:
        key = tuple(sorted(data.qubits))
        if key not in references:
            raise AnalysisError(
                f"irb on qubits {list(data.qubits)} needs an rb_2q record of the same qubits "
                "as its reference"
            )
        gate = str(data.fields.get("gate", "cz"))
        metrics.append(analyse_interleaved_rb(references[key], result, gate=gate, qubits=key))
    if qv:
        metrics.append(quantum_volume(qv))
    if device is None:
        seen = {q for d in experiments for q in d.qubits}
        device = DeviceInfo("device", max(seen, default=0) + 1)
    return Datasheet(
        device, tuple(metrics), tuple(sorted(qv, key=lambda r: r.width)), source, created
    )


def load_counts(path: str | Path) -> tuple[DeviceInfo, list[ExperimentData]]:
    """Read a counts file (``kvant.bench.counts/1``).

    Raises:
        KvantIOError: If it cannot be read.
        AnalysisError: If it is not JSON or not in the format.
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
    return parse_counts(data)


def parse_counts(data: Any) -> tuple[DeviceInfo, list[ExperimentData]]:
    """Validate counts data (the parsed JSON of a counts file).

    Raises:
        AnalysisError: For another schema or a malformed record.
    """
    if not isinstance(data, Mapping) or data.get("schema") != COUNTS_SCHEMA:
        got = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
        raise AnalysisError(f'a counts file must have "schema": {COUNTS_SCHEMA!r}, got {got!r}')
    experiments = data.get("experiments")
    if not isinstance(experiments, list) or not experiments:
        raise AnalysisError("a counts file needs a non-empty 'experiments' list")
    records = []
    for index, item in enumerate(experiments):
        try:
            records.append(ExperimentData.from_dict(item))
        except AnalysisError as exc:
            raise AnalysisError(f"experiments[{index}]: {exc}") from None
    raw = data.get("device")
    if raw is None:
        seen = {q for d in records for q in d.qubits}
        device = DeviceInfo("device", max(seen) + 1)
    else:
        device = DeviceInfo.from_dict(raw)
    return device, records


def counts_document(device: DeviceInfo, experiments: Sequence[ExperimentData]) -> dict[str, Any]:
    """The JSON document of a counts file."""
    return {
        "schema": COUNTS_SCHEMA,
        "device": device.to_dict(),
        "experiments": [e.to_dict() for e in experiments],
    }
