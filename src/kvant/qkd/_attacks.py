"""Eavesdropping attacks on the quantum channel: intercept-resend and photon-number splitting.

Both are idealised (Eve has perfect detectors, quantum non-demolition photon counting and a
lossless line); that is the point: they are the attacks the protocols must survive or expose.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from kvant.errors import ConfigError

if TYPE_CHECKING:
    from kvant.qkd._config import LinkConfig

__all__ = ["Attack", "InterceptResend", "PhotonNumberSplitting", "attack_from_dict"]


@dataclass(frozen=True)
class InterceptResend:
    """Eve measures a fraction of the pulses in a random basis and resends what she saw.

    She sits at Alice's output, counts the photons n of an intercepted pulse, measures them
    in a random basis and re-prepares n photons in the state she found, so the gains are
    unchanged and only errors betray her: with e_d = 0 and no dark counts the QBER is
    ``fraction / 4`` (Bennett and Brassard 1984; 25% for the full attack).

    Attributes:
        fraction: Probability that a pulse is intercepted (1 = full attack).

    >>> InterceptResend(0.5).fraction
    0.5
    """

    fraction: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ConfigError(f"intercept fraction must be in [0, 1], got {self.fraction}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (with a ``kind`` tag); inverse of :func:`attack_from_dict`."""
        return {"kind": "intercept-resend", **asdict(self)}


@dataclass(frozen=True)
class PhotonNumberSplitting:
    """Eve replaces the fibre by a lossless line and splits multi-photon pulses.

    Single-photon pulses reach Bob with probability ``single_photon_transmission`` (Eve learns
    nothing from them); multi-photon pulses reach him with probability
    ``multi_photon_transmission`` minus the one photon Eve keeps, which she measures after the
    basis announcement, so she knows the bit of every multi-photon pulse. Bob's detector
    efficiency still applies.

    Attributes:
        single_photon_transmission: Fraction of single-photon pulses forwarded.
        multi_photon_transmission: Fraction of multi-photon pulses forwarded.

    >>> PhotonNumberSplitting(0.0, 0.5).multi_photon_transmission
    0.5
    """

    single_photon_transmission: float = 0.0
    multi_photon_transmission: float = 1.0

    def __post_init__(self) -> None:
        for name in ("single_photon_transmission", "multi_photon_transmission"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {value}")

    @classmethod
    def matching_signal_gain(cls, link: LinkConfig) -> PhotonNumberSplitting:
        """The PNS attack that reproduces the honest gain of the signal intensity.

        Eve blocks single photons first (they tell her nothing) and forwards just enough
        multi-photon pulses; when even all of them are too few she forwards some single
        photons too. Alice and Bob watching only the signal gain and QBER see nothing wrong.

        Args:
            link: The honest link whose signal gain Eve imitates.

        Returns:
            The attack.

        >>> from kvant.qkd import FibreConfig, LinkConfig, SourceConfig
        >>> link = LinkConfig(SourceConfig((0.5,), (1.0,)), FibreConfig(100.0))
        >>> PhotonNumberSplitting.matching_signal_gain(link).single_photon_transmission
        0.0
        """
        mu = link.source.mean_photon_numbers[0]
        eta_det = link.detector.efficiency
        honest = 1.0 - math.exp(-link.transmittance * mu)
        p0, p1 = math.exp(-mu), mu * math.exp(-mu)
        single = p1 * eta_det
        if eta_det >= 1.0:
            multi = 1.0 - p0 - p1
        else:  # sum_{n>=2} P_n (1 - (1 - eta)^(n - 1))
            multi = (1.0 - p0 - p1) - (math.exp(-mu * eta_det) - p0 - p1 * (1 - eta_det)) / (
                1.0 - eta_det
            )
        if multi >= honest:
            return cls(0.0, honest / multi if multi > 0 else 0.0)
        return cls(min((honest - multi) / single, 1.0) if single > 0 else 0.0, 1.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (with a ``kind`` tag); inverse of :func:`attack_from_dict`."""
        return {"kind": "photon-number-splitting", **asdict(self)}


Attack = InterceptResend | PhotonNumberSplitting
"""Any attack the optics model knows."""


def attack_from_dict(data: dict[str, Any]) -> Attack:
    """Rebuild an attack from its ``to_dict`` form.

    Args:
        data: A mapping with ``kind`` and the attack's fields.

    Returns:
        The attack.

    Raises:
        ConfigError: for an unknown kind.

    >>> attack_from_dict({"kind": "intercept-resend", "fraction": 0.25})
    InterceptResend(fraction=0.25)
    """
    fields = {k: v for k, v in data.items() if k != "kind"}
    if data.get("kind") == "intercept-resend":
        return InterceptResend(**fields)
    if data.get("kind") == "photon-number-splitting":
        return PhotonNumberSplitting(**fields)
    raise ConfigError(
        f"unknown attack kind {data.get('kind')!r}; use intercept-resend or photon-number-splitting"
    )
