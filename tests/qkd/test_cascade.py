"""Cascade: correct keys for thousands of seeds, leakage equal to the parities sent, and
efficiencies within the published ranges (Brassard & Salvail 1993; Martinez-Mateo et al.
2015; cascade-python: original 1.15-1.21, with BICONF 1.08-1.11)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.errors import ConfigError
from kvant.qkd import (
    CascadeReconciler,
    ClassicalChannel,
    Reconciler,
    ReconciliationResult,
    cascade_passes,
    pass_order,
)

from .conftest import Pair


def test_is_a_reconciler() -> None:
    assert isinstance(CascadeReconciler(), Reconciler)
    assert CascadeReconciler("original").name == "cascade-original"
    with pytest.raises(ConfigError):
        CascadeReconciler("fast")  # type: ignore[arg-type]


def test_thousands_of_seeds_reconcile_exactly(noisy_pair: Pair) -> None:
    rng = np.random.default_rng(2024)
    failures = 0
    for seed in range(2000):
        n = int(rng.integers(1000, 4001))
        qber = float(rng.uniform(0.005, 0.10))
        alice, bob = noisy_pair(n, qber, seed)
        result = CascadeReconciler("improved").reconcile(
            alice, bob, qber, ClassicalChannel(), seed=seed
        )
        failures += not np.array_equal(result.bob_key, alice)
    assert failures == 0


def test_original_cascade_almost_always_reconciles(noisy_pair: Pair) -> None:
    failures = 0
    for seed in range(300):
        qber = 0.005 + 0.095 * seed / 300
        alice, bob = noisy_pair(4000, qber, seed)
        result = CascadeReconciler("original").reconcile(
            alice, bob, qber, ClassicalChannel(), seed=seed
        )
        failures += not np.array_equal(result.bob_key, alice)
    assert failures <= 3  # 4 passes leave rare residual errors: verification catches them


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 3000),
    st.floats(0.0, 0.15),
    st.integers(0, 2**32),
    st.sampled_from(["original", "improved"]),
)
def test_property_improved_output_equals_alices_key(
    n: int, qber: float, seed: int, variant: str
) -> None:
    rng = np.random.default_rng(seed)
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    bob = alice ^ (rng.random(n) < qber).astype(np.uint8)
    before = bob.copy()
    result = CascadeReconciler(variant).reconcile(  # type: ignore[arg-type]
        alice, bob, max(qber, 0.001), ClassicalChannel(), seed=seed
    )
    if variant == "improved":
        np.testing.assert_array_equal(result.bob_key, alice)
    assert result.errors_corrected == int(np.count_nonzero(result.bob_key != bob))
    np.testing.assert_array_equal(bob, before)  # the input is not modified


@pytest.mark.parametrize("variant", ["original", "improved"])
def test_leakage_is_exactly_the_parities_alice_sent(variant: str, noisy_pair: Pair) -> None:
    alice, bob = noisy_pair(20_000, 0.03, 1)
    channel = ClassicalChannel()
    result = CascadeReconciler(variant).reconcile(alice, bob, 0.03, channel, seed=5)  # type: ignore[arg-type]
    kinds = [m.kind for m in channel.messages]
    assert kinds == ["cascade/pass-seeds", "cascade/parity-requests", "cascade/parities"]
    seeds = np.frombuffer(channel.messages[0].payload, "<u8").reshape(-1, 2)
    requests = np.frombuffer(channel.messages[1].payload, "<i4").reshape(3, -1)
    count = requests.shape[1]
    parities = np.unpackbits(np.frombuffer(channel.messages[2].payload, np.uint8), count=count)
    assert result.leaked_bits == count == channel.leaked_bits == channel.messages[2].leaked_bits
    passes = cascade_passes(variant, alice.size, 0.03, np.random.default_rng(5))  # type: ignore[arg-type]
    assert [(p.block_size, p.seed) for p in passes] == [tuple(int(v) for v in r) for r in seeds]
    orders = [pass_order(p, i, alice.size) for i, p in enumerate(passes)]
    for (p, start, end), parity in zip(requests.T, parities, strict=True):
        assert int(alice[orders[p][start:end]].sum() % 2) == parity


def test_a_long_key_is_reconciled_in_chunks_each_with_its_own_transcript(
    noisy_pair: Pair,
) -> None:
    alice, bob = noisy_pair(12_001, 0.03, 4)
    channel = ClassicalChannel()
    result = CascadeReconciler(chunk_bits=5000).reconcile(alice, bob, 0.03, channel, seed=6)
    np.testing.assert_array_equal(result.bob_key, alice)
    assert result.messages == len(channel.messages) == 9  # 3 chunks of 4000, 4000, 4001 bits
    rng = np.random.default_rng(6)  # the chunks draw their passes in turn
    leaked = 0
    for chunk, (lo, hi) in enumerate([(0, 4000), (4000, 8000), (8000, 12_001)]):
        seeds, requests, parities = channel.messages[3 * chunk : 3 * chunk + 3]
        passes = cascade_passes("improved", hi - lo, 0.03, rng)
        assert np.frombuffer(seeds.payload, "<u8").reshape(-1, 2).tolist() == [
            [p.block_size, p.seed] for p in passes
        ]
        rows = np.frombuffer(requests.payload, "<i4").reshape(3, -1)
        bits = np.unpackbits(np.frombuffer(parities.payload, np.uint8), count=rows.shape[1])
        orders = [pass_order(p, i, hi - lo) for i, p in enumerate(passes)]
        for (i, start, end), parity in zip(rows.T, bits, strict=True):
            assert int(alice[lo:hi][orders[i][start:end]].sum() % 2) == parity
        leaked += rows.shape[1]
    assert result.leaked_bits == leaked == channel.leaked_bits


def test_chunks_are_the_parts_reconciled_one_after_another(noisy_pair: Pair) -> None:
    alice, bob = noisy_pair(30_000, 0.02, 7)
    whole = CascadeReconciler(chunk_bits=10_000).reconcile(
        alice, bob, 0.02, ClassicalChannel(), seed=8
    )
    rng, parts = np.random.default_rng(8), []
    for lo in (0, 10_000, 20_000):
        sl = slice(lo, lo + 10_000)
        parts.append(
            CascadeReconciler().reconcile(alice[sl], bob[sl], 0.02, ClassicalChannel(), seed=rng)
        )
    assert whole.leaked_bits == sum(p.leaked_bits for p in parts)
    assert whole.errors_corrected == sum(p.errors_corrected for p in parts)
    assert whole.rounds == 14


@pytest.mark.parametrize("chunk_bits", [0, -5, 2.5, True, "big"])
def test_chunk_bits_must_be_a_positive_integer(chunk_bits: object) -> None:
    with pytest.raises(ConfigError, match="chunk_bits must be a positive integer"):
        CascadeReconciler(chunk_bits=chunk_bits)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("variant", "low", "high"), [("original", 1.05, 1.22), ("improved", 1.0, 1.10)]
)
@pytest.mark.parametrize("qber", [0.005, 0.01, 0.02, 0.05, 0.10])
def test_efficiency_within_published_ranges(
    variant: str, low: float, high: float, qber: float, noisy_pair: Pair
) -> None:
    values = []
    for seed in range(3):
        alice, bob = noisy_pair(100_000, qber, seed)
        result = CascadeReconciler(variant).reconcile(  # type: ignore[arg-type]
            alice, bob, qber, ClassicalChannel(), seed=seed
        )
        assert np.array_equal(result.bob_key, alice)
        values.append(result.efficiency)
    assert low <= float(np.mean(values)) <= high


def test_empty_and_error_free_keys() -> None:
    empty = np.zeros(0, np.uint8)
    result = CascadeReconciler().reconcile(empty, empty, 0.02, ClassicalChannel())
    assert result.key_bits == 0
    assert result.leaked_bits == 0
    key = np.ones(500, np.uint8)
    result = CascadeReconciler().reconcile(key, key, 0.0, ClassicalChannel(), seed=1)
    assert result.errors_corrected == 0
    assert result.efficiency == float("inf")


def test_bad_inputs() -> None:
    key = np.zeros(10, np.uint8)
    with pytest.raises(ConfigError):
        CascadeReconciler().reconcile(key, key[:5], 0.02, ClassicalChannel())
    with pytest.raises(ConfigError):
        CascadeReconciler().reconcile(key, key, 0.7, ClassicalChannel())
    with pytest.raises(ConfigError):
        CascadeReconciler().reconcile(np.packbits(np.ones(16, np.uint8)), key[:2], 0.1,
                                      ClassicalChannel())  # fmt: skip


def test_result_round_trip(noisy_pair: Pair) -> None:
    alice, bob = noisy_pair(999, 0.05, 3)
    result = CascadeReconciler().reconcile(alice, bob, 0.05, ClassicalChannel(), seed=1)
    again = ReconciliationResult.from_dict(result.to_dict())
    np.testing.assert_array_equal(again.bob_key, result.bob_key)
    assert again.to_dict() == result.to_dict()
