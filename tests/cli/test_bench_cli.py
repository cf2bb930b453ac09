"""``kvant bench datasheet|analyse`` through a Typer app that registers the bench commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kvant.cli import _bench

DATA = Path(__file__).resolve().parents[1] / "data" / "bench"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def _root() -> None:
        """Test root."""

    _bench.register(application)
    return application


@pytest.mark.parametrize(
    "command",
    [["bench", "--help"], ["bench", "datasheet", "--help"], ["bench", "analyse", "--help"]],
)
def test_help(app: typer.Typer, command: list[str]) -> None:
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_datasheet_quick_json_and_reanalysis(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "sheet"
    result = CliRunner().invoke(
        app,
        [
            "bench",
            "datasheet",
            "--device",
            "line-3",
            "--quick",
            "--no-maps",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["device"] == "line-3"
    assert data["schema"] == "kvant.datasheet/1"
    assert {"t1_us", "t2_us", "epg_1q", "error_cz", "quantum_volume"} <= set(data["summary"])
    assert (out / "datasheet.html").exists()
    assert (out / "counts.json").exists()
    again = CliRunner().invoke(
        app,
        [
            "bench",
            "analyse",
            str(out / "counts.json"),
            "--no-maps",
            "--out",
            str(tmp_path / "again"),
            "--json",
        ],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["summary"]["t1_us"] == data["summary"]["t1_us"]


def test_analyse_table_output(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["bench", "analyse", str(DATA / "lab_3q_counts.json"), "--no-maps", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "lab-3q-example" in result.output
    assert "T1" in result.output


def test_bad_input_is_a_kvant_error(app: typer.Typer, tmp_path: Path) -> None:
    from kvant.errors import AnalysisError

    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "something else"}')
    result = CliRunner().invoke(app, ["bench", "analyse", str(bad), "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, AnalysisError)


def test_demo_datasheet(tmp_path: Path) -> None:
    summary = _bench.demo_datasheet(tmp_path)
    assert summary["device"] == "kvant-50"
    assert (tmp_path / "datasheet.html").exists()
    assert summary["qv"]
    assert summary["summary"]["t1_us"]["count"] == 3


def test_demo_step(tmp_path: Path) -> None:
    step = _bench.datasheet_step(7, tmp_path)
    assert step["ok"], step
    assert all((tmp_path / picture).exists() for picture in step["pictures"])
    assert "T1" in step["figure"]
