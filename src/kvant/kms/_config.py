"""The configuration of one Key Management Entity (``kme.toml``).

A KME knows who it is (``kme_id``), where it listens, its TLS identity, its key store, where its
key-encryption key (KEK) comes from, the other KMEs it talks to (QKD neighbours and far KMEs
reached by relay through trusted nodes) and the directory of SAEs (which KME each is attached to).

The KEK is never written inline by default: it comes from an environment variable
(``kek_env``) or a file (``kek_file``) holding 32 bytes as 64 hex digits or raw bytes.
``kek_hex`` inline is accepted only with ``allow_inline_kek = true`` (tests and demos).

Example ``kme.toml``::

    kme_id = "kme-moscow"
    listen = "127.0.0.1:8443"
    store = "sqlite:///moscow.db"
    kek_env = "KVANT_KEK"

    [tls]
    cert = "certs/kme-moscow.pem"
    key = "certs/kme-moscow.key"
    ca = "certs/ca.pem"

    [[peers]]
    kme_id = "kme-tver"
    url = "https://127.0.0.1:8444"

    [[peers]]
    kme_id = "kme-spb"
    url = "https://127.0.0.1:8445"
    via = ["kme-tver"]

    [[saes]]
    sae_id = "sae-moscow"
    kme_id = "kme-moscow"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kvant.errors import ConfigError

__all__ = ["KmeConfig", "PeerConfig", "SaeConfig", "TlsConfig", "load_config"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
KEK_BYTES = 32


def check_id(value: object, what: str) -> str:
    """Return ``value`` if it is a valid KME or SAE identifier, else raise :class:`ConfigError`."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ConfigError(
            f"{what} must be 1-128 characters of letters, digits, '.', '_', ':' or '-' starting "
            f"with a letter or digit, got {value!r}"
        )
    return value


@dataclass(frozen=True)
class TlsConfig:
    """Paths of this KME's certificate, private key and the CA that signs KMEs and SAEs.

    Args:
        cert_path: PEM certificate of this KME (its subject CN is the ``kme_id``).
        key_path: PEM private key of that certificate.
        ca_path: PEM certificate(s) of the CA(s) trusted for SAE and KME client certificates.
    """

    cert_path: Path
    key_path: Path
    ca_path: Path

    def to_dict(self) -> dict[str, str]:
        """Plain-data form (``from_dict`` inverts it)."""
        return {"cert": str(self.cert_path), "key": str(self.key_path), "ca": str(self.ca_path)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path | None = None) -> TlsConfig:
        """Build from ``{"cert", "key", "ca"}``; relative paths are taken from ``base``."""
        missing = [k for k in ("cert", "key", "ca") if not isinstance(data.get(k), str)]
        if missing:
            raise ConfigError(f"[tls] needs string paths {missing}; e.g. cert = 'certs/kme.pem'")
        root = base or Path()
        return cls(root / data["cert"], root / data["key"], root / data["ca"])


