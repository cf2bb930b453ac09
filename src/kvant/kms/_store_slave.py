"""The slave side of the SQL key store: assigning notified keys and delivering them.

When the master SAE's KME hands keys to its SAE, it tells the slave SAE's KME which units form
which key_ID (:func:`assign`); the slave SAE later fetches them by key_ID (:func:`deliver`).
Both run inside one transaction of :class:`~kvant.kms._store_sql.SqlKeyStore`; rows are locked
in a fixed order (by id) so concurrent calls cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kvant.errors import ConfigError, KeyStoreError, KeyUnavailableError, SaeAuthorizationError
from kvant.kms._crypto_at_rest import KeyWrapper
from kvant.kms._store import DeliveredKey, canonical_uuid, derive_key_id
from kvant.kms._store_schema import (
    ASSIGNED,
    PENDING,
    POOL,
    TO_MASTER,
    TO_SLAVE,
    USED,
    WAITING_SLAVE,
    ContentionError,
    Tx,
    chunks,
    marks,
)

__all__ = ["assign", "deliver", "parse_key_ids", "parse_notice"]


def parse_notice(keys: Sequence[tuple[str, Sequence[str]]]) -> dict[str, tuple[str, ...]]:
    """Check a master KME's notice: ``(key_id, unit_ids)`` pairs, each key_ID derived from its
    units, no key or unit listed twice. Returns key_ID -> unit ids.

    Raises:
        ConfigError: for anything malformed (names what and how to fix it).
    """
    wanted: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for item in keys:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise ConfigError("keys must be (key_id, unit_ids) pairs")
        kid = canonical_uuid(item[0])
        ids = tuple(canonical_uuid(u, "unit id") for u in item[1])
        if derive_key_id(ids) != kid:
            raise ConfigError(
                f"key_ID {kid} is not derived from its unit ids {list(ids)}; send the "
                "key_ID and unit ids exactly as the master KME made them"
            )
        if kid in wanted:
            raise ConfigError(f"key_ID {kid} is listed twice; list each key once")
        for uid in ids:
            if owner.setdefault(uid, kid) != kid:
                raise ConfigError(f"unit {uid} is listed in two keys; a unit forms one key")
        wanted[kid] = ids
    return wanted


def parse_key_ids(key_ids: Sequence[str]) -> list[str]:
    """Check the key_IDs of a dec_keys request: UUIDs, at least one, none twice.

    Raises:
        ConfigError: for anything malformed.
    """
    if isinstance(key_ids, str):
        raise ConfigError("key_ids must be a sequence of key_ID texts, not one string")
    kids = [canonical_uuid(k) for k in key_ids]
    if not kids:
        raise ConfigError("key_ids is empty; name at least one key_ID")
    if len(set(kids)) != len(kids):
        raise ConfigError("a key_ID is listed twice; list each key_ID once")
    return kids


def assign(
    tx: Tx,
    kme_id: str,
    for_update: str,
    peer: str,
    pair: tuple[str, str],
    wanted: dict[str, tuple[str, ...]],
) -> None:
    """Record each key of ``wanted`` (key_ID -> unit ids) as assigned to the SAE ``pair``
    (master, slave) and mark its units; keys already recorded alike are skipped.

    Raises:
        KeyUnavailableError: a key recorded otherwise, or a unit not in the pool (nor pending).
    """
    master, slave = pair
    owner = {u: kid for kid, ids in wanted.items() for u in ids}
    known: dict[str, tuple[str, str, str, str, int]] = {}
    kids = list(wanted)
    for part in chunks(kids):
        for r in tx.rows(
            "SELECT key_id, peer_kme_id, master_sae_id, slave_sae_id, unit_ids, state "
            "FROM kvant_kms_keys WHERE kme_id = ? AND key_id IN " + marks(len(part)),
            (kme_id, *part),
        ):
            known[str(r[0])] = (str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]))
    todo: dict[str, tuple[str, ...]] = {}
    for kid, ids in wanted.items():
        if kid not in known:
            todo[kid] = ids
            continue
        k_peer, k_master, k_slave, k_units, k_state = known[kid]
        if (k_peer, k_master, k_slave, k_units) != (peer, master, slave, ",".join(ids)):
            raise KeyUnavailableError(
                f"key_ID {kid} is already recorded at {kme_id!r} for another "
                "request; the master KME must use fresh key"
            )
        if k_state == TO_MASTER:
            raise KeyUnavailableError(
                f"key_ID {kid} was delivered to a master SAE at {kme_id!r}; it "
                "cannot also be assigned here"
            )
    unit_ids = sorted(u for ids in todo.values() for u in ids)
    rows: dict[str, tuple[Any, str, int, str | None]] = {}
    for part in chunks(unit_ids):
        for r in tx.rows(
            "SELECT seq, unit_id, peer_kme_id, state, key_id FROM kvant_kms_units WHERE "
            "kme_id = ? AND unit_id IN " + marks(len(part)) + " ORDER BY unit_id" + for_update,
            (kme_id, *part),
        ):
            rows[str(r[1])] = (r[0], str(r[2]), int(r[3]), r[4])
    # a pending relayed unit counts as in the pool: the master KME names only units it holds,
    # and the origin of a relay holds them only once it has stored them (all a commit says)
    bad = [
        u for u in unit_ids if u not in rows or rows[u][1:3] not in ((peer, POOL), (peer, PENDING))
    ]
    if bad:
        # a concurrent call that assigned the same key first: retry, then it is a no-op
        raced = all(u in rows and rows[u][2:] == (ASSIGNED, owner[u]) for u in bad)
        raise KeyUnavailableError(
            f"{len(bad)} of {len(unit_ids)} units (first: {bad[0]}) are not in the pool "
            f"of key shared between {kme_id!r} and {peer!r} (not arrived yet, "
            "already used or assigned); retry once key supply has caught up"
        ) from (ContentionError() if raced else None)
    tx.many(
        "UPDATE kvant_kms_units SET state = ?, key_id = ? WHERE kme_id = ? AND seq = ?",
        [(ASSIGNED, kid, kme_id, rows[u][0]) for kid, ids in todo.items() for u in ids],
    )
    tx.many(
        "INSERT INTO kvant_kms_keys (kme_id, key_id, peer_kme_id, master_sae_id, "
        "slave_sae_id, unit_ids, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (kme_id, kid, peer, master, slave, ",".join(ids), WAITING_SLAVE)
            for kid, ids in todo.items()
        ],
    )


def deliver(
    tx: Tx,
    kme_id: str,
    for_update: str,
    wrapper: KeyWrapper,
    pair: tuple[str, str],
    kids: list[str],
) -> list[DeliveredKey]:
    """Hand the assigned keys ``kids`` to the slave of SAE ``pair`` (master, slave), in order,
    and delete their material.

    Raises:
        KeyUnavailableError: a key_ID unknown here, not assigned yet, or already delivered.
        SaeAuthorizationError: a key_ID assigned to another pair.
    """
    master, slave = pair
    found: dict[str, tuple[str, str, str, int]] = {}
    for part in chunks(sorted(kids)):
        for r in tx.rows(
            "SELECT key_id, master_sae_id, slave_sae_id, unit_ids, state FROM "
            "kvant_kms_keys WHERE kme_id = ? AND key_id IN "
            + marks(len(part))
            + " ORDER BY key_id"
            + for_update,
            (kme_id, *part),
        ):
            found[str(r[0])] = (str(r[1]), str(r[2]), str(r[3]), int(r[4]))
    for kid in kids:
        if kid not in found or found[kid][3] == TO_MASTER:
            raise KeyUnavailableError(
                f"key_ID {kid} is not known at {kme_id!r} (not assigned by the "
                "master's KME yet, or not addressed to this KME); check the key_ID"
            )
        k_master, k_slave, _, state = found[kid]
        if (k_master, k_slave) != (master, slave):
            raise SaeAuthorizationError(
                f"key_ID {kid} is not addressed to slave SAE {slave!r} from master SAE "
                f"{master!r}; an SAE may fetch only keys addressed to it"
            )
        if state == TO_SLAVE:
            raise KeyUnavailableError(
                f"key_ID {kid} was already delivered to {slave!r}; a key is delivered "
                "once — ask the master SAE for a new key"
            )
    units: dict[str, tuple[Any, bytes]] = {}
    all_ids = [u for kid in kids for u in found[kid][2].split(",")]
    for part in chunks(all_ids):
        for r in tx.rows(
            "SELECT seq, unit_id, material, state FROM kvant_kms_units WHERE "
            "kme_id = ? AND unit_id IN " + marks(len(part)),
            (kme_id, *part),
        ):
            if int(r[3]) != ASSIGNED or r[2] is None:  # pragma: no cover - corruption
                raise KeyStoreError(f"unit {r[1]} of an assigned key has no material")
            units[str(r[1])] = (r[0], wrapper.open(bytes(r[2]), str(r[1])))
    out = []
    for kid in kids:
        ids = tuple(found[kid][2].split(","))
        out.append(DeliveredKey(kid, b"".join(units[u][1] for u in ids), ids))
    tx.many(
        "UPDATE kvant_kms_units SET state = ?, material = NULL WHERE kme_id = ? AND seq = ?",
        [(USED, kme_id, units[u][0]) for u in all_ids],
    )
    tx.many(
        "UPDATE kvant_kms_keys SET state = ? WHERE kme_id = ? AND key_id = ?",
        [(TO_SLAVE, kme_id, kid) for kid in kids],
    )
    return out
