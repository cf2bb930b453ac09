"""``kvant net simulate|plan|show`` through ``kvant.cli.main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kvant.cli import main


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(args)
    return int(info.value.code or 0)


@pytest.mark.parametrize(
    "command",
    [
        ["net", "--help"],
        ["net", "simulate", "--help"],
        ["net", "plan", "--help"],
        ["net", "show", "--help"],
    ],
)
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(command) == 0
    assert "Usage" in capsys.readouterr().out


def test_simulate_json_with_faults_and_a_compromised_node(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _run(
        [
            "net",
            "simulate",
            "--scenario",
            "moscow-spb",
            "--hours",
            "0.5",
            "--cut",
            "Bologoye-Okulovka@10m-20m",
            "--outage",
            "Tver@5m-6m!",
            "--compromised",
            "Bologoye",
            "--json",
        ]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenario"] == "moscow-spb"
    assert data["steps"] == 1800
    assert data["conservation_ok"] is True
    assert data["totals_bits"]["discarded"] > 0  # the purged outage at Tver
    names = [d["demand"] for d in data["demands"]]
    assert names == ["Moscow->St Petersburg", "Moscow->Tver", "Tver->St Petersburg"]
    exposure = data["exposures"][0]
    assert exposure["node"] == "Bologoye"
    assert exposure["num_keys"] > 0
    assert set(exposure["by_demand"]) == {"Moscow->St Petersburg", "Tver->St Petersburg"}


def test_simulate_tables_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    code = _run(
        [
            "net",
            "simulate",
            "--scenario",
            "regional-mesh-16",
            "--hours",
            "0.25",
            "--routing",
            "multipath",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    for word in ("delivered kbit/s", "key ledger", "balanced"):
        assert word in text
    for name in ("summary.json", "pool-levels.png", "delivered-rate.png", "map.png"):
        assert (out / name).stat().st_size > 0


def test_plan_line_and_route(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["net", "plan", "--length-km", "800", "--target-bps", "1e4", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["trusted_nodes"] == 9  # 800 km in hops of at most 80 km
    assert all(h["rate_bps"] >= 1e4 for h in plan["hops"])
    assert _run(["net", "plan", "--sites", "moscow-spb", "--target-bps", "1e4"]) == 0
    assert "Moscow-" in capsys.readouterr().out


def test_plan_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(
        [
            "net",
            "plan",
            "--target-bps",
            "1e4",
            "--sweep-lengths",
            "100,300",
            "--sweep-targets",
            "1e4,1e9",
            "--workers",
            "1",
            "--json",
        ]
    )
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["ok"] for r in rows] == [True, False, True, False]


def test_show_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "m.yaml"
    assert _run(["net", "show", "moscow-spb", "--export", str(export)]) == 0
    assert "key rate bit/s" in capsys.readouterr().out
    assert _run(["net", "show", str(export), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["nodes"]) == 15
    assert data["links"][0]["key_rate_bps"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--scenario", "atlantis"], "unknown scenario"),
        (["simulate", "--hours", "0.1", "--cut", "Nowhere@1h"], "no link named"),
        (["simulate", "--hours", "0.1", "--cut", "Tver-Klin"], "NAME@START"),
        (["simulate", "--hours", "0.1", "--outage", "Tver@soon"], "bad time"),
        (["simulate", "--hours", "0.1", "--routing", "ospf"], "routing must be"),
        (["simulate", "--hours", "0.1", "--compromised", "Paris"], "no node named"),
        (["plan", "--target-bps", "1e4"], "--length-km"),
        (["plan", "--length-km", "100", "--target-bps", "1e12"], "even at 0 km"),
        (["show", "missing.yaml"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["net", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
