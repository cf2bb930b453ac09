"""The front door: from_qasm's version dispatch, load_qasm's file errors, as_circuit's forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvant.circuit import Circuit, as_circuit, from_qasm, load_qasm, to_qasm2
from kvant.errors import ConfigError, KvantIOError, QasmSemanticError, QasmSyntaxError

BELL2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n'
BELL3 = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n'


@pytest.mark.parametrize(
    "text",
    [
        BELL2,
        BELL3,
        BELL3.replace("3.0", "3"),
        "// comment\n/* block\ncomment */\n  " + BELL2,
        "\n\n" + BELL3,
    ],
)
def test_from_qasm_reads_both_versions(text: str) -> None:
    c = from_qasm(text)
    assert c.count_ops() == {"h": 1, "cx": 1}
    assert c == from_qasm(BELL2)


def test_from_qasm_needs_a_string() -> None:
    with pytest.raises(ConfigError, match="str"):
        from_qasm(BELL2.encode())  # type: ignore[arg-type]


def test_header_must_come_first() -> None:
    with pytest.raises(QasmSyntaxError, match="missing version header") as info:
        from_qasm('include "qelib1.inc";\nOPENQASM 2.0;')
    assert (info.value.line, info.value.column) == (1, 1)
    with pytest.raises(QasmSemanticError, match=r"unsupported OpenQASM version 1\.0"):
        from_qasm("OPENQASM 1.0;")


def test_load_qasm(tmp_path: Path) -> None:
    path = tmp_path / "bell.qasm"
    path.write_text(BELL2, encoding="utf-8")
    assert load_qasm(path) == from_qasm(BELL2)
    assert load_qasm(str(path)) == from_qasm(BELL2)


def test_load_qasm_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.qasm"
    with pytest.raises(KvantIOError, match="does not exist") as info:
        load_qasm(missing)
    assert "missing.qasm" in str(info.value)
    assert isinstance(info.value, OSError)
    with pytest.raises(KvantIOError, match="cannot read"):
        load_qasm(tmp_path)  # a directory
    binary = tmp_path / "binary.qasm"
    binary.write_bytes(b"OPENQASM 2.0;\xff\xfe")
    with pytest.raises(KvantIOError, match="not UTF-8"):
        load_qasm(binary)


def test_load_qasm_passes_qasm_errors_through(tmp_path: Path) -> None:
    path = tmp_path / "bad.qasm"
    path.write_text(BELL2 + "foo q[0];\n", encoding="utf-8")
    with pytest.raises(QasmSemanticError, match="unknown gate") as info:
        load_qasm(path)
    assert info.value.line == 6


def test_as_circuit_accepts_every_form(tmp_path: Path) -> None:
    circuit = Circuit(2).h(0).cx(0, 1)
    assert as_circuit(circuit) is circuit
    path = tmp_path / "c.qasm"
    path.write_text(to_qasm2(circuit), encoding="utf-8")
    assert as_circuit(to_qasm2(circuit)) == circuit
    assert as_circuit(BELL3) == circuit
    assert as_circuit(path) == circuit
    assert as_circuit(str(path)) == circuit


def test_as_circuit_errors(tmp_path: Path) -> None:
    with pytest.raises(KvantIOError, match="does not exist"):
        as_circuit(str(tmp_path / "nope.qasm"))
    with pytest.raises(QasmSyntaxError, match="missing version header"):
        as_circuit("qreg q[1];")
    with pytest.raises(ConfigError, match="Circuit, OpenQASM text or a path"):
        as_circuit(42)  # type: ignore[arg-type]
