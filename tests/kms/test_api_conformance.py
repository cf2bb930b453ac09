"""ETSI GS QKD 014 V1.1.1 conformance over real mutual TLS on loopback.

The client here is written from the standard (sections 5 and 6), with httpx and plain JSON, not
with Kvant's own client: field names, defaults (number 1, size = key_size), key container, key
IDs, and the error answers (400/401/503 with ``message``/``details``).
"""

from __future__ import annotations

import base64
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kvant.kms import LoopbackNetwork

STATUS_FIELDS = {
    "source_KME_ID", "target_KME_ID", "master_SAE_ID", "slave_SAE_ID", "key_size",
    "stored_key_count", "max_key_count", "max_key_per_request", "max_key_size", "min_key_size",
    "max_SAE_ID_count",
}  # fmt: skip


def tls(certs: Path, identity: str | None) -> ssl.SSLContext:
    """A client context trusting the network's CA, presenting ``identity``'s certificate."""
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if identity is not None:
        ctx.load_cert_chain(str(certs / f"{identity}.pem"), str(certs / f"{identity}.key"))
    return ctx


def sae_client(net: LoopbackNetwork, sae: str, kme: str | None = None) -> httpx.Client:
    base = net.url(kme or net.kme_of(sae)) + "/api/v1/keys/"
    return httpx.Client(base_url=base, verify=tls(net.root / "certs", sae), timeout=30)


@pytest.fixture(scope="module")
def master(kms_net: LoopbackNetwork) -> Iterator[httpx.Client]:
    with sae_client(kms_net, "sae-1") as c:
        yield c


@pytest.fixture(scope="module")
def slave(kms_net: LoopbackNetwork) -> Iterator[httpx.Client]:
    with sae_client(kms_net, "sae-2") as c:
        yield c


def keys_of(response: httpx.Response) -> list[tuple[str, bytes]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"keys", "key_container_extension"}
    out = []
    for k in body["keys"]:
        assert set(k) <= {"key_ID", "key_ID_extension", "key", "key_extension"}
        assert str(uuid.UUID(k["key_ID"])) == k["key_ID"]
        out.append((k["key_ID"], base64.b64decode(k["key"], validate=True)))
    return out


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) <= {"message", "details"}
    assert isinstance(body["message"], str)
    assert body["message"]
    if "details" in body:
        assert isinstance(body["details"], list)
    return body


def stored(client: httpx.Client, slave: str = "sae-2") -> int:
    count: int = client.get(f"{slave}/status").json()["stored_key_count"]
    return count


def test_status_has_the_standard_fields_and_values(master: httpx.Client) -> None:
    body = master.get("sae-2/status").json()
    assert STATUS_FIELDS <= set(body) <= STATUS_FIELDS | {"status_extension"}
    assert body["source_KME_ID"] == "kme-a"
    assert body["target_KME_ID"] == "kme-b"
    assert body["master_SAE_ID"] == "sae-1"  # from the client certificate
    assert body["slave_SAE_ID"] == "sae-2"
    assert body["key_size"] == 256
    assert body["min_key_size"] == 256
    assert body["max_key_size"] % body["min_key_size"] == 0
    assert body["max_SAE_ID_count"] == 0
    assert 0 < body["stored_key_count"] <= body["max_key_count"]


def test_defaults_one_key_of_key_size(master: httpx.Client, slave: httpx.Client) -> None:
    before = stored(master)
    [(key_id, key)] = keys_of(master.post("sae-2/enc_keys", json={}))
    assert len(key) == 256 // 8
    assert stored(master) == before - 1
    assert keys_of(slave.post("sae-1/dec_keys", json={"key_IDs": [{"key_ID": key_id}]})) == [
        (key_id, key)
    ]


