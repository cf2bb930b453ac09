"""Error verification: are the reconciled keys equal?

Alice draws t public 64-bit keys k_1..k_t after reconciliation and sends them with the tags
h_(k_i)(key) (polynomial hashing over GF(2^64), :mod:`kvant.qkd._polyhash`); Bob compares
them with his own (``hmac.compare_digest``). If the keys differ, all t tags agree with
probability at most ((L + 1) / 2^64)^t for L 64-bit blocks, so choosing t as the smallest
number with that bound <= epsilon_cor makes the protocol epsilon_cor-correct in the sense of
Tomamichel, Lim, Gisin & Renner, Nat. Commun. 3, 634 (2012), Sec. "Error verification"
(there with a universal_2 hash of length log2(1/epsilon_cor)). The 64 t tag bits are
disclosed and paid for in privacy amplification.
"""

from __future__ import annotations

import hmac
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._classical import ClassicalChannel
from kvant.qkd._polyhash import collision_bound, poly_hash

__all__ = ["VerificationResult", "verification_hashes", "verify_keys"]


def verification_hashes(key_bits: int, epsilon_cor: float) -> tuple[int, float]:
    """(t, the collision bound ((L + 1)/2^64)^t) for a key of ``key_bits`` bits.

    >>> t, bound = verification_hashes(1_000_000, 1e-15)
    >>> t, bound < 1e-15
    (1, True)
    """
    if not 0.0 < epsilon_cor < 1.0:
        raise ConfigError(f"epsilon_cor must be in (0, 1), got {epsilon_cor}")
    single = collision_bound((key_bits + 7) // 8)
    t = max(1, math.ceil(math.log(epsilon_cor) / math.log(single)))
    return t, single**t


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of verification.

    Attributes:
        accepted: True when every tag matched.
        tag_bits: Bits of tags disclosed (64 per hash).
        epsilon_cor: Probability that different keys pass (the collision bound).
    """

    accepted: bool
    tag_bits: int
    epsilon_cor: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VerificationResult:
        """Rebuild from :meth:`to_dict` output."""
        return cls(bool(data["accepted"]), int(data["tag_bits"]), float(data["epsilon_cor"]))


def _tags(key: NDArray[np.uint8], seeds: NDArray[np.uint64]) -> bytes:
    packed = np.packbits(key)
    tags = [poly_hash(packed, int(s), key.size) for s in seeds]
    return np.asarray(tags, dtype="<u8").tobytes()


def verify_keys(
    alice_key: NDArray[np.uint8],
    bob_key: NDArray[np.uint8],
    channel: ClassicalChannel,
    rng: np.random.Generator,
    *,
    epsilon_cor: float = 1e-15,
) -> VerificationResult:
    """Compare the two reconciled keys by universal hashing (module docstring).

    Args:
        alice_key: Alice's key, one bit per element.
        bob_key: Bob's reconciled key.
        channel: The classical channel (the tags leak 64 t bits).
        rng: Alice's source of the public hash keys.
        epsilon_cor: Target correctness parameter.

    Returns:
        The result; ``accepted`` is False whenever the keys differ in a way the hash sees,
        and with probability at most ``epsilon_cor`` otherwise.

    >>> from kvant.qkd import ClassicalChannel
    >>> key = np.ones(100, np.uint8)
    >>> verify_keys(key, key ^ np.eye(1, 100, 7, np.uint8)[0], ClassicalChannel(),
    ...             np.random.default_rng(0)).accepted
    False
    """
    if alice_key.size != bob_key.size:
        raise ConfigError("keys to verify must have the same length")
    t, bound = verification_hashes(alice_key.size, epsilon_cor)
    seeds = rng.integers(0, 2**64, t, dtype=np.uint64)
    tags = _tags(alice_key, seeds)
    got = channel.send(
        "alice", "verification/tags", seeds.astype("<u8").tobytes() + tags, leaked_bits=64 * t
    )
    bob_seeds = np.frombuffer(got[: 8 * t], dtype="<u8").astype(np.uint64)
    accepted = hmac.compare_digest(_tags(bob_key, bob_seeds), got[8 * t :])
    channel.send("bob", "verification/verdict", bytes([accepted]))
    return VerificationResult(accepted, 64 * t, bound)
