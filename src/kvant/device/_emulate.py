"""Run a circuit on an emulated device: transpile, attach the noise, pick an engine, sample."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from kvant.circuit import Circuit
from kvant.device._calibration import Calibration
from kvant.device._noise import NoiseModel
from kvant.device._presets import load_device
from kvant.device._topology import Topology
from kvant.device._transpile import Transpiled, transpile
from kvant.errors import ConfigError
from kvant.sim import NoisyProgram, Result, make_engine

__all__ = ["DeviceRun", "run_on_device"]


@dataclass(frozen=True, eq=False)
class DeviceRun:
    """A noisy run on a device.

    Attributes:
        result: Counts over the input circuit's classical bits (bit 0 rightmost).
        transpiled: The mapped circuit and its figures (SWAPs, CZ count, layouts).
        program: The noisy program that was simulated.
        engine: Name of the engine used.
        duration_ns: Length of the circuit's schedule on the device.
    """

    result: Result
    transpiled: Transpiled
    program: NoisyProgram
    engine: str
    duration_ns: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data: result, transpilation summary, engine, noise figures."""
        return {
            "engine": self.engine,
            "duration_ns": self.duration_ns,
            "channels": self.program.count_channels(),
            "transpiled": self.transpiled.summary(),
            "result": self.result.to_dict(),
        }


def run_on_device(
    circuit: Circuit,
    device: str | Path | Calibration | Topology = "kvant-50",
    *,
    shots: int = 1024,
    seed: int | np.random.Generator | None = None,
    engine: str = "auto",
    layout: str | Sequence[int] = "best",
    noise: bool = True,
    dtype: DTypeLike = "complex128",
) -> DeviceRun:
    """Emulate ``circuit`` on ``device``: what the real processor would return, noise included.

    Args:
        circuit: Any circuit with bound parameters; without classical bits every qubit is
            measured (``measure_all``).
        device: A device (see :func:`~kvant.device.load_device`); default ``kvant-50``.
        shots: Number of shots (>= 1).
        seed: An int, a Generator, or None.
        engine: ``"auto"`` (stabilizer for Clifford circuits, density matrix up to 8 active
            qubits, trajectories beyond), or ``stabilizer``, ``density_matrix``,
            ``trajectories``.
        layout: ``"best"``, ``"trivial"`` or the device qubit of each circuit qubit.
        noise: False runs the transpiled circuit without noise.
        dtype: Precision of the density-matrix and trajectory engines.

    Returns:
        The run.

    Raises:
        ConfigError: For bad shots, an unknown device or engine.
        CircuitError: If the circuit does not fit on the device.

    >>> from kvant.circuit import Circuit
    >>> run = run_on_device(Circuit(2).h(0).cx(0, 1).measure_all(), "kvant-50", shots=2000, seed=1)
    >>> run.engine, sorted(run.result.counts, key=run.result.counts.get)[-2:]
    ('stabilizer', ['00', '11'])
    """
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer) or shots < 1:
        raise ConfigError(f"shots must be a positive integer, got {shots!r}")
    if engine == "statevector":
        raise ConfigError(
            "a noisy device run needs engine 'stabilizer', 'density_matrix' or 'trajectories'"
        )
    calibration = load_device(device)
    if circuit.num_clbits == 0:
        circuit = circuit.copy().measure_all()
    mapped = transpile(circuit, calibration, layout=layout)
    model = NoiseModel.from_calibration(
        calibration, relaxation=noise, depolarizing=noise, idle=noise, readout=noise
    )
    program = model.noisy_program(mapped.circuit, mapped.physical_qubits)
    simulator = make_engine(engine, dtype=dtype, circuit=program)
    result = simulator.run(program, shots=int(shots), seed=seed)  # type: ignore[arg-type]
    duration = mapped.duration_ns(calibration)
    return DeviceRun(result, mapped, program, simulator.name, duration)
