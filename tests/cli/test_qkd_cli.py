"""``kvant qkd link`` and ``kvant qkd curve`` through ``kvant.cli.main``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich import box
from rich.console import Console
from rich.table import Table

from kvant.cli import main
from kvant.cli._output import PIPE_WIDTH, _fit, _width, console


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code or 0)


@pytest.mark.parametrize(
    "command",
    [["qkd", "--help"], ["qkd", "link", "--help"], ["qkd", "curve", "--help"],
     ["qkd", "cache", "--help"]],
)  # fmt: skip
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(command) == 0
    assert "Usage" in capsys.readouterr().out


def test_link_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(
        ["qkd", "link", "--distance-km", "50", "--pulses", "2000000", "--seed", "3", "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["protocol"] == "decoy-bb84"
    assert data["pulses"] == 2_000_000
    assert sum(data["tally"]["sent"]) == 2_000_000
    assert data["asymptotic_bits_per_pulse"] > 0
    assert data["asymptotic_rate_bps"] == pytest.approx(data["asymptotic_bits_per_pulse"] * 1e9)
    assert data["measured_gain"][0] == pytest.approx(data["model_gain"][0], rel=0.03)


def test_link_tables(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", PIPE_WIDTH)  # as printed to a pipe
    assert _run(["qkd", "link", "--distance-km", "25", "--pulses", "1000000", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    for text in ("gain Q", "QBER E", "single-photon bounds", "asymptotic (GLLP)", "PLOB"):
        assert text in out
    assert "\u2026" not in out  # no cell cut short: at 80 columns "4.0329e-02" was "4.0329e..."
    assert "intensity" in out


def test_an_80_column_terminal_gets_every_digit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the boxed 8-column table needs 86 columns: it falls back to the compact form, the narrow
    # tables keep their boxes
    monkeypatch.setattr(console, "width", 80)
    assert _run(["qkd", "link", "--distance-km", "50", "--pulses", "1000000", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "\u2026" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "\u250f" in out  # the bounds and rate tables are still boxed
    header = next(line for line in out.splitlines() if "gain Q" in line)
    assert "\u2503" not in header  # the wide one is not


def test_a_table_that_fits_keeps_its_box() -> None:
    small = Table("a", "b")
    small.add_row("1", "2")
    assert _fit(small, Console(width=80)).box is small.box is not None
    wide = Table(*(f"column {i}" for i in range(12)))
    wide.add_row(*("1.2345e-02" for _ in range(12)))
    fitted = _fit(wide, Console(width=80))
    assert fitted.box is box.SIMPLE_HEAD
    assert not fitted.show_edge


def test_a_pipe_gets_whole_tables_and_columns_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    class Pipe(io.StringIO):
        pass

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("COLUMNS", raising=False)
    assert _width(Pipe()) == PIPE_WIDTH
    assert _width(Terminal()) is None  # Rich reads the terminal's own width
    monkeypatch.setenv("COLUMNS", "100")
    assert _width(Pipe()) is None  # Rich takes COLUMNS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--distance-km", "-5"], "distance_km must be >= 0"),
        (["--distance-km", "10", "--protocol", "b92"], "unknown protocol"),
        (["--distance-km", "10", "--mu", "0.05"], "decrease strictly"),
        (["--distance-km", "10", "--pulses", "0"], "--pulses"),
    ],
)
def test_link_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["qkd", "link", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("error:")


def test_curve_writes_png_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "curve.png"
    args = ["qkd", "curve", "--max-km", "200", "--points", "5", "--out", str(out), "--json"]
    assert _run(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data["distances_km"]) == 5
    for rates in data["bits_per_pulse"].values():
        assert all(r <= b for r, b in zip(rates, data["plob_bits_per_pulse"], strict=True))


def test_curve_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        _run(["qkd", "curve", "--max-km", "100", "--points", "3", "--out", str(tmp_path / "c.png")])
        == 0
    )
    assert "longest fibre" in capsys.readouterr().out


def test_link_postprocess_json_distils_equal_keys(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["qkd", "link", "--distance-km", "10", "--pulses", "100000000", "--seed", "3",
            "--postprocess", "--json"]  # fmt: skip
    assert _run(args) == 0
    data = json.loads(capsys.readouterr().out)
    post = data["postprocess"]
    assert post["aborted"] is False
    assert post["keys_equal"] is True
    assert "key" not in post
    assert "bob_key" not in post
    assert post["key_bits"] > 0
    assert post["distilled_rate_bps"] == pytest.approx(post["key_bits"] / 1e8 * 1e9)
    theory = data["finite_bits_per_pulse"] * 1e8
    assert 0.5 * theory < post["key_bits"] < 1.5 * theory


def test_link_postprocess_reports_an_abort(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["qkd", "link", "--distance-km", "50", "--pulses", "2000000", "--seed", "1",
            "--postprocess", "--reconciler", "cascade-original"]  # fmt: skip
    assert _run(args) == 0
    out = capsys.readouterr().out
    assert "post-processing aborted (no-secret-key)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--protocol", "bb84"], "--postprocess needs decoy-bb84"),
        (["--reconciler", "turbo"], "unknown --reconciler"),
    ],
)
def test_link_postprocess_bad_input(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["qkd", "link", "--distance-km", "10", "--postprocess", *args]) == 2
    assert message in capsys.readouterr().err
