"""``kvant device show/list`` and ``kvant run --device``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kvant.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_show_kvant_50(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(
        ["device", "show", "kvant-50", "--png", str(tmp_path / "map.png")], capsys
    )
    assert code == 0
    assert "kvant-50: 50 qubits, 85 CZ couplers" in out
    assert "t1_us" in out
    assert "gate_error_2q" in out
    assert " 40── 41" in out  # the map's last row
    assert (tmp_path / "map.png").exists()


def test_show_json_and_files(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["device", "show", "kvant-50", "--json"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["num_qubits"] == 50
    assert data["medians"]["gate_error_2q"] == pytest.approx(3e-3, rel=0.1)
    assert len(data["worst"]["t1_us"]) == 3
    assert data["calibration"]["schema"] == "kvant.calibration"
    code, out, _ = run_cli(["device", "show", str(DATA / "device" / "props_lima.json")], capsys)
    assert code == 0
    assert "ibmq_lima" in out
    assert "couplers: 0-1 1-2 1-3 3-4" in out


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["device", "list"], capsys)
    assert code == 0
    assert "heavy-hex-D" in out


def test_run_on_the_device(capsys: pytest.CaptureFixture[str]) -> None:
    qasm = str(DATA / "qasm" / "ghz_5.qasm")
    argv = ["run", qasm, "--device", "kvant-50", "--shots", "3000", "--seed", "4", "--json"]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0
    data = json.loads(out)
    assert data["engine"] == "stabilizer"
    assert data["device"] == "kvant-50"
    assert sum(data["counts"].values()) == 3000
    top = sorted(data["counts"], key=data["counts"].get)[-2:]
    assert set(top) == {"00000", "11111"}
    assert 0 < data["counts"].get("00001", 0) + data["counts"].get("01111", 0) < 300  # noise
    assert json.loads(run_cli(argv, capsys)[1])["counts"] == data["counts"]
    code, out, _ = run_cli(
        ["run", qasm, "--device", "line-5", "--shots", "100", "--seed", "1"], capsys
    )
    assert code == 0
    assert "on line-5" in out
    assert "SWAPs" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["device", "show", "kvant-51"], "unknown topology"),
        (["device", "show", "kvant-50", "--worst", "0"], "--worst"),
        (["run", "QASM", "--device", "line-2"], "only 2"),
        (["run", "QASM", "--device", "kvant-50", "--engine", "statevector"], "noisy device run"),
    ],
)
def test_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    argv = [str(DATA / "qasm" / "ghz_5.qasm") if a == "QASM" else a for a in argv]
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    assert message in err
