"""Search for degree distributions of high-rate LDPC codes on the BSC by differential
evolution on the density-evolution threshold.

The search follows Richardson, Shokrollahi & Urbanke, IEEE Trans. Inf. Theory 47, 619 (2001),
Sec. IV (differential evolution of Storn & Price, J. Global Optim. 11, 341 (1997), strategy
DE/rand/1/bin, over lambda with rho concentrated on two consecutive degrees), with the
threshold of :func:`kvant.qkd._ldpc_design.bsc_threshold` as the objective. Two constraints
are built in:

- rate: rho is the check-concentrated distribution on degrees d, d + 1 that gives exactly the
  design rate for the given lambda (:func:`concentrated_check`);
- construction: the degree-2 bits must fit on the zigzag of :func:`~kvant.qkd._ldpc_codes.
  build_code` (at most m - 1 of them), i.e. lambda_2 <= 2 (1 - R) sum_{i>2} (lambda_i / i) / R.

The stability condition lambda_2 rho'(1) 2 sqrt(p (1 - p)) < 1 (Richardson, Shokrollahi &
Urbanke 2001, Thm. 5; for the BSC the Bhattacharyya constant is 2 sqrt(p (1 - p))) needs no
constraint: density evolution does not converge where it fails, so the threshold respects it.

A trial replaces its population member only if it decodes at the member's threshold times
(1 + ``step``); only then is its own threshold bisected. Everything is deterministic in
``seed``. The rows 0.865-0.895 and 0.905-0.95 of
:data:`~kvant.qkd._ldpc_distributions.DEGREE_DISTRIBUTIONS` come from
:func:`design_distribution` with the arguments recorded in that module's docstring.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.qkd._ldpc_design import SEARCH_GRID, DensityGrid, Pairs, bsc_threshold, decodes
from kvant.qkd._ldpc_distributions import DegreeDistribution

__all__ = [
    "concentrated_check",
    "design_distribution",
    "rounded_distribution",
    "stability_bound",
    "zigzag_bound",
]

_DIGITS = 5


def _inverse_mean(pairs: Pairs) -> float:
    """sum f_i / i (edge perspective), the number of nodes per edge."""
    total = sum(f for _, f in pairs)
    return sum(f / d for d, f in pairs) / total


def concentrated_check(rate: float, variable: Pairs) -> Pairs:
    """rho on two consecutive degrees d, d + 1 that gives design rate ``rate`` with lambda:
    sum rho_j / j = (1 - R) sum lambda_i / i (Richardson & Urbanke, Modern Coding Theory,
    Eq. (3.19)).

    Args:
        rate: Design rate in (0, 1).
        variable: lambda as (degree, edge fraction) pairs.

    Returns:
        ((d, rho_d), (d + 1, rho_{d+1})), or ((d, 1.0),) when the mean is an integer.

    Raises:
        ConfigError: for a rate outside (0, 1) or a check degree below 2.

    >>> concentrated_check(0.5, ((3, 1.0),))
    ((6, 1.0),)
    """
    if not 0.0 < rate < 1.0:
        raise ConfigError(f"the design rate must be in (0, 1), got {rate}")
    target = (1.0 - rate) * _inverse_mean(variable)  # sum rho_j / j
    degree = math.floor(1.0 / target + 1e-12)
    if degree < 2:
        raise ConfigError(f"rate {rate} with this lambda needs checks of degree < 2")
    share = degree * (degree + 1) * target - degree  # rho_d
    if share >= 1.0 - 1e-12:
        return ((degree, 1.0),)
    return ((degree, share), (degree + 1, 1.0 - share))


def stability_bound(check: Pairs, qber: float) -> float:
    """Largest lambda_2 for which perfect decoding is a stable fixed point on BSC(``qber``):
    1 / (2 sqrt(p (1 - p)) rho'(1)) (Richardson, Shokrollahi & Urbanke 2001, Thm. 5).

    >>> round(stability_bound(((6, 1.0),), 0.084), 3)
    0.361
    """
    if not 0.0 < qber < 0.5:
        raise ConfigError(f"the BSC crossover must be in (0, 0.5), got {qber}")
    total = sum(f for _, f in check)
    derivative = sum(f * (d - 1) for d, f in check) / total
    return 1.0 / (2.0 * math.sqrt(qber * (1.0 - qber)) * derivative)


def zigzag_bound(rate: float, variable: Pairs) -> float:
    """Largest lambda_2 whose degree-2 bits (node fraction (lambda_2 / 2) / sum lambda_i / i)
    fit on a zigzag of n (1 - R) checks, given the other terms of ``variable``.

    >>> round(zigzag_bound(0.9, ((2, 0.1), (3, 0.9))), 4)
    0.0667
    """
    total = sum(f for _, f in variable)
    others = sum(f / d for d, f in variable if d != 2) / total
    return 2.0 * (1.0 - rate) * others / rate


def _repair(rate: float, degrees: Sequence[int], weights: NDArray[np.float64]) -> Pairs:
    """Normalise, and lower lambda_2 to the zigzag bound (0.995 of it) if needed."""
    lam = np.abs(weights) + 1e-12
    lam /= lam.sum()
    if degrees[0] == 2:
        others = float(np.sum(lam[1:] / np.asarray(degrees[1:])))
        # lambda_2 <= c (1 - lambda_2) * others' / (1 - lambda_2), others' per unit of the rest
        c = 0.995 * 2.0 * (1.0 - rate) / rate
        per_rest = others / max(1e-12, 1.0 - lam[0])
        cap = c * per_rest / (1.0 + c * per_rest)
        if lam[0] > cap:
            lam[1:] *= (1.0 - cap) / lam[1:].sum()
            lam[0] = cap
    return tuple((int(d), float(f)) for d, f in zip(degrees, lam, strict=True))


def rounded_distribution(rate: float, variable: Pairs, threshold_qber: float) -> DegreeDistribution:
    """The distribution as it is recorded: lambda rounded to 5 decimals (terms below 1e-5
    dropped, the largest term absorbing the rounding so the sum is exactly 1), rho from
    :func:`concentrated_check` rounded the same way.

    >>> rounded_distribution(0.5, ((3, 1.0),), 0.084).check
    ((6, 1.0),)
    """

    def rounded(pairs: Pairs) -> tuple[tuple[int, float], ...]:
        kept = [(d, round(f, _DIGITS)) for d, f in pairs if round(f, _DIGITS) > 0.0]
        largest = max(range(len(kept)), key=lambda i: kept[i][1])
        rest = sum(f for i, (_, f) in enumerate(kept) if i != largest)
        kept[largest] = (kept[largest][0], round(1.0 - rest, _DIGITS))
        return tuple(kept)

    lam = rounded(variable)
    return DegreeDistribution(rate, lam, rounded(concentrated_check(rate, lam)), threshold_qber)


def design_distribution(
    rate: float,
    degrees: Sequence[int],
    *,
    qber_guess: float,
    seed: int = 0,
    population: int = 20,
    generations: int = 30,
    grid: DensityGrid = SEARCH_GRID,
    step: float = 0.002,
    max_mean_degree: float = 6.5,
    progress: Callable[[str], None] | None = None,
    initial: Sequence[DegreeDistribution] = (),
) -> DegreeDistribution:
    """Differential evolution of lambda (on ``degrees``) for the highest BSC threshold at
    design rate ``rate`` (module docstring).

    Args:
        rate: Design rate.
        degrees: Variable degrees allowed (ascending, starting at 2 for a zigzag).
        qber_guess: A crossover near the expected threshold (brackets the first bisections).
        seed: Seed of the population and of the mutations.
        population: Members (>= 4).
        generations: Generations.
        grid: Density-evolution grid of the search.
        step: Relative improvement a trial must show at its member's threshold.
        max_mean_degree: Largest mean variable degree (edges per bit: the decoder's work).
        progress: Called with one line per generation (e.g. ``print``).
        initial: Distributions that start in the population (their lambda on ``degrees``;
            a degree they lack starts at 0, one not in ``degrees`` is dropped): the search
            then goes on from a known design instead of from random members only.

    Returns:
        The best member, rounded (:func:`rounded_distribution`), with its threshold on
        ``grid`` recomputed after rounding.

    Raises:
        ConfigError: for degrees that are not distinct and >= 2, or population < 4.

    >>> best = design_distribution(0.5, (2, 3, 4), qber_guess=0.08, population=4,
    ...                            generations=1)
    >>> 0.07 < best.threshold_qber < 0.11
    True
    """
    if len(set(degrees)) != len(degrees) or min(degrees) < 2 or list(degrees) != sorted(degrees):
        raise ConfigError(f"degrees must be distinct, ascending and >= 2, got {degrees}")
    if population < 4 or generations < 0:
        raise ConfigError(f"need population >= 4 and generations >= 0, got {population}")
    rng = np.random.default_rng(seed)
    dims = len(degrees)
    start = time.perf_counter()

    def threshold(variable: Pairs, low: float, high: float) -> float:
        if 1.0 / _inverse_mean(variable) > max_mean_degree:
            return 0.0
        check = concentrated_check(rate, variable)
        try:
            return bsc_threshold(variable, check, grid, low=low, high=high)
        except ConfigError:
            return 0.0

    members = [rng.dirichlet(np.ones(dims)) for _ in range(population)]
    for i, known in enumerate(initial[:population]):
        weights = dict(known.variable)
        members[i] = np.asarray([weights.get(d, 0.0) for d in degrees], dtype=np.float64)
    pairs = [_repair(rate, degrees, m) for m in members]
    scores = [threshold(p, 0.5 * qber_guess, 1.5 * qber_guess) for p in pairs]
    for generation in range(generations):
        for i in range(population):
            a, b, c = rng.choice([j for j in range(population) if j != i], 3, replace=False)
            mutant = members[a] + 0.5 * (members[b] - members[c])
            cross = rng.random(dims) < 0.7
            cross[rng.integers(dims)] = True
            trial = np.where(cross, mutant, members[i])
            trial_pairs = _repair(rate, degrees, trial)
            bar = max(scores[i], 1e-4) * (1.0 + step)
            if 1.0 / _inverse_mean(trial_pairs) > max_mean_degree or not decodes(
                trial_pairs, concentrated_check(rate, trial_pairs), bar, grid
            ):
                continue
            members[i] = np.asarray([f for _, f in trial_pairs])
            pairs[i] = trial_pairs
            scores[i] = threshold(trial_pairs, bar, 1.3 * bar)
        if progress is not None:
            best = int(np.argmax(scores))
            progress(
                f"rate {rate} generation {generation}: best {scores[best]:.5f}"
                f" {[(d, round(f, 4)) for d, f in pairs[best]]}"
                f" ({time.perf_counter() - start:.0f} s)"
            )
    best = int(np.argmax(scores))
    rounded = rounded_distribution(rate, pairs[best], 0.0)
    value = threshold(rounded.variable, 0.8 * scores[best], 1.2 * scores[best])
    return rounded_distribution(rate, rounded.variable, value)
