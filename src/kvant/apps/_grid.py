"""Power-grid problems as QUBOs: controlled islanding of IEEE test grids, unit commitment.

**Islanding** (controlled network splitting, e.g. Ding, Bialek et al. 2013, IEEE Trans. Power
Syst. 28, 2); variable ``b_i`` puts bus i in island 0 or 1; the cost, in MW, is

``sum_{lines ij} |P_ij| (b_i - b_j)^2 + lambda (sum_i p_i b_i)^2 + mu (sum_i b_i - n/2)^2``

the power-flow disruption (flow on the cut lines, from a DC power flow of the base case), the
squared generation-load imbalance of island 1 (``p_i`` = generation minus load at bus i) and
a size term that keeps the islands comparable (the balanced-partition penalty of Lucas 2014,
Front. Phys. 2, 5, eq. 2.1) so that a one-bus island is not a cheap answer.
Two buses are pinned to separate the coherent generator groups: the slack bus to island 0 and
the generator bus farthest from it (in lines) to island 1. Cases come from pandapower's bundled
IEEE 14/30/57-bus data (Thurner et al. 2018, IEEE Trans. Power Syst. 33, 6510).

**Unit commitment** (Koretsky et al. 2021, arXiv:2110.12624, simplified): ``u_gt`` switches
generator g on in hour t, at its full output ``P_g``; the cost is fuel ``c_g P_g u_gt`` plus a
start-up cost ``S_g u_gt (1 - u_g,t-1)`` plus ``A (sum_g P_g u_gt - D_t)^2`` for missing or
surplus power.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.apps._qubo import Qubo
from kvant.errors import ApplicationError

__all__ = [
    "GRID_CASES",
    "GridCase",
    "IslandingProblem",
    "UnitCommitment",
    "islanding_problem",
    "load_grid",
]

GRID_CASES: tuple[str, ...] = ("ieee14", "ieee30", "ieee57")


@dataclass(frozen=True, eq=False)
class GridCase:
    """A grid reduced to what islanding needs.

    Attributes:
        name: ``ieee14``, ``ieee30`` or ``ieee57``.
        num_buses: Buses (variables).
        branches: ``(from, to)`` bus pairs (lines and transformers, parallel ones merged).
        flows_mw: ``|P|`` on each branch from the DC power flow.
        injections_mw: Generation minus load at each bus (sums to ~0).
        slack_bus: The external-grid bus.
        generator_buses: Buses with a generator (slack included).
    """

    name: str
    num_buses: int
    branches: tuple[tuple[int, int], ...]
    flows_mw: NDArray[np.float64] = field(repr=False)
    injections_mw: NDArray[np.float64] = field(repr=False)
    slack_bus: int
    generator_buses: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "name": self.name,
            "num_buses": self.num_buses,
            "branches": [list(b) for b in self.branches],
            "flows_mw": self.flows_mw.tolist(),
            "injections_mw": self.injections_mw.tolist(),
            "slack_bus": self.slack_bus,
            "generator_buses": list(self.generator_buses),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GridCase:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            return cls(
                str(data["name"]),
                int(data["num_buses"]),
                tuple((int(a), int(b)) for a, b in data["branches"]),
                np.asarray(data["flows_mw"], dtype=np.float64),
                np.asarray(data["injections_mw"], dtype=np.float64),
                int(data["slack_bus"]),
                tuple(int(g) for g in data["generator_buses"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ApplicationError(f"cannot read a GridCase: {exc!r}") from exc

    def hops_from(self, bus: int) -> NDArray[np.int64]:
        """Lines between ``bus`` and every bus (breadth-first search)."""
        neighbours: list[list[int]] = [[] for _ in range(self.num_buses)]
        for a, b in self.branches:
            neighbours[a].append(b)
            neighbours[b].append(a)
        hops = np.full(self.num_buses, -1, dtype=np.int64)
        hops[bus] = 0
        queue = deque([bus])
        while queue:
            here = queue.popleft()
            for there in neighbours[here]:
                if hops[there] < 0:
                    hops[there] = hops[here] + 1
                    queue.append(there)
        return hops


def load_grid(case: str) -> GridCase:
    """Load an IEEE test case from pandapower and run its DC power flow.

    Args:
        case: ``ieee14``, ``ieee30`` or ``ieee57``.

    Returns:
        The reduced grid.

    Raises:
        ApplicationError: For an unknown case.

    >>> grid = load_grid("ieee14")
    >>> grid.num_buses, len(grid.branches), grid.slack_bus
    (14, 20, 0)
    """
    if case not in GRID_CASES:
        raise ApplicationError(f"unknown grid case {case!r}; choose one of {', '.join(GRID_CASES)}")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandapower as pp  # type: ignore[import-untyped]
        import pandapower.networks as pn  # type: ignore[import-untyped]

        net = getattr(pn, "case" + case.removeprefix("ieee"))()
        pp.rundcpp(net)
    position = {int(b): i for i, b in enumerate(net.bus.index)}
    pairs = [
        (
            net.line.from_bus.to_numpy(),
            net.line.to_bus.to_numpy(),
            net.res_line.p_from_mw.to_numpy(),
        ),
        (
            net.trafo.hv_bus.to_numpy(),
            net.trafo.lv_bus.to_numpy(),
            net.res_trafo.p_hv_mw.to_numpy(),
        ),
    ]
    merged: dict[tuple[int, int], float] = {}
    for frm, to, flow in pairs:
        for a, b, p in zip(frm.tolist(), to.tolist(), flow.tolist(), strict=True):
            i, j = position[int(a)], position[int(b)]
            key = (min(i, j), max(i, j))
            merged[key] = merged.get(key, 0.0) + abs(float(p))
    branches = tuple(sorted(merged))
    injections = -net.res_bus.p_mw.to_numpy(dtype=np.float64)
    slack = position[int(net.ext_grid.bus.iloc[0])]
    gens = sorted({slack} | {position[int(b)] for b in net.gen.bus.tolist()})
    return GridCase(
        case,
        len(position),
        branches,
        np.array([merged[b] for b in branches]),
        injections,
        slack,
        tuple(gens),
    )


@dataclass(frozen=True, eq=False)
class IslandingProblem:
    """Islanding of a grid as a QUBO over all buses, with two pinned buses.

    Attributes:
        grid: The grid.
        qubo: Cost over all buses (MW).
        pinned: ``{bus: island}`` for the two pinned buses.
        balance_weight_per_mw: lambda.
        size_weight_per_bus2: mu, the weight of ``(sum_i b_i - n/2)^2``.
    """

    grid: GridCase
    qubo: Qubo
    pinned: dict[int, int]
    balance_weight_per_mw: float
    size_weight_per_bus2: float

    @property
    def free_buses(self) -> tuple[int, ...]:
        """Buses that are QUBO variables (all but the pinned)."""
        return tuple(b for b in range(self.grid.num_buses) if b not in self.pinned)

    def free_qubo(self) -> Qubo:
        """The QUBO over the free buses (pinned values substituted)."""
        free = self.free_buses
        membership = np.zeros((self.grid.num_buses, len(free)))
        membership[list(free), np.arange(len(free))] = 1
        fixed = np.zeros(self.grid.num_buses)
        for bus, island in self.pinned.items():
            fixed[bus] = island
        return self.qubo.substitute(membership, fixed)

    def full_bits(self, free_bits: Sequence[int] | NDArray[np.int64]) -> NDArray[np.int64]:
        """Island of every bus from the free buses' bits."""
        bits = np.zeros(self.grid.num_buses, dtype=np.int64)
        bits[list(self.free_buses)] = np.asarray(free_bits, dtype=np.int64)
        for bus, island in self.pinned.items():
            bits[bus] = island
        return bits

    def cut_mw(self, bits: Sequence[int] | NDArray[np.int64]) -> float:
        """Flow on the lines between the islands."""
        b = np.asarray(bits)
        branches = np.array(self.grid.branches)
        return float(self.grid.flows_mw[b[branches[:, 0]] != b[branches[:, 1]]].sum())

    def imbalance_mw(self, bits: Sequence[int] | NDArray[np.int64]) -> float:
        """Generation minus load in island 1."""
        return float(self.grid.injections_mw @ np.asarray(bits, dtype=np.float64))

    def penalties(self) -> list[tuple[NDArray[np.float64], float, float]]:
        """The convex penalties ``weight (a . b - center)^2`` as ``(a, weight, center)``."""
        n = self.grid.num_buses
        return [
            (self.grid.injections_mw, self.balance_weight_per_mw, 0.0),
            (np.ones(n), self.size_weight_per_bus2, n / 2),
        ]

    def solve_milp(self) -> tuple[float, NDArray[np.int64]]:
        """Exact optimum over all buses by a MILP with outer approximation of the penalties.

        Variables: ``b`` (binary), ``y_ij >= |b_i - b_j|`` per branch, and per penalty
        ``weight (a . b - center)^2`` a ``s = a . b - center`` and a ``t >= weight s^2``. The
        convex ``weight s^2`` is replaced by tangent cuts ``t >= weight (2 s_k s - s_k^2)``,
        adding the cut at each MILP solution until every ``t`` matches ``weight s^2`` to 1e-7
        (Kelley 1960; Duran & Grossmann 1986), so the result is the exact QUBO optimum.

        Returns:
            ``(cost, bits)``.
        """
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = self.grid.num_buses
        branches = np.array(self.grid.branches)
        m = branches.shape[0]
        penalties = self.penalties()
        k_pen = len(penalties)
        nvar = n + m + 2 * k_pen  # b, y, (s, t) per penalty
        c = np.concatenate([np.zeros(n), self.grid.flows_mw, np.tile([0.0, 1.0], k_pen)])
        rows: list[NDArray[np.float64]] = []
        lbs: list[float] = []
        ubs: list[float] = []
        for k, (i, j) in enumerate(branches.tolist()):
            for sign in (1.0, -1.0):
                row = np.zeros(nvar)
                row[n + k] = -1.0
                row[i] += sign
                row[j] -= sign
                rows.append(row)  # +-(b_i - b_j) - y <= 0
                lbs.append(-np.inf)
                ubs.append(0.0)
        lower = np.zeros(nvar)
        upper = np.ones(nvar)
        for k, (a, _, center) in enumerate(penalties):
            s_col = n + m + 2 * k
            row = np.zeros(nvar)
            row[:n] = a
            row[s_col] = -1.0
            rows.append(row)  # a . b - s = center
            lbs.append(center)
            ubs.append(center)
            bound = float(np.abs(a).sum() + abs(center))
            lower[s_col], upper[s_col] = -bound, bound
            lower[s_col + 1], upper[s_col + 1] = 0.0, np.inf
        for bus, island in self.pinned.items():
            lower[bus] = upper[bus] = island
        integrality = np.concatenate([np.ones(n), np.zeros(m + 2 * k_pen)])
        tangents: list[list[float]] = [[0.0] for _ in penalties]
        for _ in range(100):
            cut_rows, cut_ubs = [], []
            for k, (_, weight, _) in enumerate(penalties):
                for sk in tangents[k]:  # weight (2 sk s - sk^2) - t <= 0
                    row = np.zeros(nvar)
                    row[n + m + 2 * k] = 2 * weight * sk
                    row[n + m + 2 * k + 1] = -1.0
                    cut_rows.append(row)
                    cut_ubs.append(weight * sk * sk)
            result = milp(
                c,
                constraints=LinearConstraint(
                    np.array(rows + cut_rows),
                    np.array(lbs + [-np.inf] * len(cut_rows)),
                    np.array(ubs + cut_ubs),
                ),
                integrality=integrality,
                bounds=Bounds(lower, upper),
            )
            if result.x is None:
                raise ApplicationError(f"the MILP solver failed: {result.message}")
            converged = True
            for k, (_, weight, _) in enumerate(penalties):
                s, t = float(result.x[n + m + 2 * k]), float(result.x[n + m + 2 * k + 1])
                if weight * s * s - t > 1e-7 * max(1.0, abs(t)):
                    tangents[k].append(s)
                    converged = False
            if converged:
                break
        if result.x is None:  # the loop raises first; this narrows the type
            raise ApplicationError(f"the MILP solver failed: {result.message}")
        bits = np.round(result.x[:n]).astype(np.int64)
        return self.qubo.cost(bits), bits


