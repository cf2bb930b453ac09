"""What a network simulation returns: ledgers, pool levels, per-demand metrics, key records."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from kvant.network._kernel import COLUMNS
from kvant.network._scenario import Scenario

if TYPE_CHECKING:
    from kvant.network._exposure import DeliveredBatch, Exposure
    from kvant.network._simulation import SimulationConfig

__all__ = ["EpochTrace", "KeyLedger", "SimulationResult"]

I64 = NDArray[np.int64]


def _arr(data: Any, dtype: Any, ndim: int) -> Any:
    out = np.asarray(data, dtype=dtype)
    return out.reshape((0,) * ndim) if out.size == 0 and out.ndim != ndim else out


@dataclass(frozen=True)
class EpochTrace:
    """Per-step grants of one routing epoch, kept so its keys can be materialised.

    Attributes:
        epoch: Epoch index.
        start_step: First step.
        end_step: One past the last step.
        slot_demand: Demand of each path slot.
        path_ids: Path (in the ledger's path table) of each slot.
        slot_links: Links of each slot's path, -1 padded.
        slot_hops: Hops of each slot's path.
        head_bits: Stream position of each link pool's oldest bit at the epoch's start.
        grants: Keys granted per step and slot, shape (steps, slots).
    """

    epoch: int
    start_step: int
    end_step: int
    slot_demand: I64
    path_ids: I64
    slot_links: I64
    slot_hops: I64
    head_bits: I64
    grants: I64

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpochTrace:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            int(data["epoch"]),
            int(data["start_step"]),
            int(data["end_step"]),
            _arr(data["slot_demand"], np.int64, 1),
            _arr(data["path_ids"], np.int64, 1),
            _arr(data["slot_links"], np.int64, 2),
            _arr(data["slot_hops"], np.int64, 1),
            _arr(data["head_bits"], np.int64, 1),
            _arr(data["grants"], np.int64, 2),
        )


@dataclass(frozen=True)
class KeyLedger:
    """Every delivered key, in runs: who asked for it and over which path it went.

    Attributes:
        rows: Shape (runs, 5): epoch, demand index, path id, first key number, number of keys.
            Key numbers count each demand's keys from 0 (epoch by epoch, path by path).
        paths: Node names of each path id, source first.
    """

    rows: I64
    paths: tuple[tuple[str, ...], ...]

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @property
    def total_keys(self) -> int:
        """Keys delivered in all."""
        return int(self.rows[:, 4].sum()) if len(self) else 0

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        return {"rows": self.rows.tolist(), "paths": [list(p) for p in self.paths]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeyLedger:
        """Rebuild from :meth:`to_dict` output."""
        rows = _arr(data["rows"], np.int64, 2).reshape(-1, 5)
        return cls(rows, tuple(tuple(p) for p in data["paths"]))


_ARRAYS = {
    "link_rates_bps": (np.float64, 1),
    "epoch_steps": (np.int64, 1),
    "step_totals": (np.int64, 2),
    "pool_level_bits": (np.int64, 2),
    "delivered_bits": (np.int64, 2),
    "requested_bits": (np.int64, 2),
    "latency_bit_s": (np.float64, 2),
    "link_totals_bits": (np.int64, 2),
    "initial_level_bits": (np.int64, 1),
    "final_level_bits": (np.int64, 1),
    "head_bits": (np.int64, 1),
    "tail_bits": (np.int64, 1),
}


@dataclass(frozen=True)
class SimulationResult:
    """The outcome of :func:`~kvant.network.simulate`.

    Attributes:
        scenario: What was simulated.
        config: How.
        link_rates_bps: Each link's physics key rate (all its systems, when up).
        epoch_steps: Steps where routing epochs start, then the total.
        step_totals: Per step, network totals in bits, columns :data:`COLUMNS` (produced,
            overflow, consumed, delivered, overhead, discarded, requested, pool).
        pool_level_bits: Pool level of each link at the end of each record interval.
        delivered_bits: End-to-end key delivered per record interval and demand.
        requested_bits: Key requested per record interval and demand.
        latency_bit_s: Sum over delivered bits of their relay latency, per interval and demand.
        link_totals_bits: Per link, totals of (produced, overflow, consumed, discarded).
        initial_level_bits: Pool levels at the start.
        final_level_bits: Pool levels at the end.
        head_bits: Stream position of each pool's oldest bit at the end.
        tail_bits: Stream position one past each pool's newest bit at the end.
        ledger: Every delivered key with its path.
        traces: Epochs kept for materialisation.
        wall_s: Wall time of the simulation.
        verified_keys: Keys materialised and checked (identical at both ends).
    """

    scenario: Scenario
    config: SimulationConfig
    link_rates_bps: NDArray[np.float64]
    epoch_steps: I64
    step_totals: I64
    pool_level_bits: I64
    delivered_bits: I64
    requested_bits: I64
    latency_bit_s: NDArray[np.float64]
    link_totals_bits: I64
    initial_level_bits: I64
    final_level_bits: I64
    head_bits: I64
    tail_bits: I64
    ledger: KeyLedger
    traces: tuple[EpochTrace, ...]
    wall_s: float
    verified_keys: int = 0

    @property
    def link_names(self) -> list[str]:
        """Names of the links, in topology order."""
        return [x.name for x in self.scenario.topology.links]

    @property
    def demand_names(self) -> list[str]:
        """Names of the demands."""
        return [d.name for d in self.scenario.demands]

    @property
    def record_interval_s(self) -> float:
        """Length of a record interval."""
        return float(self.config.record_every * self.config.step_s)

    @property
    def record_times_s(self) -> NDArray[np.float64]:
        """End time of each record interval."""
        n = self.pool_level_bits.shape[0]
        ends = (np.arange(1, n + 1) * self.config.record_every).clip(max=self.config.num_steps)
        return ends * self.config.step_s

    @property
    def duration_s(self) -> float:
        """Simulated time (whole steps)."""
        return float(self.config.num_steps * self.config.step_s)

    def totals(self) -> dict[str, int]:
        """Network totals over the run, bits, by :data:`COLUMNS` (without ``pool``)."""
        sums = self.step_totals.sum(axis=0)
        return {name: int(sums[i]) for i, name in enumerate(COLUMNS) if name != "pool"}

    def conservation_ok(self) -> bool:
        """Whether every ledger balances: per step, the pools change by what was stored minus
        what was consumed and discarded, and what was consumed is what was delivered plus the
        relay's one-time pads; per link over the run, likewise; and each pool's stream window
        (tail - head) is its level."""
        st = self.step_totals.astype(object)  # exact integers
        pool = st[:, 7]
        before = np.concatenate([[int(self.initial_level_bits.sum())], pool[:-1]])
        stored = st[:, 0] - st[:, 1]
        pools_ok = bool(((pool - before) == stored - st[:, 2] - st[:, 5]).all())
        relay_ok = bool((st[:, 2] == st[:, 3] + st[:, 4]).all())
        c = self.link_totals_bits
        link_ok = bool(
            (self.initial_level_bits + c[0] - c[1] - c[2] - c[3] == self.final_level_bits).all()
        )
        window_ok = bool((self.tail_bits - self.head_bits == self.final_level_bits).all())
        delivered_ok = int(self.delivered_bits.sum()) == int(st[:, 3].sum())
        ledger_ok = self.ledger.total_keys * self.config.key_size_bits == int(st[:, 3].sum())
        return pools_ok and relay_ok and link_ok and window_ok and delivered_ok and ledger_ok

    def delivered_rate_bps(self) -> NDArray[np.float64]:
        """Delivered end-to-end key rate per record interval and demand."""
        widths = np.diff(np.concatenate([[0.0], self.record_times_s]))
        return self.delivered_bits / widths[:, None]

    def demand_summary(self) -> list[dict[str, Any]]:
        """Per demand: requested and delivered rate, blocked fraction, mean relay latency."""
        out = []
        for d, demand in enumerate(self.scenario.demands):
            req = int(self.requested_bits[:, d].sum())
            got = int(self.delivered_bits[:, d].sum())
            lat = float(self.latency_bit_s[:, d].sum())
            out.append(
                {
                    "demand": demand.name,
                    "requested_bps": req / self.duration_s,
                    "delivered_bps": got / self.duration_s,
                    "blocked_fraction": (req - got) / req if req else 0.0,
                    "mean_latency_ms": 1e3 * lat / got if got else None,
                    "delivered_bits": got,
                    "requested_bits": req,
                }
            )
        return out

    def summary(self) -> dict[str, Any]:
        """Everything worth printing, as plain JSON."""
        tot = self.totals()
        req = tot["requested"]
        return {
            "scenario": self.scenario.name,
            "nodes": self.scenario.topology.num_nodes,
            "links": self.scenario.topology.num_links,
            "duration_s": self.duration_s,
            "step_s": self.config.step_s,
            "steps": self.config.num_steps,
            "epochs": int(self.epoch_steps.size - 1),
            "routing": self.config.routing,
            "totals_bits": tot,
            "wasted_bits": tot["overflow"] + tot["discarded"],
            "delivered_bps": tot["delivered"] / self.duration_s,
            "blocked_fraction": (req - tot["delivered"]) / req if req else 0.0,
            "demands": self.demand_summary(),
            "links_detail": [
                {
                    "link": name,
                    "rate_bps": float(r),
                    "final_pool_bits": int(self.final_level_bits[i]),
                    "consumed_bits": int(self.link_totals_bits[2, i]),
                }
                for i, (name, r) in enumerate(
                    zip(self.link_names, self.link_rates_bps, strict=True)
                )
            ],
            "keys_delivered": self.ledger.total_keys,
            "keys_verified": self.verified_keys,
            "conservation_ok": self.conservation_ok(),
            "wall_s": self.wall_s,
        }

    def exposed_keys(
        self, node: str, *, since_s: float | None = None, until_s: float | None = None
    ) -> Exposure:
        """The keys a compromised ``node`` saw (see :func:`kvant.network.exposed_keys`)."""
        from kvant.network._exposure import exposed_keys

        return exposed_keys(self, node, since_s=since_s, until_s=until_s)

    def materialise(self, epoch: int, *, max_steps: int | None = None) -> list[DeliveredBatch]:
        """The key bytes relayed in a traced epoch (see :func:`kvant.network.materialise_epoch`)."""
        from kvant.network._exposure import materialise_epoch

        return materialise_epoch(self, epoch, max_steps=max_steps)

    def verify_traced_keys(self, *, max_steps: int | None = 1) -> int:
        """Materialise the first ``max_steps`` steps of every traced epoch (None: all), check
        both ends agree and the exposure model holds; return the keys checked."""
        from kvant.network._exposure import verify_keys

        return verify_keys(self, max_steps=max_steps)

    def with_timing(self, wall_s: float, verified_keys: int) -> SimulationResult:
        """A copy with the wall time and verified-key count set."""
        return replace(self, wall_s=wall_s, verified_keys=verified_keys)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form; inverse of :meth:`from_dict`."""
        data: dict[str, Any] = {name: getattr(self, name).tolist() for name in _ARRAYS}
        data.update(
            {
                "scenario": self.scenario.to_dict(),
                "config": self.config.to_dict(),
                "ledger": self.ledger.to_dict(),
                "traces": [t.to_dict() for t in self.traces],
                "wall_s": self.wall_s,
                "verified_keys": self.verified_keys,
            }
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulationResult:
        """Rebuild from :meth:`to_dict` output."""
        from kvant.network._simulation import SimulationConfig

        arrays = {name: _arr(data[name], dt, nd) for name, (dt, nd) in _ARRAYS.items()}
        return cls(
            scenario=Scenario.from_dict(data["scenario"]),
            config=SimulationConfig.from_dict(data["config"]),
            ledger=KeyLedger.from_dict(data["ledger"]),
            traces=tuple(EpochTrace.from_dict(t) for t in data["traces"]),
            wall_s=float(data["wall_s"]),
            verified_keys=int(data["verified_keys"]),
            **arrays,
        )
