"""RB on the emulated device, exactly and fast (see :mod:`kvant.bench._emulator` for why
per-qubit and per-coupler runs are the simultaneous experiment).

Each Clifford's noisy transfer matrix is built once per qubit (coupler) from the device's
noise model, then every sequence is evolved as a Pauli vector, batched over sequences and
qubits. Two-qubit elements are slots of 1-qubit Clifford pairs between CZs; a slot's transfer
matrix includes the idle relaxation of the qubit that waits for the other (the ASAP schedule
aligns both before each CZ and at each barrier), exactly as the noise model schedules it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from kvant.bench._clifford import clifford_1q, clifford_2q
from kvant.bench._emulator import LocalEmulator, outcome_probabilities, product_zero
from kvant.bench._rb import RBSequences
from kvant.circuit import Circuit
from kvant.errors import ConfigError

__all__ = ["clifford_ptms_1q", "emulate_rb_1q", "emulate_rb_2q", "pair_ptms"]

FloatArray = NDArray[np.float64]


def _check(targets: Sequence[object], sequences: Sequence[RBSequences], width: int) -> None:
    if not targets or len(targets) != len(sequences):
        raise ConfigError(
            f"give one RBSequences per qubit/coupler ({len(targets)} targets, "
            f"{len(sequences)} sequence sets)"
        )
    first = sequences[0]
    for s in sequences:
        if not isinstance(s, RBSequences) or s.num_qubits != width:
            raise ConfigError(f"every sequence set must be {width}-qubit RBSequences")
        if (s.lengths, s.num_sequences, s.interleaved) != (
            first.lengths,
            first.num_sequences,
            first.interleaved,
        ):
            raise ConfigError("sequence sets run together need the same lengths and counts")


def clifford_ptms_1q(emulator: LocalEmulator, qubit: int) -> tuple[FloatArray, FloatArray]:
    """Noisy transfer matrices ``(24, 4, 4)`` and durations ``(24,)`` (ns) of the 1-qubit
    Cliffords on device ``qubit``."""
    table = clifford_1q()
    ptms, durations = [], []
    for index in range(24):
        circuit = Circuit(1)
        table.append_to(circuit, index, 0)
        ptms.append(emulator.ptm(circuit, (qubit,)))
        durations.append(emulator.duration_ns(circuit, (qubit,)))
    return np.stack(ptms), np.array(durations)


def pair_ptms(emulator: LocalEmulator, a: int, b: int) -> tuple[FloatArray, FloatArray]:
    """Transfer matrices ``(24, 24, 16, 16)`` of every 1-qubit Clifford pair on coupler
    ``(a, b)`` (idle padding of the shorter one included), and of the noisy CZ ``(16, 16)``."""
    ra, da = clifford_ptms_1q(emulator, a)
    rb, db = clifford_ptms_1q(emulator, b)
    end = np.maximum(da[:, None], db[None, :])
    pads: dict[tuple[int, float], FloatArray] = {}

    def pad(q: int, wait: float) -> FloatArray:
        key = (q, round(float(wait), 6))
        if key not in pads:
            pads[key] = emulator.idle_ptm(q, wait)
        return pads[key]

    out = np.empty((24, 24, 16, 16))
    for i in range(24):
        for j in range(24):
            left = pad(a, end[i, j] - da[i]) @ ra[i]
            right = pad(b, end[i, j] - db[j]) @ rb[j]
            out[i, j] = np.kron(left, right)
    cz = emulator.ptm(Circuit(2).cz(0, 1), (a, b))
    return out, cz


def emulate_rb_1q(
    emulator: LocalEmulator, qubits: Sequence[int], sequences: Sequence[RBSequences]
) -> FloatArray:
    """Simultaneous 1-qubit RB: ``sequences[i]`` on device ``qubits[i]``.

    Returns:
        Exact read-out probabilities ``(qubits, lengths, sequences, 2)`` of 0 and 1.
    """
    _check(qubits, sequences, 1)
    tables = np.stack([clifford_ptms_1q(emulator, q)[0] for q in qubits])  # (Q, 24, 4, 4)
    elements = np.stack([s.elements for s in sequences])  # (Q, S, M)
    recovery = np.stack([s.recovery for s in sequences])  # (Q, S, L)
    lengths = sequences[0].lengths
    nq, ns, _ = elements.shape
    qi = np.arange(nq)[:, None]
    state = np.broadcast_to(product_zero(1), (nq, ns, 4)).copy()
    conf = np.stack([emulator.confusion((q,))[0] for q in qubits])  # (Q, 2, 2)
    out = np.zeros((nq, len(lengths), ns, 2))
    checkpoints = {m: k for k, m in enumerate(lengths)}
    for j in range(lengths[-1]):
        state = np.einsum("qsij,qsj->qsi", tables[qi, elements[:, :, j]], state)
        if j + 1 in checkpoints:
            k = checkpoints[j + 1]
            final = np.einsum("qsij,qsj->qsi", tables[qi, recovery[:, :, k]], state)
            z = final[..., 3]
            p0 = conf[:, 0, 0][:, None] * (1 + z) / 2 + conf[:, 0, 1][:, None] * (1 - z) / 2
            p0 = np.clip(p0, 0.0, 1.0)
            out[:, k, :, 0], out[:, k, :, 1] = p0, 1.0 - p0
    return out


def emulate_rb_2q(
    emulator: LocalEmulator,
    couplers: Sequence[tuple[int, int]],
    sequences: Sequence[RBSequences],
) -> FloatArray:
    """2-qubit (optionally interleaved) RB: ``sequences[i]`` on coupler ``couplers[i]``.

    Returns:
        Exact read-out probabilities ``(couplers, lengths, sequences, 4)`` of ``z_a z_b`` =
        00, 01, 10, 11 (qubit ``a`` the most significant).
    """
    _check(couplers, sequences, 2)
    two = clifford_2q()
    built = [pair_ptms(emulator, a, b) for a, b in couplers]
    pairs = np.stack([p for p, _ in built])  # (C, 24, 24, 16, 16)
    czs = np.stack([c for _, c in built])  # (C, 16, 16)
    elements = np.stack([s.elements for s in sequences])  # (C, S, M)
    recovery = np.stack([s.recovery for s in sequences])
    interleaved = bool(sequences[0].interleaved)
    lengths = sequences[0].lengths
    nc, ns, _ = elements.shape
    ci = np.arange(nc)[:, None]
    out = np.zeros((nc, len(lengths), ns, 4))
    checkpoints = {m: k for k, m in enumerate(lengths)}

    def apply(state: FloatArray, index: NDArray[np.int64], gate: bool) -> FloatArray:
        slots = two.slots[index]  # (C, S, 4, 2)
        num_cz = two.num_cz[index]  # (C, S)
        for k in range(int(num_cz.max()) + 1):
            active = num_cz >= k
            ptm = pairs[ci, slots[:, :, k, 0], slots[:, :, k, 1]]
            moved = np.einsum("csij,csj->csi", ptm, state)
            state = np.where(active[..., None], moved, state)
            with_cz = np.einsum("cij,csj->csi", czs, state)
            state = np.where((num_cz > k)[..., None], with_cz, state)
        if gate:
            state = np.einsum("cij,csj->csi", czs, state)
        return state

    state = np.broadcast_to(product_zero(2), (nc, ns, 16)).copy()
    conf = np.stack([np.kron(*emulator.confusion(c)) for c in couplers])  # (C, 4, 4)
    for j in range(lengths[-1]):
        state = apply(state, elements[:, :, j], interleaved)
        if j + 1 in checkpoints:
            k = checkpoints[j + 1]
            final = apply(state, recovery[:, :, k], False)
            probs = outcome_probabilities(final, 2)  # (C, S, 4)
            read = np.clip(np.einsum("cri,csi->csr", conf, probs), 0.0, None)
            out[:, k] = read / read.sum(axis=-1, keepdims=True)
    return out
