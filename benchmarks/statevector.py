"""State-vector engines side by side: kvant's Numba engine against Qiskit Aer, Qulacs and qsim.

Circuits (``--sizes``, default 20 and 24 qubits): (a) ``hcz``: H on every qubit then a CZ
ladder, 20 times; (b) ``qv``: quantum volume, n layers of Haar-random SU(4) on random pairs;
(c) ``qft``: the quantum Fourier transform (H, controlled phases, final swaps); (d) ``clifford_t``:
20 layers of random {H, S, S+, T, T+, X} on every qubit then CX on random disjoint pairs.

Each tool computes the final state vector of the same circuit with every core
(``KVANT_BENCH_THREADS``, default all): kvant (``NumbaEngine``, complex64 and complex128),
Aer (``statevector`` method, single and double precision, default fusion), Qulacs
(complex128, OpenMP), qsim through qsimcirq (complex64, ``max_fused_gate_size=4``).

Times are medians over ``--repeats`` runs after one warm-up run, taken round-robin across tools
so that load from other processes hits all of them alike (the load average is recorded per
tool, and printed per row as the range over tools). CPU time (all threads of the process) is
recorded beside wall time, and the ratio is also given in CPU time: on a shared machine a run
whose threads wait for a core loses wall time but not CPU time. Neither is neutral under load:
tools that synchronise their threads once per gate (qsim, Qulacs, Aer: OpenMP) can lose more
than kvant, which synchronises once per pass (at a load average of 4, qsim at 20 qubits took
4-7 times as long as in ``results/statevector.json``, taken at 1.2-1.6), so quote ratios with
the load column and prefer runs at a load average below 1. A tool whose warm-up shows it would
overrun ``--budget-s`` gets fewer runs (3, or 1 if one run is longer than the budget; recorded)
so that the default finishes in about ten minutes; ``--budget-s 1e9`` gives every tool
``--repeats`` runs. Aer in single precision is left out by default (``--tools`` adds it): on
H+CZ it is far slower than in double. Comparisons are at equal precision: kvant complex64
against qsim and Aer single, kvant complex128 against Aer double and Qulacs; the ratio is
kvant's median over the fastest such peer's. Bandwidth fraction: kvant's passes over the state
(one per window) times read+write of the state, per second, over the machine's measured copy
bandwidth (the better of one and all threads copying a 1 GiB array). JIT compile time is
measured in a fresh process with an empty Numba cache. At the smallest size each peer's state
is checked against kvant's (fidelity), so a conversion mistake cannot pass for speed.

GPU engines (kvant's CuPy engine against cuStateVec, 28-32 qubits) are measured by
``statevector_gpu.py``, which runs where CuPy and a CUDA device are present.

    python benchmarks/statevector.py --out benchmarks/results/statevector.json
    python benchmarks/statevector.py --sizes 20,24,26 --out results.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

_THREADS = os.environ.get("KVANT_BENCH_THREADS") or str(len(os.sched_getaffinity(0)))
os.environ.setdefault("OMP_NUM_THREADS", _THREADS)  # Qulacs reads it at import

from kvant.circuit import Circuit  # noqa: E402
from kvant.sim import NumbaEngine  # noqa: E402
from kvant.testing import random_unitary, state_fidelity  # noqa: E402

CIRCUITS = ("hcz", "qv", "qft", "clifford_t")
Runner = Callable[[], Any]


# circuits ------------------------------------------------------------------------------------
def hcz(n: int, depth: int = 20) -> Circuit:
    circuit = Circuit(n, name=f"hcz_{n}")
    for _ in range(depth):
        for q in range(n):
            circuit.h(q)
        for q in range(n - 1):
            circuit.cz(q, q + 1)
    return circuit


def quantum_volume(n: int, seed: int = 7) -> Circuit:
    rng = np.random.default_rng(seed)
    circuit = Circuit(n, name=f"qv_{n}")
    for _ in range(n):
        order = rng.permutation(n)
        for k in range(n // 2):
            u = random_unitary(2, seed=rng)
            u = u / np.linalg.det(u) ** 0.25  # SU(4)
            circuit.unitary(u, [int(order[2 * k]), int(order[2 * k + 1])])
    return circuit


def qft(n: int) -> Circuit:
    circuit = Circuit(n, name=f"qft_{n}")
    for j in reversed(range(n)):
        circuit.h(j)
        for k in reversed(range(j)):
            circuit.cp(math.pi / 2 ** (j - k), k, j)
    for q in range(n // 2):
        circuit.swap(q, n - 1 - q)
    return circuit


def clifford_t(n: int, depth: int = 20, seed: int = 11) -> Circuit:
    rng = np.random.default_rng(seed)
    circuit = Circuit(n, name=f"clifford_t_{n}")
    for _ in range(depth):
        for q in range(n):
            circuit.gate(str(rng.choice(["h", "s", "sdg", "t", "tdg", "x"])), [q])
        order = rng.permutation(n)
        for k in range(n // 2):
            circuit.cx(int(order[2 * k]), int(order[2 * k + 1]))
    return circuit


BUILD = {"hcz": hcz, "qv": quantum_volume, "qft": qft, "clifford_t": clifford_t}


# peers ---------------------------------------------------------------------------------------
def _qiskit(circuit: Circuit, precision: str, threads: int) -> tuple[Runner, Callable[[], Any]]:
    from qiskit import QuantumCircuit, transpile
    from qiskit_aer import AerSimulator

    qc = QuantumCircuit(circuit.num_qubits)
    for op in circuit:
        if op.name == "unitary":  # Qiskit puts its first qarg on the least significant bit
            qc.unitary(op.unitary_matrix(), list(reversed(op.qubits)))
        else:
            getattr(qc, op.name)(*op.numeric_params(), *op.qubits)
    qc.save_statevector()
    sim = AerSimulator(method="statevector", precision=precision, max_parallel_threads=threads)
    compiled = transpile(qc, sim, optimization_level=0)

    def run() -> Any:
        return sim.run(compiled, shots=1).result().get_statevector()

    return run, lambda: np.asarray(run())


def _qulacs(circuit: Circuit, threads: int) -> tuple[Runner, Callable[[], Any]]:
    import qulacs
    from qulacs.gate import DiagonalMatrix

    n = circuit.num_qubits
    qc = qulacs.QuantumCircuit(n)
    names = {"h": "H", "x": "X", "s": "S", "sdg": "Sdag", "t": "T", "tdg": "Tdag",
             "cz": "CZ", "cx": "CNOT", "swap": "SWAP"}  # fmt: skip
    for op in circuit:
        if op.name == "cp":
            phase = np.exp(1j * op.numeric_params()[0])
            qc.add_gate(DiagonalMatrix(list(op.qubits), [1, 1, 1, phase]))
        elif op.name == "unitary":  # target_list[0] is the least significant bit
            qc.add_dense_matrix_gate(list(reversed(op.qubits)), op.unitary_matrix())
        else:
            getattr(qc, f"add_{names[op.name]}_gate")(*op.qubits)

    def run() -> Any:
        state = qulacs.QuantumState(n)
        qc.update_quantum_state(state)
        return state

    return run, lambda: run().get_vector()


def _qsim(circuit: Circuit, threads: int) -> tuple[Runner, Callable[[], Any]]:
    import cirq
    import qsimcirq

    qubits = cirq.LineQubit.range(circuit.num_qubits)
    gates = {"h": cirq.H, "x": cirq.X, "s": cirq.S, "sdg": cirq.S**-1, "t": cirq.T,
             "tdg": cirq.T**-1, "cz": cirq.CZ, "cx": cirq.CNOT, "swap": cirq.SWAP}  # fmt: skip
    ops = []
    for op in circuit:
        targets = [qubits[q] for q in op.qubits]
        if op.name == "cp":
            ops.append(cirq.CZPowGate(exponent=op.numeric_params()[0] / math.pi).on(*targets))
        elif op.name == "unitary":  # MatrixGate: first qubit most significant, like kvant
            ops.append(cirq.MatrixGate(op.unitary_matrix()).on(*targets))
        else:
            ops.append(gates[op.name].on(*targets))
    cirq_circuit = cirq.Circuit(ops)
    options = qsimcirq.QSimOptions(max_fused_gate_size=4, cpu_threads=threads)
    sim = qsimcirq.QSimSimulator(options)

    def run() -> Any:
        return sim.simulate(cirq_circuit, qubit_order=qubits)

    def state() -> Any:  # qsim orders qubit 0 most significant: reverse to little-endian
        vector = np.asarray(run().final_state_vector)
        n = circuit.num_qubits
        return vector.reshape((2,) * n).transpose(range(n - 1, -1, -1)).reshape(-1)

    return run, state


def _kvant(circuit: Circuit, dtype: str, threads: int) -> tuple[Runner, Callable[[], Any]]:
    engine = NumbaEngine(dtype, num_threads=threads)

    def run() -> Any:
        return engine.run(circuit).state_vector

    return run, run


TOOLS: dict[str, tuple[str, Callable[[Circuit, int], tuple[Runner, Callable[[], Any]]]]] = {
    "kvant c64": ("complex64", lambda c, t: _kvant(c, "complex64", t)),
    "kvant c128": ("complex128", lambda c, t: _kvant(c, "complex128", t)),
    "qsim": ("complex64", _qsim),
    "aer single": ("complex64", lambda c, t: _qiskit(c, "single", t)),
    "aer double": ("complex128", lambda c, t: _qiskit(c, "double", t)),
    "qulacs": ("complex128", _qulacs),
}


# measurement ---------------------------------------------------------------------------------
def copy_bandwidth(threads: int, size_bytes: int = 1 << 30) -> dict[str, float]:
    """Read+write bytes per second of ``numpy.copyto``: one thread, and ``threads`` threads on
    disjoint halves (NumPy releases the GIL while copying)."""
    src = np.ones(size_bytes // 8, dtype=np.float64)
    dst = np.empty_like(src)
    parts = np.array_split(np.arange(src.shape[0]), threads)

    def one() -> None:
        np.copyto(dst, src)

    def many() -> None:
        def copy(part: Any) -> None:
            np.copyto(dst[part[0] : part[-1] + 1], src[part[0] : part[-1] + 1])

        workers = [threading.Thread(target=copy, args=(p,)) for p in parts]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    out = {}
    for name, fn in (("one_thread", one), ("all_threads", many)):
        fn()
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        out[f"{name}_bytes_per_s"] = 2 * src.nbytes / float(np.median(times))
    return out


def compile_seconds() -> dict[str, float]:
    """JIT compile time per precision in a fresh process with an empty Numba cache, and the
    time to load the cached kernels in another fresh process."""
    code = (
        "import json, time; from kvant.sim import NumbaEngine; "
        "print(json.dumps({d: NumbaEngine(d).warm_up() for d in ('complex64', 'complex128')}))"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = json.loads(subprocess.check_output([sys.executable, "-c", code], env=env))
        warm = json.loads(subprocess.check_output([sys.executable, "-c", code], env=env))
    return {f"cold_{k}_s": v for k, v in cold.items()} | {
        f"cached_{k}_s": v for k, v in warm.items()
    }


def time_tools(runners: dict[str, Runner], repeats: int, budget_s: float) -> dict[str, Any]:
    """Median wall time of each runner. One warm-up run each; then the timed runs go round-robin
    (one run of every tool per round) so that a change in machine load hits all tools alike. A
    tool whose warm-up shows it would overrun ``budget_s`` gets fewer runs: 3, or 1 when a
    single run takes longer than the budget."""
    planned = {}
    for tool, run in runners.items():
        start = time.perf_counter()
        run()
        warm = time.perf_counter() - start
        if warm * repeats <= budget_s:
            planned[tool] = repeats
        else:  # at least 3 runs, unless one run alone overruns the budget
            planned[tool] = 1 if warm > budget_s else max(3, int(budget_s / warm))
    times: dict[str, list[float]] = {tool: [] for tool in runners}
    cpu: dict[str, list[float]] = {tool: [] for tool in runners}
    loads: dict[str, list[float]] = {tool: [] for tool in runners}
    for round_ in range(max(planned.values(), default=0)):
        for tool, run in runners.items():
            if round_ >= planned[tool]:
                continue
            loads[tool].append(os.getloadavg()[0])
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            times[tool].append(time.perf_counter() - start)
            cpu[tool].append(time.process_time() - start_cpu)
    return {
        tool: {
            "median_s": float(np.median(times[tool])),
            "cpu_median_s": float(np.median(cpu[tool])),
            "runs": len(times[tool]),
            "times_s": times[tool],
            "cpu_times_s": cpu[tool],
            "load_average": float(np.mean(loads[tool])),
        }
        for tool in runners
    }


def bench(args: argparse.Namespace) -> dict[str, Any]:
    threads = int(_THREADS)
    report: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "threads": threads,
            "load_average_start": os.getloadavg(),
        },
        "gpu": "see statevector_gpu.py",
        "results": [],
    }
    report["machine"]["copy_bandwidth"] = copy_bandwidth(threads)
    best_copy = max(report["machine"]["copy_bandwidth"].values())
    report["jit_compile"] = compile_seconds()
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        for name in args.circuits.split(","):
            circuit = BUILD[name](n)
            row: dict[str, Any] = {"circuit": name, "qubits": n, "gates": len(circuit), "tools": {}}
            states: dict[str, Any] = {}
            runners: dict[str, Runner] = {}
            for tool in args.tools.split(","):
                precision, make = TOOLS[tool]
                runners[tool], state = make(circuit, threads)
                row["tools"][tool] = {"precision": precision}
                if n == sizes[0]:
                    states[tool] = np.asarray(state())
            for tool, timing in time_tools(runners, args.repeats, args.budget_s).items():
                row["tools"][tool] |= timing
                print(f"{name:10s} n={n} {tool:11s} {timing['median_s']:.3f} s", flush=True)
            reference = next((t for t in ("kvant c128", "kvant c64") if t in states), None)
            if reference is not None:  # against kvant's most precise state in this run
                row[f"fidelity_vs_{reference.replace(' ', '_')}"] = {
                    t: state_fidelity(states[reference], s) for t, s in states.items()
                }
            describe = NumbaEngine("complex64").describe(circuit)
            row["kvant_plan"] = describe
            for dtype in ("complex64", "complex128"):
                ours = f"kvant c{dtype[7:]}"
                if ours not in row["tools"]:
                    continue
                peers = {
                    t: v["median_s"]
                    for t, v in row["tools"].items()
                    if v["precision"] == dtype and not t.startswith("kvant")
                }
                median = row["tools"][ours]["median_s"]
                cpu_median = row["tools"][ours]["cpu_median_s"]
                passes = NumbaEngine(dtype).describe(circuit)["passes"]
                moved = passes * 2 * (1 << n) * np.dtype(dtype).itemsize
                entry = {"passes": passes, "bandwidth_fraction": moved / median / best_copy}
                if peers:
                    fastest = min(peers, key=peers.__getitem__)
                    entry |= {
                        "fastest_peer": fastest,
                        "ratio": median / peers[fastest],
                        "cpu_ratio": cpu_median / row["tools"][fastest]["cpu_median_s"],
                    }
                row[f"kvant_{dtype}"] = entry
            report["results"].append(row)
    report["machine"]["load_average_end"] = os.getloadavg()
    return report


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    tools = list(report["results"][0]["tools"]) if report["results"] else []
    table = Table(title="State-vector engines: median seconds (runs), kvant/fastest peer")
    columns = [
        "circuit", "n", *tools, "c64 ratio (cpu)", "c128 ratio (cpu)", "BW c64", "passes", "load",
    ]  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for row in report["results"]:
        cells = [row["circuit"], str(row["qubits"])]
        cells += [f"{row['tools'][t]['median_s']:.3f} ({row['tools'][t]['runs']})" for t in tools]
        for dtype in ("complex64", "complex128"):
            entry = row.get(f"kvant_{dtype}", {})
            cells.append(
                f"{entry['ratio']:.2f} ({entry['cpu_ratio']:.2f}) vs {entry['fastest_peer']}"
                if "ratio" in entry
                else "-"
            )
        entry = row.get("kvant_complex64", {})
        cells.append(f"{entry.get('bandwidth_fraction', float('nan')):.0%}")
        cells.append(str(row["kvant_plan"]["passes"]))
        loads = [row["tools"][t]["load_average"] for t in tools]
        cells.append(f"{min(loads):.1f}-{max(loads):.1f}")
        table.add_row(*cells)
    console = Console(width=200)
    console.print(table)
    machine = report["machine"]
    copy = machine["copy_bandwidth"]
    console.print(
        f"copy bandwidth: {copy['one_thread_bytes_per_s'] / 1e9:.1f} GB/s (1 thread), "
        f"{copy['all_threads_bytes_per_s'] / 1e9:.1f} GB/s ({machine['threads']} threads); "
        f"load average {machine['load_average_start'][0]:.2f} -> "
        f"{machine['load_average_end'][0]:.2f}"
    )
    console.print(
        "JIT compile: " + ", ".join(f"{k} {v:.1f} s" for k, v in report["jit_compile"].items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20,24", help="qubit counts, e.g. 20,24,26")
    parser.add_argument("--circuits", default=",".join(CIRCUITS))
    parser.add_argument(
        "--tools",
        default=",".join(t for t in TOOLS if t != "aer single"),
        help=f"comma-separated, from: {', '.join(TOOLS)} (Aer single precision is slow on "
        "H+CZ, about 2 minutes a run at 24 qubits here, so it is not in the default)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs after a warm-up")
    parser.add_argument("--budget-s", type=float, default=30.0, help="time per tool and circuit")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    args = parser.parse_args()
    report = bench(args)
    print_table(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
