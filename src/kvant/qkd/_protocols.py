"""The BB84 family: which intensities each protocol sends and how it bounds the single-photon
contribution from what it measures.

- ``bb84``: one intensity, no decoys; GLLP with all multi-photon pulses taken as insecure.
- ``decoy-bb84``: signal, weak decoy and vacuum (Ma et al. 2005; Lim et al. 2014, Appendix A).
- ``one-decoy-bb84``: signal and one weak decoy; the vacuum yield is bounded from the errors.
- ``efficient-bb84``: decoy-bb84 with biased bases (Lo, Chau, Ardehali, J. Cryptol. 18, 133
  (2005)): both parties pick Z with probability 0.9, so more detections survive sifting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from kvant.errors import ConfigError
from kvant.qkd._asymptotic import gllp_key_rate
from kvant.qkd._config import SourceConfig

__all__ = [
    "PROTOCOLS",
    "SinglePhotonEstimate",
    "asymptotic_key_rate",
    "check_protocol",
    "estimate_single_photon",
    "protocol_source",
]

PROTOCOLS = ("bb84", "decoy-bb84", "one-decoy-bb84", "efficient-bb84")
_E0 = 0.5


def protocol_source(
    protocol: str, *, signal_mean_photon_number: float | None = None
) -> SourceConfig:
    """The default source of each protocol.

    Args:
        protocol: One of :data:`PROTOCOLS`.
        signal_mean_photon_number: Override the signal intensity.

    Returns:
        The source: ``bb84`` mu = 0.1 (no decoys, so it must stay weak); the decoy protocols
        mu = 0.5, nu = 0.1 (and vacuum) with probabilities 0.8 / 0.1 / 0.1 (0.8 / 0.2).

    Raises:
        ConfigError: for an unknown protocol.

    >>> protocol_source("decoy-bb84").mean_photon_numbers
    (0.5, 0.1, 0.0)
    """
    check_protocol(protocol)
    if protocol == "bb84":
        mu = 0.1 if signal_mean_photon_number is None else signal_mean_photon_number
        return SourceConfig((mu,), (1.0,))
    mu = 0.5 if signal_mean_photon_number is None else signal_mean_photon_number
    if protocol == "one-decoy-bb84":
        return SourceConfig((mu, 0.1), (0.8, 0.2))
    bias = 0.9 if protocol == "efficient-bb84" else 0.5
    return SourceConfig((mu, 0.1, 0.0), (0.8, 0.1, 0.1), bias)


def check_protocol(protocol: str, source: SourceConfig | None = None) -> None:
    """Raise :class:`ConfigError` unless ``protocol`` is known and ``source`` fits it.

    >>> check_protocol("decoy-bb84", SourceConfig((0.5,), (1.0,)))
    Traceback (most recent call last):
    ...
    kvant.errors.ConfigError: decoy-bb84 needs 3 intensities (signal, weak decoy, vacuum), got 1
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if source is None:
        return
    need = {"bb84": 1, "decoy-bb84": 3, "one-decoy-bb84": 2, "efficient-bb84": 3}[protocol]
    what = {1: "signal", 2: "signal, weak decoy", 3: "signal, weak decoy, vacuum"}[need]
    if source.num_intensities != need:
        raise ConfigError(
            f"{protocol} needs {need} intensities ({what}), got {source.num_intensities}"
        )
    mus = source.mean_photon_numbers
    if need == 3 and not mus[0] > mus[1] + mus[2]:
        raise ConfigError(
            f"decoy bounds need mu > nu + omega (signal above weak decoy plus vacuum), got {mus}"
        )


@dataclass(frozen=True)
class SinglePhotonEstimate:
    """Bounds on the single-photon contribution (per pulse of the signal intensity).

    Attributes:
        background_yield: Y0 used (measured, bounded, or 0).
        yield_lower: Y1^L, lower bound on the single-photon yield.
        gain_lower: Q1^L = Y1^L mu e^-mu.
        error_upper: e1^U, upper bound on the single-photon error rate (at most 1/2).
    """

    background_yield: float
    yield_lower: float
    gain_lower: float
    error_upper: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SinglePhotonEstimate:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


