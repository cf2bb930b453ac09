"""Planning trusted nodes: hand-computed optima, the physics-based answer, sweeps."""

from __future__ import annotations

import itertools
import math
import sys

import pytest
from scipy.optimize import brentq

from kvant.errors import BackendUnavailableError, ConfigError, NetworkError
from kvant.network import (
    CostModel,
    LinePlan,
    QkdSystem,
    SerialExecutor,
    moscow_spb,
    open_executor,
    plan_line,
    plan_route,
    plan_sweep,
    regional_mesh,
    run_sweep,
)


def toy_rate(d: float) -> float:
    """1 Mbit/s at 0 km, 0.2 dB/km of loss: R(d) = 1e6 x 10^(-0.02 d)."""
    return 1e6 * 10 ** (-0.02 * d)


def test_straight_line_matches_the_hand_computed_optimum() -> None:
    # Target 1e4 bit/s. One system reaches D1 = 50 log10(100) = 100 km, two reach
    # D2 = 50 log10(200) = 115.05 km. For 220 km:
    #   2 hops: 1+1 systems cover 200 km, 1+2 cover 215.05 km, 2+2 cover 230.1 km >= 220:
    #           1 node + 4 systems = 1 + 4 x 0.5 = 3.0
    #   3 hops: 1+1+1 cover 300 km: 2 nodes + 3 systems = 3.5; more hops cost more still.
    # So: one trusted node, both hops doubled, at 220 x D2 / (2 D2) = 110 km. Cost 3.0 + fibre.
    cost = CostModel(trusted_node=1.0, qkd_system=0.5, fibre_per_km=0.01)
    plan = plan_line(220.0, 1e4, rate_bps=toy_rate, cost=cost, max_hop_km_limit=None)
    assert plan.trusted_nodes == 1
    assert [h.systems for h in plan.hops] == [2, 2]
    assert plan.node_positions_km == pytest.approx([110.0])
    assert plan.cost == pytest.approx(3.0 + 2.2, abs=1e-9)
    assert plan.end_to_end_rate_bps == pytest.approx(2 * toy_rate(110.0))
    # Systems dearer than nodes: 2 hops cost 1 + 4 x 2 = 9, 3 hops 2 + 3 x 2 = 8 -> 3 hops
    dear = CostModel(trusted_node=1.0, qkd_system=2.0, fibre_per_km=0.0)
    plan3 = plan_line(220.0, 1e4, rate_bps=toy_rate, cost=dear, max_hop_km_limit=None)
    assert [h.systems for h in plan3.hops] == [1, 1, 1]
    assert plan3.cost == pytest.approx(8.0)
    assert plan3.node_positions_km == pytest.approx([220 / 3, 440 / 3])
    # A hop limit of 80 km: ceil(220 / 80) = 3 hops of 73.3 km, one system each
    capped = plan_line(220.0, 1e4, rate_bps=toy_rate, cost=cost, max_hop_km_limit=80.0)
    assert capped.trusted_nodes == 2
    assert capped.systems == 3


def test_mixed_systems_when_only_some_hops_need_doubling() -> None:
    # 210 km: 1+1 covers 200 < 210, 1+2 covers 215.05 >= 210 -> 1 node + 3 systems = 2.5,
    # cheaper than 2+2 (3.0) or three hops (3.5). The doubled hop is the longer one.
    plan = plan_line(
        210.0, 1e4, rate_bps=toy_rate, max_hop_km_limit=None, cost=CostModel(1.0, 0.5, 0.0)
    )
    assert sorted(h.systems for h in plan.hops) == [1, 2]
    assert plan.cost == pytest.approx(2.5)
    assert all(h.rate_bps >= 1e4 for h in plan.hops)
    assert sum(h.fibre_km for h in plan.hops) == pytest.approx(210.0)


def test_physics_plan_uses_the_link_rate() -> None:
    apd = QkdSystem.preset("apd")
    target = 2e4
    d1 = brentq(lambda d: apd.key_rate_bps(d) - target, 1.0, 120.0)
    d2 = brentq(lambda d: 2 * apd.key_rate_bps(d) - target, 1.0, 120.0)
    plan = plan_line(800.0, target, max_hop_km_limit=None, cost=CostModel(1.0, 0.5, 0.0))
    # brute force over (hops, doubled hops) with the same cost model
    best = min(
        ((n - 1) + 0.5 * (n + m), n, m)
        for n in range(1, 40)
        for m in range(n + 1)
        if (n - m) * d1 + m * d2 >= 800.0 - 1e-6
    )
    assert plan.cost == pytest.approx(best[0])
    assert plan.trusted_nodes == best[1] - 1
    assert all(h.rate_bps >= target * (1 - 1e-9) for h in plan.hops)


