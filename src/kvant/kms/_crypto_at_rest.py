"""Key material at rest: AES-256-GCM under a key-encryption key (KEK).

Each sealed value is ``nonce (12 bytes) || ciphertext || tag (16 bytes)`` with a fresh random
96-bit nonce (NIST SP 800-38D, section 8.2.2, random IV construction) and associated data
``kme_id || 0x00 || label`` (label: the unit id or receipt id), so a sealed unit cannot be moved
to another row or another KME's store without detection.

>>> w = KeyWrapper(bytes(32), "KME_A")
>>> sealed = w.seal(b"secret", "unit-1")
>>> len(sealed) == 12 + 6 + 16, w.open(sealed, "unit-1")
(True, b'secret')
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kvant.errors import ConfigError, KeyStoreError

__all__ = ["KEK_BYTES", "KeyWrapper", "kek_from_text"]

KEK_BYTES = 32
"""Length of a key-encryption key (AES-256)."""

_NONCE_BYTES = 12


def kek_from_text(text: str) -> bytes:
    """A KEK from configuration text: 64 hex digits (32 bytes).

    Args:
        text: Hex text, as written in a KME's configuration file or environment.

    Returns:
        The 32-byte KEK.

    Raises:
        ConfigError: if the text is not 64 hex digits.

    >>> kek_from_text("00" * 32) == bytes(32)
    True
    """
    clean = text.strip() if isinstance(text, str) else ""
    try:
        kek = bytes.fromhex(clean)
    except ValueError:
        kek = b""
    if len(kek) != KEK_BYTES:
        raise ConfigError(
            "the key-encryption key must be 64 hex digits (32 bytes); generate one with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    return kek


class KeyWrapper:
    """Seals and opens key material of one KME with its KEK.

    Args:
        kek: The key-encryption key, 32 bytes.
        kme_id: The KME whose store this is (bound into every seal).

    Raises:
        ConfigError: if ``kek`` is not 32 bytes.
    """

    def __init__(self, kek: bytes, kme_id: str) -> None:
        if not isinstance(kek, bytes | bytearray) or len(kek) != KEK_BYTES:
            got = len(kek) if isinstance(kek, bytes | bytearray) else type(kek).__name__
            raise ConfigError(
                f"the key-encryption key must be {KEK_BYTES} bytes, got {got}; use "
                "kek_from_text() on 64 hex digits or secrets.token_bytes(32)"
            )
        self.kme_id = kme_id
        self._aead = AESGCM(bytes(kek))
        self._prefix = kme_id.encode("utf-8") + b"\x00"

    def seal(self, plaintext: bytes, label: str) -> bytes:
        """Encrypt ``plaintext`` bound to ``label`` (e.g. the unit id)."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, bytes(plaintext), self._prefix + label.encode())

    def open(self, sealed: bytes, label: str) -> bytes:
        """Decrypt a value sealed with :meth:`seal` for the same ``label``.

        Raises:
            KeyStoreError: if the tag does not verify (wrong KEK, another KME's store, a value
                moved to another row, or corruption).
        """
        blob = bytes(sealed)
        try:
            return self._aead.decrypt(
                blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], self._prefix + label.encode()
            )
        except (InvalidTag, ValueError):
            raise KeyStoreError(
                f"key material {label!r} of KME {self.kme_id!r} does not decrypt: the "
                "key-encryption key is not the one this store was created with (or the row "
                "was tampered with); configure the original KEK"
            ) from None
