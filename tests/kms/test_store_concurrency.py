"""Several OS processes hammer one store (an SQLite file, a PostgreSQL database): every unit
is handed to exactly one master and every key to exactly one slave, none lost, none twice."""

from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from kvant.kms import KeyUnit, open_store

WORKER = Path(__file__).with_name("_store_worker.py")
KEK = bytes(range(32))
UNITS = 150
WORKERS = 3


def read_log(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    return [tuple(line.split()) for line in path.read_text().splitlines()]  # type: ignore[misc]


def run_workers(argvs: list[list[str]], go: Path) -> None:
    """Start the workers, wait until each is ready, then let them all go at once."""
    procs = [subprocess.Popen([sys.executable, str(WORKER), *argv, str(go)]) for argv in argvs]
    deadline = time.monotonic() + 120
    while not all(Path(argv[-1] + ".ready").exists() for argv in argvs):
        assert all(p.poll() is None for p in procs), "a worker died before it was ready"
        assert time.monotonic() < deadline, "the workers were not ready within 120 s"
        time.sleep(0.01)
    go.touch()
    for proc in procs:
        assert proc.wait(timeout=240) == 0


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    url = str(request.getfixturevalue("postgres_url"))
    return url, url  # both KMEs in one database: rows are kept apart by kme_id


def test_processes_deliver_every_unit_exactly_once(urls: tuple[str, str], tmp_path: Path) -> None:
    url_a, url_b = urls
    rng = random.Random(3)
    units = [
        KeyUnit(str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.randbytes(32))
        for _ in range(UNITS)
    ]
    for url, me, peer in ((url_a, "KME_A", "KME_B"), (url_b, "KME_B", "KME_A")):
        store = open_store(url, me, KEK)
        assert store.supply(peer, units) == UNITS
        store.close()

    # masters: together they ask for more than the pool holds
    logs = [tmp_path / f"master{i}.log" for i in range(WORKERS)]
    run_workers([["master", url_a, url_b, str(UNITS), str(log)] for log in logs], tmp_path / "go1")
    delivered = [row for log in logs for row in read_log(log)]
    assert sum(bool(read_log(log)) for log in logs) >= 2  # they really competed
    assert Counter(k for k, _ in delivered).most_common(1)[0][1] == 1
    assert dict(delivered) == {u.key_id: u.key.hex() for u in units}

    # slaves: each tries to fetch every key; each key goes to exactly one of them
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(k for k, _ in delivered))
    slave_logs = [tmp_path / f"slave{i}.log" for i in range(WORKERS)]
    run_workers(
        [["slave", url_b, str(i), str(ids_file), str(log)] for i, log in enumerate(slave_logs)],
        tmp_path / "go2",
    )
    fetched = [row for log in slave_logs for row in read_log(log)]
    assert sorted(fetched) == sorted(delivered)

    a, b = open_store(url_a, "KME_A", KEK), open_store(url_b, "KME_B", KEK)
    assert a.status("KME_B").stored_key_count == 0
    assert (b.status("KME_A").stored_key_count, b.status("KME_A").assigned_key_count) == (0, 0)
    a.close()
    b.close()
