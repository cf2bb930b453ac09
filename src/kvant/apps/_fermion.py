"""Fermion-to-qubit mappings of molecular Hamiltonians: Jordan-Wigner, parity, tapering.

Spin orbitals are ordered in two blocks, all alpha then all beta: spin orbital ``p + s M``
(``s`` = 0 alpha, 1 beta) for spatial orbital ``p`` of ``M``. The Hamiltonian is

``H = E_core + sum_{pq,s} h_pq a+_ps a_qs + 1/2 sum_{pqrs,st} (pq|rs) a+_ps a+_rt a_st a_qs``

(Helgaker, Jorgensen & Olsen, *Molecular Electronic-Structure Theory*, 2000, eq. 2.2.18, with
chemists' notation for the two-electron integrals).

Jordan-Wigner (Jordan & Wigner 1928): ``a+_k = Z_0 ... Z_{k-1} |1><0|_k`` with
``|1><0| = X (I + Z) / 2`` and ``|0><1| = X (I - Z) / 2``. Products of ladder operators are
formed for all index tuples at once in the ordered ``X^x Z^z`` form (real signs only).

Parity (Seeley, Richard & Love 2012, J. Chem. Phys. 137, 224109, section III.B): qubit j holds
the parity of occupations 0..j. It is the CNOT-network basis change ``|n> -> |A n>`` with A
lower-triangular ones over GF(2), so ``X^x Z^z -> X^{A x} Z^{A^-T z}`` exactly: ``A x`` is the
prefix XOR of the bits of x and ``A^-T z`` has bit i = ``z_i ^ z_{i+1}``.

Two-qubit tapering (Bravyi, Gambetta, Mezzacapo & Temme 2017, arXiv:1701.08213, section VI):
in the parity basis with block spin ordering, qubit ``M-1`` holds the alpha-electron parity
and qubit ``2M-1`` the total parity; the Hamiltonian has only I or Z on them, so they are
replaced by their eigenvalues ``(-1)^{N_alpha}`` and ``(-1)^{N}`` and removed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from kvant.apps._pauli_sum import PauliSum
from kvant.errors import ApplicationError

__all__ = [
    "Excitation",
    "MolecularIntegrals",
    "excitations",
    "hartree_fock_bits",
    "qubit_hamiltonian",
    "qubit_operator_of_excitation",
]


def _popcount(values: Any) -> Any:
    return np.bitwise_count(values).astype(np.int64)


Mapping_ = Literal["jordan-wigner", "parity", "parity-tapered"]
MAPPINGS: tuple[str, ...] = ("jordan-wigner", "parity", "parity-tapered")


@dataclass(frozen=True, eq=False)
class MolecularIntegrals:
    """An active-space electronic Hamiltonian in a spatial-orbital basis.

    Attributes:
        core_energy_ha: Nuclear repulsion plus frozen-core energy (hartree).
        one_body_ha: ``h_pq``, shape (M, M), symmetric.
        two_body_ha: ``(pq|rs)`` in chemists' notation, shape (M, M, M, M).
        num_alpha: Active alpha electrons.
        num_beta: Active beta electrons.

    Raises:
        ApplicationError: For wrong shapes, non-symmetric integrals or too many electrons.

    >>> h2 = MolecularIntegrals(0.7, np.diag([-1.25, -0.47]), np.zeros((2, 2, 2, 2)), 1, 1)
    >>> h2.num_orbitals, h2.num_spin_orbitals
    (2, 4)
    """

    core_energy_ha: float
    one_body_ha: NDArray[np.float64] = field(repr=False)
    two_body_ha: NDArray[np.float64] = field(repr=False)
    num_alpha: int
    num_beta: int

    def __post_init__(self) -> None:
        h1 = np.array(self.one_body_ha, dtype=np.float64)
        h2 = np.array(self.two_body_ha, dtype=np.float64)
        m = h1.shape[0] if h1.ndim == 2 else -1
        if h1.shape != (m, m) or h2.shape != (m,) * 4 or m < 1:
            raise ApplicationError(
                f"one_body_ha must be (M, M) and two_body_ha (M, M, M, M); got {h1.shape} and "
                f"{h2.shape}"
            )
        if m > 15:
            raise ApplicationError(f"{m} active orbitals is too many; choose at most 15")
        if not np.allclose(h1, h1.T, atol=1e-8):
            raise ApplicationError("one_body_ha must be symmetric (real orbitals)")
        for na, name in ((self.num_alpha, "num_alpha"), (self.num_beta, "num_beta")):
            if isinstance(na, bool) or not isinstance(na, int | np.integer) or not 0 <= na <= m:
                raise ApplicationError(f"{name} must be an int in 0..{m}, got {na!r}")
        h1.flags.writeable = False
        h2.flags.writeable = False
        object.__setattr__(self, "one_body_ha", h1)
        object.__setattr__(self, "two_body_ha", h2)
        object.__setattr__(self, "core_energy_ha", float(self.core_energy_ha))
        object.__setattr__(self, "num_alpha", int(self.num_alpha))
        object.__setattr__(self, "num_beta", int(self.num_beta))

    @property
    def num_orbitals(self) -> int:
        """Active spatial orbitals M."""
        return int(self.one_body_ha.shape[0])

    @property
    def num_spin_orbitals(self) -> int:
        """2 M."""
        return 2 * self.num_orbitals

    def to_dict(self) -> dict[str, Any]:
        """Plain data (nested lists)."""
        return {
            "core_energy_ha": self.core_energy_ha,
            "one_body_ha": self.one_body_ha.tolist(),
            "two_body_ha": self.two_body_ha.tolist(),
            "num_alpha": self.num_alpha,
            "num_beta": self.num_beta,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MolecularIntegrals:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            return cls(
                float(data["core_energy_ha"]),
                np.asarray(data["one_body_ha"], dtype=np.float64),
                np.asarray(data["two_body_ha"], dtype=np.float64),
                int(data["num_alpha"]),
                int(data["num_beta"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                raise
            raise ApplicationError(f"cannot read MolecularIntegrals: {exc!r}") from exc


# ---------------------------------------------------------------------------------------------
# ladder-operator products, vectorised over index tuples


def _ladder(k: NDArray[np.int64], dagger: bool) -> list[tuple[Any, Any, float]]:
    """The two ordered terms ``c X^x Z^z`` of ``a+_k`` (dagger) or ``a_k``."""
    x = np.left_shift(np.int64(1), k)
    low = x - 1
    return [(x, low, 0.5), (x, low | x, 0.5 if dagger else -0.5)]


def _products(
    indices: list[NDArray[np.int64]], daggers: tuple[bool, ...], weights: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """All ordered terms of ``weights * prod_f ladder(indices[f], daggers[f])``."""
    factors = [_ladder(k, d) for k, d in zip(indices, daggers, strict=True)]
    xs, zs, cs = [], [], []
    for choice in itertools.product((0, 1), repeat=len(factors)):
        x = np.zeros_like(indices[0])
        z = np.zeros_like(indices[0])
        c = weights.copy()
        for factor, pick in zip(factors, choice, strict=True):
            fx, fz, fc = factor[pick]
            c = c * fc * (1 - 2 * (_popcount(z & fx) & 1))
            x = x ^ fx
            z = z ^ fz
        xs.append(x)
        zs.append(z)
        cs.append(c)
    return np.concatenate(xs), np.concatenate(zs), np.concatenate(cs)


def _jordan_wigner_ordered(
    integrals: MolecularIntegrals,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    m = integrals.num_orbitals
    h1, h2 = integrals.one_body_ha, integrals.two_body_ha
    grid1 = np.meshgrid(np.arange(m), np.arange(m), np.arange(2), indexing="ij")
    p1, q1, s = (g.ravel() for g in grid1)
    one = _products([p1 + s * m, q1 + s * m], (True, False), h1[p1, q1])
    grid = np.meshgrid(*(np.arange(m),) * 4, np.arange(2), np.arange(2), indexing="ij")
    keep = (np.abs(0.5 * h2[grid[0], grid[1], grid[2], grid[3]]) > 1e-14).ravel()
    p, q, r, t, s1, s2 = (g.ravel()[keep] for g in grid)
    weights = 0.5 * h2[p, q, r, t]
    two = _products(
        [p + s1 * m, r + s2 * m, t + s2 * m, q + s1 * m], (True, True, False, False), weights
    )
    x = np.concatenate([np.zeros(1, np.int64), one[0], two[0]])
    z = np.concatenate([np.zeros(1, np.int64), one[1], two[1]])
    c = np.concatenate([[integrals.core_energy_ha], one[2], two[2]])
    return x, z, c


def _to_parity(
    x: NDArray[np.int64], z: NDArray[np.int64], n: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``X^x Z^z -> X^{A x} Z^{A^-T z}`` for the parity basis change (see module docstring)."""
    mask = (np.int64(1) << n) - 1
    px = x.copy()
    shift = 1
    while shift < n:
        px ^= px << shift
        shift *= 2
    return px & mask, (z ^ (z >> 1)) & mask


