"""GPU state-vector engines side by side: kvant's CuPy engine against cuStateVec.

The circuits of ``statevector.py`` (H+CZ depth 20, quantum volume, QFT, Clifford+T) at 28, 30
and 32 qubits (``--sizes``). kvant runs :class:`~kvant.sim.CupyEngine` (fused blocks, one kernel
per shared-memory window); cuStateVec (``cuquantum``'s Python bindings) applies the same gates
one by one with ``apply_matrix``, as a user of that library would. Times are medians of
``--repeats`` runs after a warm-up, synchronised on the device, without host transfers.

Also reported: the device's copy bandwidth (a 2**30-element complex64 copy, read + write), the
time of one pass (a single H), and kvant's bandwidth fraction per circuit: passes x read+write
of the state per second over the copy bandwidth. Without CuPy and a CUDA device (or without
cuquantum for the peer) the script says so and writes that reason to the JSON.

    python benchmarks/statevector_gpu.py --out benchmarks/results/statevector_gpu.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kvant.circuit import Circuit
from kvant.sim._backends import gpu_unavailable_reason

sys.path.insert(0, str(Path(__file__).resolve().parent))
from statevector import BUILD, CIRCUITS


def _median_time(run: Callable[[], Any], sync: Callable[[], None], repeats: int) -> float:
    run()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _copy_bandwidth(cupy: Any) -> float:
    arrays = [cupy.ones(1 << 30, dtype=cupy.complex64)]
    arrays.append(cupy.empty_like(arrays[0]))
    seconds = _median_time(
        lambda: cupy.copyto(arrays[1], arrays[0]), cupy.cuda.Device().synchronize, 5
    )
    arrays.clear()
    cupy.get_default_memory_pool().free_all_blocks()
    return 2 * (8 << 30) / seconds


def _custatevec_runner(circuit: Circuit, cupy: Any) -> tuple[Callable[[], Any], Any]:
    """Gate-by-gate cuStateVec (complex64); raises ImportError without cuquantum."""
    from cuquantum import ComputeType, cudaDataType
    from cuquantum import custatevec as cusv

    n = circuit.num_qubits
    handle = cusv.create()
    state = cupy.zeros(1 << n, dtype=cupy.complex64)
    gates = []
    for op in circuit:
        matrix = np.ascontiguousarray(op.unitary_matrix(), dtype=np.complex64)
        gates.append((matrix, list(reversed(op.qubits))))  # kvant: first qubit most significant

    def run() -> Any:
        state.fill(0)
        state[0] = 1
        for matrix, targets in gates:
            cusv.apply_matrix(
                handle, state.data.ptr, cudaDataType.CUDA_C_32F, n, matrix.ctypes.data,
                cudaDataType.CUDA_C_32F, cusv.MatrixLayout.ROW, 0, targets, len(targets),
                [], 0, 0, ComputeType.COMPUTE_32F, 0, 0,
            )  # fmt: skip
        return state

    return run, handle


def bench(args: argparse.Namespace) -> dict[str, Any]:
    reason = gpu_unavailable_reason()
    if reason is not None:
        return {"skipped": f"no GPU run: {reason}"}
    import cupy

    from kvant.sim import CupyEngine

    sync = cupy.cuda.Device().synchronize
    props = cupy.cuda.runtime.getDeviceProperties(0)
    copy_bps = _copy_bandwidth(cupy)
    report: dict[str, Any] = {
        "device": props["name"].decode() if isinstance(props["name"], bytes) else props["name"],
        "copy_bandwidth_bytes_per_s": copy_bps,
        "peer": None,
        "results": [],
    }
    have_peer = importlib.util.find_spec("cuquantum") is not None
    report["peer"] = "cuStateVec" if have_peer else "skipped: cuquantum is not installed"
    for n in (int(s) for s in args.sizes.split(",")):
        for dtype in args.precisions.split(","):
            engine = CupyEngine(dtype)
            one_pass = _median_time(lambda e=engine, n=n: e.simulate(Circuit(n).h(0)), sync, 3)
            for name in args.circuits.split(","):
                circuit = BUILD[name](n)
                passes = len(engine.plan(circuit))
                seconds = _median_time(
                    lambda e=engine, c=circuit: e.simulate(c), sync, args.repeats
                )
                moved = passes * 2 * (1 << n) * np.dtype(dtype).itemsize
                row = {"circuit": name, "qubits": n, "precision": dtype, "gates": len(circuit),
                       "kvant_s": seconds, "passes": passes, "one_pass_s": one_pass,
                       "bandwidth_fraction": moved / seconds / copy_bps}  # fmt: skip
                if have_peer and dtype == "complex64":
                    try:
                        run, _ = _custatevec_runner(circuit, cupy)
                        row["custatevec_s"] = _median_time(run, sync, max(1, args.repeats // 2))
                        row["ratio"] = seconds / row["custatevec_s"]
                    except Exception as exc:  # report the peer's failure, keep kvant's row
                        row["custatevec_s"] = f"failed: {type(exc).__name__}: {exc}"
                    cupy.get_default_memory_pool().free_all_blocks()
                print(json.dumps(row), flush=True)
                report["results"].append(row)
            del engine
            cupy.get_default_memory_pool().free_all_blocks()
    return report


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if "skipped" in report:
        console.print(f"GPU benchmark {report['skipped']}")
        return
    table = Table(title=f"GPU state vector on {report['device']}: median seconds")
    for column in ("circuit", "n", "precision", "kvant", "passes", "BW", "cuStateVec", "ratio"):
        table.add_column(column, justify="right")
    for row in report["results"]:
        peer = row.get("custatevec_s", "-")
        table.add_row(
            row["circuit"], str(row["qubits"]), row["precision"], f"{row['kvant_s']:.3f}",
            str(row["passes"]), f"{row['bandwidth_fraction']:.0%}",
            f"{peer:.3f}" if isinstance(peer, float) else str(peer),
            f"{row['ratio']:.2f}" if "ratio" in row else "-",
        )  # fmt: skip
    console.print(table)
    console.print(f"copy bandwidth {report['copy_bandwidth_bytes_per_s'] / 1e12:.2f} TB/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="28,30,32")
    parser.add_argument("--circuits", default=",".join(CIRCUITS))
    parser.add_argument("--precisions", default="complex64,complex128")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report = bench(args)
    print_table(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