def islanding_problem(
    case: str | GridCase,
    balance_weight_per_mw: float = 0.01,
    size_weight_per_bus2: float = 2.0,
) -> IslandingProblem:
    """The islanding QUBO of a grid (see the module docstring).

    Args:
        case: A case name or a loaded :class:`GridCase`.
        balance_weight_per_mw: lambda, MW of cut flow per MW^2 of imbalance (> 0).
        size_weight_per_bus2: mu, MW of cut flow per bus^2 of size difference (>= 0).

    Returns:
        The problem; its free QUBO has ``num_buses - 2`` variables.

    Raises:
        ApplicationError: For an unknown case or a non-positive weight.

    >>> problem = islanding_problem("ieee14")
    >>> problem.pinned, problem.free_qubo().num_variables
    ({0: 0, 7: 1}, 12)
    """
    if not balance_weight_per_mw > 0:
        raise ApplicationError(f"balance_weight_per_mw must be > 0, got {balance_weight_per_mw!r}")
    if not size_weight_per_bus2 >= 0:
        raise ApplicationError(f"size_weight_per_bus2 must be >= 0, got {size_weight_per_bus2!r}")
    grid = load_grid(case) if isinstance(case, str) else case
    n = grid.num_buses
    hops = grid.hops_from(grid.slack_bus)
    far = max(grid.generator_buses, key=lambda g: (hops[g], -g))
    if far == grid.slack_bus:
        raise ApplicationError(f"{grid.name} has one generator bus only; nothing to separate")
    laplacian = np.zeros((n, n))
    for (i, j), w in zip(grid.branches, grid.flows_mw.tolist(), strict=True):
        laplacian[i, i] += w
        laplacian[j, j] += w
        laplacian[i, j] -= w
        laplacian[j, i] -= w
    p = grid.injections_mw
    ones = np.ones(n)
    matrix = (
        laplacian
        + balance_weight_per_mw * np.outer(p, p)
        + size_weight_per_bus2 * np.outer(ones, ones)
    )
    linear = -size_weight_per_bus2 * n * ones  # mu (1.b - n/2)^2 = mu (b.11.b - n 1.b + n^2/4)
    return IslandingProblem(
        grid,
        Qubo.from_matrix(matrix, linear, size_weight_per_bus2 * n * n / 4),
        {grid.slack_bus: 0, int(far): 1},
        balance_weight_per_mw,
        size_weight_per_bus2,
    )


