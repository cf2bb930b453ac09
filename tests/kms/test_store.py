"""The key store, on SQLite and on a real PostgreSQL server: exactly-once delivery, key_IDs
both KMEs derive alike, idempotent retries, sealed material at rest, every error named."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kvant.errors import (
    ConfigError,
    KeyStoreError,
    KeyUnavailableError,
    SaeAuthorizationError,
)
from kvant.kms import (
    KEY_ID_NAMESPACE,
    DeliveredKey,
    KeyStore,
    KeyUnit,
    PoolStatus,
    derive_key_id,
    kek_from_text,
    open_store,
)

KEK = bytes(range(32))
Opener = Callable[..., KeyStore]


def make_units(n: int, seed: int = 0, size: int = 32) -> list[KeyUnit]:
    """``n`` units with distinct, recognisable bytes and random UUIDs."""
    rng = random.Random(seed)
    return [KeyUnit(str(uuid.UUID(int=rng.getrandbits(128), version=4)), os.urandom(size))
            for _ in range(n)]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def open_kme(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Open stores of several KMEs on one backend (SQLite: a file each; PostgreSQL: one fresh
    database shared by the KMEs)."""
    if request.param == "sqlite":

        def url_for(kme_id: str) -> str:
            return f"sqlite:///{tmp_path / kme_id}.db"
    else:
        url = request.getfixturevalue("postgres_url")

        def url_for(kme_id: str) -> str:
            return str(url)

    opened: list[KeyStore] = []

    def opener(kme_id: str, kek: bytes = KEK, **kwargs: object) -> KeyStore:
        store = open_store(url_for(kme_id), kme_id, kek, **kwargs)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


@pytest.fixture
def pair(open_kme: Opener) -> tuple[KeyStore, KeyStore, list[KeyUnit]]:
    """KME_A and KME_B holding the same 8 units of a QKD link."""
    a, b = open_kme("KME_A"), open_kme("KME_B")
    units = make_units(8)
    assert a.supply("KME_B", units) == 8
    assert b.supply("KME_A", units) == 8
    return a, b, units


def test_master_and_slave_get_the_same_key_exactly_once(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, b, units = pair
    keys = a.take_for_master("KME_B", "SAE_1", "SAE_2", 2, 512, "r1")
    # oldest units first, two per key; key_ID = uuid5(namespace, "id1,id2") (RFC 4122, 4.3)
    assert [k.unit_ids for k in keys] == [
        (units[0].key_id, units[1].key_id), (units[2].key_id, units[3].key_id)
    ]  # fmt: skip
    assert keys[0].key == units[0].key + units[1].key
    assert keys[0].key_id == str(
        uuid.uuid5(KEY_ID_NAMESPACE, f"{units[0].key_id},{units[1].key_id}")
    )
    assert a.status("KME_B") == PoolStatus("KME_A", "KME_B", 256, 4, 0)

    b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(k.key_id, k.unit_ids) for k in keys])
    assert b.status("KME_A") == PoolStatus("KME_B", "KME_A", 256, 4, 2)
    got = b.take_for_slave("SAE_2", "SAE_1", [keys[1].key_id, keys[0].key_id])
    assert got == [keys[1], keys[0]]
    assert b.status("KME_A") == PoolStatus("KME_B", "KME_A", 256, 4, 0)
    with pytest.raises(KeyUnavailableError, match="already delivered"):
        b.take_for_slave("SAE_2", "SAE_1", [keys[0].key_id])
    # a single-unit key keeps its unit's id
    [one] = a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, "r2")
    assert (one.key_id, one.key, one.unit_ids) == (
        units[4].key_id,
        units[4].key,
        (units[4].key_id,),
    )


