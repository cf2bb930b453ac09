"""Choosing trusted-node sites among candidates along a route (see :mod:`._planning`).

Sites are taken in route order, so the cheapest choice is a shortest path over a DAG: an edge
``i -> j`` exists when one hop from site ``i`` to site ``j`` can reach the target with at most
``max_systems_per_link`` systems, and costs ``k_min(d_ij) qkd_system`` plus ``trusted_node``
if ``j`` is not the end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from kvant.errors import ConfigError, NetworkError, TopologyError
from kvant.network._planning import (
    CostModel,
    LinePlan,
    PlannedHop,
    RateFunction,
    _check,
    _rate_function,
    _reaches,
)
from kvant.network._systems import QkdSystem
from kvant.network._topology import Topology

__all__ = ["plan_route"]


def plan_route(
    sites: Sequence[str] | Topology,
    target_bps: float,
    *,
    positions_km: Sequence[float] | None = None,
    system: QkdSystem | None = None,
    rate_bps: RateFunction | None = None,
    cost: CostModel | None = None,
    max_hop_km_limit: float | None = 80.0,
    max_systems_per_link: int = 2,
    attenuation_db_per_km: float = 0.2,
) -> LinePlan:
    """Choose trusted-node sites among candidates along a route (first and last are the ends).

    Args:
        sites: Candidate names in route order, or a chain topology (its nodes in order, its
            links' fibre km as the distances).
        target_bps: End-to-end rate wanted.
        positions_km: Route km of each site (required with names; increasing).
        system: The QKD system (default ``apd``).
        rate_bps: Rate of one system against hop length (overrides the physics).
        cost: Unit costs.
        max_hop_km_limit: Longest hop allowed (None: no limit).
        max_systems_per_link: Most systems on one hop.
        attenuation_db_per_km: Fibre loss.

    Returns:
        The plan; each hop names its sites.

    Raises:
        ConfigError: for bad arguments.
        NetworkError: if the candidates cannot reach the target.

    >>> plan = plan_route(["A", "B", "C", "D"], 1e4, positions_km=[0, 30, 90, 150],
    ...                   rate_bps=lambda d: 1e6 * 10 ** (-0.02 * d), max_hop_km_limit=None)
    >>> [(h.start_site, h.end_site, h.systems) for h in plan.hops]
    [('A', 'C', 1), ('C', 'D', 1)]
    """
    if isinstance(sites, Topology):
        names = [n.name for n in sites.nodes]
        pos = [0.0]
        if sites.num_links != sites.num_nodes - 1:
            raise ConfigError(f"{sites.name} is not a chain; give its sites in route order")
        for a, b in itertools.pairwise(names):
            try:
                pos.append(pos[-1] + sites.links[sites.link_index(a, b)].fibre_km)
            except TopologyError:
                raise ConfigError(
                    f"{sites.name} is not a chain in node order ({a} - {b} are not linked)"
                ) from None
    else:
        names = list(sites)
        if positions_km is None or len(positions_km) != len(names):
            raise ConfigError("give positions_km, one per site")
        pos = [float(p) for p in positions_km]
    if len(names) < 2 or any(b <= a for a, b in itertools.pairwise(pos)):
        raise ConfigError("give >= 2 sites at strictly increasing positions")
    _check(pos[-1] - pos[0], target_bps, max_systems_per_link)
    costs = cost or CostModel()
    rate = _rate_function(system, rate_bps, attenuation_db_per_km, 0.0)
    cap = math.inf if max_hop_km_limit is None else float(max_hop_km_limit)
    reach = _reaches(rate, target_bps, cap, max_systems_per_link)
    n = len(names)
    best = [math.inf] * n
    back = [(-1, 0)] * n
    best[0] = 0.0
    for j in range(1, n):  # sites in route order: a DAG, so one pass is a shortest path
        for i in range(j):
            d = pos[j] - pos[i]
            k = next((k for k in range(1, len(reach) + 1) if d <= reach[k - 1]), 0)
            if k == 0 or best[i] == math.inf:
                continue
            c = best[i] + k * costs.qkd_system + (costs.trusted_node if j < n - 1 else 0.0)
            if c < best[j]:
                best[j], back[j] = c, (i, k)
    if best[-1] == math.inf:
        raise NetworkError(f"no choice of these sites reaches {target_bps:g} bit/s")
    chain, j = [], n - 1
    while j > 0:
        i, k = back[j]
        d = pos[j] - pos[i]
        chain.append(PlannedHop(pos[i], pos[j], k, k * rate(d), names[i], names[j]))
        j = i
    hops = tuple(reversed(chain))
    total = best[-1] + costs.fibre_per_km * (pos[-1] - pos[0])
    return LinePlan(pos[-1] - pos[0], target_bps, hops, total, costs)
