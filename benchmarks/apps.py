"""Applications: kvant beside Qiskit doing the same work.

Target 1 (chemistry): the LiH dissociation curve, 10 bond lengths from 1.0 to 3.25 angstrom,
ideal simulation. Same work on both sides: the same PySCF integrals (computed once, not
timed), the same parity-tapered 4-qubit Hamiltonian, the same one-step UCCSD circuit
(8 parameters, 40 Pauli rotations), SciPy BFGS from zero at the first point and from the
previous optimum after that. kvant runs it twice: with adjoint gradients (its default) and with
the parameter-shift rule; Qiskit (``StatevectorEstimator``, all shifted circuits of a gradient
in one batched call) with the parameter-shift rule, the gradient Qiskit's core offers.

Target 2 (energy): IEEE 14-bus islanding (12 free buses = 12 qubits) by QAOA at p = 3. Same
angle schedule on both sides (``kvant.apps.optimise_angles``: a 6 x 5 grid at p = 1, COBYLA per
depth, INTERP between depths); each evaluation builds the bound circuit and computes the
exact expectation of the cost from the state's probabilities: kvant's ``StateVectorEngine`` vs
Qiskit's ``Statevector``.

Reported: wall time, circuit evaluations and optimiser iterations. PennyLane is not installed
in this environment, so it is not compared. Timings on a shared 2-core machine are noisy.

    python benchmarks/apps.py --out benchmarks/results/apps.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from kvant.apps import (
    Ansatz,
    PauliSum,
    islanding_problem,
    molecular_problem,
    optimise_angles,
    qubit_hamiltonian,
    run_qaoa,
    run_vqe,
    uccsd_ansatz,
)

BONDS = [1.0 + 0.25 * k for k in range(10)]


def _kvant_curve(problems: list[Any], gradient: str) -> dict[str, Any]:
    start = time.perf_counter()
    previous = None
    evaluations = iterations = 0
    errors = []
    for problem in problems:
        result = run_vqe(problem, gradient=gradient, initial_parameters=previous)
        previous = result.parameters
        evaluations += result.circuit_evaluations
        iterations += result.iterations
        errors.append(result.error_ha)
    return {
        "wall_s": time.perf_counter() - start,
        "circuit_evaluations": evaluations,
        "iterations": iterations,
        "max_error_mha": 1e3 * max(abs(e) for e in errors),
    }


def _qiskit_circuit(ansatz: Ansatz) -> tuple[Any, Any]:
    """The ansatz as a Qiskit circuit with one parameter per rotation (the angle phi_k)."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector

    ops = np.flatnonzero(ansatz.parameters >= 0)
    phi = ParameterVector("phi", len(ops))
    qc = QuantumCircuit(ansatz.num_qubits)
    for q in range(ansatz.num_qubits):
        if (ansatz.initial_bits >> q) & 1:
            qc.x(q)
    slot = 0
    for k in range(ansatz.num_ops):
        x, z = int(ansatz.x_masks[k]), int(ansatz.z_masks[k])
        if ansatz.parameters[k] < 0:
            qc.cz(x.bit_length() - 1, z.bit_length() - 1)
            continue
        support = [q for q in range(ansatz.num_qubits) if ((x | z) >> q) & 1]
        for q in support:
            if (x >> q) & 1 and (z >> q) & 1:
                qc.sdg(q)
                qc.h(q)
            elif (x >> q) & 1:
                qc.h(q)
        for a, b in itertools.pairwise(support):
            qc.cx(a, b)
        qc.rz(phi[slot], support[-1])
        for a, b in reversed(list(itertools.pairwise(support))):
            qc.cx(a, b)
        for q in support:
            if (x >> q) & 1 and (z >> q) & 1:
                qc.h(q)
                qc.s(q)
            elif (x >> q) & 1:
                qc.h(q)
        slot += 1
    return qc, ops


def _qiskit_curve(problems: list[Any]) -> dict[str, Any]:
    from qiskit.primitives import StatevectorEstimator
    from qiskit.quantum_info import SparsePauliOp

    start = time.perf_counter()
    estimator = StatevectorEstimator()
    previous = None
    evaluations = iterations = 0
    errors = []
    for problem in problems:
        hamiltonian = qubit_hamiltonian(problem.integrals)
        observable = SparsePauliOp.from_list(
            [(label, c) for c, label in hamiltonian.terms()]
            + [("I" * hamiltonian.num_qubits, hamiltonian.constant)]
        )
        ansatz = uccsd_ansatz(problem.integrals)
        qc, ops = _qiskit_circuit(ansatz)
        counter = {"n": 0}

        def angles(theta: np.ndarray[Any, Any], _a: Ansatz = ansatz, _o: Any = ops) -> Any:
            return _a.scales[_o] * np.asarray(theta)[_a.parameters[_o]]

        def objective(
            theta: np.ndarray[Any, Any], _qc: Any = qc, _obs: Any = observable, _a: Ansatz = ansatz,
            _o: Any = ops, _c: dict[str, int] = counter,
        ) -> tuple[float, np.ndarray[Any, Any]]:  # fmt: skip
            phi = angles(theta)
            shifts = np.repeat(phi[None, :], 2 * len(_o) + 1, axis=0)
            rows = np.arange(len(_o))
            shifts[1 + 2 * rows, rows] += np.pi / 2
            shifts[2 + 2 * rows, rows] -= np.pi / 2
            values = estimator.run([(_qc, _obs, shifts)]).result()[0].data.evs
            _c["n"] += shifts.shape[0]
            per_op = _a.scales[_o] * (values[1::2] - values[2::2]) / 2
            grad = np.bincount(_a.parameters[_o], weights=per_op, minlength=_a.num_parameters)
            return float(values[0]), grad

        x0 = np.zeros(ansatz.num_parameters) if previous is None else previous
        opt = minimize(
            objective, x0, jac=True, method="BFGS", options={"maxiter": 200, "gtol": 1e-6}
        )
        previous = opt.x
        evaluations += counter["n"]
        iterations += int(opt.nit)
        errors.append(float(opt.fun) - problem.reference_ha)
    return {
        "wall_s": time.perf_counter() - start,
        "circuit_evaluations": evaluations,
        "iterations": iterations,
        "max_error_mha": 1e3 * max(abs(e) for e in errors),
    }


