"""Noisy emulation of kvant-50: kvant beside Stim alone and beside Qiskit Aer.

Target 1 (stabilizer): a 50-qubit random Clifford circuit on kvant-50 (depth 100: each layer a
random native Clifford ``rz(k pi/2)``/``sx``/``x`` on every qubit, then CZ on a random matching
of the 5 x 10 grid), with the kvant-50 noise model on every gate and idle period and readout
error, 10,000 shots. kvant = ``StabilizerEngine.run(noisy_program)`` (Pauli twirl of every
channel, translation to Stim, sampling, readout flips, counts). Stim alone = compiling and
sampling the very Stim circuit kvant produced (``to_stim``). Target: kvant within 2x of Stim.

Target 2 (trajectories): a 20-qubit random circuit on kvant-50's first two rows (each layer
``rz sx rz`` with random angles on every qubit, then CZ on a random matching), the same noise
model, 1,000 shots. kvant = ``TrajectoryEngine`` (batched trajectories); Qiskit Aer = its
``statevector`` method on the same circuit with every kvant channel appended as a Kraus
``QuantumError`` and the same readout errors, once shot by shot (Aer's default) and once with
``shot_branching_enable`` (Aer's own batching). Reported as time per shot.

Target 3 (density matrix, fused vs step by step): ``--dm-circuits`` quantum-volume model
circuits of ``--dm-qubits`` qubits (``kvant.bench.qv_circuits``), transpiled onto kvant-50
(``layout="best"``) with its noise model, and their exact outcome distribution from
``DensityMatrixEngine`` with ``fuse=True`` (the default: runs of steps on one or two qubits
composed into one superoperator, ``kvant.sim.fuse_noisy_program``) and ``fuse=False``. The
largest difference between the two distributions is reported (it must be rounding).

Both sides run on the same machine, one after the other; every figure is the median of
``--repeats`` runs (Aer's slow mode: one run on ``--aer-shots`` shots, time per shot).

    python benchmarks/noisy.py --out benchmarks/results/noisy.json
    python benchmarks/noisy.py --skip-stabilizer --skip-trajectories --dm-qubits 8
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from kvant.circuit import Circuit
from kvant.device import NoiseModel, load_device
from kvant.sim import (
    DensityMatrixEngine,
    KrausChannel,
    NoisyProgram,
    StabilizerEngine,
    TrajectoryEngine,
    fuse_noisy_program,
    to_stim,
)


def clifford_circuit(depth: int, seed: int) -> Circuit:
    """Random native Clifford layers on kvant-50."""
    calibration = load_device("kvant-50")
    rng = np.random.default_rng(seed)
    circuit = Circuit(50)
    couplers = list(calibration.topology.couplers)
    for _ in range(depth):
        for q in range(50):
            choice = int(rng.integers(5))
            if choice < 3:
                circuit.rz((choice + 1) * np.pi / 2, q)
            circuit.sx(q) if choice != 4 else circuit.x(q)
        used: set[int] = set()
        for index in rng.permutation(len(couplers)):
            a, b = couplers[index]
            if a not in used and b not in used:
                used |= {a, b}
                circuit.cz(a, b)
    return circuit.measure_all()


def random_circuit_20(depth: int, seed: int) -> Circuit:
    """Random ``rz sx rz`` + CZ layers on qubits 0..19 of kvant-50 (two rows of the grid)."""
    calibration = load_device("kvant-50")
    rng = np.random.default_rng(seed)
    couplers = [c for c in calibration.topology.couplers if max(c) < 20]
    circuit = Circuit(20)
    for _ in range(depth):
        for q in range(20):
            circuit.rz(float(rng.uniform(-np.pi, np.pi)), q).sx(q)
            circuit.rz(float(rng.uniform(-np.pi, np.pi)), q)
        used: set[int] = set()
        for index in rng.permutation(len(couplers)):
            a, b = couplers[index]
            if a not in used and b not in used:
                used |= {a, b}
                circuit.cz(a, b)
    return circuit.measure_all()


def stim_counts(samples: Any) -> dict[str, int]:
    """What a Stim user does to get counts: unique rows, written as bitstrings (bit 0 right)."""
    packed = np.ascontiguousarray(np.packbits(samples, axis=1))
    rows = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, numbers = np.unique(rows, return_index=True, return_counts=True)
    chars = np.ascontiguousarray(samples[first][:, ::-1].astype(np.uint8) + ord("0"))
    keys = [row.decode() for row in chars.view(f"S{samples.shape[1]}").ravel()]
    return dict(zip(keys, numbers.tolist(), strict=True))


def _median(times: list[float]) -> float:
    return float(statistics.median(times))


def bench_stabilizer(depth: int, shots: int, repeats: int) -> dict[str, Any]:
    import stim

    calibration = load_device("kvant-50")
    circuit = clifford_circuit(depth, seed=1)
    t = time.perf_counter()
    program = NoiseModel.from_calibration(calibration).noisy_program(circuit)
    noise_s = time.perf_counter() - t
    engine = StabilizerEngine()
    t = time.perf_counter()
    engine.run(program, shots=shots, seed=0)  # first run: Pauli twirls computed and cached
    cold_s = time.perf_counter() - t
    kvant_times, stim_times, stim_count_times = [], [], []
    stim_circuit = to_stim(program)[0]
    for r in range(repeats):
        t = time.perf_counter()
        engine.run(program, shots=shots, seed=r)
        kvant_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        samples = stim_circuit.compile_sampler(seed=r).sample(shots)
        stim_times.append(time.perf_counter() - t)
        stim_counts(samples)
        stim_count_times.append(time.perf_counter() - t)
    kvant_s, stim_s = _median(kvant_times), _median(stim_times)
    stim_counts_s = _median(stim_count_times)
    return {
        "qubits": 50,
        "depth": depth,
        "shots": shots,
        "instructions": len(circuit),
        "channels": program.count_channels(),
        "stim_instructions": len(stim_circuit),
        "noise_model_s": noise_s,
        "kvant_first_run_s": cold_s,
        "kvant_s": kvant_s,
        "stim_alone_s": stim_s,
        "ratio": kvant_s / stim_s,
        "stim_alone_with_counts_s": stim_counts_s,
        "ratio_same_output": kvant_s / stim_counts_s,
        "target_ratio": 2.0,
        "stim_version": stim.__version__,
        "kvant_times_s": kvant_times,
        "stim_times_s": stim_times,
    }


def to_aer(program: NoisyProgram) -> tuple[Any, Any]:
    """The program as a Qiskit circuit with Kraus errors, and a readout-only Aer noise model."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Kraus
    from qiskit_aer.noise import NoiseModel as AerNoiseModel
    from qiskit_aer.noise import QuantumError, ReadoutError

    qc = QuantumCircuit(program.num_qubits, program.num_clbits)
    errors: dict[int, Any] = {}
    for op in program.operations:
        if isinstance(op, KrausChannel):
            if id(op) not in errors:
                errors[id(op)] = QuantumError(Kraus(list(op.operators)))
            # Qiskit's first qarg is the least significant bit: hand the qubits reversed
            qc.append(errors[id(op)], list(reversed(op.qubits)))
        elif op.name == "rz":
            qc.rz(op.numeric_params()[0], op.qubits[0])
        elif op.name in ("sx", "x"):
            getattr(qc, op.name)(op.qubits[0])
        elif op.name == "cz":
            qc.cz(*op.qubits)
        elif op.name == "measure":
            qc.measure(op.qubits[0], op.clbits[0])
    readout = AerNoiseModel()
    for q in range(program.num_qubits):
        e = program.readout_error(q)
        if e is not None:
            matrix = [
                [1 - e.p_meas1_prep0, e.p_meas1_prep0],
                [e.p_meas0_prep1, 1 - e.p_meas0_prep1],
            ]
            readout.add_readout_error(ReadoutError(matrix), [q])
    return qc, readout


