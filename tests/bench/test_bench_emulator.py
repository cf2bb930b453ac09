"""The local emulator is exact: it matches the density-matrix engine on the device's own noisy
programs, and a simultaneous experiment factorises into per-qubit / per-coupler runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from kvant.bench import (
    LocalEmulator,
    average_gate_infidelity,
    emulate_rb_1q,
    emulate_rb_2q,
    kraus_ptm,
    rb_circuits,
    rb_sequences,
)
from kvant.circuit import Circuit
from kvant.device import depolarizing_channel, load_device, thermal_relaxation_channel
from kvant.sim import DensityMatrixEngine


def _dm_probabilities(
    emu: LocalEmulator, circuit: Circuit, physical: tuple[int, ...]
) -> np.ndarray:
    dist = DensityMatrixEngine().distribution(emu.program(circuit, physical))
    n = circuit.num_clbits
    # emulator order: clbit 0 most significant; engine keys: clbit 0 rightmost
    keys = [format(i, f"0{n}b")[::-1] for i in range(2**n)]
    return np.array([dist.get(k, 0.0) for k in keys])


def test_ptm_of_known_channels() -> None:
    # depolarizing p: Pauli components shrink by 1 - p (Nielsen & Chuang eq. 8.102)
    ptm = kraus_ptm(depolarizing_channel(0.1, [0]).operators)
    assert np.allclose(np.diag(ptm), [1, 0.9, 0.9, 0.9])
    # relaxation: X, Y decay as exp(-t/T2), Z as exp(-t/T1) towards +1
    relax = kraus_ptm(thermal_relaxation_channel(100, 80, 20_000).operators)
    assert np.isclose(relax[1, 1], np.exp(-20 / 80))
    assert np.isclose(relax[3, 3], np.exp(-0.2))
    assert np.isclose(relax[3, 0], 1 - np.exp(-0.2))
    # Nielsen 2002 from the PTM agrees with the Kraus-trace formula of kvant.sim
    channel = depolarizing_channel(0.02, [0, 1]).then(depolarizing_channel(0.01, [0, 1]))
    assert np.isclose(average_gate_infidelity(channel), channel.average_gate_infidelity())


def test_emulator_matches_the_density_matrix_engine() -> None:
    cal = load_device("kvant-50")
    emu = LocalEmulator(cal)
    a, b = cal.couplers[5].qubits
    seqs = rb_sequences(2, [1, 2, 3, 4], 2, seed=4, interleaved="cz")
    probs = emulate_rb_2q(emu, [(a, b)], [seqs])[0]  # (L, S, 4)
    for index, circuit in enumerate(rb_circuits(seqs)):
        k, s = divmod(index, 2)
        assert np.allclose(probs[k, s], _dm_probabilities(emu, circuit, (a, b)), atol=1e-12)
    one = rb_sequences(1, [1, 3, 5, 9], 3, seed=6)
    p1 = emulate_rb_1q(emu, [7], [one])[0]
    for index, circuit in enumerate(rb_circuits(one)):
        k, s = divmod(index, 3)
        assert np.allclose(p1[k, s], _dm_probabilities(emu, circuit, (7,)), atol=1e-12)


def test_simultaneous_experiments_factorise() -> None:
    """A joint run of 1q RB on three qubits and 2q RB on two disjoint couplers (one 7-qubit
    density matrix) equals the product of the per-qubit / per-coupler emulations."""
    cal = load_device("kvant-50")
    emu = LocalEmulator(cal)
    singles = (20, 22, 24)
    couplers = ((0, 1), (2, 12))
    s1 = [rb_sequences(1, [1, 2, 3, 6], 1, seed=10 + i) for i in range(3)]
    s2 = [rb_sequences(2, [1, 2, 3, 4], 1, seed=20 + i) for i in range(2)]
    p1 = emulate_rb_1q(emu, singles, s1)[:, 3, 0]  # (3, 2) at m = 6
    p2 = emulate_rb_2q(emu, list(couplers), s2)[:, 3, 0]  # (2, 4) at m = 4
    joint = Circuit(7, 7)
    layout = (*singles, *couplers[0], *couplers[1])
    parts = [rb_circuits(s)[-1] for s in s1] + [rb_circuits(s)[-1] for s in s2]
    wires = [(0,), (1,), (2,), (3, 4), (5, 6)]
    for part, where in zip(parts, wires, strict=True):
        for op in part:
            qubits = tuple(where[q] for q in op.qubits)
            clbits = tuple(where[c] for c in op.clbits)
            joint.append(replace(op, qubits=qubits, clbits=clbits))
    dist = DensityMatrixEngine().distribution(emu.program(joint, layout))
    expected: dict[str, float] = {}
    for bits in range(2**7):
        z = [(bits >> c) & 1 for c in range(7)]
        prob = p1[0, z[0]] * p1[1, z[1]] * p1[2, z[2]]
        prob *= p2[0, 2 * z[3] + z[4]] * p2[1, 2 * z[5] + z[6]]
        expected[format(bits, "07b")] = prob
    assert max(abs(dist.get(k, 0.0) - v) for k, v in expected.items()) < 1e-12


def test_recovery_cliffords_invert_the_sequences() -> None:
    """On a noiseless device every RB sequence (with its inverting Clifford) returns to 0...0."""
    emu = LocalEmulator(load_device("line-2"), noise=False)
    for interleaved in ("", "cz"):
        seqs = rb_sequences(2, [1, 7, 40, 90], 5, seed=8, interleaved=interleaved)
        assert np.allclose(emulate_rb_2q(emu, [(0, 1)], [seqs])[..., 0], 1.0, atol=1e-12)
    one = rb_sequences(1, [1, 7, 40, 300], 5, seed=9)
    assert np.allclose(emulate_rb_1q(emu, [1], [one])[..., 0], 1.0, atol=1e-12)