def test_not_enough_key_changes_nothing_and_says_how_much(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, _, _ = pair
    with pytest.raises(KeyUnavailableError, match=r"needs 9 units .* 8 are available"):
        a.take_for_master("KME_B", "SAE_1", "SAE_2", 3, 768, "r1")
    assert a.status("KME_B").stored_key_count == 8
    with pytest.raises(KeyUnavailableError, match="0 are available"):
        a.take_for_master("KME_X", "SAE_1", "SAE_2", 1, 256, "r2")
    assert len(a.take_for_master("KME_B", "SAE_1", "SAE_2", 8, 256, "r3")) == 8


def test_a_retried_request_gets_the_same_keys_never_new_ones(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, _, _ = pair
    first = a.take_for_master("KME_B", "SAE_1", "SAE_2", 2, 256, "req")
    again = a.take_for_master("KME_B", "SAE_1", "SAE_2", 2, 256, "req")
    assert again == first
    assert a.status("KME_B").stored_key_count == 6
    with pytest.raises(ConfigError, match="already used for another request"):
        a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, "req")
    pad = a.take_for_relay("KME_B", 512, "relay-1")
    assert a.take_for_relay("KME_B", 512, "relay-1") == pad
    assert a.status("KME_B").stored_key_count == 4


def test_receipts_expire_after_their_ttl(open_kme: Opener) -> None:
    a = open_kme("KME_A", receipt_ttl_s=0.2)
    a.supply("KME_B", make_units(4))
    first = a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, "req")
    time.sleep(0.3)
    later = a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, "req")
    assert len(later) == 1
    assert later[0].key_id != first[0].key_id


def test_slave_side_authorization_and_all_or_nothing(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, b, _ = pair
    k1, k2 = a.take_for_master("KME_B", "SAE_1", "SAE_2", 2, 256, "r1")
    b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(k1.key_id, k1.unit_ids)])
    with pytest.raises(SaeAuthorizationError, match="not addressed to slave SAE 'SAE_3'"):
        b.take_for_slave("SAE_3", "SAE_1", [k1.key_id])
    with pytest.raises(SaeAuthorizationError):
        b.take_for_slave("SAE_2", "SAE_9", [k1.key_id])
    # k2 not assigned at B yet: the whole request fails and k1 stays available
    with pytest.raises(KeyUnavailableError, match="not known"):
        b.take_for_slave("SAE_2", "SAE_1", [k1.key_id, k2.key_id])
    with pytest.raises(KeyUnavailableError, match="not known"):  # the master side's record
        a.take_for_slave("SAE_2", "SAE_1", [k1.key_id])
    assert b.take_for_slave("SAE_2", "SAE_1", [k1.key_id]) == [k1]
    with pytest.raises(ConfigError, match="listed twice"):
        b.take_for_slave("SAE_2", "SAE_1", [k2.key_id, k2.key_id])
    with pytest.raises(ConfigError, match="not a UUID"):
        b.take_for_slave("SAE_2", "SAE_1", ["nope"])
    with pytest.raises(ConfigError, match="empty"):
        b.take_for_slave("SAE_2", "SAE_1", [])


def test_assign_for_slave_is_checked_and_idempotent(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, b, units = pair
    [k] = a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 512, "r1")
    b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(k.key_id, k.unit_ids)])
    b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(k.key_id, k.unit_ids)])  # a retried notify
    assert b.status("KME_A").assigned_key_count == 1
    with pytest.raises(KeyUnavailableError, match="another request"):
        b.assign_for_slave("KME_A", "SAE_1", "SAE_3", [(k.key_id, k.unit_ids)])
    with pytest.raises(ConfigError, match="not derived from its unit ids"):
        b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(units[5].key_id, k.unit_ids)])
    fresh = str(uuid.uuid4())
    with pytest.raises(KeyUnavailableError, match="not in the pool"):
        b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(fresh, (fresh,))])
    # a unit already forming k cannot form another key
    ids = (k.unit_ids[0], units[6].key_id)
    with pytest.raises(KeyUnavailableError, match="not in the pool"):
        b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(derive_key_id(ids), ids)])
    assert b.status("KME_A").stored_key_count == 6  # nothing of the failed calls stuck


def test_supply_is_idempotent_even_after_use(open_kme: Opener) -> None:
    a = open_kme("KME_A")
    units = make_units(3)
    assert a.supply("KME_B", units) == 3
    assert a.supply("KME_B", units + make_units(2, seed=1)) == 2
    a.take_for_master("KME_B", "SAE_1", "SAE_2", 5, 256, "r")
    assert a.supply("KME_B", units) == 0  # used units never come back
    assert a.status("KME_B").stored_key_count == 0
    assert a.peers() == ["KME_B"]
    with pytest.raises(ConfigError, match="units are 32 bytes"):
        a.supply("KME_B", [KeyUnit(str(uuid.uuid4()), b"short")])
    uid = str(uuid.uuid4())
    with pytest.raises(ConfigError, match="twice with different key bytes"):
        a.supply("KME_B", [KeyUnit(uid, bytes(32)), KeyUnit(uid, bytes([1]) * 32)])
    with pytest.raises(ConfigError, match="KeyUnit"):
        a.supply("KME_B", [b"x" * 32])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"already stored .* as key shared with 'KME_B'"):
        a.supply("KME_C", units[:1])
    assert a.peers() == ["KME_B"]