def bench_trajectories(
    depth: int, shots: int, repeats: int, aer_shots: int, aer_repeats: int
) -> dict[str, Any]:
    calibration = load_device("kvant-50")
    circuit = random_circuit_20(depth, seed=2)
    program = NoiseModel.from_calibration(calibration).noisy_program(circuit, list(range(20)))
    engine = TrajectoryEngine()
    kvant_times, trajectories = [], []
    for r in range(repeats):
        t = time.perf_counter()
        _, stats = engine.run_with_stats(program, shots=shots, seed=r)
        kvant_times.append(time.perf_counter() - t)
        trajectories.append(stats.trajectories)
    out: dict[str, Any] = {
        "qubits": 20,
        "depth": depth,
        "shots": shots,
        "instructions": len(circuit),
        "channels": program.count_channels(),
        "kvant_s": _median(kvant_times),
        "kvant_ms_per_shot": _median(kvant_times) / shots * 1e3,
        "kvant_trajectories": trajectories,
        "kvant_times_s": kvant_times,
    }
    try:
        import qiskit_aer
        from qiskit_aer import AerSimulator
    except ImportError:  # pragma: no cover - Aer is a dev/bench dependency
        out["aer"] = "qiskit-aer not installed"
        return out
    qc, readout = to_aer(program)
    plain = AerSimulator(method="statevector", noise_model=readout)
    t = time.perf_counter()
    plain.run(qc, shots=aer_shots, seed_simulator=1).result()
    aer_s = time.perf_counter() - t
    branching = AerSimulator(method="statevector", noise_model=readout, shot_branching_enable=True)
    branch_times = []
    for r in range(aer_repeats):
        t = time.perf_counter()
        branching.run(qc, shots=shots, seed_simulator=r).result()
        branch_times.append(time.perf_counter() - t)
    out.update(
        {
            "aer_version": qiskit_aer.__version__,
            "aer_shots": aer_shots,
            "aer_ms_per_shot": aer_s / aer_shots * 1e3,
            "aer_branching_s": _median(branch_times),
            "aer_branching_ms_per_shot": _median(branch_times) / shots * 1e3,
            "aer_branching_times_s": branch_times,
        }
    )
    return out


