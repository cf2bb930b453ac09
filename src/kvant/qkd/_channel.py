"""Per-pulse physics: photon numbers, loss, misalignment, dark counts, squashing; and the
closed-form model the Monte Carlo is checked against.

:func:`outcome_table` sums over the Poisson photon number n of each intensity and gives the
joint probability of everything that can happen to one pulse; the Monte Carlo samples that
distribution. :func:`expected_statistics` is derived independently in closed form (Poisson
sums done analytically, e.g. sum_n P_n (1 - c)^n = exp(-mu c)), with the dead time and
after-pulsing folded in by renewal theory, so agreement between the two is a real check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kvant.qkd._attacks import Attack, InterceptResend, PhotonNumberSplitting
from kvant.qkd._config import LinkConfig

__all__ = ["ExpectedStatistics", "expected_statistics", "outcome_table"]

# Pattern axis of the outcome table: no click, only detector 0, only detector 1, both.
NONE, ONLY0, ONLY1, BOTH = 0, 1, 2, 3


def _photon_numbers(mu: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """n = 0..n_max and Poisson weights; the tail beyond n_max (< 1e-18) is folded into n_max."""
    n_max = int(mu + 12.0 * math.sqrt(mu) + 30.0)
    n = np.arange(n_max + 1, dtype=np.float64)
    weights = np.zeros(n_max + 1)
    if mu == 0.0:
        weights[0] = 1.0
        return n, weights
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(n[1:]))))
    weights = np.exp(-mu + n * math.log(mu) - log_factorial)
    weights[-1] += max(0.0, 1.0 - float(weights.sum()))
    return n, weights


def _log_survival(c: float, photons: NDArray[np.float64]) -> NDArray[np.float64]:
    """log((1 - c)^n), exact for small c and with 0^0 = 1 when c = 1."""
    if c < 1.0:
        return photons * math.log1p(-c)
    return np.where(photons == 0, 0.0, -np.inf)


def _patterns(
    photons: NDArray[np.float64], c0: float, c1: float, dark: float
) -> NDArray[np.float64]:
    """P(pattern) for each photon number, each photon reaching detector 0 (1) w.p. c0 (c1).

    Detectors are threshold detectors with independent dark counts ``dark``; for a fixed n the
    photons split multinomially, so P(both silent) = (1-d)^2 (1-c0-c1)^n and
    P(detector 0 silent) = (1-d) (1-c0)^n.
    """
    log_dark = math.log1p(-dark) if dark < 1.0 else -math.inf
    log_s0 = log_dark + _log_survival(c0, photons)
    log_s1 = log_dark + _log_survival(c1, photons)
    log_both = 2 * log_dark + _log_survival(c0 + c1, photons)
    out = np.empty((photons.size, 4))
    out[:, NONE] = np.exp(log_both)
    with np.errstate(invalid="ignore"):  # -inf - -inf where a detector is surely silent
        only0 = -np.exp(log_s1) * np.expm1(np.minimum(log_both - log_s1, 0.0))
        only1 = -np.exp(log_s0) * np.expm1(np.minimum(log_both - log_s0, 0.0))
    out[:, ONLY0] = np.where(np.isneginf(log_s1), 0.0, only0)
    out[:, ONLY1] = np.where(np.isneginf(log_s0), 0.0, only1)
    out[:, BOTH] = np.clip(1.0 - out[:, :3].sum(axis=1), 0.0, 1.0)
    return out


def _split(eta: float, misalignment: float, bit: int, same_basis: bool) -> tuple[float, float]:
    """Per-photon probabilities of reaching detector 0 and detector 1."""
    if not same_basis:
        return eta / 2.0, eta / 2.0
    right, wrong = eta * (1.0 - misalignment), eta * misalignment
    return (right, wrong) if bit == 0 else (wrong, right)


def outcome_table(link: LinkConfig, attack: Attack | None = None) -> NDArray[np.float64]:
    """Joint probability of everything that can happen to one pulse.

    Axes: intensity k, Alice's basis, Alice's bit, Bob's basis, whether Eve knows the bit
    (0/1), Bob's click pattern (none, only 0, only 1, both). The probabilities include the
    choice of intensity, bases and bit, so the table sums to 1. Dead time and after-pulsing
    (memory between pulses) are not in it; the Monte Carlo applies them afterwards.

    Args:
        link: The link.
        attack: An optional eavesdropper.

    Returns:
        Array of shape (K, 2, 2, 2, 2, 4).

    >>> from kvant.qkd import FibreConfig, LinkConfig, SourceConfig
    >>> table = outcome_table(LinkConfig(SourceConfig((0.5,), (1.0,)), FibreConfig(10.0)))
    >>> table.shape, round(float(table.sum()), 12)
    ((1, 2, 2, 2, 2, 4), 1.0)
    """
    src, det = link.source, link.detector
    pz = src.z_basis_probability
    basis_p = (pz, 1.0 - pz)
    eta, eta_det, e_d, dark = (
        link.transmittance,
        det.efficiency,
        link.misalignment_error,
        det.dark_count_probability,
    )
    table = np.zeros((src.num_intensities, 2, 2, 2, 2, 4))
    for k, (mu, p_k) in enumerate(
        zip(src.mean_photon_numbers, src.intensity_probabilities, strict=True)
    ):
        n, w = _photon_numbers(mu)
        for ab in (0, 1):
            for ax in (0, 1):
                for bb in (0, 1):
                    weight = p_k * basis_p[ab] * 0.5 * basis_p[bb]
                    same = ab == bb
                    honest = w @ _patterns(n, *_split(eta, e_d, ax, same), dark)
                    if attack is None:
                        table[k, ab, ax, bb, 0] = weight * honest
                    elif isinstance(attack, InterceptResend):
                        f = attack.fraction
                        vacuum, rest = w[0] * _patterns(n[:1], 0.0, 0.0, dark)[0], w.copy()
                        rest[0] = 0.0
                        right_basis = rest @ _patterns(n, *_split(eta, e_d, ax, same), dark)
                        wrong_basis = 0.5 * sum(
                            rest @ _patterns(n, *_split(eta, e_d, ex, ab != bb), dark)
                            for ex in (0, 1)
                        )
                        table[k, ab, ax, bb, 0] = weight * (
                            (1 - f) * honest + f * (vacuum + 0.5 * wrong_basis)
                        )
                        table[k, ab, ax, bb, 1] = weight * f * 0.5 * right_basis
                    elif isinstance(attack, PhotonNumberSplitting):
                        t1, tm = attack.single_photon_transmission, attack.multi_photon_transmission
                        dark_only = _patterns(n[:1], 0.0, 0.0, dark)[0]
                        lossless = _patterns(
                            np.maximum(n - 1, 0), *_split(eta_det, e_d, ax, same), dark
                        )
                        one = _patterns(n[:1] + 1, *_split(eta_det, e_d, ax, same), dark)[0]
                        table[k, ab, ax, bb, 0] = weight * (
                            w[0] * dark_only + w[1] * (t1 * one + (1 - t1) * dark_only)
                        )
                        multi = w[2:] @ (tm * lossless[2:] + (1 - tm) * dark_only)
                        table[k, ab, ax, bb, 1] = weight * multi
    return table


@dataclass(frozen=True)
class ExpectedStatistics:
    """Closed-form expectations per intensity (index k as in the source).

    Attributes:
        gain: Probability that a pulse of intensity k gives a detection, Q_k.
        qber: Error rate of sifted detections of intensity k, E_k.
        error_probability: Probability per pulse of a sifted error, E_k Q_k q_sift.
        sifting_probability: Probability that Alice's and Bob's bases agree.
    """

    gain: tuple[float, ...]
    qber: tuple[float, ...]
    error_probability: tuple[float, ...]
    sifting_probability: float


def expected_statistics(link: LinkConfig, attack: Attack | None = None) -> ExpectedStatistics:
    """Closed-form gains and QBERs, derived analytically (not from :func:`outcome_table`).

    Without memory effects, with m_c = eta mu (1 - e_d), m_w = eta mu e_d and dark count d:
    Q = 1 - (1-d)^2 exp(-eta mu) and the sifted error probability is
    P(only wrong) + P(both)/2 with P(c silent) = (1-d) exp(-m_c), P(w silent) = (1-d) exp(-m_w)
    (reduces to Ma et al. 2005 Eqs. (10)-(11) to first order in d). Intercept-resend adds
    f [(Q - P0 Q_dark)/4 - (err - P0 err_dark)/2]. Dead time d_g gates and after-pulse
    probability a enter through the renewal rate r (clicks per gate) solving
    r = (1 - d_g r) Q_bar + r a (1 - Q_bar): Q_k -> (1 - d_g r) Q_k + r a (1 - Q_k), and
    after-pulses add errors r a (1 - Q_k) / 2 (first order in a, the memory-free model of
    Lim et al. 2014, Sec. IV: R_k = D_k (1 + p_ap), e_k += p_ap D_k / 2).

    Args:
        link: The link.
        attack: Intercept-resend or photon-number splitting, or None.

    Returns:
        The expectations.

    >>> from kvant.qkd import DetectorConfig, FibreConfig, LinkConfig, SourceConfig
    >>> link = LinkConfig(SourceConfig((0.5,), (1.0,)), FibreConfig(0.0),
    ...                   DetectorConfig(1.0, 0.0), misalignment_error=0.0)
    >>> round(expected_statistics(link, InterceptResend(1.0)).qber[0], 12)
    0.25
    """
    src, det = link.source, link.detector
    dark, e_d = det.dark_count_probability, link.misalignment_error
    q_dark = 1.0 - (1.0 - dark) ** 2
    gains, errors = [], []
    for mu in src.mean_photon_numbers:
        if isinstance(attack, PhotonNumberSplitting):
            gain, err = _pns_closed_form(link, attack, mu)
        else:
            eta = link.transmittance
            none = (1.0 - dark) ** 2 * math.exp(-eta * mu)
            right_silent = (1.0 - dark) * math.exp(-eta * mu * (1.0 - e_d))
            wrong_silent = (1.0 - dark) * math.exp(-eta * mu * e_d)
            gain = 1.0 - none
            err = (right_silent - none) + 0.5 * (1.0 - right_silent - wrong_silent + none)
            if isinstance(attack, InterceptResend):
                p0 = math.exp(-mu)
                err += attack.fraction * ((gain - p0 * q_dark) / 4.0 - (err - p0 * q_dark / 2) / 2)
        gains.append(gain)
        errors.append(err)
    q_bar = math.fsum(p * g for p, g in zip(src.intensity_probabilities, gains, strict=True))
    dead, ap = link.dead_time_gates, det.afterpulse_probability
    if dead > 0 or ap > 0:
        rate = q_bar / (1.0 + dead * q_bar - ap * (1.0 - q_bar))
        live = 1.0 - dead * rate
        forced = rate * ap
        errors = [live * e + forced * (1.0 - g) / 2 for e, g in zip(errors, gains, strict=True)]
        gains = [live * g + forced * (1.0 - g) for g in gains]
    pz = src.z_basis_probability
    sift = pz * pz + (1.0 - pz) ** 2
    return ExpectedStatistics(
        gain=tuple(gains),
        qber=tuple(e / g if g > 0 else 0.5 for e, g in zip(errors, gains, strict=True)),
        error_probability=tuple(e * sift for e in errors),
        sifting_probability=sift,
    )


def _pns_closed_form(
    link: LinkConfig, attack: PhotonNumberSplitting, mu: float
) -> tuple[float, float]:
    """Gain and sifted-error probability (per pulse, bases agreeing) under PNS."""
    d, e_d, eta = (
        link.detector.dark_count_probability,
        link.misalignment_error,
        link.detector.efficiency,
    )
    t1, tm = attack.single_photon_transmission, attack.multi_photon_transmission
    p0, p1 = math.exp(-mu), mu * math.exp(-mu)

    # sum_{n>=2} P_n x^(n-1) = (exp(-mu (1-x)) - p0 - p1 x) / x  for x in (0, 1]
    def multi_sum(x: float) -> float:
        return (math.exp(-mu * (1.0 - x)) - p0 - p1 * x) / x if x > 0 else 0.0

    q_dark, pm = 1.0 - (1.0 - d) ** 2, 1.0 - p0 - p1
    none_fw = (1 - d) ** 2 * multi_sum(1.0 - eta)
    right_fw = (1 - d) * multi_sum(1.0 - eta * (1.0 - e_d))
    wrong_fw = (1 - d) * multi_sum(1.0 - eta * e_d)
    gain_multi = tm * (pm - none_fw) + (1 - tm) * pm * q_dark
    err_multi = tm * ((right_fw - none_fw) + 0.5 * (pm - right_fw - wrong_fw + none_fw))
    err_multi += (1 - tm) * pm * q_dark / 2
    one_none = (1 - d) ** 2 * (1 - eta)
    one_right = (1 - d) * (1 - eta * (1 - e_d))
    one_wrong = (1 - d) * (1 - eta * e_d)
    gain_one = t1 * (1 - one_none) + (1 - t1) * q_dark
    err_one = t1 * ((one_right - one_none) + 0.5 * (1 - one_right - one_wrong + one_none))
    err_one += (1 - t1) * q_dark / 2
    return (
        p0 * q_dark + p1 * gain_one + gain_multi,
        p0 * q_dark / 2 + p1 * err_one + err_multi,
    )
