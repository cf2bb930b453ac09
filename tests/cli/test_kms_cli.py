"""``kvant kms serve|certs|status|encrypt|decrypt|openapi`` and the demo step ``demo_kms``.

The commands are registered on a fresh Typer app here (``register(app)``), as ``_app.py`` does.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kvant.cli._kms import demo_kms, register
from kvant.errors import ConfigError
from kvant.kms import KmeProcess, LoopbackNetwork

APP = typer.Typer()
register(APP)


@APP.callback()
def _root() -> None:
    """Test application."""


def invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(APP, args)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackNetwork]:
    saes = {"kme-a": ["sae-1"], "kme-b": ["sae-2"]}
    network = LoopbackNetwork(tmp_path_factory.mktemp("cli-kms"), ["kme-a", "kme-b"], saes)
    network.write().supply_links(2500)
    with network:
        network.start()
        yield network


@pytest.mark.parametrize(
    "command", [[], ["serve"], ["certs"], ["status"], ["encrypt"], ["decrypt"], ["openapi"]]
)
def test_help(command: list[str]) -> None:
    code, out = invoke(["kms", *command, "--help"])
    assert code == 0
    assert "Usage" in out
    if command:
        assert "--json" in out


def test_certs_json_writes_a_pki(tmp_path: Path) -> None:
    code, out = invoke(
        ["kms", "certs", "--out", str(tmp_path), "--kme", "kme-x", "--sae", "sae-y", "--json"]
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"ca", "kme-x", "sae-y"}
    assert all(Path(v["cert"]).is_file() and Path(v["key"]).is_file() for v in data.values())
    with pytest.raises(ConfigError, match="at least one"):
        invoke(["kms", "certs", "--out", str(tmp_path)])


def test_status_encrypt_decrypt_through_the_cli(net: LoopbackNetwork, tmp_path: Path) -> None:
    certs = net.root / "certs"

    def who(sae: str) -> list[str]:
        return [
            "--kme", net.url(net.kme_of(sae)), "--ca", str(certs / "ca.pem"),
            "--cert", str(certs / f"{sae}.pem"), "--key", str(certs / f"{sae}.key"),
        ]  # fmt: skip

    code, out = invoke(["kms", "status", "sae-2", *who("sae-1"), "--json"])
    assert code == 0
    assert json.loads(out)["target_KME_ID"] == "kme-b"
    code, out = invoke(["kms", "status", "sae-2", *who("sae-1")])
    assert code == 0
    assert "stored_key_count" in out
    plain = tmp_path / "plain.bin"
    plain.write_bytes(random.Random(3).randbytes(50_000))
    for otp in (False, True):
        enc, back = tmp_path / f"enc-{otp}", tmp_path / f"back-{otp}"
        extra = ["--otp"] if otp else []
        code, out = invoke(
            ["kms", "encrypt", str(plain), str(enc), "--to", "sae-2", *who("sae-1"), *extra]
        )
        assert code == 0
        assert "encrypted" in out
        code, out = invoke(["kms", "decrypt", str(enc), str(back), *who("sae-2"), "--json"])
        assert code == 0
        assert json.loads(out)["plaintext_bytes"] == 50_000
        assert back.read_bytes() == plain.read_bytes()


def test_openapi_command_matches_the_committed_document(tmp_path: Path) -> None:
    code, _ = invoke(["kms", "openapi", "--out", str(tmp_path / "doc.json")])
    committed = Path(__file__).parents[2] / "docs" / "kms-openapi.json"
    assert code == 0
    assert json.loads((tmp_path / "doc.json").read_text()) == json.loads(committed.read_text())


SERVE = """
import sys, typer
from kvant.cli._kms import register
app = typer.Typer()
register(app)
@app.callback()
def _root() -> None: ...
app(["kms", "serve", "--config", sys.argv[1]])
"""


def test_serve_runs_until_sigterm(tmp_path: Path) -> None:
    saes = {"kme-a": ["sae-1"], "kme-b": ["sae-2"]}
    network = LoopbackNetwork(tmp_path, ["kme-a", "kme-b"], saes).write()
    config = network.config_path("kme-a")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(config)],
        env={**os.environ, **network.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        handle = KmeProcess(config)
        handle.proc = proc
        handle.wait_ready(30)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (0, -signal.SIGTERM)
    assert b"KME kme-a on https://127.0.0.1" in out
    assert b"Traceback" not in out


def test_demo_kms_moves_a_file_from_moscow_to_st_petersburg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative folder, as `kvant demo` uses by default
    step = demo_kms(Path("kvant-demo"))
    assert step["ok"], step
    assert step["relayed_units"] >= 1
    moscow, spb = (Path(p) for p in step["files"][::2])
    assert moscow.read_bytes() == spb.read_bytes()
