"""The front door to OpenQASM: read text or a file, and accept any form of circuit.

OpenQASM 2.0 text goes to Kvant's own parser (:mod:`._qasm2`), OpenQASM 3 text to the
``openqasm3`` reference parser (:mod:`._qasm3`); the ``OPENQASM`` header decides which.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kvant.circuit._circuit import Circuit
from kvant.circuit._qasm2 import parse_qasm2
from kvant.circuit._qasm3 import parse_qasm3
from kvant.errors import ConfigError, KvantIOError, QasmSemanticError, QasmSyntaxError

__all__ = ["as_circuit", "from_qasm", "load_qasm"]

_SKIP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_HEADER = re.compile(r"OPENQASM(?![A-Za-z0-9_])\s*([0-9]+)(?:\.([0-9]+))?")


def from_qasm(text: str) -> Circuit:
    """Read an OpenQASM 2.0 or 3 program.

    The text must start (after comments) with its version header, ``OPENQASM 2.0;`` or
    ``OPENQASM 3.0;`` (``3`` and later ``3.x`` too). A missing header is an error rather than
    a guess, because the two versions read some text differently.

    Args:
        text: The program.

    Returns:
        The circuit, with the program's registers as its named registers.

    Raises:
        QasmSyntaxError: if the header is missing or the text does not parse; the error's
            ``line`` and ``column`` say where.
        QasmSemanticError: if it parses but is not a circuit Kvant can build (unknown gate,
            wrong number of qubits, unsupported version or construct, ...).

    >>> c = from_qasm('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0], q[1];')
    >>> c.count_ops()
    {'h': 1, 'cx': 1}
    """
    if not isinstance(text, str):
        raise ConfigError(f"from_qasm takes the program text as a str, got {type(text).__name__}")
    start = _SKIP.match(text)
    pos = start.end() if start else 0
    header = _HEADER.match(text, pos)
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    if header is None:
        raise QasmSyntaxError(
            "missing version header: start the program with 'OPENQASM 2.0;' or 'OPENQASM 3.0;'",
            line=line,
            column=column,
        )
    major = header.group(1)
    if major == "2":
        return parse_qasm2(text)
    if major == "3":
        return parse_qasm3(text)
    version = major + (f".{header.group(2)}" if header.group(2) is not None else "")
    raise QasmSemanticError(
        f"unsupported OpenQASM version {version}; Kvant reads 2.0 and 3.x",
        line=line,
        column=column,
    )


def load_qasm(path: str | os.PathLike[str]) -> Circuit:
    """Read an OpenQASM 2.0 or 3 file (UTF-8).

    Args:
        path: The file.

    Returns:
        The circuit; see :func:`from_qasm`.

    Raises:
        KvantIOError: if the file is missing, unreadable or not UTF-8 text.
        QasmSyntaxError: see :func:`from_qasm`.
        QasmSemanticError: see :func:`from_qasm`.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp, "bell.qasm")
    ...     text = "OPENQASM 3.0; qubit[2] q; U(pi/2, 0, pi) q[0]; ctrl @ U(pi, 0, pi) q[0], q[1];"
    ...     _ = file.write_text(text)
    ...     load_qasm(file).count_ops()
    {'u': 1, 'cu': 1}
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KvantIOError(f"OpenQASM file {str(file)!r} does not exist") from None
    except UnicodeDecodeError as exc:
        raise KvantIOError(
            f"OpenQASM file {str(file)!r} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise KvantIOError(
            f"cannot read OpenQASM file {str(file)!r}: {exc.strerror or exc}"
        ) from None
    return from_qasm(text)


def as_circuit(obj: Circuit | str | os.PathLike[str]) -> Circuit:
    """The circuit an API argument stands for: a Circuit, OpenQASM text, or a path to a file.

    A string is read as OpenQASM text if it contains ``OPENQASM``, a ``;`` or a line break,
    and as a path otherwise. A Circuit is returned as it is (not copied).

    Args:
        obj: A :class:`Circuit`, OpenQASM 2/3 text, or a ``str``/``Path`` naming a file.

    Returns:
        The circuit.

    Raises:
        ConfigError: for any other type.
        KvantIOError: for a path that cannot be read.
        QasmSyntaxError: see :func:`from_qasm`.
        QasmSemanticError: see :func:`from_qasm`.

    >>> as_circuit("OPENQASM 2.0; qreg q[1]; U(pi, 0, pi) q[0];").num_qubits
    1
    """
    if isinstance(obj, Circuit):
        return obj
    if isinstance(obj, str):
        if "OPENQASM" in obj or ";" in obj or "\n" in obj:
            return from_qasm(obj)
        return load_qasm(obj)
    if isinstance(obj, os.PathLike):
        return load_qasm(obj)
    raise ConfigError(
        f"expected a Circuit, OpenQASM text or a path to a .qasm file, got {type(obj).__name__}"
    )
