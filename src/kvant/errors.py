"""The one exception hierarchy of Kvant.

Every error a user can cause raises a :class:`KvantError` subclass whose message says what was
wrong and how to fix it. Where a built-in exception carries the same meaning, the Kvant error
subclasses it too, so ``except ValueError`` keeps working for callers who prefer it.

::

    KvantError
    ├── ConfigError(ValueError)            bad option, argument or configuration value
    ├── CircuitError(ValueError)           an ill-formed circuit (bad qubit, arity, repeated qubit)
    │   ├── GateDefinitionError            a gate name, matrix or parameter count that is wrong
    │   └── UnboundParameterError          a symbolic parameter that has no value at run time
    ├── QasmError(ValueError)              OpenQASM input that cannot be used (carries line, column)
    │   ├── QasmSyntaxError                text that does not parse
    │   └── QasmSemanticError              parses, but names an unknown gate, register, ...
    ├── ProtocolAbortError(RuntimeError)   a QKD protocol must abort: no secret key can be certified
    ├── SimulationError(RuntimeError)      an engine cannot run what it was given
    │   ├── MemoryLimitError(MemoryError)  a run would need more memory than is available
    │   └── BackendUnavailableError        an optional backend (CuPy, a GPU) is not present
    └── KvantIOError(OSError)              a file that cannot be read or written
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "CircuitError",
    "ConfigError",
    "GateDefinitionError",
    "KvantError",
    "KvantIOError",
    "MemoryLimitError",
    "ProtocolAbortError",
    "QasmError",
    "QasmSemanticError",
    "QasmSyntaxError",
    "SimulationError",
    "UnboundParameterError",
]


class KvantError(Exception):
    """Base of every error Kvant raises on purpose."""


class ConfigError(KvantError, ValueError):
    """An option, argument or configuration value is invalid."""


class CircuitError(KvantError, ValueError):
    """A circuit is ill-formed: a qubit out of range, a repeated qubit, a wrong arity."""


class GateDefinitionError(CircuitError):
    """A gate is defined wrongly: unknown name, non-unitary matrix, wrong parameter count."""


class UnboundParameterError(CircuitError):
    """A symbolic parameter has no value where a number is needed."""


class QasmError(KvantError, ValueError):
    """OpenQASM input that cannot be used; carries the line and column where known.

    Args:
        message: What is wrong and how to fix it.
        line: 1-based line of the offending token, if known.
        column: 1-based column of the offending token, if known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        self.bare_message = message
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(where + message)


class QasmSyntaxError(QasmError):
    """OpenQASM text that does not parse."""


class QasmSemanticError(QasmError):
    """OpenQASM that parses but is wrong: unknown gate, undeclared register, wrong arity."""


class ProtocolAbortError(KvantError, RuntimeError):
    """A QKD protocol must abort: the estimates certify no secret key (e.g. the single-photon
    yield bound is zero or the phase error bound reaches 1/2, as under a PNS attack)."""


class SimulationError(KvantError, RuntimeError):
    """An engine cannot run what it was given."""


class MemoryLimitError(SimulationError, MemoryError):
    """A run would need more memory than is available; raised before allocating."""


class BackendUnavailableError(SimulationError):
    """An optional backend (CuPy, a CUDA device) was asked for but is not present."""


class KvantIOError(KvantError, OSError):
    """A file cannot be read or written."""
