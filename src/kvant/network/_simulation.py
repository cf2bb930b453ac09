"""Time-stepped simulation of a QKD network: link key pools, demands, relay, routing, faults.

Design (why it is fast and still exact):

- **Amounts, not bytes, per step.** Each step moves integer numbers of bits between the link
  physics, the pools and the demands (:mod:`kvant.network._kernel`, compiled with Numba, a loop
  over steps and links/paths, never over bits). 24 hours at 1-second steps are 86,400 steps.
- **Routing epochs.** Paths are recomputed every ``reroute_interval_s`` and whenever a fault
  starts or ends, on the graph weighted by available key (:mod:`kvant.network._routing`);
  between epochs the kernel runs with fixed paths.
- **Real key on request.** Every link's pool is a FIFO over a reproducible key stream
  (:class:`~kvant.network.LinkKeyStream`); the kernel's withdrawal order is canonical, so the
  bytes of any relayed key follow from the ledger. For the epochs in ``trace_epochs`` (and
  ``verify_epochs`` evenly spaced ones) the per-step grants are kept, so their keys can be
  materialised and relayed with :func:`~kvant.network.xor_relay` on real bytes; every run
  does so for the first step of each traced epoch, checking both end users' keys identical and
  each intermediate node's knowledge against the model.
- **Exposure records for every key.** Each epoch's keys are recorded per path with their
  sequence numbers, so "which trusted nodes saw key n of demand d" is exact for all keys.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kvant.errors import ConfigError
from kvant.network._faults import fault_times, network_state, purges_at
from kvant.network._kernel import COLUMNS, run_epoch
from kvant.network._results import EpochTrace, KeyLedger, SimulationResult
from kvant.network._routing import Graph, available_key_weights, route_all
from kvant.network._scenario import Scenario

__all__ = ["FIBRE_DELAY_S_PER_KM", "SimulationConfig", "simulate"]

FIBRE_DELAY_S_PER_KM = 1.468 / 299_792.458
"""Light's delay in standard single-mode fibre (group index 1.468 at 1550 nm): ~4.9 us/km."""

Routing = Literal["shortest", "multipath"]


@dataclass(frozen=True)
class SimulationConfig:
    """How to simulate.

    Attributes:
        duration_s: Simulated time.
        step_s: Time step.
        routing: ``"shortest"`` (one path per demand) or ``"multipath"`` (up to ``max_paths``
            link-disjoint paths, requests split by each path's bottleneck pool).
        max_paths: Paths per demand with multipath.
        reroute_interval_s: Routing epoch (paths also change at every fault start and end).
        record_interval_s: Resolution of the recorded pool levels and per-demand rates (None:
            the smallest multiple of the step giving at most 1,440 records).
        key_size_bits: Size of one end-to-end key (a multiple of 8).
        initial_fill: Fraction of each pool's capacity filled at the start.
        hop_processing_s: Key-manager processing time per hop (adds to the fibre delay in the
            relay latency).
        seed: Seed of the link key streams (the key bytes, when materialised).
        verify_epochs: Evenly spaced epochs to trace; the keys of the first step of each are
            materialised and checked (all of them: ``result.verify_traced_keys(max_steps=None)``).
        trace_epochs: Further epochs (indices) whose per-step grants are kept.

    >>> SimulationConfig(duration_s=3600).num_steps
    3600
    """

    duration_s: float = 86_400.0
    step_s: float = 1.0
    routing: Routing = "shortest"
    max_paths: int = 2
    reroute_interval_s: float = 60.0
    record_interval_s: float | None = None
    key_size_bits: int = 256
    initial_fill: float = 0.0
    hop_processing_s: float = 1e-3
    seed: int = 0
    verify_epochs: int = 4
    trace_epochs: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "trace_epochs", tuple(int(e) for e in self.trace_epochs))
        for name in ("duration_s", "step_s", "reroute_interval_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"{name} must be > 0, got {value!r}")
        if self.step_s > self.duration_s:
            raise ConfigError("step_s must not exceed duration_s")
        if self.num_steps > 50_000_000:
            raise ConfigError(f"{self.num_steps} steps is too many; use a larger step_s")
        if self.routing not in ("shortest", "multipath"):
            raise ConfigError(f"routing must be 'shortest' or 'multipath', got {self.routing!r}")
        if not isinstance(self.max_paths, int) or not 1 <= self.max_paths <= 8:
            raise ConfigError(f"max_paths must be an int in [1, 8], got {self.max_paths!r}")
        if self.record_interval_s is not None and not self.record_interval_s >= self.step_s:
            raise ConfigError("record_interval_s must be at least step_s")
        if (
            not isinstance(self.key_size_bits, int)
            or self.key_size_bits < 8
            or self.key_size_bits % 8
        ):
            raise ConfigError(
                f"key_size_bits must be a positive multiple of 8, got {self.key_size_bits!r}"
            )
        if not 0.0 <= self.initial_fill <= 1.0:
            raise ConfigError(f"initial_fill must be in [0, 1], got {self.initial_fill}")
        if not (math.isfinite(self.hop_processing_s) and self.hop_processing_s >= 0):
            raise ConfigError("hop_processing_s must be >= 0")
        if self.seed < 0 or self.verify_epochs < 0:
            raise ConfigError("seed and verify_epochs must be >= 0")

    @property
    def num_steps(self) -> int:
        """Steps simulated (the last may end after ``duration_s``)."""
        return math.ceil(self.duration_s / self.step_s - 1e-9)

    @property
    def record_every(self) -> int:
        """Steps per record interval."""
        if self.record_interval_s is not None:
            return max(1, round(self.record_interval_s / self.step_s))
        return max(1, math.ceil(self.num_steps / 1440))

    @property
    def paths_per_demand(self) -> int:
        """Path slots per demand."""
        return self.max_paths if self.routing == "multipath" else 1

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        data = asdict(self)
        data["trace_epochs"] = list(self.trace_epochs)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationConfig:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**{**data, "trace_epochs": tuple(data.get("trace_epochs", ()))})


