"""What the characterisation suite measures, and with how many shots."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from kvant.errors import ConfigError

__all__ = ["SuiteConfig"]


@dataclass(frozen=True)
class SuiteConfig:
    """What the suite measures and with how many shots.

    Attributes:
        qubits: Device qubits to characterise (None: all).
        couplers: Couplers for 2-qubit RB (None: all; pairs among ``qubits`` if given).
        seed: Seed of every random choice and of the shot sampling.
        readout_shots: Shots per preparation.
        t1_delays_us: Delays of the T1 scan (log-spaced, device independent).
        coherence_points: Delays of the Ramsey and echo scans (span: 2.5 x the fitted T1).
        coherence_shots: Shots per delay.
        rb_lengths_1q: 1-qubit RB lengths.
        rb_lengths_2q: 2-qubit RB lengths.
        rb_sequences: Sequences per length (1q); ``rb_sequences_2q`` for 2q.
        rb_shots: Shots per sequence.
        interleaved: Run interleaved RB of CZ on every coupler.
        qv_widths: Widths to test (None: 2, 3, ... until one fails or ``qv_max_width``; ``()``
            for no QV). Each width runs on a connected region of the characterised qubits.
        qv_max_width: Largest width tried when ``qv_widths`` is None.
        qv_circuits: Model circuits per width (>= 100 for a valid pass).
        qv_shots: Shots per model circuit.
        xeb_qubits: Length of the XEB line (0: no XEB).
        xeb_cycles: XEB depths.
        xeb_circuits: Circuits per depth.
        xeb_shots: Shots per circuit.

    >>> SuiteConfig.reduced().qv_widths
    (2, 3)
    >>> SuiteConfig.from_dict(SuiteConfig().to_dict()) == SuiteConfig()
    True
    """

    qubits: tuple[int, ...] | None = None
    couplers: tuple[tuple[int, int], ...] | None = None
    seed: int = 2026
    readout_shots: int = 20_000
    t1_delays_us: tuple[float, ...] = tuple(float(v) for v in np.geomspace(1.0, 1500.0, 30))
    coherence_points: int = 41
    coherence_shots: int = 2000
    rb_lengths_1q: tuple[int, ...] = (1, 100, 250, 500, 1000, 1500, 2200, 3000)
    rb_lengths_2q: tuple[int, ...] = (1, 5, 15, 30, 60, 100, 150, 220)
    rb_sequences: int = 30
    rb_sequences_2q: int = 30
    rb_shots: int = 2000
    interleaved: bool = True
    qv_widths: tuple[int, ...] | None = None
    qv_max_width: int = 8
    qv_circuits: int = 100
    qv_shots: int = 1000
    xeb_qubits: int = 5
    xeb_cycles: tuple[int, ...] = (1, 3, 6, 10, 15, 20, 30)
    xeb_circuits: int = 20
    xeb_shots: int = 2000

    def __post_init__(self) -> None:
        for name in ("readout_shots", "coherence_shots", "rb_shots", "qv_shots", "xeb_shots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"SuiteConfig.{name} must be a positive integer, got {value!r}")
        for name in ("rb_sequences", "rb_sequences_2q", "qv_circuits", "coherence_points"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"SuiteConfig.{name} must be a positive integer, got {value!r}")
        if self.coherence_points < 8:
            raise ConfigError("SuiteConfig.coherence_points must be at least 8")
        if self.qv_max_width < 2:
            raise ConfigError(f"SuiteConfig.qv_max_width must be >= 2, got {self.qv_max_width}")
        if self.xeb_qubits == 1 or self.xeb_qubits < 0:
            raise ConfigError(f"SuiteConfig.xeb_qubits must be 0 or >= 2, got {self.xeb_qubits}")

    @classmethod
    def reduced(cls, **changes: Any) -> SuiteConfig:
        """A quick configuration (seconds): 3 qubits, 2 couplers, QV widths 2-3, fewer shots.

        Args:
            changes: Fields to override.
        """
        base = cls(
            qubits=(0, 1, 2),
            couplers=((0, 1), (1, 2)),
            readout_shots=5000,
            t1_delays_us=tuple(float(v) for v in np.geomspace(1.0, 1500.0, 16)),
            coherence_points=25,
            coherence_shots=1000,
            rb_lengths_1q=(1, 200, 600, 1200, 2000),
            rb_lengths_2q=(1, 10, 30, 60, 120),
            rb_sequences=10,
            rb_sequences_2q=6,
            rb_shots=500,
            qv_widths=(2, 3),
            qv_circuits=100,
            qv_shots=200,
            xeb_qubits=3,
            xeb_cycles=(1, 10, 20, 40),
            xeb_circuits=8,
            xeb_shots=1000,
        )
        return replace(base, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = [list(v) if isinstance(v, tuple) else v for v in value]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SuiteConfig:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ConfigError: For an unknown field or a bad value.
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown SuiteConfig field {unknown[0]!r}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, list):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
            values[key] = value
        return cls(**values)
