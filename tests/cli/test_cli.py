"""The command line: version, run (table and JSON), demo, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kvant import __version__
from kvant.cli import main

BELL = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"kvant {__version__}"


@pytest.mark.parametrize("command", [[], ["run"], ["demo"]])
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli([*command, "--help"], capsys)
    assert code == 0
    assert "Usage" in out
    if command:
        assert "--json" in out


def test_run_json_counts_are_a_bell_pair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bell.qasm"
    path.write_text(BELL)
    code, out, _ = run_cli(["run", str(path), "--shots", "2000", "--seed", "5", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert set(data["counts"]) == {"00", "11"}
    assert sum(data["counts"].values()) == 2000
    # binomial(2000, 1/2): 5 sigma is +-112
    assert abs(data["counts"]["00"] - 1000) < 112
    again = run_cli(["run", str(path), "--shots", "2000", "--seed", "5", "--json"], capsys)[1]
    assert json.loads(again)["counts"] == data["counts"]


def test_run_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bell.qasm"
    path.write_text(BELL)
    code, out, _ = run_cli(["run", str(path), "--shots", "100", "--seed", "1"], capsys)
    assert code == 0
    assert "outcome" in out
    assert "00" in out


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (None, [], "does not exist"),
        (BELL.replace("h q[0];", "hh q[0];"), [], "line 5"),
        (BELL, ["--shots", "0"], "--shots must be >= 1"),
        (BELL, ["--engine", "quantum"], "unknown engine"),
        (BELL, ["--precision", "float16"], "complex"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str | None,
    args: list[str],
    message: str,
) -> None:
    path = tmp_path / "in.qasm"
    if text is not None:
        path.write_text(text)
    code, out, err = run_cli(["run", str(path), *args], capsys)
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("error:")
    assert err.count("\n") == 1, "the error must be one line"
    assert message in err
    assert out == ""


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["run"], capsys)
    assert code == 2
    assert "Missing argument" in err


def test_demo_writes_pictures_and_passes_its_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "demo"
    args = ["demo", "--out", str(out_dir), "--shots", "2000", "--only", "emulator", "--json"]
    code, out, _ = run_cli(args, capsys)
    assert code == 0
    data = json.loads(out)
    assert [s["name"] for s in data["steps"]] == ["GHZ", "QFT", "CHSH Bell test"]
    assert all(s["ok"] for s in data["steps"])
    for step in data["steps"]:
        for picture in step["pictures"]:
            png = out_dir / picture
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out_dir / "index.html").read_text()
    assert page.count('class="ok"') == 3
    assert all(f'src="{p}"' in page for s in data["steps"] for p in s["pictures"])


def test_demo_communications_parts_distil_and_relay_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo", "--out", str(tmp_path), "--only", "qkd", "--only", "network", "--json"]
    code, out, _ = run_cli(args, capsys)
    data = json.loads(out)
    assert code == 0, [s for s in data["steps"] if not s["ok"]]
    assert [s["part"] for s in data["steps"]] == ["qkd", "network"]
    assert (tmp_path / "network_map.png").read_bytes()[:4] == b"\x89PNG"


def test_demo_rejects_an_unknown_part(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["demo", "--only", "teleporter"], capsys)
    assert code == 2
    assert "teleporter" in err
    assert "emulator" in err


def test_demo_datasheet_and_applications_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo", "--out", str(tmp_path), "--only", "bench", "--only", "apps", "--json"]
    code, out, _ = run_cli(args, capsys)
    data = json.loads(out)
    assert code == 0, [s for s in data["steps"] if not s["ok"]]
    assert {s["part"] for s in data["steps"]} == {"bench", "apps"}
    pictures = [Path(p) for s in data["steps"] for p in s["pictures"]]
    assert pictures
    assert all(not p.is_absolute() and (tmp_path / p).is_file() for p in pictures)
    assert (tmp_path / "datasheet" / "datasheet.html").is_file()
    assert 'href="datasheet/datasheet.html"' in (tmp_path / "index.html").read_text()
