"""What each OpenQASM include file provides, and how to write Kvant's other gates in it.

``qelib1.inc`` here is the Qiskit-extended OpenQASM 2 library; ``stdgates.inc`` is the
OpenQASM 3 standard library (Cross et al., "OpenQASM 3", 2022, with its ``OpenQASM 2 backwards
compatibility`` names). Names from either file mean Kvant's library gates of the same name, as
Qiskit reads them. The vendored ``stdgates.inc`` adds global phases to some definitions (``u2``,
``u3``, ``x``...); a global phase is unobservable except under ``ctrl @``, where Kvant, like
Qiskit, uses the textbook matrices (``ctrl @ u3`` is ``cu3``).

Gates Kvant has but an include file lacks are written as ``gate`` blocks before their first
use. Every block below has exactly the library matrix (to rounding), including global phase;
``tests/circuit/test_qasm_library.py`` checks each one.
"""

from __future__ import annotations

import cmath
import math

import numpy as np
from numpy.typing import NDArray

from kvant.circuit._gates import GATES
from kvant.circuit._instruction import GateDefinition

__all__ = [
    "QASM2_DEFINITIONS",
    "QASM3_DEFINITIONS",
    "QELIB1_GATES",
    "STDGATES",
    "controlled_one_qubit",
    "global_phase",
    "matching_library_gate",
    "u3_angles",
]

_QELIB1_NAMES = (
    "u3 u2 u1 cx id u0 u p x y z h s sdg t tdg rx ry rz sx sxdg cz cy swap ch ccx cswap crx cry "
    "crz cu1 cp cu3 csx cu rxx rzz rccx rc3x c3x c3sqrtx c4x"
)
#: Gate names that ``include "qelib1.inc";`` provides (Qiskit's extended qelib1).
QELIB1_GATES = frozenset(_QELIB1_NAMES.split())

_STDGATES_NAMES = (
    "p x y z h s sdg t tdg sx rx ry rz cx cy cz cp crx cry crz ch swap ccx cswap cu id u1 u2 u3"
)
#: ``include "stdgates.inc";`` names (OpenQASM 3), mapped to Kvant gate names.
STDGATES: dict[str, str] = {name: name for name in _STDGATES_NAMES.split()} | {
    "CX": "cx",
    "phase": "p",
    "cphase": "cp",
}

#: OpenQASM 2 ``gate`` blocks for Kvant gates that qelib1.inc lacks.
QASM2_DEFINITIONS: dict[str, str] = {
    "ryy": (
        "gate ryy(theta) a, b { rx(pi/2) a; rx(pi/2) b; cx a, b; rz(theta) b; cx a, b; "
        "rx(-pi/2) a; rx(-pi/2) b; }"
    ),
    "iswap": "gate iswap a, b { s a; s b; h a; cx a, b; cx b, a; h b; }",
    "iswapdg": "gate iswapdg a, b { h b; cx b, a; cx a, b; h a; sdg b; sdg a; }",
    "csxdg": "gate csxdg a, b { h b; cu1(-pi/2) a, b; h b; }",
    "rccxdg": (
        "gate rccxdg a, b, c { u2(0, pi) c; u1(pi/4) c; cx b, c; u1(-pi/4) c; cx a, c; "
        "u1(pi/4) c; cx b, c; u1(-pi/4) c; u2(0, pi) c; }"
    ),
    "rc3xdg": (
        "gate rc3xdg a, b, c, d { u2(0, pi) d; u1(pi/4) d; cx c, d; u1(-pi/4) d; u2(0, pi) d; "
        "u1(pi/4) d; cx b, d; u1(-pi/4) d; cx a, d; u1(pi/4) d; cx b, d; u1(-pi/4) d; "
        "cx a, d; u2(0, pi) d; u1(pi/4) d; cx c, d; u1(-pi/4) d; u2(0, pi) d; }"
    ),
    # qelib1's c3sqrtx (Barenco et al. 1995, lemma 7.1) with every angle negated
    "c3sqrtxdg": (
        "gate c3sqrtxdg a, b, c, d { h d; cu1(-pi/8) a, d; h d; cx a, b; h d; cu1(pi/8) b, d; "
        "h d; cx a, b; h d; cu1(-pi/8) b, d; h d; cx b, c; h d; cu1(pi/8) c, d; h d; cx a, c; "
        "h d; cu1(-pi/8) c, d; h d; cx b, c; h d; cu1(pi/8) c, d; h d; cx a, c; h d; "
        "cu1(-pi/8) c, d; h d; }"
    ),
}

