"""XEB, coherence and readout analyses on synthetic data with known answers; builders."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.bench import (
    LocalEmulator,
    SuiteConfig,
    analyse_readout,
    analyse_t1,
    analyse_t2_echo,
    analyse_t2_ramsey,
    analyse_xeb,
    echo_circuits,
    ideal_probabilities,
    measure_device,
    ramsey_circuits,
    t1_circuits,
    xeb_circuits,
)
from kvant.device import NoiseModel, load_device
from kvant.errors import AnalysisError, ConfigError
from kvant.sim import KrausChannel


def test_coherence_analyses_recover_synthetic_values() -> None:
    rng = np.random.default_rng(7)
    t = np.linspace(0, 700, 40)
    shots = 5000
    t1 = analyse_t1(t, rng.binomial(shots, 0.97 * np.exp(-t / 175) + 0.01), shots, qubit=2)
    assert abs(t1.value - 175) < 3 * t1.stderr
    assert t1.qubits == (2,)
    echo = analyse_t2_echo(t, rng.binomial(shots, 0.5 - 0.49 * np.exp(-t / 130)), shots)
    assert abs(echo.value - 130) < 3 * echo.stderr
    fringe = 0.5 + 0.49 * np.exp(-t / 95) * np.cos(2 * np.pi * 0.02 * t)
    ramsey = analyse_t2_ramsey(t, rng.binomial(shots, fringe), shots, detuning_mhz=0.02)
    assert abs(ramsey.value - 95) < 3 * ramsey.stderr


def test_coherence_pathological_input() -> None:
    t = np.linspace(0, 100, 10)
    with pytest.raises(AnalysisError, match="counts"):
        analyse_t1(t, np.full(10, 50.0), np.full(9, 100.0))
    with pytest.raises(AnalysisError, match="NaN"):
        analyse_t1(t, np.r_[np.full(9, 50.0), math.nan], 100)
    with pytest.raises(AnalysisError, match="ones <= shots"):
        analyse_t1(t, np.full(10, 150), 100)
    flat = analyse_t2_echo(t, np.full(10, 500), 1000)  # no decay at all: flagged, no crash
    assert not flat.good
    assert "flat" in flat.reason
    with pytest.raises(ConfigError):
        t1_circuits([0, 1])


def test_builders_match_the_textbook_ideal_signals() -> None:
    """On a noiseless device: T1 reads 1, echo reads 0, Ramsey follows cos^2 of the phase."""
    emu = LocalEmulator(load_device("line-2"), noise=False)
    delays = [0.0, 1.0, 2.5, 4.0]
    assert all(emu.probabilities(c, (0,))[1] == pytest.approx(1.0) for c in t1_circuits(delays))
    assert all(
        emu.probabilities(c, (0,))[1] == pytest.approx(0.0, abs=1e-12)
        for c in echo_circuits(delays)
    )
    for t, c in zip(delays, ramsey_circuits(delays, 0.1), strict=True):
        expected = (1 + math.cos(2 * math.pi * 0.1 * t)) / 2
        assert emu.probabilities(c, (0,))[1] == pytest.approx(expected, abs=1e-12)


def test_readout_analysis_and_bad_counts() -> None:
    p10, p01, mean, fidelity = analyse_readout(200, 10_000, 500, 10_000, qubit=0)
    assert (p10.value, p01.value, mean.value) == pytest.approx((0.02, 0.05, 0.035))
    assert fidelity.value == pytest.approx(0.965)
    assert p10.stderr == pytest.approx(math.sqrt(0.02 * 0.98 / 10_000), rel=0.05)
    with pytest.raises(AnalysisError):
        analyse_readout(20, 10, 0, 10)
    with pytest.raises(AnalysisError):
        analyse_readout(math.nan, 10, 0, 10)  # type: ignore[arg-type]


def test_xeb_matches_a_depolarizing_model_and_the_emulator() -> None:
    # synthetic: measured distribution = f^d p + (1 - f^d) uniform -> fidelity per cycle f
    groups = xeb_circuits(3, [1, 4, 8, 12], 4, seed=3)
    ideal = [[ideal_probabilities(c) for c in g] for g in groups]
    counts = []
    for d, row in zip([1, 4, 8, 12], ideal, strict=True):
        f = 0.95**d
        counts.append(
            [
                {format(i, "03b"): round(1e7 * (f * p[i] + (1 - f) / 8)) for i in range(8)}
                for p in row
            ]
        )
    metric, per_depth = analyse_xeb([1, 4, 8, 12], counts, ideal)
    assert metric.value == pytest.approx(0.95, abs=2e-4)
    assert per_depth[0] == pytest.approx(0.95, abs=1e-3)
    with pytest.raises(AnalysisError):
        analyse_xeb([1, 4], counts, ideal)
    with pytest.raises(AnalysisError, match="sum to 1"):
        analyse_xeb([1, 4, 8, 12], counts, [[np.full(8, 0.2)] * 4] * 4)


def test_xeb_on_the_emulator_matches_the_injected_fidelity() -> None:
    """Per-cycle XEB fidelity vs the decay of the product of the process fidelities of every
    channel the noise model puts in the circuits (gates and idles)."""
    cal = load_device("kvant-50")
    config = SuiteConfig.reduced(
        qubits=(0, 1, 2, 3),
        couplers=(),
        qv_widths=(),
        xeb_qubits=4,
        xeb_cycles=(1, 5, 10, 20, 30),
        xeb_circuits=10,
        xeb_shots=5000,
        seed=3,
    )
    sheet, records = measure_device(cal, config)
    assert [r.kind for r in records].count("qv") == 0
    measured = sheet.get("xeb_fidelity_per_cycle", (0, 1, 2, 3))
    model = NoiseModel.from_calibration(cal)
    depths = np.array([1, 5, 10, 20, 30])
    fidelity = [
        np.mean(
            [
                np.prod(
                    [
                        op.process_fidelity()
                        for op in model.noisy_program(c, (0, 1, 2, 3)).operations
                        if isinstance(op, KrausChannel)
                    ]
                )
                for c in group
            ]
        )
        for group in xeb_circuits(4, list(depths), 10, seed=0)
    ]
    predicted = float(np.exp(np.polyfit(depths, np.log(fidelity), 1)[0]))
    assert measured.good
    assert abs(measured.value - predicted) < max(3 * measured.stderr, 1e-3)