def qv_programs(width: int, count: int, seed: int) -> list[NoisyProgram]:
    """QV model circuits on kvant-50 with its noise model, as the characterisation suite."""
    from kvant.bench import qv_circuits
    from kvant.device import transpile

    calibration = load_device("kvant-50")
    model = NoiseModel.from_calibration(calibration)
    programs = []
    for circuit in qv_circuits(width, count, np.random.default_rng(seed)):
        mapped = transpile(circuit, calibration, layout="best")
        programs.append(model.noisy_program(mapped.circuit, mapped.physical_qubits))
    return programs


def bench_density_matrix(width: int, count: int, repeats: int) -> dict[str, Any]:
    programs = qv_programs(width, count, seed=3)
    fused_engine, plain_engine = DensityMatrixEngine(), DensityMatrixEngine(fuse=False)
    times: dict[str, list[float]] = {"fused": [], "unfused": []}
    worst = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        fused = [fused_engine.distribution(p) for p in programs]
        times["fused"].append(time.perf_counter() - t)
        t = time.perf_counter()
        plain = [plain_engine.distribution(p) for p in programs]
        times["unfused"].append(time.perf_counter() - t)
        for a, b in zip(fused, plain, strict=True):
            worst = max(worst, max(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in set(a) | set(b)))
    fused_ops = sum(len(fuse_noisy_program(p).operations) for p in programs)
    fused_s, unfused_s = _median(times["fused"]), _median(times["unfused"])
    return {
        "qubits": width,
        "circuits": count,
        "steps": sum(len(p.operations) for p in programs),
        "fused_steps": fused_ops,
        "fused_s": fused_s,
        "unfused_s": unfused_s,
        "speedup": unfused_s / fused_s,
        "max_abs_difference": worst,
        "fused_times_s": times["fused"],
        "unfused_times_s": times["unfused"],
    }


