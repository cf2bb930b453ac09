"""Error verification by universal hashing (Tomamichel et al. 2012)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvant.errors import ConfigError
from kvant.qkd import ClassicalChannel, VerificationResult, verify_keys
from kvant.qkd._verification import verification_hashes


def test_equal_keys_are_accepted_and_the_tag_is_paid() -> None:
    key = np.random.default_rng(0).integers(0, 2, 10_001, dtype=np.uint8)
    channel = ClassicalChannel()
    result = verify_keys(key, key.copy(), channel, np.random.default_rng(1))
    assert result.accepted
    assert result.tag_bits == 64 == channel.leaked_bits
    assert result.epsilon_cor <= 1e-15
    assert VerificationResult.from_dict(result.to_dict()) == result


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_any_single_bit_difference_is_rejected(n: int, data: st.DataObject) -> None:
    key = np.random.default_rng(n).integers(0, 2, n, dtype=np.uint8)
    other = key.copy()
    other[data.draw(st.integers(0, n - 1))] ^= 1
    seed = data.draw(st.integers(0, 2**32))
    assert not verify_keys(key, other, ClassicalChannel(), np.random.default_rng(seed)).accepted


@pytest.mark.parametrize(
    ("bits", "eps", "hashes"), [(1_000, 1e-15, 1), (10**6, 1e-15, 1), (10**6, 1e-20, 2)]
)
def test_number_of_hashes_meets_epsilon_cor(bits: int, eps: float, hashes: int) -> None:
    t, bound = verification_hashes(bits, eps)
    assert t == hashes
    assert bound <= eps
    blocks = (bits + 63) // 64
    assert bound == pytest.approx(((blocks + 1) / 2**64) ** t)


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError):
        verification_hashes(10, 0.0)
    with pytest.raises(ConfigError):
        verify_keys(np.zeros(3, np.uint8), np.zeros(4, np.uint8), ClassicalChannel(),
                    np.random.default_rng(0))  # fmt: skip
