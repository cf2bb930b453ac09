"""Who may talk to a KME: mutual TLS, the SAE identity from the certificate, KME-only calls."""

from __future__ import annotations

import ssl
import uuid
from pathlib import Path

import httpx
import pytest

from kvant.kms import LoopbackNetwork, make_dev_pki
from kvant.kms._tls import PeerIdentity, identity_from_peercert


def tls(certs: Path, identity: str | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    if identity is not None:
        ctx.load_cert_chain(str(certs / f"{identity}.pem"), str(certs / f"{identity}.key"))
    return ctx


def refused(url: str, ctx: ssl.SSLContext) -> bool:
    """True if the request gets no HTTP answer at all (the TLS handshake is refused)."""
    try:
        with httpx.Client(verify=ctx, timeout=10) as c:
            c.get(url)
    except httpx.TransportError:
        return True
    return False


def test_no_client_certificate_is_refused(kms_net: LoopbackNetwork, certs: Path) -> None:
    assert refused(kms_net.url("kme-a") + "/api/v1/keys/sae-2/status", tls(certs, None))


def test_a_certificate_from_an_unknown_ca_is_refused(
    kms_net: LoopbackNetwork, certs: Path, tmp_path: Path
) -> None:
    rogue = tmp_path / "rogue"
    make_dev_pki(rogue, ["kme-b"], ["sae-1"])  # same names, another CA
    ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))  # trusts the real KME
    ctx.load_cert_chain(str(rogue / "sae-1.pem"), str(rogue / "sae-1.key"))
    assert refused(kms_net.url("kme-a") + "/api/v1/keys/sae-2/status", ctx)
    kme_ctx = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    kme_ctx.load_cert_chain(str(rogue / "kme-b.pem"), str(rogue / "kme-b.key"))
    assert refused(kms_net.url("kme-a") + "/kme/v1/assign", kme_ctx)


def test_the_client_refuses_a_server_of_an_unknown_ca(
    kms_net: LoopbackNetwork, certs: Path, tmp_path: Path
) -> None:
    rogue = make_dev_pki(tmp_path / "rogue", [], ["sae-9"])
    ctx = ssl.create_default_context(cafile=str(rogue["ca"].cert_path))
    ctx.load_cert_chain(str(certs / "sae-1.pem"), str(certs / "sae-1.key"))
    assert refused(kms_net.url("kme-a") + "/api/v1/keys/sae-2/status", ctx)


def test_another_saes_certificate_cannot_fetch_the_key(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    a = kms_net.url("kme-a") + "/api/v1/keys/"
    b = kms_net.url("kme-b") + "/api/v1/keys/"
    with httpx.Client(verify=tls(certs, "sae-1")) as master:
        key = master.post(a + "sae-2/enc_keys", json={}).json()["keys"][0]
    body = {"key_IDs": [{"key_ID": key["key_ID"]}]}
    with httpx.Client(verify=tls(certs, "sae-3")) as other:  # attached to kme-b, like sae-2
        r = other.post(b + "sae-1/dec_keys", json=body)
        assert r.status_code == 401
        assert "message" in r.json()
    with httpx.Client(verify=tls(certs, "sae-2")) as wrong_kme:  # sae-2 is not at kme-a
        assert wrong_kme.post(a + "sae-1/dec_keys", json=body).status_code == 401
        assert wrong_kme.get(a + "sae-1/status").status_code == 401
    with httpx.Client(verify=tls(certs, "sae-2")) as slave:  # the addressee still gets it
        r = slave.post(b + "sae-1/dec_keys", json=body)
        assert r.status_code == 200
        assert r.json()["keys"] == [key]


def test_kme_and_sae_endpoints_take_only_their_role(kms_net: LoopbackNetwork, certs: Path) -> None:
    with httpx.Client(verify=tls(certs, "kme-a")) as kme:
        r = kme.get(kms_net.url("kme-b") + "/api/v1/keys/sae-1/status")
        assert r.status_code == 401
    notice = {
        "notices": [
            {
                "master_SAE_ID": "sae-1",
                "slave_SAE_ID": "sae-2",
                "keys": [{"key_ID": str(uuid.uuid4()), "unit_IDs": [str(uuid.uuid4())]}],
            }
        ]
    }
    with httpx.Client(verify=tls(certs, "sae-1")) as sae:
        assert sae.post(kms_net.url("kme-b") + "/kme/v1/assign", json=notice).status_code == 401


def test_a_peer_kme_cannot_assign_keys_for_another_kmes_sae(
    kms_net: LoopbackNetwork, certs: Path
) -> None:
    """kme-c may not claim keys of sae-1, which the directory places at kme-a."""
    notice = {
        "notices": [
            {
                "master_SAE_ID": "sae-1",
                "slave_SAE_ID": "sae-2",
                "keys": [{"key_ID": str(uuid.uuid4()), "unit_IDs": [str(uuid.uuid4())]}],
            }
        ]
    }
    with httpx.Client(verify=tls(certs, "kme-c")) as kme:
        r = kme.post(kms_net.url("kme-b") + "/kme/v1/assign", json=notice)
    assert r.status_code == 200
    [result] = r.json()["results"]
    assert "attached to kme-a" in result


def cert(cn: str, ou: str, *uris: str) -> dict[str, object]:
    return {
        "subject": ((("organizationalUnitName", ou),), (("commonName", cn),)),
        "subjectAltName": tuple(("URI", u) for u in uris),
    }


@pytest.mark.parametrize(
    ("peercert", "expected"),
    [
        (cert("sae-1", "SAE", "urn:kvant:sae:sae-1"), PeerIdentity("SAE", "sae-1")),
        (cert("kme-a", "KME", "urn:kvant:kme:kme-a"), PeerIdentity("KME", "kme-a")),
        (cert("sae-1", "SAE"), PeerIdentity("SAE", "sae-1")),  # no SAN: the OU says the role
        (cert("sae-1", "SAE", "urn:kvant:sae:sae-2"), None),  # names disagree
        (cert("sae-1", "SAE", "urn:kvant:sae:sae-1", "urn:kvant:kme:sae-1"), None),
        ({"subject": ((("organizationalUnitName", "SAE"),),)}, None),  # no CN
        ({}, None),
    ],
)
def test_identity_from_the_certificate(
    peercert: dict[str, object], expected: PeerIdentity | None
) -> None:
    assert identity_from_peercert(peercert) == expected
