"""Readout inversion, unitary folding, extrapolation and measurement grouping."""

from __future__ import annotations

import numpy as np
import pytest

from kvant.apps import (
    PauliSum,
    extrapolate_to_zero,
    fold_circuit,
    measurement_groups,
    mitigate_readout,
    readout_matrices,
)
from kvant.circuit import Circuit
from kvant.device import load_device
from kvant.errors import ApplicationError
from kvant.sim import StateVectorEngine


def test_tensored_inverse_undoes_independent_readout_errors() -> None:
    rng = np.random.default_rng(4)
    true = rng.dirichlet(np.ones(8))
    matrices = readout_matrices(load_device("kvant-50"), [3, 17, 42])
    full = np.kron(np.kron(matrices[2], matrices[1]), matrices[0])  # qubit 0 least significant
    measured = full @ true
    np.testing.assert_allclose(mitigate_readout(measured, matrices), true, atol=1e-12)
    cal = load_device("kvant-50").qubit(17)
    assert matrices[1, 1, 0] == cal.p_meas1_prep0
    assert matrices[1, 0, 1] == cal.p_meas0_prep1


def test_folding_keeps_the_unitary_and_scales_the_depth() -> None:
    circuit = Circuit(3).h(0).cx(0, 1).ry(0.4, 2).cz(1, 2).t(0)
    engine = StateVectorEngine()
    base = engine.run(circuit).state_vector
    for scale in (3, 5):
        folded = fold_circuit(circuit, scale)
        assert len(folded) == scale * len(circuit)
        assert abs(np.vdot(base, engine.run(folded).state_vector)) == pytest.approx(1.0)
    with pytest.raises(ApplicationError, match="odd"):
        fold_circuit(circuit, 2)
    with pytest.raises(ApplicationError, match="measurements"):
        fold_circuit(circuit.copy().measure_all(), 3)


def test_richardson_is_exact_for_a_quadratic_and_linear_fits_a_line() -> None:
    scales = [1, 3, 5]
    quadratic = [2.0 - 0.3 * s + 0.02 * s * s for s in scales]
    assert extrapolate_to_zero(scales, quadratic) == pytest.approx(2.0, abs=1e-12)
    assert extrapolate_to_zero(scales, [1.0 - 0.1 * s for s in scales], "linear") == 1.0
    with pytest.raises(ApplicationError, match="two distinct"):
        extrapolate_to_zero([1], [1.0])
    with pytest.raises(ApplicationError, match="unknown extrapolation"):
        extrapolate_to_zero([1, 3], [1.0, 2.0], "cubic")


def test_groups_are_qubit_wise_commuting_and_cover_every_term() -> None:
    h = PauliSum.from_labels(
        3, [(1.0, "ZZI"), (0.5, "XXI"), (0.4, "IZZ"), (0.3, "YIY"), (0.2, "IXX"), (0.1, "ZII")]
    )
    groups = measurement_groups(h)
    covered = sorted(k for _, members in groups for k in members)
    assert covered == list(range(h.num_terms))
    labels = h.labels()
    for basis, members in groups:
        for k in members:
            assert all(a in ("I", b) for a, b in zip(labels[k], basis, strict=True))
