"""Every library gate's matrix against its textbook definition, typed in here independently.

Sources: Nielsen & Chuang (2010) ch. 4 for X, Y, Z, H, S, T, rotations, CNOT, Toffoli, Fredkin;
OpenQASM 3 (Cross et al., ACM TQC 2022) for U, P, CU and the qelib1/stdgates names;
Qiskit's circuit-library documentation for SX, iSWAP, RXX/RYY/RZZ and the relative-phase Toffolis.
"""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest

from kvant.circuit import GATES, gate_matrix
from kvant.errors import GateDefinitionError

ANGLES = [0.0, 0.3, -1.1, math.pi / 2, math.pi, 2.7, -math.pi]
e = cmath.exp
c, s = math.cos, math.sin
r2 = 1 / math.sqrt(2)


def ctrl(u: list[list[complex]], controls: int = 1) -> np.ndarray:
    """Block matrix [[I, 0], [0, U]] with the controls as the most significant bits."""
    u_arr = np.array(u, dtype=complex)
    dim = u_arr.shape[0] << controls
    out = np.eye(dim, dtype=complex)
    out[dim - u_arr.shape[0] :, dim - u_arr.shape[0] :] = u_arr
    return out


FIXED = {
    "id": [[1, 0], [0, 1]],
    "x": [[0, 1], [1, 0]],
    "y": [[0, -1j], [1j, 0]],
    "z": [[1, 0], [0, -1]],
    "h": [[r2, r2], [r2, -r2]],
    "s": [[1, 0], [0, 1j]],
    "sdg": [[1, 0], [0, -1j]],
    "t": [[1, 0], [0, e(1j * math.pi / 4)]],
    "tdg": [[1, 0], [0, e(-1j * math.pi / 4)]],
    "sx": [[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]],
    "sxdg": [[(1 - 1j) / 2, (1 + 1j) / 2], [(1 + 1j) / 2, (1 - 1j) / 2]],
    "cx": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
    "cy": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, -1j], [0, 0, 1j, 0]],
    "cz": np.diag([1, 1, 1, -1]),
    "ch": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, r2, r2], [0, 0, r2, -r2]],
    "swap": [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]],
    "iswap": [[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]],
    "iswapdg": [[1, 0, 0, 0], [0, 0, -1j, 0], [0, -1j, 0, 0], [0, 0, 0, 1]],
    "csx": ctrl([[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]]),
    "csxdg": ctrl([[(1 - 1j) / 2, (1 + 1j) / 2], [(1 + 1j) / 2, (1 - 1j) / 2]]),
    "ccx": ctrl([[0, 1], [1, 0]], 2),
    "cswap": ctrl([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    "c3x": ctrl([[0, 1], [1, 0]], 3),
    "c4x": ctrl([[0, 1], [1, 0]], 4),
    "c3sqrtx": ctrl([[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]], 3),
    "c3sqrtxdg": ctrl([[(1 - 1j) / 2, (1 + 1j) / 2], [(1 + 1j) / 2, (1 - 1j) / 2]], 3),
}

# Relative-phase Toffolis (Maslov 2016; Qiskit RCCXGate / RC3XGate docs), textbook order with
# the controls first. RCCX: Toffoli up to phases -1 on |101> and the target flip carrying -i/+i.
RCCX = np.eye(8, dtype=complex)
RCCX[5, 5] = -1
RCCX[6:8, 6:8] = [[0, -1j], [1j, 0]]
RC3X = np.eye(16, dtype=complex)
RC3X[12, 12], RC3X[13, 13] = 1j, -1j
RC3X[14:16, 14:16] = [[0, 1], [-1, 0]]
FIXED["rccx"] = RCCX
FIXED["rccxdg"] = RCCX.conj().T
FIXED["rc3x"] = RC3X
FIXED["rc3xdg"] = RC3X.conj().T


def u_matrix(t: float, p: float, lam: float) -> np.ndarray:
    return np.array(
        [[c(t / 2), -e(1j * lam) * s(t / 2)], [e(1j * p) * s(t / 2), e(1j * (p + lam)) * c(t / 2)]]
    )


ONE_PARAM = {
    "rx": lambda t: [[c(t / 2), -1j * s(t / 2)], [-1j * s(t / 2), c(t / 2)]],
    "ry": lambda t: [[c(t / 2), -s(t / 2)], [s(t / 2), c(t / 2)]],
    "rz": lambda t: [[e(-1j * t / 2), 0], [0, e(1j * t / 2)]],
    "p": lambda t: [[1, 0], [0, e(1j * t)]],
    "u1": lambda t: [[1, 0], [0, e(1j * t)]],
    "u0": lambda t: [[1, 0], [0, 1]],
    "crx": lambda t: ctrl([[c(t / 2), -1j * s(t / 2)], [-1j * s(t / 2), c(t / 2)]]),
    "cry": lambda t: ctrl([[c(t / 2), -s(t / 2)], [s(t / 2), c(t / 2)]]),
    "crz": lambda t: ctrl([[e(-1j * t / 2), 0], [0, e(1j * t / 2)]]),
    "cp": lambda t: np.diag([1, 1, 1, e(1j * t)]),
    "cu1": lambda t: np.diag([1, 1, 1, e(1j * t)]),
    "rxx": lambda t: [
        [c(t / 2), 0, 0, -1j * s(t / 2)],
        [0, c(t / 2), -1j * s(t / 2), 0],
        [0, -1j * s(t / 2), c(t / 2), 0],
        [-1j * s(t / 2), 0, 0, c(t / 2)],
    ],
    "ryy": lambda t: [
        [c(t / 2), 0, 0, 1j * s(t / 2)],
        [0, c(t / 2), -1j * s(t / 2), 0],
        [0, -1j * s(t / 2), c(t / 2), 0],
        [1j * s(t / 2), 0, 0, c(t / 2)],
    ],
    "rzz": lambda t: np.diag([e(-1j * t / 2), e(1j * t / 2), e(1j * t / 2), e(-1j * t / 2)]),
}


def test_every_library_gate_is_checked_here() -> None:
    checked = set(FIXED) | set(ONE_PARAM) | {"u", "u3", "u2", "cu3", "cu"}
    assert checked == set(GATES)


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_gate_matrix(name: str) -> None:
    np.testing.assert_allclose(gate_matrix(name), np.array(FIXED[name], dtype=complex), atol=1e-12)


@pytest.mark.parametrize("theta", ANGLES)
@pytest.mark.parametrize("name", sorted(ONE_PARAM))
def test_one_parameter_gate_matrix(name: str, theta: float) -> None:
    expected = np.array(ONE_PARAM[name](theta), dtype=complex)
    np.testing.assert_allclose(gate_matrix(name, [theta]), expected, atol=1e-12)


@pytest.mark.parametrize(
    ("t", "p", "lam"), [(0.1, 0.2, 0.3), (math.pi, 0, math.pi), (-1.0, 2.5, -0.7)]
)
def test_u_family(t: float, p: float, lam: float) -> None:
    np.testing.assert_allclose(gate_matrix("u", [t, p, lam]), u_matrix(t, p, lam), atol=1e-12)
    np.testing.assert_allclose(gate_matrix("u3", [t, p, lam]), u_matrix(t, p, lam), atol=1e-12)
    np.testing.assert_allclose(
        gate_matrix("u2", [p, lam]), u_matrix(math.pi / 2, p, lam), atol=1e-12
    )
    np.testing.assert_allclose(
        gate_matrix("cu3", [t, p, lam]), ctrl(u_matrix(t, p, lam).tolist()), atol=1e-12
    )
    for gamma in (0.0, 0.4):
        expected = ctrl((e(1j * gamma) * u_matrix(t, p, lam)).tolist())
        np.testing.assert_allclose(gate_matrix("cu", [t, p, lam, gamma]), expected, atol=1e-12)


def test_u_special_cases_are_textbook_gates() -> None:
    # U(pi, 0, pi) = X and U(pi/2, 0, pi) = H (OpenQASM 3 paper, table of standard gates)
    np.testing.assert_allclose(gate_matrix("u", [math.pi, 0, math.pi]), FIXED["x"], atol=1e-12)
    np.testing.assert_allclose(gate_matrix("u", [math.pi / 2, 0, math.pi]), FIXED["h"], atol=1e-12)


@pytest.mark.parametrize("name", sorted(GATES))
def test_matrices_are_unitary_and_inverse_rule_inverts(name: str) -> None:
    spec = GATES[name]
    params = [0.37 * (k + 1) for k in range(spec.num_params)]
    m = gate_matrix(name, params)
    assert m.shape == (1 << spec.num_qubits, 1 << spec.num_qubits)
    np.testing.assert_allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=1e-12)
    inv_name, inv_params = spec.inverse(*params)
    np.testing.assert_allclose(
        gate_matrix(inv_name, inv_params) @ m, np.eye(m.shape[0]), atol=1e-12
    )
    if spec.diagonal:
        assert np.count_nonzero(m - np.diag(np.diag(m))) == 0


def test_unknown_gate_and_wrong_parameter_count() -> None:
    with pytest.raises(GateDefinitionError, match="unknown gate 'foo'"):
        gate_matrix("foo")
    with pytest.raises(GateDefinitionError, match="takes 1 parameter"):
        gate_matrix("rx", [])
