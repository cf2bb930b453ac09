"""Discretised density evolution of belief propagation on the binary symmetric channel, and
the BP threshold it implies.

Density evolution (Richardson & Urbanke, IEEE Trans. Inf. Theory 47, 599 (2001); Richardson &
Urbanke, Modern Coding Theory (2008), Sec. 4.5) follows the density of the log-likelihood
ratio (LLR) messages of an infinite, cycle-free Tanner graph with edge-perspective degree
distributions lambda and rho. Discretised as in Chung, Forney, Richardson & Urbanke, IEEE
Commun. Lett. 5, 58 (2001):

- a message density lives on the LLR grid x_k = k dx, |x_k| <= x_max (saturating);
- variable node: a = c_0 * sum_i lambda_i c^{*(i-1)} (the channel density c_0 convolved with
  i - 1 check messages), evaluated in one FFT of a length that holds the whole support (no
  wrap-around), then saturated at +-x_max;
- check node in the "G domain" (Modern Coding Theory, Sec. 4.1.4): with y = -ln tanh(|x|/2),
  the box-plus of messages is a sum of y's and a product of signs, so rho's powers are
  convolutions on a uniform y grid (FFT, by repeated squaring), of the sign-sum and
  sign-difference densities; mass beyond y_max (|x| < 2 e^-y_max) is an erasure, x = 0.

Every change of grid (channel LLR, x -> y, y -> x) splits a point mass between its two
neighbouring grid points so that the mean is kept, which keeps the sum of many small y's (the
check node of degree ~100) unbiased.

The error probability P_t of the variable-to-check messages after t iterations decides: the
ensemble decodes at crossover ``qber`` when P_t falls below ``tolerance``; it does not when
P_t stops falling (a fixed point) or after ``max_iterations``. :func:`bsc_threshold` bisects
on the crossover. Figures this implementation gives (``COARSE_GRID``) against published ones
are in tests/qkd/test_ldpc_design.py.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError

__all__ = [
    "COARSE_GRID",
    "FINE_GRID",
    "SEARCH_GRID",
    "DensityGrid",
    "bsc_threshold",
    "decodes",
    "error_trajectory",
]

Pairs = tuple[tuple[int, float], ...]
FloatArray = NDArray[np.float64]
_PATIENCE = 20
_PROGRESS = 1e-6


@dataclass(frozen=True)
class DensityGrid:
    """Quantisation and stopping rule of density evolution.

    Attributes:
        llr_step: Spacing dx of the LLR grid.
        llr_max: Saturation |x| of the LLR grid.
        max_iterations: Iterations before a run that has not converged counts as a failure.
        tolerance: Error probability that counts as decoded.

    >>> DensityGrid.from_dict(COARSE_GRID.to_dict()) == COARSE_GRID
    True
    """

    llr_step: float = 0.05
    llr_max: float = 25.0
    max_iterations: int = 2000
    tolerance: float = 1e-7

    def __post_init__(self) -> None:
        if not (0.0 < self.llr_step <= 0.5 and 5.0 <= self.llr_max <= 60.0):
            raise ConfigError(
                f"need 0 < llr_step <= 0.5 and 5 <= llr_max <= 60, got {self.llr_step} and"
                f" {self.llr_max}"
            )
        if not (1 <= self.max_iterations <= 100_000 and 0.0 < self.tolerance < 0.01):
            raise ConfigError(
                "need 1 <= max_iterations <= 100000 and 0 < tolerance < 0.01, got"
                f" {self.max_iterations} and {self.tolerance}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DensityGrid:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


FINE_GRID = DensityGrid()
"""A finer grid (dx = 0.05; about 3 ms per iteration at check degree 100)."""
COARSE_GRID = DensityGrid(llr_step=0.1, llr_max=25.0, max_iterations=600)
"""The grid of the recorded thresholds and the tests (dx = 0.1; about 4x faster than
``FINE_GRID``, whose thresholds are 0.1-0.8% higher)."""
SEARCH_GRID = DensityGrid(llr_step=0.2, llr_max=20.0, max_iterations=300)
"""The grid of the design search (about 3x faster again; it only has to rank candidates)."""


def _pairs(name: str, pairs: Pairs) -> tuple[NDArray[np.int64], FloatArray]:
    degrees = np.asarray([int(d) for d, _ in pairs], dtype=np.int64)
    weights = np.asarray([float(f) for _, f in pairs], dtype=np.float64)
    if degrees.size == 0 or degrees.min() < 2 or weights.min() < 0.0 or weights.sum() <= 0.0:
        raise ConfigError(
            f"{name} must be (degree >= 2, fraction >= 0) pairs with a positive sum, got {pairs}"
        )
    if degrees.max() > 1000 or np.unique(degrees).size != degrees.size:
        raise ConfigError(f"{name} degrees must be distinct and at most 1000, got {pairs}")
    return degrees, weights / weights.sum()


def _phi(x: FloatArray) -> FloatArray:
    """phi(x) = -ln tanh(x/2) = ln((1 + e^-x) / (1 - e^-x)), its own inverse, stable for
    large x (phi(0) = inf)."""
    with np.errstate(divide="ignore"):
        out: FloatArray = np.log1p(np.exp(-x)) - np.log(-np.expm1(-x))
    return out


def _boxplus_table(half: int, step: float) -> NDArray[np.int32]:
    """Index of the grid point nearest to |x_i [+] x_j| = phi(phi(x_i) + phi(x_j)), the
    check rule of two messages (Chung et al. 2001, Eq. (5)), for magnitudes i, j in [0, K]."""
    y = _phi(np.arange(half + 1, dtype=np.float64) * step)
    out = _phi(y[:, None] + y[None, :]) / step
    table: NDArray[np.int32] = np.minimum(np.rint(out), half).astype(np.int32)
    return table


@numba.njit(cache=True)
def _boxplus(  # pragma: no cover - compiled
    a_plus: FloatArray,
    a_minus: FloatArray,
    b_plus: FloatArray,
    b_minus: FloatArray,
    table: NDArray[np.int32],
) -> tuple[FloatArray, FloatArray]:
    """Density of a [+] b for independent a, b given as (sign +, sign -) masses over the
    magnitude grid; magnitude 0 is kept in the + part."""
    size = a_plus.size
    out_plus = np.zeros(size)
    out_minus = np.zeros(size)
    for i in range(size):
        ap = a_plus[i]
        am = a_minus[i]
        if ap == 0.0 and am == 0.0:
            continue
        row = table[i]
        for j in range(size):
            m = row[j]
            out_plus[m] += ap * b_plus[j] + am * b_minus[j]
            out_minus[m] += ap * b_minus[j] + am * b_plus[j]
    out_plus[0] += out_minus[0]
    out_minus[0] = 0.0
    return out_plus, out_minus


@numba.njit(cache=True)
def _boxplus_power(  # pragma: no cover - compiled
    plus: FloatArray, minus: FloatArray, power: int, table: NDArray[np.int32]
) -> tuple[FloatArray, FloatArray]:
    """Density of the [+] of ``power`` independent copies, by repeated squaring."""
    acc_plus = np.zeros(plus.size)
    acc_plus[-1] = 1.0  # the neutral element: x = +inf (saturated)
    acc_minus = np.zeros(plus.size)
    base_plus = plus.copy()
    base_minus = minus.copy()
    first = True
    while power > 0:
        if power & 1:
            if first:
                acc_plus, acc_minus = base_plus.copy(), base_minus.copy()
                first = False
            else:
                acc_plus, acc_minus = _boxplus(acc_plus, acc_minus, base_plus, base_minus, table)
        power >>= 1
        if power > 0:
            base_plus, base_minus = _boxplus(base_plus, base_minus, base_plus, base_minus, table)
    return acc_plus, acc_minus


class _Evolution:
    """The tables and FFT size of one (lambda, rho, grid); :meth:`run` evolves one crossover."""

    def __init__(self, variable: Pairs, check: Pairs, grid: DensityGrid) -> None:
        self.grid = grid
        self.var_degrees, self.var_weights = _pairs("variable", variable)
        self.check_degrees, self.check_weights = _pairs("check", check)
        self.half = k = round(grid.llr_max / grid.llr_step)  # x_k for k in [-K, K]
        support = (int(self.var_degrees.max()) - 1) * k + k + 2
        self.var_fft = 1 << math.ceil(math.log2(2 * support + 1))
        self.table = _boxplus_table(k, grid.llr_step)

    def _check(self, a: FloatArray) -> FloatArray:
        """Check-to-variable density on [-K, K] from the variable-to-check density ``a``."""
        k = self.half
        plus = a[k:].copy()
        minus = np.zeros(k + 1)
        minus[1:] = a[k - 1 :: -1]
        c = np.zeros(2 * k + 1)
        power, out_plus, out_minus = 0, plus, minus
        for index in np.argsort(self.check_degrees):
            wanted = int(self.check_degrees[index]) - 1
            if power == 0 or wanted - power > 3:
                out_plus, out_minus = _boxplus_power(plus, minus, wanted, self.table)
            else:  # rho on consecutive degrees: one more message at a time
                for _ in range(wanted - power):
                    out_plus, out_minus = _boxplus(out_plus, out_minus, plus, minus, self.table)
            power = wanted
            c[k:] += self.check_weights[index] * out_plus
            c[k::-1] += self.check_weights[index] * out_minus
        return c

    def channel(self, qber: float) -> FloatArray:
        """BSC LLR density: 1 - p at +ln((1-p)/p), p at its negative (mean-preserving split)."""
        k = self.half
        position = min(math.log((1.0 - qber) / qber) / self.grid.llr_step, float(k))
        low = min(math.floor(position), k - 1)
        w_up = position - low
        c0 = np.zeros(2 * k + 1)
        for sign, mass in ((1, 1.0 - qber), (-1, qber)):
            c0[k + sign * low] += mass * (1.0 - w_up)
            c0[k + sign * (low + 1)] += mass * w_up
        return c0

    def _variable(self, c: FloatArray, spectrum_c0: NDArray[np.complex128]) -> FloatArray:
        k, size = self.half, self.var_fft
        wrapped = np.zeros(size)
        wrapped[: k + 1] = c[k:]
        wrapped[size - k :] = c[:k]
        spectrum = np.fft.rfft(wrapped)
        poly = np.zeros_like(spectrum)
        for degree in range(int(self.var_degrees.max()), 0, -1):  # Horner: sum lambda_i C^(i-1)
            poly *= spectrum
            poly += self.var_weights[self.var_degrees == degree].sum()
        full = np.fft.irfft(spectrum_c0 * poly, size)
        middle = size // 2
        a = np.empty(2 * k + 1)
        a[k:] = full[: k + 1]
        a[:k] = full[size - k :]
        a[2 * k] = full[k:middle].sum()
        a[0] = full[middle : size - k + 1].sum()
        a = np.maximum(a, 0.0)  # FFT round-off; renormalise, or the powers amplify it
        out: FloatArray = a / a.sum()
        return out

    def run(self, qber: float) -> list[float]:
        """Error probabilities P_1, P_2, ... of the variable-to-check messages until the run
        decodes (last entry < tolerance), stalls or hits ``max_iterations``."""
        k = self.half
        c0 = self.channel(qber)
        wrapped = np.zeros(self.var_fft)
        wrapped[: k + 1] = c0[k:]
        wrapped[self.var_fft - k :] = c0[:k]
        spectrum_c0 = np.fft.rfft(wrapped)
        a = c0
        trajectory: list[float] = []
        best, since_best = 1.0, 0
        for _ in range(self.grid.max_iterations):
            a = self._variable(self._check(a), spectrum_c0)
            error = float(a[:k].sum() + 0.5 * a[k])
            trajectory.append(error)
            if error < self.grid.tolerance:
                break
            if error < best * (1.0 - _PROGRESS):
                best, since_best = error, 0
            else:
                since_best += 1
                if since_best >= _PATIENCE:  # a fixed point (quantisation makes P_t wobble)
                    break
        return trajectory


def _validate_qber(qber: float) -> None:
    if not 1e-5 <= qber < 0.5:
        raise ConfigError(f"the BSC crossover must be in [1e-5, 0.5), got {qber}")


def error_trajectory(
    variable: Pairs, check: Pairs, qber: float, grid: DensityGrid = COARSE_GRID
) -> list[float]:
    """Density evolution of (lambda, rho) on BSC(``qber``): the error probability of the
    variable-to-check messages after each iteration (see the module docstring).

    Args:
        variable: lambda as (degree, edge fraction) pairs (normalised here).
        check: rho as (degree, edge fraction) pairs (normalised here).
        qber: BSC crossover probability.
        grid: Quantisation and stopping rule.

    Returns:
        P_1, P_2, ...; the last is below ``grid.tolerance`` if and only if the run decoded.

    Raises:
        ConfigError: for an invalid distribution or crossover.

    >>> trajectory = error_trajectory(((3, 1.0),), ((6, 1.0),), 0.07)
    >>> trajectory[-1] < 1e-7
    True
    """
    _validate_qber(qber)
    return _Evolution(variable, check, grid).run(qber)


def decodes(variable: Pairs, check: Pairs, qber: float, grid: DensityGrid = COARSE_GRID) -> bool:
    """Whether belief propagation on the (lambda, rho) ensemble decodes BSC(``qber``).

    >>> decodes(((3, 1.0),), ((6, 1.0),), 0.09)
    False
    """
    return error_trajectory(variable, check, qber, grid)[-1] < grid.tolerance


def bsc_threshold(
    variable: Pairs,
    check: Pairs,
    grid: DensityGrid = COARSE_GRID,
    *,
    low: float = 1e-3,
    high: float = 0.2,
    relative_tolerance: float = 2e-3,
) -> float:
    """BP threshold on the BSC: the largest crossover that density evolution decodes,
    by bisection (geometric) between ``low`` and ``high``.

    Args:
        variable: lambda as (degree, edge fraction) pairs.
        check: rho as (degree, edge fraction) pairs.
        grid: Quantisation and stopping rule.
        low: A crossover that decodes (checked; lowered by halves if it does not).
        high: A crossover that does not (checked; raised towards 0.5 if it does).
        relative_tolerance: Stop when high / low - 1 is below this.

    Returns:
        The last crossover that decoded (a lower estimate, within ``relative_tolerance``).

    Raises:
        ConfigError: for an invalid distribution, bracket or tolerance, or an ensemble that
            decodes at no crossover >= 1e-5.

    >>> round(bsc_threshold(((3, 1.0),), ((6, 1.0),), low=0.07, high=0.1), 3)  # RU 2001: 0.084
    0.084
    """
    if not (0.0 < relative_tolerance < 1.0 and 0.0 < low < high < 0.5):
        raise ConfigError(
            f"need 0 < low < high < 0.5 and 0 < relative_tolerance < 1, got {low}, {high},"
            f" {relative_tolerance}"
        )
    evolution = _Evolution(variable, check, grid)

    def ok(p: float) -> bool:
        return evolution.run(p)[-1] < grid.tolerance

    while not ok(low):
        low /= 2.0
        if low < 1e-5:
            raise ConfigError("this ensemble does not decode at any crossover >= 1e-5")
    while ok(high):
        low, high = high, min(0.5 - 1e-9, 2.0 * high)
        if high >= 0.5 - 1e-6:
            return low
    while high / low - 1.0 > relative_tolerance:
        middle = math.sqrt(low * high)
        if ok(middle):
            low = middle
        else:
            high = middle
    return low
