"""The QKD system on a link and the secret key rate its physics gives.

A :class:`QkdSystem` is one transmitter/receiver pair (protocol, source, detectors, clock,
finite-key block). Its key rate over a fibre comes from :mod:`kvant.qkd`: the closed-form
detection statistics of :func:`kvant.qkd.expected_statistics` (fibre loss, dark counts,
misalignment and the detector dead time, which saturates the receiver on short links, folded in
by renewal theory) analysed by :func:`kvant.qkd.model_link` with the decoy-state bounds and the
Lim et al. 2014 finite-key length for a block of ``block_pulses`` pulses. Weather plays no part:
buried fibre has a fixed loss. A link may carry several identical systems in parallel (each on
its own fibre pair); their rates add.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Any

from kvant.errors import ConfigError, TopologyError
from kvant.qkd import DetectorConfig, FibreConfig, LinkConfig, model_link, protocol_source

__all__ = ["SYSTEM_PRESETS", "QkdSystem", "link_key_rate_bps"]


@dataclass(frozen=True)
class QkdSystem:
    """One QKD transmitter/receiver pair as installed on a link.

    Attributes:
        name: A label (``"apd"``, ``"snspd"`` or your own).
        protocol: One of :data:`kvant.qkd.PROTOCOLS`.
        detector: Bob's detectors (efficiency, dark counts, after-pulsing, dead time).
        clock_hz: Pulse repetition rate.
        misalignment_error: Optical misalignment e_d.
        signal_mean_photon_number: Signal intensity mu (None: the protocol's default).
        block_pulses: Pulses per finite-key block (Lim et al. 2014); 0 means the asymptotic rate.
        error_correction_efficiency: f_EC of the reconciliation.

    >>> QkdSystem.preset("apd").detector.dead_time_ns
    100.0
    """

    name: str = "apd"
    protocol: str = "decoy-bb84"
    detector: DetectorConfig = field(default_factory=DetectorConfig.ingaas_apd)
    clock_hz: float = 1e9
    misalignment_error: float = 0.01
    signal_mean_photon_number: float | None = None
    block_pulses: int = 10**10
    error_correction_efficiency: float = 1.16

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("a QKD system needs a non-empty name")
        if not isinstance(self.block_pulses, int) or self.block_pulses < 0:
            raise ConfigError(f"block_pulses must be an int >= 0, got {self.block_pulses!r}")
        if not (
            math.isfinite(self.error_correction_efficiency)
            and self.error_correction_efficiency >= 1.0
        ):
            raise ConfigError(
                f"error_correction_efficiency must be >= 1, got {self.error_correction_efficiency}"
            )
        self.link_config(0.0, 0.2, 0.0)  # validates protocol, source, clock, misalignment

    @classmethod
    def preset(cls, name: str) -> QkdSystem:
        """A named system from :data:`SYSTEM_PRESETS`.

        Raises:
            ConfigError: for an unknown name.
        """
        try:
            return SYSTEM_PRESETS[name]
        except KeyError:
            known = ", ".join(sorted(SYSTEM_PRESETS))
            raise ConfigError(f"unknown QKD system {name!r}; choose one of {known}") from None

    def link_config(
        self, fibre_km: float, attenuation_db_per_km: float, insertion_loss_db: float
    ) -> LinkConfig:
        """The :class:`kvant.qkd.LinkConfig` of this system over a fibre."""
        source = protocol_source(
            self.protocol, signal_mean_photon_number=self.signal_mean_photon_number
        )
        fibre = FibreConfig(fibre_km, attenuation_db_per_km, insertion_loss_db)
        return LinkConfig(source, fibre, self.detector, self.misalignment_error, self.clock_hz)

    def key_rate_bps(
        self,
        fibre_km: float,
        attenuation_db_per_km: float = 0.2,
        insertion_loss_db: float = 0.0,
    ) -> float:
        """Secret key rate of one system over this fibre (see :func:`link_key_rate_bps`).

        >>> round(QkdSystem.preset("apd").key_rate_bps(50.0), -2)
        114800.0
        """
        return link_key_rate_bps(self, fibre_km, attenuation_db_per_km, insertion_loss_db)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "name": self.name,
            "protocol": self.protocol,
            "detector": self.detector.to_dict(),
            "clock_hz": self.clock_hz,
            "misalignment_error": self.misalignment_error,
            "signal_mean_photon_number": self.signal_mean_photon_number,
            "block_pulses": self.block_pulses,
            "error_correction_efficiency": self.error_correction_efficiency,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QkdSystem:
        """Rebuild from :meth:`to_dict` output; missing fields take the ``apd`` defaults.

        Raises:
            TopologyError: for an unknown field.
        """
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise TopologyError(
                f"unknown QKD system field(s) {sorted(unknown)}; known: {sorted(known)}"
            )
        values = dict(data)
        if "detector" in values and isinstance(values["detector"], dict):
            values["detector"] = DetectorConfig.from_dict(values["detector"])
        if "block_pulses" in values:
            values["block_pulses"] = int(values["block_pulses"])
        return cls(**values)


@functools.lru_cache(maxsize=65536)
def link_key_rate_bps(
    system: QkdSystem,
    fibre_km: float,
    attenuation_db_per_km: float = 0.2,
    insertion_loss_db: float = 0.0,
) -> float:
    """Secret key rate in bits per second of one system over a fibre, from the link physics.

    The detection statistics are those of :func:`kvant.qkd.expected_statistics` (Ma et al.
    2005 Eqs. (10)-(11) with two threshold detectors; dead time and after-pulsing by renewal
    theory, so a short link saturates the receiver). The rate is the Lim et al. 2014 finite
    key length of one block of ``system.block_pulses`` pulses divided by the block's duration,
    or the GLLP asymptotic rate when ``block_pulses`` is 0. No key gives 0.

    Args:
        system: The QKD system.
        fibre_km: Fibre length.
        attenuation_db_per_km: Fibre loss per km.
        insertion_loss_db: Length-independent loss (connectors, splices, patch panels).

    Returns:
        The rate in bits per second (>= 0).

    >>> apd = QkdSystem.preset("apd")
    >>> link_key_rate_bps(apd, 40.0) > link_key_rate_bps(apd, 80.0) > 0
    True
    """
    cfg = system.link_config(fibre_km, attenuation_db_per_km, insertion_loss_db)
    report = model_link(
        cfg,
        system.protocol,
        max(system.block_pulses, 1),
        error_correction_efficiency=system.error_correction_efficiency,
    )
    if system.block_pulses == 0 or report.finite_rate_bps is None:
        return max(report.asymptotic_rate_bps, 0.0)
    return max(report.finite_rate_bps, 0.0)


SYSTEM_PRESETS: dict[str, QkdSystem] = {
    "apd": QkdSystem(),
    "snspd": QkdSystem(name="snspd", detector=DetectorConfig.snspd()),
    "apd-asymptotic": replace(QkdSystem(), name="apd-asymptotic", block_pulses=0),
}
"""Named systems. ``apd``: decoy-state BB84 at 1 GHz with gated InGaAs APDs (10%, 6e-7 dark
counts per gate, 4% after-pulsing, 100 ns dead time, as in Lim et al. 2014 Sec. IV), blocks of
1e10 pulses (10 s). ``snspd``: the same with superconducting nanowire detectors (80%, 1e-7,
20 ns). ``apd-asymptotic``: ``apd`` with the asymptotic (infinite-block) rate."""
