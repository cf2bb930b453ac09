"""The 1- and 2-qubit Clifford groups in native gates (``rz``, ``sx``, ``x``, ``cz``).

One-qubit Cliffords (24): ``rz(t)`` (4, no pulse), ``x rz(t)`` (4, one pulse) and
``rz(a) sx rz(b)`` (16, one pulse), with ``t, a, b`` in multiples of pi/2; ``rz`` is virtual, so
a 1-qubit Clifford costs 20/24 = 0.833 physical gates on average.

Two-qubit Cliffords (11520) in the canonical classes of Corcoles et al., PRA 87, 030301(R)
(2013), Fig. 2 (also Barends et al., Nature 508, 500, 2014, Supplement): ``C1 x C1`` (576),
CNOT-like ``(C1 x C1) CNOT (S1 x S1)`` (5184), iSWAP-like ``(C1 x C1) CNOT CNOT' (S1 x S1)``
(5184) and SWAP-like ``(C1 x C1) SWAP`` (576), with ``S1`` the 3-element subgroup that permutes
X -> Y -> Z cyclically and ``CNOT = (I x H) CZ (I x H)``; the Hadamards merge into the
neighbouring 1-qubit Cliffords. A 2-qubit Clifford is stored as *slots*: 1-qubit Clifford pairs
separated by CZs (0 to 3 of them, 1.5 on average). Composition and inversion use Stim's
tableaux (Gidney, Quantum 5, 497, 2021); the test checks that the 11520 forms are distinct.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Circuit, gate_matrix

__all__ = ["CliffordTable1Q", "CliffordTable2Q", "clifford_1q", "clifford_2q"]

_QUARTER = (0.0, math.pi / 2, math.pi, -math.pi / 2)
#: A 1-qubit Clifford as native operations: ("rz", angle) | ("sx", 0) | ("x", 0).
NativeOps = tuple[tuple[str, float], ...]


def _rz(angle: float) -> tuple[tuple[str, float], ...]:
    return (("rz", angle),) if angle != 0.0 else ()


def _native_1q() -> list[NativeOps]:
    out: list[NativeOps] = [_rz(t) for t in _QUARTER]
    out += [(("x", 0.0), *_rz(t)) for t in _QUARTER]
    out += [(*_rz(a), ("sx", 0.0), *_rz(b)) for a in _QUARTER for b in _QUARTER]
    return out


def _unitary(ops: NativeOps) -> NDArray[np.complex128]:
    u = np.eye(2, dtype=np.complex128)
    for name, angle in ops:
        m = gate_matrix(name, (angle,)) if name == "rz" else gate_matrix(name)
        u = m @ u
    return u


def _key(u: NDArray[np.complex128]) -> bytes:
    flat = u.reshape(-1)
    pivot = flat[int(np.argmax(np.round(np.abs(flat), 8)))]
    normal = np.round(flat / (pivot / abs(pivot)), 8) + (0.0 + 0.0j)  # no negative zeros
    return bytes(normal.view(np.float64).tobytes())


class CliffordTable1Q:
    """The 24 one-qubit Cliffords: native gates, unitaries, composition and inverses.

    Attributes:
        ops: Native operations of each element (``("rz", angle)``, ``("sx", 0)``, ``("x", 0)``).
        unitaries: ``(24, 2, 2)`` matrices.
        then: ``then[i, j]`` is the index of "i, then j" (matrix ``U_j U_i``).
        inverse: Index of each element's inverse.
        pulses: Physical gates (``sx``/``x``) of each element.

    >>> table = clifford_1q()
    >>> len(table.ops), float(table.pulses.mean())
    (24, 0.8333333333333334)
    >>> int(table.then[5, table.inverse[5]])
    0
    """

    def __init__(self) -> None:
        self.ops: tuple[NativeOps, ...] = tuple(_native_1q())
        self.unitaries = np.stack([_unitary(ops) for ops in self.ops])
        keys = {_key(u): i for i, u in enumerate(self.unitaries)}
        self.then = np.array(
            [[keys[_key(uj @ ui)] for uj in self.unitaries] for ui in self.unitaries],
            dtype=np.int64,
        )
        self.inverse = np.array([int(np.flatnonzero(row == 0)[0]) for row in self.then])
        self.pulses = np.array([sum(n != "rz" for n, _ in ops) for ops in self.ops], dtype=float)
        self._keys = keys

    def index(self, unitary: NDArray[np.complex128]) -> int:
        """Index of a Clifford given as a 2x2 unitary (any global phase)."""
        return self._keys[_key(np.asarray(unitary, dtype=np.complex128))]

    def append_to(self, circuit: Circuit, index: int, qubit: int) -> None:
        """Append element ``index`` on ``qubit`` in native gates."""
        for name, angle in self.ops[index]:
            if name == "rz":
                circuit.rz(angle, qubit)
            elif name == "sx":
                circuit.sx(qubit)
            else:
                circuit.x(qubit)


@lru_cache(maxsize=1)
def clifford_1q() -> CliffordTable1Q:
    """The (cached) table of the 24 one-qubit Cliffords."""
    return CliffordTable1Q()


class CliffordTable2Q:
    """The 11520 two-qubit Cliffords as slots of 1-qubit Clifford pairs between CZs.

    Attributes:
        slots: ``(11520, 4, 2)`` 1-qubit Clifford indices (qubit a, qubit b) of each slot;
            unused slots hold the identity (index 0).
        num_cz: CZs of each element (slot ``k`` is followed by a CZ for ``k < num_cz``).

    >>> table = clifford_2q()
    >>> table.slots.shape, float(table.num_cz.mean())
    ((11520, 4, 2), 1.5)
    """

    def __init__(self) -> None:
        import stim  # type: ignore[import-untyped]

        one = clifford_1q()
        h = one.index(gate_matrix("h"))
        tab1 = [stim.Tableau.from_unitary_matrix(u, endian="big") for u in one.unitaries]
        x_, y_, z_ = (stim.PauliString(p) for p in ("X", "Y", "Z"))
        cyclic = [
            i
            for i, t in enumerate(tab1)
            if t(x_) == y_ and t(y_) == z_  # conjugation X -> Y, Y -> Z (so Z -> X)
        ]
        r = cyclic[0]
        s1 = (0, r, int(one.then[r, r]))
        t = one.then
        forms: list[list[tuple[int, int]]] = []
        for c1 in range(24):
            for c2 in range(24):
                forms.append([(c1, c2)])
        for c1 in range(24):
            for c2 in range(24):
                for a in s1:
                    for b in s1:
                        forms.append([(c1, int(t[c2, h])), (a, int(t[h, b]))])
        for c1 in range(24):
            for c2 in range(24):
                for a in s1:
                    for b in s1:
                        forms.append([(c1, int(t[c2, h])), (h, h), (int(t[h, a]), b)])
        for c1 in range(24):
            for c2 in range(24):
                forms.append([(c1, int(t[c2, h])), (h, h), (h, h), (0, h)])
        self.num_cz = np.array([len(f) - 1 for f in forms], dtype=np.int64)
        self.slots = np.zeros((len(forms), 4, 2), dtype=np.int64)
        for i, form in enumerate(forms):
            self.slots[i, : len(form)] = form
        cz = stim.Tableau.from_named_gate("CZ")
        pair = {}
        for a in range(24):
            for b in range(24):
                tp = stim.Tableau(2)
                tp.append(tab1[a], [0])
                tp.append(tab1[b], [1])
                pair[(a, b)] = tp
        self.tableaux: list[Any] = []
        for form in forms:
            acc = pair[form[0]]
            for slot in form[1:]:
                acc = acc.then(cz).then(pair[slot])
            self.tableaux.append(acc)
        self._index = {str(tab): i for i, tab in enumerate(self.tableaux)}
        self._one = one
        # unitaries (qubit a most significant), for fast batched composition
        cz = np.diag([1.0, 1.0, 1.0, -1.0]).astype(np.complex128)
        u1 = one.unitaries
        units = np.broadcast_to(np.eye(4, dtype=np.complex128), (len(forms), 4, 4)).copy()
        for k in range(4):
            pair = np.einsum("nab,ncd->nacbd", u1[self.slots[:, k, 0]], u1[self.slots[:, k, 1]])
            units = pair.reshape(-1, 4, 4) @ units
            units = np.where((self.num_cz > k)[:, None, None], cz @ units, units)
        self.unitaries = units
        self._unitary_index = {_key(u): i for i, u in enumerate(units)}

    def index_of_unitary(self, unitary: NDArray[np.complex128]) -> int:
        """Index of the element with this 4x4 unitary (any global phase, rounding to 1e-8)."""
        return self._unitary_index[_key(np.asarray(unitary, dtype=np.complex128))]

    def index(self, tableau: Any) -> int:
        """Index of the element with this Stim tableau."""
        return self._index[str(tableau)]

    def append_to(self, circuit: Circuit, index: int, a: int, b: int) -> None:
        """Append element ``index`` on qubits ``(a, b)`` in native gates (slots, CZs)."""
        cz = int(self.num_cz[index])
        for k in range(cz + 1):
            self._one.append_to(circuit, int(self.slots[index, k, 0]), a)
            self._one.append_to(circuit, int(self.slots[index, k, 1]), b)
            if k < cz:
                circuit.cz(a, b)

    @property
    def size(self) -> int:
        """Number of elements (11520)."""
        return len(self.tableaux)


@lru_cache(maxsize=1)
def clifford_2q() -> CliffordTable2Q:
    """The (cached) table of the 11520 two-qubit Cliffords."""
    return CliffordTable2Q()
