"""Coherence times: T1 (inversion recovery), T2* (Ramsey with detuning), T2 (Hahn echo).

Builders make 1-qubit native circuits; analyses are pure functions of the number of shots
that read 1 at each delay. Models (Krantz et al., Appl. Phys. Rev. 6, 021318, 2019, sec. V):

* T1: ``x, delay t, measure``; ``P1(t) = A exp(-t/T1) + B``.
* T2*: ``sx, delay t, rz(2 pi f t), sx, measure`` (a virtual detuning ``f``);
  ``P1(t) = A exp(-t/T2*) cos(2 pi f' t + phi) + B``.
* T2: ``sx, delay t/2, x, delay t/2, sx, measure``; ``P1(t) = A exp(-t/T2) + B``.

What the emulator injects: relaxation during a delay is the thermal-relaxation channel of
the qubit's calibrated T1 and T2 (:func:`~kvant.device.thermal_relaxation_channel`): its
coherences decay as ``exp(-t/T2)`` with no quasi-static (1/f) frequency noise, so on the
emulator Ramsey and Hahn echo both recover the calibration's T2 (``T2* = T2``). On a real
device ``T2* < T2_echo``; the datasheet reports both as measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from kvant.bench._fit import binomial_stderr, fit_damped_cosine, fit_exp_decay
from kvant.bench._results import FitResult, Metric
from kvant.circuit import Circuit
from kvant.errors import AnalysisError, ConfigError

__all__ = [
    "analyse_t1",
    "analyse_t2_echo",
    "analyse_t2_ramsey",
    "echo_circuits",
    "ramsey_circuits",
    "t1_circuits",
]


def _delays(delays_us: Sequence[float]) -> list[float]:
    out = [float(t) for t in delays_us]
    if len(out) < 4 or any(not (math.isfinite(t) and t >= 0) for t in out):
        raise ConfigError(f"give at least 4 finite delays >= 0 us, got {out}")
    return out


def t1_circuits(delays_us: Sequence[float]) -> list[Circuit]:
    """Inversion recovery: ``x``, wait, measure (one circuit per delay).

    >>> [op.name for op in t1_circuits([0, 1, 2, 3])[1]]
    ['x', 'delay', 'measure']
    """
    out = []
    for t in _delays(delays_us):
        c = Circuit(1, 1, name=f"t1 {t:g} us").x(0)
        out.append(c.delay(0, t * 1000.0).measure(0, 0))
    return out


def ramsey_circuits(delays_us: Sequence[float], detuning_mhz: float) -> list[Circuit]:
    """Ramsey with a virtual detuning: ``sx``, wait ``t``, ``rz(2 pi f t)``, ``sx``, measure.

    >>> [op.name for op in ramsey_circuits([0, 1, 2, 3], 0.1)[1]]
    ['sx', 'delay', 'rz', 'sx', 'measure']
    """
    if not (math.isfinite(detuning_mhz) and detuning_mhz > 0):
        raise ConfigError(f"detuning_mhz must be > 0, got {detuning_mhz!r}")
    out = []
    for t in _delays(delays_us):
        c = Circuit(1, 1, name=f"ramsey {t:g} us").sx(0).delay(0, t * 1000.0)
        phase = math.remainder(2 * math.pi * detuning_mhz * t, 2 * math.pi)
        out.append(c.rz(phase, 0).sx(0).measure(0, 0))
    return out


def echo_circuits(delays_us: Sequence[float]) -> list[Circuit]:
    """Hahn echo: ``sx``, wait ``t/2``, ``x``, wait ``t/2``, ``sx``, measure.

    >>> [op.name for op in echo_circuits([0, 1, 2, 3])[1]]
    ['sx', 'delay', 'x', 'delay', 'sx', 'measure']
    """
    out = []
    for t in _delays(delays_us):
        c = Circuit(1, 1, name=f"echo {t:g} us").sx(0).delay(0, t * 500.0).x(0)
        out.append(c.delay(0, t * 500.0).sx(0).measure(0, 0))
    return out


def _probabilities(
    delays_us: ArrayLike, ones: ArrayLike, shots: ArrayLike, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(delays_us, dtype=np.float64)
    try:
        k = np.asarray(ones, dtype=np.float64)
        n = np.broadcast_to(np.asarray(shots, dtype=np.float64), k.shape)
    except ValueError as exc:
        raise AnalysisError(f"{what}: counts and shots do not match ({exc})") from None
    if k.shape != t.shape:
        raise AnalysisError(f"{what}: {t.size} delays but {k.size} counts")
    if not (np.all(np.isfinite(k)) and np.all(np.isfinite(n))):
        raise AnalysisError(f"{what}: the counts contain NaN or infinity")
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise AnalysisError(f"{what}: counts must satisfy 0 <= ones <= shots, shots > 0")
    return t, k / n, binomial_stderr(k, n)


def _metric(name: str, fit: FitResult, method: str, qubit: int | None) -> Metric:
    return Metric(
        name,
        fit.params["tau"],
        fit.stderr["tau"],
        "us",
        method,
        () if qubit is None else (qubit,),
        fit.quality,
        fit.reason,
        fit,
    )


def analyse_t1(
    delays_us: ArrayLike, ones: ArrayLike, shots: ArrayLike, *, qubit: int | None = None
) -> Metric:
    """T1 from inversion recovery: fit ``A exp(-t/T1) + B`` to P(1).

    Args:
        delays_us: Delays.
        ones: Shots that read 1 at each delay.
        shots: Shots per delay (scalar or per delay).
        qubit: Which qubit (for messages and the metric).

    Raises:
        AnalysisError: For NaN, fewer than 4 delays, or counts that do not match.

    >>> import numpy as np
    >>> t = np.linspace(0, 800, 30)
    >>> m = analyse_t1(t, np.round(1e6 * (0.95 * np.exp(-t / 180) + 0.02)), 1e6)
    >>> round(m.value), m.unit, m.quality.value
    (180, 'us', 'good')
    """
    what = f"T1 of qubit {qubit}" if qubit is not None else "T1"
    t, p, err = _probabilities(delays_us, ones, shots, what)
    fit = fit_exp_decay(t, p, err, what=what)
    return _metric("t1_us", fit, "inversion recovery, exp fit, covariance stderr", qubit)


def analyse_t2_echo(
    delays_us: ArrayLike, ones: ArrayLike, shots: ArrayLike, *, qubit: int | None = None
) -> Metric:
    """T2 from a Hahn echo: fit ``A exp(-t/T2) + B`` to P(1) (``t``: total free time).

    Raises:
        AnalysisError: For NaN, fewer than 4 delays, or counts that do not match.

    >>> import numpy as np
    >>> t = np.linspace(0, 600, 30)
    >>> m = analyse_t2_echo(t, np.round(1e6 * 0.5 * (1 - np.exp(-t / 140))), 1e6)
    >>> round(m.value)
    140
    """
    what = f"T2 (echo) of qubit {qubit}" if qubit is not None else "T2 (echo)"
    t, p, err = _probabilities(delays_us, ones, shots, what)
    fit = fit_exp_decay(t, p, err, what=what)
    return _metric("t2_us", fit, "Hahn echo, exp fit, covariance stderr", qubit)


def analyse_t2_ramsey(
    delays_us: ArrayLike,
    ones: ArrayLike,
    shots: ArrayLike,
    *,
    detuning_mhz: float,
    qubit: int | None = None,
) -> Metric:
    """T2* from Ramsey fringes: fit ``A exp(-t/T2*) cos(2 pi f t + phi) + B`` to P(1).

    Raises:
        AnalysisError: For NaN, fewer than 6 delays, or counts that do not match.

    >>> import numpy as np
    >>> t = np.linspace(0, 500, 51)
    >>> p = 0.5 + 0.48 * np.exp(-t / 120) * np.cos(2 * np.pi * 0.01 * t)
    >>> round(analyse_t2_ramsey(t, np.round(1e6 * p), 1e6, detuning_mhz=0.01).value)
    120
    """
    what = f"T2* (Ramsey) of qubit {qubit}" if qubit is not None else "T2* (Ramsey)"
    t, p, err = _probabilities(delays_us, ones, shots, what)
    fit = fit_damped_cosine(t, p, err, freq_guess=detuning_mhz, what=what)
    return _metric(
        "t2_star_us", fit, "Ramsey with virtual detuning, damped-cosine fit, covariance", qubit
    )
