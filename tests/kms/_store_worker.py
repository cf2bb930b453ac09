"""A child process for the store concurrency and crash tests (run as a script).

``master URL_A URL_B COUNT OUT [GO]``: as a master KME would, COUNT times take one 256-bit key for
SAE_1 -> SAE_2 at KME_A, tell KME_B (``assign_for_slave``), then append ``key_id key_hex`` to
OUT ("handed to the master SAE"); stops when KME_A runs out of key.

``slave URL_B SEED KEY_IDS OUT [GO]``: try to fetch each key_ID listed in the file KEY_IDS (in an
order shuffled by SEED) for SAE_2 at KME_B, one call each, appending what it got to OUT.

With GO, the worker opens its stores, creates ``OUT.ready`` and waits for the file GO before
it starts, so that several workers really run at the same time. The KEK is the fixed test KEK
``bytes(range(32))``.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from pathlib import Path

from kvant.errors import KeyUnavailableError
from kvant.kms import open_store

KEK = bytes(range(32))


def wait_for_go(out: str, go: str | None) -> None:
    if go is None:
        return
    Path(out + ".ready").touch()
    deadline = time.monotonic() + 120
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no GO file within 120 s")
        time.sleep(0.005)


def master(url_a: str, url_b: str, count: int, out: str, go: str | None = None) -> None:
    a = open_store(url_a, "KME_A", KEK)
    b = open_store(url_b, "KME_B", KEK)
    wait_for_go(out, go)
    with open(out, "a", buffering=1) as log:
        for _ in range(count):
            try:
                [key] = a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, str(uuid.uuid4()))
            except KeyUnavailableError:
                break
            b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(key.key_id, key.unit_ids)])
            log.write(f"{key.key_id} {key.key.hex()}\n")
    a.close()
    b.close()


def slave(url_b: str, seed: int, key_ids_file: str, out: str, go: str | None = None) -> None:
    b = open_store(url_b, "KME_B", KEK)
    wait_for_go(out, go)
    with open(key_ids_file) as f:
        ids = f.read().split()
    random.Random(seed).shuffle(ids)
    with open(out, "a", buffering=1) as log:
        for kid in ids:
            try:
                [key] = b.take_for_slave("SAE_2", "SAE_1", [kid])
            except KeyUnavailableError:
                continue
            log.write(f"{key.key_id} {key.key.hex()}\n")
    b.close()


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "master":
        master(args[0], args[1], int(args[2]), args[3], *args[4:5])
    elif mode == "slave":
        slave(args[0], int(args[1]), args[2], args[3], *args[4:5])
    else:
        raise SystemExit(f"unknown mode {mode!r}; use 'master' or 'slave'")
