"""``kvant kms serve|certs|status|encrypt|decrypt|openapi``: the KME and its encryptor.

Also :func:`demo_kms`, the KMS part of ``kvant demo``: three KME processes on loopback (Moscow,
a trusted node in Tver, St Petersburg), link key supplied to both neighbour links, a key relayed
Moscow -> St Petersburg through Tver, and a real file encrypted in Moscow and decrypted in
St Petersburg with keys fetched over ETSI GS QKD 014.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from kvant.cli._output import console, print_json
from kvant.errors import ConfigError, KmsError

kms_app = typer.Typer(
    name="kms",
    help="Key Management Entity: ETSI GS QKD 014 over mutual TLS, relay, encryptor.",
    no_args_is_help=True,
)

_KME_OPT = typer.Option(..., "--kme", help="KME base URL, e.g. https://127.0.0.1:8443.")
_CA_OPT = typer.Option(..., "--ca", help="CA certificate (PEM) that signed the KME.")
_CERT_OPT = typer.Option(..., "--cert", help="This SAE's client certificate (PEM).")
_KEY_OPT = typer.Option(..., "--key", help="This SAE's private key (PEM).")
_JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of tables.")


def serve(
    config: Path = typer.Option(..., "--config", help="The KME's kme.toml."),
    as_json: bool = _JSON_OPT,
) -> None:
    """Run a KME (ETSI GS QKD 014 over mutual TLS) until SIGTERM or Ctrl-C."""
    from kvant.kms import load_config
    from kvant.kms import serve as run

    cfg = load_config(config)
    info: dict[str, Any] = {
        "kme_id": cfg.kme_id,
        "url": f"https://{cfg.host}:{cfg.port}",
        "workers": cfg.workers,
        "peers": [p.kme_id for p in cfg.peers],
        "saes": sorted(cfg.local_sae_ids()),
    }
    if as_json:
        print_json({"serving": info})
    else:
        console.print(
            f"KME [bold]{cfg.kme_id}[/] on {info['url']} ({cfg.workers} worker(s)); "
            f"peers {', '.join(info['peers']) or '-'}; SAEs {', '.join(info['saes']) or '-'}"
        )
    run(cfg, config)


def certs(
    out: Path = typer.Option(Path("certs"), "--out", help="Directory to write."),
    kme: list[str] = typer.Option([], "--kme", help="A KME id (repeatable)."),
    sae: list[str] = typer.Option([], "--sae", help="An SAE id (repeatable)."),
    days: int = typer.Option(365, "--days", help="Validity in days."),
    host: list[str] = typer.Option(
        ["localhost", "127.0.0.1"], "--host", help="Host name or IP of the KMEs (repeatable)."
    ),
    as_json: bool = _JSON_OPT,
) -> None:
    """Create a development CA and certificates for KMEs and SAEs (CN = id, plus a SAN)."""
    from kvant.kms import make_dev_pki

    if not kme and not sae:
        raise ConfigError("name at least one identity: --kme ID and/or --sae ID")
    pki = make_dev_pki(out, kme, sae, days=days, hosts=tuple(host))
    if as_json:
        print_json({name: p.to_dict() for name, p in pki.items()})
        return
    table = Table(title=f"development PKI in {out}")
    for col in ("identity", "role", "certificate", "key"):
        table.add_column(col)
    for name, p in pki.items():
        table.add_row(name, p.role, str(p.cert_path), str(p.key_path))
    console.print(table)


def status(
    slave: str = typer.Argument(..., help="The slave SAE id."),
    kme: str = _KME_OPT,
    ca: Path = _CA_OPT,
    cert: Path = _CERT_OPT,
    key: Path = _KEY_OPT,
    as_json: bool = _JSON_OPT,
) -> None:
    """ETSI 014 status of the key shared with SLAVE's KME."""
    from kvant.kms import KmeClient

    with KmeClient(kme, ca, cert, key) as client:
        data = client.get_status(slave)
    if as_json:
        print_json(data)
        return
    table = Table(title=f"status {data['source_KME_ID']} -> {data['target_KME_ID']}")
    table.add_column("field")
    table.add_column("value", justify="right")
    for name, value in data.items():
        table.add_row(name, str(value))
    console.print(table)


