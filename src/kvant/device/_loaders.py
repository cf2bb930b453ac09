"""Loaders for calibration files users already have: Qiskit backend properties and Cirq.

* Qiskit ``BackendProperties`` JSON (the ``props_*.json`` files of ``qiskit-ibm-runtime``'s fake
  backends, or ``backend.properties().to_dict()`` saved as JSON): per-qubit ``T1``, ``T2``,
  ``prob_meas1_prep0``, ``prob_meas0_prep1``, ``readout_length``; per-gate ``gate_error`` and
  ``gate_length``. The 1-qubit figures come from ``sx`` (else ``x``, ``id``), the 2-qubit ones
  from ``cz`` (else ``ecr``, ``cx``), averaged over the two directions of a coupler; IBM's
  ``gate_error`` is an average gate infidelity from randomized benchmarking, as Kvant's.
  A coupler whose gate error is 1 (IBM's mark of a gate out of service) is left out.
* Cirq's ``Calibration`` JSON (e.g. ``willow_pink_d7v1-2024_08_16_calibration.json`` shipped
  with ``cirq-google``): Pauli errors are converted to average gate infidelities with
  ``r = e_pauli * d / (d + 1)`` (Nielsen 2002; Cirq's ``noise_utils``), T2 is built from T1 and
  the RB incoherent error as in ``cirq_google.noise_properties_from_calibration``.

Values a file lacks are filled with the median of the other qubits, and T2 above 2 T1 (a
fitting artefact, found on a few IBM qubits) is lowered to 2 T1 as Qiskit Aer's
``NoiseModel.from_backend`` does; each such change is recorded in ``Calibration.notes``.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kvant.device._calibration import SCHEMA, Calibration
from kvant.device._calibration_records import CouplerCalibration, QubitCalibration
from kvant.device._topology import Topology
from kvant.errors import CalibrationError, KvantIOError

__all__ = ["from_cirq_calibration", "from_qiskit_properties", "load_calibration_file"]

_TIME_TO_US = {"s": 1e6, "ms": 1e3, "us": 1.0, "µs": 1.0, "ns": 1e-3}
_TIME_TO_NS = {"s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3, "ns": 1.0, "": 1.0}
_ONE_QUBIT_GATES = ("sx", "x", "id")
_TWO_QUBIT_GATES = ("cz", "ecr", "cx")
_CIRQ_2Q_METRICS = (
    "two_qubit_parallel_cz_gate_xeb_pauli_error_per_cycle",
    "two_qubit_parallel_sqrt_iswap_gate_xeb_pauli_error_per_cycle",
    "two_qubit_parallel_sycamore_gate_xeb_pauli_error_per_cycle",
    "two_qubit_sqrt_iswap_gate_xeb_pauli_error_per_cycle",
    "two_qubit_sycamore_gate_xeb_pauli_error_per_cycle",
)


def _read(source: str | Path | Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    if isinstance(source, Mapping):
        return source, "data"
    path = Path(source)
    try:
        text = path.read_text()
    except OSError as exc:
        raise KvantIOError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CalibrationError(
            f"{path.name} is not valid JSON: {exc.msg} (line {exc.lineno})"
        ) from exc
    if not isinstance(data, Mapping):
        raise CalibrationError(f"{path.name} must hold a JSON object, got {type(data).__name__}")
    return data, path.name


def load_calibration_file(path: str | Path) -> Calibration:
    """Read a calibration file in any supported format, recognised by its content.

    Raises:
        KvantIOError: If the file cannot be read.
        CalibrationError: If it is not JSON or not a calibration Kvant can read.
    """
    data, label = _read(path)
    if data.get("schema") == SCHEMA:
        return Calibration.from_dict(data)
    if "backend_name" in data and "qubits" in data and "gates" in data:
        return from_qiskit_properties(data, label=label)
    if "metrics" in data:
        return from_cirq_calibration(data, label=label)
    raise CalibrationError(
        f"{label} is neither a Kvant calibration (schema {SCHEMA!r}), Qiskit backend properties "
        "(backend_name, qubits, gates) nor a Cirq calibration (metrics)"
    )


def _value(item: Mapping[str, Any], where: str) -> tuple[float, str]:
    try:
        return float(item["value"]), str(item.get("unit", ""))
    except (KeyError, TypeError, ValueError):
        raise CalibrationError(f"needs a numeric 'value', got {item!r}", where) from None


def _fill(values: list[float | None], what: str, notes: list[str]) -> list[float]:
    known = [v for v in values if v is not None]
    if not known:
        raise CalibrationError(f"no qubit has a value for {what}")
    median = statistics.median(known)
    out = []
    for q, v in enumerate(values):
        if v is None:
            notes.append(f"qubit {q}: no {what} in the file; used the median {median:.6g}")
            out.append(median)
        else:
            out.append(v)
    return out


def from_qiskit_properties(
    source: str | Path | Mapping[str, Any], *, label: str | None = None
) -> Calibration:
    """Load Qiskit backend properties JSON (``props_*.json``) as a calibration.

    Args:
        source: A path or the parsed JSON object.
        label: Name of the source for messages (default: the file name).

    Returns:
        The calibration, named after ``backend_name``; ``notes`` lists filled or clamped values.

    Raises:
        CalibrationError: For a file without qubits or gates, or malformed entries (naming them).

    >>> from pathlib import Path
    >>> cal = from_qiskit_properties(Path("tests/data/device/props_lima.json"))
    >>> cal.name, cal.num_qubits, len(cal.couplers)
    ('ibmq_lima', 5, 4)
    """
    data, name = _read(source)
    name = label or name
    qubit_rows = data.get("qubits")
    gate_rows = data.get("gates")
    if not isinstance(qubit_rows, list) or not qubit_rows:
        raise CalibrationError(f"{name}: needs a non-empty list", "qubits")
    if not isinstance(gate_rows, list):
        raise CalibrationError(f"{name}: needs a list", "gates")
    n = len(qubit_rows)
    notes: list[str] = []
    fields: dict[str, list[float | None]] = {
        k: [None] * n
        for k in (
            "T1",
            "T2",
            "prob_meas1_prep0",
            "prob_meas0_prep1",
            "readout_error",
            "readout_length",
        )
    }
    for q, row in enumerate(qubit_rows):
        if not isinstance(row, list):
            raise CalibrationError("must be a list of {name, value, unit}", f"qubits[{q}]")
        for item in row:
            key = item.get("name") if isinstance(item, Mapping) else None
            if key not in fields:
                continue
            value, unit = _value(item, f"qubits[{q}].{key}")
            if key in ("T1", "T2"):
                if unit not in _TIME_TO_US:
                    raise CalibrationError(f"unknown time unit {unit!r}", f"qubits[{q}].{key}")
                value *= _TIME_TO_US[unit]
            elif key == "readout_length":
                value *= _TIME_TO_NS.get(unit, 1.0)
            fields[key][q] = value
    one_q: dict[int, tuple[float, float]] = {}
    two_q: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for rank in reversed(range(len(_ONE_QUBIT_GATES))):  # best-ranked gate written last
        for g in gate_rows:
            if isinstance(g, Mapping) and g.get("gate") == _ONE_QUBIT_GATES[rank]:
                one_q[int(g["qubits"][0])] = _gate_figures(g)
    for gate in _TWO_QUBIT_GATES:
        rows = [g for g in gate_rows if isinstance(g, Mapping) and g.get("gate") == gate]
        for g in rows:
            a, b = (int(x) for x in g["qubits"])
            two_q.setdefault((min(a, b), max(a, b)), []).append(_gate_figures(g))
        if rows:
            if gate != "cz":
                notes.append(
                    f"native 2-qubit gate of the file is {gate!r}; its error is used for cz"
                )
            break
    t1 = _fill(fields["T1"], "T1", notes)
    t2 = _fill(fields["T2"], "T2", notes)
    p10 = [
        a if a is not None else b
        for a, b in zip(fields["prob_meas1_prep0"], fields["readout_error"], strict=True)
    ]
    p01 = [
        a if a is not None else b
        for a, b in zip(fields["prob_meas0_prep1"], fields["readout_error"], strict=True)
    ]
    p10f, p01f = _fill(p10, "prob_meas1_prep0", notes), _fill(p01, "prob_meas0_prep1", notes)
    length = _fill([fields["readout_length"][q] or None for q in range(n)], "readout_length", notes)
    err1 = _fill(
        [one_q[q][0] if q in one_q else None for q in range(n)], "1-qubit gate_error", notes
    )
    dur1 = _fill(
        [one_q[q][1] if q in one_q else None for q in range(n)], "1-qubit gate_length", notes
    )
    qubits = []
    for q in range(n):
        if t2[q] > 2 * t1[q]:
            notes.append(
                f"qubit {q}: T2 {t2[q]:.6g} us > 2 T1; lowered to 2 T1 = {2 * t1[q]:.6g} us"
            )
            t2[q] = 2 * t1[q]
        qubits.append(_qubit(q, t1[q], t2[q], p10f[q], p01f[q], err1[q], dur1[q], length[q]))
    couplers = []
    for pair, figures in sorted(two_q.items()):
        error = statistics.fmean(f[0] for f in figures)
        if error >= 0.8:
            notes.append(f"coupler {pair}: gate error {error:g} marks it out of service; left out")
            continue
        couplers.append(CouplerCalibration(pair, error, statistics.fmean(f[1] for f in figures)))
    topology = Topology(
        str(data.get("backend_name", "qiskit-device")), n, tuple(c.qubits for c in couplers)
    )
    backend = f"{data.get('backend_name', '?')} {data.get('backend_version', '')}".strip()
    source_text = f"Qiskit backend properties {backend} ({name})"
    return Calibration(
        topology,
        tuple(qubits),
        tuple(couplers),
        source_text.replace("  ", " "),
        str(data.get("last_update_date", "")),
        tuple(notes),
    )


def _gate_figures(gate: Mapping[str, Any]) -> tuple[float, float]:
    error = length = None
    for item in gate.get("parameters", []):
        if item.get("name") == "gate_error":
            error = _value(item, f"gates[{gate.get('name')}].gate_error")[0]
        elif item.get("name") == "gate_length":
            value, unit = _value(item, f"gates[{gate.get('name')}].gate_length")
            length = value * _TIME_TO_NS.get(unit, 1.0)
    if error is None or length is None:
        raise CalibrationError("needs gate_error and gate_length", f"gates[{gate.get('name')}]")
    return error, length


def _qubit(q: int, *values: float) -> QubitCalibration:
    try:
        return QubitCalibration(*values)
    except CalibrationError as exc:
        raise CalibrationError(exc.bare_message, f"qubits[{q}].{exc.field}") from None


_GRID_NAME = re.compile(r"^q?\(?\s*(-?\d+)\s*[_,]\s*(-?\d+)\s*\)?$")


def _grid(target: str) -> tuple[int, int]:
    match = _GRID_NAME.match(str(target).strip())
    if match is None:
        raise CalibrationError(
            f"qubit name {target!r} is not a grid qubit 'row_col'", "metrics.targets"
        )
    return int(match.group(1)), int(match.group(2))


def from_cirq_calibration(
    source: str | Path | Mapping[str, Any],
    *,
    label: str | None = None,
    gate_duration_1q_ns: float = 25.0,
    gate_duration_2q_ns: float = 32.0,
    readout_duration_ns: float = 4000.0,
) -> Calibration:
    """Load a Cirq calibration JSON (``cirq_google`` ``Calibration`` / ``MetricsSnapshot``).

    Args:
        source: A path or the parsed JSON object.
        label: Name of the source for messages.
        gate_duration_1q_ns: 1-qubit gate duration (the file has none; Cirq's default 25 ns).
        gate_duration_2q_ns: 2-qubit gate duration (Cirq's default for CZ, 32 ns).
        readout_duration_ns: Measurement duration (Cirq's default, 4000 ns).

    Returns:
        The calibration; grid qubit ``r_c`` becomes qubit number i in row-major order of the
        qubits present, drawn at ``(c, -r)``.

    Raises:
        CalibrationError: For a file without the needed metrics (naming them).
    """
    data, name = _read(source)
    name = label or name
    metrics = data.get("metrics")
    if isinstance(metrics, Mapping):
        metrics = metrics.get("metrics")
    if not isinstance(metrics, list):
        raise CalibrationError(f"{name}: needs a list of metrics", "metrics")
    table: dict[str, dict[tuple[tuple[int, int], ...], float]] = {}
    for index, m in enumerate(metrics):
        if not isinstance(m, Mapping):
            raise CalibrationError(f"must be an object, got {m!r}", f"metrics[{index}]")
        targets = tuple(_grid(t) for t in m.get("targets", []))
        try:
            value = m["values"][0]
            number = float(value.get("doubleVal", value.get("double_val", value.get("intVal", 0))))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            raise CalibrationError(f"malformed metric {m!r}", f"metrics[{index}]") from None
        table.setdefault(str(m.get("name")), {})[targets] = number
    if "single_qubit_idle_t1_micros" not in table:
        raise CalibrationError(f"{name}: needs single_qubit_idle_t1_micros", "metrics")
    grid = sorted({t for metric in table.values() for key in metric for t in key})
    index_of = {g: i for i, g in enumerate(grid)}
    n = len(grid)
    notes = [
        "1-qubit error = 2/3 x RB Pauli error, 2-qubit error = 4/5 x XEB Pauli error per cycle "
        "(average gate infidelity, Nielsen 2002)",
        f"durations not in the file: 1q {gate_duration_1q_ns:g} ns, 2q {gate_duration_2q_ns:g} ns, "
        f"readout {readout_duration_ns:g} ns (Cirq defaults)",
    ]

    def per_qubit(metric: str, scale: float = 1.0) -> list[float | None]:
        values = table.get(metric, {})
        return [values[(g,)] * scale if (g,) in values else None for g in grid]

    t1 = _fill(per_qubit("single_qubit_idle_t1_micros"), "T1", notes)
    incoherent = per_qubit("single_qubit_rb_incoherent_error_per_gate")
    t2: list[float] = []
    for q in range(n):
        t1_ns = t1[q] * 1e3
        inc = incoherent[q]
        tphi_ns = float("inf")
        if inc is not None:
            excess = inc - gate_duration_1q_ns / (3 * t1_ns)
            tphi_ns = gate_duration_1q_ns / (3 * excess) if excess > 0 else float("inf")
        t2.append(1.0 / (1.0 / (2 * t1_ns) + 1.0 / tphi_ns) / 1e3)
    err1 = _fill(
        per_qubit("single_qubit_rb_pauli_error_per_gate", 2 / 3),
        "single_qubit_rb_pauli_error_per_gate",
        notes,
    )
    p10 = _fill(per_qubit("single_qubit_p00_error"), "single_qubit_p00_error", notes)
    p01 = _fill(per_qubit("single_qubit_p11_error"), "single_qubit_p11_error", notes)
    qubits = tuple(
        _qubit(
            q,
            t1[q],
            min(t2[q], 2 * t1[q]),
            p10[q],
            p01[q],
            err1[q],
            gate_duration_1q_ns,
            readout_duration_ns,
        )
        for q in range(n)
    )
    metric = next((m for m in _CIRQ_2Q_METRICS if m in table), None)
    couplers = []
    if metric is not None:
        if "_cz_" not in metric:
            notes.append(f"2-qubit errors from {metric}, used for cz")
        for key, value in sorted(table[metric].items()):
            if len(key) != 2:
                raise CalibrationError(f"{metric} needs two targets, got {len(key)}", "metrics")
            couplers.append(
                CouplerCalibration(
                    (index_of[key[0]], index_of[key[1]]), value * 4 / 5, gate_duration_2q_ns
                )
            )
    positions = tuple((float(c), -float(r)) for r, c in grid)
    topology = Topology(
        Path(name).stem if name != "data" else "cirq-device",
        n,
        tuple(c.qubits for c in couplers),
        positions,
    )
    return Calibration(
        topology, qubits, tuple(couplers), f"Cirq calibration JSON ({name})", "", tuple(notes)
    )
