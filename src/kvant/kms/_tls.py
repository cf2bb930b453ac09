"""Mutual TLS: SSL contexts, and the peer certificate in the ASGI scope.

Uvicorn does not put the client certificate in the ASGI scope. :func:`mtls_protocol` returns a
subclass of Uvicorn's HTTP protocol (httptools when installed, else h11) that, once the TLS
handshake is done (``connection_made``), reads the verified peer certificate from the transport's
SSL object and adds the ASGI TLS extension to every request scope of that connection::

    scope["extensions"]["tls"] = {"client_cert_name": "CN=sae-1,OU=SAE,...",
                                  "client_cert_error": None, "tls_version": 0x0304, ...,
                                  "kvant_peer": PeerIdentity(role="SAE", name="sae-1")}

The identity is parsed once per connection, not per request. The server context requires a client
certificate signed by the configured CA (``CERT_REQUIRED``): a client without one, or with one
from another CA, fails the handshake and never reaches the application.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from kvant.errors import ConfigError

_HttpTools: Any
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HttpTools
except ImportError:  # pragma: no cover - httptools is optional
    _HttpTools = None

__all__ = [
    "TLS12_CIPHERS",
    "MtlsH11Protocol",
    "PeerIdentity",
    "client_ssl_context",
    "mtls_protocol",
    "server_ssl_context",
]

_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}

TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"
"""TLS 1.2 cipher suites allowed: ephemeral ECDH with an AEAD only (no CBC, no static RSA, no
DHE), as recommended by BSI TR-02102-2 (2024) and RFC 9325 section 4.2. TLS 1.3 suites are all
AEAD and stay at OpenSSL's defaults."""


