"""``datasheet.json`` and a self-contained ``datasheet.html`` for a measured device.

The HTML holds a summary table (medians and 16th-84th percentile spreads of T1, T2, 1- and
2-qubit errors, readout error, QV), the quantum-volume test, recovered-vs-injected figures for
an emulated device, device maps coloured by each metric (PNG, embedded as base64 and written
beside the page), per-qubit and per-coupler tables, and every fit as a small inline SVG.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

import numpy as np

from kvant.bench import DATASHEET_SCHEMA, Datasheet, Metric
from kvant.errors import ConfigError, KvantIOError
from kvant.report._datasheet_svg import fit_svg
from kvant.report._datasheet_template import DATASHEET_TEMPLATE

__all__ = ["render_datasheet_html", "write_datasheet"]

#: Per-qubit maps: (metric, title, log scale).
_QUBIT_MAPS = (
    ("t1_us", "T1 (us)", False),
    ("t2_us", "T2, Hahn echo (us)", False),
    ("t2_star_us", "T2*, Ramsey (us)", False),
    ("readout_error", "readout error", True),
    ("epg_1q", "1-qubit error per gate", True),
)
_COUPLER_MAPS = (("error_cz", "CZ error (interleaved RB)", True), ("epc_2q", "2q EPC", True))
_QUBIT_COLUMNS = (
    ("t1_us", "T1 (us)"),
    ("t2_star_us", "T2* (us)"),
    ("t2_us", "T2 (us)"),
    ("p_meas1_prep0", "P(1|0)"),
    ("p_meas0_prep1", "P(0|1)"),
    ("epc_1q", "1q EPC"),
    ("epg_1q", "1q EPG"),
)
_COUPLER_COLUMNS = (("epc_2q", "2q EPC"), ("error_cz", "CZ error (IRB)"))
_FIT_GROUPS = (
    ("t1_us", "T1: inversion recovery"),
    ("t2_star_us", "T2*: Ramsey"),
    ("t2_us", "T2: Hahn echo"),
    ("rb_alpha_1q", "1-qubit randomized benchmarking"),
    ("rb_alpha_2q", "2-qubit randomized benchmarking"),
    ("error_cz", "Interleaved RB of CZ"),
    ("xeb_fidelity_per_cycle", "Linear XEB"),
)


def _num(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4):
        return f"{value:.3e}"
    return f"{value:.4g}"


def _pm(metric: Metric | None) -> str:
    if metric is None:
        return ""
    text = _num(metric.value)
    if math.isfinite(metric.stderr):
        text += f" ± {_num(metric.stderr)}"
    return text + (" (bad fit)" if not metric.good else "")


def _maps(sheet: Datasheet, out_dir: Path) -> list[dict[str, str]]:
    from kvant.device import Topology
    from kvant.report._device_plots import plot_coupling_map

    info = sheet.device
    if not info.positions and info.num_qubits > 1 and not info.couplers:
        return []
    topology = Topology(info.name, info.num_qubits, info.couplers, info.positions)
    maps = [("qubits", m, sheet.qubit_values(m[0])) for m in _QUBIT_MAPS]
    maps += [("couplers", m, sheet.coupler_values(m[0])) for m in _COUPLER_MAPS]
    out = []
    for what, (name, title, log), values in maps:
        measured = np.isfinite(values)
        if not measured.any() or (log and np.nanmin(values) <= 0):
            continue
        caption = title
        if not measured.all():
            caption += f" ({int(measured.sum())} of {values.size} {what} measured; others grey)"
        on_qubits = what == "qubits"
        path = plot_coupling_map(
            topology,
            out_dir / f"map_{name}.png",
            qubit_values=values if on_qubits else None,
            coupler_values=None if on_qubits else values,
            title=f"{info.name}: {title}",
            qubit_label=title if on_qubits else "",
            coupler_label="" if on_qubits else title,
            log_scale=log,
        )
        out.append({"title": caption, "data": base64.b64encode(path.read_bytes()).decode()})
    return out


def _rows(
    sheet: Datasheet, columns: tuple[tuple[str, str], ...], size: int
) -> list[dict[str, Any]]:
    keys = sorted(
        {m.qubits for name, _ in columns for m in sheet.find(name) if len(m.qubits) == size}
    )
    rows = []
    for key in keys:
        metrics = []
        for name, _ in columns:
            found = [m for m in sheet.find(name) if m.qubits == key]
            metrics.append(found[0] if found else None)
        rows.append(
            {
                "qubits": ", ".join(str(q) for q in key),
                "cells": [_pm(m) for m in metrics],
                "bad": any(m is not None and not m.good for m in metrics),
            }
        )
    return rows


def _comparison(sheet: Datasheet) -> list[dict[str, Any]]:
    out = []
    for name in sheet.injected:
        pairs = sheet.compare_injected(name)
        if not pairs:
            continue
        rel = [abs(m / i - 1) for _, m, _, i in pairs if i != 0 and math.isfinite(m)]
        within = sum(1 for _, m, e, i in pairs if math.isfinite(e) and abs(m - i) <= 3 * e)
        out.append(
            {
                "name": name,
                "count": len(pairs),
                "median_rel": f"{100 * float(np.median(rel)):.1f} %" if rel else "-",
                "within": f"{within} / {len(pairs)}",
            }
        )
    return out


def render_datasheet_html(sheet: Datasheet, maps: list[dict[str, str]] | None = None) -> str:
    """The datasheet as one self-contained HTML page.

    Args:
        sheet: The datasheet.
        maps: Device maps ``[{"title", "data" (base64 PNG)}]`` (none by default).

    Raises:
        ConfigError: If ``sheet`` is not a Datasheet.

    >>> from kvant.bench import Datasheet, DeviceInfo, Metric
    >>> sheet = Datasheet(DeviceInfo("toy", 1), (Metric("t1_us", 100.0, 2.0, "us", "fit", (0,)),))
    >>> "T1" in render_datasheet_html(sheet)
    True
    """
    if not isinstance(sheet, Datasheet):
        raise ConfigError(f"render_datasheet_html needs a Datasheet, got {type(sheet).__name__}")
    import jinja2

    summary = sheet.summary()
    order = [name for name, _ in _summary_order()] + [
        n for n in summary if n not in dict(_summary_order())
    ]
    rows = []
    for name in order:
        if name not in summary:
            continue
        s = summary[name]
        injected = [v for _, v in sheet.injected.get(name, ())]
        rows.append(
            {
                "label": s["label"],
                "median": _num(s["median"]),
                "spread": f"{_num(s['p16'])} – {_num(s['p84'])}",
                "min": _num(s["min"]),
                "max": _num(s["max"]),
                "unit": s["unit"],
                "good": s["good"],
                "count": s["count"],
                "injected": _num(float(np.median(injected))) if injected else "",
            }
        )
    fits = []
    for name, title in _FIT_GROUPS:
        svgs = [
            fit_svg(m.fit, f"{name} q{','.join(str(q) for q in m.qubits)}")
            for m in sheet.find(name)
            if m.fit is not None
        ]
        if svgs:
            fits.append({"title": title, "svgs": svgs})
    qv_metric = sheet.find("quantum_volume")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(DATASHEET_TEMPLATE).render(
        device=sheet.device,
        source=sheet.source or "unknown",
        created=sheet.created or "-",
        schema=DATASHEET_SCHEMA,
        summary=rows,
        has_injected=bool(sheet.injected),
        qv=sheet.qv,
        quantum_volume=_num(qv_metric[0].value) if qv_metric else "-",
        comparison=_comparison(sheet),
        maps=maps or [],
        qubit_columns=[label for _, label in _QUBIT_COLUMNS],
        qubit_rows=_rows(sheet, _QUBIT_COLUMNS, 1),
        coupler_columns=[label for _, label in _COUPLER_COLUMNS],
        coupler_rows=_rows(sheet, _COUPLER_COLUMNS, 2),
        bad=[
            {"name": m.name, "qubits": list(m.qubits), "reason": m.reason}
            for m in sheet.metrics
            if not m.good
        ],
        fits=fits,
        methods=list({m.name: m.method for m in sheet.metrics}.items()),
        timings=", ".join(f"{k} {v:.1f} s" for k, v in sheet.timings_s.items()),
    )


def _summary_order() -> tuple[tuple[str, str], ...]:
    from kvant.bench import SUMMARY_METRICS

    return SUMMARY_METRICS


def write_datasheet(sheet: Datasheet, out_dir: str | Path, *, maps: bool = True) -> dict[str, Path]:
    """Write ``datasheet.json``, ``datasheet.html`` and the map PNGs into ``out_dir``.

    Args:
        sheet: The datasheet.
        out_dir: Directory (created if needed).
        maps: Draw the device maps (Matplotlib; about 0.3 s each).

    Returns:
        ``{"json": path, "html": path}``.

    Raises:
        KvantIOError: If the directory or a file cannot be written.
        ConfigError: If ``sheet`` is not a Datasheet.

    >>> import tempfile
    >>> from kvant.bench import Datasheet, DeviceInfo, Metric
    >>> sheet = Datasheet(DeviceInfo("toy", 1), (Metric("t1_us", 100.0, 2.0, "us", "fit", (0,)),))
    >>> paths = write_datasheet(sheet, tempfile.mkdtemp(), maps=False)
    >>> sorted(paths), paths["json"].name
    (['html', 'json'], 'datasheet.json')
    """
    if not isinstance(sheet, Datasheet):
        raise ConfigError(f"write_datasheet needs a Datasheet, got {type(sheet).__name__}")
    target = Path(out_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KvantIOError(f"cannot create {target}: {exc.strerror}") from exc
    json_path = sheet.save(target / "datasheet.json")
    html = render_datasheet_html(sheet, _maps(sheet, target) if maps else [])
    html_path = target / "datasheet.html"
    try:
        html_path.write_text(html)
    except OSError as exc:
        raise KvantIOError(f"cannot write {html_path}: {exc.strerror}") from exc
    return {"json": json_path, "html": html_path}
