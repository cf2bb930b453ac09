"""The encryptor: protect a file or stream with keys obtained over ETSI GS QKD 014.

The master SAE (sender) asks its KME for keys (``enc_keys``) and writes the key_IDs into the file
header; the slave SAE (receiver) asks its own KME for the same keys by key_ID (``dec_keys``).

File format: ``MAGIC`` (8 bytes), header length (4 bytes, big-endian), header (UTF-8 JSON),
body. Two modes:

- ``aes-256-gcm`` (default): one 256-bit QKD key; the body is a sequence of chunks, each sealed
  with AES-256-GCM under a nonce made of the chunk counter and a last-chunk flag, with the header
  as associated data: the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
  authenticated-encryption and its nonce-reuse misuse-resistance", CRYPTO 2015, section 7), so
  chunks cannot be reordered, dropped or truncated unnoticed. The key is used for one file only.
- ``otp`` (``--otp``): one-time pad (Vernam 1926): the body is the data XOR as many key bits as
  it has (information-theoretic secrecy), followed by an HMAC-SHA256 tag (RFC 2104) over header
  and body under 256 further key bits. The whole input is held in memory.

>>> import io
>>> decrypt_stream(None, io.BytesIO(b"plain text, not ours"), io.BytesIO())
Traceback (most recent call last):
...
kvant.errors.KmsError: not a Kvant QKD-encrypted file (bad magic); encrypt it with kms encrypt
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kvant.errors import ConfigError, KmsError, KvantIOError
from kvant.kms._client import EtsiKey, KmeClient
from kvant.kms._relay import xor_bytes

__all__ = ["MAGIC", "decrypt_file", "decrypt_stream", "encrypt_file", "encrypt_stream"]

MAGIC = b"KVQKD014"
CHUNK_BYTES = 1 << 16
_TAG = 16
_MAC = 32


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _write_header(dst: BinaryIO, header: dict[str, Any]) -> bytes:
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    dst.write(MAGIC + len(raw).to_bytes(4, "big") + raw)
    return raw


def _read_exact(src: BinaryIO, n: int, what: str) -> bytes:
    data = src.read(n)
    if len(data) != n:
        raise KmsError(f"the encrypted input ends inside the {what}; it is truncated or not ours")
    return data


def _fetch_otp_keys(
    client: KmeClient, slave: str, bits: int, status: dict[str, Any]
) -> list[EtsiKey]:
    size = int(status["max_key_size"])
    unit = int(status["min_key_size"])
    per_request = int(status["max_key_per_request"])
    keys: list[EtsiKey] = []
    remaining = bits
    while remaining > 0:
        n_full = min(remaining // size, per_request)
        if n_full:
            keys += client.get_key(slave, number=n_full, size=size)
            remaining -= n_full * size
            continue
        last = -(-remaining // unit) * unit
        keys += client.get_key(slave, number=1, size=last)
        remaining = 0
    return keys


def encrypt_stream(
    client: KmeClient, slave_sae_id: str, src: BinaryIO, dst: BinaryIO, *, otp: bool = False
) -> dict[str, Any]:
    """Encrypt ``src`` into ``dst`` for ``slave_sae_id`` with keys from the master's KME.

    Args:
        client: ETSI 014 client of the master SAE.
        slave_sae_id: The SAE that will decrypt.
        src: Readable binary stream (plaintext).
        dst: Writable binary stream (the encrypted file).
        otp: One-time pad instead of AES-256-GCM.

    Returns:
        The header written (mode, SAE ids, key_IDs, sizes) plus ``plaintext_bytes``.

    Raises:
        KmsError: the KME refused or has not enough key.
    """
    status = client.get_status(slave_sae_id)
    master = str(status["master_SAE_ID"])
    if otp:
        data = src.read()
        bits = 8 * (len(data) + _MAC)
        keys = _fetch_otp_keys(client, slave_sae_id, bits, status)
        stream = b"".join(k.key for k in keys)
        header = {
            "version": 1,
            "mode": "otp",
            "master_SAE_ID": master,
            "slave_SAE_ID": slave_sae_id,
            "key_IDs": [k.key_id for k in keys],
            "length": len(data),
        }
        raw = _write_header(dst, header)
        body = xor_bytes(data, stream[: len(data)])
        mac_key = stream[len(data) : len(data) + _MAC]
        dst.write(body)
        dst.write(hmac.new(mac_key, raw + body, hashlib.sha256).digest())
        return {**header, "plaintext_bytes": len(data)}
    [key] = client.get_key(slave_sae_id, number=1, size=256)
    header = {
        "version": 1,
        "mode": "aes-256-gcm",
        "master_SAE_ID": master,
        "slave_SAE_ID": slave_sae_id,
        "key_IDs": [key.key_id],
        "chunk_bytes": CHUNK_BYTES,
    }
    raw = _write_header(dst, header)
    aead = AESGCM(key.key)
    total = 0
    counter = 0
    chunk = src.read(CHUNK_BYTES)
    while True:
        nxt = src.read(CHUNK_BYTES) if len(chunk) == CHUNK_BYTES else b""
        last = not nxt
        dst.write(aead.encrypt(_nonce(counter, last), chunk, raw))
        total += len(chunk)
        counter += 1
        if last:
            break
        chunk = nxt
    return {**header, "plaintext_bytes": total}


def _parse_header(raw: bytes) -> tuple[dict[str, Any], str, str, list[str]]:
    """Check every header field :func:`decrypt_stream` uses *before* any key is fetched (the
    header is authenticated only later, with the key: a tampered one must not burn keys first
    or make the reader allocate without bound)."""
    try:
        header = json.loads(raw)
        mode, master, ids = header["mode"], header["master_SAE_ID"], header["key_IDs"]
    except (ValueError, KeyError, TypeError):
        header, mode = None, None
    if not isinstance(header, dict) or mode not in ("aes-256-gcm", "otp"):
        raise KmsError(
            "the file header is not JSON with mode (aes-256-gcm or otp), master_SAE_ID and "
            "key_IDs; the file is corrupt or not ours"
        )
    field, limit = ("chunk_bytes", 1 << 24) if mode == "aes-256-gcm" else ("length", 1 << 34)
    value = header.get(field)
    low = 1 if field == "chunk_bytes" else 0
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= limit:
        raise KmsError(f"header field {field} must be an integer in {low}..{limit}, got {value!r}")
    if (
        not isinstance(master, str)
        or not isinstance(ids, list)
        or not ids
        or not all(isinstance(k, str) for k in ids)
        or (mode == "aes-256-gcm" and len(ids) != 1)
    ):
        raise KmsError("header key_IDs must be a non-empty list of key_ID texts (one for AES)")
    return header, mode, master, ids


def decrypt_stream(client: KmeClient, src: BinaryIO, dst: BinaryIO) -> dict[str, Any]:
    """Decrypt a stream written by :func:`encrypt_stream`, fetching the keys by key_ID.

    Args:
        client: ETSI 014 client of the slave SAE.
        src: The encrypted stream.
        dst: Where the plaintext goes.

    Returns:
        The header plus ``plaintext_bytes``.

    Raises:
        KmsError: not a Kvant file, tampered or truncated (authentication failed), or the KME
            refused the keys (e.g. already fetched once).
    """
    if src.read(len(MAGIC)) != MAGIC:
        raise KmsError("not a Kvant QKD-encrypted file (bad magic); encrypt it with kms encrypt")
    n = int.from_bytes(_read_exact(src, 4, "header length"), "big")
    if n > 1 << 24:
        raise KmsError(f"header length {n} is implausible; the file is corrupt")
    raw = _read_exact(src, n, "header")
    header, mode, master, ids = _parse_header(raw)
    per = 128
    keys: list[EtsiKey] = []
    for i in range(0, len(ids), per):
        keys += client.get_key_with_ids(master, ids[i : i + per])
    if mode == "otp":
        length = header["length"]
        stream = b"".join(k.key for k in keys)
        if len(stream) < length + _MAC:
            raise KmsError("the keys named in the header are shorter than the data")
        body = _read_exact(src, length, "body")
        tag = _read_exact(src, _MAC, "authentication tag")
        want = hmac.new(stream[length : length + _MAC], raw + body, hashlib.sha256).digest()
        if not hmac.compare_digest(tag, want):
            raise KmsError("authentication failed: the file was modified or the keys are wrong")
        dst.write(xor_bytes(body, stream[:length]))
        return {**header, "plaintext_bytes": length}
    if len(keys[0].key) != 32:
        raise KmsError(f"key {ids[0]} has {8 * len(keys[0].key)} bits, AES-256 needs 256")
    aead = AESGCM(keys[0].key)
    size = header["chunk_bytes"] + _TAG
    total = 0
    counter = 0
    chunk = src.read(size)
    while True:
        nxt = src.read(size) if len(chunk) == size else b""
        last = not nxt
        try:
            plain = aead.decrypt(_nonce(counter, last), chunk, raw)
        except InvalidTag:
            raise KmsError(
                f"authentication failed at chunk {counter}: the file was modified or truncated"
            ) from None
        dst.write(plain)
        total += len(plain)
        counter += 1
        if last:
            break
        chunk = nxt
    return {**header, "plaintext_bytes": total}


def encrypt_file(
    client: KmeClient, slave_sae_id: str, src: str | Path, dst: str | Path, *, otp: bool = False
) -> dict[str, Any]:
    """Encrypt the file ``src`` into ``dst`` (see :func:`encrypt_stream`).

    Raises:
        KvantIOError: a file cannot be read or written.
        KmsError: the KME refused.
    """
    if Path(src) == Path(dst):
        raise ConfigError("source and destination must be different files")
    try:
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            return encrypt_stream(client, slave_sae_id, fin, fout, otp=otp)
    except OSError as exc:
        raise KvantIOError(f"cannot encrypt {src} into {dst}: {exc.strerror or exc}") from exc


def decrypt_file(client: KmeClient, src: str | Path, dst: str | Path) -> dict[str, Any]:
    """Decrypt the file ``src`` into ``dst`` (see :func:`decrypt_stream`); ``dst`` is removed
    if authentication fails.

    Raises:
        KvantIOError: a file cannot be read or written.
        KmsError: tampered data or refused keys.
    """
    if Path(src) == Path(dst):
        raise ConfigError("source and destination must be different files")
    try:
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            return decrypt_stream(client, fin, fout)
    except OSError as exc:
        raise KvantIOError(f"cannot decrypt {src} into {dst}: {exc.strerror or exc}") from exc
    except KmsError:
        Path(dst).unlink(missing_ok=True)
        raise