_RCCX3 = "h c; p(pi/4) c; cx b, c; p(-pi/4) c; cx a, c; p(pi/4) c; cx b, c; p(-pi/4) c; h c;"
_RC3X3 = (
    "h d; p(pi/4) d; cx c, d; p(-pi/4) d; h d; cx a, d; p(pi/4) d; cx b, d; p(-pi/4) d; "
    "cx a, d; p(pi/4) d; cx b, d; p(-pi/4) d; h d; p(pi/4) d; cx c, d; p(-pi/4) d; h d;"
)
_RC3XDG3 = (
    "h d; p(pi/4) d; cx c, d; p(-pi/4) d; h d; p(pi/4) d; cx b, d; p(-pi/4) d; cx a, d; "
    "p(pi/4) d; cx b, d; p(-pi/4) d; cx a, d; h d; p(pi/4) d; cx c, d; p(-pi/4) d; h d;"
)

#: OpenQASM 3 ``gate`` blocks for Kvant gates that stdgates.inc lacks (``u`` is the builtin U).
QASM3_DEFINITIONS: dict[str, str] = {
    "sxdg": "gate sxdg a { inv @ sx a; }",
    "u0": "gate u0(gamma) a { U(0, 0, 0) a; }",
    "csx": "gate csx a, b { ctrl @ sx a, b; }",
    "csxdg": "gate csxdg a, b { ctrl @ inv @ sx a, b; }",
    "cu1": "gate cu1(lam) a, b { ctrl @ p(lam) a, b; }",
    "cu3": "gate cu3(theta, phi, lam) a, b { ctrl @ U(theta, phi, lam) a, b; }",
    "rxx": "gate rxx(theta) a, b { h a; h b; cx a, b; rz(theta) b; cx a, b; h a; h b; }",
    "ryy": QASM2_DEFINITIONS["ryy"],
    "rzz": "gate rzz(theta) a, b { cx a, b; rz(theta) b; cx a, b; }",
    "iswap": QASM2_DEFINITIONS["iswap"],
    "iswapdg": QASM2_DEFINITIONS["iswapdg"],
    "rccx": f"gate rccx a, b, c {{ {_RCCX3} }}",
    "rccxdg": f"gate rccxdg a, b, c {{ {_RCCX3} }}",
    "rc3x": f"gate rc3x a, b, c, d {{ {_RC3X3} }}",
    "rc3xdg": f"gate rc3xdg a, b, c, d {{ {_RC3XDG3} }}",
    "c3x": "gate c3x a, b, c, d { ctrl(3) @ x a, b, c, d; }",
    "c3sqrtx": "gate c3sqrtx a, b, c, d { ctrl(3) @ sx a, b, c, d; }",
    "c3sqrtxdg": "gate c3sqrtxdg a, b, c, d { ctrl(3) @ inv @ sx a, b, c, d; }",
    "c4x": "gate c4x a, b, c, d, e { ctrl(4) @ x a, b, c, d, e; }",
}

# parameter values at which a definition is compared with the library gate of the same name
_SAMPLES = ((0.3, -1.1, 0.7, 2.3), (2.9, 0.4, -2.2, -0.6))
_ATOL = 1e-9


