"""datasheet.html and datasheet.json: contents, self-containment, maps and fit plots."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kvant.bench import Datasheet, SuiteConfig, measure_device
from kvant.errors import ConfigError
from kvant.report import render_datasheet_html, write_datasheet


@pytest.fixture(scope="module")
def sheet() -> Datasheet:
    config = SuiteConfig.reduced(qv_widths=(2,), xeb_qubits=3)
    result, _ = measure_device("grid-2x3", config)
    return result


def test_files_and_json_schema(sheet: Datasheet, tmp_path: Path) -> None:
    paths = write_datasheet(sheet, tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert data["schema"] == "kvant.datasheet/1"
    for metric in data["metrics"]:
        assert {"name", "value", "stderr", "unit", "method", "quality"} <= set(metric)
    assert Datasheet.from_dict(data) == sheet
    assert sorted(p.name for p in (tmp_path / "out").glob("map_*.png"))


def test_html_is_self_contained_and_complete(sheet: Datasheet, tmp_path: Path) -> None:
    html = write_datasheet(sheet, tmp_path)["html"].read_text()
    for label in (
        "T1",
        "T2 (Hahn echo)",
        "T2* (Ramsey)",
        "readout error",
        "1q error per gate",
        "CZ error (interleaved RB)",
        "quantum volume",
        "Recovered vs injected",
    ):
        assert label in html, label
    assert html.count("data:image/png;base64,") >= 5  # device maps, embedded
    assert not re.search(r"""(src|href)=["'](?!data:)""", html)  # nothing fetched from outside
    fits = sum(1 for m in sheet.metrics if m.fit is not None)
    assert html.count("<svg") == fits  # every fit is drawn
    median = f"{sheet.summary()['t1_us']['median']:.4g}"
    assert median in html


def test_html_escapes_text_and_rejects_non_datasheets(sheet: Datasheet) -> None:
    from dataclasses import replace

    hostile = replace(sheet, source="<script>alert(1)</script>")
    assert "<script>alert" not in render_datasheet_html(hostile)
    with pytest.raises(ConfigError):
        render_datasheet_html({"schema": "kvant.datasheet/1"})  # type: ignore[arg-type]
