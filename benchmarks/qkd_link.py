"""QKD link Monte Carlo throughput: kvant beside SeQUeNCe on comparable BB84 work.

Both simulate BB84 pulses with a weak coherent source (mu = 0.1), 10 km of 0.2 dB/km fibre and
two detectors, pinned to one CPU core. kvant's figure is pulses per second of the whole Monte
Carlo (sampling, detector dead time, counting per intensity and basis); SeQUeNCe's is pulses
emitted by its light source per second of wall time while running its BB84 protocol
(discrete-event simulation, sifting included). Memory: peak RSS and tracemalloc peak of kvant
runs of 1e7 and 1e8 pulses, each in a fresh process.

    python benchmarks/qkd_link.py --out benchmarks/results/qkd_link.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CHILD = r"""
import json, resource, sys, time, tracemalloc
t0 = time.perf_counter()
import numpy as np
from kvant.qkd._memory import apply_memory
apply_memory(np.zeros(1, np.int64), np.ones(1, np.uint8), 4, 1, 0.0, (0, -1, 0, 1))
compile_s = time.perf_counter() - t0
from kvant.qkd import DetectorConfig, FibreConfig, LinkConfig, protocol_source, simulate_tally
pulses, distance, dead_ns = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
trace = sys.argv[4] == "1"
detector = DetectorConfig(0.8, 1e-7, 0.0, dead_ns)
link = LinkConfig(protocol_source(sys.argv[5]), FibreConfig(distance), detector)
simulate_tally(link, 1 << 20, seed=0)  # warm-up
if trace:
    tracemalloc.start()
