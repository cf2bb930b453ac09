"""What the pipeline hands out: a :class:`KeyBlock` (the key, identical on both sides, with
its accounting), its :class:`Leakage` and its :class:`EpsilonBudget`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from kvant.qkd._estimation import ParameterEstimate
from kvant.qkd._finite import FiniteKeyResult

__all__ = ["EpsilonBudget", "KeyBlock", "Leakage"]


@dataclass(frozen=True)
class Leakage:
    """Bits of Alice's key disclosed in one round.

    Attributes:
        error_correction_bits: Parities, syndromes and revealed bits.
        verification_bits: Verification tags.
        sampled_bits: Key bits disclosed for estimation (dropped from the key, not paid).
    """

    error_correction_bits: int
    verification_bits: int
    sampled_bits: int

    @property
    def total_bits(self) -> int:
        """What privacy amplification pays: error correction plus verification."""
        return self.error_correction_bits + self.verification_bits

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Leakage:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


@dataclass(frozen=True)
class EpsilonBudget:
    """Failure probabilities of one round (they add up by composability).

    Attributes:
        secrecy: epsilon_sec of the finite-key bound.
        correctness: Probability that different keys passed verification.
        authentication: Probability that a forged message was accepted (union bound).
    """

    secrecy: float
    correctness: float
    authentication: float

    @property
    def total(self) -> float:
        """secrecy + correctness + authentication."""
        return self.secrecy + self.correctness + self.authentication

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpsilonBudget:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


@dataclass(frozen=True)
class KeyBlock:
    """A distilled secret key, identical on both sides, with its accounting.

    Attributes:
        key_id: UUID of the block.
        key: Alice's secret key (packed bits).
        bob_key: Bob's secret key (equal to ``key``).
        num_pulses: Pulses the block came from.
        sifted_bits: Sifted key bits (key basis).
        reconciled_bits: Key bits after the estimation sample was dropped.
        secret_bits: Privacy-amplification output (before the authentication refill).
        authentication_bits: Bits of the output moved to the authentication key pool.
        qber: Sampled key-basis QBER; ``qber_upper`` its confidence bound.
        qber_upper: Clopper-Pearson bound on the key-basis QBER.
        corrected_qber: Fraction of key bits error correction flipped (the true QBER).
        method: The reconciler.
        efficiency: Error-correction efficiency f = leak_EC / (n h(corrected_qber)).
        leakage: The disclosed bits.
        epsilon: The failure probabilities.
        estimate: The parameter estimate.
        finite: The finite-key terms (s_0, s_1, phi).
        timings_s: Seconds per stage.
    """

    key_id: str
    key: bytes = field(repr=False)
    bob_key: bytes = field(repr=False)
    num_pulses: int
    sifted_bits: int
    reconciled_bits: int
    secret_bits: int
    authentication_bits: int
    qber: float
    qber_upper: float
    corrected_qber: float
    method: str
    efficiency: float
    leakage: Leakage
    epsilon: EpsilonBudget
    estimate: ParameterEstimate
    finite: FiniteKeyResult
    timings_s: dict[str, float]

    @property
    def key_bits(self) -> int:
        """Length of :attr:`key` in bits."""
        return 8 * len(self.key)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (keys as hex); inverse of :meth:`from_dict`."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out.update(
            key=self.key.hex(), bob_key=self.bob_key.hex(), leakage=self.leakage.to_dict(),
            epsilon=self.epsilon.to_dict(), estimate=self.estimate.to_dict(),
            finite=self.finite.to_dict(), timings_s=dict(self.timings_s),
        )  # fmt: skip
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyBlock:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            **{
                **data,
                "key": bytes.fromhex(data["key"]),
                "bob_key": bytes.fromhex(data["bob_key"]),
                "leakage": Leakage.from_dict(data["leakage"]),
                "epsilon": EpsilonBudget.from_dict(data["epsilon"]),
                "estimate": ParameterEstimate.from_dict(data["estimate"]),
                "finite": FiniteKeyResult.from_dict(data["finite"]),
                "timings_s": dict(data["timings_s"]),
            }
        )