def _epoch_bounds(config: SimulationConfig, scenario: Scenario) -> list[int]:
    """Step indices where routing epochs start (plus the end)."""
    total, every = config.num_steps, max(1, round(config.reroute_interval_s / config.step_s))
    bounds = set(range(0, total, every))
    for t in fault_times(scenario.faults):
        step = math.ceil(t / config.step_s - 1e-9)
        if 0 <= step < total:
            bounds.add(step)
    return [*sorted(bounds), total]


def simulate(
    scenario: Scenario,
    config: SimulationConfig | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> SimulationResult:
    """Simulate a scenario over time.

    Args:
        scenario: Topology, demands and faults.
        config: How (default: 24 h at 1 s, shortest-path routing).
        progress: Called with the fraction done after each routing epoch.

    Returns:
        The result: per-step ledgers, pool levels, delivered and blocked key per demand,
        latency, and the exposure record of every key.

    Raises:
        ConfigError: for a bad configuration.

    >>> from kvant.network import moscow_spb
    >>> res = simulate(moscow_spb(), SimulationConfig(duration_s=600))
    >>> res.summary()["conservation_ok"]
    True
    """
    cfg = config or SimulationConfig()
    started = time.perf_counter()
    net, demands = scenario.topology, scenario.demands
    n_links, n_dem, total = net.num_links, len(demands), cfg.num_steps
    kb, per = cfg.key_size_bits, cfg.paths_per_demand
    rates = net.key_rates_bps
    cap = np.array([x.pool_capacity_bits for x in net.links], dtype=np.int64)
    level = np.floor(cap * cfg.initial_fill).astype(np.int64)
    initial = level.copy()
    head = np.zeros(n_links, np.int64)
    tail = level.copy()
    cum = np.zeros((4, n_links), np.int64)
    src = np.array([net.node_index(d.a) for d in demands], dtype=np.int64)
    dst = np.array([net.node_index(d.b) for d in demands], dtype=np.int64)
    keys_per_step = np.array([d.rate_bps * cfg.step_s / kb for d in demands], dtype=np.float64)
    dem_start = np.array([math.ceil(d.start_s / cfg.step_s - 1e-9) for d in demands], np.int64)
    dem_end = np.array(
        [total if d.end_s is None else math.ceil(d.end_s / cfg.step_s - 1e-9) for d in demands],
        dtype=np.int64,
    )
    n_rec = math.ceil(total / cfg.record_every)
    rec_level = np.zeros((n_rec, n_links), np.int64)
    rec_delivered = np.zeros((n_rec, n_dem), np.int64)
    rec_requested = np.zeros((n_rec, n_dem), np.int64)
    rec_latency = np.zeros((n_rec, n_dem), np.float64)
    step_totals = np.zeros((total, len(COLUMNS)), np.int64)
    graph = Graph.of(net)
    bounds = _epoch_bounds(cfg, scenario)
    n_epochs = len(bounds) - 1
    traced = set(cfg.trace_epochs)
    if cfg.verify_epochs:
        traced |= {int(e) for e in np.linspace(0, n_epochs - 1, min(cfg.verify_epochs, n_epochs))}
    paths: dict[tuple[int, ...], int] = {}
    ledger_rows: list[NDArray[np.int64]] = []
    traces: list[EpochTrace] = []
    next_key = np.zeros(n_dem, np.int64)
    empty_trace = np.zeros((0, 0), np.int64)
    for e, (t0, t1) in enumerate(itertools.pairwise(bounds)):
        now = t0 * cfg.step_s
        links_up, nodes_up = network_state(net, scenario.faults, now)
        purge = purges_at(net, scenario.faults, t0, cfg.step_s)
        bits_per_step = np.where(links_up, rates * cfg.step_s, 0.0)
        horizon = bits_per_step * (t1 - t0)
        weight = available_key_weights(level + horizon, kb)
        nodes, links, hops = route_all(
            graph, weight, links_up, net.relays & nodes_up, src, dst, per
        )
        keep = hops > 0
        slot_demand = np.repeat(np.arange(n_dem), per)[keep]
        slot_ptr = np.zeros(n_dem + 1, np.int64)
        np.cumsum(np.bincount(slot_demand, minlength=n_dem), out=slot_ptr[1:])
        s_links, s_hops, s_nodes = links[keep], hops[keep], nodes[keep]
        fibre = np.where(s_links >= 0, net.fibre_km[np.maximum(s_links, 0)], 0.0).sum(axis=1)
        latency = fibre * FIBRE_DELAY_S_PER_KM + s_hops * cfg.hop_processing_s
        slot_keys = np.zeros(s_hops.size, np.int64)
        trace = np.zeros((t1 - t0, s_hops.size), np.int64) if e in traced else empty_trace
        head_start = head + np.where(purge, level, 0)
        run_epoch(
            t0,
            t1,
            total,
            level,
            cap,
            bits_per_step,
            purge,
            head,
            tail,
            cum,
            keys_per_step,
            dem_start,
            dem_end,
            kb,
            s_links,
            s_hops,
            slot_ptr,
            latency,
            cfg.routing == "multipath",
            cfg.record_every,
            rec_level,
            rec_delivered,
            rec_requested,
            rec_latency,
            step_totals,
            slot_keys,
            trace,
        )
        path_ids = np.array(
            [
                paths.setdefault(tuple(int(x) for x in s_nodes[s, : s_hops[s] + 1]), len(paths))
                for s in range(s_hops.size)
            ],
            dtype=np.int64,
        )
        first = np.zeros(s_hops.size, np.int64)
        for s in range(s_hops.size):  # sequence numbers: epoch by epoch, path by path
            first[s] = next_key[slot_demand[s]]
            next_key[slot_demand[s]] += slot_keys[s]
        used = slot_keys > 0
        ledger_rows.append(
            np.stack(
                [
                    np.full(int(used.sum()), e),
                    slot_demand[used],
                    path_ids[used],
                    first[used],
                    slot_keys[used],
                ],
                axis=1,
            )
        )
        if e in traced:
            traces.append(
                EpochTrace(e, t0, t1, slot_demand, path_ids, s_links, s_hops, head_start, trace)
            )
        if progress is not None:
            progress(t1 / total)
    names = [n.name for n in net.nodes]
    rows = np.concatenate(ledger_rows) if ledger_rows else np.zeros((0, 5), np.int64)
    result = SimulationResult(
        scenario=scenario,
        config=cfg,
        link_rates_bps=rates.copy(),
        epoch_steps=np.array(bounds, dtype=np.int64),
        step_totals=step_totals,
        pool_level_bits=rec_level,
        delivered_bits=rec_delivered,
        requested_bits=rec_requested,
        latency_bit_s=rec_latency,
        link_totals_bits=cum,
        initial_level_bits=initial,
        final_level_bits=level,
        head_bits=head,
        tail_bits=tail,
        ledger=KeyLedger(rows, tuple(tuple(names[i] for i in p) for p in paths)),
        traces=tuple(traces),
        wall_s=0.0,
    )
    verified = result.verify_traced_keys() if traces else 0
    return result.with_timing(time.perf_counter() - started, verified)
