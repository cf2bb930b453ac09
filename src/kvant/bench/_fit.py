"""Least-squares fits with uncertainties and a quality flag (SciPy ``curve_fit``).

Uncertainties are covariance based: ``curve_fit`` with the data's standard errors as absolute
sigmas, the parameter standard errors then scaled by ``sqrt(max(1, chi2_red))`` (the Birge
ratio; Birge, Phys. Rev. 40, 207, 1932), so an under-estimated scatter widens the error bars
instead of hiding. A fit is flagged :attr:`~kvant.bench.FitQuality.BAD_FIT` (never an exception)
when it does not converge, its covariance is not finite, the data show no signal (the model
improves chi-squared over a constant by less than 25, i.e. 5 sigma), a fitted decay time lies
outside the measured range, the main parameter's relative standard error exceeds 50 %, or
``chi2_red > 10``. Input that cannot be fitted at all (NaN, too few points, mismatched
lengths) raises :class:`~kvant.errors.AnalysisError`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvant.bench._results import FitQuality, FitResult
from kvant.errors import AnalysisError

__all__ = [
    "binomial_stderr",
    "check_series",
    "fit_damped_cosine",
    "fit_exp_decay",
    "fit_rb_decay",
    "power_decay_fit",
]

FloatArray = NDArray[np.float64]
#: Largest acceptable relative standard error of the main parameter.
MAX_RELATIVE_STDERR = 0.5
#: Largest acceptable reduced chi-squared.
MAX_REDUCED_CHI2 = 10.0
#: Least improvement in chi-squared over a constant for a signal to count as seen (5 sigma).
MIN_DELTA_CHI2 = 25.0


def _chi2_constant(y: FloatArray, yerr: FloatArray) -> float:
    w = 1.0 / yerr**2
    mean = float(np.sum(w * y) / np.sum(w))
    return float(np.sum(((y - mean) / yerr) ** 2))


def binomial_stderr(successes: ArrayLike, shots: ArrayLike) -> FloatArray:
    """Standard error of a binomial proportion, ``sqrt(p (1 - p) / N)`` with the Jeffreys-like
    estimate ``p = (k + 1/2) / (N + 1)`` so that 0 and N successes keep a non-zero error.

    >>> [round(float(v), 4) for v in binomial_stderr([0, 50], [100, 100])]
    [0.007, 0.05]
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(shots, dtype=np.float64)
    p = (k + 0.5) / (n + 1.0)
    return np.asarray(np.sqrt(p * (1 - p) / n))