def estimate_single_photon(
    protocol: str, source: SourceConfig, gains: Sequence[float], qbers: Sequence[float]
) -> SinglePhotonEstimate:
    """Bound Y1 and e1 from per-intensity gains Q_k and error rates E_k (no finite-size terms).

    - decoy protocols: Lim et al. 2014, Eqs. (A4)-(A6) divided by the number of pulses, which
      for a vacuum decoy (mu3 = 0) are exactly Ma et al. 2005, Eqs. (34) and (37)::

        Y0 >= (nu e^w Q_w - w e^nu Q_nu) / (nu - w)
        Y1 >= mu [e^nu Q_nu - e^w Q_w - (nu^2 - w^2)/mu^2 (e^mu Q_mu - Y0)]
              / (mu (nu - w) - nu^2 + w^2)
        e1 Y1 <= (e^nu E_nu Q_nu - e^w E_w Q_w) / (nu - w)

    - ``one-decoy-bb84``: the same with w = 0 and the unmeasured vacuum gain replaced by its
      upper bound Y0 <= min_k e^k E_k Q_k / e0 in the Y1 bound (every term of
      e^k E_k Q_k = sum_n e_n Y_n k^n / n! is >= 0, and e_0 = 1/2), and by 0 in the e1 bound.
    - ``bb84``: GLLP, Q1 >= Q_mu - (1 - (1 + mu) e^-mu), e1 <= E_mu Q_mu / Q1.

    Args:
        protocol: One of :data:`PROTOCOLS`.
        source: The source (its intensities must fit the protocol).
        gains: Q_k per intensity.
        qbers: E_k per intensity.

    Returns:
        The bounds (yield and gain may be <= 0: nothing certified).

    >>> src = protocol_source("decoy-bb84")
    >>> est = estimate_single_photon("decoy-bb84", src, [3.9e-3, 8e-4, 2e-7], [0.01, 0.012, 0.5])
    >>> 0 < est.yield_lower < 0.011
    True
    """
    check_protocol(protocol, source)
    mus = source.mean_photon_numbers
    q, eq = list(gains), [e * g for e, g in zip(qbers, gains, strict=True)]
    mu = mus[0]
    if protocol == "bb84":
        q1 = q[0] - (1.0 - (1.0 + mu) * math.exp(-mu))
        e1 = min(eq[0] / q1, _E0) if q1 > 0 else _E0
        return SinglePhotonEstimate(0.0, q1 / (mu * math.exp(-mu)), q1, e1)
    nu = mus[1]
    if protocol == "one-decoy-bb84":
        # no vacuum intensity: the vacuum gain is bounded above by e^k E_k Q_k / e0
        y0 = min(math.exp(m) * x for m, x in zip(mus, eq, strict=True)) / _E0
        w, q_w, eq_w, y0_for_yield = 0.0, y0, 0.0, y0
    else:
        w, q_w, eq_w = mus[2], q[2], eq[2]
        y0 = max(0.0, (nu * math.exp(w) * q_w - w * math.exp(nu) * q[1]) / (nu - w))
        y0_for_yield = y0
    y1 = (
        mu
        * (
            math.exp(nu) * q[1]
            - math.exp(w) * q_w
            - (nu * nu - w * w) / (mu * mu) * (math.exp(mu) * q[0] - y0_for_yield)
        )
        / (mu * (nu - w) - nu * nu + w * w)
    )
    e1 = _E0
    if y1 > 0:
        e1 = min(max((math.exp(nu) * eq[1] - math.exp(w) * eq_w) / ((nu - w) * y1), 0.0), _E0)
    return SinglePhotonEstimate(y0, y1, y1 * mu * math.exp(-mu), e1)


def asymptotic_key_rate(
    protocol: str,
    source: SourceConfig,
    gains: Sequence[float],
    qbers: Sequence[float],
    *,
    error_correction_efficiency: float = 1.16,
) -> float:
    """GLLP secret bits per pulse from per-intensity gains and QBERs (key from the signal).

    R = q { -Q_mu f h(E_mu) + Q1^L [1 - h(e1^U)] } (GLLP; Ma et al. 2005, Eq. (1)), with
    q = p_Z^2 + p_X^2 the sifting probability (1/2 for symmetric BB84; the efficient BB84
    keeps both bases, whose errors are estimated separately, Lo-Chau-Ardehali 2005) and the
    single-photon bounds of :func:`estimate_single_photon`.

    Args:
        protocol: One of :data:`PROTOCOLS`.
        source: The source.
        gains: Q_k per intensity.
        qbers: E_k per intensity.
        error_correction_efficiency: f >= 1.

    Returns:
        Secret bits per pulse sent (0 where nothing is certified).

    >>> src = protocol_source("decoy-bb84")
    >>> rate = asymptotic_key_rate("decoy-bb84", src, [3.9e-3, 8e-4, 2e-7], [0.01, 0.012, 0.5])
    >>> 0 < rate < 3.9e-3 / 2
    True
    """
    est = estimate_single_photon(protocol, source, gains, qbers)
    pz = source.z_basis_probability
    return gllp_key_rate(
        gains[0],
        qbers[0],
        est.gain_lower,
        est.error_upper,
        error_correction_efficiency=error_correction_efficiency,
        sifting_factor=pz * pz + (1 - pz) ** 2,
    )