def test_relay_pads_agree_at_both_ends_of_a_hop(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, b, units = pair
    pad_a = a.take_for_relay("KME_B", 512, "relay-1")
    pad_b = b.take_for_relay("KME_A", 512, "relay-1", pad_a.unit_ids)
    assert pad_a == pad_b
    assert pad_a.key == units[0].key + units[1].key
    with pytest.raises(KeyUnavailableError, match="not in the pool"):
        b.take_for_relay("KME_A", 512, "relay-2", pad_a.unit_ids)
    with pytest.raises(ConfigError, match="needs 2 distinct unit ids"):
        b.take_for_relay("KME_A", 512, "relay-3", [units[2].key_id])
    with pytest.raises(KeyUnavailableError, match="relay pad"):
        a.take_for_relay("KME_B", 256 * 7, "relay-4")


def test_pending_relayed_units_join_the_pool_on_commit_or_assignment(open_kme: Opener) -> None:
    # the destination of a relay keeps its units out of the pool until the origin commits them
    # (kvant.kms._relay); an assignment notice from the origin naming them commits them too
    z = open_kme("KME_Z")
    units = make_units(4, seed=5)
    ids = [u.key_id for u in units]
    assert z.supply("KME_A", units, pending=True) == 4
    assert z.supply("KME_A", units) == 0  # idempotent per id, pending or not
    assert z.status("KME_A").stored_key_count == 0
    with pytest.raises(KeyUnavailableError):
        z.take_for_master("KME_A", "SAE_9", "SAE_1", 1, 256, "r1")
    assert z.commit_units("KME_B", ids) == 0  # only the peer the units are shared with
    assert z.commit_units("KME_A", ids[:1]) == 1
    assert z.commit_units("KME_A", ids[:1]) == 0
    assert z.status("KME_A").stored_key_count == 1
    key_id = derive_key_id(ids[1:3])  # the origin, master of a key of units 1-2, tells Z
    z.assign_for_slave("KME_A", "SAE_1", "SAE_9", [(key_id, tuple(ids[1:3]))])
    [key] = z.take_for_slave("SAE_9", "SAE_1", [key_id])
    assert key.key == units[1].key + units[2].key
    assert z.status("KME_A").stored_key_count == 1  # unit 0 in the pool, unit 3 pending
    assert z.commit_units("KME_A", [ids[3], ids[2]]) == 1  # a used unit stays used
    assert z.status("KME_A").stored_key_count == 2
    with pytest.raises(ConfigError, match="sequence of unit ids"):
        z.commit_units("KME_A", ids[0])
    with pytest.raises(ConfigError, match="unit id"):
        z.commit_units("KME_A", ["not-a-uuid"])


@pytest.mark.parametrize(
    ("number", "size", "match"),
    [(0, 256, "number"), (1, 100, "multiple"), (1, 0, "positive"), (True, 256, "number")],
)
def test_bad_requests_are_refused(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]], number: int, size: int, match: str
) -> None:
    a, _, _ = pair
    with pytest.raises(ConfigError, match=match):
        a.take_for_master("KME_B", "SAE_1", "SAE_2", number, size, "r")
    with pytest.raises(ConfigError, match="non-empty"):
        a.take_for_master("KME_B", "", "SAE_2", 1, 256, "r")


def test_material_at_rest_is_sealed_under_the_kek(open_kme: Opener) -> None:
    a = open_kme("KME_A")
    assert isinstance(a, KeyStore)
    [unit] = make_units(1)
    a.supply("KME_B", [unit])
    [(sealed,)] = _rows(a, "SELECT material FROM kvant_kms_units")
    sealed = bytes(sealed)
    assert unit.key not in sealed
    assert len(sealed) == 12 + 32 + 16
    # the documented format, opened independently: nonce || AES-256-GCM(ct || tag), AD kme\0id
    plain = AESGCM(KEK).decrypt(sealed[:12], sealed[12:], b"KME_A\x00" + unit.key_id.encode())
    assert plain == unit.key


def _rows(store: KeyStore, sql: str) -> list[tuple[object, ...]]:
    path = getattr(store, "path", None)
    if path is not None:
        with sqlite3.connect(path) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(store.url) as conn:  # type: ignore[attr-defined]
        return conn.execute(sql).fetchall()


