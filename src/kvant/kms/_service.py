"""What a KME does for each request, apart from HTTP: identities, checks, group commit, relay.

:class:`KmeService` holds one KME's configuration, store and peer client (one per worker
process); the FastAPI routes in :mod:`kvant.kms._app` only parse, call it and serialise.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections import defaultdict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from kvant.errors import ConfigError, KeyUnavailableError, KmsError
from kvant.kms._config import KmeConfig
from kvant.kms._models import AssignNotice
from kvant.kms._peers import PeerClient
from kvant.kms._relay import originate_relay
from kvant.kms._store import DeliveredKey, KeyStore, canonical_uuid
from kvant.kms._tls import PeerIdentity

__all__ = ["RELAY_MIN_BITS", "EtsiError", "KmeService"]

RELAY_MIN_BITS = 32 * 256
"""Least key relayed at once when a far peer's pool runs short (amortises the relay round trip)."""


class EtsiError(Exception):
    """An error answer of the API (status 400, 401 or 503) with an ETSI error body."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def _peer(request: Request, role: str) -> PeerIdentity:
    tls = request.scope.get("extensions", {}).get("tls")
    ident = tls.get("kvant_peer") if tls else None
    if not isinstance(ident, PeerIdentity):
        raise EtsiError(401, "no verified client certificate; connect with mutual TLS")
    if ident.role != role:
        raise EtsiError(401, f"a {ident.role} certificate cannot call this {role} endpoint")
    return ident


_Group = tuple[str, str, str, int]  # peer KME, master SAE, slave SAE, key size


class _TakeBatcher:
    """Group commit for ``take_for_master``.

    Requests for the same (peer KME, master SAE, slave SAE, size) that arrive while a store call
    is in flight are served together by the next call: one transaction takes the keys of all of
    them and they are handed out in arrival order. Each key is still recorded as delivered to
    that master for that slave, so exactly-once holds per key; a crash loses the keys of the
    batch (none was answered), never delivers one twice. An idle KME adds no delay.
    """

    MAX_KEYS = 1024

    def __init__(self, store: KeyStore) -> None:
        self.store = store
        self._pending: dict[_Group, list[tuple[int, asyncio.Future[list[DeliveredKey]]]]] = (
            defaultdict(list)
        )
        self._running: dict[_Group, asyncio.Task[None]] = {}

    async def take(self, group: _Group, number: int) -> list[DeliveredKey]:
        future: asyncio.Future[list[DeliveredKey]] = asyncio.get_running_loop().create_future()
        self._pending[group].append((number, future))
        if group not in self._running:
            self._running[group] = asyncio.create_task(self._run(group))
        return await future

    async def _call(self, group: _Group, number: int) -> list[DeliveredKey]:
        peer, master, slave, size = group
        return await run_in_threadpool(
            self.store.take_for_master, peer, master, slave, number, size, str(uuid.uuid4())
        )

    async def _run(self, group: _Group) -> None:
        queue = self._pending[group]
        try:
            while queue:
                batch: list[tuple[int, asyncio.Future[list[DeliveredKey]]]] = []
                total = 0
                while queue and (not batch or total + queue[0][0] <= self.MAX_KEYS):
                    batch.append(queue.pop(0))
                    total += batch[-1][0]
                try:
                    keys = await self._call(group, total)
                except Exception as exc:
                    if len(batch) == 1:
                        batch[0][1].set_exception(exc)
                        continue
                    for number, future in batch:  # not enough for all: serve in order
                        try:
                            future.set_result(await self._call(group, number))
                        except Exception as one:
                            future.set_exception(one)
                    continue
                start = 0
                for number, future in batch:
                    future.set_result(keys[start : start + number])
                    start += number
        finally:
            del self._running[group]
            if not queue:
                self._pending.pop(group, None)


class KmeService:
    """State of one running KME (one per worker process)."""

    def __init__(self, config: KmeConfig, store: KeyStore, peers: PeerClient) -> None:
        self.config = config
        self.store = store
        self.peers = peers
        self.local_saes = config.local_sae_ids()
        self.batcher = _TakeBatcher(store)
        self.relay_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def sae(self, request: Request) -> str:
        ident = _peer(request, "SAE")
        if ident.name not in self.local_saes:
            raise EtsiError(401, f"SAE {ident.name!r} is not attached to {self.config.kme_id}")
        return ident.name

    def kme(self, request: Request) -> str:
        ident = _peer(request, "KME")
        if ident.name not in {p.kme_id for p in self.config.peers}:
            raise EtsiError(401, f"KME {ident.name!r} is not a peer of {self.config.kme_id}")
        return ident.name

    def target_kme(self, slave_sae_id: str) -> str:
        kme = self.config.kme_of_sae(slave_sae_id)
        if kme is None:
            raise EtsiError(400, f"unknown SAE {slave_sae_id!r}; it is not in the SAE directory")
        if kme == self.config.kme_id:
            raise EtsiError(
                400,
                f"SAE {slave_sae_id!r} is attached to this KME; key delivery between two SAEs "
                "of one KME is not supported",
            )
        return kme

    def status(self, master: str, slave: str) -> dict[str, Any]:
        cfg = self.config
        peer = self.target_kme(slave)
        pool = self.store.status(peer)
        per_key = cfg.key_size_bits // self.store.unit_size_bits
        return {
            "source_KME_ID": cfg.kme_id,
            "target_KME_ID": peer,
            "master_SAE_ID": master,
            "slave_SAE_ID": slave,
            "key_size": cfg.key_size_bits,
            "stored_key_count": pool.stored_key_count // per_key,
            "max_key_count": cfg.max_key_count,
            "max_key_per_request": cfg.max_key_per_request,
            "max_key_size": cfg.max_key_size_bits,
            "min_key_size": self.store.unit_size_bits,
            "max_SAE_ID_count": 0,
        }

    def check_request(self, number: int | None, size: int | None) -> tuple[int, int]:
        cfg = self.config
        n = 1 if number is None else number
        s = cfg.key_size_bits if size is None else size
        unit = self.store.unit_size_bits
        if not 1 <= n <= cfg.max_key_per_request:
            raise EtsiError(400, f"number must be 1..{cfg.max_key_per_request}, got {n}")
        if not unit <= s <= cfg.max_key_size_bits or s % unit:
            raise EtsiError(
                400,
                f"size must be a multiple of {unit} bits between {unit} (min_key_size) and "
                f"{cfg.max_key_size_bits} (max_key_size), got {s}",
            )
        return n, s

    async def _take(
        self, peer_kme: str, master: str, slave: str, number: int, size: int, rid: str | None
    ) -> list[DeliveredKey]:
        if rid is None:
            return await self.batcher.take((peer_kme, master, slave, size), number)
        args = (peer_kme, master, slave, number, size, rid)
        return await run_in_threadpool(self.store.take_for_master, *args)

    async def enc_keys(
        self, master: str, slave: str, number: int, size: int, request_id: str | None
    ) -> dict[str, Any]:
        peer_kme = self.target_kme(slave)
        args = (peer_kme, master, slave, number, size, request_id)
        try:
            keys = await self._take(*args)
        except KeyUnavailableError:
            if self.config.peer(peer_kme).neighbour:
                raise
            # a far KME: obtain key by relay through the trusted nodes, one relay at a time per
            # peer; a request that waited for another's relay tries the pool first
            async with self.relay_locks[peer_kme]:
                for attempt in range(3):
                    try:
                        keys = await self._take(*args)
                        break
                    except KeyUnavailableError:
                        if attempt == 2:
                            raise
                    need = max(number * size, RELAY_MIN_BITS)
                    await originate_relay(self.config, self.store, self.peers, peer_kme, need)
        notice = [{"key_ID": k.key_id, "unit_IDs": list(k.unit_ids)} for k in keys]
        await self.peers.notify_assign(peer_kme, master, slave, notice)
        return {
            "keys": [
                {"key_ID": k.key_id, "key": base64.b64encode(k.key).decode("ascii")} for k in keys
            ]
        }

    async def dec_keys(
        self, slave: str, master: str, key_ids: list[str], request_id: str | None = None
    ) -> dict[str, Any]:
        if not key_ids:
            raise EtsiError(400, "key_IDs is empty; name at least one key_ID")
        if len(key_ids) > self.config.max_key_per_request:
            raise EtsiError(400, f"at most {self.config.max_key_per_request} key_IDs per request")
        ids = [canonical_uuid(k) for k in key_ids]
        keys = await run_in_threadpool(self.store.take_for_slave, slave, master, ids, request_id)
        return {
            "keys": [
                {"key_ID": k.key_id, "key": base64.b64encode(k.key).decode("ascii")} for k in keys
            ]
        }

    def assign(self, caller: str, notices: list[AssignNotice]) -> list[str | None]:
        """Apply notices from ``caller``; one store transaction per SAE pair, per-notice
        fallback when a merged one fails. Returns None or an error message per notice."""
        results: list[str | None] = [None] * len(notices)
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, n in enumerate(notices):
            problem = self._check_pair(caller, n.master_SAE_ID, n.slave_SAE_ID)
            if problem:
                results[i] = problem
            else:
                groups[(n.master_SAE_ID, n.slave_SAE_ID)].append(i)
        for (master, slave), idx in groups.items():
            keys = [(k.key_ID, tuple(k.unit_IDs)) for i in idx for k in notices[i].keys]
            try:
                self.store.assign_for_slave(caller, master, slave, keys)
                continue
            except (KmsError, ConfigError) as exc:
                if len(idx) == 1:
                    results[idx[0]] = str(exc)
                    continue
            for i in idx:  # isolate the notice that failed; the others still apply
                one = [(k.key_ID, tuple(k.unit_IDs)) for k in notices[i].keys]
                try:
                    self.store.assign_for_slave(caller, master, slave, one)
                except (KmsError, ConfigError) as exc:
                    results[i] = str(exc)
        return results

    def _check_pair(self, caller: str, master: str, slave: str) -> str | None:
        if slave not in self.local_saes:
            return f"slave SAE {slave!r} is not attached to {self.config.kme_id}"
        home = self.config.kme_of_sae(master)
        if home is None:  # a peer KME must not make up master SAEs nobody can check
            return f"master SAE {master!r} is not in the SAE directory of {self.config.kme_id}"
        if home != caller:
            return f"master SAE {master!r} is attached to {home}, not to {caller}"
        return None
