"""The public classical channel between Alice and Bob, with its ledger of disclosed bits.

Every post-processing stage talks only through :meth:`ClassicalChannel.send`: the message is
tagged by the sender's authenticator, may be altered by an adversary (``tamper``), and is
verified by the receiver before its payload is used; a bad tag or counter aborts the round.
Each message declares how many of its bits depend on Alice's key (``leaked_bits``: parities,
syndromes, verification tags), and the channel's ledger sums them, so the leakage privacy
amplification pays for is the count of bits actually sent.

Interactive protocols (Cascade) exchange many short messages. They are carried here as one
transcript message per direction (requests, parities), authenticated as a whole before the
result is used; this is equivalent to authenticating every round trip, because nothing
derived from an unauthenticated message leaves the post-processing before the tags are
checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from kvant.errors import AbortReason, ConfigError, ProtocolAbortError
from kvant.qkd._authentication import Message, Party, WegmanCarterAuthenticator

__all__ = ["ClassicalChannel"]


class ClassicalChannel:
    """An authenticated public channel that records every message.

    Args:
        authenticators: ``(alice's, bob's)`` Wegman-Carter authenticators, or None for an
            unauthenticated channel (tests of single stages).
        tamper: An adversary: called on every message in transit, returns what arrives.

    >>> channel = ClassicalChannel()
    >>> channel.send("alice", "cascade/parities", b"\\x05", leaked_bits=3)
    b'\\x05'
    >>> channel.leaked_bits, channel.bits_sent
    (3, 8)
    """

    def __init__(
        self,
        authenticators: tuple[WegmanCarterAuthenticator, WegmanCarterAuthenticator] | None = None,
        *,
        tamper: Callable[[Message], Message] | None = None,
    ) -> None:
        self._auth = authenticators
        self._tamper = tamper
        self._counter = {"alice": 0, "bob": 0}
        self.messages: list[Message] = []
        """Every message as received, in order."""

    def send(self, sender: Party, kind: str, payload: bytes, *, leaked_bits: int = 0) -> bytes:
        """Send ``payload`` from ``sender`` to the other party; return it as received.

        Args:
            sender: ``"alice"`` or ``"bob"``.
            kind: What the message is, ``stage/what``.
            payload: The bytes sent.
            leaked_bits: Bits of the payload that depend on Alice's key.

        Returns:
            The payload the receiver accepted.

        Raises:
            ProtocolAbortError: (reason ``authentication-failed``) if the tag or the counter
                does not verify.
        """
        if sender not in ("alice", "bob"):
            raise ConfigError(f"sender must be 'alice' or 'bob', got {sender!r}")
        if not isinstance(payload, bytes | bytearray | memoryview):
            raise ConfigError(
                f"a message payload is bytes (numpy: array.tobytes()), got {type(payload).__name__}"
            )
        if not 0 <= leaked_bits <= 8 * len(payload):
            raise ConfigError(
                f"leaked_bits must be in [0, {8 * len(payload)}] for a {len(payload)}-byte "
                f"payload, got {leaked_bits}"
            )
        message = Message(sender, self._counter[sender], kind, bytes(payload), leaked_bits)
        self._counter[sender] += 1
        if self._auth is not None:
            message = self._auth[0 if sender == "alice" else 1].tag(message)
        received = message if self._tamper is None else self._tamper(message)
        if self._auth is not None:
            receiver = self._auth[1 if sender == "alice" else 0]
            if not receiver.verify(received):
                raise ProtocolAbortError(
                    f"message {received.counter} from {received.sender} ({received.kind}) "
                    "failed authentication: tampered, forged or replayed; round aborted",
                    AbortReason.AUTHENTICATION_FAILED,
                )
        self.messages.append(received)
        return received.payload

    @property
    def leaked_bits(self) -> int:
        """Bits of Alice's key disclosed so far (sum of the messages' ``leaked_bits``)."""
        return sum(m.leaked_bits for m in self.messages)

    @property
    def bits_sent(self) -> int:
        """Payload bits sent in both directions."""
        return sum(8 * len(m.payload) for m in self.messages)

    def leaked_bits_by_stage(self) -> dict[str, int]:
        """Leaked bits per stage (the part of ``kind`` before the slash)."""
        out: dict[str, int] = defaultdict(int)
        for m in self.messages:
            out[m.kind.split("/", 1)[0]] += m.leaked_bits
        return dict(out)

    @property
    def forgery_bound(self) -> float:
        """Probability that any message so far was accepted although forged (union bound)."""
        if self._auth is None:
            return 0.0
        return max(self._auth[0].forgery_bound, self._auth[1].forgery_bound)
