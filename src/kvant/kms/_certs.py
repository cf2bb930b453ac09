"""A development PKI: one CA, and certificates for KMEs (server + client) and SAEs (client).

Identities: the subject CN is the KME or SAE id, the subject OU says the role (``KME`` or
``SAE``) and a SAN URI repeats both (``urn:kvant:kme:<id>``, ``urn:kvant:sae:<id>``). KME
certificates also name ``localhost`` and ``127.0.0.1`` (plus any extra hosts) so clients can
verify the server's host name on loopback. Keys are ECDSA P-256 (fast TLS handshakes).

This is for development and tests; a deployment uses its own CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kvant.errors import ConfigError, KvantIOError
from kvant.kms._config import check_id

__all__ = ["CertPaths", "make_dev_pki"]

Role = Literal["KME", "SAE"]
ROLE_URN = {"KME": "urn:kvant:kme:", "SAE": "urn:kvant:sae:"}


@dataclass(frozen=True)
class CertPaths:
    """Where one identity's certificate and key were written.

    Args:
        name: The KME or SAE id (the subject CN).
        role: ``"KME"`` or ``"SAE"``.
        cert_path: PEM certificate.
        key_path: PEM private key (PKCS#8, unencrypted, mode 0600).
    """

    name: str
    role: str
    cert_path: Path
    key_path: Path

    def to_dict(self) -> dict[str, str]:
        """Plain-data form (``from_dict`` inverts it)."""
        return {
            "name": self.name,
            "role": self.role,
            "cert": str(self.cert_path),
            "key": str(self.key_path),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CertPaths:
        """Build from ``to_dict`` output."""
        return cls(data["name"], data["role"], Path(data["cert"]), Path(data["key"]))


def _write(path: Path, data: bytes, private: bool = False) -> None:
    try:
        path.write_bytes(data)
        if private:
            path.chmod(0o600)
    except OSError as exc:
        raise KvantIOError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _issue(
    name: str,
    role: Role,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_name: x509.Name,
    now: dt.datetime,
    days: int,
    hosts: tuple[str, ...],
) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kvant development"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(ROLE_URN[role] + name)]
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if role == "KME":
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def make_dev_pki(
    out_dir: str | Path,
    kme_ids: list[str] | tuple[str, ...],
    sae_ids: list[str] | tuple[str, ...] = (),
    *,
    days: int = 365,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    ca_name: str = "Kvant development CA",
) -> dict[str, CertPaths]:
    """Create a CA and certificates for KMEs and SAEs in ``out_dir``.

    Files: ``ca.pem``/``ca.key``, and ``<id>.pem``/``<id>.key`` per identity.

    Args:
        out_dir: Directory to write (created if missing).
        kme_ids: KME identities (server and client certificates).
        sae_ids: SAE identities (client certificates).
        days: Validity in days.
        hosts: Host names and IP addresses KME certificates are valid for.
        ca_name: CN of the CA.

    Returns:
        Paths by identity; the CA is under ``"ca"``.

    Raises:
        ConfigError: an id is invalid or repeated, or ``days`` < 1.
        KvantIOError: the directory cannot be written.

    >>> import tempfile
    >>> pki = make_dev_pki(tempfile.mkdtemp(), ["kme-a"], ["sae-1"])
    >>> sorted(pki), pki["sae-1"].role
    (['ca', 'kme-a', 'sae-1'], 'SAE')
    """
    names = [check_id(n, "kme id") for n in kme_ids] + [check_id(n, "sae id") for n in sae_ids]
    if len(set(names)) != len(names) or "ca" in names:
        raise ConfigError(f"identities must be distinct and not 'ca', got {names}")
    if days < 1:
        raise ConfigError(f"days must be >= 1, got {days}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KvantIOError(f"cannot create {out}: {exc.strerror or exc}") from exc
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = {"ca": CertPaths("ca", "CA", out / "ca.pem", out / "ca.key")}
    _write(paths["ca"].cert_path, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(paths["ca"].key_path, _key_pem(ca_key), private=True)
    roles: list[tuple[str, Role]] = [(n, "KME") for n in kme_ids] + [(n, "SAE") for n in sae_ids]
    for name, role in roles:
        cert_pem, key_pem = _issue(name, role, ca_key, ca_subject, now, days, hosts)
        entry = CertPaths(name, role, out / f"{name}.pem", out / f"{name}.key")
        _write(entry.cert_path, cert_pem)
        _write(entry.key_path, key_pem, private=True)
        paths[name] = entry
    return paths
