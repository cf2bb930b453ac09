"""Runs on emulated devices: noiseless runs reproduce the ideal circuit, engines are chosen
by the circuit, and noisy runs agree between engines."""

from __future__ import annotations

import pytest

from kvant.circuit import Circuit
from kvant.device import DeviceRun, run_on_device
from kvant.errors import ConfigError
from kvant.sim import DensityMatrixEngine
from kvant.testing import assert_counts_match, dense_distribution, random_circuit


@pytest.mark.parametrize("seed", range(3))
def test_noiseless_runs_reproduce_the_ideal_distribution(seed: int) -> None:
    circuit = random_circuit(4, 5, seed=seed, measure=True, gate_set=["h", "t", "cx", "rx", "swap"])
    run = run_on_device(circuit, "kvant-50", shots=4000, seed=seed, noise=False)
    assert run.program.channels == ()
    assert assert_counts_match(run.result.counts, dense_distribution(circuit)) > 1e-3


def test_engines_are_chosen_by_the_circuit() -> None:
    clifford = Circuit(6).h(0)
    for q in range(5):
        clifford.cx(q, q + 1)
    assert run_on_device(clifford, shots=100, seed=1).engine == "stabilizer"
    small = Circuit(3).h(0).t(0).cx(0, 1).cx(1, 2)
    assert run_on_device(small, shots=100, seed=1).engine == "density_matrix"
    wide = Circuit(9).h(0).t(0)
    for q in range(8):
        wide.cx(q, q + 1)
    run = run_on_device(wide, shots=200, seed=1)
    assert run.engine == "trajectories"
    assert len(run.result.counts) > 2  # noise spreads the GHZ-like outcomes


def test_noisy_runs_agree_between_engines() -> None:
    circuit = Circuit(3).h(0).t(0).cx(0, 1).cx(1, 2).h(2).measure_all()
    exact = run_on_device(circuit, "kvant-50", shots=1, seed=1, engine="density_matrix")
    reference = DensityMatrixEngine().distribution(exact.program)
    sampled = run_on_device(circuit, "kvant-50", shots=6000, seed=2, engine="trajectories")
    assert assert_counts_match(sampled.result.counts, reference) > 1e-3
    assert sampled.transpiled.initial_layout == exact.transpiled.initial_layout


def test_counts_are_in_the_circuits_own_bits() -> None:
    circuit = Circuit(2, 3).x(1).measure(1, 2)
    run = run_on_device(circuit, "line-5", shots=500, seed=3, noise=False)
    assert run.result.counts == {"100": 500}
    data = run.to_dict()
    assert data["engine"] == run.engine == "stabilizer"
    assert data["transpiled"]["cz_gates"] == 0
    assert isinstance(run, DeviceRun)
    assert run.duration_ns > 0


def test_errors() -> None:
    with pytest.raises(ConfigError, match="shots"):
        run_on_device(Circuit(1).h(0), shots=0)
    with pytest.raises(ConfigError, match="noisy device run"):
        run_on_device(Circuit(1).h(0), shots=10, engine="statevector")
    with pytest.raises(ConfigError, match="unknown engine"):
        run_on_device(Circuit(1).h(0), shots=10, engine="magic")
