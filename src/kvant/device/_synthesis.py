"""Exact synthesis of gates from 1-qubit gates and CX: Euler angles, controlled gates, any unitary.

Every function returns a list of :class:`~kvant.circuit.Instruction` in *time order*, on the
qubits given, whose product equals the target matrix up to a global phase. Matrices are in
textbook order (first qubit most significant).

* 1-qubit: ZYZ Euler angles (Nielsen & Chuang, Thm. 4.1) and the ZSX form
  ``rz(lam) sx rz(theta + pi) sx rz(phi + pi)`` of ``U(theta, phi, lam)`` (as Qiskit's
  ``U3`` to ``rz, sx`` rule), with the one-``sx`` and ``x`` special cases.
* Controlled-U: ``C, CX, B, CX, A`` on the target and a phase on the control
  (Nielsen & Chuang, Cor. 4.2 and Fig. 4.6).
* Any k-qubit unitary: a cosine-sine decomposition on the first qubit
  (``scipy.linalg.cossin``; Paige & Wei 1994) splits it into two multiplexed (k-1)-qubit gates
  and a multiplexed ``ry``; multiplexed gates become controlled diagonals (eigen-decomposition)
  and diagonals become CX ladders around ``rz`` (the Walsh decomposition of the phases;
  Bullock & Markov, QIC 4, 27, 2004). A quantum Shannon decomposition without its CX
  optimisations (Shende, Bullock & Markov, IEEE TCAD 25, 1000, 2006): exact, not minimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from kvant.circuit import Instruction

__all__ = [
    "controlled_one_qubit",
    "decompose_diagonal",
    "decompose_unitary",
    "equal_up_to_phase",
    "zsx",
    "zyz_angles",
]

Matrix = NDArray[np.complex128]
_ATOL = 1e-10


def equal_up_to_phase(a: Matrix, b: Matrix, atol: float = 1e-8) -> bool:
    """True if ``a = e^{i phi} b`` for some phase (both unitary of the same size)."""
    if a.shape != b.shape:
        return False
    overlap = np.vdot(b, a)
    if abs(overlap) < 1e-12:
        return False
    phase = overlap / abs(overlap)
    return bool(np.allclose(a, phase * b, atol=atol))


def _wrap(angle: float) -> float:
    """Angle in (-pi, pi]."""
    wrapped = math.remainder(angle, 2 * math.pi)
    return math.pi if math.isclose(wrapped, -math.pi, abs_tol=1e-12) else wrapped


def zyz_angles(u: Matrix) -> tuple[float, float, float, float]:
    """``(alpha, beta, gamma, delta)`` with ``u = e^{i alpha} Rz(beta) Ry(gamma) Rz(delta)``.

    >>> import numpy as np
    >>> a, b, g, d = zyz_angles(np.array([[0, 1], [1, 0]], dtype=complex))
    >>> round(g, 6)
    3.141593
    """
    alpha = float(np.angle(np.linalg.det(u))) / 2
    v = u * np.exp(-1j * alpha)  # in SU(2): [[a, -conj(b)], [b, conj(a)]]
    cos, sin = abs(v[1, 1]), abs(v[1, 0])
    gamma = 2 * math.atan2(sin, cos)
    # v[1, 1] = e^{i(beta + delta)/2} cos(gamma/2), v[1, 0] = e^{i(beta - delta)/2} sin(gamma/2)
    half_sum = float(np.angle(v[1, 1])) if cos > _ATOL else 0.0
    half_diff = float(np.angle(v[1, 0])) if sin > _ATOL else 0.0
    return alpha, half_sum + half_diff, gamma, half_sum - half_diff


def _rz(angle: float, qubit: int) -> list[Instruction]:
    angle = _wrap(angle)
    return [] if abs(angle) < 1e-12 else [Instruction("rz", (qubit,), (angle,))]


def zsx(u: Matrix, qubit: int) -> list[Instruction]:
    """A 1-qubit unitary as ``rz``, ``sx`` and ``x`` gates (exact up to global phase).

    Uses no ``sx`` for diagonal gates, one ``sx`` (or ``x``) when the Euler angle ``gamma`` is
    pi/2 (or pi), two otherwise.

    >>> import numpy as np
    >>> [op.name for op in zsx(np.array([[1, 1], [1, -1]]) / np.sqrt(2), 0)]
    ['rz', 'sx', 'rz']
    """
    _, phi, theta, lam = zyz_angles(np.asarray(u, dtype=np.complex128))
    if abs(_wrap(theta)) < 1e-9:
        return _rz(phi + lam, qubit)
    if abs(theta - math.pi / 2) < 1e-9:
        return [
            *_rz(lam - math.pi / 2, qubit),
            Instruction("sx", (qubit,)),
            *_rz(phi + math.pi / 2, qubit),
        ]
    if abs(theta - math.pi) < 1e-9:
        return [
            *_rz(lam - math.pi / 2, qubit),
            Instruction("x", (qubit,)),
            *_rz(phi + math.pi / 2, qubit),
        ]
    return [
        *_rz(lam, qubit),
        Instruction("sx", (qubit,)),
        *_rz(theta + math.pi, qubit),
        Instruction("sx", (qubit,)),
        *_rz(phi + math.pi, qubit),
    ]


def _one(u: Matrix, qubit: int) -> Instruction:
    return Instruction("unitary", (qubit,), matrix=np.asarray(u, dtype=np.complex128))


def _ry(angle: float) -> Matrix:
    c, s = math.cos(angle / 2), math.sin(angle / 2)
    return np.array([[c, -s], [s, c]], dtype=np.complex128)


def _rzm(angle: float) -> Matrix:
    return np.diag([np.exp(-0.5j * angle), np.exp(0.5j * angle)]).astype(np.complex128)


def controlled_one_qubit(u: Matrix, control: int, target: int) -> list[Instruction]:
    """Controlled-``u`` with two CX (Nielsen & Chuang, Cor. 4.2, Fig. 4.6).

    ``u = e^{i alpha} A X B X C`` with ``ABC = I``: ``A = Rz(beta) Ry(gamma/2)``,
    ``B = Ry(-gamma/2) Rz(-(delta+beta)/2)``, ``C = Rz((delta-beta)/2)``; the phase
    ``e^{i alpha}`` becomes ``diag(1, e^{i alpha})`` on the control.
    """
    alpha, beta, gamma, delta = zyz_angles(np.asarray(u, dtype=np.complex128))
    a = _rzm(beta) @ _ry(gamma / 2)
    b = _ry(-gamma / 2) @ _rzm(-(delta + beta) / 2)
    c = _rzm((delta - beta) / 2)
    phase = np.diag([1.0, np.exp(1j * alpha)]).astype(np.complex128)
    return [
        _one(c, target),
        Instruction("cx", (control, target)),
        _one(b, target),
        Instruction("cx", (control, target)),
        _one(a, target),
        _one(phase, control),
    ]


def decompose_diagonal(phases: NDArray[np.float64], qubits: Sequence[int]) -> list[Instruction]:
    """``diag(e^{i phases})`` on ``qubits`` (textbook index) as CX ladders around ``rz``.

    ``phases(x) = sum_S c_S (-1)^{S.x}`` (Walsh-Hadamard transform); each non-empty ``S``
    becomes a CX ladder computing the parity of ``S`` on its last qubit, ``rz(-2 c_S)`` there,
    and the ladder undone. ``c_{}`` is the global phase and is dropped.
    """
    k = len(qubits)
    size = 1 << k
    x = np.arange(size)
    out: list[Instruction] = []
    for subset in range(1, size):
        parity = np.array([bin(int(v) & subset).count("1") & 1 for v in x])
        coefficient = float(np.mean(phases * (1 - 2 * parity)))
        if abs(coefficient) < 1e-13:
            continue
        # textbook index: bit (k - 1 - j) of x belongs to qubits[j]
        members = [qubits[j] for j in range(k) if (subset >> (k - 1 - j)) & 1]
        target = members[-1]
        ladder = [Instruction("cx", (q, target)) for q in members[:-1]]
        out += [*ladder, Instruction("rz", (target,), (-2 * coefficient,)), *reversed(ladder)]
    return out


def _controlled_unitary(w: Matrix, control: int, targets: Sequence[int]) -> list[Instruction]:
    """``diag(I, w)`` with ``control`` as the most significant qubit."""
    values, schur_vectors = scipy.linalg.schur(w, output="complex")
    vectors = np.asarray(schur_vectors, dtype=np.complex128)
    phases = np.concatenate([np.zeros(w.shape[0]), np.angle(np.diagonal(values))])
    return [
        *decompose_unitary(vectors.conj().T, targets),
        *decompose_diagonal(phases, [control, *targets]),
        *decompose_unitary(vectors, targets),
    ]


def _multiplexor(
    first: Matrix, second: Matrix, control: int, targets: Sequence[int]
) -> list[Instruction]:
    """``diag(first, second)`` = ``diag(I, first^dag second)`` then ``first`` on the targets."""
    w = first.conj().T @ second
    gates = (
        []
        if np.allclose(w, np.eye(w.shape[0]), atol=1e-12)
        else _controlled_unitary(w, control, targets)
    )
    return [*gates, *decompose_unitary(first, targets)]


def decompose_unitary(u: Matrix, qubits: Sequence[int]) -> list[Instruction]:
    """Any unitary on ``qubits`` (textbook order) as 1-qubit ``unitary`` gates and CX.

    >>> import numpy as np
    >>> from kvant.circuit import gate_matrix
    >>> ops = decompose_unitary(gate_matrix("swap"), [0, 1])
    >>> sorted({op.name for op in ops})
    ['cx', 'rz', 'unitary']
    """
    u = np.asarray(u, dtype=np.complex128)
    k = len(qubits)
    if k == 1:
        return [_one(u, qubits[0])]
    half = u.shape[0] // 2
    left, cs, right = scipy.linalg.cossin(u, p=half, q=half)
    (l0, l1) = _blocks(np.asarray(left, np.complex128), half)
    (r0, r1) = _blocks(np.asarray(right, np.complex128), half)
    # cs = [[C, -S], [S, C]]: a multiplexed ry(2 theta_j) on qubits[0], controlled by the rest
    theta = np.arctan2(np.diagonal(cs[half:, :half]).real, np.diagonal(cs[:half, :half]).real)
    # ry(a) = S H rz(a) H S^dag (time order: S^dag, H, rz, H, S); rz(2 theta_j) is diagonal
    phases = np.concatenate(
        [-theta, theta]
    )  # rz(2 theta): exp(-i theta) on |0>, exp(+i theta) on |1>
    top = qubits[0]
    s_dag = np.diag([1, -1j]).astype(np.complex128)
    hadamard = np.array([[1, 1], [1, -1]], dtype=np.complex128) / math.sqrt(2)
    middle = [
        _one(hadamard @ s_dag, top),
        *decompose_diagonal(phases, qubits),
        _one(s_dag.conj() @ hadamard, top),
    ]
    return [*_multiplexor(r0, r1, top, qubits[1:]), *middle, *_multiplexor(l0, l1, top, qubits[1:])]


def _blocks(m: Matrix, half: int) -> tuple[Matrix, Matrix]:
    return m[:half, :half], m[half:, half:]
