"""Textbook circuits (Nielsen & Chuang, 10th anniversary edition)."""

from __future__ import annotations

import math

from kvant.circuit._circuit import Circuit
from kvant.errors import CircuitError

__all__ = ["bell_pair", "ghz", "qft"]


def _check_width(num_qubits: int, minimum: int, what: str) -> None:
    if isinstance(num_qubits, bool) or not isinstance(num_qubits, int) or num_qubits < minimum:
        raise CircuitError(
            f"{what} needs an integer number of qubits >= {minimum}, got {num_qubits!r}"
        )


def bell_pair() -> Circuit:
    """(|00> + |11>)/sqrt(2) on qubits 0 and 1 (N&C fig. 1.12)."""
    return Circuit(2, name="bell").h(0).cx(0, 1)


def ghz(num_qubits: int) -> Circuit:
    """The GHZ state (|0...0> + |1...1>)/sqrt(2): H on qubit 0, then a CX chain.

    Raises:
        CircuitError: for fewer than 2 qubits.
    """
    _check_width(num_qubits, 2, "a GHZ state")
    circuit = Circuit(num_qubits, name=f"ghz{num_qubits}").h(0)
    for q in range(num_qubits - 1):
        circuit.cx(q, q + 1)
    return circuit


def qft(num_qubits: int, *, swaps: bool = True) -> Circuit:
    """Quantum Fourier transform on little-endian integers (N&C section 5.1, fig. 5.1).

    Maps the basis state |x> to sum_k exp(2 pi i x k / 2^n) |k> / sqrt(2^n), with x and k read
    little-endian (qubit 0 least significant), so it equals the unitary DFT matrix (sign +).

    Args:
        num_qubits: Register width n >= 1.
        swaps: Reverse the qubit order at the end (True gives the DFT exactly).

    Raises:
        CircuitError: for n < 1.
    """
    _check_width(num_qubits, 1, "a QFT")
    circuit = Circuit(num_qubits, name=f"qft{num_qubits}")
    for target in reversed(range(num_qubits)):
        circuit.h(target)
        for control in reversed(range(target)):
            circuit.cp(math.pi / (1 << (target - control)), control, target)
    if swaps:
        for q in range(num_qubits // 2):
            circuit.swap(q, num_qubits - 1 - q)
    return circuit
