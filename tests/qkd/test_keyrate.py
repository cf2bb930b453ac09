"""Key-rate theory against published values (tests/data/qkd) and exact limits."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from kvant.qkd import FibreConfig, LinkConfig, model_link, protocol_source
from kvant.qkd.keyrate import (
    ChannelModel,
    binary_entropy,
    estimate_single_photon,
    lim_key_length,
    max_distance_km,
    model_gain,
    model_qber,
    optimal_key_rate,
    plob_bound,
    single_photon_error_upper_bound,
    single_photon_yield_lower_bound,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "qkd"


def _load(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((DATA / name).read_text())  # type: ignore[no-any-return]


GYS = _load("ma2005_gys.json")
LIM = _load("lim2014.json")


def test_gys_parameters_match_the_data_file() -> None:
    params, model = GYS["parameters"], ChannelModel.gys()
    for name in (
        "attenuation_db_per_km",
        "detector_efficiency",
        "background_yield",
        "misalignment_error",
        "error_correction_efficiency",
        "sifting_factor",
    ):
        assert getattr(model, name) == params[name]


@pytest.mark.parametrize("method", ["infinite-decoy", "vacuum-weak", "no-decoy"])
def test_gys_maximal_distances_reproduce_ma_et_al_2005(method: str) -> None:
    expected = GYS["max_distance_km"][method]
    found = max_distance_km(ChannelModel.gys(), method, 0.05, tolerance_km=0.01)  # type: ignore[arg-type]
    assert found == pytest.approx(expected["value"], abs=expected["tolerance_km"])


def test_decoy_distances_are_ordered_and_approach_the_infinite_decoy_limit() -> None:
    model = ChannelModel.gys()
    infinite = max_distance_km(model, "infinite-decoy", tolerance_km=0.01)
    weak = [
        max_distance_km(model, "vacuum-weak", nu, tolerance_km=0.01) for nu in (0.1, 0.01, 1e-4)
    ]
    one = max_distance_km(model, "one-decoy", 0.1, tolerance_km=0.01)
    no_decoy = max_distance_km(model, "no-decoy", tolerance_km=0.01)
    assert no_decoy < one < weak[0] < weak[1] < weak[2] <= infinite + 0.01
    assert infinite - weak[2] < 0.1


def test_vacuum_weak_bounds_are_tight_for_vanishing_decoy() -> None:
    eta, y0, e_d = 1e-3, 1.7e-6, 0.033
    mu, nu = 0.5, 1e-4
    q_mu, q_nu = model_gain(mu, eta, y0), model_gain(nu, eta, y0)
    y1 = single_photon_yield_lower_bound(mu, nu, q_mu, q_nu, y0)
    e1 = single_photon_error_upper_bound(nu, q_nu, model_qber(nu, eta, y0, e_d), y0, y1)
    true_y1 = y0 + eta - y0 * eta
    assert y1 <= true_y1
    assert y1 == pytest.approx(true_y1, rel=2e-3)
    assert e1 == pytest.approx((0.5 * y0 + e_d * eta) / true_y1, rel=2e-3)


def test_lim_bounds_without_fluctuations_equal_ma_et_al() -> None:
    src = protocol_source("decoy-bb84")
    eta, y0, e_d = 5e-3, 2e-6, 0.02
    gains = [model_gain(m, eta, y0) for m in src.mean_photon_numbers]
    qbers = [model_qber(m, eta, y0, e_d) for m in src.mean_photon_numbers]
    est = estimate_single_photon("decoy-bb84", src, gains, qbers)
    y1 = single_photon_yield_lower_bound(0.5, 0.1, gains[0], gains[1], gains[2])
    assert est.yield_lower == pytest.approx(y1, rel=1e-12)
    assert est.error_upper == pytest.approx(
        single_photon_error_upper_bound(0.1, gains[1], qbers[1], gains[2], y1), rel=1e-12
    )


def _lim_rate(x: list[float], distance_km: float, n_x: float) -> float:
    """Lim et al. 2014, Sec. IV system model (their X basis is kvant's key basis)."""
    p = LIM["parameters"]
    qx, p1, p2, m1, m2 = x
    m3 = p["mu3"]
    if not (0 < qx < 1 and p1 > 0 and p2 > 0 and p1 + p2 < 1 and m1 > m2 + m3 and m2 > m3):
        return 0.0
    probs, mus = (p1, p2, 1 - p1 - p2), (m1, m2, m3)
    eta = p["detector_efficiency"] * 10 ** (-p["attenuation_db_per_km"] * distance_km / 10)
    d = [1 - (1 - 2 * p["dark_count_probability"]) * math.exp(-eta * k) for k in mus]
    r = [dk * (1 + p["afterpulse_probability"]) for dk in d]
    e = [
        p["dark_count_probability"]
        + p["misalignment_error"] * (1 - math.exp(-eta * k))
        + p["afterpulse_probability"] * dk / 2
        for k, dk in zip(mus, d, strict=True)
    ]
    pulses = n_x / (qx**2 * sum(pk * rk for pk, rk in zip(probs, r, strict=True)))
    key = [pulses * qx**2 * pk * rk for pk, rk in zip(probs, r, strict=True)]
    key_err = [pulses * qx**2 * pk * ek for pk, ek in zip(probs, e, strict=True)]
    test = [pulses * (1 - qx) ** 2 * pk * rk for pk, rk in zip(probs, r, strict=True)]
    test_err = [pulses * (1 - qx) ** 2 * pk * ek for pk, ek in zip(probs, e, strict=True)]
    eps, length = 1e-9, 0.0
    for _ in range(4):  # eps_sec = kappa * l, solved by fixed-point iteration
        length = lim_key_length(
            mus,
            probs,
            key,
            key_err,
            test,
            test_err,
            error_correction_efficiency=p["error_correction_efficiency"],
            epsilon_sec=eps,
            epsilon_cor=p["epsilon_cor"],
        ).key_length_bits
        if length <= 0:
            return 0.0
        eps = min(p["kappa"] * length, 0.5)
    return length / pulses


def _optimised(distance_km: float, n_x: float) -> float:
    from scipy.optimize import minimize

    best = 0.0
    for start in ((0.9, 0.7, 0.2, 0.5, 0.1), (0.8, 0.5, 0.3, 0.4, 0.15)):
        found = minimize(
            lambda x: -1e6 * _lim_rate(list(x), distance_km, n_x),
            start,
            method="Nelder-Mead",
            options={"maxiter": 3000, "xatol": 1e-6},
        )
        best = max(best, -found.fun / 1e6)
    return best


def test_lim_2014_block_size_ratio_at_100_km() -> None:
    claim = LIM["claims"]["ratio_at_100_km_nX_1e9_over_1e7"]["value"]
    ratio = _optimised(100.0, 1e9) / _optimised(100.0, 1e7)
    assert ratio == pytest.approx(claim, rel=0.05)


def test_finite_rates_rise_toward_the_asymptotic_rate() -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(60.0))
    rates = [model_link(link, pulses=10**n).finite_bits_per_pulse for n in (9, 10, 11, 12, 14)]
    assert all(a is not None and b is not None and a < b for a, b in itertools.pairwise(rates))
    src = link.source
    model = model_link(link, pulses=1)
    pz = src.z_basis_probability
    key = [
        p * pz * pz * g for p, g in zip(src.intensity_probabilities, model.model_gain, strict=True)
    ]
    key_err = [c * q for c, q in zip(key, model.model_qber, strict=True)]
    limit = lim_key_length(
        src.mean_photon_numbers,
        src.intensity_probabilities,
        key,
        key_err,
        key,
        key_err,
        asymptotic=True,
    ).key_length_bits
    assert rates[-1] == pytest.approx(limit, rel=0.02)


