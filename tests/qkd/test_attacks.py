"""Attacks: intercept-resend raises the QBER by f/4; PNS fools BB84 without decoys but the
decoy estimate exposes it."""

from __future__ import annotations

import pytest

from kvant.errors import ProtocolAbortError
from kvant.qkd import (
    DetectorConfig,
    FibreConfig,
    InterceptResend,
    LinkConfig,
    PhotonNumberSplitting,
    expected_statistics,
    protocol_source,
    run_link,
    simulate_tally,
)
from kvant.qkd.keyrate import binary_entropy

IDEAL = DetectorConfig(1.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.2])
def test_intercept_resend_gives_a_quarter_of_the_fraction(fraction: float) -> None:
    # Bennett & Brassard 1984: measuring every qubit in a random basis gives a 25% QBER.
    link = LinkConfig(protocol_source("bb84"), FibreConfig(0.0), IDEAL, misalignment_error=0.0)
    assert expected_statistics(link, InterceptResend(fraction)).qber[0] == pytest.approx(
        fraction / 4
    )
    tally = simulate_tally(link, 400_000, seed=3, attack=InterceptResend(fraction))
    sifted = sum(tally.sifted[0])
    sigma = (fraction / 4 * (1 - fraction / 4) / sifted) ** 0.5
    assert abs(tally.qber(0) - fraction / 4) < 5 * sigma
    assert tally.gain(0) == pytest.approx(expected_statistics(link).gain[0], rel=0.01)


def test_full_intercept_resend_leaves_no_key() -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(20.0))
    report = run_link(link, pulses=2_000_000, seed=4, attack=InterceptResend(1.0))
    assert report.measured_qber[0] > 0.24
    assert report.asymptotic_bits_per_pulse == 0.0
    with pytest.raises(ProtocolAbortError, match="no secret key"):
        report.require_key()


def test_pns_is_invisible_without_decoys_but_decoys_expose_it() -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(100.0))
    attack = PhotonNumberSplitting.matching_signal_gain(link)
    assert attack.single_photon_transmission == 0.0  # Eve can block every single photon
    honest = run_link(link, pulses=20_000_000, seed=8)
    attacked = run_link(link, pulses=20_000_000, seed=8, attack=attack)
    # the signal looks the same ...
    n = attacked.tally.sent[0]  # type: ignore[union-attr]
    q = honest.model_gain[0]
    assert abs(attacked.measured_gain[0] - q) < 5 * (q / n) ** 0.5
    assert attacked.measured_qber[0] < 0.02
    # ... but Eve knows essentially every sifted signal bit, while a BB84 that trusted every
    # detection as a single photon would claim a key of 1 - 2 h(E) per sifted bit
    tally = attacked.tally
    assert tally is not None
    known = sum(tally.eve_knows[0]) / sum(tally.sifted[0])
    assert known > 0.99
    assert 1 - 2 * binary_entropy(attacked.measured_qber[0]) > 0.8
    # the weak decoy's gain collapses, so the decoy bound certifies no single photon
    assert attacked.measured_gain[1] < 0.5 * honest.measured_gain[1]
    assert attacked.single_photon.yield_lower <= 0.0
    assert attacked.asymptotic_bits_per_pulse == 0.0
    with pytest.raises(ProtocolAbortError):
        attacked.require_key()
    assert honest.asymptotic_bits_per_pulse > 0.0


def test_gllp_without_decoys_gives_no_key_where_full_pns_is_possible() -> None:
    link = LinkConfig(protocol_source("bb84", signal_mean_photon_number=0.5), FibreConfig(100.0))
    assert PhotonNumberSplitting.matching_signal_gain(link).single_photon_transmission == 0.0
    report = run_link(link, "bb84", pulses=2_000_000, seed=9)
    assert report.single_photon.gain_lower <= 0.0
    assert report.asymptotic_bits_per_pulse == 0.0
