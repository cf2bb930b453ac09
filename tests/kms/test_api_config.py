"""kme.toml, the KEK sources, the development PKI and the relay helpers (no server needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kvant.errors import ConfigError
from kvant.kms import (
    CertPaths,
    KmeConfig,
    PeerConfig,
    SaeConfig,
    TlsConfig,
    load_config,
    make_dev_pki,
    relay_unit_ids,
)
from kvant.kms._relay import xor_bytes

TOML = """
kme_id = "kme-moscow"
listen = "127.0.0.1:9443"
store = "moscow.db"
kek_file = "kek.hex"
workers = 2
[tls]
cert = "certs/kme-moscow.pem"
key = "certs/kme-moscow.key"
ca = "certs/ca.pem"
[[peers]]
kme_id = "kme-tver"
url = "https://127.0.0.1:9444"
[[peers]]
kme_id = "kme-spb"
url = "https://127.0.0.1:9445"
via = ["kme-tver"]
[[saes]]
sae_id = "sae-moscow"
kme_id = "kme-moscow"
[[saes]]
sae_id = "sae-spb"
kme_id = "kme-spb"
"""


def test_load_config_resolves_paths_and_round_trips(tmp_path: Path) -> None:
    (tmp_path / "kme.toml").write_text(TOML)
    (tmp_path / "kek.hex").write_text("ab" * 32 + "\n")
    (tmp_path / "kek.hex").chmod(0o600)
    cfg = load_config(tmp_path / "kme.toml")
    assert cfg.store_url == str(tmp_path / "moscow.db")
    assert cfg.tls.ca_path == tmp_path / "certs" / "ca.pem"
    assert (cfg.host, cfg.port, cfg.workers) == ("127.0.0.1", 9443, 2)
    assert cfg.peer("kme-spb").via == ("kme-tver",)
    assert cfg.peer("kme-tver").neighbour
    assert cfg.kme_of_sae("sae-spb") == "kme-spb"
    assert cfg.kme_of_sae("sae-x") is None
    assert cfg.local_sae_ids() == {"sae-moscow"}
    assert cfg.load_kek() == bytes([0xAB]) * 32
    assert KmeConfig.from_dict(cfg.to_dict()) == cfg
    for part in (cfg.tls, cfg.peers[1], cfg.saes[0]):
        assert type(part).from_dict(part.to_dict()) == part


def test_kek_from_the_environment_and_never_inline_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = TlsConfig(Path("a"), Path("b"), Path("c"))
    cfg = KmeConfig("kme-a", tls, "a.db", kek_env="TEST_KVANT_KEK")
    monkeypatch.delenv("TEST_KVANT_KEK", raising=False)
    with pytest.raises(ConfigError, match="TEST_KVANT_KEK"):
        cfg.load_kek()
    monkeypatch.setenv("TEST_KVANT_KEK", "01" * 32)
    assert cfg.load_kek() == bytes([1]) * 32
    monkeypatch.setenv("TEST_KVANT_KEK", "01" * 31)
    with pytest.raises(ConfigError, match="32 bytes"):
        cfg.load_kek()
    with pytest.raises(ConfigError, match="allow_inline_kek"):
        KmeConfig("kme-a", tls, "a.db", kek_hex="00" * 32)
    inline = KmeConfig("kme-a", tls, "a.db", kek_hex="02" * 32, allow_inline_kek=True)
    assert inline.load_kek() == bytes([2]) * 32


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"kme_id": "bad id!"}, "kme_id"),
        ({"listen": "nowhere"}, "HOST:PORT"),
        ({"store": ""}, "store"),
        ({"unit_size_bits": 100}, "multiple of 8"),
        ({"key_size_bits": 384}, "multiple of 256"),
        ({"workers": 0}, ">= 1"),
        ({"colour": "red"}, "unknown"),
        ({"peers": [{"kme_id": "kme-b", "url": "http://x"}]}, "https"),
        ({"peers": [{"kme_id": "kme-c", "url": "https://x", "via": ["kme-z"]}]}, "relay hop"),
        ({"saes": [{"sae_id": "sae-1", "kme_id": "kme-z"}]}, "not this KME"),
        ({"tls": {"cert": "a"}}, "tls"),
    ],
)
def test_bad_configs_say_what_is_wrong(change: dict[str, object], words: str) -> None:
    base: dict[str, object] = {
        "kme_id": "kme-a",
        "store": "a.db",
        "tls": {"cert": "a.pem", "key": "a.key", "ca": "ca.pem"},
    }
    with pytest.raises(ConfigError, match=words):
        KmeConfig.from_dict({**base, **change})


def test_missing_or_broken_config_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "none.toml")
    (tmp_path / "bad.toml").write_text("kme_id = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


def test_dev_pki_identities_roles_and_chain(tmp_path: Path) -> None:
    pki = make_dev_pki(tmp_path, ["kme-a"], ["sae-1"], days=10)
    ca = x509.load_pem_x509_certificate(pki["ca"].cert_path.read_bytes())
    for name, role in (("kme-a", "KME"), ("sae-1", "SAE")):
        cert = x509.load_pem_x509_certificate(pki[name].cert_path.read_bytes())
        cert.verify_directly_issued_by(ca)  # signed by the development CA
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
        ou = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value
        assert ou == role
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        uris = san.get_values_for_type(x509.UniformResourceIdentifier)
        assert uris == [f"urn:kvant:{role.lower()}:{name}"]
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert (ExtendedKeyUsageOID.SERVER_AUTH in eku) == (role == "KME")
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
        life = cert.not_valid_after_utc - cert.not_valid_before_utc
        assert dt.timedelta(days=10) <= life <= dt.timedelta(days=10, minutes=6)
        assert pki[name].key_path.stat().st_mode & 0o077 == 0
        assert CertPaths.from_dict(pki[name].to_dict()) == pki[name]
    kme = x509.load_pem_x509_certificate(pki["kme-a"].cert_path.read_bytes())
    san = kme.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    with pytest.raises(ConfigError, match="distinct"):
        make_dev_pki(tmp_path, ["x"], ["x"])


def test_relay_helpers() -> None:
    ids = relay_unit_ids("relay-1", 3)
    assert len(set(ids)) == 3
    assert ids == relay_unit_ids("relay-1", 3)
    a, b = bytes(range(32)), bytes(range(100, 132))
    assert xor_bytes(xor_bytes(a, b), b) == a  # one-time pad: (a ^ b) ^ b = a
    assert xor_bytes(a, a) == bytes(32)
    with pytest.raises(ConfigError, match="lengths"):
        xor_bytes(a, b[:5])


def test_peer_and_sae_values_validate() -> None:
    with pytest.raises(ConfigError):
        PeerConfig("kme b", "https://x")
    with pytest.raises(ConfigError):
        SaeConfig("sae-1", "")
