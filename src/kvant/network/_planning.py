"""Planning: how many trusted nodes, where, and which links need more QKD systems.

**Cost model** (:class:`CostModel`, arbitrary currency units):

    cost = trusted_node x (intermediate trusted nodes)
         + qkd_system   x (QKD systems, a transmitter/receiver pair each, over all links)
         + fibre_per_km x (route km)

The two ends are user sites that exist anyway; the fibre is one cable along the route with
enough dark fibres for every system, so for a given route its cost is fixed.

**A link of** ``k`` **systems over** ``d`` **km** delivers ``k R(d)`` with ``R`` the physics
rate of one system (:func:`~kvant.network.link_key_rate_bps`); a chain delivers its weakest
link's rate. So with ``D_k`` the longest hop where ``k R(D_k) >= target`` (capped at
``max_hop_km``), a line of length ``L`` in ``n`` hops, ``m_k`` of them with ``k`` systems, is
feasible iff ``sum_k m_k D_k >= L``; the planner enumerates every ``n`` and every split
``(m_1, ..., m_K)`` and keeps the cheapest (ties: fewer nodes). Hop lengths are then
``D_{k_i} L / sum_j D_{k_j}`` (each within its limit), links with more systems first.

**Along a route with candidate sites** (stations, existing buildings), the cheapest choice of
sites is a shortest path over the candidates in route order (:func:`~kvant.network.plan_route`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kvant.errors import ConfigError, NetworkError
from kvant.network._systems import QkdSystem, link_key_rate_bps

__all__ = ["CostModel", "LinePlan", "PlannedHop", "max_hop_km", "plan_line", "plan_sweep"]

RateFunction = Callable[[float], float]


@dataclass(frozen=True)
class CostModel:
    """Unit costs (see the module docstring).

    Attributes:
        trusted_node: Per intermediate trusted node (site, security, key managers).
        qkd_system: Per QKD system (one transmitter/receiver pair).
        fibre_per_km: Per km of route.

    >>> CostModel().trusted_node
    1.0
    """

    trusted_node: float = 1.0
    qkd_system: float = 0.5
    fibre_per_km: float = 0.002

    def __post_init__(self) -> None:
        for name in ("trusted_node", "qkd_system", "fibre_per_km"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"cost {name} must be >= 0, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "trusted_node": self.trusted_node,
            "qkd_system": self.qkd_system,
            "fibre_per_km": self.fibre_per_km,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CostModel:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


@dataclass(frozen=True)
class PlannedHop:
    """One hop of a plan.

    Attributes:
        start_km: Position of its first end along the route.
        end_km: Position of its other end.
        systems: QKD systems on it.
        rate_bps: Its key rate (all systems).
        start_site: Name of the first end (route plans).
        end_site: Name of the other end.
    """

    start_km: float
    end_km: float
    systems: int
    rate_bps: float
    start_site: str = ""
    end_site: str = ""

    @property
    def fibre_km(self) -> float:
        """Hop length."""
        return self.end_km - self.start_km

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "start_km": self.start_km,
            "end_km": self.end_km,
            "systems": self.systems,
            "rate_bps": self.rate_bps,
            "start_site": self.start_site,
            "end_site": self.end_site,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedHop:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)


@dataclass(frozen=True)
class LinePlan:
    """The cheapest plan found.

    Attributes:
        length_km: Route length.
        target_bps: End-to-end rate asked for.
        hops: The hops, in route order.
        cost: Total cost.
        cost_model: The unit costs used.
    """

    length_km: float
    target_bps: float
    hops: tuple[PlannedHop, ...]
    cost: float
    cost_model: CostModel

    @property
    def trusted_nodes(self) -> int:
        """Intermediate trusted nodes."""
        return len(self.hops) - 1

    @property
    def systems(self) -> int:
        """QKD systems in all."""
        return sum(h.systems for h in self.hops)

    @property
    def node_positions_km(self) -> list[float]:
        """Where the intermediate trusted nodes go, km from the start."""
        return [h.end_km for h in self.hops[:-1]]

    @property
    def end_to_end_rate_bps(self) -> float:
        """The chain's rate: its weakest hop's."""
        return min(h.rate_bps for h in self.hops)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {
            "length_km": self.length_km,
            "target_bps": self.target_bps,
            "hops": [h.to_dict() for h in self.hops],
            "cost": self.cost,
            "cost_model": self.cost_model.to_dict(),
            "trusted_nodes": self.trusted_nodes,
            "systems": self.systems,
            "node_positions_km": self.node_positions_km,
            "end_to_end_rate_bps": self.end_to_end_rate_bps,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinePlan:
        """Rebuild from :meth:`to_dict` output (derived fields are ignored)."""
        return cls(
            float(data["length_km"]),
            float(data["target_bps"]),
            tuple(PlannedHop.from_dict(h) for h in data["hops"]),
            float(data["cost"]),
            CostModel.from_dict(data["cost_model"]),
        )


def _rate_function(
    system: QkdSystem | None, rate_bps: RateFunction | None, attenuation: float, insertion: float
) -> RateFunction:
    if rate_bps is not None:
        return rate_bps
    sys_ = system or QkdSystem.preset("apd")
    return lambda d: link_key_rate_bps(sys_, d, attenuation, insertion)


def max_hop_km(
    rate_bps: RateFunction,
    target_bps: float,
    *,
    upper_km: float = 1000.0,
    tolerance_km: float = 1e-3,
) -> float:
    """The longest hop whose rate reaches the target (rate assumed non-increasing in length).

    Args:
        rate_bps: Rate of the hop as a function of its length.
        target_bps: The rate needed.
        upper_km: Search limit.
        tolerance_km: Bisection tolerance (the answer errs short).

    Returns:
        The length in km; 0 if even 0 km falls short; ``upper_km`` if it is still enough there.

    >>> round(max_hop_km(lambda d: 1e6 * 10 ** (-0.02 * d), 1e4), 2)
    100.0
    """
    if rate_bps(0.0) < target_bps:
        return 0.0
    if rate_bps(upper_km) >= target_bps:
        return upper_km
    lo, hi = 0.0, upper_km
    while hi - lo > tolerance_km:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rate_bps(mid) >= target_bps else (lo, mid)
    return lo


def _reaches(rate: RateFunction, target_bps: float, cap: float, max_systems: int) -> list[float]:
    """D_k for k = 1..max_systems: the longest hop where k systems reach the target."""

    def scaled(k: int) -> RateFunction:
        return lambda d: k * rate(d)

    return [min(cap, max_hop_km(scaled(k), target_bps)) for k in range(1, max_systems + 1)]


def _check(length_km: float, target_bps: float, max_systems: int) -> None:
    if not (math.isfinite(length_km) and length_km > 0):
        raise ConfigError(f"length_km must be > 0, got {length_km}")
    if not (math.isfinite(target_bps) and target_bps > 0):
        raise ConfigError(f"target_bps must be > 0, got {target_bps}")
    if not isinstance(max_systems, int) or not 1 <= max_systems <= 8:
        raise ConfigError(f"max_systems_per_link must be an int in [1, 8], got {max_systems!r}")


def plan_line(
    length_km: float,
    target_bps: float,
    *,
    system: QkdSystem | None = None,
    rate_bps: RateFunction | None = None,
    cost: CostModel | None = None,
    max_hop_km_limit: float | None = 80.0,
    max_systems_per_link: int = 2,
    attenuation_db_per_km: float = 0.2,
    insertion_loss_db: float = 0.0,
    max_hops: int = 200,
) -> LinePlan:
    """The cheapest chain of trusted nodes over a straight route of ``length_km``.

    Args:
        length_km: Route (fibre) length.
        target_bps: End-to-end key rate wanted.
        system: The QKD system (default ``apd``); ignored if ``rate_bps`` is given.
        rate_bps: Rate of one system as a function of hop length (overrides the physics).
        cost: Unit costs (default :class:`CostModel`).
        max_hop_km_limit: Longest hop allowed whatever the rate (None: no limit).
        max_systems_per_link: Most parallel systems on one hop.
        attenuation_db_per_km: Fibre loss.
        insertion_loss_db: Fixed loss per hop.
        max_hops: Give up beyond this many hops.

    Returns:
        The plan.

    Raises:
        ConfigError: for bad arguments.
        NetworkError: if no plan within ``max_hops`` reaches the target.

    >>> plan = plan_line(220.0, 1e4, rate_bps=lambda d: 1e6 * 10 ** (-0.02 * d),
    ...                  max_hop_km_limit=None)
    >>> plan.trusted_nodes, [h.systems for h in plan.hops], round(plan.node_positions_km[0], 1)
    (1, [2, 2], 110.0)
    """
    _check(length_km, target_bps, max_systems_per_link)
    costs = cost or CostModel()
    rate = _rate_function(system, rate_bps, attenuation_db_per_km, insertion_loss_db)
    cap = math.inf if max_hop_km_limit is None else float(max_hop_km_limit)
    reach = _reaches(rate, target_bps, cap, max_systems_per_link)
    if reach[-1] <= 0:
        raise NetworkError(
            f"no hop reaches {target_bps:g} bit/s even at 0 km with {max_systems_per_link} "
            "systems; lower the target or allow more systems per link"
        )
    best: tuple[float, int, tuple[int, ...]] | None = None
    n_min = max(1, math.ceil(length_km / reach[-1] - 1e-12))
    for n in range(n_min, max_hops + 1):
        if best is not None and (n - 1) * costs.trusted_node + n * costs.qkd_system > best[0]:
            break  # every plan with more hops costs more than the best found
        for split in itertools.combinations_with_replacement(range(max_systems_per_link), n):
            ks = tuple(sorted((k + 1 for k in split), reverse=True))
            if sum(reach[k - 1] for k in ks) < length_km:
                continue
            c = (n - 1) * costs.trusted_node + sum(ks) * costs.qkd_system
            if best is None or (c, n) < (best[0], best[1]):
                best = (c, n, ks)
        if n * reach[0] >= length_km and best is not None:
            break  # more hops cannot lower the system count below n
    if best is None:
        raise NetworkError(f"no plan within {max_hops} hops reaches {target_bps:g} bit/s")
    _, n, ks = best
    total_reach = sum(reach[k - 1] for k in ks)
    hops, pos = [], 0.0
    for k in ks:
        d = reach[k - 1] * length_km / total_reach
        hops.append(PlannedHop(pos, pos + d, k, k * rate(d)))
        pos += d
    total = best[0] + costs.fibre_per_km * length_km
    return LinePlan(length_km, target_bps, tuple(hops), total, costs)


def _plan_point(args: tuple[float, float, dict[str, Any]]) -> dict[str, Any]:
    length, target, options = args
    try:
        return {"ok": True, **plan_line(length, target, **options).to_dict()}
    except NetworkError as exc:
        return {"ok": False, "length_km": length, "target_bps": target, "error": str(exc)}


def plan_sweep(
    lengths_km: Sequence[float],
    targets_bps: Sequence[float],
    *,
    scheduler: str | None = None,
    max_workers: int | None = None,
    **options: Any,
) -> list[dict[str, Any]]:
    """:func:`plan_line` over a grid of lengths and targets, on an executor.

    Args:
        lengths_km: Route lengths.
        targets_bps: Target rates.
        scheduler: A ``dask.distributed`` scheduler address (None: local processes).
        max_workers: Local processes (1: in this process).
        **options: Further :func:`plan_line` arguments (picklable: no lambdas with processes).

    Returns:
        One plan dict per (length, target), lengths outermost; ``ok`` False where none exists.

    >>> rows = plan_sweep([100.0, 300.0], [1e4], max_workers=1)
    >>> [r["trusted_nodes"] for r in rows]
    [1, 3]
    """
    from kvant.network._executor import run_sweep

    grid = [(float(length), float(t), options) for length in lengths_km for t in targets_bps]
    return run_sweep(_plan_point, grid, scheduler=scheduler, max_workers=max_workers)