@pytest.mark.parametrize("protocol", ["bb84", "decoy-bb84", "one-decoy-bb84", "efficient-bb84"])
def test_key_rate_never_exceeds_plob(protocol: str) -> None:
    for distance_km in range(0, 301, 20):
        link = LinkConfig(protocol_source(protocol), FibreConfig(float(distance_km)))
        report = model_link(link, protocol, pulses=10**12)
        bound = plob_bound(link.transmittance)  # PLOB even with the detector counted as loss
        assert report.asymptotic_bits_per_pulse <= bound
        assert (report.finite_bits_per_pulse or 0.0) <= bound


def test_gys_infinite_decoy_rate_stays_below_plob_everywhere() -> None:
    model = ChannelModel.gys()
    for distance_km in range(10, 150, 10):
        rate, _ = optimal_key_rate(model, float(distance_km), "infinite-decoy")
        assert rate <= plob_bound(model.channel_transmittance(distance_km))


def test_entropy_and_plob_known_values() -> None:
    assert binary_entropy(0.11) == pytest.approx(0.49992, abs=1e-5)  # 1 - 2h(0.11) ~ 0
    assert plob_bound(0.5) == 1.0
    assert plob_bound(1e-6) == pytest.approx(1e-6 / math.log(2), rel=1e-5)
