"""Fits on synthetic data with known answers, and on pathological input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kvant.bench import (
    FitQuality,
    FitResult,
    Metric,
    binomial_stderr,
    fit_damped_cosine,
    fit_exp_decay,
    fit_rb_decay,
    power_decay_fit,
)
from kvant.errors import AnalysisError


def test_exp_decay_recovers_tau_within_its_error_bar() -> None:
    rng = np.random.default_rng(1)
    t = np.linspace(0, 900, 40)
    shots = 4000
    p = 0.93 * np.exp(-t / 210.0) + 0.03
    ones = rng.binomial(shots, p)
    fit = fit_exp_decay(t, ones / shots, binomial_stderr(ones, shots))
    assert fit.good
    assert abs(fit.params["tau"] - 210.0) < 3 * fit.stderr["tau"]
    assert 0.5 < fit.reduced_chi2 < 2.0  # binomial noise: chi2 per dof near 1


def test_damped_cosine_recovers_decay_and_frequency() -> None:
    rng = np.random.default_rng(2)
    t = np.linspace(0, 400, 61)
    p = 0.5 + 0.47 * np.exp(-t / 110.0) * np.cos(2 * np.pi * 0.0125 * t)
    ones = rng.binomial(3000, p)
    fit = fit_damped_cosine(t, ones / 3000, binomial_stderr(ones, 3000), freq_guess=0.012)
    assert fit.good
    assert abs(fit.params["tau"] - 110.0) < 3 * fit.stderr["tau"]
    assert abs(fit.params["freq"] - 0.0125) < 3 * fit.stderr["freq"]


def test_rb_decay_and_power_decay_known_answers() -> None:
    m = np.array([1, 20, 50, 100, 200, 400, 800])
    fit = fit_rb_decay(m, 0.7 * 0.995**m + 0.25, np.full(m.size, 1e-4), num_qubits=2)
    assert fit.params["alpha"] == pytest.approx(0.995, abs=1e-7)
    d = np.array([1, 5, 10, 20, 30])
    fit2 = power_decay_fit(d, 0.9 * 0.97**d, np.full(d.size, 1e-4))
    assert fit2.params["alpha"] == pytest.approx(0.97, abs=1e-7)


def test_flat_data_is_flagged_not_crashed() -> None:
    t = np.linspace(0, 100, 20)
    rng = np.random.default_rng(3)
    flat = 0.5 + rng.normal(0, 0.01, t.size)
    fit = fit_exp_decay(t, flat, np.full(t.size, 0.01))
    assert fit.quality is FitQuality.BAD_FIT
    assert fit.reason
    cos = fit_damped_cosine(t, flat, np.full(t.size, 0.01), freq_guess=0.05)
    assert cos.quality is FitQuality.BAD_FIT


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([0, 1, 2], [1, 0.5, 0.2], "too few"),
        ([0, 1, 2, 3, 4], [1, 0.5, math.nan, 0.2, 0.1], "NaN"),
        ([0, 1, 2, 3, 4], [1, 0.5, 0.2], "same length"),
    ],
)
def test_unusable_input_raises_analysis_error(x: list[float], y: list[float], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        fit_exp_decay(x, y)


def test_fit_and_metric_round_trip_with_nan() -> None:
    fit = FitResult("exp_decay", {"a": 1.0, "tau": math.nan, "b": 0.0}, {"tau": math.nan})
    assert FitResult.from_dict(fit.to_dict()) == fit
    metric = Metric("t1_us", math.nan, math.nan, "us", "x", (1,), FitQuality.BAD_FIT, "why", fit)
    assert Metric.from_dict(metric.to_dict()) == metric
    with pytest.raises(AnalysisError):
        Metric.from_dict({"value": 1.0})