def test_number_and_size_post_and_get_forms(master: httpx.Client, slave: httpx.Client) -> None:
    before = stored(master)
    posted = keys_of(master.post("sae-2/enc_keys", json={"number": 3, "size": 512}))
    got = keys_of(master.get("sae-2/enc_keys", params={"number": 2, "size": 768}))
    assert [len(k) for _, k in posted] == [64, 64, 64]
    assert [len(k) for _, k in got] == [96, 96]
    assert stored(master) == before - (3 * 2 + 2 * 3)  # units of 256 bits consumed
    ids = [i for i, _ in posted + got]
    assert len(set(ids)) == 5
    assert len({k for _, k in posted + got}) == 5
    # slave side: POST form with several IDs, GET form with one
    body = {"key_IDs": [{"key_ID": i} for i, _ in posted]}
    assert keys_of(slave.post("sae-1/dec_keys", json=body)) == posted
    for key_id, key in got:
        assert keys_of(slave.get("sae-1/dec_keys", params={"key_ID": key_id})) == [(key_id, key)]


def test_a_key_is_delivered_once_to_each_side(master: httpx.Client, slave: httpx.Client) -> None:
    [(key_id, _)] = keys_of(master.post("sae-2/enc_keys", json={"number": 1}))
    body = {"key_IDs": [{"key_ID": key_id}]}
    keys_of(slave.post("sae-1/dec_keys", json=body))
    again = error_of(slave.post("sae-1/dec_keys", json=body), 400)
    assert "deliver" in again["message"] or "unknown" in again["message"]


def test_a_retry_with_the_same_request_id_gets_the_same_keys(
    master: httpx.Client, slave: httpx.Client
) -> None:
    before = stored(master)
    headers = {"X-Request-ID": str(uuid.uuid4())}
    first = keys_of(master.post("sae-2/enc_keys", json={"number": 2}, headers=headers))
    again = keys_of(master.post("sae-2/enc_keys", json={"number": 2}, headers=headers))
    assert again == first
    assert stored(master) == before - 2  # taken once
    body = {"key_IDs": [{"key_ID": i} for i, _ in first]}
    assert keys_of(slave.post("sae-1/dec_keys", json=body)) == first


def test_optional_extensions_are_accepted(master: httpx.Client) -> None:
    body = {"number": 1, "extension_optional": [{"abc_route_type": "direct"}]}
    assert len(keys_of(master.post("sae-2/enc_keys", json=body))) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"number": 0}, "number"),
        ({"number": 129}, "number"),
        ({"size": 100}, "size"),
        ({"size": 0}, "size"),
        ({"size": 1 << 20}, "size"),
        ({"number": "many"}, "bad request"),
        ({"additional_slave_SAE_IDs": ["sae-3"]}, "additional_slave_SAE_IDs"),
        ({"extension_mandatory": [{"abc_route_type": "direct"}]}, "extension_mandatory"),
    ],
)
def test_bad_key_requests_are_400(master: httpx.Client, body: dict[str, Any], words: str) -> None:
    before = stored(master)
    error = error_of(master.post("sae-2/enc_keys", json=body), 400)
    assert words in error["message"]
    assert stored(master) == before  # nothing consumed