def test_route_plan_is_the_cheapest_subset_of_sites() -> None:
    sites = ["S0", "S1", "S2", "S3", "S4", "S5", "S6"]
    pos = [0.0, 45.0, 95.0, 130.0, 170.0, 230.0, 290.0]
    cost = CostModel(1.0, 0.5, 0.0)
    plan = plan_route(
        sites, 1e4, positions_km=pos, rate_bps=toy_rate, cost=cost, max_hop_km_limit=None
    )
    d1, d2 = 100.0, 50 * math.log10(200)

    def hop_systems(d: float) -> int | None:
        return 1 if d <= d1 - 1e-3 else 2 if d <= d2 - 1e-3 else None

    best = math.inf
    for r in range(len(sites) - 1):
        for chosen in itertools.combinations(range(1, len(sites) - 1), r):
            stops = [0, *chosen, len(sites) - 1]
            ks = [hop_systems(pos[b] - pos[a]) for a, b in itertools.pairwise(stops)]
            if None not in ks:
                best = min(best, r * 1.0 + 0.5 * sum(ks))  # type: ignore[arg-type]
    assert plan.cost == pytest.approx(best)
    assert plan.hops[0].start_site == "S0"
    assert plan.hops[-1].end_site == "S6"


def test_route_plan_on_the_railway() -> None:
    plan = plan_route(moscow_spb().topology, 1e4)
    assert plan.length_km == pytest.approx(moscow_spb().topology.total_fibre_km())
    assert all(h.fibre_km <= 80.0 and h.rate_bps >= 1e4 for h in plan.hops)
    assert plan.trusted_nodes < 13  # some stations are not needed at 10 kbit/s


def test_planning_errors_and_round_trip() -> None:
    with pytest.raises(ConfigError, match="length_km"):
        plan_line(-1.0, 1e4)
    with pytest.raises(ConfigError, match="target_bps"):
        plan_line(100.0, 0.0)
    with pytest.raises(NetworkError, match="even at 0 km"):
        plan_line(100.0, 1e12)
    with pytest.raises(NetworkError, match="no choice"):
        plan_route(["A", "B"], 1e4, positions_km=[0.0, 500.0])
    with pytest.raises(ConfigError, match="increasing"):
        plan_route(["A", "B"], 1e4, positions_km=[5.0, 1.0])
    with pytest.raises(ConfigError, match="not a chain"):
        plan_route(regional_mesh(9).topology, 1e4)
    with pytest.raises(ConfigError, match="cost"):
        CostModel(trusted_node=-1.0)
    plan = plan_line(300.0, 1e4)
    assert LinePlan.from_dict(plan.to_dict()) == plan


def test_sweeps_agree_across_executors() -> None:
    serial = plan_sweep([100.0, 400.0], [1e4, 3e4], max_workers=1)
    assert [r["ok"] for r in serial] == [True] * 4
    assert serial[1]["trusted_nodes"] >= serial[0]["trusted_nodes"]
    assert plan_sweep([100.0, 400.0], [1e4, 3e4], max_workers=2) == serial
    assert run_sweep(abs, [-1, 2], max_workers=1) == [1, 2]
    with SerialExecutor() as ex:
        failed = ex.submit(math.sqrt, -1.0)
    with pytest.raises(ValueError, match="math domain"):
        failed.result()
    with pytest.raises(ConfigError, match="max_workers"), open_executor(max_workers=0):
        pass


def test_dask_scheduler_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(BackendUnavailableError, match=r"dask\.distributed is not installed"):
        plan_sweep([100.0], [1e4], scheduler="tcp://127.0.0.1:1")


def test_dask_cluster_runs_a_sweep() -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        rows = plan_sweep([100.0, 400.0], [1e4], scheduler=cluster.scheduler_address)
    assert rows == plan_sweep([100.0, 400.0], [1e4], max_workers=1)