@dataclass(frozen=True)
class PeerIdentity:
    """Who is on the other end of a mutual-TLS connection.

    Args:
        role: ``"SAE"`` or ``"KME"`` (from the SAN URI ``urn:kvant:<role>:<id>``, else the
            subject OU).
        name: The SAE or KME id (the subject CN).
    """

    role: str
    name: str

    def to_dict(self) -> dict[str, str]:
        """Plain-data form (``from_dict`` inverts it)."""
        return {"role": self.role, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> PeerIdentity:
        """Build from ``{"role", "name"}``."""
        return cls(data["role"], data["name"])


def identity_from_peercert(cert: dict[str, Any] | None) -> PeerIdentity | None:
    """Parse :meth:`ssl.SSLSocket.getpeercert` output into an identity, or None.

    The CN must be present; when the certificate carries a ``urn:kvant:`` SAN URI it must agree
    with the CN (a certificate whose names disagree identifies nobody).

    >>> identity_from_peercert({"subject": ((("organizationalUnitName", "SAE"),),
    ...     (("commonName", "sae-1"),)), "subjectAltName": (("URI", "urn:kvant:sae:sae-1"),)})
    PeerIdentity(role='SAE', name='sae-1')
    """
    if not cert:
        return None
    fields: dict[str, str] = {}
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            fields.setdefault(key, value)
    name = fields.get("commonName")
    if not name:
        return None
    role = fields.get("organizationalUnitName", "")
    urns = [
        v for k, v in cert.get("subjectAltName", ()) if k == "URI" and v.startswith("urn:kvant:")
    ]
    if urns:
        parsed = {tuple(u.split(":", 3)[2:]) for u in urns}
        if len(parsed) != 1:
            return None
        only = next(iter(parsed))
        if len(only) != 2:  # "urn:kvant:sae" without an id names nobody
            return None
        urn_role, urn_name = only
        if urn_name != name:
            return None
        role = urn_role.upper()
    return PeerIdentity(role.upper(), name)


def _check_files(**paths: Path) -> None:
    for what, path in paths.items():
        if not Path(path).is_file():
            raise ConfigError(
                f"TLS {what} file {path} does not exist; create a development PKI with "
                "`kvant kms certs` or point the config at your own"
            )


def server_ssl_context(cert_path: Path, key_path: Path, ca_path: Path) -> ssl.SSLContext:
    """A TLS 1.2+ server context that requires a client certificate signed by ``ca_path``.

    TLS 1.2 is limited to ECDHE with AEAD cipher suites (:data:`TLS12_CIPHERS`).

    Raises:
        ConfigError: a file is missing or unusable.
    """
    _check_files(certificate=cert_path, key=key_path, CA=ca_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    try:
        ctx.load_cert_chain(str(cert_path), str(key_path))
        ctx.load_verify_locations(cafile=str(ca_path))
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"cannot load TLS files {cert_path}, {key_path}, {ca_path}: {exc}"
        ) from exc
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def client_ssl_context(
    ca_path: Path | None, cert_path: Path | None = None, key_path: Path | None = None
) -> ssl.SSLContext:
    """A client context trusting ``ca_path`` and presenting ``cert_path``/``key_path`` if given.

    Raises:
        ConfigError: a file is missing or unusable.
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    try:
        if ca_path is not None:
            _check_files(CA=ca_path)
            ctx.load_verify_locations(cafile=str(ca_path))
        if cert_path is not None:
            _check_files(certificate=cert_path, key=key_path or cert_path)
            ctx.load_cert_chain(str(cert_path), str(key_path) if key_path else None)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigError(f"cannot load client TLS files: {exc}") from exc
    return ctx


def _tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    sslobj = transport.get_extra_info("ssl_object")
    if sslobj is None:
        return None
    cert = sslobj.getpeercert()
    name = None
    if cert:
        name = ",".join(
            f"{'CN' if k == 'commonName' else 'OU' if k == 'organizationalUnitName' else k}={v}"
            for rdn in reversed(cert.get("subject", ()))
            for k, v in rdn
        )
    cipher = sslobj.cipher()
    return {
        "server_cert": None,
        "client_cert_chain": [],
        "client_cert_name": name,
        "client_cert_error": None if cert else "no client certificate",
        "tls_version": _TLS_VERSIONS.get(sslobj.version() or ""),
        "cipher_suite": None,
        "cipher_name": cipher[0] if cipher else None,
        "kvant_peer": identity_from_peercert(cert),
    }


class _TlsScopeApp:
    """ASGI wrapper adding one connection's TLS extension to each request scope."""

    __slots__ = ("app", "tls")

    def __init__(self, app: Any, tls: dict[str, Any]) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        ext = scope.get("extensions")
        scope["extensions"] = {**ext, "tls": self.tls} if ext else {"tls": self.tls}
        await self.app(scope, receive, send)


def _with_tls(self: Any, base: Any, transport: asyncio.Transport) -> None:
    base.connection_made(self, transport)
    tls = _tls_extension(transport)
    if tls is not None:
        self.app = _TlsScopeApp(self.app, tls)


class MtlsH11Protocol(H11Protocol):
    """Uvicorn's h11 protocol publishing the TLS peer (ASGI TLS extension) in each scope."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _with_tls(self, H11Protocol, transport)


MtlsHttpToolsProtocol: type[asyncio.Protocol] | None = None
if _HttpTools is not None:

    class _MtlsHttpToolsProtocol(_HttpTools):  # type: ignore[misc]
        """Uvicorn's httptools protocol publishing the TLS peer in each scope."""

        def connection_made(self, transport: asyncio.Transport) -> None:
            _with_tls(self, _HttpTools, transport)

    _MtlsHttpToolsProtocol.__name__ = _MtlsHttpToolsProtocol.__qualname__ = "MtlsHttpToolsProtocol"
    MtlsHttpToolsProtocol = _MtlsHttpToolsProtocol


def mtls_protocol(prefer: str = "auto") -> type[asyncio.Protocol]:
    """Uvicorn's HTTP protocol class, extended to publish the TLS peer in the ASGI scope.

    The classes live at module level so that Uvicorn can pickle them to worker processes.

    Args:
        prefer: ``"auto"`` (httptools if installed, else h11), ``"h11"`` or ``"httptools"``.

    Returns:
        A protocol class to pass as ``uvicorn.Config(http=...)``.

    Raises:
        ConfigError: an unknown choice, or httptools asked for but not installed.

    >>> mtls_protocol("h11").__name__
    'MtlsH11Protocol'
    """
    if prefer not in ("auto", "h11", "httptools"):
        raise ConfigError(f"prefer must be auto, h11 or httptools, got {prefer!r}")
    if prefer != "h11" and MtlsHttpToolsProtocol is not None:
        return MtlsHttpToolsProtocol
    if prefer == "httptools":
        raise ConfigError("httptools is not installed; pip install httptools, or use h11")
    return MtlsH11Protocol
