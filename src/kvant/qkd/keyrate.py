"""Key-rate theory: asymptotic GLLP/decoy rates, Lim et al. 2014 finite keys, the PLOB bound.

Public submodule (``from kvant.qkd import keyrate``). Every formula names its source in its
docstring; ``tests/qkd/test_keyrate.py`` checks them against published values kept in
``tests/data/qkd/``.
"""

from __future__ import annotations

import numpy as np

from kvant.errors import ConfigError
from kvant.qkd._asymptotic import (
    AsymptoticMethod,
    ChannelModel,
    binary_entropy,
    gllp_key_rate,
    model_gain,
    model_qber,
    plob_bound,
    single_photon_error_upper_bound,
    single_photon_yield_lower_bound,
)
from kvant.qkd._finite import FiniteKeyResult, lim_gamma, lim_key_length
from kvant.qkd._protocols import SinglePhotonEstimate, asymptotic_key_rate, estimate_single_photon

__all__ = [
    "AsymptoticMethod",
    "ChannelModel",
    "FiniteKeyResult",
    "SinglePhotonEstimate",
    "asymptotic_key_rate",
    "binary_entropy",
    "estimate_single_photon",
    "gllp_key_rate",
    "lim_gamma",
    "lim_key_length",
    "max_distance_km",
    "model_gain",
    "model_qber",
    "optimal_key_rate",
    "plob_bound",
    "single_photon_error_upper_bound",
    "single_photon_yield_lower_bound",
]


def optimal_key_rate(
    model: ChannelModel, distance_km: float, method: AsymptoticMethod, nu: float = 0.05
) -> tuple[float, float]:
    """The key rate at the best signal intensity mu (as in Ma et al. 2005, Fig. 1).

    A log-spaced grid over mu in (0, 1.5] finds the basin, a bounded Brent search refines it.

    Args:
        model: The channel model.
        distance_km: Fibre length.
        method: How Y1 and e1 are bounded (see :meth:`ChannelModel.key_rate`).
        nu: Weak decoy intensity (decoy methods).

    Returns:
        (rate in bits per pulse, optimal mu); rate 0 if no mu gives a key.

    >>> rate, mu = optimal_key_rate(ChannelModel.gys(), 50.0, "infinite-decoy")
    >>> round(mu, 2)
    0.48
    """
    from scipy.optimize import minimize_scalar

    low = nu * 1.0001 if method in ("vacuum-weak", "one-decoy") else 1e-5
    grid = np.geomspace(low, 1.5, 240)
    values = [model.key_rate(distance_km, method, float(mu), nu) for mu in grid]
    best = int(np.argmax(values))
    if values[best] <= 0.0:
        return 0.0, float(grid[best])
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    found = minimize_scalar(
        lambda mu: -model.key_rate(distance_km, method, float(mu), nu),
        bounds=(float(lo), float(hi)),
        method="bounded",
        options={"xatol": 1e-10},
    )
    if -float(found.fun) > values[best]:
        return -float(found.fun), float(found.x)
    return float(values[best]), float(grid[best])


def max_distance_km(
    model: ChannelModel,
    method: AsymptoticMethod,
    nu: float = 0.05,
    *,
    upper_km: float = 500.0,
    tolerance_km: float = 1e-3,
) -> float:
    """Longest fibre with a positive key rate at the optimal mu (bisection).

    Args:
        model: The channel model.
        method: How Y1 and e1 are bounded.
        nu: Weak decoy intensity.
        upper_km: A distance known to give no key.
        tolerance_km: Bisection tolerance.

    Returns:
        The cut-off distance in km (0 if no key even at 0 km).

    Raises:
        ConfigError: if there is still a key at ``upper_km``.

    >>> round(max_distance_km(ChannelModel.gys(), "infinite-decoy"), 0)
    142.0
    """
    if optimal_key_rate(model, upper_km, method, nu)[0] > 0:
        raise ConfigError(f"still a key at {upper_km} km; raise upper_km")
    if optimal_key_rate(model, 0.0, method, nu)[0] <= 0:
        return 0.0
    lo, hi = 0.0, upper_km
    while hi - lo > tolerance_km:
        mid = 0.5 * (lo + hi)
        if optimal_key_rate(model, mid, method, nu)[0] > 0:
            lo = mid
        else:
            hi = mid
    return lo
