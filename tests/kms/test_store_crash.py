"""Crash safety: a child process taking keys is killed with SIGKILL again and again, mid
transaction; afterwards every unit is in exactly one state, no key was handed out twice, and
every key handed to a master SAE can still be fetched, once, by the slave SAE."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kvant.errors import KeyUnavailableError
from kvant.kms import KeyUnit, open_store

WORKER = Path(__file__).with_name("_store_worker.py")
KEK = bytes(range(32))
UNITS = 6000
KILLS = 6


def rows(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of a query on the store's database, read directly (not through the store)."""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as conn:
            return conn.execute(sql, params).fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql.replace("?", "%s"), params).fetchall()


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    url = str(request.getfixturevalue("postgres_url"))
    return url, url


def test_sigkill_mid_transaction_loses_nothing_and_duplicates_nothing(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    url_a, url_b = urls
    rng = random.Random(9)
    units = [KeyUnit(str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.randbytes(32))
             for _ in range(UNITS)]  # fmt: skip
    for url, me, peer in ((url_a, "KME_A", "KME_B"), (url_b, "KME_B", "KME_A")):
        store = open_store(url, me, KEK)
        store.supply(peer, units)
        store.close()

    log = tmp_path / "master.log"
    log.touch()
    killed_running = 0
    for _ in range(KILLS):
        before = len(log.read_bytes())
        proc = subprocess.Popen([sys.executable, str(WORKER), "master", url_a, url_b, "100000",
                                 str(log)])  # fmt: skip
        deadline = time.monotonic() + 120
        while len(log.read_bytes()) == before and proc.poll() is None:  # wait for its first key
            assert time.monotonic() < deadline, "the worker delivered no key within 120 s"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.02, 0.3))  # then kill it somewhere in its loop
        killed_running += proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert killed_running == KILLS  # every kill hit a process in the middle of its loop

    lines = [line.split() for line in log.read_text().splitlines() if line.strip()]
    logged = {kid: key for kid, key, *_ in (ln for ln in lines if len(ln) == 2)}
    assert len(logged) >= KILLS  # each run handed out at least one key before its kill
    assert len(logged) >= len(lines) - KILLS  # at most one torn line per kill
    assert len({ln[0] for ln in lines if len(ln) == 2}) == len([ln for ln in lines if len(ln) == 2])

    by_id = {u.key_id: u.key.hex() for u in units}
    assert all(by_id[kid] == key for kid, key in logged.items())

    # KME_A: each unit is in the pool or used by exactly one key delivered to the master
    a_units = rows(url_a, "SELECT unit_id, state, key_id FROM kvant_kms_units WHERE kme_id = ?",
                   "KME_A")  # fmt: skip
    assert len(a_units) == UNITS
    assert {s for _, s, _ in a_units} <= {0, 2}
    used = {u: k for u, s, k in a_units if s == 2}
    assert all(k is None for _, s, k in a_units if s == 0)
    a_keys = dict(rows(url_a, "SELECT key_id, state FROM kvant_kms_keys WHERE kme_id = ?", "KME_A"))
    assert set(used.values()) == set(a_keys)
    assert set(a_keys.values()) == {1}
    assert set(logged) <= set(a_keys)

    # KME_B: what it was told is a subset of what A delivered; at most one key per kill was
    # taken at A but never announced to B (the master SAE never got it)
    b_keys = dict(rows(url_b, "SELECT key_id, state FROM kvant_kms_keys WHERE kme_id = ?", "KME_B"))
    assert set(logged) <= set(b_keys) <= set(a_keys)
    assert len(set(a_keys) - set(b_keys)) <= KILLS

    if url_a.startswith("sqlite"):
        for url in (url_a, url_b):
            assert rows(url, "PRAGMA integrity_check") == [("ok",)]

    # the slave gets every announced key exactly once, with the master's bytes
    b = open_store(url_b, "KME_B", KEK)
    got = b.take_for_slave("SAE_2", "SAE_1", sorted(b_keys))
    assert {k.key_id: k.key.hex() for k in got} == {kid: by_id[kid] for kid in b_keys}
    with pytest.raises(KeyUnavailableError, match="already delivered"):
        b.take_for_slave("SAE_2", "SAE_1", [next(iter(logged))])
    b.close()

    # and the store carries on where it stopped
    a = open_store(url_a, "KME_A", KEK)
    assert a.status("KME_B").stored_key_count == UNITS - len(used)
    [key] = a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, "after-the-crashes")
    assert key.key_id not in a_keys
    a.close()
