"""Findings of the security review of kvant.kms, one test each: TLS cipher floor, the identity of
the KME a KME connects to, relay origin checks, request size and request-id limits, the KEK file's
permissions, certificate names, and the encryptor's handling of malformed or tampered files."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import ssl
import uuid
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest

from kvant.errors import ConfigError, KeyUnavailableError, KmsError, SaeAuthorizationError
from kvant.kms import (
    KeyUnit,
    KmeConfig,
    LoopbackNetwork,
    PeerConfig,
    SaeConfig,
    TlsConfig,
    decrypt_stream,
    derive_key_id,
    encrypt_stream,
    open_store,
)
from kvant.kms._app import MAX_SAE_BODY
from kvant.kms._encryptor import CHUNK_BYTES, MAGIC
from kvant.kms._models import AssignedKey, AssignNotice
from kvant.kms._peers import PeerClient
from kvant.kms._relay import commit_relay, handle_hop
from kvant.kms._service import KmeService
from kvant.kms._tls import identity_from_peercert, server_ssl_context


def sae_ctx(certs: Path, sae: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    ctx.load_cert_chain(str(certs / f"{sae}.pem"), str(certs / f"{sae}.key"))
    return ctx


def handshake_ok(url: str, ctx: ssl.SSLContext) -> bool:
    try:
        with httpx.Client(verify=ctx, timeout=10) as c:
            return c.get(url).status_code == 200
    except httpx.TransportError:
        return False


def test_tls12_without_an_aead_ecdhe_suite_is_refused(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    url = kms_net.url("kme-a") + "/api/v1/keys/sae-2/status"
    for suite, accepted in (
        ("ECDHE-ECDSA-AES128-SHA256", False),  # CBC: refused
        ("ECDHE-ECDSA-AES256-SHA", False),  # CBC with SHA-1: refused
        ("ECDHE-ECDSA-AES128-GCM-SHA256", True),  # AEAD: accepted
        ("ECDHE-ECDSA-CHACHA20-POLY1305", True),
    ):
        ctx = sae_ctx(certs, "sae-1")
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(suite + ":@SECLEVEL=0")
        assert handshake_ok(url, ctx) is accepted, suite
    old = sae_ctx(certs, "sae-1")
    with warnings.catch_warnings():  # TLS 1.1 is deprecated: the point is that it is refused
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    old.set_ciphers("ALL:@SECLEVEL=0")
    assert not handshake_ok(url, old)


def _kme_a_config(certs: Path, url_of_b: str) -> KmeConfig:
    tls = TlsConfig(certs / "kme-a.pem", certs / "kme-a.key", certs / "ca.pem")
    return KmeConfig("kme-a", tls, "unused.db", peers=(PeerConfig("kme-b", url_of_b),))


def test_a_kme_refuses_a_peer_server_with_another_kmes_certificate(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    # kme-c's certificate is signed by the same CA and valid for 127.0.0.1; only its identity
    # tells that it is not kme-b
    config = _kme_a_config(certs, kms_net.url("kme-c"))
    notice = [{"key_ID": str(uuid.uuid4()), "unit_IDs": [str(uuid.uuid4())]}]
    hop = {"relay_ID": "r", "origin_KME_ID": "kme-a", "destination_KME_ID": "kme-b"}

    async def calls() -> list[BaseException | None]:
        peers = PeerClient(config)
        try:
            out: list[BaseException | None] = []
            for call in (
                peers.notify_assign("kme-b", "sae-1", "sae-2", notice),
                peers.relay_hop("kme-b", {**hop, "route": ["kme-b"], "size": 256}),
            ):
                try:
                    await call
                    out.append(None)
                except KmsError as exc:
                    out.append(exc)
            return out
        finally:
            await peers.aclose()

    for exc in asyncio.run(calls()):
        assert isinstance(exc, KmsError)
        assert "kme-c" in str(exc)
        assert "not of KME 'kme-b'" in str(exc)
    # the real kme-b is accepted (its answer is about the notice, not about who it is)
    good = _kme_a_config(certs, kms_net.url("kme-b"))

    async def real() -> str:
        peers = PeerClient(good)
        try:
            await peers.notify_assign("kme-b", "sae-1", "sae-2", notice)
        except KmsError as exc:
            return str(exc)
        finally:
            await peers.aclose()
        return ""

    assert "not of KME" not in asyncio.run(real())


def test_relay_key_is_taken_only_along_the_configured_route(tmp_path: Path) -> None:
    # kme-c: QKD neighbours kme-b and kme-d; kme-a is reached by relay through kme-b
    tls = TlsConfig(tmp_path / "c.pem", tmp_path / "c.key", tmp_path / "ca.pem")
    peers = (
        PeerConfig("kme-b", "https://127.0.0.1:1"),
        PeerConfig("kme-d", "https://127.0.0.1:2"),
        PeerConfig("kme-a", "https://127.0.0.1:3", via=("kme-b",)),
    )
    config = KmeConfig("kme-c", tls, str(tmp_path / "c.db"), peers=peers)
    store = open_store(tmp_path / "c.db", "kme-c", bytes(32), 256)
    pads = {p: [KeyUnit(str(uuid.uuid4()), bytes([i + 1]) * 32) for i in range(2)] for p in "bd"}
    store.supply("kme-b", pads["b"])
    store.supply("kme-d", pads["d"])
    secret = bytes(range(32))

    def hop(unit: KeyUnit, payload: bytes | None) -> dict[str, Any]:
        return {
            "relay_ID": str(uuid.uuid4()),
            "origin_KME_ID": "kme-a",
            "destination_KME_ID": "kme-c",
            "route": ["kme-c"],
            "size": 256,
            "unit_IDs": [unit.key_id],
            "payload": None if payload is None else base64.b64encode(payload).decode(),
        }

    def run(caller: str, message: dict[str, Any]) -> dict[str, Any]:
        return asyncio.run(handle_hop(config, store, None, caller, message))  # type: ignore[arg-type]

    try:
        cipher = bytes(a ^ b for a, b in zip(secret, pads["d"][0].key, strict=True))
        with pytest.raises(SaeAuthorizationError, match="must arrive from 'kme-b'"):
            run("kme-d", hop(pads["d"][0], cipher))  # a neighbour off the route to kme-a
        with pytest.raises(SaeAuthorizationError, match="claims origin"):
            run("kme-b", hop(pads["b"][0], None))  # its own link key passed off as kme-a's
        assert store.status("kme-a").stored_key_count == 0
        assert store.status("kme-d").stored_key_count == 2  # refused before a pad was used
        assert store.status("kme-b").stored_key_count == 2
        cipher = bytes(a ^ b for a, b in zip(secret, pads["b"][1].key, strict=True))
        message = hop(pads["b"][1], cipher)
        result = run("kme-b", message)  # the real last trusted node
        assert store.status("kme-a").stored_key_count == 0  # pending until kme-a commits
        with pytest.raises(KeyUnavailableError):
            store.take_for_master("kme-a", "sae-4", "sae-1", 1, 256, "t")
        commit = {"relay_ID": message["relay_ID"], "unit_IDs": result["unit_IDs"]}
        with pytest.raises(SaeAuthorizationError, match="not a peer"):
            asyncio.run(commit_relay(config, store, "kme-x", commit))
        with pytest.raises(ConfigError, match="not the units of relay"):
            asyncio.run(commit_relay(config, store, "kme-a", {**commit, "relay_ID": "other"}))
        assert asyncio.run(commit_relay(config, store, "kme-d", commit))["committed"] == 0
        assert store.status("kme-a").stored_key_count == 0  # only the origin's units move
        for committed in (1, 0):  # a retried commit moves nothing more
            assert (
                asyncio.run(commit_relay(config, store, "kme-a", commit))["committed"] == committed
            )
        [key] = store.take_for_master("kme-a", "sae-4", "sae-1", 1, 256, "t")
        assert key.unit_ids == tuple(result["unit_IDs"])
        assert key.key == secret
    finally:
        store.close()


def test_request_bodies_over_the_limit_get_a_400_without_being_read(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    url = kms_net.url("kme-b") + "/api/v1/keys/sae-1/dec_keys"
    big = {
        "key_IDs": [{"key_ID": str(uuid.uuid4())}],
        "key_IDs_extension": {"pad": "x" * MAX_SAE_BODY},
    }
    with httpx.Client(verify=sae_ctx(certs, "sae-2"), timeout=30) as c:
        r = c.post(url, json=big)
        assert r.status_code == 400
        assert "exceeds" in r.json()["message"]
        chunked = c.post(url, content=iter([json.dumps(big).encode()]))  # no Content-Length
        assert chunked.status_code == 400
        assert "message" in chunked.json()
        small = c.post(url, json={"key_IDs": [{"key_ID": str(uuid.uuid4())}]})
        assert small.status_code == 400  # unknown key_ID: still answered, not size-limited
        assert "exceeds" not in small.json()["message"]


def test_a_request_id_is_never_cut_to_collide_with_another(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    url = kms_net.url("kme-a") + "/api/v1/keys/sae-2/enc_keys"
    stem = "r" * 128 + str(uuid.uuid4())
    with httpx.Client(verify=sae_ctx(certs, "sae-1"), timeout=30) as c:
        first = c.post(url, json={}, headers={"X-Request-ID": stem + "-1"})
        second = c.post(url, json={}, headers={"X-Request-ID": stem + "-2"})
        assert (first.status_code, second.status_code) == (400, 400)
        assert "X-Request-ID" in first.json()["message"]
        rid = str(uuid.uuid4())
        ok = [c.post(url, json={}, headers={"X-Request-ID": rid}) for _ in range(2)]
        assert [r.status_code for r in ok] == [200, 200]
        assert ok[0].json() == ok[1].json()  # a retry gets the same key


def test_a_kek_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    tls = TlsConfig(tmp_path / "a.pem", tmp_path / "a.key", tmp_path / "ca.pem")
    kek = tmp_path / "kek.hex"
    kek.write_text("5a" * 32)
    config = KmeConfig("kme-a", tls, "a.db", kek_file=kek)
    for mode in (0o644, 0o640, 0o604):
        kek.chmod(mode)
        with pytest.raises(ConfigError, match="chmod 600") as info:
            config.load_kek()
        assert "5a5a" not in str(info.value)  # the KEK is never in a message
    kek.chmod(0o600)
    assert config.load_kek() == bytes([0x5A]) * 32


def test_a_certificate_with_an_incomplete_kvant_urn_identifies_nobody() -> None:
    subject = ((("organizationalUnitName", "SAE"),), (("commonName", "sae-1"),))
    for uri in ("urn:kvant:sae", "urn:kvant:"):
        cert = {"subject": subject, "subjectAltName": (("URI", uri),)}
        assert identity_from_peercert(cert) is None


class _NoKeys:
    """A client that must not be asked for keys: the header is refused first."""

    def get_key_with_ids(self, master: str, ids: list[str]) -> list[Any]:
        raise AssertionError("a key was fetched for a malformed header")


def _file(header: Any, body: bytes = b"\x00" * 64) -> io.BytesIO:
    raw = json.dumps(header).encode()
    return io.BytesIO(MAGIC + len(raw).to_bytes(4, "big") + raw + body)


def test_a_malformed_header_is_refused_before_any_key_is_fetched() -> None:
    good = {"version": 1, "master_SAE_ID": "sae-1", "slave_SAE_ID": "sae-2"}
    kid = [str(uuid.uuid4())]
    for header in (
        {**good, "mode": "aes-256-gcm", "key_IDs": kid, "chunk_bytes": "x"},
        {**good, "mode": "aes-256-gcm", "key_IDs": kid, "chunk_bytes": 1 << 40},
        {**good, "mode": "aes-256-gcm", "key_IDs": kid},
        {**good, "mode": "aes-256-gcm", "key_IDs": [], "chunk_bytes": CHUNK_BYTES},
        {**good, "mode": "otp", "key_IDs": kid, "length": -5},
        {**good, "mode": "otp", "key_IDs": [1, 2], "length": 5},
        {**good, "mode": "rot13", "key_IDs": kid},
        [1, 2, 3],
    ):
        with pytest.raises(KmsError):
            decrypt_stream(_NoKeys(), _file(header), io.BytesIO())  # type: ignore[arg-type]


def test_reordered_extended_and_header_tampered_files_fail(kms_net: LoopbackNetwork) -> None:
    data = bytes(range(256)) * (3 * CHUNK_BYTES // 256)  # exactly three chunks
    encs = []
    with kms_net.client("sae-1") as alice:
        for _ in range(3):
            enc = io.BytesIO()
            encrypt_stream(alice, "sae-2", io.BytesIO(data), enc)
            encs.append(enc.getvalue())
    n = 12 + int.from_bytes(encs[0][8:12], "big")
    size = CHUNK_BYTES + 16
    chunks = [encs[0][n + i * size : n + (i + 1) * size] for i in range(3)]
    reordered = encs[0][:n] + chunks[1] + chunks[0] + chunks[2]
    extended = encs[1] + encs[1][n : n + size]  # a chunk replayed at the end
    head = encs[2][:n].replace(b'"version":1', b'"version":2')
    assert head != encs[2][:n]
    tampered = head + encs[2][n:]
    with kms_net.client("sae-2") as bob:
        for bad in (reordered, extended, tampered):
            with pytest.raises(KmsError, match="authentication failed"):
                decrypt_stream(bob, io.BytesIO(bad), io.BytesIO())


def test_a_sae_id_from_a_file_header_cannot_change_the_request(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    seen: list[tuple[str, bytes]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.raw_path))
        return httpx.Response(400, json={"message": "no such key"})

    header = {
        "version": 1,
        "mode": "aes-256-gcm",
        "master_SAE_ID": "sae-3/enc_keys?",  # would ask for a fresh key toward sae-3
        "slave_SAE_ID": "sae-2",
        "key_IDs": [str(uuid.uuid4())],
        "chunk_bytes": CHUNK_BYTES,
    }
    with kms_net.client("sae-2") as bob:
        bob._http.close()
        bob._http = httpx.Client(transport=httpx.MockTransport(answer))
        with pytest.raises(ConfigError, match="no such key"):
            decrypt_stream(bob, _file(header), io.BytesIO())
    assert seen == [("POST", b"/api/v1/keys/sae-3%2Fenc_keys%3F/dec_keys")]
    with httpx.Client(verify=sae_ctx(certs, "sae-2"), timeout=30) as c:  # what the KME makes of it
        r = c.post(kms_net.url("kme-b") + seen[0][1].decode(), json={"key_IDs": []})
        assert r.status_code >= 400
        assert "message" in r.json()


def test_a_peer_kme_cannot_assign_keys_for_a_master_sae_outside_the_directory(
    tmp_path: Path,
) -> None:
    tls = TlsConfig(tmp_path / "b.pem", tmp_path / "b.key", tmp_path / "ca.pem")
    saes = (SaeConfig("sae-1", "kme-a"), SaeConfig("sae-2", "kme-b"), SaeConfig("sae-9", "kme-c"))
    peers = (PeerConfig("kme-a", "https://127.0.0.1:1"), PeerConfig("kme-c", "https://127.0.0.1:2"))
    config = KmeConfig("kme-b", tls, "b.db", peers=peers, saes=saes)
    store = open_store(tmp_path / "b.db", "kme-b", bytes(32), 256)
    units = [KeyUnit(str(uuid.uuid4()), bytes([i]) * 32) for i in range(3)]
    store.supply("kme-a", units)
    service = KmeService(config, store, None)  # type: ignore[arg-type]

    def notice(master: str, unit: KeyUnit) -> AssignNotice:
        key = AssignedKey(key_ID=derive_key_id((unit.key_id,)), unit_IDs=[unit.key_id])
        return AssignNotice(master_SAE_ID=master, slave_SAE_ID="sae-2", keys=[key])

    try:
        results = service.assign(
            "kme-a",
            [notice("sae-unknown", units[0]), notice("sae-9", units[1]), notice("sae-1", units[2])],
        )
        assert "not in the SAE directory" in str(results[0])
        assert "attached to kme-c" in str(results[1])
        assert results[2] is None
        assert store.status("kme-a").stored_key_count == 2  # the refused units stay in the pool
    finally:
        store.close()


@pytest.mark.parametrize("answer", [b'{"results": []}', b"[1, 2]", b'{"results": 7}'])
def test_a_malformed_answer_to_a_notice_fails_the_request_instead_of_hanging(
    certs: Path, answer: bytes
) -> None:
    server_ctx = server_ssl_context(certs / "kme-b.pem", certs / "kme-b.key", certs / "ca.pem")

    async def fake_kme_b(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
        await writer.drain()
        writer.close()

    async def scenario() -> BaseException | None:
        server = await asyncio.start_server(fake_kme_b, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        peers = PeerClient(_kme_a_config(certs, f"https://127.0.0.1:{port}"))
        notice = [{"key_ID": str(uuid.uuid4()), "unit_IDs": [str(uuid.uuid4())]}]
        try:
            await asyncio.wait_for(peers.notify_assign("kme-b", "sae-1", "sae-2", notice), 5)
        except KmsError as exc:
            return exc
        finally:
            await peers.aclose()
            server.close()
            await server.wait_closed()
        return None

    assert isinstance(asyncio.run(scenario()), KmsError)


def test_a_slave_can_retry_dec_keys_with_a_request_id_after_a_lost_answer(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    with kms_net.client("sae-1") as alice:
        [key] = alice.get_key("sae-2")
    body = {"key_IDs": [{"key_ID": key.key_id}]}
    url = kms_net.url("kme-b") + "/api/v1/keys/sae-1/dec_keys"
    rid = {"X-Request-ID": str(uuid.uuid4())}
    with httpx.Client(verify=sae_ctx(certs, "sae-2"), timeout=30) as bob:
        first = bob.post(url, json=body, headers=rid)  # suppose this answer was lost
        again = bob.post(url, json=body, headers=rid)
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json() == {"keys": [key.to_dict()]}
        other = bob.post(url, json=body, headers={"X-Request-ID": str(uuid.uuid4())})
        plain = bob.post(url, json=body)
        assert (other.status_code, plain.status_code) == (400, 400)  # still delivered once
        assert "already delivered" in plain.json()["message"]
    with httpx.Client(verify=sae_ctx(certs, "sae-3"), timeout=30) as eve:  # same KME, same id
        stolen = eve.post(url, json=body, headers=rid)
        assert stolen.status_code == 401
