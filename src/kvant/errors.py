"""The one exception hierarchy of Kvant.

Every error a user can cause raises a :class:`KvantError` subclass whose message says what was
wrong and how to fix it. Where a built-in exception carries the same meaning, the Kvant error
subclasses it too, so ``except ValueError`` keeps working for callers who prefer it.

::

    KvantError
    ├── ConfigError(ValueError)            bad option, argument or configuration value
    │   ├── CalibrationError               a device calibration that is invalid (names the field)
    │   └── TopologyError                  a QKD network description that is invalid (names where)
    ├── CircuitError(ValueError)           an ill-formed circuit (bad qubit, arity, repeated qubit)
    │   ├── GateDefinitionError            a gate name, matrix or parameter count that is wrong
    │   └── UnboundParameterError          a symbolic parameter that has no value at run time
    ├── QasmError(ValueError)              OpenQASM input that cannot be used (carries line, column)
    │   ├── QasmSyntaxError                text that does not parse
    │   └── QasmSemanticError              parses, but names an unknown gate, register, ...
    ├── ProtocolAbortError(RuntimeError)   a QKD protocol must abort: no secret key can be certified
    │                                      (``reason``: an AbortReason, e.g. verification-failed)
    ├── NetworkError(RuntimeError)         a QKD network operation that cannot be done (no route,
    │                                      a pool without enough key, an unknown node in a query)
    ├── AnalysisError(ValueError)          characterisation data that cannot be analysed (too few
    │                                      points, NaN, a wrong counts format); names what and where
    ├── ApplicationError(ValueError)       an application problem that is ill-posed (unknown grid
    │                                      case or molecule, an active space that does not fit)
    ├── KmsError(RuntimeError)             a key-management operation that cannot be done
    │   ├── KeyUnavailableError            not enough key for the request (ETSI 014: 503 / 400)
    │   ├── SaeAuthorizationError(PermissionError)  an SAE asked for keys not addressed to it
    │   └── KeyStoreError                  the key store cannot be opened, read or written
    ├── SimulationError(RuntimeError)      an engine cannot run what it was given
    │   ├── MemoryLimitError(MemoryError)  a run would need more memory than is available
    │   └── BackendUnavailableError        an optional backend (CuPy, a GPU, Dask) is not present
    └── KvantIOError(OSError)              a file that cannot be read or written
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AbortReason",
    "AnalysisError",
    "ApplicationError",
    "BackendUnavailableError",
    "CalibrationError",
    "CircuitError",
    "ConfigError",
    "GateDefinitionError",
    "KeyStoreError",
    "KeyUnavailableError",
    "KmsError",
    "KvantError",
    "KvantIOError",
    "MemoryLimitError",
    "NetworkError",
    "ProtocolAbortError",
    "QasmError",
    "QasmSemanticError",
    "QasmSyntaxError",
    "SaeAuthorizationError",
    "SimulationError",
    "TopologyError",
    "UnboundParameterError",
]


class KvantError(Exception):
    """Base of every error Kvant raises on purpose."""


class ConfigError(KvantError, ValueError):
    """An option, argument or configuration value is invalid."""


class CalibrationError(ConfigError):
    """A device calibration is invalid: a value out of range, T2 > 2 T1, an unknown qubit.

    Args:
        message: What is wrong and how to fix it.
        field: Where: a path such as ``qubits[3].t2_us`` or ``couplers[0].qubits``.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        self.bare_message = message
        super().__init__(f"{field}: {message}" if field else message)


class TopologyError(ConfigError):
    """A QKD network description is invalid: a link to an unknown node, a duplicate name, a
    negative length, a file that does not follow the documented schema.

    Args:
        message: What is wrong and how to fix it.
        where: Where: a path such as ``links[3].fibre_km`` or ``nodes[0].name``.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        self.bare_message = message
        super().__init__(f"{where}: {message}" if where else message)


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


class AbortReason(StrEnum):
    """Why a QKD round aborted (the ``reason`` of :class:`ProtocolAbortError`)."""

    NO_SECRET_KEY = "no-secret-key"
    """The estimates certify no secret key (single-photon yield 0, phase error >= 1/2)."""
    QBER_ABOVE_THRESHOLD = "qber-above-threshold"
    """The estimated QBER exceeds the abort threshold."""
    RECONCILIATION_FAILED = "reconciliation-failed"
    """Error correction gave up (an LDPC frame did not decode after every retry)."""
    VERIFICATION_FAILED = "verification-failed"
    """The verification hashes of the two reconciled keys differ."""
    AUTHENTICATION_FAILED = "authentication-failed"
    """A classical message had a wrong tag or counter (tampered, forged or replayed)."""
    AUTHENTICATION_KEY_EXHAUSTED = "authentication-key-exhausted"
    """The pre-shared authentication key ran out."""
    KEY_LENGTH_NOT_POSITIVE = "key-length-not-positive"
    """Too few bits remain for a positive secret key after the leakage is paid."""


class ProtocolAbortError(KvantError, RuntimeError):
    """A QKD protocol must abort: the estimates certify no secret key (e.g. the single-photon
    yield bound is zero or the phase error bound reaches 1/2, as under a PNS attack), or a
    post-processing step failed.

    Args:
        message: What happened and what to do.
        reason: The named reason (default :attr:`AbortReason.NO_SECRET_KEY`).
    """

    def __init__(self, message: str, reason: AbortReason = AbortReason.NO_SECRET_KEY) -> None:
        self.reason = reason
        super().__init__(message)


class NetworkError(KvantError, RuntimeError):
    """A QKD network operation cannot be done: no route between two sites, a key pool without
    enough key for a withdrawal, a query about a node the network does not have."""


class AnalysisError(KvantError, ValueError):
    """Characterisation data cannot be analysed: too few points, NaN, a malformed counts file.
    The message names the experiment, qubit and field that were wrong."""


class ApplicationError(KvantError, ValueError):
    """An application problem is ill-posed: an unknown grid case or molecule, an active space
    larger than the molecule, a problem too large for the chosen solver."""


class KmsError(KvantError, RuntimeError):
    """A key-management operation cannot be done."""


class KeyUnavailableError(KmsError):
    """There is not enough key for the request (too many keys, too large a size, an unknown or
    already delivered key_ID)."""


class SaeAuthorizationError(KmsError, PermissionError):
    """An SAE asked for keys that are not addressed to it, or presented no valid identity."""


class KeyStoreError(KmsError):
    """The key store cannot be opened, read or written (bad URL, corrupt database, wrong
    key-encryption key)."""


class SimulationError(KvantError, RuntimeError):
    """An engine cannot run what it was given."""


class MemoryLimitError(SimulationError, MemoryError):
    """A run would need more memory than is available; raised before allocating."""


class BackendUnavailableError(SimulationError):
    """An optional backend (CuPy, a CUDA device) was asked for but is not present."""


class KvantIOError(KvantError, OSError):
    """A file cannot be read or written."""
