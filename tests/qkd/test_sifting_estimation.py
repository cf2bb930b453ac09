"""Sifting and parameter estimation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from kvant.errors import ConfigError
from kvant.qkd import (
    ClassicalChannel,
    Detections,
    ParameterEstimate,
    QberEstimate,
    SiftedKey,
    estimate_parameters,
    qber_upper_bound,
    sift,
)
from kvant.qkd._estimation import _drop_sample, _sample_mask


def _record(first: int, rng: np.random.Generator, n: int = 400) -> Detections:
    offsets = np.sort(rng.choice(10_000, n, replace=False))
    bits = {
        name: rng.integers(0, 2, n).astype(bool)
        for name in ("alice_basis", "alice_bit", "bob_basis", "bob_bit")
    }
    return Detections.from_arrays(first, 10_000, [7000, 2000, 1000], offsets,
                                  rng.integers(0, 3, n), **bits)  # fmt: skip


def test_sift_keeps_matching_bases_split_by_basis() -> None:
    rng = np.random.default_rng(0)
    blocks = [_record(0, rng), _record(10_000, rng)]
    channel = ClassicalChannel()
    sifted = sift(blocks, channel)
    a_basis = np.concatenate([b.bits("alice_basis") for b in blocks])
    b_basis = np.concatenate([b.bits("bob_basis") for b in blocks])
    a_bit = np.concatenate([b.bits("alice_bit") for b in blocks])
    intensity = np.concatenate([b.intensity for b in blocks])
    key = (a_basis == b_basis) & ~a_basis
    test = (a_basis == b_basis) & a_basis
    np.testing.assert_array_equal(sifted.alice_key, a_bit[key])
    np.testing.assert_array_equal(sifted.key_intensity, intensity[key])
    np.testing.assert_array_equal(sifted.alice_test, a_bit[test])
    assert sifted.num_pulses == 20_000
    assert sifted.sent_per_intensity == (14000, 4000, 2000)
    assert channel.leaked_bits == 0
    assert len(channel.messages) == 2
    # Alice's answer: her bases (packed), then the intensity of every pulse whose bases agree
    reply = channel.messages[1].payload
    packed = (a_basis.size + 7) // 8
    assert reply[:packed] == np.packbits(a_basis).tobytes()
    assert reply[packed:] == intensity[a_basis == b_basis].tobytes()
    assert sift(blocks).key_bits == sifted.key_bits  # the same without a channel


def test_sift_rejects_mixed_or_missing_records() -> None:
    rng = np.random.default_rng(1)
    with pytest.raises(ConfigError):
        sift([])
    odd = Detections.from_arrays(0, 4, [4], [0], [0])
    with pytest.raises(ConfigError):
        sift([_record(0, rng), odd])
    with pytest.raises(ConfigError, match="got str"):  # a path or a name by mistake
        sift("detections.npz")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="got dict"):
        sift([_record(0, rng), {"alice_bit": [0]}])  # type: ignore[list-item]


def test_sifted_key_round_trip_and_validation() -> None:
    sifted = sift(_record(0, np.random.default_rng(2)))
    again = SiftedKey.from_dict(sifted.to_dict())
    for name in ("alice_key", "bob_key", "key_intensity", "alice_test", "bob_test"):
        np.testing.assert_array_equal(getattr(again, name), getattr(sifted, name))
    with pytest.raises(ConfigError):
        SiftedKey(np.zeros(3, np.uint8), np.zeros(2, np.uint8), np.zeros(3, np.uint8),
                  sifted.alice_test, sifted.bob_test, sifted.test_intensity, 1, (1,))  # fmt: skip


@pytest.mark.parametrize(("errors", "n"), [(0, 50), (3, 100), (20, 1000), (400, 20_000)])
def test_clopper_pearson_bound_is_where_the_binomial_tail_reaches_alpha(
    errors: int, n: int
) -> None:
    alpha = 1e-3
    upper = qber_upper_bound(errors, n, 1 - alpha)
    assert binom.cdf(errors, n, upper) == pytest.approx(alpha, rel=1e-6)
    assert upper > errors / n


def test_qber_bound_edges() -> None:
    assert qber_upper_bound(5, 5, 0.9) == 1.0
    with pytest.raises(ConfigError):
        qber_upper_bound(6, 5, 0.9)
    with pytest.raises(ConfigError):
        qber_upper_bound(1, 5, 1.0)


def test_estimation_discloses_a_sample_and_the_test_basis() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    bob = alice ^ (rng.random(n) < 0.04).astype(np.uint8)
    test_a = rng.integers(0, 2, 8000, dtype=np.uint8)
    test_b = test_a ^ (rng.random(8000) < 0.06).astype(np.uint8)
    intensity = rng.integers(0, 3, n).astype(np.uint8)
    t_int = rng.integers(0, 3, 8000).astype(np.uint8)
    sifted = SiftedKey(alice, bob, intensity, test_a, test_b, t_int, 10**6, (8, 1, 1))
    channel = ClassicalChannel()
    rest, est = estimate_parameters(sifted, channel, np.random.default_rng(4),
                                    sample_fraction=0.1)  # fmt: skip
    assert rest.key_bits + est.key_qber.sample_bits == n
    assert 0.03 < est.key_qber.qber < 0.05 < est.key_qber.upper < 0.06
    assert est.test_qber.errors == int(np.count_nonzero(test_a != test_b))
    assert sum(est.key_detections) == rest.key_bits
    assert est.test_errors == tuple(
        int(np.count_nonzero((test_a != test_b) & (t_int == k))) for k in range(3)
    )
    assert channel.leaked_bits == 0
    assert ParameterEstimate.from_dict(est.to_dict()) == est
    assert QberEstimate.from_dict(est.key_qber.to_dict()) == est.key_qber
    with pytest.raises(ConfigError):
        estimate_parameters(sifted, channel, np.random.default_rng(0), sample_fraction=1.0)


@pytest.mark.parametrize("fraction", [0.001, 0.03, 0.5, 0.97])
def test_the_sample_is_one_coin_per_bit(fraction: float) -> None:
    # geometric gaps draw the Bernoulli process: the count is binomial, and a bit is in the
    # sample independently of its neighbour (pairs of adjacent sampled bits: binomial in f^2)
    n = 400_000
    mask = _sample_mask(n, fraction, np.random.default_rng(int(fraction * 1000)))
    assert mask.size == n
    assert mask.dtype == np.bool_
    for observed, p, trials in (
        (int(mask.sum()), fraction, n),
        (int(np.count_nonzero(mask[1:] & mask[:-1])), fraction**2, n - 1),
    ):
        assert binom.ppf(1e-6, trials, p) <= observed <= binom.ppf(1 - 1e-6, trials, p)
    assert not _sample_mask(n, 0.0, np.random.default_rng(0)).any()
    assert _sample_mask(0, 0.5, np.random.default_rng(0)).size == 0


def test_dropping_the_sample_equals_numpy_selection() -> None:
    rng = np.random.default_rng(9)
    n = 10_001
    alice, bob = (rng.integers(0, 2, n, dtype=np.uint8) for _ in range(2))
    intensity = rng.integers(0, 4, n).astype(np.uint8)  # 3 is out of range for 3 intensities
    sample = rng.random(n) < 0.2
    *kept, counts = _drop_sample(sample, alice, bob, intensity, 3)
    for got, full in zip(kept, (alice, bob, intensity), strict=True):
        np.testing.assert_array_equal(got, full[~sample])
    assert counts.tolist() == np.bincount(intensity[~sample], minlength=4)[:3].tolist()
