"""QKD networks: topology, per-link key pools, trusted-node XOR relay, routing, faults, planning.

Link key rates come from the link physics in :mod:`kvant.qkd`; the time-stepped simulation
moves key amounts through pools and relays (compiled, array-based), keeps an exposure record of
every delivered key, and materialises real key bytes on request. See ``docs/network.md``.

>>> from kvant.network import SimulationConfig, moscow_spb, simulate
>>> result = simulate(moscow_spb(), SimulationConfig(duration_s=3600))
>>> result.conservation_ok()
True
"""

from kvant.network._executor import SerialExecutor, open_executor, run_sweep
from kvant.network._exposure import (
    DeliveredBatch,
    Exposure,
    KeyRange,
    exposed_keys,
    materialise_epoch,
)
from kvant.network._faults import Fault, LinkCut, NodeOutage, fault_from_dict, network_state
from kvant.network._loaders import (
    SCHEMA_VERSION,
    load_scenario,
    save_scenario,
    scenario_from_mapping,
    scenario_to_geojson,
)
from kvant.network._planning import (
    CostModel,
    LinePlan,
    PlannedHop,
    max_hop_km,
    plan_line,
    plan_sweep,
)
from kvant.network._pools import KeyMaterial, KeyPool, LinkKeyStream
from kvant.network._presets import PRESETS, moscow_spb, preset_scenario, regional_mesh
from kvant.network._relay import RelayedKey, RelayTranscript, relay_over_pools, xor_relay
from kvant.network._results import EpochTrace, KeyLedger, SimulationResult
from kvant.network._route_plan import plan_route
from kvant.network._routing import available_key_weights, disjoint_paths, shortest_path
from kvant.network._scenario import Demand, Scenario
from kvant.network._simulation import FIBRE_DELAY_S_PER_KM, SimulationConfig, simulate
from kvant.network._systems import SYSTEM_PRESETS, QkdSystem, link_key_rate_bps
from kvant.network._topology import Link, Node, Topology, great_circle_km

__all__ = [
    "FIBRE_DELAY_S_PER_KM",
    "PRESETS",
    "SCHEMA_VERSION",
    "SYSTEM_PRESETS",
    "CostModel",
    "DeliveredBatch",
    "Demand",
    "EpochTrace",
    "Exposure",
    "Fault",
    "KeyLedger",
    "KeyMaterial",
    "KeyPool",
    "KeyRange",
    "LinePlan",
    "Link",
    "LinkCut",
    "LinkKeyStream",
    "Node",
    "NodeOutage",
    "PlannedHop",
    "QkdSystem",
    "RelayTranscript",
    "RelayedKey",
    "Scenario",
    "SerialExecutor",
    "SimulationConfig",
    "SimulationResult",
    "Topology",
    "available_key_weights",
    "disjoint_paths",
    "exposed_keys",
    "fault_from_dict",
    "great_circle_km",
    "link_key_rate_bps",
    "load_scenario",
    "materialise_epoch",
    "max_hop_km",
    "moscow_spb",
    "network_state",
    "open_executor",
    "plan_line",
    "plan_route",
    "plan_sweep",
    "preset_scenario",
    "regional_mesh",
    "relay_over_pools",
    "run_sweep",
    "save_scenario",
    "scenario_from_mapping",
    "scenario_to_geojson",
    "shortest_path",
    "simulate",
    "xor_relay",
]
