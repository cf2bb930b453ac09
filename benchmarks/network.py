"""QKD network simulation throughput: 24 h at 1-second steps, and scaling with network size.

Target (issue 8): 24 hours of the ``moscow-spb`` backbone plus the 50-node regional mesh at
1-second resolution in <= 10 s on 2 cores. Each case runs in a fresh process (one thread for
NumPy/Numba), after one short warm-up run that loads the compiled kernels from Numba's cache;
the figure is the median wall time of ``simulate`` over ``--repeats`` runs, with the peak RSS of
the process and the cold time of the first (warm-up) call. Scaling uses ``regional-mesh-N``
(N trusted nodes plus N/10 dual-homed user sites, one demand per user site).

    python benchmarks/network.py --out benchmarks/results/network.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from kvant.network import SimulationConfig, preset_scenario, simulate
import_s = time.perf_counter() - t0
name, hours, routing, repeats = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
scenario = preset_scenario(name)
t = time.perf_counter()
simulate(scenario, SimulationConfig(duration_s=60, routing=routing))
first_call_s = time.perf_counter() - t
cfg = SimulationConfig(duration_s=hours * 3600, step_s=1.0, routing=routing)
times, result = [], None
for _ in range(repeats):
    t = time.perf_counter()
    result = simulate(scenario, cfg)
    times.append(time.perf_counter() - t)
s = result.summary()
print(json.dumps({
    "scenario": name, "routing": routing, "hours": hours, "steps": s["steps"],
    "epochs": s["epochs"], "nodes": s["nodes"], "links": s["links"],
    "demands": len(scenario.demands), "times_s": times, "import_s": import_s,
    "first_call_s": first_call_s, "delivered_bps": s["delivered_bps"],
    "blocked_fraction": s["blocked_fraction"], "keys_delivered": s["keys_delivered"],
    "keys_verified": s["keys_verified"], "conservation_ok": s["conservation_ok"],
    "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""


def _case(name: str, hours: float, routing: str, repeats: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    cmd = [sys.executable, "-c", CHILD, name, str(hours), routing, str(repeats)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    row = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    row["median_s"] = statistics.median(row["times_s"])
    row["steps_per_s"] = row["steps"] / row["median_s"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument(
        "--sizes", default="50,100,200,500,1000", help="trusted nodes of the scaling meshes"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()
    target = [
        _case("moscow-spb", args.hours, "shortest", args.repeats),
        _case("regional-mesh", args.hours, "shortest", args.repeats),
    ]
    target_total = sum(r["median_s"] for r in target)
    extra = [_case("regional-mesh", args.hours, "multipath", args.repeats)]
    scaling = []
    for n in (int(x) for x in args.sizes.split(",") if x):
        repeats = args.repeats if n <= 200 else 1
        scaling.append(_case(f"regional-mesh-{n}", args.hours, "shortest", repeats))
    load_after = os.getloadavg()
    rows = target + extra + scaling
    header = (
        f"{'scenario':<22}{'routing':<10}{'nodes':>6}{'links':>6}{'dem':>5}"
        f"{'steps':>8}{'median s':>10}{'steps/s':>10}{'blocked':>9}{'RSS MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scenario']:<22}{r['routing']:<10}{r['nodes']:>6}{r['links']:>6}"
            f"{r['demands']:>5}{r['steps']:>8}{r['median_s']:>10.2f}{r['steps_per_s']:>10.0f}"
            f"{100 * r['blocked_fraction']:>8.1f}%{r['max_rss_bytes'] / 2**20:>8.0f}"
        )
    verdict = "meets" if target_total <= 10.0 else "misses"
    print(
        f"\n24 h moscow-spb + 50-node mesh at 1 s: {target_total:.2f} s (median of "
        f"{args.repeats}; target <= 10 s: {verdict})"
    )
    print(
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}; "
        f"{os.cpu_count()} CPUs; total {time.perf_counter() - started:.0f} s"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "benchmark": "network",
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "load_average_before": load_before,
                    "load_average_after": load_after,
                    "target_case_total_s": target_total,
                    "target_s": 10.0,
                    "target": target,
                    "multipath": extra,
                    "scaling": scaling,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
