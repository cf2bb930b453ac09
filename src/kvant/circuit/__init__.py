"""Circuit layer: gates, parameters, circuits, OpenQASM 2/3 import and export.

>>> from kvant.circuit import Circuit
>>> Circuit(3).h(0).cx(0, 1).cx(1, 2).measure_all().count_ops()
{'h': 1, 'cx': 2, 'measure': 3}
"""

from kvant.circuit._circuit import Circuit, Register
from kvant.circuit._gates import GATES, GateSpec, gate_matrix
from kvant.circuit._instruction import Condition, GateDefinition, Instruction
from kvant.circuit._parameters import Parameter, ParameterExpression, ParameterValue
from kvant.circuit._qasm import as_circuit, from_qasm, load_qasm
from kvant.circuit._qasm_export import to_qasm2, to_qasm3

__all__ = [
    "GATES",
    "Circuit",
    "Condition",
    "GateDefinition",
    "GateSpec",
    "Instruction",
    "Parameter",
    "ParameterExpression",
    "ParameterValue",
    "Register",
    "as_circuit",
    "from_qasm",
    "gate_matrix",
    "load_qasm",
    "to_qasm2",
    "to_qasm3",
]