def matching_library_gate(definition: GateDefinition) -> str | None:
    """The library gate a file's ``gate`` block re-defines, or None if the name is not Kvant's.

    A file may define a gate that Kvant also has (``ryy`` from :func:`to_qasm2`, or ``h`` in a
    file without ``qelib1.inc``). If arity and matrix agree (at sample parameters, up to a
    global phase, which no OpenQASM 2 program can observe), the library gate is used.

    Returns:
        The gate's name if it is a library gate with the same matrix; None if the name is
        not a library gate.

    Raises:
        ValueError: if the name is a library gate but the definition means something else.
    """
    spec = GATES.get(definition.name)
    if spec is None:
        return None
    if (spec.num_qubits, spec.num_params) != (definition.num_qubits, len(definition.params)):
        raise ValueError(
            f"gate {definition.name!r} takes {len(definition.params)} parameter(s) and "
            f"{definition.num_qubits} qubit(s), but Kvant's library gate of that name takes "
            f"{spec.num_params} and {spec.num_qubits}; rename your gate"
        )
    for sample in _SAMPLES:
        values = sample[: spec.num_params]
        if not _same_up_to_phase(definition.matrix(values), spec.matrix(*values)):
            raise ValueError(
                f"gate {definition.name!r} is defined with a different matrix from Kvant's "
                "library gate of that name; rename your gate"
            )
    return definition.name


def _same_up_to_phase(a: NDArray[np.complex128], b: NDArray[np.complex128]) -> bool:
    index = np.unravel_index(int(np.argmax(np.abs(b))), b.shape)
    if abs(a[index]) < _ATOL:
        return False
    phase = b[index] / a[index]
    return bool(abs(abs(phase) - 1) < _ATOL and np.allclose(a * phase, b, atol=_ATOL, rtol=0))


def u3_angles(matrix: NDArray[np.complex128]) -> tuple[float, float, float]:
    """``(theta, phi, lam)`` with ``matrix = e^{i alpha} U(theta, phi, lam)``; alpha is dropped.

    >>> from kvant.circuit import gate_matrix
    >>> [round(x, 12) for x in u3_angles(gate_matrix("h"))]
    [1.570796326795, 0.0, 3.14159265359]
    """
    u00, u01, u10, u11 = matrix[0, 0], matrix[0, 1], matrix[1, 0], matrix[1, 1]
    theta = 2 * math.atan2(abs(u10), abs(u00))
    if abs(u10) < 1e-12:  # diagonal: theta = 0, put the relative phase in lam
        alpha = cmath.phase(u00)
        return 0.0, 0.0, _angle(cmath.phase(u11) - alpha)
    if abs(u00) < 1e-12:  # anti-diagonal: theta = pi, lam = 0
        alpha = cmath.phase(-u01)
        return math.pi, _angle(cmath.phase(u10) - alpha), 0.0
    alpha = cmath.phase(u00)
    return theta, _angle(cmath.phase(u10) - alpha), _angle(cmath.phase(-u01) - alpha)


def global_phase(matrix: NDArray[np.complex128], theta: float, phi: float, lam: float) -> float:
    """``alpha`` with ``matrix = e^{i alpha} U(theta, phi, lam)`` (the angles from u3_angles)."""
    return cmath.phase(np.trace(GATES["u"].matrix(theta, phi, lam).conj().T @ matrix))


def controlled_one_qubit(matrix: NDArray[np.complex128]) -> NDArray[np.complex128] | None:
    """The 2x2 block ``m`` if ``matrix`` is ``m`` with all leading qubits as controls, else None.

    A one-qubit matrix is returned as it is (no controls).
    """
    dim = matrix.shape[0]
    expected = np.eye(dim, dtype=complex)
    expected[dim - 2 :, dim - 2 :] = matrix[dim - 2 :, dim - 2 :]
    if dim < 2 or not np.allclose(matrix, expected, atol=1e-12, rtol=0):
        return None
    return np.array(matrix[dim - 2 :, dim - 2 :], dtype=complex)


def _angle(x: float) -> float:
    """``x`` wrapped to (-pi, pi]."""
    wrapped = math.remainder(x, 2 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped
