"""The characterisation suite on an emulated device: build, run, analyse, publish.

Every experiment is built as circuits (or sequences) by the builders of this room, run on
the emulated device exactly (1- and 2-qubit experiments on their restriction of the device,
see :mod:`kvant.bench._emulator`; QV and XEB through the density-matrix engine), sampled
into shot counts, written as :class:`~kvant.bench.ExperimentData` records and analysed by
:func:`~kvant.bench.analyse_counts`, the same function that analyses a lab's counts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvant.bench._coherence import echo_circuits, ramsey_circuits, t1_circuits
from kvant.bench._data import ExperimentData, analyse_counts
from kvant.bench._datasheet import Datasheet, DeviceInfo
from kvant.bench._emulator import LocalEmulator
from kvant.bench._qv import analyse_qv_width, heavy_outputs, qv_circuits
from kvant.bench._rb import rb_sequences
from kvant.bench._rb_emulate import emulate_rb_1q, emulate_rb_2q
from kvant.bench._readout import readout_circuits
from kvant.bench._regions import (
    average_gate_infidelity,
    connected_line,
    qv_region,
    restrict,
)
from kvant.bench._suite_config import SuiteConfig
from kvant.bench._xeb import ideal_probabilities, xeb_circuits
from kvant.circuit import Circuit
from kvant.device import (
    Calibration,
    NoiseModel,
    Topology,
    load_device,
    transpile,
)
from kvant.errors import CircuitError, ConfigError
from kvant.sim import DensityMatrixEngine

__all__ = ["STAGES", "measure_device"]

#: The experiments, in the order the suite runs them.
STAGES = ("readout", "t1", "t2_ramsey", "t2_echo", "rb_1q", "rb_2q", "irb", "qv", "xeb")
#: Progress callback: ``(stage, stages done, stages in all)``.
Progress = Callable[[str, int, int], None]


def _counts_1q(p1: float, shots: int, rng: np.random.Generator) -> dict[str, int]:
    ones = int(rng.binomial(shots, min(max(p1, 0.0), 1.0)))
    return {"0": shots - ones, "1": ones}


def _counts_from(
    probs: NDArray[np.float64], keys: Sequence[str], shots: int, rng: np.random.Generator
) -> dict[str, int]:
    drawn = rng.multinomial(shots, probs / probs.sum())
    return {k: int(c) for k, c in zip(keys, drawn, strict=True) if c}


class _Run:
    """State of one suite run (device, emulator, generator, records)."""

    def __init__(self, calibration: Calibration, config: SuiteConfig) -> None:
        self.cal = calibration
        self.config = config
        self.emu = LocalEmulator(calibration)
        self.seeds = np.random.SeedSequence(config.seed)
        self.qubits = (
            tuple(range(calibration.num_qubits)) if config.qubits is None else config.qubits
        )
        for q in self.qubits:
            calibration.qubit(q)
        if config.couplers is not None:
            self.couplers: tuple[tuple[int, int], ...] = tuple(
                (min(a, b), max(a, b)) for a, b in config.couplers
            )
            for a, b in self.couplers:
                calibration.coupler(a, b)
        else:
            chosen = set(self.qubits)
            self.couplers = tuple(c.qubits for c in calibration.couplers if set(c.qubits) <= chosen)
        self.records: list[ExperimentData] = []
        self.t1_fit: dict[int, float] = {}

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seeds.spawn(1)[0])

    # experiments ----------------------------------------------------------------------------
    def readout(self) -> None:
        rng, shots = self.rng(), self.config.readout_shots
        prep0, prep1 = readout_circuits()
        for q in self.qubits:
            p0 = self.emu.probabilities(prep0, (q,))
            p1 = self.emu.probabilities(prep1, (q,))
            self.records.append(
                ExperimentData(
                    "readout",
                    (q,),
                    {
                        "counts_prep0": _counts_1q(float(p0[1]), shots, rng),
                        "counts_prep1": _counts_1q(float(p1[1]), shots, rng),
                    },
                )
            )

    def _scan(
        self,
        kind: str,
        q: int,
        delays: Sequence[float],
        circuits: list[Circuit],
        extra: Mapping[str, Any],
    ) -> ExperimentData:
        rng, shots = self.rng(), self.config.coherence_shots
        counts = [
            _counts_1q(float(self.emu.probabilities(c, (q,))[1]), shots, rng) for c in circuits
        ]
        return ExperimentData(
            kind, (q,), {"delays_us": [float(t) for t in delays], "counts": counts, **extra}
        )

    def t1(self) -> None:
        delays = self.config.t1_delays_us
        circuits = t1_circuits(delays)
        for q in self.qubits:
            record = self._scan("t1", q, delays, circuits, {})
            self.records.append(record)
            metric = analyse_counts([record]).metrics[0]
            self.t1_fit[q] = metric.value if metric.good else math.nan

    def _span_us(self, q: int) -> float:
        fitted = [v for v in self.t1_fit.values() if math.isfinite(v)]
        t1 = self.t1_fit.get(q, math.nan)
        if not math.isfinite(t1):
            t1 = float(np.median(fitted)) if fitted else 100.0
        return 2.5 * t1

    def t2_ramsey(self) -> None:
        for q in self.qubits:
            span = self._span_us(q)
            delays = [float(v) for v in np.linspace(0, span, self.config.coherence_points)]
            detuning = 5.0 / span
            circuits = ramsey_circuits(delays, detuning)
            self.records.append(
                self._scan("t2_ramsey", q, delays, circuits, {"detuning_mhz": detuning})
            )

    def t2_echo(self) -> None:
        for q in self.qubits:
            span = self._span_us(q)
            delays = [float(v) for v in np.linspace(0, span, self.config.coherence_points)]
            self.records.append(self._scan("t2_echo", q, delays, echo_circuits(delays), {}))

    def rb_1q(self) -> None:
        if not self.qubits:
            return
        c = self.config
        seqs = [rb_sequences(1, c.rb_lengths_1q, c.rb_sequences, self.rng()) for _ in self.qubits]
        probs = emulate_rb_1q(self.emu, self.qubits, seqs)
        rng = self.rng()
        drawn = rng.multinomial(c.rb_shots, probs)  # (Q, L, S, 2)
        for i, q in enumerate(self.qubits):
            counts = [[{"0": int(d[0]), "1": int(d[1])} for d in row] for row in drawn[i]]
            self.records.append(
                ExperimentData(
                    "rb_1q",
                    (q,),
                    {
                        "lengths": list(c.rb_lengths_1q),
                        "counts": counts,
                        "gates_per_clifford": 20 / 24,
                    },
                )
            )

    def _rb_2q(self, interleaved: bool) -> None:
        if not self.couplers:
            return
        c = self.config
        kind = "irb" if interleaved else "rb_2q"
        seqs = [
            rb_sequences(
                2,
                c.rb_lengths_2q,
                c.rb_sequences_2q,
                self.rng(),
                interleaved="cz" if interleaved else "",
            )
            for _ in self.couplers
        ]
        rng = self.rng()
        chunk = 16
        keys = ("00", "10", "01", "11")  # z_a z_b = 00, 01, 10, 11 as "bit1 bit0"
        for start in range(0, len(self.couplers), chunk):
            part = self.couplers[start : start + chunk]
            probs = emulate_rb_2q(self.emu, part, seqs[start : start + chunk])
            drawn = rng.multinomial(c.rb_shots, probs)  # (C, L, S, 4)
            for i, pair in enumerate(part):
                counts = [
                    [{k: int(v) for k, v in zip(keys, d, strict=True) if v} for d in row]
                    for row in drawn[i]
                ]
                fields: dict[str, Any] = {"lengths": list(c.rb_lengths_2q), "counts": counts}
                if interleaved:
                    fields["gate"] = "cz"
                self.records.append(ExperimentData(kind, pair, fields))

    def rb_2q(self) -> None:
        self._rb_2q(False)

    def irb(self) -> None:
        if self.config.interleaved:
            self._rb_2q(True)

    def qv(self) -> None:
        c = self.config
        widths = tuple(range(2, c.qv_max_width + 1)) if c.qv_widths is None else c.qv_widths
        engine = DensityMatrixEngine()
        for width in widths:
            if width > len(self.qubits):
                break
            rng = self.rng()
            circuits = qv_circuits(width, c.qv_circuits, rng)
            try:
                region = qv_region(self.cal, circuits[0], self.qubits)
            except (CircuitError, ConfigError):
                break  # no connected set of `width` qubits among those characterised
            sub = restrict(self.cal, region)
            model = NoiseModel.from_calibration(sub)
            counts, heavy, ideal = [], [], []
            for circuit in circuits:
                outputs, h = heavy_outputs(circuit)
                mapped = transpile(circuit, sub, layout="best")
                program = model.noisy_program(mapped.circuit, mapped.physical_qubits)
                dist = engine.distribution(program)
                keys = list(dist)
                counts.append(
                    _counts_from(np.array([dist[k] for k in keys]), keys, c.qv_shots, rng)
                )
                heavy.append(outputs)
                ideal.append(h)
            fields = {
                "width": width,
                "counts": counts,
                "heavy_outputs": heavy,
                "ideal_heavy_probability": ideal,
            }
            self.records.append(ExperimentData("qv", region, fields))
            if c.qv_widths is None and not analyse_qv_width(width, counts, heavy).passed:
                break

    def xeb(self) -> None:
        c = self.config
        if c.xeb_qubits < 2 or len(self.qubits) < c.xeb_qubits:
            return
        line = connected_line(self.cal.topology, c.xeb_qubits, self.qubits)
        rng = self.rng()
        groups = xeb_circuits(c.xeb_qubits, c.xeb_cycles, c.xeb_circuits, rng)
        engine = DensityMatrixEngine()
        counts, ideal = [], []
        for group in groups:
            row_counts, row_ideal = [], []
            for circuit in group:
                program = self.emu.model.noisy_program(circuit, line)
                dist = engine.distribution(program)
                keys = list(dist)
                row_counts.append(
                    _counts_from(np.array([dist[k] for k in keys]), keys, c.xeb_shots, rng)
                )
                row_ideal.append([float(v) for v in ideal_probabilities(circuit)])
            counts.append(row_counts)
            ideal.append(row_ideal)
        self.records.append(
            ExperimentData(
                "xeb",
                line,
                {"cycles": list(c.xeb_cycles), "counts": counts, "ideal_probabilities": ideal},
            )
        )

    # injected values --------------------------------------------------------------------------
    def injected(self) -> dict[str, list[tuple[tuple[int, ...], float]]]:
        cal, model = self.cal, self.emu.model
        out: dict[str, list[tuple[tuple[int, ...], float]]] = {}
        for q in self.qubits:
            record = cal.qubit(q)
            for name, value in (
                ("t1_us", record.t1_us),
                ("t2_us", record.t2_us),
                ("t2_star_us", record.t2_us),
                ("p_meas1_prep0", record.p_meas1_prep0),
                ("p_meas0_prep1", record.p_meas0_prep1),
                ("readout_error", record.readout_error),
                ("epg_1q", average_gate_infidelity(model.gate_channel("sx", (q,)))),
            ):
                out.setdefault(name, []).append(((q,), float(value)))
        for pair in self.couplers:
            value = average_gate_infidelity(model.gate_channel("cz", pair))
            out.setdefault("error_cz", []).append((tuple(pair), value))
        return out


def measure_device(
    device: str | Path | Calibration | Topology = "kvant-50",
    config: SuiteConfig | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[Datasheet, list[ExperimentData]]:
    """Characterise an emulated device and publish its datasheet.

    Args:
        device: A device (see :func:`~kvant.device.load_device`).
        config: What to measure (default :class:`SuiteConfig`: every qubit and coupler).
        progress: Called after each experiment with ``(stage, done, total)``.

    Returns:
        The datasheet (with the injected values for comparison) and the raw counts records
        (what ``kvant bench analyse`` reads).

    Raises:
        ConfigError: For an unknown device or a bad configuration.

    >>> sheet, records = measure_device("line-2", SuiteConfig.reduced(
    ...     qubits=(0, 1), couplers=((0, 1),), qv_widths=(2,), xeb_qubits=0))
    >>> sorted({r.kind for r in records})
    ['irb', 'qv', 'rb_1q', 'rb_2q', 'readout', 't1', 't2_echo', 't2_ramsey']
    >>> sheet.get("quantum_volume").value
    4.0
    """
    calibration = load_device(device)
    config = config or SuiteConfig()
    if not isinstance(config, SuiteConfig):
        raise ConfigError(f"config must be a SuiteConfig, got {type(config).__name__}")
    run = _Run(calibration, config)
    timings: dict[str, float] = {}
    for index, stage in enumerate(STAGES):
        start = time.perf_counter()
        getattr(run, stage)()
        timings[stage] = time.perf_counter() - start
        if progress is not None:
            progress(stage, index + 1, len(STAGES))
    start = time.perf_counter()
    topology = calibration.topology
    info = DeviceInfo(
        calibration.name, calibration.num_qubits, topology.couplers, topology.positions
    )
    sheet = analyse_counts(
        run.records,
        info,
        source=f"emulated {calibration.name} (kvant.device noise model), seed {config.seed}",
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    timings["analysis"] = time.perf_counter() - start
    return replace(sheet, injected=run.injected(), timings_s=timings), run.records