def _run_stabilizer(args: argparse.Namespace) -> dict[str, Any]:
    stabilizer = bench_stabilizer(args.depth, args.shots, args.repeats)
    first_ms = stabilizer["kvant_first_run_s"] * 1e3
    noise_ms = stabilizer["noise_model_s"] * 1e3
    print(
        f"50 qubits, Clifford depth {args.depth}, {args.shots} shots, noise on every gate "
        f"({stabilizer['channels']} channels)\n"
        f"  kvant StabilizerEngine  {stabilizer['kvant_s'] * 1e3:9.1f} ms  (first run "
        f"{first_ms:.1f} ms, noise model {noise_ms:.1f} ms)\n"
        f"  Stim alone (sampling)   {stabilizer['stim_alone_s'] * 1e3:9.1f} ms  ratio "
        f"{stabilizer['ratio']:.2f}\n"
        f"  Stim alone + counts     {stabilizer['stim_alone_with_counts_s'] * 1e3:9.1f} ms  ratio "
        f"{stabilizer['ratio_same_output']:.2f}   (target <= 2)"
    )
    return stabilizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--depth", type=int, default=100, help="Clifford depth (target 1)")
    parser.add_argument("--shots", type=int, default=10_000, help="shots of target 1")
    parser.add_argument("--traj-depth", type=int, default=4, help="layers of target 2")
    parser.add_argument("--traj-shots", type=int, default=1000, help="shots of target 2")
    parser.add_argument("--traj-repeats", type=int, default=3)
    parser.add_argument("--aer-shots", type=int, default=20, help="shots of Aer's shot-by-shot run")
    parser.add_argument("--aer-repeats", type=int, default=1, help="runs of Aer with branching")
    parser.add_argument("--skip-trajectories", action="store_true")
    parser.add_argument("--skip-stabilizer", action="store_true")
    parser.add_argument("--skip-density-matrix", action="store_true")
    parser.add_argument("--dm-qubits", type=int, default=8, help="QV width of target 3")
    parser.add_argument("--dm-circuits", type=int, default=5, help="QV circuits of target 3")
    args = parser.parse_args()
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "numpy": np.__version__,
    }
    report: dict[str, Any] = {"machine": machine}
    if not args.skip_stabilizer:
        report["stabilizer"] = _run_stabilizer(args)
    if not args.skip_trajectories:
        traj = bench_trajectories(
            args.traj_depth, args.traj_shots, args.traj_repeats, args.aer_shots, args.aer_repeats
        )
        report["trajectories"] = traj
        print(
            f"20 qubits, depth {args.traj_depth}, {args.traj_shots} shots "
            f"({traj['channels']} channels)\n"
            f"  kvant trajectories      {traj['kvant_ms_per_shot']:9.2f} ms/shot  "
            f"({statistics.median(traj['kvant_trajectories']):.0f} trajectories simulated)"
        )
        if "aer_ms_per_shot" in traj:
            print(
                f"  Aer, shot by shot       {traj['aer_ms_per_shot']:9.2f} ms/shot  "
                f"({traj['aer_shots']} shots)\n"
                f"  Aer, shot branching     {traj['aer_branching_ms_per_shot']:9.2f} ms/shot"
            )
    if not args.skip_density_matrix:
        dm = bench_density_matrix(args.dm_qubits, args.dm_circuits, args.repeats)
        report["density_matrix"] = dm
        print(
            f"{args.dm_qubits}-qubit QV on kvant-50, {args.dm_circuits} circuits, exact "
            f"distributions ({dm['steps']} steps, {dm['fused_steps']} after fusion)\n"
            f"  DensityMatrixEngine fused    {dm['fused_s'] * 1e3:9.1f} ms\n"
            f"  DensityMatrixEngine unfused  {dm['unfused_s'] * 1e3:9.1f} ms  speedup "
            f"{dm['speedup']:.1f}x, max |difference| {dm['max_abs_difference']:.1e}"
        )
    report["machine"]["load_average_after"] = os.getloadavg()
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
