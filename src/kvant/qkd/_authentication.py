"""Information-theoretic authentication of the classical channel (Wegman-Carter).

Each party holds an identical :class:`KeyPool` of secret bits: the initial pre-shared key
(installed out of band, e.g. by a courier or at manufacture, as every QKD system needs to
start), later topped up from the key the link distils. A :class:`WegmanCarterAuthenticator`
tags message i as::

    tag_i = h_k(header_i || payload_i) XOR r_i   (header zero-padded to whole 64-bit blocks)

with h_k the polynomial hash over GF(2^64) of :mod:`kvant.qkd._polyhash`, which is
epsilon-almost-XOR-universal with epsilon = (L + 1) / 2^64 for an L-block message, k a 64-bit
hash key drawn from the pool once per session (one post-processing round) and r_i a fresh
64-bit one-time pad per message. This is the construction of Wegman & Carter, J. Comput. Syst.
Sci. 22, 265 (1981), Sec. 4: since each tag is one-time-padded, k can serve every message of
the session and a forger, even after seeing all earlier tags, succeeds on one message with
probability at most epsilon (also composably: Portmann, IEEE Trans. Inf. Theory 60, 4383
(2014)). The header binds the sender, a per-direction message counter, the message kind and
the declared leakage, so a replayed, reordered or re-labelled message fails too.

Key consumption: 64 bits of hash key per session plus 64 bits of pad per message, on both
sides alike. Not used here: HMAC or any computationally secure MAC (it would make the whole
key only computationally secure).
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass
from typing import Any, Literal

from kvant.errors import AbortReason, ConfigError, ProtocolAbortError
from kvant.qkd._polyhash import collision_bound, poly_hash_parts

__all__ = ["KeyPool", "Message", "Party", "WegmanCarterAuthenticator"]

Party = Literal["alice", "bob"]
_PARTIES: tuple[Party, Party] = ("alice", "bob")
TAG_BYTES = 8
HASH_KEY_BYTES = 8


class KeyPool:
    """Secret bits shared by Alice and Bob for authentication (one copy per party).

    Bits are consumed from the front and never reused; :meth:`add` appends fresh key.

    Args:
        key: The initial pre-shared key (at least 16 bytes: one hash key and one pad).

    >>> pool = KeyPool(bytes(range(32)))
    >>> pool.take(8), pool.available_bits
    (b'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07', 192)
    """

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < HASH_KEY_BYTES + TAG_BYTES:
            raise ConfigError(
                "a pre-shared authentication key must be bytes of length >= 16 "
                "(one 64-bit hash key and one 64-bit pad)"
            )
        self._buffer = bytearray(key)
        self._consumed_bits = 0
        self._added_bits = 0

    @property
    def available_bits(self) -> int:
        """Unused secret bits."""
        return 8 * len(self._buffer)

    @property
    def consumed_bits(self) -> int:
        """Bits taken so far."""
        return self._consumed_bits

    @property
    def added_bits(self) -> int:
        """Bits added by :meth:`add` so far (replenishment)."""
        return self._added_bits

    def take(self, num_bytes: int) -> bytes:
        """Remove and return the next ``num_bytes`` secret bytes.

        Raises:
            ProtocolAbortError: (reason ``authentication-key-exhausted``) if too few are left.
        """
        if num_bytes > len(self._buffer):
            raise ProtocolAbortError(
                f"authentication key exhausted: need {8 * num_bytes} bits, have "
                f"{self.available_bits}; install a fresh pre-shared key",
                AbortReason.AUTHENTICATION_KEY_EXHAUSTED,
            )
        out = bytes(self._buffer[:num_bytes])
        del self._buffer[:num_bytes]
        self._consumed_bits += 8 * num_bytes
        return out

    def add(self, key: bytes) -> None:
        """Append fresh secret key (from a distilled block) to the pool."""
        self._buffer += key
        self._added_bits += 8 * len(key)


@dataclass(frozen=True)
class Message:
    """One classical message as it travels between Alice and Bob.

    Attributes:
        sender: ``"alice"`` or ``"bob"``.
        counter: Per-sender sequence number, from 0.
        kind: What the message is (``"sifting/bob-detections"``, ``"cascade/parities"``, ...).
        payload: The message body.
        leaked_bits: How many bits of it depend on Alice's key (counted as leakage).
        tag: The Wegman-Carter tag (empty on an unauthenticated channel).
    """

    sender: Party
    counter: int
    kind: str
    payload: bytes
    leaked_bits: int = 0
    tag: bytes = b""

    def header(self) -> bytes:
        """Sender, counter, declared leakage and kind: the part of the tagged data before the
        payload (it states its own length, so header + payload is an injective encoding)."""
        kind = self.kind.encode()
        fixed = struct.pack(
            "<BQQH", _PARTIES.index(self.sender), self.counter, self.leaked_bits, len(kind)
        )
        return fixed + kind

    def authenticated_data(self) -> bytes:
        """Header and payload: what the tag covers (header padded to whole 64-bit blocks)."""
        header = self.header()
        return header + bytes(-len(header) % 8) + self.payload

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "sender": self.sender,
            "counter": self.counter,
            "kind": self.kind,
            "payload": self.payload.hex(),
            "leaked_bits": self.leaked_bits,
            "tag": self.tag.hex(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        """Rebuild from :meth:`to_dict` output."""
        sender = data["sender"]
        if sender not in _PARTIES:
            raise ConfigError(f"sender must be 'alice' or 'bob', got {sender!r}")
        return cls(
            sender,
            int(data["counter"]),
            str(data["kind"]),
            bytes.fromhex(data["payload"]),
            int(data["leaked_bits"]),
            bytes.fromhex(data["tag"]),
        )


class WegmanCarterAuthenticator:
    """One party's side of Wegman-Carter authentication (see the module docstring).

    Both parties build one from their copy of the pool; each then calls :meth:`tag` on what it
    sends and :meth:`verify` on what it receives, in the same order, so both consume the same
    pads.

    Args:
        pool: This party's copy of the shared key pool.

    >>> alice, bob = (WegmanCarterAuthenticator(KeyPool(bytes(64))) for _ in range(2))
    >>> message = alice.tag(Message("alice", 0, "hello", b"payload"))
    >>> bob.verify(message)
    True
    >>> bob.verify(message)  # a replay: wrong counter and a used pad
    False
    """

    def __init__(self, pool: KeyPool) -> None:
        if not isinstance(pool, KeyPool):
            raise ConfigError(
                f"an authenticator draws its keys from a KeyPool (KeyPool(preshared_key)), got "
                f"{type(pool).__name__}"
            )
        self._pool = pool
        self._hash_key = int.from_bytes(pool.take(HASH_KEY_BYTES), "little")
        self._next_counter = {"alice": 0, "bob": 0}
        self.forgery_bound = 0.0
        """Sum over verified messages of the per-message forgery probability (L + 1) / 2^64."""

    @property
    def pool(self) -> KeyPool:
        """The key pool in use."""
        return self._pool

    def _expected_tag(self, message: Message) -> bytes:
        header = message.header()
        pad = int.from_bytes(self._pool.take(TAG_BYTES), "little")
        self.forgery_bound += collision_bound(-(-len(header) // 8) * 8 + len(message.payload))
        digest = poly_hash_parts(
            [header, message.payload], self._hash_key, 8 * len(message.payload)
        )
        return (digest ^ pad).to_bytes(TAG_BYTES, "little")

    def tag(self, message: Message) -> Message:
        """Return ``message`` with its tag set (the counter must be the sender's next one)."""
        if message.counter != self._next_counter[message.sender]:
            raise ConfigError(
                f"message counter {message.counter} is not the next one "
                f"({self._next_counter[message.sender]}) for {message.sender}"
            )
        self._next_counter[message.sender] += 1
        return Message(
            message.sender,
            message.counter,
            message.kind,
            message.payload,
            message.leaked_bits,
            self._expected_tag(message),
        )

    def verify(self, message: Message) -> bool:
        """True if the tag and the counter are right; consumes this message's pad either way."""
        expected = self._expected_tag(message)
        in_order = message.counter == self._next_counter[message.sender]
        self._next_counter[message.sender] += 1
        return hmac.compare_digest(expected, message.tag) and in_order
