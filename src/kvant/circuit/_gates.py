"""The standard gate library: names, arities, matrices and inverses.

Matrix convention: a k-qubit gate acting on qubits ``(q_0, ..., q_{k-1})`` has a ``2^k x 2^k``
matrix whose row/column index is ``b(q_0) b(q_1) ... b(q_{k-1})`` read as a binary number with
``q_0`` the *most* significant bit: the textbook convention, so ``CX(control, target)`` is
``[[1,0,0,0],[0,1,0,0],[0,0,0,1],[0,0,1,0]]``. (State vectors are little-endian; see
:mod:`kvant.sim`. Engines do the bookkeeping between the two.)

Definitions follow OpenQASM 3 / Qiskit (``U``, ``P``, ``CU`` with its global-phase parameter),
and ``qelib1.inc`` for the OpenQASM 2 names (``u1``, ``u2``, ``u3``, ``cu1``, ``cu3``, ``rccx``...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.errors import GateDefinitionError

__all__ = ["GATES", "GateSpec", "controlled", "gate_matrix", "gate_spec"]

Matrix = NDArray[np.complex128]

_I2 = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=complex) / 2
_SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)
_ISWAP = np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]], dtype=complex)


def _u(theta: float, phi: float, lam: float) -> Matrix:
    """OpenQASM 3 ``U(θ, φ, λ)`` (Cross et al., OpenQASM 3, 2022, eq. 1)."""
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [
            [c, -np.exp(1j * lam) * s],
            [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c],
        ],
        dtype=complex,
    )


def _phase(lam: float) -> Matrix:
    return np.diag([1, np.exp(1j * lam)]).astype(complex)


def _rot(pauli: Matrix, theta: float) -> Matrix:
    """exp(-i θ P / 2) for a Pauli (or Pauli product) P with P^2 = I."""
    dim = pauli.shape[0]
    return math.cos(theta / 2) * np.eye(dim, dtype=complex) - 1j * math.sin(theta / 2) * pauli


def controlled(matrix: NDArray[Any], num_controls: int = 1) -> Matrix:
    """Controlled version of ``matrix``; controls are the leading (most significant) qubits."""
    dim = matrix.shape[0]
    total = dim << num_controls
    out: Matrix = np.eye(total, dtype=np.complex128)
    out[total - dim :, total - dim :] = matrix
    return out


@dataclass(frozen=True)
class GateSpec:
    """What the library knows about one named gate.

    Attributes:
        name: Lower-case name, as written in OpenQASM.
        num_qubits: Number of qubits it acts on.
        num_params: Number of real parameters (angles).
        matrix: Function from the parameters to the unitary (textbook qubit order).
        inverse: Function from the parameters to ``(name, params)`` of the inverse gate.
        in_qelib1: True if ``qelib1.inc`` defines it, so OpenQASM 2 export needs no definition.
        diagonal: True if the matrix is diagonal for all parameters.
    """

    name: str
    num_qubits: int
    num_params: int
    matrix: Callable[..., Matrix]
    inverse: Callable[..., tuple[str, tuple[float, ...]]]
    in_qelib1: bool = True
    diagonal: bool = False


def _self_inverse(name: str) -> Callable[..., tuple[str, tuple[float, ...]]]:
    return lambda *p: (name, tuple(p))


def _negate(name: str) -> Callable[..., tuple[str, tuple[float, ...]]]:
    return lambda *p: (name, tuple(-x for x in p))


def _fixed(name: str) -> Callable[..., tuple[str, tuple[float, ...]]]:
    return lambda *p: (name, ())


def _u_inverse(name: str) -> Callable[..., tuple[str, tuple[float, ...]]]:
    return lambda theta, phi, lam: (name, (-theta, -lam, -phi))


def _const(m: NDArray[Any]) -> Callable[[], Matrix]:
    fixed: Matrix = np.asarray(m, dtype=np.complex128)
    return lambda: fixed


def _library() -> dict[str, GateSpec]:
    s_mat, t_mat = _phase(math.pi / 2), _phase(math.pi / 4)
    specs = [
        # one qubit, fixed
        GateSpec("id", 1, 0, _const(_I2), _self_inverse("id")),
        GateSpec("x", 1, 0, _const(_X), _self_inverse("x")),
        GateSpec("y", 1, 0, _const(_Y), _self_inverse("y")),
        GateSpec("z", 1, 0, _const(_Z), _self_inverse("z"), diagonal=True),
        GateSpec("h", 1, 0, _const(_H), _self_inverse("h")),
        GateSpec("s", 1, 0, _const(s_mat), _fixed("sdg"), diagonal=True),
        GateSpec("sdg", 1, 0, _const(s_mat.conj()), _fixed("s"), diagonal=True),
        GateSpec("t", 1, 0, _const(t_mat), _fixed("tdg"), diagonal=True),
        GateSpec("tdg", 1, 0, _const(t_mat.conj()), _fixed("t"), diagonal=True),
        GateSpec("sx", 1, 0, _const(_SX), _fixed("sxdg")),
        GateSpec("sxdg", 1, 0, _const(_SX.conj().T), _fixed("sx")),
        # one qubit, parameterised
        GateSpec("rx", 1, 1, lambda t: _rot(_X, t), _negate("rx")),
        GateSpec("ry", 1, 1, lambda t: _rot(_Y, t), _negate("ry")),
        GateSpec("rz", 1, 1, lambda t: _rot(_Z, t), _negate("rz"), diagonal=True),
        GateSpec("p", 1, 1, _phase, _negate("p"), diagonal=True),
        GateSpec("u1", 1, 1, _phase, _negate("u1"), diagonal=True),
        GateSpec(
            "u2",
            1,
            2,
            lambda phi, lam: _u(math.pi / 2, phi, lam),
            lambda phi, lam: ("u3", (-math.pi / 2, -lam, -phi)),
        ),
        GateSpec("u3", 1, 3, _u, _u_inverse("u3")),
        GateSpec("u", 1, 3, _u, _u_inverse("u")),
        GateSpec("u0", 1, 1, lambda _gamma: _I2, _self_inverse("u0")),
        # two qubits
        GateSpec("cx", 2, 0, _const(controlled(_X)), _self_inverse("cx")),
        GateSpec("cy", 2, 0, _const(controlled(_Y)), _self_inverse("cy")),
        GateSpec("cz", 2, 0, _const(controlled(_Z)), _self_inverse("cz"), diagonal=True),
        GateSpec("ch", 2, 0, _const(controlled(_H)), _self_inverse("ch")),
        GateSpec("csx", 2, 0, _const(controlled(_SX)), lambda: ("csxdg", ())),
        GateSpec("csxdg", 2, 0, _const(controlled(_SX.conj().T)), _fixed("csx"), in_qelib1=False),
        GateSpec("swap", 2, 0, _const(_SWAP), _self_inverse("swap")),
        GateSpec("iswap", 2, 0, _const(_ISWAP), _fixed("iswapdg"), in_qelib1=False),
        GateSpec("iswapdg", 2, 0, _const(_ISWAP.conj().T), _fixed("iswap"), in_qelib1=False),
        GateSpec("crx", 2, 1, lambda t: controlled(_rot(_X, t)), _negate("crx")),
        GateSpec("cry", 2, 1, lambda t: controlled(_rot(_Y, t)), _negate("cry")),
        GateSpec("crz", 2, 1, lambda t: controlled(_rot(_Z, t)), _negate("crz"), diagonal=True),
        GateSpec("cp", 2, 1, lambda t: controlled(_phase(t)), _negate("cp"), diagonal=True),
        GateSpec("cu1", 2, 1, lambda t: controlled(_phase(t)), _negate("cu1"), diagonal=True),
        GateSpec("cu3", 2, 3, lambda t, p, lam: controlled(_u(t, p, lam)), _u_inverse("cu3")),
        GateSpec(
            "cu",
            2,
            4,
            lambda t, p, lam, g: controlled(np.exp(1j * g) * _u(t, p, lam)),
            lambda t, p, lam, g: ("cu", (-t, -lam, -p, -g)),
        ),
        GateSpec("rxx", 2, 1, lambda t: _rot(np.kron(_X, _X), t), _negate("rxx")),
        GateSpec("ryy", 2, 1, lambda t: _rot(np.kron(_Y, _Y), t), _negate("ryy"), in_qelib1=False),
        GateSpec("rzz", 2, 1, lambda t: _rot(np.kron(_Z, _Z), t), _negate("rzz"), diagonal=True),
        # three and more qubits
        GateSpec("ccx", 3, 0, _const(controlled(_X, 2)), _self_inverse("ccx")),
        GateSpec("cswap", 3, 0, _const(controlled(_SWAP)), _self_inverse("cswap")),
        GateSpec("rccx", 3, 0, lambda: _decomposed("rccx"), lambda: ("rccxdg", ())),
        GateSpec(
            "rccxdg",
            3,
            0,
            lambda: _decomposed("rccx").conj().T,
            lambda: ("rccx", ()),
            in_qelib1=False,
        ),
        GateSpec("c3x", 4, 0, _const(controlled(_X, 3)), _self_inverse("c3x")),
        GateSpec("rc3x", 4, 0, lambda: _decomposed("rc3x"), lambda: ("rc3xdg", ())),
        GateSpec(
            "rc3xdg",
            4,
            0,
            lambda: _decomposed("rc3x").conj().T,
            lambda: ("rc3x", ()),
            in_qelib1=False,
        ),
        GateSpec("c3sqrtx", 4, 0, _const(controlled(_SX, 3)), lambda: ("c3sqrtxdg", ())),
        GateSpec(
            "c3sqrtxdg",
            4,
            0,
            _const(controlled(_SX.conj().T, 3)),
            lambda: ("c3sqrtx", ()),
            in_qelib1=False,
        ),
        GateSpec("c4x", 5, 0, _const(controlled(_X, 4)), _self_inverse("c4x")),
    ]
    return {spec.name: spec for spec in specs}


# qelib1.inc's own definitions of the relative-phase Toffolis; their matrices are computed from
# these sequences so that nothing is typed in by hand.
_PI = math.pi
_DECOMPOSITIONS: dict[str, tuple[int, list[tuple[str, tuple[float, ...], tuple[int, ...]]]]] = {
    "rccx": (
        3,
        [
            ("u2", (0.0, _PI), (2,)),
            ("u1", (_PI / 4,), (2,)),
            ("cx", (), (1, 2)),
            ("u1", (-_PI / 4,), (2,)),
            ("cx", (), (0, 2)),
            ("u1", (_PI / 4,), (2,)),
            ("cx", (), (1, 2)),
            ("u1", (-_PI / 4,), (2,)),
            ("u2", (0.0, _PI), (2,)),
        ],
    ),
    "rc3x": (
        4,
        [
            ("u2", (0.0, _PI), (3,)),
            ("u1", (_PI / 4,), (3,)),
            ("cx", (), (2, 3)),
            ("u1", (-_PI / 4,), (3,)),
            ("u2", (0.0, _PI), (3,)),
            ("cx", (), (0, 3)),
            ("u1", (_PI / 4,), (3,)),
            ("cx", (), (1, 3)),
            ("u1", (-_PI / 4,), (3,)),
            ("cx", (), (0, 3)),
            ("u1", (_PI / 4,), (3,)),
            ("cx", (), (1, 3)),
            ("u1", (-_PI / 4,), (3,)),
            ("u2", (0.0, _PI), (3,)),
            ("u1", (_PI / 4,), (3,)),
            ("cx", (), (2, 3)),
            ("u1", (-_PI / 4,), (3,)),
            ("u2", (0.0, _PI), (3,)),
        ],
    ),
}


def embed(matrix: NDArray[Any], qubits: Sequence[int], num_qubits: int) -> Matrix:
    """Dense ``2^n x 2^n`` matrix of ``matrix`` acting on ``qubits`` of an n-qubit register.

    Only for small n (gate definitions, tests): index bit order as for gate matrices, qubit 0 is
    the most significant.
    """
    rest = [q for q in range(num_qubits) if q not in qubits]
    full = np.kron(matrix, np.eye(1 << len(rest), dtype=complex))
    order = list(qubits) + rest
    tensor = full.reshape([2] * (2 * num_qubits))
    perm = [order.index(q) for q in range(num_qubits)]
    tensor = tensor.transpose(perm + [num_qubits + p for p in perm])
    result: Matrix = tensor.reshape(1 << num_qubits, 1 << num_qubits).astype(np.complex128)
    return result


@cache
def _decomposed(name: str) -> Matrix:
    num_qubits, ops = _DECOMPOSITIONS[name]
    total = np.eye(1 << num_qubits, dtype=complex)
    for gate, params, qubits in ops:
        total = embed(GATES[gate].matrix(*params), qubits, num_qubits) @ total
    return total


GATES: dict[str, GateSpec] = _library()


def gate_spec(name: str) -> GateSpec:
    """Look up a library gate by name.

    Raises:
        GateDefinitionError: if the name is not a library gate.
    """
    try:
        return GATES[name]
    except KeyError:
        raise GateDefinitionError(
            f"unknown gate {name!r}; library gates are: {', '.join(sorted(GATES))}"
        ) from None


def gate_matrix(name: str, params: Sequence[float] = ()) -> Matrix:
    """Unitary of a library gate at the given (numeric) parameters, textbook qubit order.

    >>> gate_matrix("cx").real.astype(int).tolist()
    [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]

    Raises:
        GateDefinitionError: for an unknown name or a wrong number of parameters.
    """
    spec = gate_spec(name)
    if len(params) != spec.num_params:
        raise GateDefinitionError(
            f"gate {name!r} takes {spec.num_params} parameter(s), got {len(params)}"
        )
    return spec.matrix(*(float(p) for p in params))
