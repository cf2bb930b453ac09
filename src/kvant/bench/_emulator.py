"""Exact emulation of local experiments: each qubit (coupler) on its own restriction of the device.

Why this is the same experiment, not an approximation. The noise model of
:class:`~kvant.device.NoiseModel` is local: each native gate is followed by a channel on the
gate's own qubits (depolarizing + thermal relaxation), each idle period of a qubit by
relaxation of that qubit alone, each measurement by that qubit's readout confusion; there is
no crosstalk term between qubits that do not share a gate. The ASAP schedule
(:func:`~kvant.device.schedule`) gives a qubit idle time only while it waits for its own next
operation, so without barriers spanning several experiments, a qubit's timeline in a joint
circuit is the one it has alone. A simultaneous experiment whose parts act on disjoint
qubits (1-qubit RB on every qubit, 2-qubit RB on a set of disjoint couplers) therefore has
the joint noisy channel ``Lambda_1 (x) Lambda_2 (x) ...`` and a product outcome distribution:
running each part on its 1- (2-) qubit restriction is exact. The test suite checks this once
against a joint density-matrix run. A device model with crosstalk would break the argument;
Kvant's has none (a real device's data, analysed by :func:`~kvant.bench.analyse_counts`, carry
whatever crosstalk the device has).

How it is computed. A circuit on one or two device qubits is turned into its noisy program
by the device's own :meth:`~kvant.device.NoiseModel.noisy_program`, then folded into a Pauli
transfer matrix ``R_ij = Tr(P_i Lambda(P_j)) / d`` (real, 4x4 or 16x16; Greenbaum,
arXiv:1509.02921, eq. 3.12). Long sequences (RB) are products of precomputed transfer
matrices of their elements applied to the state's Pauli vector, batched over sequences and
qubits with NumPy: exact probabilities, then binomial/multinomial shot sampling. Amplitude
damping is not a Pauli channel, so Stim (which would Pauli-twirl it) is not used here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Circuit, Instruction
from kvant.device import Calibration, NoiseModel, schedule
from kvant.errors import ConfigError
from kvant.sim import KrausChannel, NoisyProgram, pauli_basis

__all__ = ["LocalEmulator", "kraus_ptm", "outcome_probabilities", "product_zero"]

FloatArray = NDArray[np.float64]
_SWAP = np.eye(4)[[0, 2, 1, 3]]
_SKIP = frozenset({"barrier", "delay", "id", "u0"})


@lru_cache(maxsize=2)
def _basis(num_qubits: int) -> NDArray[np.complex128]:
    return pauli_basis(num_qubits)


def kraus_ptm(operators: NDArray[np.complex128]) -> FloatArray:
    """Pauli transfer matrix ``R_ij = sum_k Tr(P_i K_k P_j K_k^dagger) / d`` of a channel.

    Args:
        operators: Kraus operators ``(r, d, d)`` (or one unitary ``(d, d)``), textbook order.

    >>> import numpy as np
    >>> ptm = kraus_ptm(np.array([[0, 1], [1, 0]], dtype=complex))  # X flips Y and Z
    >>> np.diag(ptm).round(12).tolist()
    [1.0, 1.0, -1.0, -1.0]
    """
    ops = np.asarray(operators, dtype=np.complex128)
    if ops.ndim == 2:
        ops = ops[None]
    if ops.ndim != 3 or ops.shape[1] != ops.shape[2] or ops.shape[1] not in (2, 4, 8):
        raise ConfigError(
            f"kraus_ptm needs operators of shape (m, d, d) with d = 2, 4 or 8, got {ops.shape}"
        )
    d = ops.shape[-1]
    basis = _basis(d.bit_length() - 1)
    out = np.einsum("iab,kbc,jcd,kad->ij", basis, ops, basis, ops.conj(), optimize=True)
    return np.asarray(out.real / d)


def _embed(matrix: NDArray[np.complex128], qubits: Sequence[int], width: int) -> NDArray[Any]:
    """An operator on ``qubits`` as one on ``width`` (1 or 2) local qubits, qubit 0 first."""
    if width == 1 or len(qubits) == 2:
        m = matrix if width == 1 or tuple(qubits) == (0, 1) else _SWAP @ matrix @ _SWAP
        return m
    eye = np.eye(2)
    return np.kron(matrix, eye) if qubits[0] == 0 else np.kron(eye, matrix)


def outcome_probabilities(pauli_vector: FloatArray, num_qubits: int) -> FloatArray:
    """Computational-basis probabilities from Pauli coordinates ``r_P = Tr(P rho)``.

    Args:
        pauli_vector: ``(..., 4**k)`` coordinates (textbook order, qubit 0 most significant).
        num_qubits: ``k`` (1 or 2).

    Returns:
        ``(..., 2**k)`` probabilities, outcome index with qubit 0 most significant.
    """
    r = np.asarray(pauli_vector, dtype=np.float64)
    if num_qubits == 1:
        z = r[..., 3]
        return np.stack([(1 + z) / 2, (1 - z) / 2], axis=-1)
    zi, iz, zz = r[..., 12], r[..., 3], r[..., 15]
    signs = ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1))  # 00, 01, 10, 11
    return np.stack([(1 + a * zi + b * iz + c * zz) / 4 for a, b, c in signs], axis=-1)


class LocalEmulator:
    """Exact noisy runs of small circuits on one or two device qubits.

    Args:
        calibration: The device.
        noise: False gives the ideal device (same circuits, no noise).

    >>> from kvant.circuit import Circuit
    >>> from kvant.device import load_device
    >>> emu = LocalEmulator(load_device("line-2"))
    >>> p = emu.probabilities(Circuit(1).x(0), (0,))
    >>> q = emu.calibration.qubit(0)
    >>> bool(abs(p[0] - q.p_meas0_prep1) < 1e-3)  # reading 0 after |1>: readout + gate error
    True
    """

    def __init__(self, calibration: Calibration, *, noise: bool = True) -> None:
        if not isinstance(calibration, Calibration):
            raise ConfigError(f"LocalEmulator needs a Calibration, got {type(calibration)}")
        self.calibration = calibration
        self.noise = noise
        self.model = NoiseModel.from_calibration(
            calibration, relaxation=noise, depolarizing=noise, idle=noise, readout=noise
        )
        self._ptm_cache: dict[tuple[object, ...], FloatArray] = {}

    def program(self, circuit: Circuit, physical: Sequence[int]) -> NoisyProgram:
        """The device's noisy program of a native ``circuit`` on device qubits ``physical``."""
        return self.model.noisy_program(circuit, tuple(int(q) for q in physical))

    def ptm(self, circuit: Circuit, physical: Sequence[int]) -> FloatArray:
        """Pauli transfer matrix of the noisy native ``circuit`` (measurements ignored).

        Raises:
            ConfigError: For more than two qubits or mid-circuit measurement.
        """
        width = circuit.num_qubits
        if width not in (1, 2):
            raise ConfigError(f"LocalEmulator runs 1- or 2-qubit circuits, got {width}")
        program = self.program(circuit, physical)
        total = np.eye(4**width)
        measured = False
        for op in program.operations:
            if isinstance(op, Instruction):
                if op.name == "measure":
                    measured = True
                    continue
                if op.name in _SKIP:
                    continue
                if measured:
                    raise ConfigError("only terminal measurements can be emulated here")
                key: tuple[object, ...] = (op.name, op.qubits, op.numeric_params(), width)
                if key not in self._ptm_cache:
                    self._ptm_cache[key] = kraus_ptm(_embed(op.unitary_matrix(), op.qubits, width))
                step = self._ptm_cache[key]
            else:
                step = self.channel_ptm(op, width)
            total = step @ total
        return total

    def channel_ptm(self, channel: KrausChannel, width: int) -> FloatArray:
        """Transfer matrix of a noise channel on ``width`` local qubits."""
        key = ("channel", channel.qubits, width, channel.operators.tobytes())
        if key not in self._ptm_cache:
            ops = np.stack([_embed(k, channel.qubits, width) for k in channel.operators])
            self._ptm_cache[key] = kraus_ptm(ops)
        return self._ptm_cache[key]

    def idle_ptm(self, qubit: int, duration_ns: float) -> FloatArray:
        """Transfer matrix of device ``qubit`` idling for ``duration_ns`` (identity if none)."""
        channel = self.model.idle_channel(qubit, duration_ns)
        return np.eye(4) if channel is None else self.channel_ptm(channel.on((0,)), 1)

    def confusion(self, physical: Sequence[int]) -> list[FloatArray]:
        """Readout confusion ``C[read, prepared]`` of each device qubit."""
        out = []
        for q in physical:
            error = self.model.readout_error(int(q))
            out.append(np.eye(2) if error is None else error.confusion_matrix())
        return out

    def read_probabilities(self, state: FloatArray, physical: Sequence[int]) -> FloatArray:
        """Probabilities of what is *read* from Pauli vectors ``(..., 4**k)`` (readout errors
        applied), outcome index with ``physical[0]`` most significant."""
        k = len(physical)
        probs = outcome_probabilities(state, k)
        conf = self.confusion(physical)
        if k == 1:
            return np.asarray(probs @ conf[0].T)
        full = np.kron(conf[0], conf[1])
        return np.asarray(probs @ full.T)

    def probabilities(self, circuit: Circuit, physical: Sequence[int]) -> FloatArray:
        """Read-out probabilities of a 1- or 2-qubit native circuit, every qubit measured at the
        end (outcome index with circuit qubit 0 most significant)."""
        start = product_zero(circuit.num_qubits)
        final = self.ptm(circuit, physical) @ start
        return self.read_probabilities(final, physical)

    def duration_ns(self, circuit: Circuit, physical: Sequence[int]) -> float:
        """Length of the circuit's ASAP schedule on the device."""
        return schedule(circuit, self.calibration, tuple(physical)).duration_ns


def product_zero(width: int) -> FloatArray:
    """Pauli vector of ``|0...0>``: ``r_P = 1`` for every P made of I and Z."""
    out = np.zeros(4**width)
    for index in range(4**width):
        digits = [(index >> (2 * (width - 1 - j))) & 3 for j in range(width)]
        out[index] = 1.0 if all(d in (0, 3) for d in digits) else 0.0
    return out
