"""LDPC codes and blind rate-adaptive reconciliation (Elkouss et al. 2010; Kiktenko et al.
2017)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from kvant.errors import ConfigError
from kvant.qkd import ClassicalChannel, LdpcReconciler, Reconciler, code_family
from kvant.qkd._ldpc_codes import DEGREE_DISTRIBUTIONS, build_code
from kvant.qkd._ldpc_kernels import layered_decode, layered_min_sum_batch, phi_table

Pair = Callable[[int, float, int], tuple[np.ndarray, np.ndarray]]
SMALL = 2048


def _gf2_rank(matrix: np.ndarray) -> int:
    m = matrix.copy() % 2
    rank = 0
    for col in range(m.shape[1]):
        pivot = np.flatnonzero(m[rank:, col])
        if pivot.size == 0:
            continue
        row = rank + pivot[0]
        m[[rank, row]] = m[[row, rank]]
        below = np.flatnonzero(m[:, col])
        below = below[below != rank]
        m[below] ^= m[rank]
        rank += 1
        if rank == m.shape[0]:
            break
    return rank


@pytest.mark.parametrize("index", range(len(DEGREE_DISTRIBUTIONS)))
def test_codes_have_their_rate_a_cycle_free_zigzag_and_untainted_puncturing(index: int) -> None:
    code = code_family(SMALL)[index]
    h = code.dense()
    assert h.shape == (round(SMALL * (1 - code.rate)), SMALL)
    column_weight = h.sum(axis=0)
    assert column_weight.min() >= 2
    assert h.max() == 1
    # degree-2 columns form a forest on the checks (no cycle, so no low-weight codeword)
    parent = list(range(code.num_checks))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for col in np.flatnonzero(column_weight == 2):
        a, b = (root(int(c)) for c in np.flatnonzero(h[:, col]))
        assert a != b
        parent[a] = b
    punctured = code.puncture_order
    assert h[:, punctured].sum(axis=1).max() <= 1  # untainted: one punctured bit per check
    assert _gf2_rank(h[:, punctured[:200]]) == min(200, punctured.size)
    x = np.random.default_rng(index).integers(0, 2, SMALL, dtype=np.uint8)
    np.testing.assert_array_equal(code.syndrome(x), h.astype(np.int64) @ x % 2)


def test_construction_is_deterministic_and_validated() -> None:
    a = build_code(DEGREE_DISTRIBUTIONS[3], 1024, seed=7)
    b = build_code(DEGREE_DISTRIBUTIONS[3], 1024, seed=7)
    np.testing.assert_array_equal(a.check_vars, b.check_vars)
    with pytest.raises(ConfigError):
        build_code(DEGREE_DISTRIBUTIONS[0], 32)


@pytest.mark.parametrize("min_sum", [False, True])
def test_decoder_finds_alices_frame(min_sum: bool) -> None:
    code = code_family(SMALL)[0]
    rng = np.random.default_rng(4)
    x = rng.integers(0, 2, SMALL, dtype=np.uint8)
    y = x ^ (rng.random(SMALL) < 0.05).astype(np.uint8)
    posterior = np.log(0.95 / 0.05) * (1.0 - 2.0 * y)
    ok, iterations = layered_decode(
        code.check_start, code.check_vars, code.syndrome(x), posterior,
        np.zeros(code.num_edges), 100, min_sum, 0.8, phi_table(), 20,
    )  # fmt: skip
    assert ok
    assert iterations > 1
    np.testing.assert_array_equal((posterior < 0).astype(np.uint8), x)


def test_batched_min_sum_decodes_every_frame() -> None:
    code = code_family(SMALL)[2]
    rng = np.random.default_rng(8)
    x = rng.integers(0, 2, (5, SMALL), dtype=np.uint8)
    y = x ^ (rng.random((5, SMALL)) < 0.03).astype(np.uint8)
    llr = np.ascontiguousarray((np.log(0.97 / 0.03) * (1.0 - 2.0 * y)).T, dtype=np.float32)
    signs = np.ascontiguousarray((1.0 - 2.0 * code.syndrome(x)).T, dtype=np.float32)
    ok = layered_min_sum_batch(code.check_start, code.check_vars, signs, llr, 100, 0.8, 20)
    assert ok.all()
    np.testing.assert_array_equal((llr.T < 0).astype(np.uint8), x)


def test_min_sum_reconciler(noisy_pair: Pair) -> None:
    alice, bob = noisy_pair(9000, 0.04, 6)
    result = LdpcReconciler(SMALL, algorithm="min-sum").reconcile(
        alice, bob, 0.04, ClassicalChannel(), seed=2
    )
    np.testing.assert_array_equal(result.bob_key, alice)


def test_many_seeds_reconcile_exactly(noisy_pair: Pair) -> None:
    reconciler = LdpcReconciler(SMALL)
    assert isinstance(reconciler, Reconciler)
    rng = np.random.default_rng(7)
    for seed in range(200):
        qber = float(rng.uniform(0.005, 0.10))
        alice, bob = noisy_pair(int(rng.integers(1000, 4001)), qber, seed)
        result = reconciler.reconcile(alice, bob, qber, ClassicalChannel(), seed=seed)
        assert result.success
        np.testing.assert_array_equal(result.bob_key, alice)


def test_a_hopeless_estimate_still_ends_with_equal_keys(noisy_pair: Pair) -> None:
    alice, bob = noisy_pair(1500, 0.12, 4)  # told 1%, the frame needs far more than planned
    channel = ClassicalChannel()
    result = LdpcReconciler(SMALL).reconcile(alice, bob, 0.01, channel, seed=1)
    np.testing.assert_array_equal(result.bob_key, alice)
    assert result.leaked_bits == channel.leaked_bits
    assert result.efficiency > 1.2


def test_leakage_is_the_syndrome_less_punctured_plus_revealed_bits(noisy_pair: Pair) -> None:
    reconciler = LdpcReconciler(SMALL)
    code, p0, _ = reconciler.choose_code(0.04)
    k = code.num_bits - code.puncture_order.size
    alice, bob = noisy_pair(3 * k, 0.04, 2)
    channel = ClassicalChannel()
    result = reconciler.reconcile(alice, bob, 0.04, channel, seed=3)
    assert result.success
    assert np.array_equal(result.bob_key, alice)
    header = np.frombuffer(channel.messages[0].payload[:32], "<u8")
    assert tuple(header[:3]) == (code.num_bits, code.num_checks, p0)
    revealed = [m for m in channel.messages if m.kind == "ldpc/revealed-bits"]
    assert channel.messages[0].leaked_bits == 3 * (code.num_checks - p0 + 32)
    assert all(m.leaked_bits <= 8 * len(m.payload) for m in revealed)
    assert (
        result.leaked_bits
        == channel.leaked_bits
        == channel.messages[0].leaked_bits + sum(m.leaked_bits for m in revealed)
    )


@pytest.mark.parametrize(("qber", "bound"), [(0.05, 1.20), (0.08, 1.15), (0.10, 1.15)])
def test_efficiency(qber: float, bound: float, noisy_pair: Pair) -> None:
    reconciler = LdpcReconciler()
    code, _, _ = reconciler.choose_code(qber)
    alice, bob = noisy_pair(3 * (code.num_bits - code.puncture_order.size), qber, 1)
    result = reconciler.reconcile(alice, bob, qber, ClassicalChannel(), seed=1)
    assert result.success
    assert np.array_equal(result.bob_key, alice)
    assert result.efficiency <= bound


def test_bad_options() -> None:
    with pytest.raises(ConfigError):
        LdpcReconciler(SMALL, algorithm="bit-flip")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        LdpcReconciler(SMALL, max_iterations=0)
    with pytest.raises(ConfigError):
        LdpcReconciler(SMALL, start_efficiency=2.0, max_efficiency=1.2)
    key = np.zeros(10, np.uint8)
    with pytest.raises(ConfigError):
        LdpcReconciler(SMALL).reconcile(key, key, 0.6, ClassicalChannel())