def encrypt(
    src: Path = typer.Argument(..., help="File to encrypt."),
    dst: Path = typer.Argument(..., help="Encrypted file to write."),
    slave: str = typer.Option(..., "--to", help="The SAE that will decrypt (slave SAE id)."),
    kme: str = _KME_OPT,
    ca: Path = _CA_OPT,
    cert: Path = _CERT_OPT,
    key: Path = _KEY_OPT,
    otp: bool = typer.Option(False, "--otp", help="One-time pad instead of AES-256-GCM."),
    as_json: bool = _JSON_OPT,
) -> None:
    """Encrypt a file with QKD keys fetched over ETSI 014 (AES-256-GCM or one-time pad)."""
    from kvant.kms import KmeClient, encrypt_file

    t0 = time.perf_counter()
    with KmeClient(kme, ca, cert, key) as client:
        header = encrypt_file(client, slave, src, dst, otp=otp)
    _report("encrypted", src, dst, header, time.perf_counter() - t0, as_json)


def decrypt(
    src: Path = typer.Argument(..., help="Encrypted file."),
    dst: Path = typer.Argument(..., help="Plaintext file to write."),
    kme: str = _KME_OPT,
    ca: Path = _CA_OPT,
    cert: Path = _CERT_OPT,
    key: Path = _KEY_OPT,
    as_json: bool = _JSON_OPT,
) -> None:
    """Decrypt a file, fetching its keys by key_ID from this SAE's KME (ETSI 014 dec_keys)."""
    from kvant.kms import KmeClient, decrypt_file

    t0 = time.perf_counter()
    with KmeClient(kme, ca, cert, key) as client:
        header = decrypt_file(client, src, dst)
    _report("decrypted", src, dst, header, time.perf_counter() - t0, as_json)


def _report(
    verb: str, src: Path, dst: Path, header: dict[str, Any], wall_s: float, as_json: bool
) -> None:
    data = {"action": verb, "source": str(src), "destination": str(dst), **header}
    data["wall_s"] = round(wall_s, 4)
    if as_json:
        print_json(data)
        return
    console.print(
        f"{verb} [bold]{src}[/] -> [bold]{dst}[/]: {header['plaintext_bytes']:,} bytes, "
        f"{header['mode']}, {len(header['key_IDs'])} key(s) "
        f"{header['master_SAE_ID']} -> {header['slave_SAE_ID']} in {wall_s:.2f} s"
    )


def openapi(
    out: Path | None = typer.Option(None, "--out", help="Write here instead of stdout."),
    as_json: bool = typer.Option(
        False, "--json", help="With --out: print what was written as JSON."
    ),
) -> None:
    """Print (or write) the OpenAPI document of the KME API (kept in docs/kms-openapi.json)."""
    import json

    from kvant.errors import KvantIOError
    from kvant.kms._app import openapi_document

    doc = openapi_document()
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if out is None:
        print(text, end="")  # the document is JSON already
        return
    try:
        out.write_text(text)
    except OSError as exc:
        raise KvantIOError(f"cannot write {out}: {exc.strerror or exc}") from exc
    if as_json:
        print_json({"wrote": str(out), "paths": sorted(doc["paths"])})
    else:
        console.print(f"wrote [bold]{out}[/]: {len(doc['paths'])} paths")


