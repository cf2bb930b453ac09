"""Translation into the device's native gates: ``rz``, ``sx``, ``x``, ``cz`` (and measure,
reset, delay, barrier), exact up to a global phase.

Two passes. :func:`expand_to_two_qubit` expands custom gates and rewrites gates on three or
more qubits into 1- and 2-qubit gates (Toffoli and Fredkin by their textbook circuits, anything
else by :func:`~kvant.device._synthesis.decompose_unitary`); routing works on its output.
:func:`to_native` then rewrites each 2-qubit gate into CZ and 1-qubit gates by a fixed rule
(``cx = h . cz . h``, controlled-U with two CX, ``rzz`` with two CX, ``swap`` with three...), and
merges every run of 1-qubit gates on a qubit into one matrix emitted as ``rz``/``sx``/``x``
(:func:`~kvant.device._synthesis.zsx`), so ``h`` becomes ``rz sx rz`` and consecutive phases
cost nothing (``rz`` is virtual).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from kvant.circuit import Circuit, Instruction
from kvant.device._synthesis import controlled_one_qubit, decompose_unitary, zsx
from kvant.errors import CircuitError

__all__ = ["NATIVE_GATES", "expand_to_two_qubit", "is_native", "rebuild", "to_native"]

#: The device's instruction set.
NATIVE_GATES = frozenset({"rz", "sx", "x", "cz", "measure", "reset", "delay", "barrier"})
_PASS = frozenset({"measure", "reset", "delay", "barrier"})
_DROP = frozenset({"id", "u0"})
#: 2-qubit library gates that are a controlled 1-qubit gate (control first).
_CONTROLLED = frozenset({"ch", "crx", "cry", "crz", "cp", "cu1", "cu3", "cu", "csx", "csxdg", "cy"})
_PI = math.pi


def rebuild(
    template: Circuit, instructions: Sequence[Instruction], *, num_qubits: int | None = None
) -> Circuit:
    """A circuit with ``template``'s classical registers and name, and the given instructions.

    The quantum registers are ``template``'s too, unless ``num_qubits`` asks for a single
    register ``q`` of that size (a circuit on device qubits).
    """
    out = Circuit(name=template.name)
    if num_qubits is None:
        for reg in template.qregs:
            out.add_qreg(reg.name, reg.size)
    elif num_qubits:
        out.add_qreg("q", num_qubits)
    for reg in template.cregs:
        out.add_creg(reg.name if num_qubits is None or reg.name != "q" else "c_q", reg.size)
    for op in instructions:
        out.append(op)
    return out


def _g(name: str, qubits: Sequence[int], params: Sequence[float] = ()) -> Instruction:
    return Instruction(name, tuple(qubits), tuple(float(p) for p in params))


def _toffoli(a: int, b: int, c: int) -> list[Instruction]:
    """Nielsen & Chuang, Fig. 4.9: six CX and T gates."""
    return [
        _g("h", [c]), _g("cx", [b, c]), _g("tdg", [c]), _g("cx", [a, c]), _g("t", [c]),
        _g("cx", [b, c]), _g("tdg", [c]), _g("cx", [a, c]), _g("t", [b]), _g("t", [c]),
        _g("h", [c]), _g("cx", [a, b]), _g("t", [a]), _g("tdg", [b]), _g("cx", [a, b]),
    ]  # fmt: skip


def _expand(op: Instruction) -> list[Instruction]:
    if op.name == "ccx":
        ops = _toffoli(*op.qubits)
    elif op.name == "cswap":
        c, a, b = op.qubits
        ops = [_g("cx", [b, a]), *_toffoli(c, a, b), _g("cx", [b, a])]
    else:
        ops = decompose_unitary(op.unitary_matrix(), op.qubits)
    return [replace(x, condition=op.condition) for x in ops] if op.condition else ops


def expand_to_two_qubit(circuit: Circuit) -> Circuit:
    """Custom gates expanded and gates on three or more qubits rewritten into 1- and 2-qubit
    gates (unitary up to global phase).

    Raises:
        UnboundParameterError: For free parameters.

    >>> from kvant.circuit import Circuit
    >>> expand_to_two_qubit(Circuit(3).ccx(0, 1, 2)).count_ops()["cx"]
    6
    """
    flat = circuit.decompose() if circuit.definitions else circuit
    out: list[Instruction] = []
    for op in flat:
        if op.is_unitary and len(op.qubits) > 2:
            out.extend(_expand(op))
        else:
            out.append(op)
    return rebuild(flat, out)


def _two_qubit(op: Instruction) -> list[Instruction]:
    """A 2-qubit gate as CX/CZ and 1-qubit gates (time order)."""
    a, b = op.qubits
    name = op.name
    if name == "cz":
        return [op]
    if name == "cx":
        return [_g("h", [b]), _g("cz", [a, b]), _g("h", [b])]
    if name == "swap":
        return [_g("cx", [a, b]), _g("cx", [b, a]), _g("cx", [a, b])]
    if name in ("rzz", "rxx", "ryy"):
        (theta,) = op.numeric_params()
        core = [_g("cx", [a, b]), _g("rz", [b], [theta]), _g("cx", [a, b])]
        if name == "rzz":
            return core
        into: tuple[str, tuple[float, ...]] = ("h", ())
        back: tuple[str, tuple[float, ...]] = ("h", ())
        if name == "ryy":  # rx(pi/2) maps Y to Z: rx(-pi/2) Z rx(pi/2) = Y
            into, back = ("rx", (_PI / 2,)), ("rx", (-_PI / 2,))
        pre = [_g(into[0], [q], into[1]) for q in (a, b)]
        post = [_g(back[0], [q], back[1]) for q in (a, b)]
        return [*pre, *core, *post]
    if name in ("iswap", "iswapdg"):  # exp(+-i pi/4 (XX + YY)); XX and YY commute
        angle = -_PI / 2 if name == "iswap" else _PI / 2
        return [*_two_qubit(_g("rxx", [a, b], [angle])), *_two_qubit(_g("ryy", [a, b], [angle]))]
    if name in _CONTROLLED:
        target_matrix = op.unitary_matrix()[2:, 2:]
        return controlled_one_qubit(target_matrix, a, b)
    return decompose_unitary(op.unitary_matrix(), op.qubits)


def _lower(op: Instruction) -> list[Instruction]:
    """One instruction as 1-qubit gates, CX and CZ (no merging yet)."""
    if not op.is_unitary or len(op.qubits) == 1:
        return [op]
    if len(op.qubits) > 2:
        raise CircuitError(
            f"{op.name} acts on {len(op.qubits)} qubits; call expand_to_two_qubit first"
        )
    ops: list[Instruction] = []
    for x in _two_qubit(op):
        if x.name in ("cz",) or len(x.qubits) == 1:
            ops.append(x)
        else:  # cx
            ops.extend(_two_qubit(x))
    return [replace(x, condition=op.condition) for x in ops] if op.condition else ops


def to_native(circuit: Circuit) -> Circuit:
    """The circuit in native gates ``rz, sx, x, cz`` (plus measure, reset, delay, barrier).

    Exact up to a global phase. Runs of 1-qubit gates are merged per qubit; ``id`` and ``u0``
    are dropped (the scheduler accounts for idle time). Conditioned gates keep their condition
    and are not merged with their neighbours.

    Args:
        circuit: Any circuit with bound parameters.

    Returns:
        A new circuit with the same registers.

    Raises:
        UnboundParameterError: For free parameters.

    >>> from kvant.circuit import Circuit
    >>> to_native(Circuit(2).h(0).cx(0, 1)).count_ops()
    {'rz': 6, 'sx': 3, 'cz': 1}
    """
    expanded = expand_to_two_qubit(circuit)
    out: list[Instruction] = []
    pending: dict[int, NDArray[np.complex128]] = {}

    def flush(qubits: Sequence[int]) -> None:
        for q in qubits:
            matrix = pending.pop(q, None)
            if matrix is not None:
                out.extend(zsx(matrix, q))

    for op in expanded:
        for x in _lower(op):
            if x.name in _DROP:
                continue
            if x.is_unitary and len(x.qubits) == 1 and x.condition is None:
                q = x.qubits[0]
                pending[q] = x.unitary_matrix() @ pending.get(q, np.eye(2, dtype=np.complex128))
                continue
            targets = (
                tuple(range(expanded.num_qubits))
                if x.name == "barrier" and not x.qubits
                else x.qubits
            )
            flush(targets)
            if x.is_unitary and len(x.qubits) == 1:  # conditioned 1-qubit gate
                out.extend(
                    replace(y, condition=x.condition) for y in zsx(x.unitary_matrix(), x.qubits[0])
                )
            else:
                out.append(x)
    flush(sorted(pending))
    return rebuild(expanded, out)


def is_native(circuit: Circuit) -> bool:
    """True if every instruction is in :data:`NATIVE_GATES`."""
    return all(op.name in NATIVE_GATES for op in circuit)
