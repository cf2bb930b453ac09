"""Demo steps of the communications pillar: one QKD link distilled to a key, then the
Moscow-St Petersburg trusted-node network.

The checks compare with values known independently: the distilled key length with the
finite-key bound evaluated on the same detections, both parties' keys byte for byte, and the
network's key ledger against its own conservation law (every bit generated is in a pool,
delivered, wasted or consumed by relay).
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

import numpy as np

_LINK_KM = 25.0
_LINK_PULSES = 200_000_000


def qkd_link_step(seed: int, out: Path) -> dict[str, Any]:
    """Decoy-state BB84 over 25 km: simulate the pulses, post-process them into a key."""
    from kvant.qkd import (
        FibreConfig,
        LinkConfig,
        Pipeline,
        PipelineConfig,
        iter_detections,
        protocol_source,
        run_link,
    )

    cfg = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(_LINK_KM))
    report = run_link(cfg, "decoy-bb84", _LINK_PULSES, seed=seed)
    detections = list(iter_detections(cfg, _LINK_PULSES, seed=seed))
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    block = Pipeline(cfg.source, PipelineConfig()).process(detections, seed=rng)
    theory_bits = (report.finite_bits_per_pulse or 0.0) * _LINK_PULSES
    equal = hmac.compare_digest(block.key, block.bob_key)
    rate_bps = block.key_bits / _LINK_PULSES * cfg.clock_hz
    return {
        "section": "QKD link",
        "name": f"decoy-state BB84, {_LINK_KM:g} km",
        "figure": f"{block.key_bits:,} secret bits ({rate_bps / 1e6:.2f} Mbit/s at 1 GHz), "
        f"QBER {block.qber:.2%}, error correction f = {block.efficiency:.3f}",
        "expected": f"keys equal; within 5% of the finite-key bound ({theory_bits:,.0f} bits)",
        "ok": equal
        and block.key_bits > 0
        and abs(block.key_bits - theory_bits) <= 0.05 * theory_bits,
        "pictures": [],
    }


def network_step(seed: int, out: Path) -> dict[str, Any]:
    """One hour of the 800 km Moscow-St Petersburg line with trusted nodes."""
    from kvant.network import SimulationConfig, preset_scenario, simulate
    from kvant.report import plot_network_map, plot_pool_levels

    result = simulate(
        preset_scenario("moscow-spb"), SimulationConfig(duration_s=3600.0, step_s=1.0, seed=seed)
    )
    summary = result.summary()
    plot_network_map(
        result.scenario.topology, out / "network_map.png", link_rates_bps=result.link_rates_bps
    )
    plot_pool_levels(result, out / "network_pools.png")
    long_haul = next(d for d in summary["demands"] if d["demand"] == "Moscow->St Petersburg")
    return {
        "section": "QKD network",
        "name": "Moscow-St Petersburg, 1 hour",
        "figure": f"{long_haul['delivered_bps'] / 1e3:.1f} kbit/s delivered end to end "
        f"({summary['keys_delivered']:,} keys, {summary['keys_verified']:,} verified)",
        "expected": "key ledger conserved; sampled relayed keys materialised, equal at both ends",
        "ok": bool(summary["conservation_ok"])
        and summary["keys_verified"] > 0
        and long_haul["delivered_bps"] > 0,
        "pictures": ["network_map.png", "network_pools.png"],
    }