def bench_chemistry() -> dict[str, Any]:
    problems = [molecular_problem("LiH", b) for b in BONDS]
    return {
        "bonds_angstrom": BONDS,
        "kvant_adjoint": _kvant_curve(problems, "adjoint"),
        "kvant_parameter_shift": _kvant_curve(problems, "parameter-shift"),
        "qiskit_parameter_shift": _qiskit_curve(problems),
    }


def _qiskit_qaoa(qubo: Any, layers: int) -> dict[str, Any]:
    from qiskit import QuantumCircuit
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import Statevector

    start = time.perf_counter()
    costs = qubo.all_costs()
    ising = qubo.to_ising()
    scale = float(np.abs(ising.coefficients).max())
    normalised = PauliSum(
        ising.num_qubits, ising.x_masks, ising.z_masks, ising.coefficients / scale
    )
    n = normalised.num_qubits
    terms = [
        ([q for q in range(n) if (z >> q) & 1], c)
        for z, c in zip(normalised.z_masks.tolist(), normalised.coefficients.tolist(), strict=True)
    ]
    circuits = {}
    for p in range(1, layers + 1):
        gamma, beta = ParameterVector("g", p), ParameterVector("b", p)
        qc = QuantumCircuit(n)
        qc.h(range(n))
        for layer in range(p):
            for qubits, c in terms:
                if len(qubits) == 1:
                    qc.rz(2 * c * gamma[layer], qubits[0])
                else:
                    qc.rzz(2 * c * gamma[layer], qubits[0], qubits[1])
            qc.rx(2 * beta[layer], range(n))
        circuits[p] = qc
    counter = {"n": 0}

    def expectation(params: np.ndarray[Any, Any]) -> float:
        counter["n"] += 1
        qc = circuits[params.size // 2]
        bound = qc.assign_parameters(list(params))
        return float(Statevector(bound).probabilities() @ costs)

    params, iterations = optimise_angles(expectation, layers)
    probs = Statevector(circuits[layers].assign_parameters(list(params))).probabilities()
    worst, best = costs.max(), costs.min()
    return {
        "wall_s": time.perf_counter() - start,
        "circuit_evaluations": counter["n"],
        "iterations": iterations,
        "approximation_ratio": float((worst - probs @ costs) / (worst - best)),
    }


def bench_energy(layers: int) -> dict[str, Any]:
    qubo = islanding_problem("ieee14").free_qubo()
    start = time.perf_counter()
    result = run_qaoa(qubo, layers=layers)
    kvant = {
        "wall_s": time.perf_counter() - start,
        "circuit_evaluations": result.circuit_evaluations,
        "iterations": result.iterations,
        "approximation_ratio": result.ideal.approximation_ratio,
        "optimum_probability": result.ideal.optimum_probability,
        "found_optimum": result.found_optimum,
    }
    return {
        "qubits": qubo.num_variables,
        "layers": layers,
        "kvant": kvant,
        "qiskit": _qiskit_qaoa(qubo, layers),
    }


def _row(name: str, figures: dict[str, Any], extra: str) -> str:
    return (
        f"  {name:<26} {figures['wall_s']:8.2f} s  {figures['circuit_evaluations']:7d} circuits  "
        f"{figures['iterations']:5d} iterations  {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--layers", type=int, default=3, help="QAOA depth of target 2")
    parser.add_argument("--skip-chemistry", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "numpy": np.__version__,
        },
        "peers_not_run": {"pennylane": "not installed"},
    }
    if not args.skip_chemistry:
        chem = bench_chemistry()
        report["chemistry"] = chem
        print(f"LiH dissociation, {len(BONDS)} points, UCCSD (4 qubits, 8 parameters), BFGS")
        for key in ("kvant_adjoint", "kvant_parameter_shift", "qiskit_parameter_shift"):
            print(_row(key, chem[key], f"max |E - CASCI| {chem[key]['max_error_mha']:.4f} mHa"))
    energy = bench_energy(args.layers)
    report["energy"] = energy
    print(f"IEEE 14-bus islanding, QAOA p = {args.layers} on {energy['qubits']} qubits")
    for key in ("kvant", "qiskit"):
        print(
            _row(key, energy[key], f"approximation ratio {energy[key]['approximation_ratio']:.4f}")
        )
    report["machine"]["load_average_after"] = os.getloadavg()
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
