"""The full datasheet of kvant-50: every qubit and coupler, QV up to the largest passing width.

Runs ``kvant.bench.measure_device("kvant-50", SuiteConfig())`` (readout, T1, T2*, T2, 1-qubit
RB on all 50 qubits, 2-qubit RB and interleaved RB of CZ on all 85 couplers, QV from width 2
until a width fails, XEB on a 5-qubit line), writes the datasheet, and prints the time of each
experiment (wall and process CPU) and how well the suite recovers what the noise model
injects: median and largest relative error of T1, T2, T2*, the 1-qubit error per gate (vs the
``sx`` channel's average gate infidelity) and the CZ error from interleaved RB (vs the ``cz``
channel's), and the fraction of readout errors within 3 standard errors.

Targets (issue #5): the whole datasheet in <= 10 minutes on 2 cores, aim for 2; median
relative error of T1 and T2 <= 5 %; RB error per gate within 10 %; readout within 3 stderr.

    python benchmarks/datasheet.py --out benchmarks/results/datasheet.json [--html DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from kvant.bench import STAGES, SuiteConfig, measure_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Write the results as JSON here.")
    parser.add_argument("--html", type=Path, help="Also write the datasheet (JSON+HTML) here.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    stamps: dict[str, tuple[float, float]] = {}
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    last = [start_wall, start_cpu]

    def progress(stage: str, done: int, total: int) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        stamps[stage] = (wall - last[0], cpu - last[1])
        last[:] = [wall, cpu]
        print(f"  {stage:<10} {wall - start_wall:7.1f} s", flush=True)

    sheet, _ = measure_device("kvant-50", SuiteConfig(seed=args.seed), progress=progress)
    total_wall = time.perf_counter() - start_wall
    total_cpu = time.process_time() - start_cpu
    if args.html is not None:
        from kvant.report import write_datasheet

        write_datasheet(sheet, args.html)

    recovery: dict[str, Any] = {}
    for name in ("t1_us", "t2_us", "t2_star_us", "epg_1q", "error_cz", "readout_error"):
        pairs = sheet.compare_injected(name)
        rel = np.array([m / i - 1 for _, m, _, i in pairs])
        within = np.array([abs(m - i) <= 3 * e for _, m, e, i in pairs])
        recovery[name] = {
            "compared": len(pairs),
            "median_abs_relative_error": float(np.median(np.abs(rel))),
            "max_abs_relative_error": float(np.max(np.abs(rel))),
            "within_10_percent": float(np.mean(np.abs(rel) <= 0.10)),
            "within_3_stderr": float(np.mean(within)),
            "bad_fits": sum(not m.good for m in sheet.find(name)),
        }
    slowest = max(STAGES, key=lambda s: stamps[s][0])
    summary = sheet.summary()
    results = {
        "device": "kvant-50",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "total_wall_s": total_wall,
        "total_cpu_s": total_cpu,
        "stages": {s: {"wall_s": stamps[s][0], "cpu_s": stamps[s][1]} for s in STAGES},
        "slowest_stage": slowest,
        "quantum_volume": sheet.get("quantum_volume").value,
        "qv": [r.to_dict() for r in sheet.qv],
        "medians": {k: v["median"] for k, v in summary.items()},
        "recovery": recovery,
        "bad_fits": sum(not m.good for m in sheet.metrics),
    }
    print(
        f"\nkvant-50 datasheet: {total_wall:.1f} s wall, {total_cpu:.1f} s CPU "
        f"(slowest: {slowest}, {stamps[slowest][0]:.1f} s); QV = {results['quantum_volume']:g}"
    )
    print(
        f"{'metric':<14}{'median':>12}{'median |rel err|':>18}{'max':>8}{'<=10 %':>8}{'<=3 se':>8}"
    )
    for name, r in recovery.items():
        median = summary[name]["median"]
        print(
            f"{name:<14}{median:>12.4g}{100 * r['median_abs_relative_error']:>17.1f}%"
            f"{100 * r['max_abs_relative_error']:>7.0f}%{100 * r['within_10_percent']:>7.0f}%"
            f"{100 * r['within_3_stderr']:>7.0f}%"
        )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