def test_body_edge_cases(master: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    assert len(keys_of(master.post("sae-2/enc_keys", content=b"null", headers=headers))) == 1
    assert len(keys_of(master.post("sae-2/enc_keys", content=b"", headers=headers))) == 1
    error_of(master.post("sae-2/enc_keys", content=b"[1, 2]", headers=headers), 400)
    error_of(master.post("sae-2/enc_keys", json={"number": 1.5}), 400)
    huge = {"number": 1, "extension_optional": [{"pad": "x" * 70_000}]}
    assert "exceeds" in error_of(master.post("sae-2/enc_keys", json=huge), 400)["message"]


def test_unsupported_mandatory_extension_is_named(master: httpx.Client) -> None:
    body = {"extension_mandatory": [{"abc_route_type": "direct"}]}
    error = error_of(master.post("sae-2/enc_keys", json=body), 400)
    assert error["details"] == [{"extension_mandatory_unsupported": ["abc_route_type"]}]


def test_malformed_json_and_query_are_400(master: httpx.Client, slave: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    error_of(master.post("sae-2/enc_keys", content=b"{not json", headers=headers), 400)
    error_of(master.get("sae-2/enc_keys", params={"number": "x"}), 400)
    error_of(slave.post("sae-1/dec_keys", json={"key_ID": "x"}), 400)
    error_of(slave.post("sae-1/dec_keys", json={"key_IDs": [{"key_ID": "not-a-uuid"}]}), 400)
    error_of(slave.get("sae-1/dec_keys"), 400)


def test_unknown_slave_and_unknown_key_are_400(master: httpx.Client, slave: httpx.Client) -> None:
    assert "unknown SAE" in error_of(master.post("sae-9/enc_keys", json={}), 400)["message"]
    assert error_of(master.get("sae-9/status"), 400)
    unknown = {"key_IDs": [{"key_ID": str(uuid.uuid4())}]}
    error_of(slave.post("sae-1/dec_keys", json=unknown), 400)


def test_not_enough_key_is_503_and_consumes_nothing(master: httpx.Client) -> None:
    before = stored(master)
    want = {"number": 128, "size": 8192}  # 4096 units of 256 bits: more than the link has
    assert before < 128 * 8192 // 256
    error = error_of(master.post("sae-2/enc_keys", json=want), 503)
    assert str(before) in error["message"]
    assert stored(master) == before


def test_master_sae_id_must_match_the_key(kms_net: LoopbackNetwork, master: httpx.Client) -> None:
    [(key_id, _)] = keys_of(master.post("sae-2/enc_keys", json={}))
    with sae_client(kms_net, "sae-2") as slave:
        body = {"key_IDs": [{"key_ID": key_id}]}
        error_of(slave.post("sae-4/dec_keys", json=body), 401)  # wrong master in the path
        assert len(keys_of(slave.post("sae-1/dec_keys", json=body))) == 1


def test_relay_between_kmes_that_share_no_link(kms_net: LoopbackNetwork) -> None:
    """kme-a and kme-c have no QKD link: the key goes by one-time-pad relay through kme-b."""
    from kvant.kms import open_store

    kek = bytes.fromhex(kms_net.kek_hex)

    def pool(me: str, peer: str) -> int:
        store = open_store(kms_net.store_url(me), me, kek)
        try:
            return store.status(peer).stored_key_count
        finally:
            store.close()

    ab, bc, far_end = pool("kme-b", "kme-a"), pool("kme-b", "kme-c"), pool("kme-c", "kme-a")
    with sae_client(kms_net, "sae-1") as a, sae_client(kms_net, "sae-4") as c:
        far = a.get("sae-4/status").json()
        assert far["target_KME_ID"] == "kme-c"
        before = far["stored_key_count"]
        [(key_id, key)] = keys_of(a.post("sae-4/enc_keys", json={"size": 512}))
        relayed = a.get("sae-4/status").json()["stored_key_count"] + 2 - before
        assert relayed >= 2
        assert keys_of(c.post("sae-1/dec_keys", json={"key_IDs": [{"key_ID": key_id}]})) == [
            (key_id, key)
        ]
    # the trusted node spent exactly the relayed amount of key on each of its two links
    assert ab - pool("kme-b", "kme-a") == relayed
    assert bc - pool("kme-b", "kme-c") == relayed
    # kme-a committed the relay: the far end's pool holds the rest (2 units went to sae-4)
    assert pool("kme-c", "kme-a") - far_end == relayed - 2


def test_relayed_key_waits_at_the_destination_until_the_origin_commits(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    """kme-a's first hop reaches kme-c through kme-b, but kme-a stores nothing yet (as if it
    died, or its hop timed out): kme-c must not hand the relayed units out. Once kme-a holds
    the key and commits, they join kme-c's pool and a key kme-c makes of them reaches kme-a."""
    from kvant.kms import KeyUnit, open_store
    from kvant.kms._relay import relay_unit_ids

    kek = bytes.fromhex(kms_net.kek_hex)
    a = open_store(kms_net.store_url("kme-a"), "kme-a", kek)
    c = open_store(kms_net.store_url("kme-c"), "kme-c", kek)
    try:
        before = c.status("kme-a").stored_key_count
        relay_id = str(uuid.uuid4())
        pad = a.take_for_relay("kme-b", 512, relay_id + ":out")  # what originate_relay takes
        hop = {"relay_ID": relay_id, "origin_KME_ID": "kme-a", "destination_KME_ID": "kme-c",
               "route": ["kme-b", "kme-c"], "size": 512, "unit_IDs": list(pad.unit_ids),
               "payload": None}  # fmt: skip
        with httpx.Client(verify=tls(certs, "kme-a"), timeout=30) as kme_a:
            answer = kme_a.post(kms_net.url("kme-b") + "/kme/v1/relay", json=hop)
            assert answer.status_code == 200, answer.text
            ids = answer.json()["unit_IDs"]
            assert ids == relay_unit_ids(relay_id, 2)
            assert c.status("kme-a").stored_key_count == before  # pending, not in the pool
            a.supply(
                "kme-c", [KeyUnit(u, pad.key[32 * i : 32 * i + 32]) for i, u in enumerate(ids)]
            )
            commit = {"relay_ID": relay_id, "unit_IDs": ids}
            for committed in (2, 0):  # the second is a retry
                done = kme_a.post(kms_net.url("kme-c") + "/kme/v1/relay/commit", json=commit)
                assert done.json() == {"relay_ID": relay_id, "committed": committed}
        assert c.status("kme-a").stored_key_count == before + 2
        with sae_client(kms_net, "sae-2") as sae_b:  # an SAE's certificate is not a KME's
            refused = sae_b.post(kms_net.url("kme-c") + "/kme/v1/relay/commit", json=commit)
            assert refused.status_code == 401
    finally:
        a.close()
        c.close()
    with sae_client(kms_net, "sae-4") as far, sae_client(kms_net, "sae-1") as near:
        keys: list[tuple[str, bytes]] = []
        while len(keys) < before + 2:  # the whole pool, oldest first: the relayed units too
            number = min(before + 2 - len(keys), 128)
            keys += keys_of(far.post("sae-1/enc_keys", json={"number": number, "size": 256}))
        body = {"key_IDs": [{"key_ID": i} for i, _ in keys]}
        assert keys_of(near.post("sae-4/dec_keys", json=body)) == keys
    assert {pad.key[:32], pad.key[32:]} <= {k for _, k in keys}


def test_concurrent_requests_to_a_far_kme_share_the_relays(kms_net: LoopbackNetwork) -> None:
    """Many masters at once run short of key with a far KME: relays serve them all, each key
    reaches the far slave, and the trusted node spends on each link exactly what was relayed."""
    from concurrent.futures import ThreadPoolExecutor

    from kvant.kms import open_store

    kek = bytes.fromhex(kms_net.kek_hex)

    def pools() -> tuple[int, int, int]:
        stores = [open_store(kms_net.store_url(k), k, kek) for k in ("kme-a", "kme-b")]
        try:
            return (
                stores[0].status("kme-c").stored_key_count,
                stores[1].status("kme-a").stored_key_count,
                stores[1].status("kme-c").stored_key_count,
            )
        finally:
            for s in stores:
                s.close()

    far0, ab0, bc0 = pools()

    def ask(_: int) -> list[tuple[str, bytes]]:
        with sae_client(kms_net, "sae-1") as a:
            return keys_of(a.post("sae-4/enc_keys", json={"number": 10, "size": 512}))

    with ThreadPoolExecutor(6) as pool:
        delivered = [k for batch in pool.map(ask, range(6)) for k in batch]
    assert len({i for i, _ in delivered}) == 60
    far1, ab1, bc1 = pools()
    relayed = far1 + 60 * 2 - far0  # units now in the a-c pool + units delivered - before
    assert relayed > 0
    assert ab0 - ab1 == relayed
    assert bc0 - bc1 == relayed
    with sae_client(kms_net, "sae-4") as c:
        body = {"key_IDs": [{"key_ID": i} for i, _ in delivered]}
        assert keys_of(c.post("sae-1/dec_keys", json=body)) == delivered


def test_served_openapi_document_is_the_committed_one(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    import json

    committed = json.loads((Path(__file__).parents[2] / "docs" / "kms-openapi.json").read_text())
    with httpx.Client(verify=tls(certs, "sae-1")) as c:
        served = c.get(kms_net.url("kme-a") + "/openapi.json").json()
    assert served == committed, "regenerate with: kvant kms openapi --out docs/kms-openapi.json"
