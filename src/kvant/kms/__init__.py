"""Key Management Entity: durable key store, ETSI GS QKD 014 API, SAE auth, KME-to-KME relay.

The store keeps key units shared with peer KMEs (from QKD links or relays) and delivers each
key exactly once to the master SAE and once to the slave SAE; SQLite by default, PostgreSQL
when given a URL. The API side serves ETSI GS QKD 014 V1.1.1 over mutual TLS (the SAE identity is
its client certificate), tells the slave SAE's KME which units form each key before answering the
master, relays key through trusted-node KMEs, and an encryptor protects files with the keys.
See ``docs/kms.md``.

>>> import tempfile
>>> from kvant.kms import load_config, make_dev_pki
>>> pki = make_dev_pki(tempfile.mkdtemp(), ["kme-moscow"], ["sae-moscow"])
>>> pki["sae-moscow"].role
'SAE'
"""

from kvant.kms._app import create_app, kme_asgi_app, openapi_document
from kvant.kms._certs import CertPaths, make_dev_pki
from kvant.kms._client import EtsiKey, KmeClient
from kvant.kms._config import KmeConfig, PeerConfig, SaeConfig, TlsConfig, load_config
from kvant.kms._crypto_at_rest import KEK_BYTES, kek_from_text
from kvant.kms._encryptor import decrypt_file, decrypt_stream, encrypt_file, encrypt_stream
from kvant.kms._loopback import LoopbackNetwork
from kvant.kms._relay import originate_relay, relay_unit_ids
from kvant.kms._server import KmeProcess, serve
from kvant.kms._store import (
    KEY_ID_NAMESPACE,
    DeliveredKey,
    KeyStore,
    KeyUnit,
    PoolStatus,
    derive_key_id,
    open_store,
)
from kvant.kms._supply import (
    UNIT_ID_NAMESPACE,
    LinkFeed,
    SupplyReport,
    supply_blocks,
    unit_id,
    units_from_bytes,
    units_from_keyblock,
)
from kvant.kms._tls import PeerIdentity, client_ssl_context, mtls_protocol, server_ssl_context

__all__ = [
    "KEK_BYTES",
    "KEY_ID_NAMESPACE",
    "UNIT_ID_NAMESPACE",
    "CertPaths",
    "DeliveredKey",
    "EtsiKey",
    "KeyStore",
    "KeyUnit",
    "KmeClient",
    "KmeConfig",
    "KmeProcess",
    "LinkFeed",
    "LoopbackNetwork",
    "PeerConfig",
    "PeerIdentity",
    "PoolStatus",
    "SaeConfig",
    "SupplyReport",
    "TlsConfig",
    "client_ssl_context",
    "create_app",
    "decrypt_file",
    "decrypt_stream",
    "derive_key_id",
    "encrypt_file",
    "encrypt_stream",
    "kek_from_text",
    "kme_asgi_app",
    "load_config",
    "make_dev_pki",
    "mtls_protocol",
    "open_store",
    "openapi_document",
    "originate_relay",
    "relay_unit_ids",
    "serve",
    "server_ssl_context",
    "supply_blocks",
    "unit_id",
    "units_from_bytes",
    "units_from_keyblock",
]
