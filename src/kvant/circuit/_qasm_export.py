"""``to_qasm2`` and ``to_qasm3``: a :class:`Circuit` as OpenQASM text."""

from __future__ import annotations

import re

from kvant.circuit._circuit import Circuit
from kvant.circuit._qasm_library import (
    QASM2_DEFINITIONS,
    QASM3_DEFINITIONS,
    QELIB1_GATES,
    STDGATES,
)
from kvant.circuit._qasm_writer import Dialect, write

__all__ = ["to_qasm2", "to_qasm3"]

_QASM2_RESERVED = (
    "OPENQASM include qreg creg gate opaque measure reset barrier if pi U CX "
    "sin cos tan exp ln sqrt"
)
_QASM3_RESERVED = (
    "OPENQASM include defcalgrammar def cal defcal gate extern box let break continue if else "
    "end return for while in switch case default input output const readonly mutable qreg qubit "
    "creg bool bit int uint float angle complex array void duration stretch gphase inv pow ctrl "
    "negctrl durationof delay reset measure barrier true false pi tau euler im sizeof U CX dt ns "
    "us ms s sin cos tan exp ln sqrt arcsin arccos arctan popcount rotl rotr mod real imag"
)

_QASM2 = Dialect(
    version=2,
    include="qelib1.inc",
    provided=QELIB1_GATES,
    renames={},
    definitions=QASM2_DEFINITIONS,
    reserved=frozenset(_QASM2_RESERVED.split()),
    identifier=re.compile(r"[a-z][A-Za-z0-9_]*"),
)

_QASM3 = Dialect(
    version=3,
    include="stdgates.inc",
    provided=frozenset(STDGATES.values()) | {"u"},
    renames={"u": "U"},
    definitions=QASM3_DEFINITIONS,
    reserved=frozenset(_QASM3_RESERVED.split()) | frozenset(STDGATES),
    identifier=re.compile(r"[^\W\d]\w*"),  # letters (Unicode too), digits, underscore
)


def to_qasm2(circuit: Circuit) -> str:
    """The circuit as OpenQASM 2.0 text that :func:`from_qasm` reads back to an equal circuit.

    Registers keep their names; qelib1.inc gates are written by name; Kvant gates it lacks
    (``ryy``, ``iswap``, ``iswapdg``, ``csxdg``, ``rccxdg``, ``rc3xdg``, ``c3sqrtxdg``) and
    custom gates get ``gate`` blocks before their first use. A delay becomes the identity gate
    ``gate delay(duration_ns) q { }``. Numbers print exactly (``pi/2``, or enough digits to
    read back the same float).

    Args:
        circuit: The circuit.

    Returns:
        The program text, ending with a newline.

    Raises:
        QasmError: for what OpenQASM 2 cannot express: symbolic parameters outside custom gate
            bodies (bind them first), a condition on bits that are not one whole register, a
            conditioned barrier, a user ``unitary`` on two or more qubits (one-qubit matrices
            are written as ``u3``, dropping their global phase), or a name OpenQASM 2 does not
            allow.

    >>> from kvant.circuit import Circuit
    >>> print(to_qasm2(Circuit(2, 2).h(0).cx(0, 1).measure(0, 0).x(1).c_if("c", 1)), end="")
    OPENQASM 2.0;
    include "qelib1.inc";
    qreg q[2];
    creg c[2];
    h q[0];
    cx q[0], q[1];
    measure q[0] -> c[0];
    if(c==1) x q[1];
    """
    return write(circuit, _QASM2)


def to_qasm3(circuit: Circuit) -> str:
    """The circuit as OpenQASM 3.0 text that :func:`from_qasm` reads back to an equal circuit.

    Gates from ``stdgates.inc`` are written by name (``u`` as the builtin ``U``); other Kvant
    gates and custom gates get ``gate`` blocks. Free parameters become ``input float`` and
    delays ``delay[...ns]``. A condition on a whole register is written ``if (c == 5)``, any
    other as a conjunction of bit tests ``if (c[0] == 1 && c[2] == 0)``.

    Args:
        circuit: The circuit.

    Returns:
        The program text, ending with a newline.

    Raises:
        QasmError: for a ``unitary`` matrix on two or more qubits (one-qubit matrices are
            written as ``U``, dropping their global phase) or a name OpenQASM 3 does not allow.

    >>> from kvant.circuit import Circuit, Parameter
    >>> print(to_qasm3(Circuit(1).rx(Parameter("theta") / 2, 0).delay(0, 100)), end="")
    OPENQASM 3.0;
    include "stdgates.inc";
    input float theta;
    qubit[1] q;
    rx(theta/2) q[0];
    delay[100ns] q[0];
    """
    return write(circuit, _QASM3)
