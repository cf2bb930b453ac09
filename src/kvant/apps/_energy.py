"""End to end: grid islanding by QAOA on the emulator, compared with the exact optimum.

Up to ``max_qubits`` free buses (ieee14: 12) QAOA runs on the whole problem. Larger grids
(ieee30: 28 free buses, ieee57: 55) are coarse-grained first: the endpoints of the heaviest
branch are merged, repeatedly (never joining the two pinned buses), until ``max_qubits``
free super-buses remain; the QUBO restricted to assignments that are constant on super-buses
is exact for those assignments (``Qubo.substitute``). QAOA runs on that coarse QUBO on the
emulator; its sampled answer and its ``candidates`` most probable assignments are lifted to
every bus and polished by classical single-flip descent, and the best is kept.
The exact optimum of the full problem comes from enumeration (<= 22 free buses) or the MILP
of :meth:`IslandingProblem.solve_milp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.apps._grid import IslandingProblem, islanding_problem
from kvant.apps._qaoa import QaoaResult, qaoa_probabilities, run_qaoa
from kvant.apps._qubo import BRUTE_FORCE_MAX_VARIABLES
from kvant.device import Calibration
from kvant.errors import ApplicationError

__all__ = ["IslandingRun", "coarse_grain", "solve_islanding"]


@dataclass(frozen=True)
class IslandingRun:
    """Islanding of one grid: what ran on the emulator and how good the answer is.

    Attributes:
        case: Grid name.
        num_buses: Buses.
        qaoa_qubits: Qubits QAOA ran on.
        coarse_grained: Whether the QAOA problem was a coarse-grained one.
        qaoa: The QAOA run (on the possibly coarse QUBO).
        answer_islands: Island of every bus from the ideal QAOA answer (lifted and polished
            when coarse-grained).
        answer_cost_mw: Cost of that answer on the full problem.
        answer_cut_mw: Flow on its cut lines.
        answer_imbalance_mw: Its island-1 imbalance.
        optimum_cost_mw: Exact optimum of the full problem.
        optimum_method: ``brute-force`` or ``milp``.
        optimum_islands: An optimal island of every bus.
    """

    case: str
    num_buses: int
    qaoa_qubits: int
    coarse_grained: bool
    qaoa: QaoaResult
    answer_islands: tuple[int, ...]
    answer_cost_mw: float
    answer_cut_mw: float
    answer_imbalance_mw: float
    optimum_cost_mw: float
    optimum_method: str
    optimum_islands: tuple[int, ...]

    @property
    def found_optimum(self) -> bool:
        """The answer's cost equals the exact optimum (to 1e-6 relative)."""
        return self.answer_cost_mw <= self.optimum_cost_mw + 1e-6 * max(1.0, self.optimum_cost_mw)

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {
            "case": self.case,
            "num_buses": self.num_buses,
            "qaoa_qubits": self.qaoa_qubits,
            "coarse_grained": self.coarse_grained,
            "qaoa": self.qaoa.to_dict(),
            "answer_islands": list(self.answer_islands),
            "answer_cost_mw": self.answer_cost_mw,
            "answer_cut_mw": self.answer_cut_mw,
            "answer_imbalance_mw": self.answer_imbalance_mw,
            "optimum_cost_mw": self.optimum_cost_mw,
            "optimum_method": self.optimum_method,
            "optimum_islands": list(self.optimum_islands),
            "found_optimum": self.found_optimum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IslandingRun:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            return cls(
                str(data["case"]),
                int(data["num_buses"]),
                int(data["qaoa_qubits"]),
                bool(data["coarse_grained"]),
                QaoaResult.from_dict(data["qaoa"]),
                tuple(int(b) for b in data["answer_islands"]),
                float(data["answer_cost_mw"]),
                float(data["answer_cut_mw"]),
                float(data["answer_imbalance_mw"]),
                float(data["optimum_cost_mw"]),
                str(data["optimum_method"]),
                tuple(int(b) for b in data["optimum_islands"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                raise
            raise ApplicationError(f"cannot read an IslandingRun: {exc!r}") from exc


def coarse_grain(
    problem: IslandingProblem, max_qubits: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Membership (buses x super-buses) and fixed values merging heaviest branches first.

    Super-buses holding a pinned bus are fixed to its island and are not variables.

    Returns:
        ``(membership, fixed)`` for :meth:`Qubo.substitute`.

    >>> problem = islanding_problem("ieee14")
    >>> membership, fixed = coarse_grain(problem, 6)
    >>> membership.shape, int(fixed.sum()) >= 1
    ((14, 6), True)
    """
    n = problem.grid.num_buses
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    label = {b: island for b, island in problem.pinned.items()}  # root -> island
    free_roots = n - len(problem.pinned)
    for k in np.argsort(-problem.grid.flows_mw, kind="stable").tolist():
        if free_roots <= max_qubits:
            break
        a, b = (root(v) for v in problem.grid.branches[k])
        if a == b or (a in label and b in label):
            continue
        if b in label:
            a, b = b, a
        parent[b] = a  # b joins a; a keeps any label
        free_roots -= 1
    roots = sorted({root(i) for i in range(n)} - set(label))
    column = {r: j for j, r in enumerate(roots)}
    membership = np.zeros((n, len(roots)))
    fixed = np.zeros(n)
    for i in range(n):
        r = root(i)
        if r in label:
            fixed[i] = label[r]
        else:
            membership[i, column[r]] = 1.0
    return membership, fixed


def solve_islanding(
    case: str,
    *,
    layers: int = 1,
    warm_start: bool = False,
    device: str | Path | Calibration | None = None,
    shots: int = 2000,
    seed: int = 0,
    max_qubits: int = 12,
    maxiter: int = 80,
    candidates: int = 32,
) -> IslandingRun:
    """Split a grid into two islands by QAOA on the emulator; compare with the exact optimum.

    Args:
        case: ``ieee14``, ``ieee30`` or ``ieee57``.
        layers: QAOA depth p.
        warm_start: Warm-started QAOA.
        device: Also sample the optimised circuit on this noisy device (e.g. ``kvant-50``).
        shots: Samples per engine/device.
        seed: Sampling seed.
        max_qubits: Largest QAOA problem (2..20); larger grids are coarse-grained to it.
        maxiter: COBYLA iterations per depth.
        candidates: Coarse grids only: the most probable coarse assignments lifted and
            polished (besides the sampled answer).

    Returns:
        The run.

    Raises:
        ApplicationError: For an unknown case or a bad ``max_qubits``.

    >>> run = solve_islanding("ieee14", max_qubits=8)
    >>> run.qaoa_qubits, run.coarse_grained, run.optimum_method
    (8, True, 'brute-force')
    """
    if isinstance(max_qubits, bool) or not isinstance(max_qubits, int) or not 2 <= max_qubits <= 20:
        raise ApplicationError(f"max_qubits must be an int in 2..20, got {max_qubits!r}")
    problem = islanding_problem(case)
    free = problem.free_qubo()
    if free.num_variables <= max_qubits:
        qaoa = run_qaoa(
            free,
            layers=layers,
            warm_start=warm_start,
            device=device,
            shots=shots,
            seed=seed,
            maxiter=maxiter,
        )
        answer = problem.full_bits(qaoa.ideal.answer_bits)
        coarse = False
    else:
        membership, fixed = coarse_grain(problem, max_qubits)
        reduced = problem.qubo.substitute(membership, fixed)
        qaoa = run_qaoa(
            reduced,
            layers=layers,
            warm_start=warm_start,
            device=device,
            shots=shots,
            seed=seed,
            maxiter=maxiter,
        )
        # lift the most probable coarse assignments (the sampled answer among them), polish
        # each by single-flip descent on the full problem, keep the best
        probabilities = qaoa_probabilities(reduced, qaoa)
        top = np.argsort(-probabilities, kind="stable")[:candidates]
        coarse_bits = (top[:, None] >> np.arange(reduced.num_variables)) & 1
        coarse_bits = np.vstack([coarse_bits, np.array(qaoa.ideal.answer_bits)])
        free_index = list(problem.free_buses)
        polished = [
            free.local_search((membership @ bits + fixed)[free_index]) for bits in coarse_bits
        ]
        best = polished[int(np.argmin([free.cost(b) for b in polished]))]
        answer = problem.full_bits(best)
        coarse = True
    if free.num_variables <= BRUTE_FORCE_MAX_VARIABLES:
        exact = free.solve_exact()
        optimum_bits = problem.full_bits(exact.bits)
        optimum_cost, method = exact.cost, "brute-force"
    else:
        optimum_cost, optimum_bits = problem.solve_milp()
        method = "milp"
    return IslandingRun(
        case,
        problem.grid.num_buses,
        qaoa.num_qubits,
        coarse,
        qaoa,
        tuple(int(b) for b in answer),
        problem.qubo.cost(answer),
        problem.cut_mw(answer),
        problem.imbalance_mw(answer),
        float(optimum_cost),
        method,
        tuple(int(b) for b in optimum_bits),
    )
