"""The one interface of error correction: a :class:`Reconciler` turns Bob's sifted key into
Alice's over a :class:`~kvant.qkd.ClassicalChannel`, and says how many bits it disclosed.

Efficiency f = leak / (n h(Q)) compares the disclosed bits with the Slepian-Wolf limit
n h(Q) (Slepian & Wolf 1973; as used for QKD by Brassard & Salvail 1993 and
Martinez-Mateo et al., QIC 15, 453 (2015), Eq. (1)).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._asymptotic import binary_entropy
from kvant.qkd._classical import ClassicalChannel

__all__ = ["Reconciler", "ReconciliationResult", "check_keys", "reconciliation_efficiency"]


def reconciliation_efficiency(leaked_bits: int, key_bits: int, qber: float) -> float:
    """f = leak / (n h(Q)) (inf when h(Q) = 0 and something leaked; 1 when nothing did).

    >>> round(reconciliation_efficiency(1163, 10_000, 0.02), 3)
    0.822
    """
    limit = key_bits * binary_entropy(min(max(qber, 0.0), 0.5))
    if limit <= 0.0:
        return 1.0 if leaked_bits == 0 else float("inf")
    return leaked_bits / limit


def check_keys(
    alice_key: Any, bob_key: Any, qber_estimate: float = 0.0
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Validate a reconciler's inputs: two keys of one bit per element (uint8 0/1 or bool) and
    equal length, and a QBER estimate in [0, 0.5]."""
    if not 0.0 <= qber_estimate <= 0.5:
        raise ConfigError(f"qber_estimate must be in [0, 0.5], got {qber_estimate}")
    out = []
    for name, key in (("alice_key", alice_key), ("bob_key", bob_key)):
        array = np.asarray(key)
        if array.ndim != 1 or array.dtype not in (np.uint8, np.bool_):
            raise ConfigError(f"{name} must be a 1-D uint8 or bool array of bits")
        bits = np.ascontiguousarray(array, dtype=np.uint8)
        if bits.size and bits.max() > 1:
            raise ConfigError(f"{name} must hold bits 0/1 (unpack packed bytes first)")
        out.append(bits)
    if out[0].size != out[1].size:
        raise ConfigError(f"keys differ in length: {out[0].size} and {out[1].size} bits")
    return out[0], out[1]


@dataclass(frozen=True, eq=False)
class ReconciliationResult:
    """What error correction produced and what it cost.

    Attributes:
        method: The reconciler's name (``cascade-original``, ``cascade-improved``, ``ldpc``).
        bob_key: Bob's corrected key, one bit per element.
        leaked_bits: Bits of Alice's key disclosed (parities, syndromes, revealed bits): the
            sum of ``leaked_bits`` of the messages this stage sent.
        errors_corrected: Bits of Bob's key that were flipped.
        messages: Messages sent.
        rounds: Cascade passes, or LDPC decoding attempts in all.
        success: False when the reconciler gave up (an LDPC frame failed every retry).
        seconds: Wall time.
    """

    method: str
    bob_key: NDArray[np.uint8]
    leaked_bits: int
    errors_corrected: int
    messages: int
    rounds: int
    success: bool
    seconds: float

    @property
    def key_bits(self) -> int:
        """Length of the reconciled key."""
        return int(self.bob_key.size)

    @property
    def efficiency(self) -> float:
        """f = leak / (n h(Q)) with Q the corrected fraction (the true QBER on success)."""
        qber = self.errors_corrected / self.key_bits if self.key_bits else 0.0
        return reconciliation_efficiency(self.leaked_bits, self.key_bits, qber)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the key as base64 of its packed bits); inverse of from_dict."""
        return {
            "method": self.method,
            "key_bits": self.key_bits,
            "bob_key": base64.b64encode(np.packbits(self.bob_key).tobytes()).decode(),
            "leaked_bits": self.leaked_bits,
            "errors_corrected": self.errors_corrected,
            "messages": self.messages,
            "rounds": self.rounds,
            "success": self.success,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReconciliationResult:
        """Rebuild from :meth:`to_dict` output."""
        packed = np.frombuffer(base64.b64decode(data["bob_key"]), dtype=np.uint8)
        return cls(
            method=str(data["method"]),
            bob_key=np.unpackbits(packed, count=int(data["key_bits"])),
            leaked_bits=int(data["leaked_bits"]),
            errors_corrected=int(data["errors_corrected"]),
            messages=int(data["messages"]),
            rounds=int(data["rounds"]),
            success=bool(data["success"]),
            seconds=float(data["seconds"]),
        )


@runtime_checkable
class Reconciler(Protocol):
    """Error correction behind one method (Cascade, LDPC, or a test double)."""

    @property
    def name(self) -> str:
        """Short name, e.g. ``cascade-improved``."""
        ...

    def reconcile(
        self,
        alice_key: NDArray[np.uint8],
        bob_key: NDArray[np.uint8],
        qber_estimate: float,
        channel: ClassicalChannel,
        *,
        seed: int | np.random.Generator | None = None,
    ) -> ReconciliationResult:
        """Correct ``bob_key`` towards ``alice_key`` over ``channel``.

        Args:
            alice_key: Alice's sifted key, one bit per element.
            bob_key: Bob's sifted key (not modified).
            qber_estimate: The estimated QBER (sets block sizes or code rates).
            channel: The classical channel; every disclosed bit goes through it.
            seed: Source of the public randomness (shuffles, subsets, frame choices).

        Returns:
            The result, with ``leaked_bits`` equal to the bits disclosed on ``channel``.
        """
        ...
