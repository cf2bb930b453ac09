"""Molecules for the chemistry application: geometries, active spaces, integrals from PySCF.

Three molecules, all in the minimal STO-3G basis (Hehre, Stewart & Pople 1969) so that VQE
runs in seconds on the emulator:

* ``H2``: the full space, 2 electrons in 2 orbitals (4 spin orbitals, 2 qubits tapered).
* ``LiH``: Li 1s frozen (its orbital energy is ~ -2.4 Ha, far below the valence), and the three
  valence sigma orbitals active: 2 electrons in 3 orbitals (6 spin orbitals, 4 qubits tapered).
  The two pi orbitals are left out: by the linear symmetry they cannot mix with the sigma
  ground state by single excitations and carry ~1 mHa of pair correlation near equilibrium.
* ``formamide`` (HCONH2): the smallest model of the amide (peptide) bond that backbones every
  peptide drug and appears in many small-molecule drugs; the active space is the frontier
  orbitals of the amide group, 4 electrons in 3 orbitals around the Fermi level (CASCI(4,3):
  the two highest occupied and the lowest unoccupied orbital, the pi* acceptor of the C=O
  that governs hydrogen bonding to a target), 4 qubits tapered.

The reference energy for each active space is CASCI from PySCF (exact diagonalisation in that
space, so what an exact VQE must reach); for H2 it is the full FCI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.apps._fermion import MolecularIntegrals
from kvant.errors import ApplicationError

__all__ = ["MOLECULES", "MolecularProblem", "equilibrium_bond_angstrom", "molecular_problem"]

#: Equilibrium bond lengths (angstrom): H2 and LiH from NIST CCCBDB experimental values,
#: formamide C-N from its microwave structure (Kitano & Kuchitsu 1974).
_EQUILIBRIUM = {"H2": 0.7414, "LiH": 1.5949, "formamide": 1.352}
MOLECULES: tuple[str, ...] = tuple(_EQUILIBRIUM)

# Planar formamide (angstrom, x-y plane): C, O, then N and its two H, then the formyl H.
_FORMAMIDE_C = np.array([0.0, 0.419, 0.0])
_FORMAMIDE_O = np.array([1.196, 0.242, 0.0])
_FORMAMIDE_H = np.array([-0.441, 1.433, 0.0])
_FORMAMIDE_NH2 = np.array([[-0.936, -0.568, 0.0], [-1.917, -0.341, 0.0], [-0.673, -1.541, 0.0]])


@dataclass(frozen=True, eq=False)
class MolecularProblem:
    """A molecule at one geometry, reduced to an active space, with its reference energies.

    Attributes:
        name: ``H2``, ``LiH`` or ``formamide``.
        bond_angstrom: The varied bond (H-H, Li-H, or the amide C-N).
        integrals: The active-space Hamiltonian.
        hartree_fock_ha: RHF total energy.
        reference_ha: CASCI total energy in the active space (FCI for H2).
        fci_ha: Full-space FCI total energy where cheap (H2, LiH), else None.
        active_space: ``(electrons, orbitals)``.
    """

    name: str
    bond_angstrom: float
    integrals: MolecularIntegrals
    hartree_fock_ha: float
    reference_ha: float
    fci_ha: float | None
    active_space: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the integrals included)."""
        return {
            "name": self.name,
            "bond_angstrom": self.bond_angstrom,
            "integrals": self.integrals.to_dict(),
            "hartree_fock_ha": self.hartree_fock_ha,
            "reference_ha": self.reference_ha,
            "fci_ha": self.fci_ha,
            "active_space": list(self.active_space),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MolecularProblem:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ApplicationError: If a field is missing or malformed.
        """
        try:
            fci = data["fci_ha"]
            electrons, orbitals = data["active_space"]
            return cls(
                str(data["name"]),
                float(data["bond_angstrom"]),
                MolecularIntegrals.from_dict(data["integrals"]),
                float(data["hartree_fock_ha"]),
                float(data["reference_ha"]),
                None if fci is None else float(fci),
                (int(electrons), int(orbitals)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ApplicationError):
                raise
            raise ApplicationError(f"cannot read a MolecularProblem: {exc!r}") from exc


def _canonical(name: str) -> str:
    for known in MOLECULES:
        if known.lower() == str(name).lower():
            return known
    raise ApplicationError(f"unknown molecule {name!r}; choose one of {', '.join(MOLECULES)}")


def equilibrium_bond_angstrom(name: str) -> float:
    """Experimental equilibrium length of the varied bond.

    >>> equilibrium_bond_angstrom("h2")
    0.7414
    """
    return _EQUILIBRIUM[_canonical(name)]


def _geometry(name: str, bond: float) -> list[tuple[str, NDArray[np.float64]]]:
    if name == "H2":
        return [("H", np.zeros(3)), ("H", np.array([0.0, 0.0, bond]))]
    if name == "LiH":
        return [("Li", np.zeros(3)), ("H", np.array([0.0, 0.0, bond]))]
    axis = _FORMAMIDE_NH2[0] - _FORMAMIDE_C
    shift = (bond / np.linalg.norm(axis) - 1.0) * axis
    atoms = [("C", _FORMAMIDE_C), ("O", _FORMAMIDE_O), ("H", _FORMAMIDE_H)]
    return atoms + [(s, xyz + shift) for s, xyz in zip("NHH", _FORMAMIDE_NH2, strict=True)]


def molecular_problem(name: str, bond_angstrom: float | None = None) -> MolecularProblem:
    """Integrals (PySCF RHF + CASCI active space) and reference energies for a molecule.

    Args:
        name: ``H2``, ``LiH`` or ``formamide`` (case-insensitive).
        bond_angstrom: Length of the varied bond; None for the equilibrium value.

    Returns:
        The problem.

    Raises:
        ApplicationError: For an unknown molecule or a bond outside 0.3..5 angstrom.

    >>> problem = molecular_problem("H2", 0.735)
    >>> problem.active_space, round(problem.reference_ha, 6)
    ((2, 2), -1.137306)
    """
    from pyscf import fci, gto, mcscf, scf  # type: ignore[import-untyped]

    canonical = _canonical(name)
    bond = _EQUILIBRIUM[canonical] if bond_angstrom is None else float(bond_angstrom)
    if not 0.3 <= bond <= 5.0:
        raise ApplicationError(f"bond_angstrom must be in 0.3..5 angstrom, got {bond_angstrom!r}")
    atoms = ";".join(
        f"{s} {x:.10f} {y:.10f} {z:.10f}" for s, (x, y, z) in _geometry(canonical, bond)
    )
    mol = gto.M(atom=atoms, basis="sto-3g", unit="Angstrom", verbose=0)
    mf = scf.RHF(mol)
    mf.conv_tol = 1e-11
    hartree_fock = float(mf.kernel())
    if not mf.converged:
        raise ApplicationError(f"RHF of {canonical} at {bond} angstrom did not converge")
    mo = mf.mo_coeff
    full_fci: float | None = None
    if canonical == "H2":
        electrons, orbitals = 2, 2
        cas = mcscf.CASCI(mf, orbitals, electrons)
    elif canonical == "LiH":
        electrons, orbitals = 2, 3
        labels = mol.ao_labels()
        pi_ao = [i for i, label in enumerate(labels) if "px" in label or "py" in label]
        pi_weight = (mo[pi_ao, :] ** 2).sum(axis=0)
        sigma = [int(k) for k in np.flatnonzero(pi_weight < 1e-6) if k > 0][:orbitals]
        cas = mcscf.CASCI(mf, orbitals, electrons)
        mo = cas.sort_mo(sigma, base=0)
    else:
        electrons, orbitals = 4, 3
        cas = mcscf.CASCI(mf, orbitals, electrons)
    if canonical in ("H2", "LiH"):
        full_fci = float(fci.FCI(mf).kernel()[0])
    cas.verbose = 0
    reference = float(cas.kernel(mo)[0])
    h1, core = cas.get_h1eff(mo)
    from pyscf import ao2mo

    h2 = ao2mo.restore(1, cas.get_h2eff(mo), orbitals)
    integrals = MolecularIntegrals(float(core), h1, h2, electrons // 2, electrons // 2)
    return MolecularProblem(
        canonical,
        bond,
        integrals,
        hartree_fock,
        reference,
        full_fci,
        (electrons, orbitals),
    )
