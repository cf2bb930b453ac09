"""Run a link end to end: Monte Carlo counts -> single-photon bounds -> key rates.

:func:`run_link` simulates pulses and analyses what was measured; :func:`model_link` gives the
same report from the closed-form expectations (no sampling), which is what curves use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kvant.errors import ProtocolAbortError
from kvant.qkd._asymptotic import plob_bound
from kvant.qkd._attacks import Attack, attack_from_dict
from kvant.qkd._channel import expected_statistics
from kvant.qkd._config import LinkConfig
from kvant.qkd._detections import Tally
from kvant.qkd._finite import FiniteKeyResult, lim_key_length
from kvant.qkd._montecarlo import DEFAULT_BLOCK_PULSES, simulate_tally
from kvant.qkd._protocols import (
    SinglePhotonEstimate,
    asymptotic_key_rate,
    check_protocol,
    estimate_single_photon,
)

__all__ = ["LinkReport", "model_link", "run_link"]


@dataclass(frozen=True)
class LinkReport:
    """Gains, QBERs, single-photon bounds and key rates of one link.

    Attributes:
        protocol: The protocol name.
        link: The link.
        pulses: Pulses sent.
        measured_gain: Q_k per intensity (the model's value when nothing was sampled).
        measured_qber: E_k per intensity.
        model_gain: Closed-form Q_k.
        model_qber: Closed-form E_k.
        single_photon: Bounds on Y1, Q1, e1 from the measured values.
        asymptotic_bits_per_pulse: GLLP rate with those bounds.
        finite: Lim et al. 2014 finite-key result for this block (decoy-bb84 and
            efficient-bb84 only), else None.
        plob_bits_per_pulse: PLOB bound at the channel transmittance.
        tally: The Monte Carlo counts (None for a model-only report).
        attack: The attack simulated, if any.
    """

    protocol: str
    link: LinkConfig
    pulses: int
    measured_gain: tuple[float, ...]
    measured_qber: tuple[float, ...]
    model_gain: tuple[float, ...]
    model_qber: tuple[float, ...]
    single_photon: SinglePhotonEstimate
    asymptotic_bits_per_pulse: float
    finite: FiniteKeyResult | None
    plob_bits_per_pulse: float
    tally: Tally | None = None
    attack: Attack | None = None

    @property
    def finite_bits_per_pulse(self) -> float | None:
        """Finite-size secret bits per pulse (key length / pulses), if computed."""
        return None if self.finite is None else self.finite.key_length_bits / self.pulses

    @property
    def asymptotic_rate_bps(self) -> float:
        """Asymptotic secret key rate in bits per second at the link's clock."""
        return self.asymptotic_bits_per_pulse * self.link.clock_hz

    @property
    def finite_rate_bps(self) -> float | None:
        """Finite-size secret key rate in bits per second."""
        bits = self.finite_bits_per_pulse
        return None if bits is None else bits * self.link.clock_hz

    @property
    def aborted(self) -> bool:
        """True when no key can be certified (asymptotically, or in this block)."""
        finite_none = self.finite is not None and self.finite.key_length_bits <= 0
        return self.asymptotic_bits_per_pulse <= 0 or finite_none

    def require_key(self) -> LinkReport:
        """Return ``self``, or raise :class:`~kvant.errors.ProtocolAbortError` without a key.

        Raises:
            ProtocolAbortError: when the asymptotic rate or this block's finite key is zero.
        """
        if self.aborted:
            y1 = self.single_photon.yield_lower
            raise ProtocolAbortError(
                f"{self.protocol} at {self.link.fibre.distance_km} km certifies no secret key "
                f"(single-photon yield bound {y1:.3g}, error bound "
                f"{self.single_photon.error_upper:.3g}); shorten the link, send more pulses, "
                "or look for an eavesdropper"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "protocol": self.protocol,
            "link": self.link.to_dict(),
            "pulses": self.pulses,
            "measured_gain": list(self.measured_gain),
            "measured_qber": list(self.measured_qber),
            "model_gain": list(self.model_gain),
            "model_qber": list(self.model_qber),
            "single_photon": self.single_photon.to_dict(),
            "asymptotic_bits_per_pulse": self.asymptotic_bits_per_pulse,
            "finite": None if self.finite is None else self.finite.to_dict(),
            "plob_bits_per_pulse": self.plob_bits_per_pulse,
            "tally": None if self.tally is None else self.tally.to_dict(),
            "attack": None if self.attack is None else self.attack.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkReport:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            protocol=data["protocol"],
            link=LinkConfig.from_dict(data["link"]),
            pulses=int(data["pulses"]),
            measured_gain=tuple(data["measured_gain"]),
            measured_qber=tuple(data["measured_qber"]),
            model_gain=tuple(data["model_gain"]),
            model_qber=tuple(data["model_qber"]),
            single_photon=SinglePhotonEstimate.from_dict(data["single_photon"]),
            asymptotic_bits_per_pulse=data["asymptotic_bits_per_pulse"],
            finite=None if data["finite"] is None else FiniteKeyResult.from_dict(data["finite"]),
            plob_bits_per_pulse=data["plob_bits_per_pulse"],
            tally=None if data["tally"] is None else Tally.from_dict(data["tally"]),
            attack=None if data["attack"] is None else attack_from_dict(data["attack"]),
        )


def _finite(
    protocol: str,
    link: LinkConfig,
    key: list[float],
    key_err: list[float],
    test: list[float],
    test_err: list[float],
    **options: Any,
) -> FiniteKeyResult | None:
    if protocol not in ("decoy-bb84", "efficient-bb84"):
        return None
    src = link.source
    return lim_key_length(
        src.mean_photon_numbers,
        src.intensity_probabilities,
        key,
        key_err,
        test,
        test_err,
        **options,
    )


def _report(
    protocol: str,
    link: LinkConfig,
    pulses: int,
    gains: list[float],
    qbers: list[float],
    counts: tuple[list[float], list[float], list[float], list[float]],
    *,
    attack: Attack | None,
    tally: Tally | None,
    error_correction_efficiency: float,
    epsilon_sec: float,
    epsilon_cor: float,
) -> LinkReport:
    model = expected_statistics(link, attack)
    finite = _finite(
        protocol,
        link,
        *counts,
        error_correction_efficiency=error_correction_efficiency,
        epsilon_sec=epsilon_sec,
        epsilon_cor=epsilon_cor,
    )
    return LinkReport(
        protocol=protocol,
        link=link,
        pulses=pulses,
        measured_gain=tuple(gains),
        measured_qber=tuple(qbers),
        model_gain=model.gain,
        model_qber=model.qber,
        single_photon=estimate_single_photon(protocol, link.source, gains, qbers),
        asymptotic_bits_per_pulse=asymptotic_key_rate(
            protocol,
            link.source,
            gains,
            qbers,
            error_correction_efficiency=error_correction_efficiency,
        ),
        finite=finite,
        plob_bits_per_pulse=plob_bound(min(link.fibre.transmittance, 1.0 - 1e-16)),
        tally=tally,
        attack=attack,
    )


def run_link(
    link: LinkConfig,
    protocol: str = "decoy-bb84",
    pulses: int = 10_000_000,
    *,
    seed: int | np.random.Generator | None = None,
    attack: Attack | None = None,
    block_pulses: int = DEFAULT_BLOCK_PULSES,
    progress: Callable[[int], None] | None = None,
    error_correction_efficiency: float = 1.16,
    epsilon_sec: float = 1e-9,
    epsilon_cor: float = 1e-15,
) -> LinkReport:
    """Simulate ``pulses`` pulses through ``link`` and analyse them with ``protocol``.

    Args:
        link: The link (its source must fit the protocol).
        protocol: ``bb84``, ``decoy-bb84``, ``one-decoy-bb84`` or ``efficient-bb84``.
        pulses: Pulses Alice sends (the block of the finite-key analysis).
        seed: An int or a ``numpy.random.Generator``.
        attack: An optional eavesdropper.
        block_pulses: Pulses per Monte Carlo block (memory use).
        progress: Called with the pulses done after each block.
        error_correction_efficiency: f_EC.
        epsilon_sec: Secrecy parameter of the finite-key bound.
        epsilon_cor: Correctness parameter.

    Returns:
        The report.

    Raises:
        ConfigError: for an unknown protocol, a source that does not fit it, or bad pulses.

    >>> from kvant.qkd import FibreConfig, LinkConfig, protocol_source
    >>> link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(50.0))
    >>> report = run_link(link, pulses=2_000_000, seed=3)
    >>> report.asymptotic_bits_per_pulse > 0
    True
    """
    check_protocol(protocol, link.source)
    tally = simulate_tally(
        link, pulses, seed=seed, attack=attack, block_pulses=block_pulses, progress=progress
    )
    k = range(link.source.num_intensities)
    counts = (
        [float(tally.sifted[i][0]) for i in k],
        [float(tally.errors[i][0]) for i in k],
        [float(tally.sifted[i][1]) for i in k],
        [float(tally.errors[i][1]) for i in k],
    )
    return _report(
        protocol,
        link,
        pulses,
        [tally.gain(i) for i in k],
        [tally.qber(i) for i in k],
        counts,
        attack=attack,
        tally=tally,
        error_correction_efficiency=error_correction_efficiency,
        epsilon_sec=epsilon_sec,
        epsilon_cor=epsilon_cor,
    )


def model_link(
    link: LinkConfig,
    protocol: str = "decoy-bb84",
    pulses: int = 10_000_000,
    *,
    attack: Attack | None = None,
    error_correction_efficiency: float = 1.16,
    epsilon_sec: float = 1e-9,
    epsilon_cor: float = 1e-15,
) -> LinkReport:
    """The report :func:`run_link` would give on average: closed-form counts, no sampling.

    Args:
        link: The link.
        protocol: The protocol.
        pulses: Pulses sent (sets the expected counts of the finite-key analysis).
        attack: An optional eavesdropper.
        error_correction_efficiency: f_EC.
        epsilon_sec: Secrecy parameter.
        epsilon_cor: Correctness parameter.

    Returns:
        The report, with ``tally=None``.

    >>> from kvant.qkd import FibreConfig, LinkConfig, protocol_source
    >>> link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(50.0))
    >>> small, large = model_link(link, pulses=10**9), model_link(link, pulses=10**12)
    >>> small.finite_bits_per_pulse < large.finite_bits_per_pulse < large.asymptotic_bits_per_pulse
    True
    """
    check_protocol(protocol, link.source)
    model = expected_statistics(link, attack)
    src = link.source
    pz = src.z_basis_probability
    counts: tuple[list[float], list[float], list[float], list[float]] = ([], [], [], [])
    for p_k, gain, qber in zip(src.intensity_probabilities, model.gain, model.qber, strict=True):
        for column, basis_p in ((0, pz * pz), (2, (1 - pz) ** 2)):
            counts[column].append(pulses * p_k * basis_p * gain)
            counts[column + 1].append(pulses * p_k * basis_p * gain * qber)
    return _report(
        protocol,
        link,
        pulses,
        list(model.gain),
        list(model.qber),
        counts,
        attack=attack,
        tally=None,
        error_correction_efficiency=error_correction_efficiency,
        epsilon_sec=epsilon_sec,
        epsilon_cor=epsilon_cor,
    )