def test_a_wrong_kek_or_unit_size_is_refused(open_kme: Opener) -> None:
    a = open_kme("KME_A")
    a.supply("KME_B", make_units(2))
    a.close()
    a.close()  # idempotent
    with pytest.raises(KeyStoreError, match="closed"):
        a.status("KME_B")
    with pytest.raises(KeyStoreError, match="key-encryption key"):
        open_kme("KME_A", kek=bytes(32))
    with pytest.raises(KeyStoreError, match="unit_size_bits=256"):
        open_kme("KME_A", unit_size_bits=512)
    assert open_kme("KME_A").status("KME_B").stored_key_count == 2


def test_threads_sharing_one_store_never_get_the_same_unit(open_kme: Opener) -> None:
    a = open_kme("KME_A")
    a.supply("KME_B", make_units(120))
    got: list[list[DeliveredKey]] = [[] for _ in range(4)]

    def worker(i: int) -> None:
        for n in range(40):
            try:
                got[i] += a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, f"{i}-{n}")
            except KeyUnavailableError:
                break

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [k.key_id for keys in got for k in keys]
    assert len(ids) == len(set(ids)) == 120


def test_bad_urls_and_arguments(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not supported"):
        open_store("mysql://kme@db/kms", "KME_A", KEK)
    with pytest.raises(ConfigError, match="sqlite:///"):
        open_store("sqlite://relative.db", "KME_A", KEK)
    with pytest.raises(ConfigError, match="names no file"):
        open_store("sqlite:///", "KME_A", KEK)
    with pytest.raises(ConfigError, match="empty"):
        open_store("  ", "KME_A", KEK)
    with pytest.raises(KeyStoreError, match="in-memory"):
        open_store(":memory:", "KME_A", KEK)
    with pytest.raises(KeyStoreError, match="does not exist"):
        open_store(tmp_path / "no" / "such.db", "KME_A", KEK)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(KeyStoreError, match="cannot open"):
        open_store(junk, "KME_A", KEK)
    with pytest.raises(KeyStoreError, match=r"kme:\*\*\*@127\.0\.0\.1:1/"):
        open_store("postgresql://kme:secret@127.0.0.1:1/kms", "KME_A", KEK)
    with pytest.raises(ConfigError, match="32 bytes"):
        open_store(tmp_path / "a.db", "KME_A", b"short")
    with pytest.raises(ConfigError, match="multiple of 8"):
        open_store(tmp_path / "a.db", "KME_A", KEK, unit_size_bits=12)
    with pytest.raises(ConfigError, match="kme_id"):
        open_store(tmp_path / "a.db", " ", KEK)
    with pytest.raises(ConfigError, match="str or Path"):
        open_store(42, "KME_A", KEK)  # type: ignore[arg-type]
    assert not (tmp_path / "a.db").exists()
    with pytest.raises(ConfigError, match="64 hex digits"):
        kek_from_text("abc")
    assert kek_from_text(KEK.hex()) == KEK


def test_values_round_trip_and_hide_key_material() -> None:
    unit = KeyUnit(str(uuid.uuid4()), b"\xab" * 32)
    key = DeliveredKey(unit.key_id, unit.key, (unit.key_id,))
    status = PoolStatus("KME_A", "KME_B", 256, 3, 1)
    assert KeyUnit.from_dict(unit.to_dict()) == unit
    assert DeliveredKey.from_dict(key.to_dict()) == key
    assert PoolStatus.from_dict(status.to_dict()) == status
    assert "ab" * 4 not in repr(unit) + repr(key)
    assert key.size_bits == 256
    with pytest.raises(ConfigError, match="missing"):
        KeyUnit.from_dict({"key_id": unit.key_id})
    with pytest.raises(ConfigError, match="base64"):
        KeyUnit.from_dict({"key_id": unit.key_id, "key": "***"})
    with pytest.raises(ConfigError, match="at least one"):
        derive_key_id([])


def test_group_commit_keeps_each_operation_atomic(open_kme: Opener) -> None:
    a = open_kme("KME_A", group_commit=True)
    a.supply("KME_B", make_units(40))
    barrier = threading.Barrier(8)
    outcome: dict[int, object] = {}

    def worker(i: int) -> None:
        barrier.wait()
        try:  # odd workers ask for more than there is: they fail, alone
            outcome[i] = a.take_for_master("KME_B", "SAE_1", "SAE_2", 1 if i % 2 == 0 else 99,
                                           256, f"r{i}")  # fmt: skip
        except KeyUnavailableError as exc:
            outcome[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(outcome[i], KeyUnavailableError) for i in (1, 3, 5, 7))
    ids = [k.key_id for i in (0, 2, 4, 6) for k in outcome[i]]  # type: ignore[attr-defined]
    assert len(set(ids)) == 4
    assert a.status("KME_B").stored_key_count == 36


def test_without_postgres_binaries_the_tests_say_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from . import _postgres_server as pg

    monkeypatch.setattr(pg, "find_postgres_bin", lambda: None)
    with pytest.raises(FileNotFoundError, match="pip install pgserver"):
        pg.start_server()


def test_racing_retries_of_one_request_get_one_answer(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, b, _ = pair
    barrier = threading.Barrier(4)
    answers: list[object] = []

    def master() -> None:
        barrier.wait()
        answers.append(a.take_for_master("KME_B", "SAE_1", "SAE_2", 2, 256, "same-request"))

    threads = [threading.Thread(target=master) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4
    assert all(x == answers[0] for x in answers)
    assert a.status("KME_B").stored_key_count == 6

    keys: list[DeliveredKey] = answers[0]  # type: ignore[assignment]
    notice = [(k.key_id, k.unit_ids) for k in keys]
    errors: list[BaseException] = []

    def notify() -> None:
        barrier.wait()
        try:
            b.assign_for_slave("KME_A", "SAE_1", "SAE_2", notice)
        except BaseException as exc:  # collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=notify) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert b.status("KME_A").assigned_key_count == 2
    assert b.take_for_slave("SAE_2", "SAE_1", [k.key_id for k in keys]) == keys


def test_sealed_material_moved_to_another_row_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    a = open_store(path, "KME_A", KEK)
    u1, u2 = make_units(2)
    a.supply("KME_B", [u1, u2])
    with sqlite3.connect(path) as conn:  # an attacker with the file swaps two sealed units
        conn.execute(
            "UPDATE kvant_kms_units SET material = (SELECT material FROM kvant_kms_units "
            "WHERE unit_id = ?) WHERE unit_id = ?",
            (u2.key_id, u1.key_id),
        )
    with pytest.raises(KeyStoreError, match="does not decrypt"):
        a.take_for_master("KME_B", "SAE_1", "SAE_2", 1, 256, "r")
    assert a.status("KME_B").stored_key_count == 2  # nothing was taken
    a.close()


def test_supply_cursor_moves_forward_with_the_units(open_kme: Opener) -> None:
    a = open_kme("KME_A")
    assert a.supply_cursor("link-1") == 0
    assert a.supply("KME_B", make_units(3), cursor=("link-1", 3)) == 3
    assert a.supply("KME_B", [], cursor=("link-1", 2)) == 0  # never moves back
    assert a.supply_cursor("link-1") == 3
    assert a.supply("KME_B", make_units(2, seed=5), cursor=("link-1", 5)) == 2
    assert (a.supply_cursor("link-1"), a.supply_cursor("link-2")) == (5, 0)
    with pytest.raises(ConfigError, match="cursor index"):
        a.supply("KME_B", [], cursor=("link-1", -1))
    # a failed supply does not move the cursor either (one transaction)
    with pytest.raises(ConfigError, match="already stored"):
        a.supply("KME_C", make_units(1), cursor=("link-1", 9))
    assert a.supply_cursor("link-1") == 5


def test_take_for_slave_with_a_request_id_is_idempotent_and_still_once(
    pair: tuple[KeyStore, KeyStore, list[KeyUnit]],
) -> None:
    a, b, _ = pair
    keys = a.take_for_master("KME_B", "SAE_1", "SAE_2", 2, 256, "m1")
    b.assign_for_slave("KME_A", "SAE_1", "SAE_2", [(k.key_id, k.unit_ids) for k in keys])
    ids = [k.key_id for k in keys]
    first = b.take_for_slave("SAE_2", "SAE_1", ids, "s1")
    assert first == keys
    assert b.take_for_slave("SAE_2", "SAE_1", ids, "s1") == keys  # the lost answer, again
    with pytest.raises(KeyUnavailableError, match="already delivered"):
        b.take_for_slave("SAE_2", "SAE_1", ids, "s2")  # a new request: delivered once only
    with pytest.raises(ConfigError, match="already used"):
        b.take_for_slave("SAE_2", "SAE_1", ids[:1], "s1")  # same id, other arguments
    with pytest.raises(ConfigError, match="already used"):
        b.take_for_slave("SAE_3", "SAE_1", ids, "s1")  # another slave's arguments
