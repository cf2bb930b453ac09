"""``kvant apps ...`` through a Typer app with the apps commands registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from rich.console import Console

from kvant.cli._apps import demo_apps, register
from kvant.errors import KvantError


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

    @root.callback()
    def _root() -> None:
        """Test root."""

    register(root)
    return root


def _run(app: typer.Typer, args: list[str]) -> int:
    try:
        app(args=args, prog_name="kvant", standalone_mode=False)
    except KvantError:
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    return 0


@pytest.mark.parametrize("command", ["grid", "unit-commitment", "molecule", "dissociation"])
def test_help(app: typer.Typer, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(app, ["apps", command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage" in out
    assert "--json" in out


def test_molecule_json_reports_chemical_accuracy(
    app: typer.Typer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(app, ["apps", "molecule", "--name", "LiH", "--bond-angstrom", "1.6", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    vqe = data["vqe"]
    assert vqe["molecule"] == "LiH"
    assert vqe["bond_angstrom"] == 1.6
    assert abs(vqe["energy_ha"] - vqe["reference_ha"]) < 1.6e-3
    assert data["noisy"] is None


def test_grid_writes_json_and_a_plot(
    app: typer.Typer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _run(
        app, ["apps", "grid", "--case", "ieee14", "--max-qubits", "8", "--out", str(tmp_path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "islanding by QAOA" in out
    assert "brute-force" in out
    data = json.loads((tmp_path / "ieee14-islanding.json").read_text())
    assert data["qaoa_qubits"] == 8
    assert data["coarse_grained"] is True
    assert (tmp_path / "ieee14-qaoa.png").stat().st_size > 1000


def test_dissociation_plot(
    app: typer.Typer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "curve.png"
    assert (
        _run(app, ["apps", "dissociation", "--name", "H2", "--points", "3", "--out", str(png)]) == 0
    )
    assert "dissociation curve" in capsys.readouterr().out
    assert png.stat().st_size > 1000


def test_bad_input_exits_2(app: typer.Typer) -> None:
    assert _run(app, ["apps", "molecule", "--name", "XeF"]) == 2
    assert _run(app, ["apps", "grid", "--case", "ieee118"]) == 2
    assert _run(app, ["apps", "dissociation", "--points", "1"]) == 2


def test_demo_apps_is_quick_and_passes(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    summary = demo_apps(tmp_path, console)
    assert summary["ok"]
    assert len(summary["steps"]) == 2
    assert "H2 ground state" in console.export_text()
    assert (tmp_path / "apps_ieee14_qaoa.png").exists()