@dataclass(frozen=True, eq=False)
class UnitCommitment:
    """A small unit-commitment instance.

    Attributes:
        capacities_mw: Output of each generator when on.
        costs_per_mwh: Fuel cost of each generator.
        startup_costs: Cost of switching each generator on.
        demands_mw: Demand in each hour.
        penalty_per_mw2: A, the weight of the squared power mismatch.

    >>> uc = UnitCommitment.example()
    >>> uc.qubo().num_variables
    12
    """

    capacities_mw: tuple[float, ...]
    costs_per_mwh: tuple[float, ...]
    startup_costs: tuple[float, ...]
    demands_mw: tuple[float, ...]
    penalty_per_mw2: float = 1.0

    def __post_init__(self) -> None:
        g = len(self.capacities_mw)
        if not (g == len(self.costs_per_mwh) == len(self.startup_costs)) or g == 0:
            raise ApplicationError("give capacity, cost and start-up cost for every generator")
        if not self.demands_mw or g * len(self.demands_mw) > 20:
            raise ApplicationError("generators x hours must be between 1 and 20 (qubits)")
        if not self.penalty_per_mw2 > 0:
            raise ApplicationError("penalty_per_mw2 must be > 0")

    @classmethod
    def example(cls) -> UnitCommitment:
        """Four units (base, mid, two peakers) over three hours: 12 variables."""
        return cls(
            (100.0, 80.0, 50.0, 30.0),
            (20.0, 30.0, 45.0, 60.0),
            (500.0, 300.0, 100.0, 50.0),
            (150.0, 260.0, 180.0),
            1.0,
        )

    def index(self, generator: int, hour: int) -> int:
        """Variable of generator g in hour t: ``t * G + g``."""
        return hour * len(self.capacities_mw) + generator

    def qubo(self) -> Qubo:
        """The QUBO (cost units: currency; the mismatch penalty included)."""
        g, hours = len(self.capacities_mw), len(self.demands_mw)
        n = g * hours
        matrix = np.zeros((n, n))
        linear = np.zeros(n)
        offset = 0.0
        cap = np.array(self.capacities_mw)
        a = self.penalty_per_mw2
        for t, demand in enumerate(self.demands_mw):
            idx = [self.index(k, t) for k in range(g)]
            matrix[np.ix_(idx, idx)] += a * np.outer(cap, cap)
            linear[idx] += -2 * a * demand * cap + np.array(self.costs_per_mwh) * cap
            offset += a * demand**2
            for k in range(g):
                linear[idx[k]] += self.startup_costs[k]
                if t > 0:  # - S u_gt u_g,t-1
                    matrix[self.index(k, t - 1), idx[k]] -= self.startup_costs[k]
        return Qubo.from_matrix(matrix, linear, offset)
