"""The encryptor: a file encrypted by the master SAE and decrypted by the slave SAE with keys
fetched over ETSI 014, AES-256-GCM (STREAM) and one-time pad, and its failure modes."""

from __future__ import annotations

import io
import json
import random

import pytest

from kvant.errors import KmsError
from kvant.kms import LoopbackNetwork, decrypt_stream, encrypt_stream
from kvant.kms._encryptor import CHUNK_BYTES, MAGIC


def roundtrip(net: LoopbackNetwork, data: bytes, otp: bool) -> tuple[bytes, bytes, dict]:
    enc, out = io.BytesIO(), io.BytesIO()
    with net.client("sae-1") as alice, net.client("sae-2") as bob:
        header = encrypt_stream(alice, "sae-2", io.BytesIO(data), enc, otp=otp)
        enc.seek(0)
        decrypt_stream(bob, enc, out)
    return enc.getvalue(), out.getvalue(), header


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES, 3 * CHUNK_BYTES + 17])
def test_aes_gcm_round_trip(kms_net: LoopbackNetwork, size: int) -> None:
    data = random.Random(size).randbytes(size)
    enc, plain, header = roundtrip(kms_net, data, otp=False)
    assert plain == data
    assert header["mode"] == "aes-256-gcm"
    assert len(header["key_IDs"]) == 1
    chunks = max(1, -(-size // CHUNK_BYTES))
    n = int.from_bytes(enc[8:12], "big")
    assert len(enc) == 12 + n + size + 16 * chunks  # one GCM tag per chunk
    assert data[:64] not in enc or size < 16


def test_otp_round_trip_uses_as_much_key_as_data(kms_net: LoopbackNetwork) -> None:
    data = random.Random(1).randbytes(5000)
    enc, plain, header = roundtrip(kms_net, data, otp=True)
    assert plain == data
    n = int.from_bytes(enc[8:12], "big")
    body = enc[12 + n : 12 + n + len(data)]
    assert len(enc) == 12 + n + len(data) + 32
    assert header["mode"] == "otp"
    # the pad: ciphertext XOR plaintext is key material, fetched once more must be refused
    with kms_net.client("sae-2") as bob, pytest.raises(KmsError):
        bob.get_key_with_ids("sae-1", header["key_IDs"][:1])
    assert body != data


def test_tampering_truncation_and_reuse_are_detected(kms_net: LoopbackNetwork) -> None:
    data = random.Random(2).randbytes(2 * CHUNK_BYTES + 5)
    with kms_net.client("sae-1") as alice:
        encs = []
        for otp in (False, False, True):
            enc = io.BytesIO()
            encrypt_stream(alice, "sae-2", io.BytesIO(data[:3000] if otp else data), enc, otp=otp)
            encs.append(bytearray(enc.getvalue()))
    flipped, truncated, otp_flipped = encs
    flipped[-100] ^= 1
    otp_flipped[-40] ^= 1
    with kms_net.client("sae-2") as bob:
        for bad in (flipped, truncated[: -16 - CHUNK_BYTES], otp_flipped):
            with pytest.raises(KmsError, match="authentication failed"):
                decrypt_stream(bob, io.BytesIO(bytes(bad)), io.BytesIO())
        with pytest.raises(KmsError, match="magic"):
            decrypt_stream(bob, io.BytesIO(b"not ours" + bytes(100)), io.BytesIO())


def test_header_names_the_keys_and_the_saes(kms_net: LoopbackNetwork) -> None:
    enc, _, header = roundtrip(kms_net, b"hello", otp=False)
    assert enc.startswith(MAGIC)
    n = int.from_bytes(enc[8:12], "big")
    parsed = json.loads(enc[12 : 12 + n])
    assert parsed["master_SAE_ID"] == "sae-1"
    assert parsed["slave_SAE_ID"] == "sae-2"
    assert parsed["key_IDs"] == header["key_IDs"]
