"""The Monte Carlo against the independently derived closed-form channel model."""

from __future__ import annotations

import json
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.errors import ConfigError
from kvant.qkd import (
    Detections,
    DetectorConfig,
    FibreConfig,
    LinkConfig,
    SourceConfig,
    Tally,
    expected_statistics,
    iter_detections,
    outcome_table,
    protocol_source,
    simulate_tally,
)
from kvant.qkd.keyrate import model_gain, model_qber

MEMORYLESS = DetectorConfig(0.6, 1e-6, 0.0, 0.0)


def _assert_agrees(tally: Tally, link: LinkConfig, sigmas: float = 5.0) -> None:
    model = expected_statistics(link)
    for k in range(link.source.num_intensities):
        n = tally.sent[k]
        q = model.gain[k]
        assert abs(tally.gain(k) - q) <= sigmas * math.sqrt(q * (1 - q) / n) + 1e-12, k
        sifted = sum(tally.sifted[k])
        if sifted > 100:
            e = model.qber[k]
            assert abs(tally.qber(k) - e) <= sigmas * math.sqrt(e * (1 - e) / sifted), k


@pytest.mark.parametrize("distance_km", [0.0, 25.0, 100.0, 200.0, 280.0])
def test_gains_and_qbers_match_closed_form_from_0_km_to_cutoff(distance_km: float) -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(distance_km), MEMORYLESS)
    tally = simulate_tally(link, 4_000_000, seed=int(distance_km) + 1)
    _assert_agrees(tally, link)


def test_closed_form_reduces_to_ma_et_al_to_first_order_in_dark_counts() -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(60.0), MEMORYLESS, 0.033)
    model = expected_statistics(link)
    y0 = 2 * MEMORYLESS.dark_count_probability
    for mu, gain, qber in zip(link.source.mean_photon_numbers, model.gain, model.qber, strict=True):
        assert gain == pytest.approx(model_gain(mu, link.transmittance, y0), rel=1e-5)
        if mu > 0:
            expected = model_qber(mu, link.transmittance, y0, 0.033)
            assert qber == pytest.approx(expected, rel=1e-3)


def test_photon_number_table_sums_to_the_closed_form() -> None:
    link = LinkConfig(protocol_source("efficient-bb84"), FibreConfig(30.0), MEMORYLESS, 0.02)
    table = outcome_table(link)
    assert table.sum() == pytest.approx(1.0, abs=1e-12)
    model = expected_statistics(link)
    p = np.asarray(link.source.intensity_probabilities)
    detected = 1.0 - table[..., 0].sum(axis=(1, 2, 3, 4)) / p
    np.testing.assert_allclose(detected, model.gain, rtol=1e-9)


def test_dead_time_and_afterpulsing_follow_renewal_theory() -> None:
    detector = DetectorConfig(0.5, 1e-6, afterpulse_probability=0.05, dead_time_ns=50.0)
    link = LinkConfig(SourceConfig((0.5, 0.1), (0.5, 0.5)), FibreConfig(5.0), detector)
    tally = simulate_tally(link, 4_000_000, seed=11, block_pulses=1 << 18)
    # first-order renewal model; double clicks (about 1 in 10^4 here) make a small bias
    _assert_agrees(tally, link, sigmas=6.0)
    memoryless = expected_statistics(LinkConfig(link.source, link.fibre, MEMORYLESS))
    assert tally.gain(0) < 0.8 * memoryless.gain[0]  # dead time visibly saturates


def test_same_seed_same_detections_and_blocks_partition_the_run() -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(10.0))
    first = list(iter_detections(link, 300_000, seed=5, block_pulses=100_000))
    again = list(iter_detections(link, 300_000, seed=5, block_pulses=100_000))
    assert first == again
    assert [b.first_pulse for b in first] == [0, 100_000, 200_000]
    assert sum(int(b.sent_per_intensity.sum()) for b in first) == 300_000
    other = list(iter_detections(link, 300_000, seed=6, block_pulses=100_000))
    assert first != other


def test_detections_round_trip_and_fields() -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(20.0))
    block = next(iter_detections(link, 200_000, seed=2))
    assert Detections.from_dict(json.loads(json.dumps(block.to_dict()))) == block
    offsets = block.pulse_offset.astype(np.int64)
    assert np.all(np.diff(offsets) > 0)
    assert offsets[-1] < block.num_pulses
    assert block.alice_bit.dtype == np.uint8
    assert block.alice_bit.size == (len(block) + 7) // 8
    tally = block.tally()
    assert Tally.from_dict(json.loads(json.dumps(tally.to_dict()))) == tally
    assert not block.bits("eve_knows_bit").any()


def test_memory_is_flat_in_the_number_of_pulses() -> None:
    link = LinkConfig(protocol_source("decoy-bb84"), FibreConfig(50.0))

    def peak(pulses: int) -> int:
        tracemalloc.start()
        simulate_tally(link, pulses, seed=1, block_pulses=1 << 16)
        peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak_bytes

    small, large = peak(1 << 17), peak(1 << 21)
    assert large < 1.5 * small + 200_000


def test_bad_pulse_counts_are_refused() -> None:
    link = LinkConfig(protocol_source("bb84"), FibreConfig(1.0))
    with pytest.raises(ConfigError, match="pulses must be a positive integer"):
        simulate_tally(link, 0, seed=1)
    with pytest.raises(ConfigError, match="block_pulses"):
        simulate_tally(link, 10, seed=1, block_pulses=0)


counts = st.lists(st.integers(0, 10**6), min_size=6, max_size=6)


@settings(max_examples=50, deadline=None)
@given(a=counts, b=counts)
def test_tally_addition_adds_every_count(a: list[int], b: list[int]) -> None:
    def tally(v: list[int]) -> Tally:
        return Tally((v[0],), (v[1],), ((v[2], v[3]),), ((v[4], v[5]),), (v[1],), ((0, 0),))

    total = tally(a) + tally(b)
    assert total.sent[0] == a[0] + b[0]
    assert total.sifted[0] == (a[2] + b[2], a[3] + b[3])
    assert total.num_pulses == a[0] + b[0]


@settings(max_examples=50, deadline=None)
@given(bits=st.lists(st.booleans(), min_size=0, max_size=70))
def test_packed_bits_unpack_to_what_was_packed(bits: list[bool]) -> None:
    n = len(bits)
    record = Detections.from_arrays(0, 100, [100], list(range(n)), [0] * n, bob_bit=bits)
    assert record.bits("bob_bit").tolist() == bits
    assert record.tally().errors[0][0] == sum(bits)
