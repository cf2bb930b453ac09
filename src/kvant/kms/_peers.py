"""KME-to-KME calls over HTTPS with mutual TLS (the KME's own certificate as client).

Three calls: the master KME's *assignment notice* (which units form which key for which SAE
pair; sent before the master KME answers its SAE), a *relay hop* (trusted-node forwarding) and
a *relay commit* (the origin of a relay tells its destination that it has stored the key).

Notices to one peer are batched opportunistically: while one notice request is in flight the next
ones queue up and leave together in one request, so under load the slave KME commits many
assignments per transaction, and an idle KME adds no delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import httpx

from kvant.errors import KeyUnavailableError, KmsError, SaeAuthorizationError
from kvant.kms._config import KmeConfig
from kvant.kms._tls import client_ssl_context, identity_from_peercert

__all__ = ["PeerClient"]

_Item = tuple[str, str, list[dict[str, Any]], "asyncio.Future[None]"]
MAX_NOTICES = 4096
"""Most notices in one ``/kme/v1/assign`` request (the endpoint's limit)."""

try:
    import orjson

    def dumps(data: Any) -> bytes:
        """Compact JSON bytes (orjson when installed)."""
        return orjson.dumps(data)

except ImportError:  # pragma: no cover - orjson is optional

    def dumps(data: Any) -> bytes:
        """Compact JSON bytes (orjson when installed)."""
        return json.dumps(data, separators=(",", ":")).encode()


def raise_for_peer(peer: str, response: httpx.Response) -> None:
    """Turn a peer KME's error answer into a :class:`KmsError` subclass."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
        message = str(body.get("message", response.text))
    except ValueError:
        message = response.text[:200]
    text = f"peer KME {peer} answered {response.status_code}: {message}"
    if response.status_code == 401:
        raise SaeAuthorizationError(text)
    if response.status_code == 400:
        raise KeyUnavailableError(text)
    raise KmsError(text + "; check that the peer KME is running and configured for this KME")


class _Connection:
    """One persistent HTTP/1.1 keep-alive connection to a peer KME over the loop's native TLS.

    Used for the assignment notices, the hot path of every key request: it costs a fraction of
    a general client. Requests on it are sequential (the per-peer flush loop sends one at a
    time). A request on a connection that turns out to be closed is sent once more on a new one
    (notices are idempotent).
    """

    def __init__(self, url: str, ctx: ssl.SSLContext, timeout_s: float, peer: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 443
        self.ctx = ctx
        self.timeout_s = timeout_s
        self.peer = peer
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect, and check that the server's certificate names the KME we mean to reach
        (any KME certificate of the CA is valid for the host name; only its identity tells
        ``kme-b`` from ``kme-c``)."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, ssl=self.ctx), self.timeout_s
        )
        sslobj = writer.get_extra_info("ssl_object")
        ident = identity_from_peercert(sslobj.getpeercert() if sslobj else None)
        if ident is None or (ident.role, ident.name) != ("KME", self.peer):
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            raise KmsError(
                f"the server at {self.host}:{self.port} presented the certificate of {ident}, "
                f"not of KME {self.peer!r}; fix the url of peer {self.peer} in the config"
            )
        return reader, writer

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        for attempt in (0, 1):
            streams = self._streams
            fresh = streams is None
            if streams is None:
                streams = self._streams = await self._open()
            reader, writer = streams
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            try:
                writer.write(head + body)
                return await asyncio.wait_for(self._response(reader), self.timeout_s)
            except (OSError, asyncio.IncompleteReadError, ssl.SSLError, ValueError):
                await self.close()
                if fresh or attempt:
                    raise
        raise KmsError("unreachable")  # pragma: no cover

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await reader.readexactly(length)


class PeerClient:
    """Async HTTPS client to the peers of one KME (create inside the running event loop).

    Args:
        config: This KME's configuration (its certificate is the client certificate).
        timeout_s: Per-request timeout.
    """

    def __init__(self, config: KmeConfig, timeout_s: float = 10.0) -> None:
        self.config = config
        ctx = client_ssl_context(config.tls.ca_path, config.tls.cert_path, config.tls.key_path)
        self._ctx = ctx
        self._timeout_s = timeout_s
        self._conns: dict[str, _Connection] = {}
        self._pending: dict[str, list[_Item]] = defaultdict(list)
        self._flushing: dict[str, asyncio.Task[None]] = {}

    async def aclose(self) -> None:
        """Close the connections."""
        for task in list(self._flushing.values()):
            await asyncio.gather(task, return_exceptions=True)
        for conn in self._conns.values():
            await conn.close()

    async def notify_assign(
        self, peer: str, master_sae_id: str, slave_sae_id: str, keys: list[dict[str, Any]]
    ) -> None:
        """Tell ``peer`` (the slave's KME) which units form which keys; returns once committed.

        Raises:
            KmsError: the peer is unreachable or refused (subclass by status code).
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[peer].append((master_sae_id, slave_sae_id, keys, future))
        if peer not in self._flushing:
            self._flushing[peer] = asyncio.create_task(self._flush(peer))
        await future

    async def _flush(self, peer: str) -> None:
        url = self.config.peer(peer).url
        conn = self._conns.get(peer)
        if conn is None:
            conn = self._conns[peer] = _Connection(url, self._ctx, self._timeout_s, peer)
        try:
            while self._pending[peer]:
                queue = self._pending[peer]
                batch, self._pending[peer] = queue[:MAX_NOTICES], queue[MAX_NOTICES:]
                notices = [
                    {"master_SAE_ID": m, "slave_SAE_ID": s, "keys": k} for m, s, k, _ in batch
                ]
                try:
                    status, body = await conn.post("/kme/v1/assign", dumps({"notices": notices}))
                    raise_for_peer(peer, httpx.Response(status, content=body))
                    results = json.loads(body)["results"]
                    if not isinstance(results, list) or len(results) != len(batch):
                        # else the waiting SAE requests would never be answered
                        raise KmsError(
                            f"peer KME {peer} answered {len(batch)} assignment notices with a "
                            "malformed results list; check both KMEs run the same Kvant version"
                        )
                except (
                    TimeoutError,
                    OSError,
                    ssl.SSLError,
                    asyncio.IncompleteReadError,
                    KmsError,
                    KeyError,
                    TypeError,
                    ValueError,
                ) as exc:
                    err = (
                        exc
                        if isinstance(exc, KmsError)
                        else KmsError(
                            f"cannot reach peer KME {peer} at {url}: {exc!r}; check it is running"
                        )
                    )
                    for *_, fut in batch:
                        if not fut.done():
                            fut.set_exception(err)
                    continue
                for (*_, fut), result in zip(batch, results, strict=True):
                    if fut.done():
                        continue
                    if result is None:
                        fut.set_result(None)
                    else:
                        fut.set_exception(KeyUnavailableError(f"peer KME {peer}: {result}"))
        finally:
            del self._flushing[peer]

    async def relay_hop(self, peer: str, hop: dict[str, Any]) -> dict[str, Any]:
        """Send one relay hop to ``peer`` and return its :class:`RelayResult` as a dict.

        The hop goes over a connection of its own whose server certificate must name ``peer``.

        Raises:
            KmsError: the peer is unreachable, is not who it should be, or refused.
        """
        return await self._post_once(peer, "/kme/v1/relay", hop, "a relay hop")

    async def relay_commit(self, peer: str, relay_id: str, unit_ids: list[str]) -> dict[str, Any]:
        """Tell the destination ``peer`` of a relay that this origin KME has stored the relayed
        units, so that they may join its pool; returns its :class:`RelayCommitResult` as a dict.

        Raises:
            KmsError: the peer is unreachable, is not who it should be, or refused.
        """
        body = {"relay_ID": relay_id, "unit_IDs": unit_ids}
        # the per-request timeout, not a hop's: a lost commit costs nothing but waiting
        return await self._post_once(
            peer, "/kme/v1/relay/commit", body, "a relay commit", self._timeout_s
        )

    async def _post_once(
        self, peer: str, path: str, payload: dict[str, Any], what: str, timeout_s: float = 30.0
    ) -> dict[str, Any]:
        """POST ``payload`` to ``peer`` over a connection of its own; the JSON answer (30 s by
        default: a relay hop waits for every hop after it)."""
        url = self.config.peer(peer).url
        conn = _Connection(url, self._ctx, timeout_s, peer)
        try:
            status, body = await conn.post(path, dumps(payload))
        except (TimeoutError, OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError) as e:
            raise KmsError(f"cannot reach peer KME {peer} at {url}: {e!r}") from e
        finally:
            await conn.close()
        raise_for_peer(peer, httpx.Response(status, content=body))
        try:
            result: dict[str, Any] = json.loads(body)
        except ValueError as exc:
            raise KmsError(f"peer KME {peer} answered {what} with bad JSON") from exc
        return result
