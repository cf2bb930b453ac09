"""Characterisation: experiments that measure a device the way labs do, and its datasheet.

Each experiment is a builder (circuits or random sequences) and an analysis (a pure function
of counts with an uncertainty and a fit-quality flag): T1, T2* (Ramsey), T2 (Hahn echo),
readout assignment, 1-qubit simultaneous RB, 2-qubit RB and interleaved RB of CZ on every
coupler, quantum volume and linear XEB. :func:`measure_device` runs them all on an emulated
device; :func:`analyse_counts` analyses counts that came from anywhere (a lab's device).

>>> from kvant.bench import SuiteConfig, measure_device
>>> sheet, _ = measure_device("line-2", SuiteConfig.reduced(
...     qubits=(0, 1), couplers=((0, 1),), qv_widths=(2,), xeb_qubits=0, interleaved=False))
>>> t1 = sheet.get("t1_us", (0,))
>>> t1.unit, t1.quality.value
('us', 'good')
"""

from kvant.bench._clifford import CliffordTable1Q, CliffordTable2Q, clifford_1q, clifford_2q
from kvant.bench._coherence import (
    analyse_t1,
    analyse_t2_echo,
    analyse_t2_ramsey,
    echo_circuits,
    ramsey_circuits,
    t1_circuits,
)
from kvant.bench._data import (
    COUNTS_SCHEMA,
    KINDS,
    ExperimentData,
    analyse_counts,
    counts_document,
    load_counts,
    parse_counts,
)
from kvant.bench._datasheet import DATASHEET_SCHEMA, SUMMARY_METRICS, Datasheet, DeviceInfo
from kvant.bench._emulator import LocalEmulator, kraus_ptm
from kvant.bench._fit import (
    binomial_stderr,
    fit_damped_cosine,
    fit_exp_decay,
    fit_rb_decay,
    power_decay_fit,
)
from kvant.bench._qv import (
    QV_THRESHOLD,
    QVWidthResult,
    analyse_qv_width,
    heavy_outputs,
    quantum_volume,
    qv_circuits,
)
from kvant.bench._rb import (
    RBResult,
    RBSequences,
    analyse_interleaved_rb,
    analyse_rb,
    rb_circuits,
    rb_sequences,
)
from kvant.bench._rb_emulate import emulate_rb_1q, emulate_rb_2q
from kvant.bench._readout import analyse_readout, assignment_matrix, readout_circuits
from kvant.bench._regions import average_gate_infidelity, restrict
from kvant.bench._results import FitQuality, FitResult, Metric
from kvant.bench._suite import STAGES, measure_device
from kvant.bench._suite_config import SuiteConfig
from kvant.bench._xeb import analyse_xeb, ideal_probabilities, xeb_circuits

__all__ = [
    "COUNTS_SCHEMA",
    "DATASHEET_SCHEMA",
    "KINDS",
    "QV_THRESHOLD",
    "STAGES",
    "SUMMARY_METRICS",
    "CliffordTable1Q",
    "CliffordTable2Q",
    "Datasheet",
    "DeviceInfo",
    "ExperimentData",
    "FitQuality",
    "FitResult",
    "LocalEmulator",
    "Metric",
    "QVWidthResult",
    "RBResult",
    "RBSequences",
    "SuiteConfig",
    "analyse_counts",
    "analyse_interleaved_rb",
    "analyse_qv_width",
    "analyse_rb",
    "analyse_readout",
    "analyse_t1",
    "analyse_t2_echo",
    "analyse_t2_ramsey",
    "analyse_xeb",
    "assignment_matrix",
    "average_gate_infidelity",
    "binomial_stderr",
    "clifford_1q",
    "clifford_2q",
    "counts_document",
    "echo_circuits",
    "emulate_rb_1q",
    "emulate_rb_2q",
    "fit_damped_cosine",
    "fit_exp_decay",
    "fit_rb_decay",
    "heavy_outputs",
    "ideal_probabilities",
    "kraus_ptm",
    "load_counts",
    "measure_device",
    "parse_counts",
    "power_decay_fit",
    "quantum_volume",
    "qv_circuits",
    "ramsey_circuits",
    "rb_circuits",
    "rb_sequences",
    "readout_circuits",
    "restrict",
    "t1_circuits",
    "xeb_circuits",
]
