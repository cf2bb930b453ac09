"""A Python client of ETSI GS QKD 014 (what an SAE, e.g. an encryptor, runs), over mutual TLS.

Typical use (a running KME, see :class:`~kvant.kms.LoopbackNetwork`)::

    with KmeClient("https://127.0.0.1:8443", "ca.pem", "sae-1.pem", "sae-1.key") as client:
        keys = client.get_key("sae-2", number=2, size=256)      # master SAE: enc_keys
    with KmeClient("https://127.0.0.1:8444", "ca.pem", "sae-2.pem", "sae-2.key") as client:
        same = client.get_key_with_ids("sae-1", [k.key_id for k in keys])  # slave: dec_keys

Errors: 401 -> :class:`~kvant.errors.SaeAuthorizationError`, not enough key or an unknown /
already delivered key_ID -> :class:`~kvant.errors.KeyUnavailableError`, another 400 ->
:class:`~kvant.errors.ConfigError`, 503 or no answer -> :class:`~kvant.errors.KmsError`.

>>> KmeClient("http://127.0.0.1:8443", ca_path=None)
Traceback (most recent call last):
...
kvant.errors.ConfigError: the KME URL must start with https://, got 'http://127.0.0.1:8443'
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from kvant.errors import ConfigError, KeyUnavailableError, KmsError, SaeAuthorizationError
from kvant.kms._tls import client_ssl_context

__all__ = ["EtsiKey", "KmeClient"]


@dataclass(frozen=True)
class EtsiKey:
    """A key as delivered over ETSI 014: its key_ID (``key_id``) and bytes.

    >>> k = EtsiKey("00000000-0000-4000-8000-000000000001", b"\\x01" * 32)
    >>> EtsiKey.from_dict(k.to_dict()) == k
    True
    """

    key_id: str
    key: bytes

    def __repr__(self) -> str:  # never print key material
        return f"EtsiKey(key_id={self.key_id!r}, key=<{len(self.key)} bytes>)"

    def to_dict(self) -> dict[str, str]:
        """The ETSI key object (``key`` base64)."""
        return {"key_ID": self.key_id, "key": base64.b64encode(self.key).decode("ascii")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EtsiKey:
        """Parse an ETSI key object.

        Raises:
            KmsError: a missing field or bad base64.
        """
        try:
            return cls(str(data["key_ID"]), base64.b64decode(data["key"], validate=True))
        except (KeyError, TypeError, ValueError) as exc:
            raise KmsError(f"malformed key object from the KME: {exc!r}") from None


def _raise_for(response: httpx.Response) -> None:
    if response.status_code == 200:
        return
    try:
        body = response.json()
        message = str(body.get("message"))
        kinds = [d.get("error") for d in body.get("details") or [] if isinstance(d, dict)]
    except (ValueError, AttributeError):
        message, kinds = response.text[:200], []
    text = f"KME answered {response.status_code}: {message}"
    if response.status_code == 401:
        raise SaeAuthorizationError(text)
    if "KeyUnavailableError" in kinds:
        raise KeyUnavailableError(text)
    if response.status_code == 400:
        raise ConfigError(text)
    raise KmsError(text)


class KmeClient:
    """Synchronous ETSI GS QKD 014 client with a TLS client certificate (keep-alive).

    Args:
        base_url: The KME, e.g. ``https://127.0.0.1:8443``.
        ca_path: CA certificate to verify the KME.
        cert_path: The SAE's client certificate.
        key_path: Its private key.
        timeout_s: Per-request timeout.

    Raises:
        ConfigError: a TLS file is missing or unusable.
    """

    def __init__(
        self,
        base_url: str,
        ca_path: str | Path | None,
        cert_path: str | Path | None = None,
        key_path: str | Path | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        if not base_url.startswith("https://"):
            raise ConfigError(f"the KME URL must start with https://, got {base_url!r}")
        ctx = client_ssl_context(
            Path(ca_path) if ca_path else None,
            Path(cert_path) if cert_path else None,
            Path(key_path) if key_path else None,
        )
        self.base_url = base_url.rstrip("/") + "/api/v1/keys"
        self._http = httpx.Client(verify=ctx, timeout=timeout_s)

    def close(self) -> None:
        """Close the connection."""
        self._http.close()

    def __enter__(self) -> KmeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, sae_id: str, what: str, **kwargs: Any) -> dict[str, Any]:
        # the SAE id is one path segment, escaped: an id from an untrusted place (a file header)
        # must not turn a dec_keys call into another request ("sae-3/enc_keys?")
        url = f"{self.base_url}/{quote(str(sae_id), safe='')}/{what}"
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise KmsError(f"cannot reach the KME at {self.base_url}: {exc!r}") from exc
        _raise_for(response)
        data: dict[str, Any] = response.json()
        return data

    def get_status(self, slave_sae_id: str) -> dict[str, Any]:
        """``GET {slave}/status``: the ETSI status object."""
        return self._call("GET", slave_sae_id, "status")

    def get_key(
        self,
        slave_sae_id: str,
        number: int = 1,
        size: int | None = None,
        request_id: str | None = None,
    ) -> list[EtsiKey]:
        """``POST {slave}/enc_keys``: new keys as master SAE.

        Args:
            slave_sae_id: The SAE that will decrypt.
            number: Number of keys.
            size: Key size in bits (default: the KME's key_size).
            request_id: Makes a retry return the same keys (``X-Request-ID``).
        """
        body: dict[str, Any] = {"number": number}
        if size is not None:
            body["size"] = size
        headers = {"X-Request-ID": request_id} if request_id else None
        data = self._call("POST", slave_sae_id, "enc_keys", json=body, headers=headers)
        return [EtsiKey.from_dict(k) for k in data.get("keys", [])]

    def get_key_with_ids(
        self, master_sae_id: str, key_ids: list[str], request_id: str | None = None
    ) -> list[EtsiKey]:
        """``POST {master}/dec_keys``: the keys named by key_ID, as slave SAE.

        Args:
            master_sae_id: The SAE that obtained the keys.
            key_ids: Their key_IDs.
            request_id: Makes a retry return the same keys (``X-Request-ID``).
        """
        body = {"key_IDs": [{"key_ID": k} for k in key_ids]}
        headers = {"X-Request-ID": request_id} if request_id else None
        data = self._call("POST", master_sae_id, "dec_keys", json=body, headers=headers)
        return [EtsiKey.from_dict(k) for k in data.get("keys", [])]
