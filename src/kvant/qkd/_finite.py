"""Finite-key length of decoy-state BB84 with two decoys (vacuum + weak).

Implements C. C. W. Lim, M. Curty, N. Walenta, F. Xu, H. Zbinden, "Concise security bounds
for practical decoy-state quantum key distribution", Phys. Rev. A 89, 022307 (2014), Eqs.
(1)-(5), as published (no erratum has been issued for them). Lim et al. call the key basis X
and the test basis Z; here the key basis is Z (basis 0) and the test basis X (basis 1).
Known caveat: later work (arXiv:2405.16578) notes that the Hoeffding step (A1) treats the
intensity assignment as independent trials, which needs care against coherent attacks, and
gives corrected constants; this module implements the 2014 bound exactly as printed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from kvant.errors import ConfigError
from kvant.qkd._asymptotic import binary_entropy

__all__ = ["FiniteKeyResult", "lim_gamma", "lim_key_length"]


@dataclass(frozen=True)
class FiniteKeyResult:
    """The terms of Lim et al. 2014, Eq. (1), for one block.

    Attributes:
        key_length_bits: Secret key length l (0 when the protocol aborts).
        vacuum_events_lower: s_0, lower bound on key-basis detections from vacuum, Eq. (2).
        single_photon_events_lower: s_1, lower bound on key-basis single-photon detections,
            Eq. (3).
        test_single_photon_events_lower: s_1 in the test basis.
        test_single_photon_errors_upper: v_1, upper bound on test-basis single-photon errors,
            Eq. (4).
        phase_error_upper: phi, upper bound on the single-photon phase error rate, Eq. (5).
        leak_ec_bits: lambda_EC, bits revealed by error correction.
        aborted: True when phi >= 1/2 or no single-photon detection is certified.
    """

    key_length_bits: float
    vacuum_events_lower: float
    single_photon_events_lower: float
    test_single_photon_events_lower: float
    test_single_photon_errors_upper: float
    phase_error_upper: float
    leak_ec_bits: float
    aborted: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FiniteKeyResult:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


def lim_gamma(a: float, b: float, c: float, d: float) -> float:
    """The random-sampling correction gamma(a, b, c, d) of Lim et al. 2014, Eq. (5).

    gamma = sqrt((c + d)(1 - b) b / (c d ln 2) * log2((c + d) / (c d (1 - b) b) 21^2 / a^2)).

    Args:
        a: The secrecy parameter epsilon_sec.
        b: The observed test-basis single-photon error rate v_1 / s_1 (clipped to (0, 1/2]).
        c: Test-basis single-photon detections s_1 (> 0).
        d: Key-basis single-photon detections s_1 (> 0).

    Returns:
        gamma (0 where the logarithm's argument is below 1).

    >>> round(lim_gamma(1e-9, 0.02, 1e5, 1e6), 5)
    0.00424
    """
    if c <= 0 or d <= 0:
        raise ConfigError("gamma needs positive single-photon counts c and d")
    b = min(max(b, 1e-300), 0.5)
    argument = (c + d) / (c * d * (1 - b) * b) * 21.0**2 / a**2
    if argument <= 1.0:
        return 0.0
    return math.sqrt((c + d) * (1 - b) * b / (c * d * math.log(2)) * math.log2(argument))


def _validate(
    mus: Sequence[float], probs: Sequence[float], counts: dict[str, Sequence[float]]
) -> None:
    if len(mus) != 3 or len(probs) != 3:
        raise ConfigError("Lim et al.'s bound needs exactly three intensities mu1 > mu2 > mu3")
    mu1, mu2, mu3 = mus
    if not (mu2 > mu3 >= 0.0 and mu1 > mu2 + mu3):
        raise ConfigError(
            f"need mu1 > mu2 + mu3 and mu2 > mu3 >= 0 (signal > weak decoy > vacuum), got {mus}"
        )
    if any(p <= 0 for p in probs) or abs(math.fsum(probs) - 1.0) > 1e-9:
        raise ConfigError(f"intensity probabilities must be > 0 and sum to 1, got {probs}")
    for name, values in counts.items():
        if len(values) != 3 or any(v < 0 for v in values):
            raise ConfigError(f"{name} needs three non-negative counts, got {values}")


def lim_key_length(
    mean_photon_numbers: Sequence[float],
    intensity_probabilities: Sequence[float],
    key_detections: Sequence[float],
    key_errors: Sequence[float],
    test_detections: Sequence[float],
    test_errors: Sequence[float],
    *,
    error_correction_efficiency: float = 1.16,
    epsilon_sec: float = 1e-9,
    epsilon_cor: float = 1e-15,
    asymptotic: bool = False,
) -> FiniteKeyResult:
    """Secret key length of one block by Lim et al. 2014, Eqs. (1)-(5).

    l = floor(s_0 + s_1 - s_1 h(phi) - lambda_EC - 6 log2(21/eps_sec) - log2(2/eps_cor)), with
    the Hoeffding deviation sqrt(n/2 ln(21/eps_sec)) on every count (Eqs. (2)-(4)) and
    lambda_EC = f n h(e_obs) (their Sec. IV). With ``asymptotic=True`` the deviations, gamma
    and the epsilon terms are dropped: the infinite-block limit with the same three
    intensities (the dashed curve of their Fig. 1).

    Args:
        mean_photon_numbers: (mu1, mu2, mu3): signal, weak decoy, vacuum (mu3 may be > 0).
        intensity_probabilities: (p1, p2, p3).
        key_detections: Sifted key-basis detections per intensity, n_{X,k} in the paper.
        key_errors: Errors among them (for lambda_EC).
        test_detections: Sifted test-basis detections per intensity, n_{Z,k}.
        test_errors: Errors among them, m_{Z,k}.
        error_correction_efficiency: f_EC.
        epsilon_sec: Secrecy parameter.
        epsilon_cor: Correctness parameter.
        asymptotic: Drop all finite-size terms.

    Returns:
        The key length and every intermediate bound.

    Raises:
        ConfigError: for intensities that violate mu1 > mu2 + mu3, mu2 > mu3 >= 0, bad
            probabilities or epsilons, or negative counts.

    >>> r = lim_key_length((0.5, 0.1, 0.0), (0.8, 0.1, 0.1), (8e5, 2e4, 20), (8e3, 300, 10),
    ...                    (8e5, 2e4, 20), (8e3, 300, 10))
    >>> r.aborted, round(r.key_length_bits / 8e5, 2)
    (False, 0.09)
    """
    _validate(
        mean_photon_numbers,
        intensity_probabilities,
        {
            "key_detections": key_detections,
            "key_errors": key_errors,
            "test_detections": test_detections,
            "test_errors": test_errors,
        },
    )
    for name, eps in (("epsilon_sec", epsilon_sec), ("epsilon_cor", epsilon_cor)):
        if not 0.0 < eps < 1.0:
            raise ConfigError(f"{name} must be in (0, 1), got {eps}")
    mu1, mu2, mu3 = (float(m) for m in mean_photon_numbers)
    p = [float(x) for x in intensity_probabilities]
    tau0 = sum(pk * math.exp(-mk) for pk, mk in zip(p, (mu1, mu2, mu3), strict=True))
    tau1 = sum(pk * math.exp(-mk) * mk for pk, mk in zip(p, (mu1, mu2, mu3), strict=True))
    log_term = 0.0 if asymptotic else math.log(21.0 / epsilon_sec)

    def bounds(counts: Sequence[float]) -> tuple[list[float], list[float]]:
        delta = math.sqrt(sum(counts) / 2.0 * log_term)
        mus = (mu1, mu2, mu3)
        plus = [math.exp(m) / pk * (c + delta) for m, pk, c in zip(mus, p, counts, strict=True)]
        minus = [math.exp(m) / pk * (c - delta) for m, pk, c in zip(mus, p, counts, strict=True)]
        return plus, minus

    def photon_bounds(counts: Sequence[float]) -> tuple[float, float]:
        plus, minus = bounds(counts)
        s0 = max(0.0, tau0 * (mu2 * minus[2] - mu3 * plus[1]) / (mu2 - mu3))  # Eq. (2)
        s1 = (  # Eq. (3)
            tau1 * mu1 * (minus[1] - plus[2] - (mu2**2 - mu3**2) / mu1**2 * (plus[0] - s0 / tau0))
        ) / (mu1 * (mu2 - mu3) - mu2**2 + mu3**2)
        return s0, max(s1, 0.0)

    s0_key, s1_key = photon_bounds(key_detections)
    _, s1_test = photon_bounds(test_detections)
    m_plus, m_minus = bounds(test_errors)
    v1_test = max(0.0, tau1 * (m_plus[1] - m_minus[2]) / (mu2 - mu3))  # Eq. (4)
    n_key, m_key = float(sum(key_detections)), float(sum(key_errors))
    leak = (
        error_correction_efficiency * n_key * binary_entropy(min(m_key / n_key, 0.5))
        if n_key
        else 0.0
    )
    if s1_key <= 0.0 or s1_test <= 0.0:
        return FiniteKeyResult(0.0, s0_key, s1_key, s1_test, v1_test, 0.5, leak, True)
    ratio = v1_test / s1_test
    gamma = 0.0 if asymptotic else lim_gamma(epsilon_sec, ratio, s1_test, s1_key)
    phi = ratio + gamma  # Eq. (5)
    if phi >= 0.5:
        return FiniteKeyResult(0.0, s0_key, s1_key, s1_test, v1_test, 0.5, leak, True)
    length = s0_key + s1_key * (1.0 - binary_entropy(phi)) - leak  # Eq. (1)
    if not asymptotic:
        length = math.floor(length - 6 * math.log2(21 / epsilon_sec) - math.log2(2 / epsilon_cor))
    return FiniteKeyResult(
        max(float(length), 0.0), s0_key, s1_key, s1_test, v1_test, phi, leak, False
    )