t = time.perf_counter()
tally = simulate_tally(link, pulses, seed=1)
seconds = time.perf_counter() - t
peak = tracemalloc.get_traced_memory()[1] if trace else None
print(json.dumps({"pulses": pulses, "seconds": seconds, "pulses_per_s": pulses / seconds,
                  "detections": sum(tally.detected), "import_and_jit_s": compile_s,
                  "tracemalloc_peak_bytes": peak,
                  "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def _kvant(
    pulses: int, distance_km: float, dead_ns: float, protocol: str, trace: bool = False
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-c",
        CHILD,
        str(pulses),
        str(distance_km),
        str(dead_ns),
        "1" if trace else "0",
        protocol,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _sequence(seconds_of_light: float, distance_km: float) -> dict[str, Any]:
    """Run SeQUeNCe's BB84 for a fixed amount of emitted light; count pulses emitted."""
    from sequence.components.optical_channel import ClassicalChannel, QuantumChannel
    from sequence.kernel.event import Event
    from sequence.kernel.process import Process
    from sequence.kernel.timeline import Timeline
    from sequence.qkd.BB84 import pair_bb84_protocols
    from sequence.topology.node import QKDNode

    class KeyCollector:
        def __init__(self) -> None:
            self.keys: list[int] = []

        def pop(self, info: Any = None, **kwargs: Any) -> None:  # SeQUeNCe's upper-protocol hook
            self.keys.append(info)

    tl = Timeline(int(1e12 * 100))
    tl.seed(1)
    alice = QKDNode("alice", tl, stack_size=1)
    bob = QKDNode("bob", tl, stack_size=1)
    pair_bb84_protocols(alice.protocol_stack[0], bob.protocol_stack[0])
    for name, a, b in (("qc_ab", alice, bob), ("qc_ba", bob, alice)):
        QuantumChannel(
            name, tl, attenuation=0.0002, distance=distance_km * 1e3, polarization_fidelity=0.99
        ).set_ends(a, b.name)
        ClassicalChannel("c" + name, tl, distance=distance_km * 1e3).set_ends(a, b.name)
    source = alice.components["alice.lightsource"]
    emitted = [0]
    original = source.emit

    def counting_emit(state_list: list[Any], *args: Any, **kwargs: Any) -> None:
        emitted[0] += len(state_list)
        original(state_list, *args, **kwargs)

    source.emit = counting_emit
    collector = KeyCollector()
    alice.protocol_stack[0].upper_protocols.append(collector)
    bob.protocol_stack[0].upper_protocols.append(KeyCollector())
    key_bits = int(seconds_of_light * source.frequency * source.mean_photon_num)
    tl.schedule(Event(0, Process(alice.protocol_stack[0], "push", [key_bits, 1, 10**14])))
    tl.init()
    start = time.perf_counter()
    tl.run()
    wall = time.perf_counter() - start
    return {
        "pulses": emitted[0],
        "seconds": wall,
        "pulses_per_s": emitted[0] / wall if wall else 0.0,
        "keys": len(collector.keys),
        "frequency_hz": source.frequency,
        "mean_photon_number": source.mean_photon_num,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write JSON here")
    parser.add_argument("--pulses", type=int, default=100_000_000, help="kvant pulses per run")
    parser.add_argument(
        "--sequence-light-s",
        type=float,
        default=0.01,
        help="seconds of SeQUeNCe light (at its 80 MHz clock) per run",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rows: list[dict[str, Any]] = []
    for protocol, distance, dead in (
        ("bb84", 10.0, 0.0),
        ("bb84", 10.0, 20.0),
        ("decoy-bb84", 0.0, 20.0),
        ("decoy-bb84", 50.0, 20.0),
        ("decoy-bb84", 100.0, 20.0),
    ):
        row = _kvant(args.pulses, distance, dead, protocol)
        rows.append(
            {
                "tool": "kvant",
                "protocol": protocol,
                "distance_km": distance,
                "dead_time_ns": dead,
                **row,
            }
        )
    try:
        seq = _sequence(args.sequence_light_s, 10.0)
        seq_row: dict[str, Any] = {
            "tool": "sequence",
            "protocol": "bb84",
            "distance_km": 10.0,
            **seq,
        }
    except Exception as exc:  # report why SeQUeNCe could not run, still measure kvant
        seq_row = {"tool": "sequence", "error": f"{type(exc).__name__}: {exc}"}
    rows.append(seq_row)
    memory = [_kvant(n, 50.0, 20.0, "decoy-bb84", trace=True) for n in (10**7, 10**8)]
    ratio = None
    if seq_row.get("pulses_per_s"):
        ratio = rows[0]["pulses_per_s"] / seq_row["pulses_per_s"]
    result = {
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor(),
            "cores_used": 1,
        },
        "throughput": rows,
        "kvant_over_sequence_bb84_10km": ratio,
        "memory": memory,
    }
    try:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="BB84 Monte Carlo throughput, one core")
        for col in ("tool", "protocol", "km", "dead ns", "pulses", "seconds", "pulses/s"):
            table.add_column(col, justify="right")
        for r in rows:
            if "error" in r:
                table.add_row(r["tool"], "error", "", "", "", "", r["error"][:60])
                continue
            table.add_row(
                r["tool"],
                r["protocol"],
                f"{r['distance_km']:g}",
                f"{r.get('dead_time_ns', float('nan')):g}",
                f"{r['pulses']:,}",
                f"{r['seconds']:.2f}",
                f"{r['pulses_per_s']:.3e}",
            )
        Console().print(table)
        mem = Table(title="kvant memory, decoy-bb84 at 50 km")
        for col in ("pulses", "peak RSS MiB", "tracemalloc peak MiB", "import+JIT s"):
            mem.add_column(col, justify="right")
        for m in memory:
            mem.add_row(
                f"{m['pulses']:,}",
                f"{m['max_rss_bytes'] / 2**20:.1f}",
                f"{m['tracemalloc_peak_bytes'] / 2**20:.1f}",
                f"{m['import_and_jit_s']:.2f}",
            )
        Console().print(mem)
        if ratio:
            Console().print(f"kvant / SeQUeNCe (BB84, 10 km): {ratio:,.0f}x")
    except ImportError:  # pragma: no cover
        print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