def demo_kms(out_dir: Path, console: Console | None = None, *, seed: int = 0) -> dict[str, Any]:
    """Three KMEs on loopback, a relayed key and a real file moved Moscow -> St Petersburg.

    Args:
        out_dir: Working directory (certificates, configs, stores, the files).
        console: Where to print progress (None: quiet).
        seed: Seed of the link key streams.

    Returns:
        A demo step: ``section``, ``name``, ``figure``, ``expected``, ``ok``, ``links``
        (relative to ``out_dir``), plus details (``wall_s``, ``relayed_units``, ``key_IDs``).

    Raises:
        KmsError: a KME did not start or refused (see the logs in ``out_dir/kms``).
    """
    from kvant.kms import LoopbackNetwork, decrypt_file, encrypt_file

    t0 = time.perf_counter()
    work = Path(out_dir) / "kms"
    chain = ["kme-moscow", "kme-tver", "kme-spb"]
    saes = {"kme-moscow": ["sae-moscow"], "kme-spb": ["sae-spb"]}
    net = LoopbackNetwork(work, chain, saes, seed=seed).write()
    net.supply_links(256)
    plain = work / "report-moscow.txt"
    line = "line {}: Moscow -> St Petersburg over QKD, seed " + f"{seed}\n"
    text = "".join(line.format(i) for i in range(20000))
    plain.write_text(text)
    say = console.print if console is not None else (lambda *a, **k: None)
    with net:
        net.start()
        say(f"  started {', '.join(chain)} on loopback in {time.perf_counter() - t0:.1f} s")
        with net.client("sae-moscow") as alice, net.client("sae-spb") as bob:
            before = alice.get_status("sae-spb")["stored_key_count"]
            enc = encrypt_file(alice, "sae-spb", plain, work / "report.kvqkd")
            after = alice.get_status("sae-spb")["stored_key_count"]
            dec = decrypt_file(bob, work / "report.kvqkd", work / "report-spb.txt")
            otp_in = work / "note.txt"
            otp_in.write_text("one-time pad across three KMEs\n" * 40)
            otp = encrypt_file(alice, "sae-spb", otp_in, work / "note.kvqkd", otp=True)
            decrypt_file(bob, work / "note.kvqkd", work / "note-spb.txt")
            try:
                bob.get_key_with_ids("sae-moscow", enc["key_IDs"])
                second_fetch_refused = False
            except KmsError:
                second_fetch_refused = True
    same = (
        hashlib.sha256((work / "report-spb.txt").read_bytes()).digest()
        == hashlib.sha256(plain.read_bytes()).digest()
    )
    otp_same = (work / "note-spb.txt").read_bytes() == otp_in.read_bytes()
    wall = time.perf_counter() - t0
    ok = same and otp_same and second_fetch_refused and before == 0 and after > 0
    say(f"  file of {dec['plaintext_bytes']:,} bytes decrypted in St Petersburg: {same}")
    return {
        "section": "Key management",
        "name": "ETSI 014 KMEs Moscow - Tver - St Petersburg",
        "figure": f"{dec['plaintext_bytes']:,} byte file moved end to end in {wall:.1f} s "
        f"(AES-256-GCM; {otp['plaintext_bytes']:,} bytes by one-time pad)",
        "expected": "key relayed through the trusted node; decrypted file identical (SHA-256); "
        "a second fetch of the same key refused",
        "ok": ok,
        "wall_s": round(wall, 2),
        "relayed_units": after - before + 1,
        "key_IDs": enc["key_IDs"],
        "files": [str(plain), str(work / "report.kvqkd"), str(work / "report-spb.txt")],
        "links": {
            "sent (Moscow)": "kms/report-moscow.txt",
            "encrypted": "kms/report.kvqkd",
            "decrypted (St Petersburg)": "kms/report-spb.txt",
        },
    }


def register(app: typer.Typer) -> None:
    """Add ``kms serve|certs|status|encrypt|decrypt|openapi`` to the application."""
    kms_app.command("serve")(serve)
    kms_app.command("certs")(certs)
    kms_app.command("status")(status)
    kms_app.command("encrypt")(encrypt)
    kms_app.command("decrypt")(decrypt)
    kms_app.command("openapi")(openapi)
    app.add_typer(kms_app, name="kms")
