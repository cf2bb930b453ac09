"""KME-to-KME calls over HTTPS with mutual TLS (the KME's own certificate as client).

Two calls: the master KME's *assignment notice* (which units form which key for which SAE pair;
sent before the master KME answers its SAE) and a *relay hop* (trusted-node forwarding).

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
from kvant.kms._tls import client_ssl_context

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

    def __init__(self, url: str, ctx: ssl.SSLContext, timeout_s: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 443
        self.ctx = ctx
        self.timeout_s = timeout_s
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

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
                streams = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port, ssl=self.ctx), self.timeout_s
                )
                self._streams = streams
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
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        self._http = httpx.AsyncClient(verify=ctx, timeout=timeout_s, limits=limits)
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
        await self._http.aclose()

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
            conn = self._conns[peer] = _Connection(url, self._ctx, self._timeout_s)
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
                except (
                    TimeoutError,
                    OSError,
                    ssl.SSLError,
                    asyncio.IncompleteReadError,
                    KmsError,
                    KeyError,
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

        Raises:
            KmsError: the peer is unreachable or refused.
        """
        url = self.config.peer(peer).url + "/kme/v1/relay"
        try:
            response = await self._http.post(url, json=hop, timeout=30.0)
        except httpx.HTTPError as exc:
            raise KmsError(f"cannot reach peer KME {peer} at {url}: {exc!r}") from exc
        raise_for_peer(peer, response)
        result: dict[str, Any] = response.json()
        return result