def check_series(
    x: ArrayLike,
    y: ArrayLike,
    yerr: ArrayLike | None,
    *,
    what: str,
    min_points: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate one data series: 1-D, same length, finite, enough points, positive errors.

    Args:
        x: Abscissae.
        y: Data.
        yerr: Standard errors (None: all ones, i.e. unweighted).
        what: Names the series in error messages (``"T1 of qubit 3"``).
        min_points: Fewest points accepted (more than the model's parameters).

    Returns:
        ``(x, y, yerr)`` as float arrays.

    Raises:
        AnalysisError: Naming ``what`` and the problem.
    """
    try:
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        ea = np.ones_like(ya) if yerr is None else np.asarray(yerr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{what}: the data must be numbers ({exc})") from None
    if xa.ndim != 1 or ya.shape != xa.shape or ea.shape != xa.shape:
        raise AnalysisError(
            f"{what}: x, y and errors must be 1-D of the same length, got shapes "
            f"{xa.shape}, {ya.shape}, {ea.shape}"
        )
    for name, array in (("x", xa), ("y", ya), ("errors", ea)):
        if not np.all(np.isfinite(array)):
            raise AnalysisError(
                f"{what}: {name} contains NaN or infinity at index "
                f"{int(np.flatnonzero(~np.isfinite(array))[0])}; remove or repeat that point"
            )
    if xa.size < min_points:
        raise AnalysisError(
            f"{what}: {xa.size} point(s) is too few to fit; measure at least {min_points}"
        )
    if np.any(ea <= 0):
        raise AnalysisError(f"{what}: standard errors must be positive")
    return xa, ya, ea


def _fit(
    model: str,
    func: Callable[..., Any],
    x: FloatArray,
    y: FloatArray,
    yerr: FloatArray,
    names: Sequence[str],
    guesses: Sequence[Sequence[float]],
    bounds: tuple[Sequence[float], Sequence[float]] | None,
    main: str,
    main_offset: float = 0.0,
) -> FitResult:
    from scipy.optimize import OptimizeWarning, curve_fit

    best: tuple[float, NDArray[Any], NDArray[Any]] | None = None
    failure = ""
    for p0 in guesses:
        start = np.asarray(p0, dtype=np.float64)
        extra: dict[str, Any] = {"maxfev": 5000}
        if bounds is not None:
            start = np.clip(start, bounds[0], bounds[1])
            extra = {"bounds": bounds, "max_nfev": 5000}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                warnings.simplefilter("ignore", RuntimeWarning)
                popt, pcov = curve_fit(
                    func, x, y, p0=start, sigma=yerr, absolute_sigma=True, **extra
                )
        except (RuntimeError, ValueError) as exc:
            failure = str(exc)
            continue
        chi2 = float(np.sum(((func(x, *popt) - y) / yerr) ** 2))
        if best is None or chi2 < best[0]:
            best = (chi2, popt, pcov)
    if best is None:
        return FitResult(
            model,
            dict.fromkeys(names, math.nan),
            dict.fromkeys(names, math.nan),
            tuple(x),
            tuple(y),
            tuple(yerr),
            math.nan,
            FitQuality.BAD_FIT,
            f"the fit did not converge ({failure})",
        )
    chi2, popt, pcov = best
    positive = x[x > 0]
    min_x = float(positive.min()) if positive.size else 0.0
    dof = x.size - len(names)
    red = chi2 / dof if dof > 0 else math.nan
    scale = math.sqrt(max(1.0, red)) if math.isfinite(red) else 1.0
    with np.errstate(invalid="ignore"):
        errs = np.sqrt(np.diag(pcov)) * scale if np.all(np.isfinite(pcov)) else None
    params = {n: float(v) for n, v in zip(names, popt, strict=True)}
    stderr = (
        {n: float(v) for n, v in zip(names, errs, strict=True)}
        if errs is not None
        else dict.fromkeys(names, math.nan)
    )
    reason = ""
    main_value, main_err = params[main] - main_offset, stderr[main]
    if errs is None or not np.all(np.isfinite(errs)):
        reason = "the covariance of the fit could not be estimated"
    elif _chi2_constant(y, yerr) - chi2 < MIN_DELTA_CHI2:
        reason = (
            "the data are flat within their error bars: the model explains no more than a constant"
        )
    elif main == "tau" and not min_x <= params["tau"] <= 20 * float(np.max(x)):
        reason = f"the fitted decay time {params['tau']:.3g} is outside the measured range"
    elif main_value == 0 or main_err / abs(main_value) > MAX_RELATIVE_STDERR:
        reason = (
            f"{main} is undetermined (relative standard error {main_err / abs(main_value):.0%})"
        )
    elif math.isfinite(red) and red > MAX_REDUCED_CHI2:
        reason = f"the model does not describe the data (reduced chi2 = {red:.1f})"
    quality = FitQuality.BAD_FIT if reason else FitQuality.GOOD
    return FitResult(model, params, stderr, tuple(x), tuple(y), tuple(yerr), red, quality, reason)


def exp_decay(x: FloatArray, a: float, tau: float, b: float) -> FloatArray:
    """``a exp(-x / tau) + b``."""
    return np.asarray(a * np.exp(-x / tau) + b)


def damped_cosine(
    x: FloatArray, a: float, tau: float, freq: float, phase: float, b: float
) -> FloatArray:
    """``a exp(-x / tau) cos(2 pi freq x + phase) + b``."""
    return np.asarray(a * np.exp(-x / tau) * np.cos(2 * np.pi * freq * x + phase) + b)


def rb_decay(m: FloatArray, a: float, alpha: float, b: float) -> FloatArray:
    """``a alpha^m + b`` (Magesan, Gambetta & Emerson, PRL 106, 180504, 2011, eq. 3)."""
    return np.asarray(a * alpha**m + b)


def _tau_guess(x: FloatArray, y: FloatArray, a: float, b: float) -> float:
    if a == 0:
        return float(np.ptp(x)) or 1.0
    scaled = (y - b) / a
    below = np.flatnonzero(scaled < math.exp(-1))
    span = float(np.max(x)) if np.max(x) > 0 else 1.0
    return float(x[below[0]]) if below.size and x[below[0]] > 0 else span / 2


def fit_exp_decay(
    x: ArrayLike, y: ArrayLike, yerr: ArrayLike | None = None, *, what: str = "decay"
) -> FitResult:
    """Fit ``a exp(-x / tau) + b`` (T1, Hahn-echo T2); main parameter ``tau``.

    Raises:
        AnalysisError: For fewer than 4 points, NaN, or mismatched lengths.

    >>> import numpy as np
    >>> t = np.linspace(0, 600, 25)
    >>> fit = fit_exp_decay(t, 0.9 * np.exp(-t / 150) + 0.05, np.full(25, 0.01))
    >>> round(fit.params["tau"], 6), fit.quality.value
    (150.0, 'good')
    """
    xa, ya, ea = check_series(x, y, yerr, what=what, min_points=4)
    order = np.argsort(xa)
    b0 = float(np.mean(ya[order][-2:]))
    a0 = float(ya[order][0] - b0)
    tau0 = _tau_guess(xa[order], ya[order], a0, b0)
    guesses = [(a0, tau0, b0), (a0, tau0 * 3, b0 - a0 / 3), (a0, tau0 / 3, b0)]
    inf = math.inf
    return _fit(
        "exp_decay",
        exp_decay,
        xa,
        ya,
        ea,
        ("a", "tau", "b"),
        guesses,
        ((-inf, 1e-12, -inf), (inf, inf, inf)),
        "tau",
    )


def fit_damped_cosine(
    x: ArrayLike,
    y: ArrayLike,
    yerr: ArrayLike | None = None,
    *,
    freq_guess: float,
    what: str = "Ramsey",
) -> FitResult:
    """Fit ``a exp(-x / tau) cos(2 pi freq x + phase) + b`` (Ramsey); main parameter ``tau``.

    Args:
        x: Delays.
        y: Probabilities.
        yerr: Their standard errors.
        freq_guess: The programmed detuning (1 / unit of ``x``), the starting frequency.
        what: Names the series in messages.

    Raises:
        AnalysisError: For fewer than 6 points, NaN, mismatched lengths or a bad guess.

    >>> import numpy as np
    >>> t = np.linspace(0, 300, 60)
    >>> y = 0.5 + 0.45 * np.exp(-t / 100) * np.cos(2 * np.pi * 0.02 * t)
    >>> fit = fit_damped_cosine(t, y, np.full(60, 0.01), freq_guess=0.021)
    >>> round(fit.params["tau"], 4), round(fit.params["freq"], 6)
    (100.0, 0.02)
    """
    xa, ya, ea = check_series(x, y, yerr, what=what, min_points=6)
    if not (math.isfinite(freq_guess) and freq_guess > 0):
        raise AnalysisError(f"{what}: the detuning must be a positive number, got {freq_guess!r}")
    order = np.argsort(xa)
    b0 = float(np.mean(ya))
    a0 = float(np.max(np.abs(ya - b0))) or 0.5
    span = float(np.ptp(xa)) or 1.0
    phase0 = math.acos(float(np.clip((ya[order][0] - b0) / a0, -1.0, 1.0)))
    guesses = [
        (a0, tau, freq_guess, phase, b0) for tau in (span / 4, span) for phase in (phase0, -phase0)
    ]
    fit = _fit(
        "damped_cosine",
        damped_cosine,
        xa,
        ya,
        ea,
        ("a", "tau", "freq", "phase", "b"),
        guesses,
        None,
        "tau",
    )
    params, stderr = dict(fit.params), dict(fit.stderr)
    if params["a"] < 0:  # the same curve with a positive amplitude
        params["a"], params["phase"] = -params["a"], params["phase"] + math.pi
    if params["freq"] < 0:
        params["freq"], params["phase"] = -params["freq"], -params["phase"]
    if math.isfinite(params["phase"]):
        params["phase"] = math.remainder(params["phase"], 2 * math.pi)
    if params["tau"] <= 0 and fit.good:
        return replace(
            fit, params=params, quality=FitQuality.BAD_FIT, reason="the fitted decay time is <= 0"
        )
    return replace(fit, params=params, stderr=stderr)


def fit_rb_decay(
    lengths: ArrayLike,
    survival: ArrayLike,
    yerr: ArrayLike | None = None,
    *,
    num_qubits: int,
    what: str = "RB",
) -> FitResult:
    """Fit ``a alpha^m + b`` to the mean survival probability; main parameter ``alpha``.

    Raises:
        AnalysisError: For fewer than 4 lengths, NaN, or mismatched lengths.

    >>> import numpy as np
    >>> m = np.array([1, 10, 50, 100, 200, 400])
    >>> fit = fit_rb_decay(m, 0.5 * 0.99**m + 0.5, np.full(6, 1e-3), num_qubits=1)
    >>> round(fit.params["alpha"], 8)
    0.99
    """
    xa, ya, ea = check_series(lengths, survival, yerr, what=what, min_points=4)
    b0 = 1.0 / 2**num_qubits
    a0 = max(float(ya[np.argmin(xa)]) - b0, 1e-3)
    scaled = np.clip((ya - b0) / a0, 1e-6, None)
    weights = xa > 0
    if np.count_nonzero(weights) >= 2:
        slope = float(np.polyfit(xa[weights], np.log(scaled[weights]), 1)[0])
        alpha0 = float(np.clip(math.exp(slope), 0.01, 1 - 1e-9))
    else:
        alpha0 = 0.99
    guesses = [
        (a0, alpha0, b0),
        (a0, min(alpha0 * 1.01, 1 - 1e-9), b0),
        (a0, alpha0, float(np.min(ya))),
    ]
    return _fit(
        "rb_decay",
        rb_decay,
        xa,
        ya,
        ea,
        ("a", "alpha", "b"),
        guesses,
        ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
        "alpha",
        main_offset=1.0,
    )


def power_decay(m: FloatArray, a: float, alpha: float) -> FloatArray:
    """``a alpha^m`` (no offset: XEB fidelity decays to 0)."""
    return np.asarray(a * alpha**m)


def power_decay_fit(
    depths: ArrayLike, y: ArrayLike, yerr: ArrayLike | None = None, *, what: str = "XEB"
) -> FitResult:
    """Fit ``a alpha^m`` (XEB fidelity vs depth); main parameter ``alpha``.

    Raises:
        AnalysisError: For fewer than 3 points, NaN, or mismatched lengths.

    >>> import numpy as np
    >>> d = np.array([1, 5, 10, 20, 40])
    >>> round(power_decay_fit(d, 0.97 * 0.98**d, np.full(5, 1e-3)).params["alpha"], 8)
    0.98
    """
    xa, ya, ea = check_series(depths, y, yerr, what=what, min_points=3)
    positive = ya > 0.02
    if np.count_nonzero(positive) >= 2:
        slope, icpt = np.polyfit(xa[positive], np.log(ya[positive]), 1)
        alpha0 = float(np.clip(math.exp(slope), 0.01, 1 - 1e-9))
        a0 = float(np.clip(math.exp(icpt), 0.05, 1.5))
    else:
        alpha0, a0 = 0.5, 1.0
    return _fit(
        "power_decay",
        power_decay,
        xa,
        ya,
        ea,
        ("a", "alpha"),
        [(a0, alpha0), (1.0, alpha0)],
        ((0.0, 0.0), (2.0, 1.0)),
        "alpha",
        main_offset=1.0,
    )


#: Fit models by name: ``(function, parameter names)``.
MODELS: dict[str, tuple[Callable[..., FloatArray], tuple[str, ...]]] = {
    "exp_decay": (exp_decay, ("a", "tau", "b")),
    "damped_cosine": (damped_cosine, ("a", "tau", "freq", "phase", "b")),
    "rb_decay": (rb_decay, ("a", "alpha", "b")),
    "power_decay": (power_decay, ("a", "alpha")),
}
