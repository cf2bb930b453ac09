"""Shared, cached problems for the application tests (PySCF and pandapower are not free)."""

from __future__ import annotations

import pytest

from kvant.apps import IslandingProblem, MolecularProblem, islanding_problem, molecular_problem


@pytest.fixture(scope="session")
def h2() -> MolecularProblem:
    """H2 at 0.735 angstrom (the textbook geometry)."""
    return molecular_problem("H2", 0.735)


@pytest.fixture(scope="session")
def lih() -> MolecularProblem:
    """LiH at its equilibrium bond length."""
    return molecular_problem("LiH")


@pytest.fixture(scope="session")
def ieee14() -> IslandingProblem:
    """The IEEE 14-bus islanding problem."""
    return islanding_problem("ieee14")
