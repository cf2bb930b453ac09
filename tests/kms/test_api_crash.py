"""Crash safety and concurrency of the whole KME (real processes, real TLS, real SQLite).

Crash: clients fetch keys while the master's or the slave's KME is SIGKILLed and restarted again
and again. Afterwards no key was delivered twice, and every key a master received can be fetched
by its slave (exactly once). Concurrency: a KME with two worker processes and several client
threads keeps exactly-once delivery.
"""

from __future__ import annotations

import base64
import random
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest

from kvant.kms import LoopbackNetwork

SAES = {"kme-a": ["sae-1"], "kme-b": ["sae-2"]}


def tls(certs: Path, identity: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    ctx.load_cert_chain(str(certs / f"{identity}.pem"), str(certs / f"{identity}.key"))
    return ctx


def fetch_loop(
    net: LoopbackNetwork, seed: int, stop: threading.Event, out: list[tuple[str, bytes]]
) -> None:
    """Master SAE: ask for keys until ``stop``; record every key of every 200 answer."""
    rng = random.Random(seed)
    url = net.url("kme-a") + "/api/v1/keys/sae-2/enc_keys"
    ctx = tls(net.root / "certs", "sae-1")
    while not stop.is_set():
        try:
            with httpx.Client(verify=ctx, timeout=5) as c:
                while not stop.is_set():
                    body = {"number": rng.randint(1, 3), "size": 256 * rng.randint(1, 2)}
                    r = c.post(url, json=body)
                    if r.status_code == 200:
                        out.extend(
                            (k["key_ID"], base64.b64decode(k["key"])) for k in r.json()["keys"]
                        )
                    elif r.status_code != 503:  # 503: the peer KME was down; else a bug
                        out.append(("unexpected", r.content))
        except httpx.TransportError:
            time.sleep(0.02)  # the KME was killed: reconnect


def check_exactly_once(net: LoopbackNetwork, delivered: list[tuple[str, bytes]]) -> None:
    assert not [d for d in delivered if d[0] == "unexpected"], "an answer other than 200/503"
    ids = [i for i, _ in delivered]
    assert len(set(ids)) == len(ids), "a key_ID was delivered to the master twice"
    assert len({k for _, k in delivered}) == len(delivered), "key material was reused"
    url = net.url("kme-b") + "/api/v1/keys/sae-1/dec_keys"
    with httpx.Client(verify=tls(net.root / "certs", "sae-2"), timeout=30) as slave:
        for start in range(0, len(delivered), 100):
            batch = delivered[start : start + 100]
            r = slave.post(url, json={"key_IDs": [{"key_ID": i} for i, _ in batch]})
            assert r.status_code == 200, r.text
            got = [(k["key_ID"], base64.b64decode(k["key"])) for k in r.json()["keys"]]
            assert got == batch, "the slave got other key material than the master"
        again = slave.post(url, json={"key_IDs": [{"key_ID": delivered[0][0]}]})
        assert again.status_code == 400


def test_sigkill_during_traffic_never_delivers_twice_or_loses_a_masters_key(
    tmp_path: Path,
) -> None:
    net = LoopbackNetwork(tmp_path, ["kme-a", "kme-b"], SAES, seed=3).write()
    net.supply_links(4000)
    delivered: list[tuple[str, bytes]] = []
    stop = threading.Event()
    rng = random.Random(11)
    with net:
        net.start()
        threads = [
            threading.Thread(target=fetch_loop, args=(net, s, stop, delivered)) for s in range(3)
        ]
        for t in threads:
            t.start()
        kills = 0
        try:
            for round_ in range(5):
                time.sleep(rng.uniform(0.2, 0.5))
                victim = net.procs["kme-a" if round_ % 2 == 0 else "kme-b"]
                victim.kill()
                kills += 1
                victim.start()
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        assert kills == 5
        assert len(delivered) > 50
        check_exactly_once(net, delivered)


def test_two_workers_and_many_clients_keep_exactly_once(tmp_path: Path) -> None:
    net = LoopbackNetwork(tmp_path, ["kme-a", "kme-b"], SAES, seed=5, workers=2).write()
    net.supply_links(3000)
    delivered: list[tuple[str, bytes]] = []
    stop = threading.Event()
    with net:
        net.start()
        threads = [
            threading.Thread(target=fetch_loop, args=(net, s, stop, delivered)) for s in range(6)
        ]
        for t in threads:
            t.start()
        time.sleep(2.0)
        stop.set()
        for t in threads:
            t.join(30)
        assert len(delivered) > 100
        check_exactly_once(net, delivered)


@pytest.mark.parametrize("signal_name", ["SIGTERM"])
def test_sigterm_shuts_down_gracefully(tmp_path: Path, signal_name: str) -> None:
    net = LoopbackNetwork(tmp_path, ["kme-a", "kme-b"], SAES).write()
    net.supply_links(10)
    net.start()
    proc = net.procs["kme-a"]
    t0 = time.monotonic()
    code = proc.stop(timeout_s=15)
    net.stop()
    assert time.monotonic() - t0 < 10
    assert code in (0, -15)  # uvicorn re-raises the SIGTERM it handled after shutting down
    assert "Traceback" not in (tmp_path / "kme-a.log").read_text()
