"""Trusted-node key relay between KMEs that share no QKD link.

Route ``A -> B -> ... -> Z`` (every consecutive pair shares a QKD link). The relayed key ``K`` is
the link key of the first hop: A takes ``k_AB`` (``take_for_relay``) and tells B only the unit
ids. Each trusted node X with predecessor W and successor Y takes the same ``k_WX`` units, recovers
``K`` and sends ``K XOR k_XY`` (a one-time pad with fresh link key, ``take_for_relay``) and the
ids of the ``k_XY`` units to Y. The destination recovers ``K`` and stores it as key shared with A
*pending*: outside its pool. A stores it once the destination has answered, then *commits* the
relay (``POST /kme/v1/relay/commit``, straight to the destination), which puts the pending units
in the destination's pool. This is the hop-by-hop one-time-pad relay of trusted-node QKD
networks (Elliott, "Building the quantum network", New J. Phys. 4, 46 (2002); ITU-T Y.3803
(2020), key relay), where every trusted node sees ``K``.

Why pending: if A dies, or its hop times out, after the destination stored ``K`` but before A
stored it, the destination would otherwise hold units that A lacks; it would hand them to its
master SAEs and A could never serve them to the slave. Pending units are never handed out by
the destination, so such a relay only costs link key. The commit is a hint, not a condition:
A names units only once it holds them, so an assignment notice from A that names pending units
commits them too (if the commit message is lost, A's own key requests still go through).

Every step is idempotent under the same ``relay_id`` (the store keeps a receipt for each pad it
hands out, and ``supply`` ignores unit ids it has seen), so a relay interrupted anywhere can be
retried with the same id and consumes no more link key.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool

from kvant.errors import ConfigError, KeyUnavailableError, KmsError, SaeAuthorizationError
from kvant.kms._config import KmeConfig
from kvant.kms._peers import PeerClient
from kvant.kms._store import KeyStore, KeyUnit

__all__ = [
    "COMMIT_ATTEMPTS",
    "RELAY_NAMESPACE",
    "commit_relay",
    "handle_hop",
    "originate_relay",
    "relay_unit_ids",
    "xor_bytes",
]

COMMIT_ATTEMPTS = 3
"""Tries of a relay commit before the origin leaves the units pending at the destination."""
_log = logging.getLogger("kvant.kms")

RELAY_NAMESPACE = uuid.UUID("6f1b9b5e-0c1a-5d2e-9a57-3f0e4c1d2b7a")
"""Namespace of the unit ids of relayed key: ``uuid5(RELAY_NAMESPACE, f"{relay_id}/{index}")``."""


def relay_unit_ids(relay_id: str, count: int) -> list[str]:
    """Ids of the ``count`` units a relay creates; both end KMEs derive the same ones.

    >>> relay_unit_ids("r1", 2) == relay_unit_ids("r1", 2) != relay_unit_ids("r2", 2)
    True
    """
    return [str(uuid.uuid5(RELAY_NAMESPACE, f"{relay_id}/{i}")) for i in range(count)]


def xor_bytes(a: bytes, b: bytes) -> bytes:
    """Bytewise XOR of two equal-length byte strings (one big-integer operation, no loop).

    >>> xor_bytes(b"\\x0f\\xf0", b"\\xff\\xff")
    b'\\xf0\\x0f'
    """
    if len(a) != len(b):
        raise ConfigError(f"cannot XOR {len(a)} bytes with {len(b)} bytes; lengths must match")
    n = len(a)
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(n, "big")


def _units(key: bytes, ids: list[str], unit_bytes: int) -> list[KeyUnit]:
    return [KeyUnit(u, key[i * unit_bytes : (i + 1) * unit_bytes]) for i, u in enumerate(ids)]


async def originate_relay(
    config: KmeConfig, store: KeyStore, peers: PeerClient, destination: str, size_bits: int
) -> int:
    """Obtain ``size_bits`` of key shared with the far KME ``destination`` by relay.

    Args:
        config: This KME's configuration (the route is ``peer.via + [destination]``).
        store: This KME's store.
        peers: Client to the peer KMEs.
        destination: A far peer (one with ``via``).
        size_bits: How much key to relay (a multiple of the unit size).

    Returns:
        The number of units added to the pool shared with ``destination``.

    Raises:
        ConfigError: ``destination`` is not a far peer, or a bad size.
        KeyUnavailableError: a link on the route has too little key.
        KmsError: a KME on the route is unreachable or refused.

    >>> import asyncio
    >>> from pathlib import Path
    >>> from kvant.kms import KmeConfig, PeerConfig, TlsConfig
    >>> cfg = KmeConfig("kme-a", TlsConfig(Path("a.pem"), Path("a.key"), Path("ca.pem")),
    ...     "a.db", peers=(PeerConfig("kme-b", "https://127.0.0.1:9444"),))
    >>> asyncio.run(originate_relay(cfg, None, None, "kme-b", 256))  # type: ignore[arg-type]
    Traceback (most recent call last):
    ...
    kvant.errors.ConfigError: kme-b is a QKD neighbour of kme-a; nothing to relay
    """
    peer = config.peer(destination)
    if peer.neighbour:
        raise ConfigError(f"{destination} is a QKD neighbour of {config.kme_id}; nothing to relay")
    unit = store.unit_size_bits
    if size_bits <= 0 or size_bits % unit:
        raise ConfigError(f"relay size must be a positive multiple of {unit} bits, got {size_bits}")
    relay_id = str(uuid.uuid4())
    route = [*peer.via, destination]
    pad = await run_in_threadpool(store.take_for_relay, route[0], size_bits, relay_id + ":out")
    hop = {
        "relay_ID": relay_id,
        "origin_KME_ID": config.kme_id,
        "destination_KME_ID": destination,
        "route": route,
        "size": size_bits,
        "unit_IDs": list(pad.unit_ids),
        "payload": None,
    }
    result = await peers.relay_hop(route[0], hop)
    ids = relay_unit_ids(relay_id, size_bits // unit)
    if result.get("unit_IDs") != ids:
        raise KeyUnavailableError(
            f"relay {relay_id}: {destination} stored other unit ids than expected; "
            "check both KMEs run the same Kvant version"
        )
    added = await run_in_threadpool(store.supply, destination, _units(pad.key, ids, unit // 8))
    for attempt in range(COMMIT_ATTEMPTS):
        try:
            await peers.relay_commit(destination, relay_id, ids)
            break
        except KmsError as exc:  # the units stay pending there until this KME names them
            if attempt == COMMIT_ATTEMPTS - 1:
                _log.warning("relay %s: commit to %s failed: %s", relay_id, destination, exc)
            else:
                await asyncio.sleep(0.2 * 2**attempt)
    return added


async def commit_relay(
    config: KmeConfig, store: KeyStore, caller: str, commit: dict[str, Any]
) -> dict[str, Any]:
    """The origin ``caller`` of a relay to this KME has stored its units: put the pending
    units in the pool (idempotent).

    Returns:
        ``{"relay_ID", "committed"}``: how many units joined the pool now.

    Raises:
        SaeAuthorizationError: ``caller`` is not a peer of this KME.
        ConfigError: the unit ids are not those of the relay (:func:`relay_unit_ids`).
    """
    try:
        config.peer(caller)
    except ConfigError:
        raise SaeAuthorizationError(f"{caller} is not a peer of {config.kme_id}") from None
    relay_id, ids = commit["relay_ID"], list(commit["unit_IDs"])
    if not relay_id or ids != relay_unit_ids(relay_id, len(ids)):
        raise ConfigError(
            f"unit_IDs are not the units of relay {relay_id!r}; send the ids the relay's "
            "destination answered (relay_unit_ids)"
        )
    committed = await run_in_threadpool(store.commit_units, caller, ids)
    return {"relay_ID": relay_id, "committed": committed}


async def handle_hop(
    config: KmeConfig, store: KeyStore, peers: PeerClient, caller: str, hop: dict[str, Any]
) -> dict[str, Any]:
    """Process a relay hop received from the neighbour ``caller``; forward it or store the key.

    Returns:
        ``{"relay_ID", "unit_IDs"}``: the ids the destination stored the relayed key under.

    Raises:
        SaeAuthorizationError: ``caller`` is not a QKD neighbour of this KME, sends a first hop
            for another origin, or delivers key from an origin whose configured route to this
            KME does not end at ``caller``.
        ConfigError: the hop is not addressed to this KME or is malformed.
        KeyUnavailableError: a pad is not available.
    """
    me = config.kme_id
    try:
        if not config.peer(caller).neighbour:
            raise SaeAuthorizationError(f"relay hops come only from QKD neighbours, not {caller}")
    except ConfigError:
        raise SaeAuthorizationError(f"{caller} is not a peer of {me}") from None
    route = hop["route"]
    if route[0] != me:
        raise ConfigError(f"relay hop addressed to {route[0]!r}, but this KME is {me!r}")
    origin = hop["origin_KME_ID"]
    if (hop["payload"] is None) != (caller == origin):
        # the first hop carries no payload (the relayed key is the origin's link key); a
        # neighbour that is not the origin must not make its own link key pass as relayed key
        raise SaeAuthorizationError(
            f"relay hop from {caller} claims origin {origin!r}: only the origin sends the "
            "first hop (without payload), and every later hop carries one"
        )
    if len(route) == 1:  # check everything before any link key is consumed
        if hop["destination_KME_ID"] != me:
            raise ConfigError(f"relay hop ends here but is for {hop['destination_KME_ID']!r}")
        far = config.peer(origin)
        if far.neighbour or far.via[0] != caller:
            # key stored as shared with ``origin`` must come along this KME's configured route
            # to it (routes are symmetric), not from any neighbour that claims so
            raise SaeAuthorizationError(
                f"relay key from {origin!r} must arrive from {far.via[0] if far.via else origin!r}"
                f" (the route to it in this KME's config), not from {caller}"
            )
    elif not config.peer(route[1]).neighbour:
        raise ConfigError(f"next relay hop {route[1]!r} is not a QKD neighbour of {me}")
    unit = store.unit_size_bits
    size = hop["size"]
    relay_id = hop["relay_ID"]
    pad = await run_in_threadpool(
        store.take_for_relay, caller, size, relay_id + ":in", list(hop["unit_IDs"])
    )
    if hop["payload"] is None:
        key = pad.key
    else:
        try:
            cipher = base64.b64decode(hop["payload"], validate=True)
        except ValueError:
            raise ConfigError("relay payload is not base64") from None
        key = xor_bytes(cipher, pad.key)
    if len(route) == 1:  # pending until the origin commits (module docstring)
        ids = relay_unit_ids(relay_id, size // unit)
        await run_in_threadpool(store.supply, origin, _units(key, ids, unit // 8), pending=True)
        return {"relay_ID": relay_id, "unit_IDs": ids}
    nxt = route[1]
    pad2 = await run_in_threadpool(store.take_for_relay, nxt, size, relay_id + ":out")
    forward = {
        **hop,
        "route": route[1:],
        "unit_IDs": list(pad2.unit_ids),
        "payload": base64.b64encode(xor_bytes(key, pad2.key)).decode("ascii"),
    }
    return await peers.relay_hop(nxt, forward)