def _taper(
    x: NDArray[np.int64],
    z: NDArray[np.int64],
    c: NDArray[np.float64],
    m: int,
    num_alpha: int,
    num_electrons: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Remove parity qubits M-1 and 2M-1, replacing Z there by the symmetry eigenvalues."""
    qa, qt = m - 1, 2 * m - 1
    if np.any((x >> qa) & 1) or np.any((x >> qt) & 1):
        raise ApplicationError(
            "the operator does not conserve the alpha and total electron parity, so it cannot "
            "be tapered; use mapping='parity' or 'jordan-wigner'"
        )
    sign_a = 1 - 2 * (num_alpha % 2)
    sign_t = 1 - 2 * (num_electrons % 2)
    c = c * np.where((z >> qa) & 1, sign_a, 1) * np.where((z >> qt) & 1, sign_t, 1)
    low = (np.int64(1) << qa) - 1

    def squeeze(v: NDArray[np.int64]) -> NDArray[np.int64]:
        return (v & low) | (((v >> m) & low) << qa)

    return squeeze(x), squeeze(z), c


def _map_ordered(
    x: NDArray[np.int64],
    z: NDArray[np.int64],
    c: NDArray[np.float64],
    integrals: MolecularIntegrals,
    mapping: str,
) -> tuple[int, NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    n = integrals.num_spin_orbitals
    if mapping not in MAPPINGS:
        raise ApplicationError(f"unknown mapping {mapping!r}; choose one of {', '.join(MAPPINGS)}")
    if mapping == "jordan-wigner":
        return n, x, z, c
    x, z = _to_parity(x, z, n)
    if mapping == "parity":
        return n, x, z, c
    if integrals.num_orbitals < 2:
        raise ApplicationError("tapering needs at least 2 active orbitals")
    electrons = integrals.num_alpha + integrals.num_beta
    x, z, c = _taper(x, z, c, integrals.num_orbitals, integrals.num_alpha, electrons)
    return n - 2, x, z, c


def qubit_hamiltonian(integrals: MolecularIntegrals, mapping: str = "parity-tapered") -> PauliSum:
    """The qubit Hamiltonian of ``integrals`` under a fermion-to-qubit mapping.

    Args:
        integrals: The active-space Hamiltonian.
        mapping: ``"jordan-wigner"`` (2M qubits), ``"parity"`` (2M) or ``"parity-tapered"``
            (2M - 2 qubits, in the sector of ``num_alpha``/``num_beta`` electrons).

    Returns:
        The Pauli sum (hartree).

    Raises:
        ApplicationError: For an unknown mapping.

    >>> h = MolecularIntegrals(0.0, np.diag([-1.0, 0.5]), np.zeros((2, 2, 2, 2)), 1, 1)
    >>> round(qubit_hamiltonian(h, "jordan-wigner").ground_energy(), 9)  # both in orbital 0
    -2.0
    >>> qubit_hamiltonian(h).num_qubits
    2
    """
    x, z, c = _jordan_wigner_ordered(integrals)
    n, x, z, c = _map_ordered(x, z, c, integrals, mapping)
    return PauliSum.from_ordered(n, x, z, c)


def hartree_fock_bits(integrals: MolecularIntegrals, mapping: str = "parity-tapered") -> int:
    """Basis index of the Hartree-Fock determinant (lowest orbitals filled) under ``mapping``.

    >>> h = MolecularIntegrals(0.0, np.diag([-1.0, 0.5]), np.zeros((2, 2, 2, 2)), 1, 1)
    >>> hartree_fock_bits(h, "jordan-wigner"), hartree_fock_bits(h, "parity-tapered")
    (5, 1)
    """
    m = integrals.num_orbitals
    occupied = ((1 << integrals.num_alpha) - 1) | (((1 << integrals.num_beta) - 1) << m)
    if mapping not in MAPPINGS:
        raise ApplicationError(f"unknown mapping {mapping!r}; choose one of {', '.join(MAPPINGS)}")
    if mapping == "jordan-wigner":
        return occupied
    # an occupation string n maps to A n, the same map as an X mask
    parity, _ = _to_parity(np.array([occupied], np.int64), np.zeros(1, np.int64), 2 * m)
    bits = int(parity[0])
    if mapping == "parity":
        return bits
    low = (1 << (m - 1)) - 1
    return (bits & low) | (((bits >> m) & low) << (m - 1))


@dataclass(frozen=True)
class Excitation:
    """A spin-conserving excitation: electrons leave ``occupied`` for ``virtual`` spin orbitals.

    Attributes:
        occupied: Spin orbitals emptied (one for a single, two for a double).
        virtual: Spin orbitals filled.
    """

    occupied: tuple[int, ...]
    virtual: tuple[int, ...]


def excitations(integrals: MolecularIntegrals) -> list[Excitation]:
    """Singles then doubles of UCCSD, conserving the alpha and beta electron numbers.

    >>> h = MolecularIntegrals(0.0, np.eye(2), np.zeros((2, 2, 2, 2)), 1, 1)
    >>> [(e.occupied, e.virtual) for e in excitations(h)]
    [((0,), (1,)), ((2,), (3,)), ((0, 2), (1, 3))]
    """
    m = integrals.num_orbitals
    occ = [list(range(integrals.num_alpha)), [m + i for i in range(integrals.num_beta)]]
    vir = [list(range(integrals.num_alpha, m)), [m + i for i in range(integrals.num_beta, m)]]
    singles = [Excitation((i,), (a,)) for s in (0, 1) for i in occ[s] for a in vir[s]]
    doubles = []
    for s1, s2 in ((0, 0), (0, 1), (1, 1)):
        for i, j in itertools.product(occ[s1], occ[s2]):
            for a, b in itertools.product(vir[s1], vir[s2]):
                if (s1 == s2 and (i >= j or a >= b)) or i == j or a == b:
                    continue
                doubles.append(Excitation((i, j), (a, b)))
    return singles + doubles


def qubit_operator_of_excitation(
    excitation: Excitation, integrals: MolecularIntegrals, mapping: str = "parity-tapered"
) -> tuple[int, NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """``T - T+ = i sum_k w_k P_k`` for the excitation operator T, under ``mapping``.

    ``T = a+_a a_i`` (single) or ``a+_a a+_b a_j a_i`` (double); ``exp(theta (T - T+))`` is
    then ``prod_k exp(i theta w_k P_k)`` (the P_k commute).

    Returns:
        ``(num_qubits, x_masks, z_masks, w)`` of the Pauli strings P_k.
    """
    k = [np.array([v], np.int64) for v in (*excitation.virtual, *reversed(excitation.occupied))]
    order = len(excitation.virtual)
    daggers = (True,) * order + (False,) * order
    x, z, c = _products(k, daggers, np.ones(1))
    n, x, z, c = _map_ordered(x, z, c, integrals, mapping)
    # T+ has the same ordered terms with sign (-1)^{n_Y}; T - T+ keeps odd n_Y, doubled, and
    # X^x Z^z = (-i)^{n_Y} P gives i w P with w = -2c (n_Y = 1 mod 4) or 2c (n_Y = 3 mod 4).
    keys, inverse = np.unique(np.stack([x, z], axis=1), axis=0, return_inverse=True)
    summed = np.bincount(inverse.reshape(-1), weights=c, minlength=keys.shape[0])
    ny = _popcount(keys[:, 0] & keys[:, 1]).astype(np.int64) % 4
    w = np.where(ny == 1, -2 * summed, 2 * summed)
    keep = (ny % 2 == 1) & (np.abs(w) > 1e-12)
    return n, keys[keep, 0], keys[keep, 1], w[keep]
