"""Configuration of one QKD link: source, fibre, detectors, and the whole link.

All are frozen dataclasses with units in the field names, validated on construction, with a
``to_dict``/``from_dict`` round trip. Basis 0 is Z (the key basis of the biased protocols),
basis 1 is X; intensity 0 is the signal, then the decoys in decreasing order.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from kvant.errors import ConfigError

__all__ = ["DetectorConfig", "FibreConfig", "LinkConfig", "SourceConfig"]

_SUM_TOLERANCE = 1e-9


def _check_probability(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ConfigError(f"{name} must be a probability in [0, 1], got {value!r}")


@dataclass(frozen=True)
class SourceConfig:
    """A phase-randomised weak coherent source with several intensities.

    Attributes:
        mean_photon_numbers: Mean photon number of each intensity, signal first, strictly
            decreasing (e.g. ``(0.5, 0.1, 0.0)`` for signal, weak decoy and vacuum).
        intensity_probabilities: Probability of each intensity; they must sum to 1.
        z_basis_probability: Probability that Alice (and Bob) choose the Z basis; 1/2 is the
            symmetric BB84, larger values the efficient (biased) BB84.

    >>> SourceConfig((0.5, 0.1, 0.0), (0.8, 0.1, 0.1)).num_intensities
    3
    """

    mean_photon_numbers: tuple[float, ...]
    intensity_probabilities: tuple[float, ...]
    z_basis_probability: float = 0.5

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean_photon_numbers", tuple(self.mean_photon_numbers))
        object.__setattr__(self, "intensity_probabilities", tuple(self.intensity_probabilities))
        mus, probs = self.mean_photon_numbers, self.intensity_probabilities
        if not 1 <= len(mus) <= 8:
            raise ConfigError(f"give 1 to 8 intensities, got {len(mus)}")
        if len(probs) != len(mus):
            raise ConfigError(
                f"{len(mus)} mean photon numbers but {len(probs)} intensity probabilities; "
                "give one probability per intensity"
            )
        for mu in mus:
            if not (math.isfinite(mu) and 0.0 <= mu <= 50.0):
                raise ConfigError(f"mean photon numbers must be in [0, 50], got {mu}")
        if any(a <= b for a, b in itertools.pairwise(mus)):
            raise ConfigError(
                f"mean photon numbers must decrease strictly, signal first (mu > nu > ...), "
                f"got {mus}"
            )
        if mus[0] <= 0.0:
            raise ConfigError("the signal intensity must have a mean photon number > 0")
        for p in probs:
            _check_probability("each intensity probability", p)
        total = math.fsum(probs)
        if abs(total - 1.0) > _SUM_TOLERANCE:
            raise ConfigError(
                f"intensity probabilities must sum to 1, got {total:.12g} for {probs}; rescale them"
            )
        _check_probability("z_basis_probability", self.z_basis_probability)

    @property
    def num_intensities(self) -> int:
        """How many intensities the source uses."""
        return len(self.mean_photon_numbers)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "mean_photon_numbers": list(self.mean_photon_numbers),
            "intensity_probabilities": list(self.intensity_probabilities),
            "z_basis_probability": self.z_basis_probability,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            tuple(data["mean_photon_numbers"]),
            tuple(data["intensity_probabilities"]),
            data.get("z_basis_probability", 0.5),
        )


@dataclass(frozen=True)
class FibreConfig:
    """The quantum channel: a fibre of some length and loss, plus fixed insertion loss.

    Attributes:
        distance_km: Fibre length (>= 0).
        attenuation_db_per_km: Loss per km (0.2 standard, 0.16-0.17 ultra-low-loss fibre).
        insertion_loss_db: Extra loss independent of length (connectors, splices, filters).

    >>> round(FibreConfig(50.0).transmittance, 4)
    0.1
    """

    distance_km: float
    attenuation_db_per_km: float = 0.2
    insertion_loss_db: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.distance_km) and self.distance_km >= 0.0):
            raise ConfigError(f"distance_km must be >= 0, got {self.distance_km}")
        if not (math.isfinite(self.attenuation_db_per_km) and self.attenuation_db_per_km >= 0):
            raise ConfigError(
                f"attenuation_db_per_km must be >= 0, got {self.attenuation_db_per_km}"
            )
        if not (math.isfinite(self.insertion_loss_db) and self.insertion_loss_db >= 0):
            raise ConfigError(f"insertion_loss_db must be >= 0, got {self.insertion_loss_db}")

    @property
    def loss_db(self) -> float:
        """Total channel loss in dB."""
        return self.attenuation_db_per_km * self.distance_km + self.insertion_loss_db

    @property
    def transmittance(self) -> float:
        """Channel transmittance 10^(-loss/10) (what the PLOB bound is evaluated at)."""
        return math.pow(10.0, -self.loss_db / 10.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FibreConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


@dataclass(frozen=True)
class DetectorConfig:
    """Bob's two threshold detectors (one per bit value), identical.

    Attributes:
        efficiency: Detection efficiency including Bob's optics, in [0, 1].
        dark_count_probability: Dark count probability per gate, per detector.
        afterpulse_probability: Probability that a click is followed by an after-pulse in the
            same detector at the first gate after the dead time.
        dead_time_ns: After any click the receiver ignores gates for this long (both detectors,
            the symmetric dead time that closes the dead-time side channel).

    >>> DetectorConfig.snspd().efficiency
    0.8
    """

    efficiency: float = 0.8
    dark_count_probability: float = 1e-7
    afterpulse_probability: float = 0.0
    dead_time_ns: float = 0.0

    def __post_init__(self) -> None:
        _check_probability("detector efficiency", self.efficiency)
        _check_probability("dark_count_probability", self.dark_count_probability)
        _check_probability("afterpulse_probability", self.afterpulse_probability)
        if not (math.isfinite(self.dead_time_ns) and self.dead_time_ns >= 0):
            raise ConfigError(f"dead_time_ns must be >= 0, got {self.dead_time_ns}")

    @classmethod
    def snspd(cls) -> DetectorConfig:
        """A superconducting nanowire detector: 80% efficiency, 1e-7 dark counts per gate,
        no after-pulsing, 20 ns dead time."""
        return cls(0.8, 1e-7, 0.0, 20.0)

    @classmethod
    def ingaas_apd(cls) -> DetectorConfig:
        """A gated InGaAs avalanche photodiode as in Lim et al. 2014 (Sec. IV): 10%
        efficiency, 6e-7 dark counts per gate, 4% after-pulsing, 100 ns dead time."""
        return cls(0.1, 6e-7, 0.04, 100.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectorConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


@dataclass(frozen=True)
class LinkConfig:
    """One point-to-point link: source, fibre, detectors, misalignment and clock.

    Attributes:
        source: Alice's intensities and basis bias.
        fibre: The channel.
        detector: Bob's detectors.
        misalignment_error: Probability that a photon reaches the wrong detector when the
            bases agree (optical misalignment, e_d).
        clock_hz: Pulse repetition rate (converts bits per pulse to bits per second and the
            dead time to gates).

    >>> link = LinkConfig(SourceConfig((0.5, 0.1, 0.0), (0.8, 0.1, 0.1)), FibreConfig(100))
    >>> link.dead_time_gates
    20
    """

    source: SourceConfig
    fibre: FibreConfig
    detector: DetectorConfig = field(default_factory=DetectorConfig.snspd)
    misalignment_error: float = 0.01
    clock_hz: float = 1e9

    def __post_init__(self) -> None:
        _check_probability("misalignment_error", self.misalignment_error)
        if self.misalignment_error > 0.5:
            raise ConfigError(
                f"misalignment_error above 1/2 means swapped detectors, got "
                f"{self.misalignment_error}; relabel the detectors instead"
            )
        if not (math.isfinite(self.clock_hz) and self.clock_hz > 0):
            raise ConfigError(f"clock_hz must be > 0, got {self.clock_hz}")

    @property
    def transmittance(self) -> float:
        """Overall single-photon transmittance: fibre times detector efficiency."""
        return self.fibre.transmittance * self.detector.efficiency

    @property
    def dead_time_gates(self) -> int:
        """Dead time in whole gates (rounded up) at this clock."""
        return math.ceil(self.detector.dead_time_ns * 1e-9 * self.clock_hz - 1e-9)

    def at_distance(self, distance_km: float) -> LinkConfig:
        """The same link with another fibre length."""
        return replace(self, fibre=replace(self.fibre, distance_km=distance_km))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "source": self.source.to_dict(),
            "fibre": self.fibre.to_dict(),
            "detector": self.detector.to_dict(),
            "misalignment_error": self.misalignment_error,
            "clock_hz": self.clock_hz,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinkConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            SourceConfig.from_dict(data["source"]),
            FibreConfig.from_dict(data["fibre"]),
            DetectorConfig.from_dict(data["detector"]),
            data["misalignment_error"],
            data["clock_hz"],
        )
