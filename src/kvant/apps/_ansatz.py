"""Variational circuits as sequences of Pauli rotations and CZ gates, with exact gradients.

Every parametrised gate is a Pauli rotation ``R_P(phi) = exp(-i phi P / 2)`` with
``phi = scale * theta[k]``: the UCCSD factors ``exp(theta (T - T+)) = prod exp(i theta w P)``
(Romero et al. 2018, Quantum Sci. Technol. 4, 014008) and the ``ry``/``rz`` of a
hardware-efficient ansatz (Kandala et al. 2017, Nature 549, 242). This gives:

* :meth:`Ansatz.circuit`: a :class:`kvant.circuit.Circuit` for the engines and the device
  (``R_P`` as basis change, CNOT ladder, ``rz``, ladder back; Whitfield, Biamonte &
  Aspuru-Guzik 2011, Mol. Phys. 109, 735, fig. 1).
* :meth:`Ansatz.state`: the same state by whole-array updates
  ``R_P(phi) psi = cos(phi/2) psi - i sin(phi/2) P psi``.
* :meth:`Ansatz.adjoint_gradient`: energy and gradient in one forward and one backward sweep
  (Jones & Gacon 2020, arXiv:2009.02823, algorithm 1): with ``lambda = H psi`` carried back,
  ``dE/dphi_k = Im <lambda_k| P_k |psi_k>``.
* :meth:`Ansatz.shifted_circuits`: the two circuits of the parameter-shift rule
  ``dE/dphi = [E(phi + pi/2) - E(phi - pi/2)] / 2`` (Schuld et al. 2019, PRA 99, 032331, eq. 14),
  summed over every rotation that carries a parameter (chain rule).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from kvant.apps._fermion import (
    MolecularIntegrals,
    excitations,
    hartree_fock_bits,
    qubit_operator_of_excitation,
)
from kvant.circuit import Circuit
from kvant.errors import ApplicationError

__all__ = ["ANSATZ_NAMES", "Ansatz", "hardware_efficient_ansatz", "uccsd_ansatz"]

ANSATZ_NAMES: tuple[str, ...] = ("uccsd", "hardware-efficient")
_CZ = -1


def _popcount(values: Any) -> Any:
    return np.bitwise_count(values).astype(np.int64)


@dataclass(frozen=True, eq=False)
class Ansatz:
    """A parametrised circuit: X on ``initial_bits``, then ops in order.

    Op k is a Pauli rotation ``R_{P_k}(scales[k] * theta[parameters[k]])`` with P_k given by
    ``x_masks[k]``/``z_masks[k]``, or, where ``parameters[k] == -1``, a CZ between the single
    qubits of ``x_masks[k]`` and ``z_masks[k]``.

    Attributes:
        name: ``uccsd`` or ``hardware-efficient``.
        num_qubits: Width.
        num_parameters: Length of theta.
        initial_bits: Basis state prepared first (bit q = qubit q).
        parameters: Parameter index of each op (-1: CZ).
        scales: Angle per unit parameter of each op.
        x_masks: X/Y support of each rotation (the first CZ qubit for a CZ).
        z_masks: Z/Y support of each rotation (the second CZ qubit for a CZ).

    >>> a = hardware_efficient_ansatz(2, layers=1)
    >>> a.num_parameters, a.circuit(np.zeros(a.num_parameters)).count_ops()["cz"]
    (8, 1)
    """

    name: str
    num_qubits: int
    num_parameters: int
    initial_bits: int
    parameters: NDArray[np.int64] = field(repr=False)
    scales: NDArray[np.float64] = field(repr=False)
    x_masks: NDArray[np.int64] = field(repr=False)
    z_masks: NDArray[np.int64] = field(repr=False)

    def __post_init__(self) -> None:
        if not 1 <= self.num_qubits <= 20:
            raise ApplicationError(f"an ansatz needs 1..20 qubits, got {self.num_qubits}")
        arrays = [np.asarray(getattr(self, n)) for n in ("parameters", "scales", "x_masks")]
        if len({a.shape for a in arrays}) != 1:
            raise ApplicationError("parameters, scales and masks need one entry per op")

    @property
    def num_ops(self) -> int:
        """Number of rotations and CZ gates."""
        return int(self.parameters.shape[0])

    def _theta(self, theta: ArrayLike) -> NDArray[np.float64]:
        values = np.asarray(theta, dtype=np.float64).reshape(-1)
        if values.shape != (self.num_parameters,) or not np.all(np.isfinite(values)):
            raise ApplicationError(
                f"the {self.name} ansatz takes {self.num_parameters} finite parameter(s), got "
                f"shape {values.shape}"
            )
        return values

    def angles(self, theta: ArrayLike) -> NDArray[np.float64]:
        """Rotation angle of each op (0 for CZ)."""
        values = self._theta(theta)
        return np.where(self.parameters >= 0, self.scales * values[self.parameters], 0.0)

    # circuits -------------------------------------------------------------------------------
    def circuit(self, theta: ArrayLike, *, shift: tuple[int, float] | None = None) -> Circuit:
        """The circuit (bound), optionally with op ``shift[0]``'s angle moved by ``shift[1]``.

        >>> a = uccsd_ansatz(MolecularIntegrals(0.0, np.eye(2), np.zeros((2,) * 4), 1, 1))
        >>> a.circuit([0.0, 0.0, 0.0]).count_ops()
        {'x': 1, 'sdg': 4, 'h': 12, 'rz': 4, 's': 4, 'cx': 4}
        """
        angles = self.angles(theta)
        if shift is not None:
            angles[shift[0]] += shift[1]
        c = Circuit(self.num_qubits, name=self.name)
        for q in range(self.num_qubits):
            if (self.initial_bits >> q) & 1:
                c.x(q)
        for k in range(self.num_ops):
            x, z = int(self.x_masks[k]), int(self.z_masks[k])
            if self.parameters[k] == _CZ:
                c.cz(x.bit_length() - 1, z.bit_length() - 1)
            else:
                _pauli_rotation(c, x, z, float(angles[k]))
        return c

    def shifted_circuits(self, theta: ArrayLike) -> list[tuple[int, Circuit, Circuit]]:
        """``(op, circuit at +pi/2, circuit at -pi/2)`` for every parametrised op."""
        ops = np.flatnonzero(self.parameters >= 0).tolist()
        return [
            (
                k,
                self.circuit(theta, shift=(k, np.pi / 2)),
                self.circuit(theta, shift=(k, -np.pi / 2)),
            )
            for k in ops
        ]

    def gradient_from_shifts(self, shifted_energies: NDArray[np.float64]) -> NDArray[np.float64]:
        """Chain rule: ``dE/dtheta_j = sum_k scale_k (E_k+ - E_k-) / 2`` over ops with param j.

        Args:
            shifted_energies: Shape (num parametrised ops, 2), in :meth:`shifted_circuits`
                order.
        """
        ops = np.flatnonzero(self.parameters >= 0)
        per_op = self.scales[ops] * (shifted_energies[:, 0] - shifted_energies[:, 1]) / 2
        return np.bincount(
            self.parameters[ops], weights=per_op, minlength=self.num_parameters
        ).astype(np.float64)

    # state-vector sweeps --------------------------------------------------------------------
    def _tables(self) -> tuple[NDArray[np.int64], NDArray[np.complex128]]:
        cached = self.__dict__.get("_tables_cache")
        if cached is None:
            index = np.arange(1 << self.num_qubits, dtype=np.int64)
            source = index[None, :] ^ self.x_masks[:, None]
            phase = (1j) ** (_popcount(self.x_masks & self.z_masks) % 4)
            signs = 1 - 2 * (_popcount(source & self.z_masks[:, None]) & 1)
            cz = self.parameters == _CZ
            both = ((index[None, :] & self.x_masks[:, None]) != 0) & (
                (index[None, :] & self.z_masks[:, None]) != 0
            )
            factor = np.where(cz[:, None], np.where(both, -1.0, 1.0), phase[:, None] * signs)
            source = np.where(cz[:, None], index[None, :], source)
            cached = (source, factor.astype(np.complex128))
            object.__setattr__(self, "_tables_cache", cached)
        return cached

    def _apply(
        self, psi: NDArray[np.complex128], k: int, angle: float, tables: Any
    ) -> NDArray[np.complex128]:
        source, factor = tables
        if self.parameters[k] == _CZ:
            out: NDArray[np.complex128] = psi * factor[k]
            return out
        p_psi = factor[k] * psi[source[k]]
        rotated: NDArray[np.complex128] = np.cos(angle / 2) * psi - 1j * np.sin(angle / 2) * p_psi
        return rotated

    def state(self, theta: ArrayLike) -> NDArray[np.complex128]:
        """The final state vector (little-endian), by whole-array updates.

        >>> a = hardware_efficient_ansatz(1, layers=0)
        >>> np.round(a.state([np.pi, 0.0]), 12).tolist()  # ry(pi)|0> = |1>
        [0j, (1+0j)]
        """
        angles = self.angles(theta)
        tables = self._tables()
        psi = np.zeros(1 << self.num_qubits, dtype=np.complex128)
        psi[self.initial_bits] = 1.0
        for k in range(self.num_ops):
            psi = self._apply(psi, k, float(angles[k]), tables)
        return psi

    def adjoint_gradient(
        self, theta: ArrayLike, hamiltonian: sp.spmatrix
    ) -> tuple[float, NDArray[np.float64]]:
        """Energy ``<psi|H|psi>`` and its gradient by adjoint differentiation.

        Args:
            theta: Parameters.
            hamiltonian: The ``2**n x 2**n`` sparse matrix (see
                :meth:`~kvant.apps.PauliSum.to_sparse`).

        Returns:
            ``(energy, gradient)``.
        """
        angles = self.angles(theta)
        tables = self._tables()
        psi = self.state(theta)
        lam = np.asarray(hamiltonian @ psi)  # type: ignore[operator]  # scipy-stubs >= 1.16
        energy = float(np.vdot(psi, lam).real)
        per_op = np.zeros(self.num_ops)
        source, factor = tables
        for k in range(self.num_ops - 1, -1, -1):
            if self.parameters[k] != _CZ:
                per_op[k] = float(np.vdot(lam, factor[k] * psi[source[k]]).imag)
            psi = self._apply(psi, k, -float(angles[k]), tables)
            lam = self._apply(lam, k, -float(angles[k]), tables)
        ops = self.parameters >= 0
        gradient = np.bincount(
            self.parameters[ops],
            weights=per_op[ops] * self.scales[ops],
            minlength=self.num_parameters,
        ).astype(np.float64)
        return energy, gradient


def _pauli_rotation(c: Circuit, x: int, z: int, angle: float) -> None:
    """Append ``exp(-i angle P / 2)`` for the Pauli string with masks x, z."""
    support = [q for q in range((x | z).bit_length()) if ((x | z) >> q) & 1]
    if not support:
        return
    for q in support:
        if (x >> q) & 1 and (z >> q) & 1:
            c.sdg(q).h(q)
        elif (x >> q) & 1:
            c.h(q)
    for a, b in itertools.pairwise(support):
        c.cx(a, b)
    c.rz(angle, support[-1])
    for a, b in reversed(list(itertools.pairwise(support))):
        c.cx(a, b)
    for q in support:
        if (x >> q) & 1 and (z >> q) & 1:
            c.h(q).s(q)
        elif (x >> q) & 1:
            c.h(q)


def uccsd_ansatz(integrals: MolecularIntegrals, mapping: str = "parity-tapered") -> Ansatz:
    """Trotterised UCCSD (one step) from the Hartree-Fock state, one parameter per excitation.

    Args:
        integrals: The active space (electron numbers and orbitals).
        mapping: The fermion-to-qubit mapping (as for :func:`~kvant.apps.qubit_hamiltonian`).

    Returns:
        The ansatz.

    >>> h2 = MolecularIntegrals(0.0, np.eye(2), np.zeros((2,) * 4), 1, 1)
    >>> a = uccsd_ansatz(h2)
    >>> a.num_qubits, a.num_parameters, a.num_ops
    (2, 3, 4)
    """
    params, scales, xs, zs = [], [], [], []
    num_qubits = 0
    for index, excitation in enumerate(excitations(integrals)):
        num_qubits, x, z, w = qubit_operator_of_excitation(excitation, integrals, mapping)
        params += [index] * len(w)
        scales += (-2.0 * w).tolist()
        xs += x.tolist()
        zs += z.tolist()
    if not params:
        raise ApplicationError("the active space has no excitation (full or empty orbitals)")
    return Ansatz(
        "uccsd",
        num_qubits,
        len(excitations(integrals)),
        hartree_fock_bits(integrals, mapping),
        np.array(params, np.int64),
        np.array(scales),
        np.array(xs, np.int64),
        np.array(zs, np.int64),
    )


def hardware_efficient_ansatz(num_qubits: int, layers: int = 2, initial_bits: int = 0) -> Ansatz:
    """``layers`` x (ry and rz on every qubit, then a CZ chain), then a final ry and rz layer.

    Args:
        num_qubits: Width (1..20).
        layers: Entangling layers (>= 0).
        initial_bits: Basis state to start from (e.g. Hartree-Fock).

    Returns:
        The ansatz, with ``2 * num_qubits * (layers + 1)`` parameters.

    Raises:
        ApplicationError: For a width or layer count out of range.

    >>> hardware_efficient_ansatz(4, layers=2).num_parameters
    24
    """
    if isinstance(layers, bool) or not isinstance(layers, int) or layers < 0:
        raise ApplicationError(f"layers must be an int >= 0, got {layers!r}")
    if not isinstance(num_qubits, int) or not 1 <= num_qubits <= 20:
        raise ApplicationError(f"num_qubits must be in 1..20, got {num_qubits!r}")
    params: list[int] = []
    xs: list[int] = []
    zs: list[int] = []
    count = 0
    for layer in range(layers + 1):
        for q in range(num_qubits):  # ry = R_Y: x and z bits set
            params.append(count)
            xs.append(1 << q)
            zs.append(1 << q)
            count += 1
        for q in range(num_qubits):  # rz = R_Z
            params.append(count)
            xs.append(0)
            zs.append(1 << q)
            count += 1
        if layer < layers:
            for q in range(num_qubits - 1):
                params.append(_CZ)
                xs.append(1 << q)
                zs.append(1 << (q + 1))
    scales = np.ones(len(params))
    return Ansatz(
        "hardware-efficient",
        num_qubits,
        count,
        initial_bits,
        np.array(params, np.int64),
        scales,
        np.array(xs, np.int64),
        np.array(zs, np.int64),
    )
