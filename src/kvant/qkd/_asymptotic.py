"""Asymptotic key rates of BB84 with weak coherent pulses: GLLP, decoy states, and PLOB.

Sources (each function names the equation it implements):

- X. Ma, B. Qi, Y. Zhao, H.-K. Lo, "Practical decoy state for quantum key distribution",
  Phys. Rev. A 72, 012326 (2005), arXiv:quant-ph/0503005 ("Ma et al. 2005"). Equation numbers
  follow arXiv v5 as quoted by secondary sources; the paper itself could not be opened from the
  machine this was written on, so each formula is also re-derived in its docstring.
- D. Gottesman, H.-K. Lo, N. Lütkenhaus, J. Preskill, Quantum Inf. Comput. 4, 325 (2004)
  ("GLLP").
- S. Pirandola, R. Laurenza, C. Ottaviani, L. Banchi, "Fundamental limits of repeaterless
  quantum communications", Nat. Commun. 8, 15043 (2017) ("PLOB").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

from kvant.errors import ConfigError

__all__ = [
    "AsymptoticMethod",
    "ChannelModel",
    "binary_entropy",
    "gllp_key_rate",
    "model_gain",
    "model_qber",
    "plob_bound",
    "single_photon_error_upper_bound",
    "single_photon_yield_lower_bound",
]

AsymptoticMethod = Literal["no-decoy", "vacuum-weak", "one-decoy", "infinite-decoy"]
"""How the single-photon contribution is bounded (see :meth:`ChannelModel.key_rate`)."""

_E0 = 0.5  # error rate of a vacuum (background) count


def binary_entropy(p: float) -> float:
    """Binary Shannon entropy h(p) = -p log2 p - (1-p) log2(1-p), with h(0) = h(1) = 0.

    Args:
        p: A probability in [0, 1].

    Returns:
        h(p) in bits.

    Raises:
        ConfigError: if p is outside [0, 1].

    >>> binary_entropy(0.5)
    1.0
    >>> round(binary_entropy(0.11), 4)
    0.4999
    """
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"binary entropy needs a probability in [0, 1], got {p}")
    if p in (0.0, 1.0):
        return 0.0
    return -p * math.log2(p) - (1.0 - p) * math.log2(1.0 - p)


def plob_bound(transmittance: float) -> float:
    """PLOB repeaterless bound: at most -log2(1 - eta) secret bits per channel use.

    Pirandola, Laurenza, Ottaviani, Banchi, Nat. Commun. 8, 15043 (2017), Eq. (1) for the
    pure-loss channel of transmissivity eta. For eta << 1 it is about 1.44 eta.

    Args:
        transmittance: Channel transmissivity eta in [0, 1).

    Returns:
        The bound in bits per channel use (per pulse).

    Raises:
        ConfigError: if eta is outside [0, 1).

    >>> plob_bound(0.5)
    1.0
    >>> round(plob_bound(1e-3) / 1e-3, 4)
    1.4434
    """
    if not 0.0 <= transmittance < 1.0:
        raise ConfigError(f"transmittance must be in [0, 1), got {transmittance}")
    return -math.log2(1.0 - transmittance)


def model_gain(mu: float, transmittance: float, background_yield: float) -> float:
    """Gain Q_mu = Y0 + 1 - exp(-eta mu) of a phase-randomised coherent state.

    Ma et al. 2005, Eq. (10): the Poisson photon number n is detected with yield
    Y_n = Y0 + 1 - (1 - eta)^n (to first order in Y0) and sum_n e^-mu mu^n/n! Y_n gives the
    formula. The exact two-detector version used by the Monte Carlo is in
    :func:`kvant.qkd.expected_statistics`.

    Args:
        mu: Mean photon number of the pulse.
        transmittance: Overall transmittance eta (channel times Bob's detection efficiency).
        background_yield: Y0, the probability of a click with no signal photon.

    Returns:
        Q_mu, the probability that a pulse of intensity mu gives a detection.

    >>> round(model_gain(0.5, 0.1, 1e-6), 6)
    0.048772
    """
    return background_yield + 1.0 - math.exp(-transmittance * mu)


def model_qber(
    mu: float, transmittance: float, background_yield: float, misalignment_error: float
) -> float:
    """Quantum bit error rate E_mu = (e0 Y0 + e_d (1 - exp(-eta mu))) / Q_mu with e0 = 1/2.

    Ma et al. 2005, Eq. (11): background counts are random (error 1/2), signal photons reach
    the wrong detector with probability e_d (misalignment).

    Args:
        mu: Mean photon number of the pulse.
        transmittance: Overall transmittance eta.
        background_yield: Y0.
        misalignment_error: e_d, probability that a signal photon hits the wrong detector.

    Returns:
        E_mu, the error rate of sifted detections of intensity mu.

    >>> round(model_qber(0.5, 0.1, 0.0, 0.033), 6)
    0.033
    """
    signal = 1.0 - math.exp(-transmittance * mu)
    gain = background_yield + signal
    if gain <= 0.0:
        return _E0
    return (_E0 * background_yield + misalignment_error * signal) / gain


def single_photon_yield_lower_bound(
    mu: float, nu: float, gain_mu: float, gain_nu: float, background_yield: float
) -> float:
    """Vacuum+weak lower bound on the single-photon yield Y1.

    Ma et al. 2005, Eq. (34)::

        Y1 >= mu / (mu nu - nu^2) [Q_nu e^nu - Q_mu e^mu nu^2/mu^2 - (mu^2 - nu^2)/mu^2 Y0]

    valid for mu > nu > 0 with mu > nu + 0 (the vacuum decoy).

    Args:
        mu: Signal mean photon number.
        nu: Weak decoy mean photon number (0 < nu < mu).
        gain_mu: Measured gain of the signal.
        gain_nu: Measured gain of the weak decoy.
        background_yield: Y0, measured with the vacuum decoy (or an upper bound on it).

    Returns:
        The lower bound (may be negative: then no single-photon yield is certified).

    Raises:
        ConfigError: unless 0 < nu < mu.

    >>> eta, y0 = 0.01, 1e-5
    >>> q = lambda m: model_gain(m, eta, y0)
    >>> y1 = single_photon_yield_lower_bound(0.5, 0.05, q(0.5), q(0.05), y0)
    >>> y1 <= y0 + eta
    True
    """
    if not 0.0 < nu < mu:
        raise ConfigError(f"decoy bounds need 0 < nu < mu, got mu={mu}, nu={nu}")
    return (
        mu
        / (mu * nu - nu * nu)
        * (
            gain_nu * math.exp(nu)
            - gain_mu * math.exp(mu) * nu * nu / (mu * mu)
            - (mu * mu - nu * nu) / (mu * mu) * background_yield
        )
    )


def single_photon_error_upper_bound(
    nu: float, gain_nu: float, qber_nu: float, background_yield: float, yield1_lower: float
) -> float:
    """Vacuum+weak upper bound on the single-photon error rate e1.

    Ma et al. 2005, Eq. (37): e1 <= (E_nu Q_nu e^nu - e0 Y0) / (Y1^L nu), e0 = 1/2, capped at
    1/2 (an error rate above 1/2 certifies nothing).

    Args:
        nu: Weak decoy mean photon number.
        gain_nu: Gain of the weak decoy.
        qber_nu: Error rate of the weak decoy.
        background_yield: Y0.
        yield1_lower: Lower bound on Y1 from :func:`single_photon_yield_lower_bound`.

    Returns:
        The upper bound on e1, in [0, 1/2].

    >>> round(single_photon_error_upper_bound(0.1, 1e-3, 0.05, 0.0, 1e-2), 4)
    0.0553
    """
    if yield1_lower <= 0.0 or nu <= 0.0:
        return _E0
    bound = (qber_nu * gain_nu * math.exp(nu) - _E0 * background_yield) / (yield1_lower * nu)
    return min(max(bound, 0.0), _E0)


def gllp_key_rate(
    gain_mu: float,
    qber_mu: float,
    gain1: float,
    error1: float,
    *,
    error_correction_efficiency: float = 1.22,
    sifting_factor: float = 0.5,
) -> float:
    """GLLP key rate per pulse R = q { -Q_mu f(E_mu) h(E_mu) + Q1 [1 - h(e1)] }, floored at 0.

    GLLP (QIC 4, 325, 2004) as written in Ma et al. 2005, Eq. (1): the single-photon part is
    secret, error correction leaks f h(E) per sifted bit.

    Args:
        gain_mu: Q_mu, gain of the signal.
        qber_mu: E_mu, its error rate.
        gain1: Q1 (or a lower bound), gain of single-photon pulses.
        error1: e1 (or an upper bound), single-photon error rate.
        error_correction_efficiency: f(E) >= 1.
        sifting_factor: q, the fraction of detections kept by sifting (1/2 for BB84).

    Returns:
        Secret bits per pulse sent (0 when nothing can be certified).

    >>> round(gllp_key_rate(1e-3, 0.02, 4e-4, 0.02, error_correction_efficiency=1.0), 8)
    0.00010099
    """
    if gain1 <= 0.0 or error1 >= _E0:
        return 0.0
    qber = min(max(qber_mu, 0.0), _E0)
    rate = sifting_factor * (
        -gain_mu * error_correction_efficiency * binary_entropy(qber)
        + gain1 * (1.0 - binary_entropy(min(max(error1, 0.0), _E0)))
    )
    return max(rate, 0.0)


@dataclass(frozen=True)
class ChannelModel:
    """The closed-form channel of Ma et al. 2005 (Sec. II): loss, background and misalignment.

    Attributes:
        attenuation_db_per_km: Fibre loss alpha.
        detector_efficiency: eta_Bob, Bob's transmittance times detector efficiency.
        background_yield: Y0, the probability of a background click per pulse (both detectors).
        misalignment_error: e_d, the probability that a photon hits the wrong detector.
        error_correction_efficiency: f(E), bits leaked per sifted bit over h(E).
        sifting_factor: q, 1/2 for BB84 with symmetric bases.
        insertion_loss_db: Extra loss on the line (connectors, splices), in dB.
    """

    attenuation_db_per_km: float = 0.21
    detector_efficiency: float = 0.045
    background_yield: float = 1.7e-6
    misalignment_error: float = 0.033
    error_correction_efficiency: float = 1.22
    sifting_factor: float = 0.5
    insertion_loss_db: float = 0.0

    def __post_init__(self) -> None:
        if self.attenuation_db_per_km < 0 or self.insertion_loss_db < 0:
            raise ConfigError("attenuation and insertion loss must be >= 0 dB")
        for name in ("detector_efficiency", "background_yield", "misalignment_error"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1], got {value}")
        if self.error_correction_efficiency < 1.0:
            raise ConfigError(
                "error_correction_efficiency is f >= 1 (Shannon limit is 1), "
                f"got {self.error_correction_efficiency}"
            )
        if not 0.0 < self.sifting_factor <= 1.0:
            raise ConfigError(f"sifting_factor must be in (0, 1], got {self.sifting_factor}")

    @classmethod
    def gys(cls) -> ChannelModel:
        """The GYS experiment's parameters as tabulated by Ma et al. 2005 (Table I).

        Gobby, Yuan, Shields, Appl. Phys. Lett. 84, 3762 (2004): 1550 nm, alpha 0.21 dB/km,
        e_detector 3.3%, Y0 1.7e-6, eta_Bob 4.5%; f(E) = 1.22 and q = 1/2 as in Ma et al.

        >>> ChannelModel.gys().detector_efficiency
        0.045
        """
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChannelModel:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)

    def transmittance(self, distance_km: float) -> float:
        """eta = eta_Bob 10^(-(alpha L + insertion loss)/10)."""
        if distance_km < 0:
            raise ConfigError(f"distance_km must be >= 0, got {distance_km}")
        loss_db = self.attenuation_db_per_km * distance_km + self.insertion_loss_db
        return self.detector_efficiency * math.pow(10.0, -loss_db / 10.0)

    def channel_transmittance(self, distance_km: float) -> float:
        """Transmittance of the fibre alone (what PLOB bounds), without Bob's efficiency."""
        return self.transmittance(distance_km) / self.detector_efficiency

    def key_rate(
        self,
        distance_km: float,
        method: AsymptoticMethod,
        mu: float,
        nu: float = 0.05,
    ) -> float:
        """Asymptotic secret bits per pulse at ``distance_km`` with signal ``mu``.

        - ``infinite-decoy``: the exact single-photon values of the channel model,
          Y1 = Y0 + eta - Y0 eta and e1 = (e0 Y0 + e_d eta) / Y1 (Ma et al. 2005, Sec. II).
        - ``vacuum-weak``: Y1, e1 from Eqs. (34), (37) with a weak decoy ``nu``.
        - ``one-decoy``: as vacuum-weak but Y0 unknown, replaced by its upper bound
          Y0 <= E_nu Q_nu e^nu / e0 (every term of E_nu Q_nu e^nu = sum_n e_n Y_n nu^n/n! is
          >= 0); the error bound then uses Y0 >= 0.
        - ``no-decoy``: GLLP with every multi-photon pulse assumed detected and insecure:
          Q1 >= Q_mu - P_multi, P_multi = 1 - (1 + mu) e^-mu, e1 <= E_mu Q_mu / Q1.

        Args:
            distance_km: Fibre length.
            method: How Y1 and e1 are bounded.
            mu: Signal mean photon number.
            nu: Weak decoy mean photon number (decoy methods only).

        Returns:
            Secret bits per pulse (0 where none can be certified).

        Raises:
            ConfigError: for a negative distance, mu <= 0, or nu outside (0, mu).

        >>> model = ChannelModel.gys()
        >>> r_inf = model.key_rate(50, "infinite-decoy", 0.48)
        >>> r_vw = model.key_rate(50, "vacuum-weak", 0.48, nu=0.05)
        >>> 0 < r_vw < r_inf
        True
        """
        if mu <= 0:
            raise ConfigError(f"signal mean photon number mu must be > 0, got {mu}")
        eta = self.transmittance(distance_km)
        y0, e_d = self.background_yield, self.misalignment_error
        q_mu, e_mu = model_gain(mu, eta, y0), model_qber(mu, eta, y0, e_d)
        if method == "infinite-decoy":
            y1 = y0 + eta - y0 * eta
            e1 = (_E0 * y0 + e_d * eta) / y1
        elif method in ("vacuum-weak", "one-decoy"):
            q_nu, e_nu = model_gain(nu, eta, y0), model_qber(nu, eta, y0, e_d)
            if method == "vacuum-weak":
                y0_upper = y0_lower = y0
            else:
                y0_upper, y0_lower = e_nu * q_nu * math.exp(nu) / _E0, 0.0
            y1 = single_photon_yield_lower_bound(mu, nu, q_mu, q_nu, y0_upper)
            e1 = single_photon_error_upper_bound(nu, q_nu, e_nu, y0_lower, y1)
        elif method == "no-decoy":
            multi = 1.0 - (1.0 + mu) * math.exp(-mu)
            q1 = q_mu - multi
            if q1 <= 0.0:
                return 0.0
            return gllp_key_rate(
                q_mu,
                e_mu,
                q1,
                min(e_mu * q_mu / q1, _E0),
                error_correction_efficiency=self.error_correction_efficiency,
                sifting_factor=self.sifting_factor,
            )
        else:
            raise ConfigError(
                f"unknown method {method!r}; choose no-decoy, vacuum-weak, one-decoy or "
                "infinite-decoy"
            )
        return gllp_key_rate(
            q_mu,
            e_mu,
            y1 * mu * math.exp(-mu),
            e1,
            error_correction_efficiency=self.error_correction_efficiency,
            sifting_factor=self.sifting_factor,
        )
