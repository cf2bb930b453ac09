"""From any circuit to one the device can run: layout, SWAP routing, native gates, compaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kvant.circuit import Circuit, Instruction, from_qasm, to_qasm3
from kvant.device._calibration import Calibration
from kvant.device._native import expand_to_two_qubit, rebuild, to_native
from kvant.device._presets import load_device
from kvant.device._routing import choose_layout, route
from kvant.device._schedule import schedule
from kvant.device._topology import Topology
from kvant.errors import ConfigError, UnboundParameterError

__all__ = ["Transpiled", "transpile"]


@dataclass(frozen=True, eq=False)
class Transpiled:
    """A circuit mapped onto a device, and how well that went.

    Attributes:
        circuit: The circuit in native gates on the *active* device qubits only (those an
            operation touches), renumbered ``0..k-1`` (so engines simulate k qubits, not the
            whole device); same classical
            registers as the input, so counts read the same.
        physical_qubits: Device qubit of each of its qubits.
        initial_layout: Device qubit holding each input qubit at the start.
        final_layout: Device qubit holding each input qubit at the end (SWAPs move them).
        added_swaps: SWAPs inserted by routing (three CZ each).
        device: Name of the device.

    >>> from kvant.circuit import Circuit
    >>> t = transpile(Circuit(3).h(0).cx(0, 2).measure_all(), "line-3", layout="trivial")
    >>> t.added_swaps, t.circuit.count_ops()["cz"]
    (1, 4)
    """

    circuit: Circuit
    physical_qubits: tuple[int, ...]
    initial_layout: tuple[int, ...]
    final_layout: tuple[int, ...]
    added_swaps: int
    device: str

    @property
    def two_qubit_gates(self) -> int:
        """Number of CZ gates."""
        return sum(op.name == "cz" for op in self.circuit)

    @property
    def depth(self) -> int:
        """Depth of the native circuit."""
        return self.circuit.depth()

    def duration_ns(self, calibration: Calibration) -> float:
        """Length of the ASAP schedule on ``calibration``'s device."""
        return schedule(self.circuit, calibration, self.physical_qubits).duration_ns

    def summary(self) -> dict[str, Any]:
        """Figures for reports: gates, depth, SWAPs, layouts."""
        return {
            "device": self.device,
            "active_qubits": len(self.physical_qubits),
            "physical_qubits": list(self.physical_qubits),
            "initial_layout": list(self.initial_layout),
            "final_layout": list(self.final_layout),
            "added_swaps": self.added_swaps,
            "cz_gates": self.two_qubit_gates,
            "depth": self.depth,
            "ops": self.circuit.count_ops(),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the summary and the native circuit as OpenQASM 3."""
        return {**self.summary(), "qasm": to_qasm3(self.circuit)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transpiled:
        """Rebuild from :meth:`to_dict` output.

        Raises:
            ConfigError: If a field is missing or malformed.
        """
        try:
            return cls(
                from_qasm(str(data["qasm"])),
                tuple(int(q) for q in data["physical_qubits"]),
                tuple(int(q) for q in data["initial_layout"]),
                tuple(int(q) for q in data["final_layout"]),
                int(data["added_swaps"]),
                str(data["device"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"cannot read a Transpiled from this data: {exc!r}") from exc

    def __repr__(self) -> str:
        return (
            f"Transpiled(device={self.device!r}, active_qubits={len(self.physical_qubits)}, "
            f"cz={self.two_qubit_gates}, added_swaps={self.added_swaps}, depth={self.depth})"
        )


def transpile(
    circuit: Circuit,
    device: str | Path | Calibration | Topology = "kvant-50",
    *,
    layout: str | Sequence[int] = "best",
) -> Transpiled:
    """Map ``circuit`` onto ``device``: layout, SWAP routing, native gates.

    Steps: custom and 3+-qubit gates expanded (:func:`expand_to_two_qubit`); a layout chosen
    (:func:`choose_layout`); 2-qubit gates between uncoupled qubits preceded by SWAPs
    (:func:`route`); ``id`` replaced by a delay of one 1-qubit gate time; everything rewritten
    into ``rz, sx, x, cz`` (:func:`to_native`); the device qubits its operations touch renumbered
    ``0..k-1`` and all others (idle device qubits, and circuit qubits nothing acts on) left
    out. The result implements the input exactly (up to global phase), with measurement results
    in the input's classical bits.

    Args:
        circuit: Any circuit with bound parameters.
        device: A device (see :func:`~kvant.device.load_device`).
        layout: ``"best"``, ``"trivial"`` or the device qubit of each circuit qubit.

    Returns:
        The transpiled circuit and its figures.

    Raises:
        CircuitError: If the circuit does not fit on the device.
        UnboundParameterError: For free parameters.
        ConfigError: For an unknown device or layout.
    """
    if not isinstance(circuit, Circuit):
        raise ConfigError(f"transpile needs a Circuit, got {type(circuit).__name__}")
    if circuit.parameters:
        raise UnboundParameterError(
            f"circuit {circuit.name!r} has unbound parameter(s) {sorted(circuit.parameters)}; "
            "call circuit.bind({name: value, ...}) first"
        )
    calibration = load_device(device)
    expanded = expand_to_two_qubit(circuit)
    initial = choose_layout(expanded, calibration, layout)
    routed, final, swaps = route(expanded, calibration.topology, initial)
    routed = [
        Instruction(
            "delay",
            op.qubits,
            (calibration.qubit(op.qubits[0]).gate_duration_1q_ns,),
            condition=op.condition,
        )
        if op.name == "id"
        else op
        for op in routed
    ]
    on_device = rebuild(expanded, routed, num_qubits=calibration.num_qubits)
    native = to_native(on_device)
    # Only the device qubits an operation acts on are kept: a qubit no gate, measurement or
    # reset touches stays in |0> and cannot change the counts, so simulating it is wasted work
    # (a barrier alone does not make a qubit active; it is cut down to the active qubits).
    active = sorted({q for op in native if op.name != "barrier" for q in op.qubits})
    local = {p: i for i, p in enumerate(active)}
    compact = [
        replace(op, qubits=tuple(local[q] for q in op.qubits if q in local))
        for op in native
        if op.name != "barrier" or any(q in local for q in op.qubits)
    ]
    result = rebuild(circuit, compact, num_qubits=len(active))
    return Transpiled(result, tuple(active), initial, final, swaps, calibration.name)
