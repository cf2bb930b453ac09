"""The time-stepped simulation: ledgers, bottlenecks, faults, re-routing, real key bytes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kvant.errors import ConfigError, NetworkError, TopologyError
from kvant.network import (
    Demand,
    LinkCut,
    LinkKeyStream,
    NodeOutage,
    Scenario,
    SimulationConfig,
    SimulationResult,
    moscow_spb,
    simulate,
)

PRODUCED, OVERFLOW, CONSUMED, DELIVERED, OVERHEAD, DISCARDED, REQUESTED, POOL = range(8)


def _cfg(seconds: float, **kw: object) -> SimulationConfig:
    return SimulationConfig(duration_s=seconds, record_interval_s=1.0, **kw)  # type: ignore[arg-type]


def test_ledgers_balance_at_every_step(ring: Scenario) -> None:
    busy = ring.with_demands([Demand("U0", "U1", 9e4), Demand("U1", "U0", 3e4, 100.0, 700.0)])
    faulty = busy.with_faults([LinkCut("A-B", 200.0, 400.0), NodeOutage("C", 500.0, 520.0, True)])
    res = simulate(
        faulty, _cfg(900, routing="multipath", reroute_interval_s=30, initial_fill=0.001)
    )
    st = res.step_totals
    before = np.concatenate([[res.initial_level_bits.sum()], st[:-1, POOL]])
    stored = st[:, PRODUCED] - st[:, OVERFLOW]
    assert np.array_equal(st[:, POOL] - before, stored - st[:, CONSUMED] - st[:, DISCARDED])
    assert np.array_equal(st[:, CONSUMED], st[:, DELIVERED] + st[:, OVERHEAD])
    # with one-step records the per-demand series add up to the network's, step by step
    assert np.array_equal(res.delivered_bits.sum(axis=1), st[:, DELIVERED])
    assert np.array_equal(res.requested_bits.sum(axis=1), st[:, REQUESTED])
    assert np.array_equal(res.pool_level_bits.sum(axis=1), st[:, POOL])
    assert st[:, DISCARDED].sum() > 0
    assert st[:, OVERHEAD].sum() > 0
    assert res.conservation_ok()
    totals = res.totals()
    wasted = totals["overflow"] + totals["discarded"]
    assert (
        totals["produced"]
        == (st[-1, POOL] - res.initial_level_bits.sum())
        + totals["delivered"]
        + totals["overhead"]
        + wasted
    )


def test_chain_rate_is_the_bottleneck_when_demand_exceeds_it(make_chain) -> None:  # type: ignore[no-untyped-def]
    net = make_chain([30.0, 75.0, 40.0])
    rates = net.key_rates_bps
    assert int(np.argmin(rates)) == 1
    sc = Scenario(net, (Demand("N0", "N3", 1e6),))
    res = simulate(sc, SimulationConfig(duration_s=2000, record_interval_s=100))
    produced = int(res.link_totals_bits[0, 1])
    delivered = int(res.step_totals[:, DELIVERED].sum())
    kb = res.config.key_size_bits
    assert produced - kb < delivered <= produced  # all of the bottleneck's key but a partial key
    assert delivered / res.duration_s == pytest.approx(rates[1], abs=kb / res.duration_s + 1.0)
    # every link carried every delivered bit (one pad or the key itself per hop)
    assert (res.link_totals_bits[2] == delivered).all()
    assert res.summary()["demands"][0]["delivered_bps"] == pytest.approx(rates[1], rel=1e-3)


def test_chain_serves_a_demand_below_the_bottleneck_in_full(make_chain) -> None:  # type: ignore[no-untyped-def]
    net = make_chain([30.0, 75.0, 40.0])
    half = float(net.key_rates_bps.min()) / 2
    res = simulate(Scenario(net, (Demand("N0", "N3", half),)), _cfg(600))
    assert np.array_equal(res.delivered_bits, res.requested_bits)
    assert res.demand_summary()[0]["blocked_fraction"] == 0.0


def test_a_cut_on_a_chain_stops_delivery(make_chain) -> None:  # type: ignore[no-untyped-def]
    net = make_chain([30.0, 50.0, 40.0])
    sc = Scenario(net, (Demand("N0", "N3", 1e4),), (LinkCut("N1-N2", 300.0, 600.0),))
    res = simulate(sc, _cfg(900))
    per_step = res.delivered_bits[:, 0]
    assert per_step[:300].sum() > 0
    assert per_step[600:].sum() > 0
    assert per_step[300:600].sum() == 0
    assert res.link_totals_bits[0, 1] == pytest.approx(600 * net.key_rates_bps[1], abs=2)


def test_a_cut_on_a_mesh_reroutes(ring: Scenario) -> None:
    res = simulate(ring.with_faults([LinkCut("A-B", 300.0, 600.0)]), _cfg(900))
    per_step = res.delivered_bits[:, 0]
    assert np.array_equal(per_step, res.requested_bits[:, 0])  # nothing blocked, cut or not
    during = dict(since_s=300.0, until_s=600.0)
    assert res.exposed_keys("B", **during).num_keys == 0  # B is cut off from A
    kb = res.config.key_size_bits
    assert res.exposed_keys("D", **during).num_keys == per_step[300:600].sum() // kb


def test_purged_keys_are_the_pools_at_the_outage(ring: Scenario) -> None:
    res = simulate(ring.with_faults([NodeOutage("B", 300.0, 600.0, purge_keys=True)]), _cfg(900))
    net = res.scenario.topology
    ab, bc = net.link_index("A", "B"), net.link_index("B", "C")
    expected = res.pool_level_bits[299, ab] + res.pool_level_bits[299, bc]
    assert expected > 0
    assert res.step_totals[300, DISCARDED] == expected
    assert res.step_totals[:, DISCARDED].sum() == expected
    assert res.link_totals_bits[0, [ab, bc]].tolist() == pytest.approx(
        [600 * net.key_rates_bps[ab], 600 * net.key_rates_bps[bc]], abs=2
    )


def test_multipath_uses_both_routes(ring: Scenario) -> None:
    net = ring.topology
    ring_rate = float(net.key_rates_bps[net.link_index("A", "B")])
    heavy = ring.with_demands([Demand("U0", "U1", 3 * ring_rate)])
    one_epoch = dict(duration_s=600.0, reroute_interval_s=600.0)
    single = simulate(heavy, SimulationConfig(**one_epoch))  # type: ignore[arg-type]
    multi = simulate(heavy, SimulationConfig(routing="multipath", **one_epoch))  # type: ignore[arg-type]
    got_single = single.step_totals[:, DELIVERED].sum() / 600.0
    got_multi = multi.step_totals[:, DELIVERED].sum() / 600.0
    assert got_single <= ring_rate + 1.0
    assert got_multi == pytest.approx(2 * ring_rate, rel=0.01)
    assert len(multi.ledger.paths) == 2


def test_demand_windows(make_chain) -> None:  # type: ignore[no-untyped-def]
    net = make_chain([20.0])
    res = simulate(Scenario(net, (Demand("N0", "N1", 2560.0, 100.0, 200.0),)), _cfg(300))
    asked = res.requested_bits[:, 0]
    assert asked[:100].sum() == 0
    assert asked[200:].sum() == 0
    assert asked[100:200].sum() == 2560 * 100


def test_exposure_lists_exactly_the_keys_through_a_node() -> None:
    res = simulate(moscow_spb(), SimulationConfig(duration_s=900))
    kb = res.config.key_size_bits
    per_demand = {d["demand"]: d["delivered_bits"] // kb for d in res.demand_summary()}
    bologoye = res.exposed_keys("Bologoye")
    assert bologoye.by_demand() == {
        "Moscow->St Petersburg": per_demand["Moscow->St Petersburg"],
        "Tver->St Petersburg": per_demand["Tver->St Petersburg"],
    }
    assert bologoye.relayed_keys == bologoye.num_keys > 0
    klin = res.exposed_keys("Klin")
    assert set(klin.by_demand()) == {"Moscow->St Petersburg", "Moscow->Tver"}
    moscow = res.exposed_keys("Moscow")
    assert moscow.relayed_keys == 0
    assert moscow.num_keys == per_demand["Moscow->St Petersburg"] + (per_demand["Moscow->Tver"])
    # key numbers of a demand run without gaps or overlaps
    ranges = sorted((r.first_key, r.num_keys) for r in moscow.ranges if r.demand == "Moscow->Tver")
    assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(ranges))
    assert ranges[0][0] == 0
    assert moscow.ranges[0].key_ids()[0] == f"{moscow.ranges[0].demand}#0"
    assert res.exposed_keys("Bologoye", since_s=1e6).num_keys == 0
    with pytest.raises(TopologyError):
        res.exposed_keys("Vladivostok")


def test_materialised_keys_are_the_first_links_stream(make_chain) -> None:  # type: ignore[no-untyped-def]
    net = make_chain([30.0, 75.0, 40.0], capacity_bits=10**6)
    sc = Scenario(net, (Demand("N0", "N3", 4e4),))
    cfg = SimulationConfig(
        duration_s=180, reroute_interval_s=60, trace_epochs=(0, 1, 2), verify_epochs=0, seed=9
    )
    res = simulate(sc, cfg)
    batches = [b for e in range(3) for b in res.materialise(e)]
    keys = np.concatenate([b.keys for b in batches])
    assert all(np.array_equal(b.keys, b.destination_keys) for b in batches)
    delivered = int(res.step_totals[:, DELIVERED].sum())
    assert keys.size * 8 == delivered
    # K = k_0: the end-to-end keys are link N0-N1's stored key, oldest first, never reused
    stream = LinkKeyStream(9, 0).bits(0, delivered)
    assert np.array_equal(keys.ravel(), stream)
    assert [b.first_key for b in batches[:2]] == [0, batches[0].keys.shape[0]]
    assert res.verify_traced_keys(max_steps=None) == keys.shape[0]
    with pytest.raises(NetworkError, match="not traced"):
        res.materialise(99)


def test_every_run_checks_a_sample_of_real_keys(ring: Scenario) -> None:
    res = simulate(ring, SimulationConfig(duration_s=600))
    assert res.verified_keys > 0
    assert len(res.traces) == 4


def test_config_validation_and_round_trips(ring: Scenario) -> None:
    for bad in (
        dict(step_s=0),
        dict(routing="ospf"),
        dict(key_size_bits=100),
        dict(initial_fill=2.0),
        dict(max_paths=0),
        dict(record_interval_s=0.5),
        dict(duration_s=1.0, step_s=2.0),
    ):
        with pytest.raises(ConfigError):
            SimulationConfig(**bad)  # type: ignore[arg-type]
    cfg = SimulationConfig(duration_s=120, routing="multipath", trace_epochs=(1,))
    assert SimulationConfig.from_dict(cfg.to_dict()) == cfg
    res = simulate(ring.with_faults([LinkCut("B-C", 30.0)]), cfg)
    again = SimulationResult.from_dict(res.to_dict())
    assert again.to_dict() == res.to_dict()
    assert again.summary() == res.summary()


def test_progress_reaches_the_end(ring: Scenario) -> None:
    seen: list[float] = []
    simulate(ring, SimulationConfig(duration_s=300), progress=seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
