"""What the optics hand to post-processing: one :class:`Detections` record per block, and the
:class:`Tally` of counts that the estimates need.

Per detected pulse the record keeps Alice's intensity index, basis and bit, Bob's basis, bit
and double-click flag (bits packed with ``numpy.packbits``, 1 bit per detection), the pulse's
position in the block, and, in attack simulations only, whether Eve knows the bit. The block
also carries its first pulse number, its length and how many pulses of each intensity were
sent, so later stages (sifting, reconciliation, amplification) need nothing else.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError

__all__ = ["Detections", "Tally"]

_PACKED = ("alice_basis", "alice_bit", "bob_basis", "bob_bit", "double_click", "eve_knows_bit")


def _pairs(values: NDArray[np.int64], k: int) -> tuple[tuple[int, int], ...]:
    return tuple((int(values[2 * i]), int(values[2 * i + 1])) for i in range(k))


@dataclass(frozen=True)
class Tally:
    """Counts of one run (or several, added with ``+``), per intensity k and basis b.

    Attributes:
        sent: Pulses sent with intensity k.
        detected: Pulses of intensity k that gave a detection (any bases).
        sifted: Detections of intensity k where Alice and Bob both used basis b (0 = Z, 1 = X).
        errors: Of those, how many have Bob's bit different from Alice's.
        double_clicks: Detections of intensity k where both detectors clicked.
        eve_knows: Sifted detections of intensity k, basis b, whose bit Eve knows (attacks).

    >>> t = Tally((10,), (4,), ((1, 1),), ((0, 1),), (0,), ((0, 0),))
    >>> (t + t).sent, t.qber(0)
    ((20,), 0.5)
    """

    sent: tuple[int, ...]
    detected: tuple[int, ...]
    sifted: tuple[tuple[int, int], ...]
    errors: tuple[tuple[int, int], ...]
    double_clicks: tuple[int, ...]
    eve_knows: tuple[tuple[int, int], ...]

    @classmethod
    def empty(cls, num_intensities: int) -> Tally:
        """A tally with every count zero."""
        zeros, pairs = (0,) * num_intensities, ((0, 0),) * num_intensities
        return cls(zeros, zeros, pairs, pairs, zeros, pairs)

    @property
    def num_intensities(self) -> int:
        """Number of intensities counted."""
        return len(self.sent)

    @property
    def num_pulses(self) -> int:
        """Total pulses sent."""
        return sum(self.sent)

    def __add__(self, other: Tally) -> Tally:
        if other.num_intensities != self.num_intensities:
            raise ConfigError("cannot add tallies with different numbers of intensities")

        def add1(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(x + y for x, y in zip(a, b, strict=True))

        def add2(
            a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]
        ) -> tuple[tuple[int, int], ...]:
            return tuple((x[0] + y[0], x[1] + y[1]) for x, y in zip(a, b, strict=True))

        return Tally(
            add1(self.sent, other.sent),
            add1(self.detected, other.detected),
            add2(self.sifted, other.sifted),
            add2(self.errors, other.errors),
            add1(self.double_clicks, other.double_clicks),
            add2(self.eve_knows, other.eve_knows),
        )

    def gain(self, k: int) -> float:
        """Measured gain Q_k = detected / sent (0 if nothing was sent)."""
        return self.detected[k] / self.sent[k] if self.sent[k] else 0.0

    def qber(self, k: int, basis: int | None = None) -> float:
        """Measured QBER E_k of sifted detections (both bases unless ``basis`` is given)."""
        bases = (0, 1) if basis is None else (basis,)
        sifted = sum(self.sifted[k][b] for b in bases)
        return sum(self.errors[k][b] for b in bases) / sifted if sifted else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "sent": list(self.sent),
            "detected": list(self.detected),
            "sifted": [list(p) for p in self.sifted],
            "errors": [list(p) for p in self.errors],
            "double_clicks": list(self.double_clicks),
            "eve_knows": [list(p) for p in self.eve_knows],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tally:
        """Rebuild from :meth:`to_dict` output."""

        def pairs(key: str) -> tuple[tuple[int, int], ...]:
            return tuple((int(a), int(b)) for a, b in data[key])

        return cls(
            tuple(int(x) for x in data["sent"]),
            tuple(int(x) for x in data["detected"]),
            pairs("sifted"),
            pairs("errors"),
            tuple(int(x) for x in data["double_clicks"]),
            pairs("eve_knows"),
        )


@dataclass(frozen=True, eq=False)
class Detections:
    """The detections of one block of pulses (packed arrays; see the module docstring).

    Attributes:
        first_pulse: Number of the block's first pulse in the whole run.
        num_pulses: Pulses in the block.
        sent_per_intensity: Pulses of each intensity in the block (int64, length K).
        pulse_offset: Position of each detected pulse in the block (uint32, sorted).
        intensity: Alice's intensity index per detection (uint8).
        alice_basis: Packed bits, 0 = Z, 1 = X.
        alice_bit: Packed bits.
        bob_basis: Packed bits.
        bob_bit: Packed bits (after the squashing rule: a double click gives a random bit).
        double_click: Packed bits, 1 where both detectors clicked.
        eve_knows_bit: Packed bits, 1 where an eavesdropper knows Alice's bit (attacks only).
    """

    first_pulse: int
    num_pulses: int
    sent_per_intensity: NDArray[np.int64]
    pulse_offset: NDArray[np.uint32]
    intensity: NDArray[np.uint8]
    alice_basis: NDArray[np.uint8]
    alice_bit: NDArray[np.uint8]
    bob_basis: NDArray[np.uint8]
    bob_bit: NDArray[np.uint8]
    double_click: NDArray[np.uint8]
    eve_knows_bit: NDArray[np.uint8]

    def __post_init__(self) -> None:
        n = self.pulse_offset.size
        if self.intensity.size != n:
            raise ConfigError("intensity and pulse_offset must have one entry per detection")
        for name in _PACKED:
            if getattr(self, name).size != (n + 7) // 8:
                raise ConfigError(f"{name} must hold {n} packed bits ({(n + 7) // 8} bytes)")

    @property
    def num_detections(self) -> int:
        """Detections in the block."""
        return int(self.pulse_offset.size)

    def __len__(self) -> int:
        return self.num_detections

    def bits(self, name: str) -> NDArray[np.bool_]:
        """Unpack one of the packed fields to a boolean array of length ``num_detections``.

        >>> from kvant.qkd import Detections
        >>> d = Detections.from_arrays(0, 8, [8], [1, 5], [0, 0], alice_bit=[True, False])
        >>> d.bits("alice_bit").tolist()
        [True, False]
        """
        if name not in _PACKED:
            raise ConfigError(f"unknown packed field {name!r}; one of {', '.join(_PACKED)}")
        packed: NDArray[np.uint8] = getattr(self, name)
        return np.unpackbits(packed, count=self.num_detections).astype(np.bool_)

    @classmethod
    def from_arrays(
        cls,
        first_pulse: int,
        num_pulses: int,
        sent_per_intensity: Any,
        pulse_offset: Any,
        intensity: Any,
        **bits: Any,
    ) -> Detections:
        """Build a record from unpacked arrays (missing bit fields are all 0).

        Args:
            first_pulse: Number of the block's first pulse.
            num_pulses: Pulses in the block.
            sent_per_intensity: Pulses of each intensity.
            pulse_offset: Positions of the detected pulses.
            intensity: Intensity index per detection.
            **bits: Boolean arrays named as the packed fields.

        Returns:
            The record.
        """
        offset = np.asarray(pulse_offset, dtype=np.uint32)
        unknown = set(bits) - set(_PACKED)
        if unknown:
            raise ConfigError(f"unknown bit fields {sorted(unknown)}; use {', '.join(_PACKED)}")
        packed = {
            name: np.packbits(np.asarray(bits.get(name, np.zeros(offset.size)), dtype=np.bool_))
            for name in _PACKED
        }
        return cls(
            int(first_pulse),
            int(num_pulses),
            np.asarray(sent_per_intensity, dtype=np.int64),
            offset,
            np.asarray(intensity, dtype=np.uint8),
            **packed,
        )

    def tally(self) -> Tally:
        """Count detections, sifted detections and errors per intensity and basis.

        >>> d = Detections.from_arrays(0, 4, [4], [0, 2], [0, 0], bob_bit=[True, False])
        >>> d.tally().errors
        ((1, 0),)
        """
        k = self.sent_per_intensity.size
        intensity = self.intensity.astype(np.int64)
        a_basis, b_basis = self.bits("alice_basis"), self.bits("bob_basis")
        sifted = a_basis == b_basis
        error = sifted & (self.bits("alice_bit") != self.bits("bob_bit"))
        key = intensity * 2 + a_basis
        return Tally(
            sent=tuple(int(x) for x in self.sent_per_intensity),
            detected=tuple(int(x) for x in np.bincount(intensity, minlength=k)),
            sifted=_pairs(np.bincount(key[sifted], minlength=2 * k), k),
            errors=_pairs(np.bincount(key[error], minlength=2 * k), k),
            double_clicks=tuple(
                int(x) for x in np.bincount(intensity[self.bits("double_click")], minlength=k)
            ),
            eve_knows=_pairs(
                np.bincount(key[sifted & self.bits("eve_knows_bit")], minlength=2 * k), k
            ),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Detections):
            return NotImplemented
        return (
            self.first_pulse == other.first_pulse
            and self.num_pulses == other.num_pulses
            and all(
                np.array_equal(getattr(self, name), getattr(other, name))
                for name in ("sent_per_intensity", "pulse_offset", "intensity", *_PACKED)
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: arrays as base64 of their little-endian bytes."""

        def b64(array: NDArray[Any]) -> str:
            return base64.b64encode(array.astype(array.dtype.newbyteorder("<")).tobytes()).decode()

        return {
            "first_pulse": self.first_pulse,
            "num_pulses": self.num_pulses,
            "num_detections": self.num_detections,
            "sent_per_intensity": [int(x) for x in self.sent_per_intensity],
            "pulse_offset": b64(self.pulse_offset),
            "intensity": b64(self.intensity),
            **{name: b64(getattr(self, name)) for name in _PACKED},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Detections:
        """Rebuild from :meth:`to_dict` output."""

        def unb64(text: str, dtype: str) -> NDArray[Any]:
            return np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype)).copy()

        return cls(
            int(data["first_pulse"]),
            int(data["num_pulses"]),
            np.asarray(data["sent_per_intensity"], dtype=np.int64),
            unb64(data["pulse_offset"], "<u4").astype(np.uint32),
            unb64(data["intensity"], "u1"),
            **{name: unb64(data[name], "u1") for name in _PACKED},
        )
