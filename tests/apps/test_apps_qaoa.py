"""QUBOs, QAOA and the grid problems: closed forms, brute force, MILP, and the emulator."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kvant.apps import (
    IslandingProblem,
    IslandingRun,
    PauliSum,
    QaoaResult,
    Qubo,
    UnitCommitment,
    coarse_grain,
    load_grid,
    qaoa_circuit,
    run_qaoa,
    solve_islanding,
    warm_start_angles,
)
from kvant.errors import ApplicationError
from kvant.sim import StateVectorEngine

# The Petersen graph: 3-regular, girth 5 (triangle-free), 10 vertices, 15 edges.
PETERSEN = [(i, (i + 1) % 5) for i in range(5)] + [(i, i + 5) for i in range(5)]
PETERSEN += [(5 + i, 5 + (i + 2) % 5) for i in range(5)]


def _maxcut_qubo(edges: list[tuple[int, int]], n: int) -> Qubo:
    """Minimise minus the cut: -sum (b_i + b_j - 2 b_i b_j)."""
    linear = np.zeros(n)
    matrix = np.zeros((n, n))
    for i, j in edges:
        linear[[i, j]] -= 1
        matrix[min(i, j), max(i, j)] += 2
    return Qubo(linear, matrix)


@pytest.mark.parametrize(("gamma", "beta"), [(0.3, 0.2), (0.7, -0.4), (1.1, 0.35), (-0.5, 0.9)])
def test_p1_maxcut_matches_the_closed_form_on_a_regular_graph(gamma: float, beta: float) -> None:
    """Wang, Hadfield, Jiang & Rieffel 2018 (PRA 97, 022304), theorem 1 without triangles:
    <C_uv> = 1/2 + sin(4 beta) sin(gamma') (cos^(d_u) gamma' + cos^(d_v) gamma') / 4, with
    d_u = deg(u) - 1, for their C = sum (1 - Z Z)/2 and mixer exp(-i beta sum X). On a
    D-regular graph the two endpoint terms are equal: 1/2 + sin 4b sin g cos^(D-1) g / 2.
    Our cost is -cut = const + sum Z Z / 2, so gamma' = -gamma."""
    qubo = _maxcut_qubo(PETERSEN, 10)
    ising = qubo.to_ising()
    probabilities = StateVectorEngine().run(qaoa_circuit(ising, [gamma], [beta])).probabilities()
    expectation = float(probabilities @ qubo.all_costs())
    g = -gamma
    per_edge = 0.5 + 0.25 * np.sin(4 * beta) * np.sin(g) * 2 * np.cos(g) ** (3 - 1)
    assert expectation == pytest.approx(-len(PETERSEN) * per_edge, abs=1e-10)


def test_ising_form_and_substitution_agree_with_enumeration() -> None:
    rng = np.random.default_rng(5)
    q = Qubo.from_matrix(rng.normal(size=(7, 7)), rng.normal(size=7), 1.5)
    costs = q.all_costs()
    np.testing.assert_allclose(q.to_ising().diagonal(), costs, atol=1e-12)
    bits = np.array(list(itertools.product((0, 1), repeat=7)))[:, ::-1]  # index order
    np.testing.assert_allclose(q.costs(bits), costs)
    # tie variables 0 and 1 together, fix variable 6 to 1
    membership = np.zeros((7, 5))
    membership[[0, 1], 0] = 1
    membership[[2, 3, 4, 5], [1, 2, 3, 4]] = 1
    fixed = np.zeros(7)
    fixed[6] = 1
    reduced = q.substitute(membership, fixed)
    for y in itertools.product((0, 1), repeat=5):
        assert reduced.cost(y) == pytest.approx(q.cost(membership @ np.array(y) + fixed))


def test_brute_force_and_milp_find_the_same_optimum() -> None:
    rng = np.random.default_rng(8)
    q = Qubo.from_matrix(rng.normal(size=(12, 12)), rng.normal(size=12))
    brute = q.solve_exact()
    milp = q._solve_milp()
    assert brute.method == "brute-force"
    assert milp.method == "milp"
    assert milp.cost == pytest.approx(brute.cost, abs=1e-9)
    assert brute.cost == pytest.approx(q.all_costs().min())
    assert type(brute).from_dict(brute.to_dict()) == brute
    start = np.zeros(12, dtype=np.int64)
    assert q.cost(q.local_search(start)) <= q.cost(start)


def test_qaoa_finds_the_unit_commitment_optimum() -> None:
    uc = UnitCommitment.example()
    qubo = uc.qubo()
    bits = np.random.default_rng(1).integers(0, 2, size=(20, 12))
    u = bits.reshape(20, 3, 4)  # [sample, hour, generator]
    cap = np.array(uc.capacities_mw)
    fuel = (u * (np.array(uc.costs_per_mwh) * cap)).sum(axis=(1, 2))
    previous = np.concatenate([np.zeros((20, 1, 4)), u[:, :-1]], axis=1)
    startup = (u * (1 - previous) * np.array(uc.startup_costs)).sum(axis=(1, 2))
    mismatch = ((u @ cap - np.array(uc.demands_mw)) ** 2).sum(axis=1)
    np.testing.assert_allclose(qubo.costs(bits), fuel + startup + mismatch)
    result = run_qaoa(qubo, layers=2, seed=3)
    assert result.found_optimum
    assert result.ideal.answer_cost == pytest.approx(qubo.all_costs().min())
    assert 0.5 < result.ideal.approximation_ratio <= 1.0
    assert QaoaResult.from_dict(result.to_dict()) == result


def test_grid_power_flow_is_balanced_and_the_qubo_is_the_stated_cost(
    ieee14: IslandingProblem,
) -> None:
    grid = ieee14.grid
    assert abs(grid.injections_mw.sum()) < 1e-6  # a DC power flow is lossless
    # IEEE 14-bus data: 259 MW of load, 40 MW dispatched at bus 2, so the slack (bus 1,
    # no load) supplies 219 MW in a lossless DC power flow
    assert grid.injections_mw[grid.slack_bus] == pytest.approx(219.0, abs=1e-6)
    rng = np.random.default_rng(2)
    for bits in rng.integers(0, 2, size=(10, grid.num_buses)):
        direct = (
            ieee14.cut_mw(bits)
            + ieee14.balance_weight_per_mw * ieee14.imbalance_mw(bits) ** 2
            + ieee14.size_weight_per_bus2 * (bits.sum() - grid.num_buses / 2) ** 2
        )
        assert ieee14.qubo.cost(bits) == pytest.approx(direct)
    assert type(grid).from_dict(grid.to_dict()).to_dict() == grid.to_dict()


def test_milp_and_enumeration_agree_on_ieee14(ieee14: IslandingProblem) -> None:
    exact = ieee14.free_qubo().solve_exact()
    cost, bits = ieee14.solve_milp()
    assert cost == pytest.approx(exact.cost, rel=1e-9)
    assert [bits[b] for b in ieee14.pinned] == list(ieee14.pinned.values())


def test_islanding_ieee14_on_the_ideal_and_noisy_device() -> None:
    run = solve_islanding("ieee14", layers=1, warm_start=True, device="kvant-50", shots=300)
    assert run.qaoa_qubits == 12
    assert not run.coarse_grained
    assert run.found_optimum  # verified against brute force over all 2**12 assignments
    assert run.optimum_method == "brute-force"
    noisy = run.qaoa.noisy
    assert noisy is not None
    assert noisy.device == "kvant-50"
    assert noisy.approximation_ratio < run.qaoa.ideal.approximation_ratio
    assert IslandingRun.from_dict(run.to_dict()) == run


def test_coarse_graining_keeps_pins_apart(ieee14: IslandingProblem) -> None:
    membership, fixed = coarse_grain(ieee14, 5)
    assert membership.shape == (14, 5)
    assert np.all(membership.sum(axis=1) + (fixed > 0) + (membership.sum(axis=1) == 0) >= 1)
    assert fixed[0] == 0
    assert fixed[7] == 1
    reduced = ieee14.qubo.substitute(membership, fixed)
    for y in itertools.product((0, 1), repeat=5):
        assert reduced.cost(y) == pytest.approx(ieee14.qubo.cost(membership @ np.array(y) + fixed))


def test_warm_start_angles_follow_the_relaxation() -> None:
    q = Qubo(np.array([-1.0, 1.0]), np.zeros((2, 2)))  # relaxed optimum c = (1, 0)
    theta = warm_start_angles(q, epsilon=0.1)
    np.testing.assert_allclose(np.sin(theta / 2) ** 2, [0.9, 0.1])


def test_bad_input_is_refused() -> None:
    with pytest.raises(ApplicationError, match="unknown grid case"):
        load_grid("ieee118")
    with pytest.raises(ApplicationError, match="upper-triangular"):
        Qubo(np.zeros(2), np.ones((2, 2)))
    with pytest.raises(ApplicationError, match="diagonal"):
        qaoa_circuit(PauliSum.from_labels(1, [(1.0, "X")]), [0.1], [0.1])
    with pytest.raises(ApplicationError, match="layers"):
        run_qaoa(Qubo(np.zeros(2), np.zeros((2, 2))), layers=0)
    with pytest.raises(ApplicationError, match="max_qubits"):
        solve_islanding("ieee14", max_qubits=40)