@dataclass(frozen=True)
class PeerConfig:
    """Another KME this one talks to over HTTPS with mutual TLS.

    Args:
        kme_id: The peer's identifier (the CN of its certificate).
        url: Base URL, e.g. ``https://127.0.0.1:8444``.
        via: Trusted-node KMEs on the relay route, nearest first; empty for a QKD neighbour
            (a direct link whose key the network layer supplies to both ends).
    """

    kme_id: str
    url: str
    via: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_id(self.kme_id, "peers[].kme_id")
        if not isinstance(self.url, str) or not self.url.startswith("https://"):
            raise ConfigError(
                f"peer {self.kme_id}: url must start with https:// (mutual TLS), got {self.url!r}"
            )
        for hop in self.via:
            check_id(hop, f"peer {self.kme_id}: via[]")

    @property
    def neighbour(self) -> bool:
        """True for a QKD neighbour (no trusted node in between)."""
        return not self.via

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (``from_dict`` inverts it)."""
        return {"kme_id": self.kme_id, "url": self.url, "via": list(self.via)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeerConfig:
        """Build from ``{"kme_id", "url", "via"}``."""
        via = data.get("via", [])
        if not isinstance(via, list | tuple):
            raise ConfigError(f"peer {data.get('kme_id')!r}: via must be a list of KME ids")
        return cls(str(data.get("kme_id", "")), data.get("url", ""), tuple(via))


@dataclass(frozen=True)
class SaeConfig:
    """A Secure Application Entity and the KME it is attached to.

    Args:
        sae_id: The SAE identifier (the CN of its client certificate).
        kme_id: The KME that serves it.
    """

    sae_id: str
    kme_id: str

    def __post_init__(self) -> None:
        check_id(self.sae_id, "saes[].sae_id")
        check_id(self.kme_id, f"sae {self.sae_id}: kme_id")

    def to_dict(self) -> dict[str, str]:
        """Plain-data form (``from_dict`` inverts it)."""
        return {"sae_id": self.sae_id, "kme_id": self.kme_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SaeConfig:
        """Build from ``{"sae_id", "kme_id"}``."""
        return cls(str(data.get("sae_id", "")), str(data.get("kme_id", "")))


@dataclass(frozen=True)
class KmeConfig:
    """Everything one KME process needs.

    Args:
        kme_id: This KME's identifier (the CN of its certificate).
        tls: Certificate, key and CA paths.
        store_url: ``sqlite:///path.db``, a path, or ``postgresql://...``.
        host: Listen address.
        port: Listen port.
        kek_env: Environment variable holding the KEK (64 hex digits).
        kek_file: File holding the KEK (64 hex digits or 32 raw bytes).
        kek_hex: Inline KEK, accepted only with ``allow_inline_kek`` (tests, demos).
        allow_inline_kek: Accept ``kek_hex``.
        unit_size_bits: Size of one key unit in the store (ETSI ``min_key_size``).
        key_size_bits: Default key size of ``enc_keys`` (ETSI ``key_size``).
        max_key_per_request: ETSI ``max_key_per_request``.
        max_key_size_bits: ETSI ``max_key_size``.
        max_key_count: ETSI ``max_key_count`` (the most keys the pool holds for one peer).
        workers: Server worker processes.
        peers: Other KMEs (neighbours and far KMEs reached by relay).
        saes: The SAE directory (this KME's SAEs and the far SAEs with their KMEs).
    """

    kme_id: str
    tls: TlsConfig
    store_url: str
    host: str = "127.0.0.1"
    port: int = 8443
    kek_env: str | None = "KVANT_KEK"
    kek_file: Path | None = None
    kek_hex: str | None = None
    allow_inline_kek: bool = False
    unit_size_bits: int = 256
    key_size_bits: int = 256
    max_key_per_request: int = 128
    max_key_size_bits: int = 8192
    max_key_count: int = 1_000_000
    workers: int = 1
    peers: tuple[PeerConfig, ...] = ()
    saes: tuple[SaeConfig, ...] = field(default=())

    def __post_init__(self) -> None:
        check_id(self.kme_id, "kme_id")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be in 1..65535, got {self.port}")
        unit = self.unit_size_bits
        if unit <= 0 or unit % 8:
            raise ConfigError(f"unit_size_bits must be a positive multiple of 8, got {unit}")
        for name in ("key_size_bits", "max_key_size_bits"):
            value = getattr(self, name)
            if value <= 0 or value % unit:
                raise ConfigError(f"{name} must be a positive multiple of {unit}, got {value}")
        if self.key_size_bits > self.max_key_size_bits:
            raise ConfigError("key_size_bits must not exceed max_key_size_bits")
        if self.max_key_per_request < 1 or self.max_key_count < 1 or self.workers < 1:
            raise ConfigError("max_key_per_request, max_key_count and workers must be >= 1")
        if self.kek_hex is not None and not self.allow_inline_kek:
            raise ConfigError(
                "kek_hex puts the key-encryption key in the config file; use kek_env or kek_file, "
                "or set allow_inline_kek = true for a test setup"
            )
        ids = [p.kme_id for p in self.peers]
        if len(set(ids)) != len(ids) or self.kme_id in ids:
            raise ConfigError(f"peers must have distinct kme_ids other than {self.kme_id!r}")
        for p in self.peers:
            for hop in p.via:
                if hop not in ids or hop == p.kme_id:
                    raise ConfigError(
                        f"peer {p.kme_id}: relay hop {hop!r} must be another listed peer"
                    )
            if p.via and not self.peer(p.via[0]).neighbour:
                raise ConfigError(f"peer {p.kme_id}: the first relay hop must be a neighbour")
        sae_ids = [s.sae_id for s in self.saes]
        if len(set(sae_ids)) != len(sae_ids):
            raise ConfigError("saes must have distinct sae_ids")
        for s in self.saes:
            if s.kme_id != self.kme_id and s.kme_id not in ids:
                raise ConfigError(
                    f"sae {s.sae_id} is attached to {s.kme_id!r}, which is not this KME or a peer"
                )

    # -- look-ups ---------------------------------------------------------------------------

    def peer(self, kme_id: str) -> PeerConfig:
        """The peer called ``kme_id``; raises :class:`ConfigError` if there is none."""
        for p in self.peers:
            if p.kme_id == kme_id:
                return p
        raise ConfigError(f"{self.kme_id} has no peer {kme_id!r}; add it under [[peers]]")

    def kme_of_sae(self, sae_id: str) -> str | None:
        """The KME an SAE is attached to, or None if the SAE is not in the directory."""
        for s in self.saes:
            if s.sae_id == sae_id:
                return s.kme_id
        return None

    def local_sae_ids(self) -> frozenset[str]:
        """The SAEs attached to this KME."""
        return frozenset(s.sae_id for s in self.saes if s.kme_id == self.kme_id)

    def load_kek(self) -> bytes:
        """Read the key-encryption key from ``kek_env``, ``kek_file`` or (if allowed) ``kek_hex``.

        Raises:
            ConfigError: if no source is set, the value is not 32 bytes, or (POSIX) ``kek_file``
                is readable by group or others (it must be mode 0600 or stricter).
        """
        if self.kek_hex is not None:
            return _parse_kek(self.kek_hex.encode(), "kek_hex")
        if self.kek_file is not None:
            try:
                mode = self.kek_file.stat().st_mode
                raw = self.kek_file.read_bytes()
            except OSError as exc:
                raise ConfigError(f"cannot read kek_file {self.kek_file}: {exc}") from exc
            if os.name == "posix" and mode & 0o077:
                raise ConfigError(
                    f"kek_file {self.kek_file} is readable by other users (mode "
                    f"{mode & 0o777:o}); restrict it with `chmod 600 {self.kek_file}`"
                )
            return _parse_kek(raw, f"kek_file {self.kek_file}")
        if self.kek_env and self.kek_env in os.environ:
            return _parse_kek(os.environ[self.kek_env].encode(), f"${self.kek_env}")
        raise ConfigError(
            f"no key-encryption key: set ${self.kek_env or 'KVANT_KEK'} to 64 hex digits "
            "(e.g. from `openssl rand -hex 32`) or point kek_file at such a file"
        )

    # -- plain data ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form in the TOML layout (``from_dict`` inverts it)."""
        out: dict[str, Any] = {
            "kme_id": self.kme_id,
            "listen": f"{self.host}:{self.port}",
            "store": self.store_url,
            "tls": self.tls.to_dict(),
            "unit_size_bits": self.unit_size_bits,
            "key_size_bits": self.key_size_bits,
            "max_key_per_request": self.max_key_per_request,
            "max_key_size_bits": self.max_key_size_bits,
            "max_key_count": self.max_key_count,
            "workers": self.workers,
            "allow_inline_kek": self.allow_inline_kek,
            "peers": [p.to_dict() for p in self.peers],
            "saes": [s.to_dict() for s in self.saes],
        }
        if self.kek_env is not None:
            out["kek_env"] = self.kek_env
        if self.kek_file is not None:
            out["kek_file"] = str(self.kek_file)
        if self.kek_hex is not None:
            out["kek_hex"] = self.kek_hex
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path | None = None) -> KmeConfig:
        """Build from the TOML layout; relative paths are taken from ``base``.

        >>> cfg = KmeConfig.from_dict({"kme_id": "kme-a", "listen": "127.0.0.1:9443",
        ...     "store": "a.db", "tls": {"cert": "a.pem", "key": "a.key", "ca": "ca.pem"}})
        >>> cfg.port, KmeConfig.from_dict(cfg.to_dict()) == cfg
        (9443, True)
        """
        if not isinstance(data, dict):
            raise ConfigError("a KME config must be a table (TOML) or mapping")
        known = {
            "kme_id", "listen", "store", "tls", "kek_env", "kek_file", "kek_hex",
            "allow_inline_kek", "unit_size_bits", "key_size_bits", "max_key_per_request",
            "max_key_size_bits", "max_key_count", "workers", "peers", "saes",
        }  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown KME config keys {unknown}; known: {sorted(known)}")
        root = base or Path()
        host, sep, port = str(data.get("listen", "127.0.0.1:8443")).rpartition(":")
        if not sep or not port.isdigit():
            raise ConfigError(f"listen must be HOST:PORT, got {data.get('listen')!r}")
        store = data.get("store")
        if not isinstance(store, str) or not store:
            raise ConfigError("store is required: a SQLite path, sqlite:///path or postgresql://")
        if "://" not in store and not Path(store).is_absolute():
            store = str(root / store)
        elif store.startswith("sqlite:///") and not Path(store[10:]).is_absolute():
            store = "sqlite:///" + str(root / store[10:])
        kek_file = data.get("kek_file")
        ints: dict[str, Any] = {}
        for name in (
            "unit_size_bits",
            "key_size_bits",
            "max_key_per_request",
            "max_key_size_bits",
            "max_key_count",
            "workers",
        ):
            if name in data:
                value = data[name]
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ConfigError(f"{name} must be an integer, got {value!r}")
                ints[name] = value
        tls = data.get("tls")
        if not isinstance(tls, dict):
            raise ConfigError("a [tls] table with cert, key and ca is required")
        return cls(
            kme_id=data.get("kme_id", ""),
            tls=TlsConfig.from_dict(tls, root),
            store_url=store,
            host=host,
            port=int(port),
            kek_env=data.get("kek_env", "KVANT_KEK" if "kek_file" not in data else None),
            kek_file=(root / kek_file) if isinstance(kek_file, str) else None,
            kek_hex=data.get("kek_hex"),
            allow_inline_kek=bool(data.get("allow_inline_kek", False)),
            peers=tuple(PeerConfig.from_dict(p) for p in data.get("peers", [])),
            saes=tuple(SaeConfig.from_dict(s) for s in data.get("saes", [])),
            **ints,
        )


def _parse_kek(raw: bytes, where: str) -> bytes:
    text = raw.strip()
    if len(text) == 2 * KEK_BYTES:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    if len(raw) == KEK_BYTES:
        return raw
    raise ConfigError(f"{where}: the KEK must be 32 bytes, written as 64 hex digits")


def load_config(path: str | Path) -> KmeConfig:
    """Read a ``kme.toml``; relative paths in it are taken from the file's directory.

    Args:
        path: The TOML file.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: the file is missing, not TOML, or a value is invalid.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "kme.toml").write_text('kme_id = "kme-a"\\nstore = "a.db"\\n'
    ...     '[tls]\\ncert = "a.pem"\\nkey = "a.key"\\nca = "ca.pem"\\n')
    >>> load_config(d / "kme.toml").store_url == str(d / "a.db")
    True
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read KME config {p}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p} is not valid TOML: {exc}") from exc
    return KmeConfig.from_dict(data, p.parent)
