"""Wegman-Carter authentication, the polynomial hash under it, and the channel's ledger."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.errors import AbortReason, ConfigError, ProtocolAbortError
from kvant.qkd import ClassicalChannel, KeyPool, Message, WegmanCarterAuthenticator
from kvant.qkd._polyhash import (
    collision_bound,
    gf64_multiply_reference,
    poly_hash,
    poly_hash_reference,
)


def _pair(key: bytes = bytes(range(256))) -> tuple[WegmanCarterAuthenticator, ...]:
    return WegmanCarterAuthenticator(KeyPool(key)), WegmanCarterAuthenticator(KeyPool(key))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=70), st.integers(0, 2**64 - 1))
def test_poly_hash_matches_the_pure_python_formula(message: bytes, key: int) -> None:
    assert poly_hash(message, key) == poly_hash_reference(message, key)


def test_gf64_field_identities() -> None:
    rng = np.random.default_rng(0)
    for a, b, c in rng.integers(0, 2**63, (20, 3), dtype=np.int64).tolist():
        assert gf64_multiply_reference(a, b) == gf64_multiply_reference(b, a)
        left = gf64_multiply_reference(a, b ^ c)
        assert left == gf64_multiply_reference(a, b) ^ gf64_multiply_reference(a, c)
    assert gf64_multiply_reference(1, 0xDEADBEEF) == 0xDEADBEEF


def test_padding_is_bound_by_the_length_block() -> None:
    assert poly_hash(b"a", 12345) != poly_hash(b"a\x00", 12345)
    assert collision_bound(0) == 1 / 2**64
    assert collision_bound(9) == 3 / 2**64


def test_key_pool_consumes_and_refills() -> None:
    pool = KeyPool(bytes(range(16)))
    assert pool.take(10) == bytes(range(10))
    pool.add(b"\xff" * 4)
    assert pool.available_bits == 80
    assert pool.take(10) == bytes(range(10, 16)) + b"\xff" * 4
    with pytest.raises(ProtocolAbortError) as info:
        pool.take(1)
    assert info.value.reason is AbortReason.AUTHENTICATION_KEY_EXHAUSTED
    assert (pool.consumed_bits, pool.added_bits) == (160, 32)
    with pytest.raises(ConfigError):
        KeyPool(b"short")


def test_honest_messages_verify_in_both_directions() -> None:
    alice, bob = _pair()
    for counter in range(3):
        sent = alice.tag(Message("alice", counter, "k", b"x" * counter))
        assert bob.verify(sent)
        back = bob.tag(Message("bob", counter, "k", b"y"))
        assert alice.verify(back)
    assert alice.pool.consumed_bits == 64 + 6 * 64


def _flip(message: Message, bit: int) -> Message | None:
    """The message after one bit of its wire form (header, payload, tag) is flipped, parsed
    back; None when the result no longer parses (the receiver rejects it outright)."""
    wire = bytearray(message.header() + message.payload + message.tag)
    wire[bit // 8] ^= 1 << (bit % 8)
    if wire[0] > 1:
        return None
    size = int.from_bytes(wire[17:19], "little")
    if 19 + size > len(wire) - 8:
        return None
    try:
        kind = bytes(wire[19 : 19 + size]).decode("ascii")
    except UnicodeDecodeError:
        return None
    return Message(
        ("alice", "bob")[wire[0]],  # type: ignore[arg-type]
        int.from_bytes(wire[1:9], "little"),
        kind,
        bytes(wire[19 + size : -8]),
        int.from_bytes(wire[9:17], "little"),
        bytes(wire[-8:]),
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=40), st.data())
def test_every_single_bit_tamper_is_rejected(payload: bytes, data: st.DataObject) -> None:
    alice, bob = _pair()
    honest = alice.tag(Message("alice", 0, "cascade/parities", payload, 0))
    wire_bits = 8 * (len(honest.header()) + len(payload) + len(honest.tag))
    forged = _flip(honest, data.draw(st.integers(0, wire_bits - 1)))
    if forged is not None:
        assert forged != honest
        assert not bob.verify(forged)


def test_replayed_and_reordered_messages_are_rejected() -> None:
    alice, bob = _pair()
    first = alice.tag(Message("alice", 0, "a", b"1"))
    second = alice.tag(Message("alice", 1, "a", b"2"))
    assert bob.verify(first)
    assert not bob.verify(first)  # replay
    alice2, bob2 = _pair()
    alice2.tag(Message("alice", 0, "a", b"1"))
    reordered = alice2.tag(Message("alice", 1, "a", b"2"))
    assert not bob2.verify(reordered)  # message 0 was dropped
    assert second.counter == 1


def test_channel_aborts_on_tampering_and_counts_leakage() -> None:
    channel = ClassicalChannel(_pair())
    assert channel.send("alice", "ldpc/syndromes", b"\x0f\xf0", leaked_bits=12) == b"\x0f\xf0"
    channel.send("bob", "ldpc/decoding-failed", b"\x00")
    assert (channel.leaked_bits, channel.bits_sent) == (12, 24)
    assert channel.leaked_bits_by_stage() == {"ldpc": 12}
    assert 0 < channel.forgery_bound < 1e-18

    def evil(message: Message) -> Message:
        return dataclasses.replace(message, payload=message.payload + b"!")

    tampered = ClassicalChannel(_pair(), tamper=evil)
    with pytest.raises(ProtocolAbortError) as info:
        tampered.send("alice", "x", b"hello")
    assert info.value.reason is AbortReason.AUTHENTICATION_FAILED


def test_channel_rejects_bad_arguments() -> None:
    channel = ClassicalChannel()
    with pytest.raises(ConfigError):
        channel.send("eve", "x", b"")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        channel.send("alice", "x", b"\x00", leaked_bits=9)


def test_message_round_trip() -> None:
    alice, _ = _pair()
    message = alice.tag(Message("alice", 0, "k", b"\x01\x02", 5))
    assert Message.from_dict(message.to_dict()) == message
    with pytest.raises(ConfigError):
        Message.from_dict({**message.to_dict(), "sender": "eve"})
