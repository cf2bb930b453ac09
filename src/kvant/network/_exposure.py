"""Security analysis of relayed keys: which nodes saw which keys, and the key bytes themselves.

In trusted-node relay every node on a key's path holds it in the clear at some point
(:mod:`kvant.network._relay`). The simulation's :class:`~kvant.network.KeyLedger` records the
path of every run of keys, so the question "node X is compromised (since time t): which
end-to-end keys must be revoked?" has an exact answer, :func:`exposed_keys`.

:func:`materialise_epoch` replays a traced epoch's withdrawals over the link key streams and
relays the key bytes hop by hop with :func:`~kvant.network.xor_relay`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from kvant.errors import NetworkError
from kvant.network._pools import LinkKeyStream
from kvant.network._relay import RelayTranscript, xor_relay

if TYPE_CHECKING:
    from kvant.network._results import SimulationResult

__all__ = [
    "DeliveredBatch",
    "Exposure",
    "KeyRange",
    "exposed_keys",
    "materialise_epoch",
    "verify_keys",
]


@dataclass(frozen=True)
class KeyRange:
    """A run of consecutive keys of one demand that went over one path.

    Attributes:
        demand: The demand's name.
        first_key: Number of the first key (each demand numbers its keys from 0).
        num_keys: How many.
        start_s: Start of the routing epoch they were delivered in.
        end_s: End of that epoch.
        path: Node names of the path, source first.
        role: ``"relay"`` if the node relayed them, ``"endpoint"`` if it is an end.
    """

    demand: str
    first_key: int
    num_keys: int
    start_s: float
    end_s: float
    path: tuple[str, ...]
    role: Literal["relay", "endpoint"]

    def key_ids(self) -> list[str]:
        """Key ids ``"<demand>#<number>"`` of the range."""
        return [f"{self.demand}#{n}" for n in range(self.first_key, self.first_key + self.num_keys)]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "demand": self.demand,
            "first_key": self.first_key,
            "num_keys": self.num_keys,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "path": list(self.path),
            "role": self.role,
        }


@dataclass(frozen=True)
class Exposure:
    """Keys a node saw.

    Attributes:
        node: The node.
        ranges: The runs of keys, in delivery order.
        key_size_bits: Size of each key.
    """

    node: str
    ranges: tuple[KeyRange, ...]
    key_size_bits: int

    @property
    def num_keys(self) -> int:
        """Keys exposed."""
        return sum(r.num_keys for r in self.ranges)

    @property
    def relayed_keys(self) -> int:
        """Keys the node relayed (not its own)."""
        return sum(r.num_keys for r in self.ranges if r.role == "relay")

    def by_demand(self) -> dict[str, int]:
        """Demand name -> keys exposed."""
        out: dict[str, int] = {}
        for r in self.ranges:
            out[r.demand] = out.get(r.demand, 0) + r.num_keys
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "node": self.node,
            "num_keys": self.num_keys,
            "relayed_keys": self.relayed_keys,
            "bits": self.num_keys * self.key_size_bits,
            "by_demand": self.by_demand(),
            "ranges": [r.to_dict() for r in self.ranges],
        }


def exposed_keys(
    result: SimulationResult,
    node: str,
    *,
    since_s: float | None = None,
    until_s: float | None = None,
) -> Exposure:
    """Every delivered key whose path includes ``node`` (a "node compromised" query).

    Args:
        result: A simulation result.
        node: The compromised node.
        since_s: Only keys of epochs ending after this time.
        until_s: Only keys of epochs starting before this time.

    Returns:
        The exposure, key runs in delivery order.

    Raises:
        TopologyError: for an unknown node.

    >>> from kvant.network import SimulationConfig, moscow_spb, simulate
    >>> res = simulate(moscow_spb(), SimulationConfig(duration_s=300))
    >>> exp = res.exposed_keys("Bologoye")
    >>> sorted(exp.by_demand()) == ["Moscow->St Petersburg", "Tver->St Petersburg"]
    True
    """
    scenario = result.scenario
    scenario.topology.node_index(node)
    ledger, step = result.ledger, result.config.step_s
    on_path = np.array([node in p for p in ledger.paths], dtype=bool)
    rows = ledger.rows
    if not len(ledger):
        return Exposure(node, (), result.config.key_size_bits)
    keep = on_path[rows[:, 2]]
    starts = result.epoch_steps[rows[:, 0]] * step
    ends = result.epoch_steps[rows[:, 0] + 1] * step
    if since_s is not None:
        keep &= ends > since_s
    if until_s is not None:
        keep &= starts < until_s
    names = [d.name for d in scenario.demands]
    ranges = []
    for i in np.flatnonzero(keep):
        _, d, p, first, n = (int(x) for x in rows[i])
        path = ledger.paths[p]
        role: Literal["relay", "endpoint"] = "endpoint" if node in (path[0], path[-1]) else "relay"
        ranges.append(KeyRange(names[d], first, n, float(starts[i]), float(ends[i]), path, role))
    return Exposure(node, tuple(ranges), result.config.key_size_bits)


@dataclass(frozen=True)
class DeliveredBatch:
    """Keys of one demand relayed over one path in one step, as real bytes.

    Attributes:
        demand: The demand's name.
        step: The step.
        first_key: Number of the first key.
        path: Node names, source first.
        transcript: The relay of the concatenated keys (XOR acts byte by byte, so relaying the
            concatenation is relaying each key).
        key_size_bytes: Size of one key.
    """

    demand: str
    step: int
    first_key: int
    path: tuple[str, ...]
    transcript: RelayTranscript
    key_size_bytes: int

    @property
    def keys(self) -> NDArray[np.uint8]:
        """The keys at the source, shape (keys, key_size_bytes)."""
        return self.transcript.source_key.reshape(-1, self.key_size_bytes)

    @property
    def destination_keys(self) -> NDArray[np.uint8]:
        """The keys as the destination decrypted them."""
        return self.transcript.destination_key.reshape(-1, self.key_size_bytes)


def materialise_epoch(
    result: SimulationResult, epoch: int, *, max_steps: int | None = None
) -> list[DeliveredBatch]:
    """Relay, on real bytes, every key delivered in a traced epoch.

    The pools are FIFOs over each link's :class:`~kvant.network.LinkKeyStream` (seeded by the
    configuration's ``seed``); the kernel withdraws step by step, path slot by path slot, so the
    bits each key took on each hop follow from the epoch's start positions and grants.

    Args:
        result: A simulation result.
        epoch: A traced epoch (see ``SimulationConfig.trace_epochs`` / ``verify_epochs``).
        max_steps: Materialise only the epoch's first ``max_steps`` steps (None: all).

    Returns:
        One batch per (step, path) with keys.

    Raises:
        NetworkError: if the epoch was not traced.
    """
    trace = next((t for t in result.traces if t.epoch == epoch), None)
    if trace is None:
        traced = sorted(t.epoch for t in result.traces)
        raise NetworkError(
            f"epoch {epoch} was not traced (traced: {traced}); simulate with "
            f"SimulationConfig(trace_epochs=({epoch},))"
        )
    kb, seed = result.config.key_size_bits, result.config.seed
    names = [d.name for d in result.scenario.demands]
    streams: dict[int, LinkKeyStream] = {}
    position = trace.head_bits.copy()
    rows = result.ledger.rows
    here = rows[rows[:, 0] == epoch]
    first = {(int(r[1]), int(r[2])): int(r[3]) for r in here}
    seen = np.zeros(trace.slot_hops.size, np.int64)
    out = []
    steps = trace.grants.shape[0] if max_steps is None else min(max_steps, trace.grants.shape[0])
    for k in range(steps):
        for s in np.flatnonzero(trace.grants[k]):
            g = int(trace.grants[k, s])
            bits = g * kb
            links = trace.slot_links[s, : trace.slot_hops[s]]
            keys = np.empty((links.size, bits // 8), np.uint8)
            for j, lk in enumerate(links):
                stream = streams.setdefault(int(lk), LinkKeyStream(seed, int(lk)))
                keys[j] = stream.bits(int(position[lk]), bits)
                position[lk] += bits
            path = result.ledger.paths[int(trace.path_ids[s])]
            d = int(trace.slot_demand[s])
            start = first.get((d, int(trace.path_ids[s])), 0) + int(seen[s])
            seen[s] += g
            out.append(
                DeliveredBatch(
                    names[d], trace.start_step + k, start, path, xor_relay(path, keys), kb // 8
                )
            )
    return out


def verify_keys(result: SimulationResult, *, max_steps: int | None = 1) -> int:
    """Materialise the traced epochs and check the relay: identical keys at both ends, every
    intermediate node able to compute them, the ciphertexts alone not.

    Args:
        result: A simulation result.
        max_steps: Steps checked per traced epoch, from its start (None: all).

    Returns:
        Keys checked.

    Raises:
        NetworkError: if any check fails (a bug, never an expected outcome).
    """
    checked = 0
    for trace in result.traces:
        for batch in materialise_epoch(result, trace.epoch, max_steps=max_steps):
            t = batch.transcript
            if not t.keys_agree():
                raise NetworkError(f"relay of {batch.demand} at step {batch.step}: keys differ")
            for node in t.intermediate_nodes:
                seen = t.node_key(node)
                if seen is None or not np.array_equal(seen, t.source_key):
                    raise NetworkError(f"node {node} should see the key it relays")
            if t.recover({}) is not None:
                raise NetworkError("the ciphertexts alone must not reveal the key")
            checked += batch.keys.shape[0]
    return checked
